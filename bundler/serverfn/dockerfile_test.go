package serverfn

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// instruction is one parsed Dockerfile instruction.
type instruction struct {
	cmd  string // upper case: FROM, COPY, RUN, CMD...
	args string
}

// parseDockerfile reads instructions the way Docker does: comments and blank lines skipped, backslash
// continuations joined. Enough to check our own Dockerfile without a daemon.
func parseDockerfile(t *testing.T, data string) []instruction {
	t.Helper()
	var out []instruction
	cur := ""
	for _, line := range strings.Split(data, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur += strings.TrimSuffix(trimmed, `\`) + " "
			continue
		}
		cur += trimmed
		cmd, args, _ := strings.Cut(cur, " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur = ""
	}
	if cur != "" {
		t.Fatalf("Dockerfile ends inside a continuation: %q", cur)
	}
	return out
}

func TestDockerfile(t *testing.T) {
	tests := []struct {
		python, arch    string
		image, platform string
	}{
		{"3.11.7", "", "public.ecr.aws/lambda/python:3.11", "linux/amd64"},
		{"3.10.14", "x86_64", "public.ecr.aws/lambda/python:3.10", "linux/amd64"},
		{"3.12.4", "arm64", "public.ecr.aws/lambda/python:3.12", "linux/arm64"},
		{"3.13.0rc1", "arm64", "public.ecr.aws/lambda/python:3.13", "linux/arm64"},
		{"3.14", "x86_64", "public.ecr.aws/lambda/python:3.14", "linux/amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.python+"-"+tt.arch, func(t *testing.T) {
			src := t.TempDir()
			writeTree(t, src, map[string]string{"app.py": "x"})
			o := testOptions(src)
			o.PythonVersion, o.Architecture = tt.python, tt.arch
			dst := t.TempDir()
			if _, err := mustPlan(t, o).Write(dst); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(dst, DockerfileName))
			if err != nil {
				t.Fatal(err)
			}
			ins := parseDockerfile(t, string(data))
			if ins[0].cmd != "FROM" || ins[0].args != "--platform="+tt.platform+" "+tt.image {
				t.Errorf("first instruction = %+v, want FROM --platform=%s %s", ins[0], tt.platform, tt.image)
			}
			index := func(pred func(instruction) bool) int { return slices.IndexFunc(ins, pred) }
			copyReqs := index(func(i instruction) bool { return i.cmd == "COPY" && strings.HasPrefix(i.args, RequirementsFile+" ") })
			pip := index(func(i instruction) bool {
				return i.cmd == "RUN" && strings.Contains(i.args, "pip install --no-cache-dir") &&
					strings.Contains(i.args, "-r ${LAMBDA_TASK_ROOT}/requirements.txt")
			})
			copyAll := index(func(i instruction) bool { return i.cmd == "COPY" && strings.HasPrefix(i.args, ". ") })
			if copyReqs < 0 || pip < 0 || copyAll < 0 || !(copyReqs < pip && pip < copyAll) {
				t.Errorf("want COPY requirements.txt, then RUN pip install, then COPY . (indexes %d %d %d) in\n%s",
					copyReqs, pip, copyAll, data)
			}
			compile := index(func(i instruction) bool {
				return i.cmd == "RUN" && strings.HasPrefix(i.args, "python -m compileall -q ${LAMBDA_TASK_ROOT}")
			})
			if compile < copyAll {
				t.Errorf("want RUN python -m compileall after COPY . (bytecode of the app in the image) in\n%s", data)
			}
			last := ins[len(ins)-1]
			var cmd []string
			if last.cmd != "CMD" || json.Unmarshal([]byte(last.args), &cmd) != nil || !slices.Equal(cmd, []string{Handler}) {
				t.Errorf("last instruction = %+v, want CMD [%q] in exec form", last, Handler)
			}
			for _, i := range ins {
				if i.cmd == "FROM" && i != ins[0] {
					t.Errorf("more than one stage: %+v", i)
				}
				if strings.Contains(i.args, "pytest") || strings.Contains(i.args, "-dev") {
					t.Errorf("dev-only instruction: %+v", i)
				}
			}
		})
	}
}

func TestUnsupportedEnvironment(t *testing.T) {
	tests := []struct {
		python, arch string
		want         []string
	}{
		{"3.9.18", "", []string{"no Python 3.9 base image", "3.10, 3.11, 3.12, 3.13, 3.14"}},
		{"3.15.0", "", []string{"no Python 3.15 base image"}},
		{"2.7.18", "", []string{"no Python 2.7"}},
		{"three", "", []string{`"three" is not a Python version`}},
		{"3.11.7", "amd64", []string{`architecture "amd64"`, "x86_64 or arm64"}},
	}
	for _, tt := range tests {
		src := t.TempDir()
		writeTree(t, src, map[string]string{"app.py": "x"})
		o := testOptions(src)
		o.PythonVersion, o.Architecture = tt.python, tt.arch
		_, err := Plan(o)
		if err == nil {
			t.Errorf("Plan(python %s, arch %q) succeeded", tt.python, tt.arch)
			continue
		}
		containsAll(t, "error", err.Error(), tt.want...)
	}
}
