// Command release builds OpenDash's release archives into a folder (package release): `make release`.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/opendash/opendash/internal/release"
)

func main() {
	r := &release.Release{Log: os.Stderr}
	flag.StringVar(&r.Out, "out", "dist", "output folder (emptied first)")
	platforms := flag.String("platforms", strings.Join(release.Platforms, ","), `GOOS/GOARCH pairs, comma-separated, or "host"`)
	flag.StringVar(&r.Stamp, "version", "", "version to stamp (default: git describe of a vX.Y.Z tag)")
	flag.Parse()
	r.Platforms = strings.Split(*platforms, ",")
	if *platforms == "host" {
		r.Platforms = []string{runtime.GOOS + "/" + runtime.GOARCH}
	}
	var err error
	if r.Repo, err = os.Getwd(); err == nil {
		err = r.Run()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "release: %v\n", err)
		os.Exit(1)
	}
}
