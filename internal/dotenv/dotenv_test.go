package dotenv

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, text string
		want       []Var
	}{
		{"plain, export, comments and blanks",
			"# settings\n\nDATABASE_URL=postgres://u:p@h/db\n  export MODE = prod  \nEMPTY=\n",
			[]Var{{"DATABASE_URL", "postgres://u:p@h/db", 3}, {"MODE", "prod", 4}, {"EMPTY", "", 5}}},
		{"inline comments end unquoted values only at a blank",
			"A=x # note\nB=a#b\nC='x # kept' # note\n",
			[]Var{{"A", "x", 1}, {"B", "a#b", 2}, {"C", "x # kept", 3}}},
		{"dollar and backslash are literal outside double quotes",
			`PASSWORD=pa$$w0rd\n` + "\n" + `LIT='$HOME\n'` + "\n",
			[]Var{{"PASSWORD", `pa$$w0rd\n`, 1}, {"LIT", `$HOME\n`, 2}}},
		{"double quotes: escapes and lines",
			"KEY=\"-----BEGIN-----\nabc\n-----END-----\"\nNEXT=\"tab\\there \\\"q\\\" \\$x \\\\ \\z\"\n",
			[]Var{{"KEY", "-----BEGIN-----\nabc\n-----END-----", 1}, {"NEXT", "tab\there \"q\" $x \\ \\z", 4}}},
		{"windows line ends and a byte order mark",
			"\ufeffA=1\r\nB=\"2\"\r\n",
			[]Var{{"A", "1", 1}, {"B", "2", 2}}},
		{"no final newline", "A=1", []Var{{"A", "1", 1}}},
		{"an empty file", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(".env", []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestParseErrors: each error names the file and line, and never shows a value.
func TestParseErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"no equals sign", "A=1\nhunter2\n", ".env:2: expected NAME=value"},
		{"bad name", "1A=hunter2\n", `.env:1: "1A" is not a variable name`},
		{"name with a dash", "MY-VAR=hunter2\n", `.env:1: "MY-VAR" is not a variable name`},
		{"unclosed single quote", "A='hunter2\n", ".env:1: the single quote is never closed"},
		{"unclosed double quote", "\nA=\"hunter2\nmore\n", ".env:2: the double quote is never closed"},
		{"text after a quote", "A=\"hunter2\"x\n", ".env:1: unexpected text after the closing quote"},
		{"twice", "A=1\nB=2\nA=hunter2\n", ".env:3: A is already set on line 1; keep one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(".env", []byte(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows a value: %v", err)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.env")
	if err := os.WriteFile(path, []byte("GREETING=hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil || len(got) != 1 || got[0].Value != "hello" {
		t.Fatalf("%v, %v", got, err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.env")); err == nil || !strings.Contains(err.Error(), "missing.env") {
		t.Errorf("a missing file: %v", err)
	}
}
