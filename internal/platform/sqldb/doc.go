// Package sqldb opens the SQL databases Portico's services keep their state
// in and applies their migrations.
//
// Two backends are supported behind one *DB: SQLite through the pure-Go
// modernc.org/sqlite driver (the embedded default, so CGO_ENABLED=0 builds
// keep working) and PostgreSQL through pgx's database/sql adapter.
//
// # One SQL text for both dialects
//
// Stores write their statements once with PostgreSQL's numbered placeholders
// ($1, $2, ...). The SQLite driver binds a parameter named $N to the N-th
// argument, and SQLite gives every occurrence of the same name the same
// slot, so the same text runs unchanged on both backends and no rebinding is
// needed (TestDollarPlaceholders holds the driver to that).
//
// # SQLite under concurrent writers
//
// SQLite allows one writer at a time. Every SQLite connection is opened with
// journal_mode=WAL (readers never block the writer), synchronous=NORMAL (safe
// in WAL mode; a power loss can lose the last commits but never corrupts),
// foreign_keys=ON, a busy_timeout, and _txlock=immediate, so that read-write
// transactions begin with BEGIN IMMEDIATE. The last setting is what prevents
// SQLITE_BUSY: a DEFERRED transaction that reads first and writes later must
// upgrade its lock, and when another connection has committed meanwhile
// SQLite fails the upgrade at once with SQLITE_BUSY (the busy handler is not
// consulted, because waiting cannot make the stale snapshot current). BEGIN
// IMMEDIATE takes the write lock up front, where busy_timeout does apply, so
// writers queue instead of failing. Read-only transactions
// (sql.TxOptions{ReadOnly: true}) still begin DEFERRED and run in parallel.
//
// Measured with 8 goroutines each running 200 read-then-insert transactions
// against one WAL file on a 2-core machine, pool of 10 connections, 5 s
// busy_timeout, three runs: with DEFERRED transactions 77 to 81 per cent of
// them failed with SQLITE_BUSY; with IMMEDIATE none failed, at 11 700 to
// 17 500 transactions per second. A single-connection pool also had no
// failures and wrote faster (18 600 to 27 000 per second), but it queues
// every read behind every write and behind every other read; the services'
// load is mostly reads (a session or API key lookup per request), so the
// pool with IMMEDIATE writers was chosen. TestSQLiteConcurrentWriters keeps
// the chosen setup honest. A dsn may still override any of these settings
// with its own query parameters (for example ?_txlock=deferred).
package sqldb
