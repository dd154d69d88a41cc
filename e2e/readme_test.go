package e2e

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// readmeSection returns the shell code of README.md's "## <title>" section: the lines of its ```sh fences
// before the section's first sub-heading (sub-sections are not part of the walk-through).
func readmeSection(readme, title string) ([]string, error) {
	f, err := os.Open(readme)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	in, fenced := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case fenced:
			if strings.HasPrefix(line, "```") {
				fenced = false
			} else {
				lines = append(lines, line)
			}
		case strings.HasPrefix(line, "#"):
			if in {
				return lines, nil
			}
			in = line == "## "+title
		case in && strings.TrimSpace(line) == "```sh":
			fenced = true
		}
	}
	if !in && lines == nil {
		return nil, fmt.Errorf("%s has no section %q", readme, "## "+title)
	}
	return lines, sc.Err()
}
