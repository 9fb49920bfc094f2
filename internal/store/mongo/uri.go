package mongo

import (
	"errors"
	"net/url"
	"strings"
)

// defaultDatabase is used when MONGO_URI names no database, as in the
// deployment guide's mongodb://mongo:27017/chat.
const defaultDatabase = "chat"

// DatabaseName returns the database a MongoDB URI names in its path, or
// "chat" when it names none.
func DatabaseName(uri string) (string, error) {
	rest, ok := cutScheme(uri)
	if !ok {
		return "", errors.New("not a mongodb:// or mongodb+srv:// URI")
	}
	rest, _, _ = cutAny(rest, "?#")
	// User info may hold '/' only percent-encoded, so the first '/' after
	// the last '@' starts the path.
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	_, path, found := cutAny(rest, "/")
	if !found || path == "" {
		return defaultDatabase, nil
	}
	if err := checkDatabaseName(path); err != nil {
		return "", err
	}
	return path, nil
}

// cutScheme strips "mongodb://" or "mongodb+srv://" from uri.
func cutScheme(uri string) (string, bool) {
	if rest, ok := strings.CutPrefix(uri, "mongodb://"); ok {
		return rest, true
	}
	return strings.CutPrefix(uri, "mongodb+srv://")
}

// cutAny splits s around the first of the bytes in chars.
func cutAny(s, chars string) (before, after string, found bool) {
	if i := strings.IndexAny(s, chars); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// checkDatabaseName decodes and checks the path of a URI as MongoDB would
// accept it as a database name. The name never appears in the error: it is
// part of a secret value.
func checkDatabaseName(path string) error {
	name, err := url.PathUnescape(path)
	if err != nil {
		return errors.New("the URI's database name is not validly percent-encoded")
	}
	if name != path || len(name) > 63 || strings.ContainsAny(name, `/\. "$*<>:|?`+"\x00") {
		return errors.New(`the URI's database name must be at most 63 characters, without any of /\. "$*<>:|?`)
	}
	return nil
}
