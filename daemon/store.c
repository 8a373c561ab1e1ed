/*
 * store.c: the SQLite store: schema and migrations, feed state, seen
 * entries, hits and the delivery outbox, one transaction per fetched feed.
 * Must not log above debug nor touch anything but its database file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "reewatch.h"
#include "store.h"
#include "store-internal.h"
#include "util.h"

/*
 * Durability: WAL with synchronous=NORMAL.  A committed transaction is in
 * the WAL file before COMMIT returns, so a crash of reewatchd (even kill -9)
 * loses nothing committed.  Only a power loss or OS crash may roll back the
 * last transactions (never corrupt the file); such a feed is fetched again.
 */

/* Cap on one JSON column we build (terms, spans, authors, categories). */
#define STORE_JSON_MAX_BYTES	(4 * FIELD_MAX_BYTES)

/*
 * The schema, one step per version: migrations[i] takes user_version i to
 * i + 1, in one transaction.  Never edit a released step; append one.
 */
static const char *const migrations[] = {
	/* 1: the base schema. */
	"CREATE TABLE feeds ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" url TEXT NOT NULL,"
	" current_url TEXT,"
	" title TEXT,"
	" etag TEXT,"
	" last_modified TEXT,"
	" last_attempt INTEGER,"
	" last_success INTEGER,"
	" last_status INTEGER,"
	" last_error TEXT,"
	" failures INTEGER NOT NULL DEFAULT 0,"
	" next_poll INTEGER,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE entries ("
	" id INTEGER PRIMARY KEY,"
	" feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL,"
	" guid TEXT,"
	" link TEXT,"
	" title TEXT,"
	" summary TEXT,"
	" content TEXT,"
	" authors TEXT,"
	" categories TEXT,"
	" published INTEGER NOT NULL,"
	" published_given INTEGER NOT NULL,"
	" updated INTEGER,"
	" first_seen INTEGER NOT NULL,"
	" UNIQUE (feed_id, key));"
	"CREATE INDEX entries_first_seen ON entries(first_seen);"
	"CREATE INDEX entries_published ON entries(published);"
	"CREATE TABLE hits ("
	" id INTEGER PRIMARY KEY,"
	" entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,"
	" watchlist TEXT NOT NULL,"
	" alert TEXT NOT NULL,"
	" terms TEXT NOT NULL,"
	" spans TEXT NOT NULL,"
	" score INTEGER NOT NULL,"
	" notify INTEGER NOT NULL,"
	" snippet TEXT,"
	" created INTEGER NOT NULL,"
	" UNIQUE (entry_id, watchlist, alert));"
	"CREATE INDEX hits_created ON hits(created);"
	"CREATE TABLE deliveries ("
	" id INTEGER PRIMARY KEY,"
	" hit_id INTEGER NOT NULL REFERENCES hits(id) ON DELETE CASCADE,"
	" channel TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'done', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt INTEGER NOT NULL,"
	" last_error TEXT,"
	" done_at INTEGER,"
	" created INTEGER NOT NULL,"
	" UNIQUE (hit_id, channel));"
	"CREATE INDEX deliveries_due ON deliveries(state, next_attempt);",

	/*
	 * 2: a key/value table for small state that needs no table of its
	 * own (last digest period, ...), and the scheduler's "which feed is
	 * due next" index.
	 */
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY,"
	" value TEXT) WITHOUT ROWID;"
	"CREATE INDEX feeds_next_poll ON feeds(next_poll);",

	/*
	 * 3 (deliver): digests written (one row per period) and their mail,
	 * retried until sent; store-outbox.c.
	 */
	"CREATE TABLE digests ("
	" id INTEGER PRIMARY KEY,"
	" period_start INTEGER NOT NULL,"
	" period_end INTEGER NOT NULL,"
	" files TEXT,"
	" mail_state TEXT NOT NULL DEFAULT 'none'"
	"  CHECK (mail_state IN ('none', 'pending', 'done')),"
	" mail_attempts INTEGER NOT NULL DEFAULT 0,"
	" mail_next_attempt INTEGER,"
	" mail_last_error TEXT,"
	" created INTEGER NOT NULL,"
	" UNIQUE (period_start, period_end));"
	"CREATE INDEX digests_mail ON digests(mail_state, mail_next_attempt);",

	/*
	 * 4 (or next): the scheduler's hints from the last good document
	 * (RSS ttl, skipHours/skipDays), kept so a run of 304s honours them.
	 */
	"ALTER TABLE feeds ADD COLUMN ttl_min INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE feeds ADD COLUMN skip_hours INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE feeds ADD COLUMN skip_days INTEGER NOT NULL DEFAULT 0;",
	/*
	 * (search) entries_fts: a trigram FTS5 index over the entries' text
	 * for `reewatch search`, filled from the rows already there and kept
	 * in step by triggers; store-search.c.
	 */
	"CREATE VIRTUAL TABLE entries_fts USING fts5(title, summary, content,"
	" content='entries', content_rowid='id', tokenize='trigram');"
	"INSERT INTO entries_fts(entries_fts) VALUES ('rebuild');"
	"CREATE TRIGGER entries_fts_ai AFTER INSERT ON entries BEGIN"
	" INSERT INTO entries_fts(rowid, title, summary, content)"
	" VALUES (new.id, new.title, new.summary, new.content); END;"
	"CREATE TRIGGER entries_fts_ad AFTER DELETE ON entries BEGIN"
	" INSERT INTO entries_fts(entries_fts, rowid, title, summary, content)"
	" VALUES ('delete', old.id, old.title, old.summary, old.content); END;"
	"CREATE TRIGGER entries_fts_au AFTER UPDATE ON entries BEGIN"
	" INSERT INTO entries_fts(entries_fts, rowid, title, summary, content)"
	" VALUES ('delete', old.id, old.title, old.summary, old.content);"
	" INSERT INTO entries_fts(rowid, title, summary, content)"
	" VALUES (new.id, new.title, new.summary, new.content); END;",
	/*
	 * (cycle) entries_fts is filled later, not while a feed is saved:
	 * FTS5 writes its pending terms out as a new segment at the end of
	 * every statement, so the insert trigger made the index most of a
	 * first cycle's database time.  A new or changed entry's id goes to
	 * entries_fts_pending; store_fts_sync() indexes those (the service
	 * after each round, `reewatch search` before it reads the index).
	 * Deleting or changing an entry takes out of the index only what is
	 * in it.  Safe to run again: a store without the index gets it, its
	 * entries pending.
	 */
	"CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(title,"
	" summary, content, content='entries', content_rowid='id',"
	" tokenize='trigram');"
	"CREATE TABLE IF NOT EXISTS entries_fts_pending ("
	" id INTEGER PRIMARY KEY);"
	"INSERT OR IGNORE INTO entries_fts_pending (id) SELECT id FROM entries"
	" WHERE NOT EXISTS (SELECT 1 FROM entries_fts_docsize);"
	"DROP TRIGGER IF EXISTS entries_fts_ai;"
	"DROP TRIGGER IF EXISTS entries_fts_ad;"
	"DROP TRIGGER IF EXISTS entries_fts_au;"
	"CREATE TRIGGER entries_fts_ai AFTER INSERT ON entries BEGIN"
	" INSERT OR IGNORE INTO entries_fts_pending (id) VALUES (new.id); END;"
	"CREATE TRIGGER entries_fts_ad AFTER DELETE ON entries BEGIN"
	" INSERT INTO entries_fts(entries_fts, rowid, title, summary, content)"
	" SELECT 'delete', old.id, old.title, old.summary, old.content"
	" WHERE NOT EXISTS (SELECT 1 FROM entries_fts_pending"
	"  WHERE id = old.id);"
	" DELETE FROM entries_fts_pending WHERE id = old.id; END;"
	"CREATE TRIGGER entries_fts_au AFTER UPDATE ON entries BEGIN"
	" INSERT INTO entries_fts(entries_fts, rowid, title, summary, content)"
	" SELECT 'delete', old.id, old.title, old.summary, old.content"
	" WHERE NOT EXISTS (SELECT 1 FROM entries_fts_pending"
	"  WHERE id = old.id);"
	" DELETE FROM entries_fts_pending WHERE id = old.id;"
	" INSERT OR IGNORE INTO entries_fts_pending (id) VALUES (new.id); END;",
};

#define STORE_SCHEMA_VERSION ((int)ELEMENTSOF(migrations))

/* The statements prepared once at open. */
enum store_stmt {
	STORE_STMT_BEGIN,
	STORE_STMT_COMMIT,
	STORE_STMT_ROLLBACK,
	STORE_STMT_FEED_GET,
	STORE_STMT_FEED_ID,
	STORE_STMT_FEED_UPSERT,
	STORE_STMT_ENTRY_ID,
	STORE_STMT_ENTRY_INSERT,
	STORE_STMT_HIT_INSERT,
	STORE_STMT_DELIVERY_INSERT,
	STORE_STMT_HITS_LIST,
	STORE_STMT_COUNT_FEEDS,
	STORE_STMT_COUNT_ENTRIES,
	STORE_STMT_COUNT_HITS,
	STORE_STMT_COUNT_DELIVERIES,
	STORE_STMT_MAX
};

static const char *const stmt_sql[STORE_STMT_MAX] = {
	[STORE_STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STORE_STMT_COMMIT] = "COMMIT",
	[STORE_STMT_ROLLBACK] = "ROLLBACK",
	[STORE_STMT_FEED_GET] =
	    "SELECT id, current_url, etag, last_modified, last_attempt,"
	    " last_success, last_status, last_error, failures, next_poll,"
	    " (SELECT count(*) FROM entries WHERE entries.feed_id = feeds.id)"
	    " FROM feeds WHERE name = ?1",
	[STORE_STMT_FEED_ID] = "SELECT id FROM feeds WHERE name = ?1",
	/*
	 * ?1 name, ?2 url, ?3 permanent url, ?4 title, ?5 etag,
	 * ?6 last_modified, ?7 when, ?8 status, ?9 error, ?10 next_poll.
	 * A changed configured URL forgets the old redirect target and
	 * validators unless the update brings new ones.
	 */
	[STORE_STMT_FEED_UPSERT] =
	    "INSERT INTO feeds (name, url, current_url, title, etag,"
	    " last_modified, last_attempt, last_success, last_status,"
	    " last_error, failures, next_poll, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " CASE WHEN ?9 IS NULL THEN ?7 END, ?8, ?9, ?9 IS NOT NULL,"
	    " ?10, ?7)"
	    " ON CONFLICT (name) DO UPDATE SET"
	    " current_url = CASE"
	    "  WHEN excluded.current_url IS NOT NULL THEN excluded.current_url"
	    "  WHEN excluded.url IS NOT feeds.url THEN NULL"
	    "  ELSE feeds.current_url END,"
	    " etag = CASE"
	    "  WHEN excluded.etag IS NOT NULL THEN excluded.etag"
	    "  WHEN excluded.url IS NOT feeds.url THEN NULL"
	    "  ELSE feeds.etag END,"
	    " last_modified = CASE"
	    "  WHEN excluded.last_modified IS NOT NULL"
	    "   THEN excluded.last_modified"
	    "  WHEN excluded.url IS NOT feeds.url THEN NULL"
	    "  ELSE feeds.last_modified END,"
	    " url = excluded.url,"
	    " title = COALESCE(excluded.title, feeds.title),"
	    " last_attempt = excluded.last_attempt,"
	    " last_success = COALESCE(excluded.last_success,"
	    "  feeds.last_success),"
	    " last_status = excluded.last_status,"
	    " last_error = excluded.last_error,"
	    " failures = CASE WHEN excluded.last_error IS NULL THEN 0"
	    "  ELSE feeds.failures + 1 END,"
	    " next_poll = excluded.next_poll",
	[STORE_STMT_ENTRY_ID] =
	    "SELECT id FROM entries WHERE feed_id = ?1 AND key = ?2",
	/* DO NOTHING covers the uniqueness only: a NULL key still fails. */
	[STORE_STMT_ENTRY_INSERT] =
	    "INSERT INTO entries (feed_id, key, guid, link, title, summary,"
	    " content, authors, categories, published, published_given,"
	    " updated, first_seen)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
	    " ON CONFLICT (feed_id, key) DO NOTHING",
	[STORE_STMT_HIT_INSERT] =
	    "INSERT INTO hits (entry_id, watchlist, alert, terms, spans,"
	    " score, notify, snippet, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT (entry_id, watchlist, alert) DO NOTHING",
	[STORE_STMT_DELIVERY_INSERT] =
	    "INSERT INTO deliveries (hit_id, channel, next_attempt, created)"
	    " VALUES (?1, ?2, ?3, ?3)"
	    " ON CONFLICT (hit_id, channel) DO NOTHING",
	[STORE_STMT_HITS_LIST] =
	    "SELECT h.id, f.name, COALESCE(e.guid, e.key), e.title, e.link,"
	    " e.published, h.created, h.watchlist, h.alert, h.terms, h.spans,"
	    " h.score, h.notify, h.snippet"
	    " FROM hits h JOIN entries e ON e.id = h.entry_id"
	    " JOIN feeds f ON f.id = e.feed_id"
	    " WHERE h.created >= ?1"
	    " ORDER BY h.created DESC, e.published DESC, h.id DESC",
	[STORE_STMT_COUNT_FEEDS] = "SELECT count(*) FROM feeds",
	[STORE_STMT_COUNT_ENTRIES] = "SELECT count(*) FROM entries",
	[STORE_STMT_COUNT_HITS] = "SELECT count(*) FROM hits",
	[STORE_STMT_COUNT_DELIVERIES] = "SELECT count(*) FROM deliveries",
};

/* The tables store_count() answers for; nothing else reaches SQL. */
static const struct {
	const char *table;
	enum store_stmt stmt;
} count_tables[] = {
	{ "feeds", STORE_STMT_COUNT_FEEDS },
	{ "entries", STORE_STMT_COUNT_ENTRIES },
	{ "hits", STORE_STMT_COUNT_HITS },
	{ "deliveries", STORE_STMT_COUNT_DELIVERIES },
};


/* SQLite result code (extended or not) -> negative errno. */
static int
sqlite_errno(sqlite3 *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_CANTOPEN:
		if (db && sqlite3_system_errno(db) == ENOENT)
			return -ENOENT;
		return -EACCES;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_TOOBIG:
		return -EFBIG;
	case SQLITE_CONSTRAINT:
		/* A missing required value is the caller's bad input. */
		if (rc == SQLITE_CONSTRAINT_NOTNULL ||
		    rc == SQLITE_CONSTRAINT_CHECK)
			return -EINVAL;
		return -EEXIST;
	default:
		return -EIO;
	}
}

/* Keep SQLite's message for rc and return it as -errno. */
int
store_fail(struct store *s, int rc)
{
	(void)snprintf(s->errmsg, sizeof(s->errmsg), "%s",
	    sqlite3_errmsg(s->db));
	return sqlite_errno(s->db, rc);
}

int
store_failf(struct store *s, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return r;
}

void
store_stmt_done(sqlite3_stmt *st)
{
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

/* Step a statement that returns no row, then reset it. */
int
store_stmt_exec(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st), r = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_fail(s, rc);
	store_stmt_done(st);
	return r;
}

/* Step a statement that returns one integer, or none (*ret = 0, 0). */
int
store_stmt_int64(struct store *s, sqlite3_stmt *st, bool *ret_found, int64_t *ret)
{
	int rc = sqlite3_step(st), r = 0;

	if (rc == SQLITE_ROW) {
		*ret = sqlite3_column_int64(st, 0);
		*ret_found = true;
	} else {
		/* the outputs are set on failure too */
		*ret = 0;
		*ret_found = false;
		if (rc != SQLITE_DONE)
			r = store_fail(s, rc);
	}
	store_stmt_done(st);
	return r;
}

int
store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (!v)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Bind t, or NULL when t is 0 ("unknown"). */
int
store_bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, t);
}

char *
store_column_strdup(sqlite3_stmt *st, int i)
{
	return xstrdup((const char *)sqlite3_column_text(st, i));
}

int
store_rows_read(struct store *s, sqlite3_stmt *st, size_t size,
    void (*read_row)(sqlite3_stmt *st, void *row), void (*free_row)(void *row),
    void **ret, size_t *ret_n)
{
	char *v = NULL;
	size_t n = 0;
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xrealloc(v, (n + 1) * size);
		read_row(st, v + n * size);
		n++;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(s, rc);
	store_stmt_done(st);
	if (r < 0) {
		store_rows_free(v, n, size, free_row);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void
store_rows_free(void *v, size_t n, size_t size, void (*free_row)(void *row))
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free_row((char *)v + i * size);
	free(v);
}

/* Run the SQL of a whole step (several statements) with sqlite3_exec. */
static int
exec_sql(sqlite3 *db, const char *sql, char errbuf[ERRMSG_MAX])
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return 0;
	(void)snprintf(errbuf, ERRMSG_MAX, "%s", sqlite3_errmsg(db));
	return sqlite_errno(db, rc);
}

static int
user_version(sqlite3 *db, char errbuf[ERRMSG_MAX], int *ret)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int(st, 0);
	else {
		*ret = 0;	/* set on failure too */
		(void)snprintf(errbuf, ERRMSG_MAX, "%s", sqlite3_errmsg(db));
		r = sqlite_errno(db, rc);
	}
	(void)sqlite3_finalize(st);
	return r;
}

/*
 * Bring the schema to STORE_SCHEMA_VERSION, one transaction per step.
 * The version is read again under the write lock, so two processes opening
 * the same new database at once do not both migrate it.
 */
static int
migrate(sqlite3 *db, char errbuf[ERRMSG_MAX])
{
	char sql[64];
	int v, r;

	r = user_version(db, errbuf, &v);
	if (r < 0)
		return r;
	for (;;) {
		if (v > STORE_SCHEMA_VERSION) {
			(void)snprintf(errbuf, ERRMSG_MAX,
			    "database schema version %d is newer than this "
			    "reewatch (%d)", v, STORE_SCHEMA_VERSION);
			return -EPROTO;
		}
		if (v == STORE_SCHEMA_VERSION)
			return 0;
		r = exec_sql(db, "BEGIN IMMEDIATE", errbuf);
		if (r < 0)
			return r;
		r = user_version(db, errbuf, &v);
		if (r == 0 && v < STORE_SCHEMA_VERSION) {
			r = exec_sql(db, migrations[v], errbuf);
			(void)snprintf(sql, sizeof(sql),
			    "PRAGMA user_version = %d", v + 1);
			if (r == 0)
				r = exec_sql(db, sql, errbuf);
			if (r == 0)
				v++;
		}
		if (r == 0)
			r = exec_sql(db, "COMMIT", errbuf);
		if (r < 0) {
			if (!sqlite3_get_autocommit(db))
				(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL,
				    NULL);
			return r;
		}
	}
}

/*
 * Create the file with mode 0600 before SQLite does (it would use 0644),
 * so feed state and hits are not world-readable; SQLite gives its -wal and
 * -shm files the mode of the database.  An existing file is left as it is.
 */
static int
create_private(const char *path, char errbuf[ERRMSG_MAX])
{
	int fd;

	if (strcmp(path, ":memory:") == 0 || startswith(path, "file:"))
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		int r = -errno;

		(void)snprintf(errbuf, ERRMSG_MAX, "cannot open %s: %s", path,
		    strerror(-r));
		return r;
	}
	(void)close(fd);
	return 0;
}

static void
store_free(struct store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < STORE_STMT_MAX; i++)
		(void)sqlite3_finalize(s->stmt[i]);
	free(s->stmt);
	for (i = 0; i < s->n_cached; i++)
		(void)sqlite3_finalize(s->cached[i].stmt);
	free(s->cached);
	(void)sqlite3_close(s->db);
	free(s);
}

int
store_open(const char *path, char errbuf[ERRMSG_MAX], struct store **ret)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX;
	struct store *s;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc, r;

#ifdef SQLITE_OPEN_EXRESCODE
	flags |= SQLITE_OPEN_EXRESCODE;
#endif
	if (!path || !*path) {
		(void)snprintf(errbuf, ERRMSG_MAX, "no database path");
		return -EINVAL;
	}
	r = create_private(path, errbuf);
	if (r < 0)
		return r;

	s = xcalloc(1, sizeof(*s));
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	s->stmt = xcalloc(STORE_STMT_MAX, sizeof(*s->stmt));
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		if (!s->db) {
			(void)snprintf(errbuf, ERRMSG_MAX, "%s: %s", path,
			    sqlite3_errstr(rc));
			free(s);
			return -ENOMEM;
		}
		goto fail_sqlite;
	}
	(void)sqlite3_extended_result_codes(s->db, 1);
	(void)sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);

	/* The first read: a file that is not a database fails here. */
	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		(void)sqlite3_finalize(st);
		goto fail_sqlite;
	}
	/*
	 * The answer is the mode in effect: a file system without shared
	 * memory keeps the rollback journal, which is still crash-safe with
	 * synchronous=NORMAL, only slower.  So it is not an error.
	 */
	(void)sqlite3_finalize(st);

	r = exec_sql(s->db, "PRAGMA synchronous = NORMAL;"
	    "PRAGMA foreign_keys = ON;", errbuf);
	if (r < 0)
		goto fail;
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		(void)snprintf(errbuf, ERRMSG_MAX, "%s: database is read-only",
		    path);
		r = -EROFS;
		goto fail;
	}
	r = migrate(s->db, errbuf);
	if (r < 0)
		goto fail;

	for (i = 0; i < STORE_STMT_MAX; i++) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL);
		if (rc != SQLITE_OK)
			goto fail_sqlite;
	}
	*ret = s;
	return 0;

fail_sqlite:
	(void)snprintf(errbuf, ERRMSG_MAX, "%s", sqlite3_errmsg(s->db));
	r = sqlite_errno(s->db, rc);
fail:
	store_free(s);
	return r;
}

void
store_close(struct store *s)
{
	store_free(s);
}

const char *
store_errmsg(struct store *s)
{
	return s ? s->errmsg : "";
}

int
store_schema_version(struct store *s)
{
	char errbuf[ERRMSG_MAX];
	int v, r;

	r = user_version(s->db, errbuf, &v);
	if (r < 0)
		return store_failf(s, r, "%s", errbuf);
	return v;
}

void
store_feed_state_done(struct store_feed_state *st)
{
	if (!st)
		return;
	free(st->current_url);
	free(st->etag);
	free(st->last_modified);
	free(st->last_error);
	memset(st, 0, sizeof(*st));
}

int
store_feed_get(struct store *s, const char *name,
    struct store_feed_state *ret)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_FEED_GET];
	struct store_feed_state f = { .known = false };
	int rc;

	if (!name)
		return store_failf(s, -EINVAL, "no feed name");
	(void)store_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		f.known = true;
		f.id = sqlite3_column_int64(st, 0);
		f.current_url = store_column_strdup(st, 1);
		f.etag = store_column_strdup(st, 2);
		f.last_modified = store_column_strdup(st, 3);
		f.last_attempt = sqlite3_column_int64(st, 4);
		f.last_success = sqlite3_column_int64(st, 5);
		f.last_status = (long)sqlite3_column_int64(st, 6);
		f.last_error = store_column_strdup(st, 7);
		f.failures = (unsigned)sqlite3_column_int64(st, 8);
		f.next_poll = sqlite3_column_int64(st, 9);
		f.n_entries = (unsigned)sqlite3_column_int64(st, 10);
	} else if (rc != SQLITE_DONE) {
		int r = store_fail(s, rc);

		store_stmt_done(st);
		return r;
	}
	store_stmt_done(st);
	*ret = f;
	return 0;
}

static int
feed_id(struct store *s, const char *name, bool *ret_found, int64_t *ret)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_FEED_ID];

	(void)store_bind_text(st, 1, name);
	return store_stmt_int64(s, st, ret_found, ret);
}

static int
entry_id(struct store *s, int64_t feed, const char *key, bool *ret_found,
    int64_t *ret)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_ENTRY_ID];

	(void)sqlite3_bind_int64(st, 1, feed);
	(void)store_bind_text(st, 2, key);
	return store_stmt_int64(s, st, ret_found, ret);
}

int
store_entries_known(struct store *s, const char *feed_name,
    const struct entry *entries, size_t n, bool *ret_known)
{
	_cleanup_free_ bool *known = NULL;
	int64_t feed, id;
	bool found;
	size_t i;
	int r;

	if (!feed_name || (n && (!entries || !ret_known)))
		return store_failf(s, -EINVAL, "bad arguments");
	if (n == 0)
		return 0;
	known = xcalloc(n, sizeof(*known));
	r = feed_id(s, feed_name, &found, &feed);
	if (r < 0)
		return r;
	for (i = 0; found && i < n; i++) {
		if (!entries[i].key)
			continue;	/* could never have been stored */
		r = entry_id(s, feed, entries[i].key, &known[i], &id);
		if (r < 0)
			return r;
	}
	memcpy(ret_known, known, n * sizeof(*known));
	return 0;
}

/* JSON of a hit's spans: [[field,start,end,term],...], term an index. */
static int
json_add_spans(struct buf *b, const struct hit_span *spans, size_t n)
{
	size_t i;
	int r = buf_addc(b, '[');

	for (i = 0; r == 0 && i < n; i++)
		r = buf_printf(b, "%s[%d,%zu,%zu,%u]", i ? "," : "",
		    (int)spans[i].field, spans[i].start, spans[i].end,
		    spans[i].term);
	return r ? r : buf_addc(b, ']');
}

static int
save_feed_row(struct store *s, const struct store_update *u)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_FEED_UPSERT];

	(void)store_bind_text(st, 1, u->feed_name);
	(void)store_bind_text(st, 2, u->feed_url);
	(void)store_bind_text(st, 3, u->permanent_url);
	(void)store_bind_text(st, 4, u->title);
	(void)store_bind_text(st, 5, u->etag);
	(void)store_bind_text(st, 6, u->last_modified);
	(void)sqlite3_bind_int64(st, 7, u->when);
	if (u->status)
		(void)sqlite3_bind_int64(st, 8, u->status);
	(void)store_bind_text(st, 9, u->error);
	(void)store_bind_time(st, 10, u->next_poll);
	return store_stmt_exec(s, st);
}

/* Insert one entry, or find it; *ret_new tells which. */
static int
save_entry(struct store *s, const struct store_update *u, int64_t feed,
    const struct entry *e, int64_t *ret_id, bool *ret_new)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_ENTRY_INSERT];
	struct buf authors, categories;
	bool found;
	int r;

	buf_init(&authors, STORE_JSON_MAX_BYTES);
	buf_init(&categories, STORE_JSON_MAX_BYTES);
	r = e->authors ? json_add_strv(&authors, e->authors) : 0;
	if (r == 0 && e->categories)
		r = json_add_strv(&categories, e->categories);
	if (r < 0) {
		r = store_failf(s, r, "entry '%s': authors or categories too "
		    "long", e->key ? e->key : "");
		goto out;
	}
	(void)sqlite3_bind_int64(st, 1, feed);
	(void)store_bind_text(st, 2, e->key);
	(void)store_bind_text(st, 3, e->id);
	(void)store_bind_text(st, 4, e->link);
	(void)store_bind_text(st, 5, e->title.s);
	(void)store_bind_text(st, 6, e->summary.s);
	(void)store_bind_text(st, 7, e->content.s);
	(void)store_bind_text(st, 8, authors.data);
	(void)store_bind_text(st, 9, categories.data);
	(void)sqlite3_bind_int64(st, 10, e->published ? e->published : u->when);
	(void)sqlite3_bind_int(st, 11, e->published != 0);
	(void)store_bind_time(st, 12, e->updated);
	(void)sqlite3_bind_int64(st, 13, u->when);
	r = store_stmt_exec(s, st);
	if (r < 0)
		goto out;
	if (sqlite3_changes(s->db) > 0) {
		*ret_id = sqlite3_last_insert_rowid(s->db);
		*ret_new = true;
		goto out;
	}
	*ret_new = false;
	r = entry_id(s, feed, e->key, &found, ret_id);
	if (r == 0 && !found)
		r = store_failf(s, -EIO, "entry '%s' vanished", e->key);
out:
	buf_done(&authors);
	buf_done(&categories);
	return r;
}

/* Insert one hit (unless stored) and its deliveries; *ret_new if new. */
static int
save_hit(struct store *s, const struct store_update *u, int64_t entry,
    const struct hit *h, bool *ret_new)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_HIT_INSERT];
	struct buf terms, spans;
	int64_t id;
	size_t i;
	int r;

	buf_init(&terms, STORE_JSON_MAX_BYTES);
	buf_init(&spans, STORE_JSON_MAX_BYTES);
	r = json_add_strv(&terms, h->terms);
	if (r == 0 && h->n_spans && !h->spans)
		r = -EINVAL;
	if (r == 0)
		r = json_add_spans(&spans, h->spans, h->n_spans);
	if (r < 0) {
		r = store_failf(s, r, "hit '%s': bad or too many terms/spans",
		    h->alert ? h->alert : "");
		goto out;
	}
	(void)sqlite3_bind_int64(st, 1, entry);
	(void)store_bind_text(st, 2, h->watchlist);
	(void)store_bind_text(st, 3, h->alert);
	(void)store_bind_text(st, 4, terms.data);
	(void)store_bind_text(st, 5, spans.data);
	(void)sqlite3_bind_int(st, 6, h->score);
	(void)sqlite3_bind_int(st, 7, h->notify);
	(void)store_bind_text(st, 8, h->snippet);
	(void)sqlite3_bind_int64(st, 9, u->when);
	r = store_stmt_exec(s, st);
	if (r < 0)
		goto out;
	*ret_new = sqlite3_changes(s->db) > 0;
	if (!*ret_new || !h->notify || !u->channels)
		goto out;
	id = sqlite3_last_insert_rowid(s->db);
	st = s->stmt[STORE_STMT_DELIVERY_INSERT];
	for (i = 0; r == 0 && u->channels[i]; i++) {
		(void)sqlite3_bind_int64(st, 1, id);
		(void)store_bind_text(st, 2, u->channels[i]);
		(void)sqlite3_bind_int64(st, 3, u->when);
		r = store_stmt_exec(s, st);
	}
out:
	buf_done(&terms);
	buf_done(&spans);
	return r;
}

/* The body of store_feed_save(), inside the transaction. */
static int
save_locked(struct store *s, const struct store_update *u,
    unsigned *ret_new_entries, unsigned *ret_new_hits)
{
	unsigned new_entries = 0, new_hits = 0;
	int64_t feed, entry;
	bool found, new = false;
	size_t i, j, n;
	int r;

	r = save_feed_row(s, u);
	if (r < 0)
		return r;
	r = feed_id(s, u->feed_name, &found, &feed);
	if (r == 0 && !found)
		r = store_failf(s, -EIO, "feed '%s' vanished", u->feed_name);
	if (r < 0)
		return r;
	for (i = 0; i < u->n_entries; i++) {
		const struct hit *hits = u->hits ? u->hits[i] : NULL;

		n = u->n_hits ? u->n_hits[i] : 0;
		if (n && !hits)
			return store_failf(s, -EINVAL, "entry %zu: no hits "
			    "but a count of %zu", i, n);
		r = save_entry(s, u, feed, &u->entries[i], &entry, &new);
		if (r < 0)
			return r;
		new_entries += new;
		for (j = 0; j < n; j++) {
			r = save_hit(s, u, entry, &hits[j], &new);
			if (r < 0)
				return r;
			new_hits += new;
		}
	}
	*ret_new_entries = new_entries;
	*ret_new_hits = new_hits;
	return 0;
}

int
store_feed_save(struct store *s, const struct store_update *u,
    unsigned *ret_new_entries, unsigned *ret_new_hits)
{
	unsigned new_entries = 0, new_hits = 0;
	int r;

	if (!u || !u->feed_name || !u->feed_url ||
	    (u->n_entries && !u->entries))
		return store_failf(s, -EINVAL, "incomplete feed update");
	r = store_stmt_exec(s, s->stmt[STORE_STMT_BEGIN]);
	if (r < 0)
		return r;
	r = save_locked(s, u, &new_entries, &new_hits);
	if (r == 0)
		r = store_stmt_exec(s, s->stmt[STORE_STMT_COMMIT]);
	if (r < 0) {
		/* Some errors end the transaction by themselves. */
		if (!sqlite3_get_autocommit(s->db)) {
			sqlite3_stmt *st = s->stmt[STORE_STMT_ROLLBACK];

			(void)sqlite3_step(st);
			store_stmt_done(st);
		}
		return r;
	}
	if (ret_new_entries)
		*ret_new_entries = new_entries;
	if (ret_new_hits)
		*ret_new_hits = new_hits;
	return 0;
}

int
store_hits_list(struct store *s, int64_t since, store_hit_fn fn, void *ctx)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_HITS_LIST];
	struct store_hit_row row;
	int rc, r = 0;

	if (!fn)
		return store_failf(s, -EINVAL, "no callback");
	/* One cached statement: the callback must not list again. */
	if (s->listing)
		return store_failf(s, -EBUSY, "store_hits_list re-entered");
	s->listing = true;
	(void)sqlite3_bind_int64(st, 1, since > 0 ? since : INT64_MIN);
	for (;;) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			r = store_fail(s, rc);
			break;
		}
		row = (struct store_hit_row){
			.hit_id = sqlite3_column_int64(st, 0),
			.feed = (const char *)sqlite3_column_text(st, 1),
			.entry_id = (const char *)sqlite3_column_text(st, 2),
			.title = (const char *)sqlite3_column_text(st, 3),
			.link = (const char *)sqlite3_column_text(st, 4),
			.published = sqlite3_column_int64(st, 5),
			.created = sqlite3_column_int64(st, 6),
			.watchlist = (const char *)sqlite3_column_text(st, 7),
			.alert = (const char *)sqlite3_column_text(st, 8),
			.terms_json = (const char *)sqlite3_column_text(st, 9),
			.spans_json = (const char *)sqlite3_column_text(st, 10),
			.score = sqlite3_column_int(st, 11),
			.notify = sqlite3_column_int(st, 12) != 0,
			.snippet = (const char *)sqlite3_column_text(st, 13),
		};
		r = fn(&row, ctx);
		if (r < 0)
			break;
		r = 0;
	}
	store_stmt_done(st);
	s->listing = false;
	return r;
}

int
store_count(struct store *s, const char *table, int64_t *ret)
{
	size_t i;
	int64_t n;
	bool found;
	int r;

	for (i = 0; table && i < ELEMENTSOF(count_tables); i++) {
		if (strcmp(table, count_tables[i].table) != 0)
			continue;
		r = store_stmt_int64(s, s->stmt[count_tables[i].stmt], &found, &n);
		if (r < 0)
			return r;
		*ret = n;
		return 0;
	}
	return store_failf(s, -EINVAL, "no such table: %s",
	    table ? table : "(null)");
}

sqlite3_stmt *
store_stmt(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	for (i = 0; i < s->n_cached; i++)
		if (s->cached[i].sql == sql)
			return s->cached[i].stmt;
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL);
	if (rc != SQLITE_OK) {
		(void)store_fail(s, rc);
		(void)sqlite3_finalize(st);
		return NULL;
	}
	s->cached = xrealloc(s->cached, (s->n_cached + 1) *
	    sizeof(*s->cached));
	s->cached[s->n_cached].sql = sql;
	s->cached[s->n_cached].stmt = st;
	s->n_cached++;
	return st;
}

int
store_begin(struct store *s)
{
	return store_stmt_exec(s, s->stmt[STORE_STMT_BEGIN]);
}

int
store_commit(struct store *s)
{
	return store_stmt_exec(s, s->stmt[STORE_STMT_COMMIT]);
}

void
store_rollback(struct store *s)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_ROLLBACK];

	(void)sqlite3_step(st);
	store_stmt_done(st);
}
