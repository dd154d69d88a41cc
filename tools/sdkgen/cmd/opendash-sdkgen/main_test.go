package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	schema := filepath.Join("..", "..", "..", "..", "schema.json")
	cases := []struct {
		name    string
		args    []string
		files   []string // expected under -out
		wantErr string
	}{
		{"both languages", []string{"-schema", schema}, []string{"nodejs/dashSite.ts", "python/pulumi_opendash/dash_site.py"}, ""},
		{"one language, a version", []string{"-schema", schema, "-language", "python", "-version", "1.2.3"}, []string{"python/pyproject.toml"}, ""},
		{"missing schema", []string{"-schema", "nope.json"}, nil, "make schema"},
		{"unknown language", []string{"-schema", schema, "-language", "java"}, nil, `language "java"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			var stderr bytes.Buffer
			err := run(append(tc.args, "-out", out), &stderr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.files {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Error(err)
				}
			}
			if !strings.Contains(stderr.String(), "SDK:") {
				t.Errorf("no progress line: %q", stderr.String())
			}
		})
	}
}
