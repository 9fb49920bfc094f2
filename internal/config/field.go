package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// kind is the TOML type a key accepts. Environment values are always text
// and are parsed by the same code, so both sources obey the same rules.
type kind int

const (
	kindString   kind = iota // TOML string
	kindInt                  // TOML integer
	kindDuration             // TOML string such as "30s"; bare numbers are refused
	kindList                 // TOML array of strings, or one comma-separated string
	kindBool                 // TOML boolean, or a string boolSpec accepts
)

// spec is one key of the table: its documentation and how to store a raw
// value into a T (Config, or Provider for the LLM_PROVIDER_<N>_* keys).
type spec[T any] struct {
	key  Key
	kind kind
	// show renders a raw value for an error message. Secrets never reach it.
	show func(raw string) string
	// set parses v and stores it; its error is the reason only, the caller
	// adds the key and the source.
	set func(t *T, v value) error
	// get renders the effective value for Config.Redacted, which shows
	// secrets as "set" or "unset" only.
	get func(t *T) string
}

// value is one raw setting from one source, before parsing.
type value struct {
	text  string
	items []string // elements of a TOML array (kindList)
	array bool     // items is meaningful
	key   string   // env name or TOML path
	file  string   // config file path; "" for the environment and defaults
	shown string   // `="..."` or " (value hidden)"
}

// name is how messages refer to where a value was set, without the value.
func (v value) name() string {
	if v.file == "" {
		return v.key
	}
	return v.key + " in " + v.file
}

// where is how messages refer to a value: key, (shown) value and source.
func (v value) where() string {
	if v.file == "" {
		return v.key + v.shown
	}
	return v.key + v.shown + " in " + v.file
}

// fail wraps a reason from spec.set into the single error line Load returns.
func (v value) fail(reason error) error {
	var sv showsValue
	if errors.As(reason, &sv) {
		return fmt.Errorf("config: %s: %w", v.name(), reason)
	}
	return fmt.Errorf("config: %s: %w", v.where(), reason)
}

// render prepares a raw text value for messages about key s.
func (s spec[T]) render(text string) string {
	if s.key.Secret {
		return " (value hidden)"
	}
	if s.show != nil {
		return "=" + s.show(text)
	}
	return "=" + strconv.Quote(truncate(text))
}

// truncate shortens a value quoted in a message, so a pasted blob cannot
// flood the log line.
func truncate(text string) string {
	const most = 100
	if len(text) <= most {
		return text
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "..."
}

// envValue wraps an environment variable's text.
func (s spec[T]) envValue(env, text string) value {
	return value{text: text, key: env, shown: s.render(text)}
}

// tomlValue converts a decoded TOML value to a raw value, refusing values of
// the wrong TOML type (a port given as a string, a duration as a number).
func (s spec[T]) tomlValue(path, file string, raw any) (value, error) {
	v := value{key: path, file: file, shown: " (value hidden)"}
	switch s.kind {
	case kindInt:
		n, ok := raw.(int64)
		if !ok {
			return v, fmt.Errorf("config: %s: must be an integer, not %s", v.name(), tomlType(raw))
		}
		v.text = strconv.FormatInt(n, 10)
	case kindList:
		switch x := raw.(type) {
		case string:
			v.text = x
		case []any:
			v.array = true
			for _, item := range x {
				str, ok := item.(string)
				if !ok {
					return v, fmt.Errorf("config: %s: must be an array of strings, found %s", v.name(), tomlType(item))
				}
				v.items = append(v.items, str)
			}
		default:
			return v, fmt.Errorf("config: %s: must be an array of strings, not %s", v.name(), tomlType(raw))
		}
	case kindBool:
		switch x := raw.(type) {
		case bool:
			v.text = strconv.FormatBool(x)
		case string:
			v.text = x
		default:
			return v, fmt.Errorf("config: %s: must be a boolean (true or false), not %s", v.name(), tomlType(raw))
		}
	case kindDuration:
		str, ok := raw.(string)
		if !ok {
			return v, fmt.Errorf("config: %s: must be a duration string such as \"30s\", not %s", v.name(), tomlType(raw))
		}
		v.text = str
	default:
		str, ok := raw.(string)
		if !ok {
			return v, fmt.Errorf("config: %s: must be a string, not %s", v.name(), tomlType(raw))
		}
		v.text = str
	}
	if v.array {
		v.shown = s.render(strings.Join(v.items, ","))
	} else {
		v.shown = s.render(v.text)
	}
	return v, nil
}

// tomlType names a decoded TOML value's type for messages.
func tomlType(raw any) string {
	switch raw.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	default:
		return "a date or time"
	}
}

// stringSpec stores a string after check (which also normalises it).
func stringSpec[T any](k Key, field func(*T) *string, check func(string) (string, error)) spec[T] {
	return spec[T]{
		key:  k,
		kind: kindString,
		set: func(t *T, v value) error {
			s, err := check(v.text)
			if err != nil {
				return err
			}
			*field(t) = s
			return nil
		},
		get: func(t *T) string { return *field(t) },
	}
}

// intSpec stores an integer within [lo, hi]; what describes the expectation
// in messages, e.g. "a port number (1-65535)".
func intSpec[T any](k Key, lo, hi int, what string, field func(*T) *int) spec[T] {
	if what == "" {
		what = fmt.Sprintf("an integer from %d to %d", lo, hi)
	}
	return spec[T]{
		key:  k,
		kind: kindInt,
		set: func(t *T, v value) error {
			n, err := strconv.Atoi(strings.TrimSpace(v.text))
			if err != nil || n < lo || n > hi {
				return errors.New("not " + what)
			}
			*field(t) = n
			return nil
		},
		get: func(t *T) string { return strconv.Itoa(*field(t)) },
	}
}

// int64Spec is intSpec for int64 fields (byte sizes).
func int64Spec[T any](k Key, lo, hi int64, what string, field func(*T) *int64) spec[T] {
	return spec[T]{
		key:  k,
		kind: kindInt,
		set: func(t *T, v value) error {
			n, err := strconv.ParseInt(strings.TrimSpace(v.text), 10, 64)
			if err != nil || n < lo || n > hi {
				return errors.New("not " + what)
			}
			*field(t) = n
			return nil
		},
		get: func(t *T) string { return strconv.FormatInt(*field(t), 10) },
	}
}

// durationSpec stores a Go duration string ("30s", "2m") within [lo, hi].
// Bare numbers are refused on purpose: "30" could mean seconds or
// nanoseconds, and guessing wrong silently breaks timeouts.
func durationSpec[T any](k Key, lo, hi time.Duration, field func(*T) *time.Duration) spec[T] {
	return spec[T]{
		key:  k,
		kind: kindDuration,
		set: func(t *T, v value) error {
			d, err := time.ParseDuration(strings.TrimSpace(v.text))
			if err != nil || d < lo || d > hi {
				return fmt.Errorf("not a duration from %s to %s (write it like 30s, 2m or 1h30m)", lo, hi)
			}
			*field(t) = d
			return nil
		},
		get: func(t *T) string { return field(t).String() },
	}
}

// boolSpec stores a switch: true, false, and the usual spellings of both
// (1/0, yes/no, on/off), in any case.
func boolSpec[T any](k Key, field func(*T) *bool) spec[T] {
	return spec[T]{
		key:  k,
		kind: kindBool,
		set: func(t *T, v value) error {
			switch strings.ToLower(strings.TrimSpace(v.text)) {
			case "true", "1", "yes", "on":
				*field(t) = true
			case "false", "0", "no", "off":
				*field(t) = false
			default:
				return errors.New("not a boolean (true or false)")
			}
			return nil
		},
		get: func(t *T) string { return strconv.FormatBool(*field(t)) },
	}
}

// listSpec stores a list. From text it is comma-separated; items are
// trimmed, empty items dropped, and each passes check (which may normalise).
func listSpec[T any](k Key, field func(*T) *[]string, check func(string) (string, error)) spec[T] {
	return spec[T]{
		key:  k,
		kind: kindList,
		set: func(t *T, v value) error {
			items := v.items
			if !v.array {
				items = strings.Split(v.text, ",")
			}
			var out []string
			for _, item := range items {
				item = strings.TrimSpace(item)
				if item == "" {
					continue
				}
				norm, err := check(item)
				if err != nil {
					return err
				}
				out = append(out, norm)
			}
			*field(t) = out
			return nil
		},
		get: func(t *T) string { return strings.Join(*field(t), ",") },
	}
}

// trimmed is the check of free-form strings.
func trimmed(s string) (string, error) { return strings.TrimSpace(s), nil }
