package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// probesCollection holds the one document readiness rewrites to prove the
// database accepts writes. Instances share it: concurrent probes may
// overwrite each other's time, which is harmless, since what matters is that
// the write was acknowledged.
const probesCollection = "readiness_probes"

// writeProbeID is the _id of that document.
const writeProbeID = "write-probe"

// probeWrite proves that the server accepts writes, which a ping cannot
// show: a primary that stepped down without a successor, a read-only or
// full disk, a user without write rights, a locked database. Readiness must
// turn red then, or the load balancer keeps sending users to an instance
// that can acknowledge nothing. It writes with the client's write concern
// (the URI's w=, majority by default on replica sets), so a primary that
// cannot reach a majority fails it too.
func (s *Store) probeWrite(ctx context.Context) error {
	filter := bson.D{{Key: "_id", Value: writeProbeID}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "at", Value: time.Now().UTC()}}}}
	_, err := s.db.Collection(probesCollection).UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("write probe: %w", contextFirst(ctx, err))
	}
	return nil
}
