// Package checks runs the go command for the repository's check suites:
// internal/checks/static (staticcheck, gofmt) and internal/checks/fuzz (a
// short fuzzing pass over every decoder of untrusted input). They are
// tests, so that CI's single command (go vet ./... && go test -race -timeout 30m ./...)
// enforces them; each lives in its own package so each gets go test's
// per-package time limit to itself. Both are skipped under -short.
package checks

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModuleRoot returns the directory holding the go.mod of the module the
// current directory belongs to.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("checks: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" {
		return "", fmt.Errorf("checks: not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// RunGo runs the go command with args in dir and returns its combined
// output; ctx bounds it.
func RunGo(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}
