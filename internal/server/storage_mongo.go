package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chatboxhq/chatbox/internal/store/mongo"
)

// Index creation runs in the background, retried with this backoff until
// every index exists, so an unreachable database never blocks start-up.
const (
	indexRetryFirst = time.Second
	indexRetryMax   = 5 * time.Minute
)

// openMongo opens the MongoDB adapter of MONGO_URI. It does not wait for
// the database: readiness reports it until it answers.
func (a *App) openMongo(ctx context.Context) error {
	uri := a.cfg.Storage.MongoURI
	store, err := mongo.Open(ctx, uri)
	if err != nil {
		return fmt.Errorf("MONGO_URI: %w", err)
	}
	a.closers = append(a.closers, func() { _ = store.Close() })
	a.repo = a.metrics.InstrumentRepository(store)
	a.outbox = store.Outbox()
	db, _ := mongo.DatabaseName(uri) // Open checked it
	a.log.Info("storage ready", "adapter", "mongodb", "database", db)
	a.createIndexes(store)
	return nil
}

// createIndexes creates the adapter's indexes in the background and logs
// the outcome: the deployment guide's line once its four indexes exist,
// and a warning for each index that could not be created (then tried
// again later). Writes do not wait for this: the few indexes they rely on
// are created before the first write (see mongo.Store.Ping).
func (a *App) createIndexes(store *mongo.Store) {
	a.runUntilClose(func(ctx context.Context) {
		seedLogged := false
		wait := indexRetryFirst
		for {
			results := store.EnsureIndexes(ctx)
			if ctx.Err() != nil {
				return
			}
			failed := map[string]bool{}
			for _, r := range results {
				if r.Err != nil {
					failed[r.Name] = true
					a.log.Warn("MongoDB index not created; continuing without it and trying again later",
						"index", r.Name, "collection", r.Collection, "retry_in", wait, "err", r.Err)
				}
			}
			seed := mongo.SeedIndexes()
			if !seedLogged && !anyIn(failed, seed) {
				a.log.Info("MongoDB indexes created successfully", "indexes", "["+strings.Join(seed, ", ")+"]")
				seedLogged = true
			}
			if len(failed) == 0 {
				a.log.Debug("MongoDB indexes ready", "count", len(results))
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, indexRetryMax)
		}
	})
}

// anyIn reports whether any of names is in set.
func anyIn(set map[string]bool, names []string) bool {
	for _, n := range names {
		if set[n] {
			return true
		}
	}
	return false
}
