package matrix

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// stmtPool keeps the statements the sync transactions and the store's
// reads (readStmts) use prepared on the store for the client's life:
// SQLite compiles SQL at every call otherwise, and a sync of one message
// would compile each statement it runs (most of its store time). A statement prepared on the database is handed to a
// transaction with Tx.StmtContext, which reuses what was prepared on the
// transaction's connection and prepares it there once when it was not.
type stmtPool struct {
	db     *sql.DB
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	closed bool
}

func newStmtPool(db *sql.DB) *stmtPool { return &stmtPool{db: db, stmts: map[string]*sql.Stmt{}} }

// get returns query prepared on the database, preparing it the first time.
func (p *stmtPool) get(ctx context.Context, query string) (*sql.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts[query]; ok {
		return st, nil
	}
	if p.closed {
		return nil, fmt.Errorf("preparing a statement: %w", sql.ErrConnDone)
	}
	st, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("preparing a statement: %w", err)
	}
	p.stmts[query] = st
	return st, nil
}

// close releases the statements; the store closes after it.
func (p *stmtPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, st := range p.stmts {
		_ = st.Close()
		delete(p.stmts, q)
	}
	p.closed = true
}

// stmtCache is a queryer over one transaction that runs the pool's
// statements in it: applying an initial sync runs the same few statements
// hundreds of thousands of times.
type stmtCache struct {
	tx    *sql.Tx
	pool  *stmtPool
	stmts map[string]*sql.Stmt
}

func newStmtCache(tx *sql.Tx, pool *stmtPool) *stmtCache {
	return &stmtCache{tx: tx, pool: pool, stmts: map[string]*sql.Stmt{}}
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if c.pool != nil {
		dbStmt, err := c.pool.get(ctx, query)
		if err != nil {
			return nil, err
		}
		st = c.tx.StmtContext(ctx, dbStmt)
	} else {
		var err error
		if st, err = c.tx.PrepareContext(ctx, query); err != nil {
			return nil, fmt.Errorf("preparing a statement: %w", err)
		}
	}
	c.stmts[query] = st
	return st, nil
}

// uncancelled is ctx for one statement of a transaction: the SQLite
// driver runs each statement given a context that can be cancelled on a
// goroutine of its own, to interrupt it (and database/sql watches each
// such query's rows on another), so every statement cost two goroutine
// hand-overs: in the profile of a cold start, more scheduler work than
// the statements' own. A statement here takes microseconds; the
// transaction still ends when ctx is cancelled.
func uncancelled(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// ExecContext runs a cached statement.
func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(uncancelled(ctx), args...)
}

// QueryContext runs a cached query.
func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(uncancelled(ctx), args...)
}

// QueryRowContext runs a cached one-row query. A failure to prepare shows
// in Scan, as database/sql does.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return c.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(uncancelled(ctx), args...)
}

// close releases the transaction's handles on the statements (the
// statements stay prepared in the pool).
func (c *stmtCache) close() {
	for _, st := range c.stmts {
		st.Close()
	}
}
