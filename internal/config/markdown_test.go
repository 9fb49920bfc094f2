package config

import (
	"os"
	"strings"
	"testing"
)

const (
	readmePath  = "../../README.md"
	tableStart  = "<!-- config-table:start -->\n"
	tableEnd    = "<!-- config-table:end -->"
	updateTable = "UPDATE_README"
)

// TestREADMEConfigTable keeps the README's configuration table identical to
// the key table the loader uses. Regenerate it with
//
//	UPDATE_README=1 go test ./internal/config -run TestREADMEConfigTable
func TestREADMEConfigTable(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start := strings.Index(readme, tableStart)
	end := strings.Index(readme, tableEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md lacks the %q ... %q markers", tableStart, tableEnd)
	}
	want := MarkdownTable()
	got := readme[start+len(tableStart) : end]
	if got == want {
		return
	}
	if os.Getenv(updateTable) != "" {
		updated := readme[:start+len(tableStart)] + want + readme[end:]
		if err := os.WriteFile(readmePath, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's configuration table is out of date; run\n\tUPDATE_README=1 go test ./internal/config -run TestREADMEConfigTable")
}
