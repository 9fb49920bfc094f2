package config

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/BurntSushi/toml"
)

// fileTree is a decoded config file: TOML tables as nested maps.
type fileTree struct {
	path string
	root map[string]any
}

// readFile reads and decodes the config file and refuses keys the table
// does not know, so a typo ("prot = 80") is an error, not a silently ignored
// setting. An empty path means no file: it returns nil.
func readFile(path string) (*fileTree, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: reading config file: %w", err)
	}
	return parseFile(path, string(data))
}

// parseFile decodes data, the content of the file at path.
func parseFile(path, data string) (*fileTree, error) {
	root := map[string]any{}
	if _, err := toml.Decode(data, &root); err != nil {
		return nil, fmt.Errorf("config: %s: %s", path, describeTOMLError(err))
	}
	t := &fileTree{path: path, root: root}
	if err := t.checkKeys(); err != nil {
		return nil, err
	}
	return t, nil
}

// describeTOMLError renders a syntax error on one line. The parser's message
// may quote the text it choked on, which can be a secret typed without
// quotes (jwt_secret = abc...): after a secret key only the position is given.
func describeTOMLError(err error) string {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return "invalid TOML"
	}
	where := fmt.Sprintf("invalid TOML at line %d, column %d", pe.Position.Line, pe.Position.Col)
	if pe.LastKey != "" {
		where += " (after key " + printable(pe.LastKey) + ")"
	}
	if isSecretPath(pe.LastKey) {
		return where + " (details withheld: they could quote a secret)"
	}
	return where + ": " + oneLine(pe.Message)
}

// isSecretPath reports whether a TOML key path (as the parser reports it)
// names a secret, so parse errors near it must not quote input.
func isSecretPath(path string) bool {
	if path == "" {
		return false
	}
	for _, k := range Keys() {
		if !k.Secret || k.TOMLPath == "" {
			continue
		}
		leaf := k.TOMLPath[strings.LastIndexByte(k.TOMLPath, '.')+1:]
		if path == k.TOMLPath || strings.HasSuffix(path, "."+leaf) || path == leaf {
			return true
		}
	}
	return false
}

// isTable reports whether path is one of the TOML tables that hold keys;
// llm.providers, an array of tables, is handled separately.
func isTable(path string) bool {
	switch path {
	case "server", "auth", "storage", "bus", "websocket", "llm", "log", "notify", "sessions", "uploads":
		return true
	}
	return false
}

// checkKeys refuses unknown keys, and known tables given as plain values.
func (t *fileTree) checkKeys() error {
	leaves := map[string]bool{}
	for _, s := range configSpecs() {
		leaves[s.key.TOMLPath] = true
	}
	fields := map[string]bool{}
	for _, s := range providerSpecs() {
		fields[providerField(s.key)] = true
	}
	var unknown []string
	var walk func(prefix string, m map[string]any) error
	walk = func(prefix string, m map[string]any) error {
		for k, v := range m {
			path := prefix + k
			switch {
			case leaves[path]:
			case path == "llm.providers":
				list, err := providerTables(v, t.path)
				if err != nil {
					return err
				}
				for i, entry := range list {
					for f := range entry {
						if !fields[f] {
							unknown = append(unknown, fmt.Sprintf("llm.providers[%d].%s", i, printable(f)))
						}
					}
				}
			case isTable(path):
				sub, ok := v.(map[string]any)
				if !ok {
					return fmt.Errorf("config: %s in %s: must be a table ([%s]), not %s", path, t.path, path, tomlType(v))
				}
				if err := walk(path+".", sub); err != nil {
					return err
				}
			default:
				unknown = append(unknown, printable(path))
			}
		}
		return nil
	}
	if err := walk("", t.root); err != nil {
		return err
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	const most = 10
	if len(unknown) > most {
		unknown = append(unknown[:most], fmt.Sprintf("and %d more", len(unknown)-most))
	}
	return fmt.Errorf("config: %s: unknown keys: %s (misspelt, or in the wrong table?)", t.path, strings.Join(unknown, ", "))
}

// lookup returns the value at a dotted path, if the file sets it.
// checkKeys has run, so every table on the way is a map.
func (t *fileTree) lookup(path string) (any, bool) {
	if t == nil {
		return nil, false
	}
	parts := strings.Split(path, ".")
	m := t.root
	for _, p := range parts[:len(parts)-1] {
		sub, ok := m[p].(map[string]any)
		if !ok {
			return nil, false
		}
		m = sub
	}
	v, ok := m[parts[len(parts)-1]]
	return v, ok
}

// providers returns the [[llm.providers]] tables, in file order.
func (t *fileTree) providers() ([]map[string]any, error) {
	v, ok := t.lookup("llm.providers")
	if !ok {
		return nil, nil
	}
	return providerTables(v, t.path)
}

// providerTables accepts both [[llm.providers]] tables and an inline
// providers = [{...}] array.
func providerTables(v any, file string) ([]map[string]any, error) {
	switch x := v.(type) {
	case []map[string]any:
		return x, nil
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("config: llm.providers in %s: must be an array of tables ([[llm.providers]]), found %s", file, tomlType(e))
			}
			out = append(out, m)
		}
		return out, nil
	}
	return nil, fmt.Errorf("config: llm.providers in %s: must be an array of tables ([[llm.providers]]), not %s", file, tomlType(v))
}

// printable returns s, or s quoted when it holds spaces or control
// characters, so a hostile key cannot break the one-line error.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// oneLine returns s, or s quoted when it holds control characters such as
// newlines, so an error stays on one line.
func oneLine(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
