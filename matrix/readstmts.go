package matrix

import (
	"context"
	"database/sql"
)

// readStmts is a queryer over the store (outside any transaction) that runs
// the pool's statements (stmtPool: each prepared once), for the reads asked
// for every room: a start looks up one state event of each room for the
// calls (a membership a previous run left) and reads their call members,
// 2,000 lookups with 1,000 rooms, and SQLite otherwise compiles the SQL at
// every call. Safe for concurrent use, as *sql.DB is.
type readStmts struct {
	db   *sql.DB
	pool *stmtPool
}

func newReadStmts(db *sql.DB, pool *stmtPool) *readStmts { return &readStmts{db: db, pool: pool} }

// stmt returns query prepared, or nil when it cannot be: the caller then
// runs it on the store directly, which reports the error.
func (r *readStmts) stmt(ctx context.Context, query string) *sql.Stmt {
	st, err := r.pool.get(ctx, query)
	if err != nil {
		return nil
	}
	return st
}

// ExecContext runs a statement (not cached: reads only are asked here).
func (r *readStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return r.db.ExecContext(ctx, query, args...)
}

// QueryContext runs a cached query (uncancelled, as in stmtCache).
func (r *readStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryContext(uncancelled(ctx), args...)
	}
	return r.db.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a cached one-row query.
func (r *readStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryRowContext(uncancelled(ctx), args...)
	}
	return r.db.QueryRowContext(ctx, query, args...)
}
