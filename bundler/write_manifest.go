package bundler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
			Source:                 sourceFromOut(b.out, b.source),
			DashVersion:            r.DashVersion,
			PythonVersion:          r.PythonVersion,
			RequestsPathnamePrefix: r.RequestsPathnamePrefix,
			RoutesPathnamePrefix:   r.RoutesPathnamePrefix,
			UsePages:               r.UsePages,
			ServeLocally:           r.ServeLocally,
			Entry:                  r.Entry,
			BackgroundCallbacks:    r.BackgroundCallbacks,
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
		ServerRoutes: b.routes,
		Warnings:     b.result.Warnings,
	}
	if !b.opts.ExcludeWarmer {
		m.Origins.Warmer = &manifest.WarmerOrigin{Dir: WarmerDir, Handler: warmer.Handler, Runtime: warmer.Runtime, Schedule: WarmerSchedule}
	}
	id, files, size := buildID(b.files, b.serverFiles)
	m.BuildID = id
	if err := m.Validate(); err != nil {
		return fmt.Errorf("the bundle's manifest is inconsistent (an OpenDash bug, please report it): %w", err)
	}
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	if len(b.env) > 0 {
		published, err := b.renderedFiles()
		if err != nil {
			return err
		}
		published[manifest.FileName] = data
		if err := b.checkEnvLeak(published); err != nil {
			return err
		}
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

// buildID digests every output file from the digests computed while writing them: the static files by
// key, then the server function and warmer files in the order a walk of the bundle visits them. Equal
// bundles get equal ids.
func buildID(static []manifest.File, others []serverfn.FileDigest) (string, int, int64) {
	h := sha256.New()
	files, size := 0, int64(0)
	for _, f := range static {
		fmt.Fprintf(h, "%s/%s %s %s %s\n", AssetsDir, f.Key, f.SHA256, f.ContentType, f.CacheControl)
		files++
		size += f.Size
	}
	others = append([]serverfn.FileDigest(nil), others...)
	sort.Slice(others, func(i, j int) bool { return walkOrder(others[i].Rel, others[j].Rel) })
	for _, f := range others {
		fmt.Fprintf(h, "%s %s %o\n", f.Rel, f.SHA256, f.Mode.Perm())
		files++
		size += f.Size
	}
	return strings.ToLower(hex.EncodeToString(h.Sum(nil))[:16]), files, size
}

// walkOrder reports whether filepath.WalkDir visits slash path a before b: names compare folder by folder.
func walkOrder(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] != bs[i] {
			return as[i] < bs[i]
		}
	}
	return len(as) < len(bs)
}
