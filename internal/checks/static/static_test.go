package static

import (
	"bytes"
	"context"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/checks"
)

// TestStaticcheck runs staticcheck (a tool dependency in go.mod, so the
// version is pinned) over the whole module with its default checks.
func TestStaticcheck(t *testing.T) {
	if testing.Short() {
		t.Skip("static checks are skipped under -short")
	}
	root, err := checks.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	// The limit only guards against a hung child.
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	out, err := checks.RunGo(ctx, root, "tool", "staticcheck", "./...")
	if err != nil {
		t.Fatalf("go tool staticcheck ./... failed (%v):\n%s", err, out)
	}
}

// TestGofmt fails naming every Go file of the module that gofmt would
// change; gofmt -l FILE shows the same list, gofmt -w FILE fixes it.
func TestGofmt(t *testing.T) {
	if testing.Short() {
		t.Skip("static checks are skipped under -short")
	}
	root, err := checks.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	var unformatted []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// Like the go command: skip hidden and underscore directories,
			// testdata (fuzz corpora, fixtures) and vendored code.
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		formatted, err := format.Source(src)
		if err != nil {
			unformatted = append(unformatted, relative(root, path)+" (does not parse: "+err.Error()+")")
			return nil
		}
		if !bytes.Equal(src, formatted) {
			unformatted = append(unformatted, relative(root, path))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	if len(unformatted) > 0 {
		t.Fatalf("gofmt would change these files (run gofmt -w on them):\n%s", strings.Join(unformatted, "\n"))
	}
}

func relative(root, path string) string {
	if rel, err := filepath.Rel(root, path); err == nil {
		return rel
	}
	return path
}
