package mongotest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// serverPackage is the import path of the FerretDB helper command.
const serverPackage = "github.com/chatboxhq/chatbox/internal/store/mongo/mongotest/ferretdbserver"

// serverBinary builds the helper command once per test process and returns
// its path. The build goes through the go command and its build cache, so
// after the first build anywhere on the machine it only checks that the
// binary is up to date. It is built without the race detector whatever the
// tests use (see ferretdbserver).
//
// It is a package-level value because the binary is one file shared by
// every test of the process; it never changes once built.
var serverBinary = sync.OnceValues(buildServer)

func buildServer() (string, error) {
	goCmd, err := goCommand()
	if err != nil {
		return "", err
	}
	// One stable path per user and platform, so the go command can see the
	// binary is current and skip the link; it replaces the file by rename,
	// so processes running an older copy are unaffected.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("chatbox-mongotest-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("build FerretDB helper: %w", err)
	}
	bin := filepath.Join(dir, "ferretdbserver-"+runtime.GOOS+"-"+runtime.GOARCH)
	cmd := exec.Command(goCmd, "build", "-o", bin, serverPackage)
	// Whatever the tests were built with (-race, -cover), the helper is a
	// plain build; the module is found from the test's working directory.
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build FerretDB helper: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return bin, nil
}

// goCommand finds the go command: the one on PATH, or the one of the Go
// installation that runs the tests (go test puts its GOROOT in the
// environment of test processes).
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("the go command is needed to build the FerretDB helper and is not on PATH")
}
