package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/store/mongo"
	"github.com/chatboxhq/chatbox/internal/store/sqlite"
)

// maintainedStore is a storage adapter as the operator commands use it.
type maintainedStore interface {
	chat.Repository
	chat.Maintenance
}

// sqliteScheme prefixes a SQLite database path given as a URL:
// sqlite://data/chatbox.db (relative) or sqlite:///var/lib/chatbox.db.
const sqliteScheme = "sqlite://"

// configuredStorage is the storage URL of cfg: MONGO_URI if set, else
// SQLITE_PATH, as serve chooses.
func configuredStorage(cfg *config.Config) string {
	if cfg.Storage.MongoURI != "" {
		return cfg.Storage.MongoURI
	}
	return sqliteScheme + cfg.Storage.SQLitePath
}

// openStore opens the adapter a storage URL names and checks that it
// answers. Errors name the adapter, never the URL (a MongoDB URI may hold
// a password).
func openStore(ctx context.Context, url string) (maintainedStore, error) {
	switch {
	case strings.HasPrefix(url, sqliteScheme):
		path := strings.TrimPrefix(url, sqliteScheme)
		if path == "" {
			return nil, errors.New("sqlite:// needs a database path, e.g. sqlite://data/chatbox.db")
		}
		return sqlite.Open(ctx, path)
	case strings.HasPrefix(url, "mongodb://"), strings.HasPrefix(url, "mongodb+srv://"):
		s, err := mongo.Open(ctx, url)
		if err != nil {
			return nil, err
		}
		if err := s.Ping(ctx); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("MongoDB does not answer: %w", err)
		}
		return s, nil
	default:
		return nil, errors.New("a storage URL is sqlite://PATH or mongodb://HOST[:PORT]/DATABASE")
	}
}

// storageName describes a storage URL for messages without its secrets.
func storageName(url string) string {
	if strings.HasPrefix(url, sqliteScheme) {
		return url
	}
	db, err := mongo.DatabaseName(url)
	if err != nil {
		return "MongoDB"
	}
	return "MongoDB database " + db
}
