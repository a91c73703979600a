package problem

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// slugPatterns find problem type slugs where code creates problems: the
// slug argument of New and Unavailable, and Problem* constants.
var slugPatterns = []*regexp.Regexp{
	regexp.MustCompile(`\bNew\([^,()]+,\s*"([a-z][a-z0-9-]*)"`),
	regexp.MustCompile(`\bUnavailable\(\s*"([a-z][a-z0-9-]*)"`),
	regexp.MustCompile(`\bProblem[A-Z]\w*\s*=\s*"([a-z][a-z0-9-]*)"`),
}

// TestDocsListEveryProblemType keeps docs/problems.md true: every problem
// type the code can answer with has a row there.
func TestDocsListEveryProblemType(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "problems.md"))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	err = filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range slugPatterns {
			for _, m := range re.FindAllSubmatch(src, -1) {
				found[string(m[1])] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 10 {
		t.Fatalf("found only %d problem types in the code; the patterns no longer match it", len(found))
	}
	for slug, where := range found {
		if !strings.Contains(string(doc), "| `"+slug+"` |") {
			t.Errorf("problem type %q (used in %s) has no row in docs/problems.md", slug, where)
		}
	}
}
