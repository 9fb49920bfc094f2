package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// writeQueries lists the SQL of the write path, prepared once per Store on
// its writer connection. These statements are short, and parsing one costs
// about as much as running it; preparing them once takes that cost off every
// append.
func writeQueries() []string {
	return []string{
		dupQuery,
		getSessionQuery,
		insertSessionQuery,
		advanceSeqQuery,
		insertMessageQuery,
		setModelQuery,
		endSessionQuery,
	}
}

// prepareStatements prepares writeQueries on db. The map is never written
// after this returns, so concurrent transactions may read it.
func prepareStatements(ctx context.Context, db *sql.DB) (map[string]*sql.Stmt, error) {
	stmts := make(map[string]*sql.Stmt)
	for _, q := range writeQueries() {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("prepare: %w", err), closeStatements(stmts))
		}
		stmts[q] = st
	}
	return stmts, nil
}

func closeStatements(stmts map[string]*sql.Stmt) error {
	var errs []error
	for _, st := range stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// writeTx is a write transaction in progress. Its QueryRowContext and
// ExecContext run a prepared statement when the query is one of
// writeQueries, and prepare the query on the spot otherwise, so call sites
// read as plain database/sql.
type writeTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	// wrote is set once a statement run through ExecContext changed a
	// row, so a commit of it proves storage writable (see probe.go).
	wrote bool
}

// QueryRowContext runs a query expected to return at most one row.
func (w *writeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := w.stmts[query]; ok {
		// The writer pool has one connection, on which st was prepared,
		// so this binds st to the transaction without preparing again.
		return w.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return w.tx.QueryRowContext(ctx, query, args...)
}

// ExecContext runs a statement that returns no rows.
func (w *writeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var (
		r   sql.Result
		err error
	)
	if st, ok := w.stmts[query]; ok {
		r, err = w.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	} else {
		r, err = w.tx.ExecContext(ctx, query, args...)
	}
	if err == nil && !w.wrote {
		if n, nerr := r.RowsAffected(); nerr == nil && n > 0 {
			w.wrote = true
		}
	}
	return r, err
}
