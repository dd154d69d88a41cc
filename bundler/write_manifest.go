package bundler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/opendash/opendash/bundler/serverfn"
	"github.com/opendash/opendash/bundler/warmer"
	"github.com/opendash/opendash/manifest"
)

// WarmerSchedule is how often the warmer runs (EventBridge schedule expression).
const WarmerSchedule = "rate(5 minutes)"

func writeManifest(_ context.Context, b *build) error {
	r := b.report
	minor, err := serverfn.PythonMinor(r.PythonVersion)
	if err != nil {
		return err
	}
	m := &manifest.Manifest{
		SchemaVersion:   manifest.SchemaVersion,
		OpenDashVersion: Version,
		App: manifest.App{
			DashVersion:            r.DashVersion,
			PythonVersion:          r.PythonVersion,
			RequestsPathnamePrefix: r.RequestsPathnamePrefix,
			RoutesPathnamePrefix:   r.RoutesPathnamePrefix,
			UsePages:               r.UsePages,
			ServeLocally:           r.ServeLocally,
		},
		Origins: manifest.Origins{
			S3: manifest.S3Origin{Dir: AssetsDir},
			Server: manifest.FunctionOrigin{
				Dir:           ServerDir,
				Handler:       serverfn.Handler,
				Dockerfile:    ServerDir + "/" + serverfn.DockerfileName,
				Architecture:  b.opts.Architecture,
				PythonVersion: minor,
			},
		},
		Behaviors:    b.manifestBehaviors,
		Files:        b.files,
		ServerRoutes: routesOf(b),
		Warnings:     b.result.Warnings,
	}
	if !b.opts.ExcludeWarmer {
		m.Origins.Warmer = &manifest.WarmerOrigin{Dir: WarmerDir, Handler: warmer.Handler, Runtime: warmer.Runtime, Schedule: WarmerSchedule}
	}
	id, files, size, err := buildID(b.stage.Dir, b.files)
	if err != nil {
		return err
	}
	m.BuildID = id
	if err := m.Validate(); err != nil {
		return fmt.Errorf("the bundle's manifest is inconsistent (an OpenDash bug, please report it): %w", err)
	}
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.stage.Dir, manifest.FileName), data, 0o644); err != nil {
		return err
	}
	b.result.Manifest = m
	b.result.Files = files + 1
	b.result.Bytes = size + int64(len(data))
	b.detail = "build " + id
	return nil
}

func routesOf(b *build) []manifest.ServerRoute {
	routes := []manifest.ServerRoute{}
	for _, r := range b.report.ServerRoutes {
		routes = append(routes, manifest.ServerRoute{Path: r.Path, Kind: r.Kind, Methods: r.Methods})
	}
	return routes
}

// buildID digests every output file: the static ones by the hashes already computed while copying, the rest
// (server function and warmer, small) by reading them. Equal bundles get equal ids.
func buildID(dir string, static []manifest.File) (string, int, int64, error) {
	h := sha256.New()
	files, size := 0, int64(0)
	for _, f := range static {
		fmt.Fprintf(h, "%s/%s %s %s %s\n", AssetsDir, f.Key, f.SHA256, f.ContentType, f.CacheControl)
		files++
		size += f.Size
	}
	for _, sub := range []string{ServerDir, WarmerDir} {
		root := filepath.Join(dir, filepath.FromSlash(sub))
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && path == root {
					return filepath.SkipDir
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(dir, path)
			info, err := d.Info()
			if err != nil {
				return err
			}
			fh := sha256.New()
			in, err := os.Open(path)
			if err != nil {
				return err
			}
			n, err := io.Copy(fh, in)
			in.Close()
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s %x %o\n", filepath.ToSlash(rel), fh.Sum(nil), info.Mode().Perm())
			files++
			size += n
			return nil
		})
		if err != nil {
			return "", 0, 0, err
		}
	}
	return strings.ToLower(hex.EncodeToString(h.Sum(nil))[:16]), files, size, nil
}
