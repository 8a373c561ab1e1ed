/*
 * store-search.c: reading stored entries back for the matcher (backtest,
 * search: narrowed by the entries_fts trigram index) and the stored hits
 * of one watchlist; the upkeep of that index.  Touches the database
 * through the store's cached statements; writes only entries_fts and
 * entries_fts_pending.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "store-internal.h"

static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/*
 * Walk the rows of a bound entry query (the columns of ENTRY_COLUMNS),
 * calling fn for each; fn's non-zero return stops the walk and is
 * returned.  Resets st.
 */
static int
entries_walk(struct store *s, sqlite3_stmt *st, store_entry_fn fn, void *ctx)
{
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_entry_row e;

		e.id = sqlite3_column_int64(st, 0);
		e.feed = col(st, 1);
		e.guid = col(st, 2);
		e.link = col(st, 3);
		e.title = col(st, 4);
		e.summary = col(st, 5);
		e.content = col(st, 6);
		e.published = sqlite3_column_int64(st, 7);
		r = fn(&e, ctx);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_fail(s, rc);
	store_stmt_done(st);
	return r;
}

#define ENTRY_COLUMNS \
	"SELECT e.id, f.name, e.guid, e.link, e.title, e.summary," \
	" e.content, e.published FROM entries e" \
	" JOIN feeds f ON f.id = e.feed_id"

int
store_entries_each(struct store *s, int64_t since, store_entry_fn fn,
    void *ctx)
{
	static const char sql[] = ENTRY_COLUMNS
	    " WHERE e.first_seen >= ?1 ORDER BY e.id";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return -EIO;
	if (sqlite3_bind_int64(st, 1, since) != SQLITE_OK) {
		store_stmt_done(st);
		return store_fail(s, SQLITE_ERROR);
	}
	return entries_walk(s, st, fn, ctx);
}

/* Index the first n pending entries in one transaction; *ret_done: how
 * many there were (0: none left). */
static int
fts_sync_batch(struct store *s, int64_t n, int64_t *ret_done)
{
	static const char batch_sql[] =
	    "SELECT count(*), max(id) FROM (SELECT id FROM entries_fts_pending"
	    " ORDER BY id LIMIT ?1)";
	static const char index_sql[] =
	    "INSERT INTO entries_fts (rowid, title, summary, content)"
	    " SELECT e.id, e.title, e.summary, e.content"
	    " FROM entries_fts_pending p JOIN entries e ON e.id = p.id"
	    " WHERE p.id <= ?1";
	static const char done_sql[] =
	    "DELETE FROM entries_fts_pending WHERE id <= ?1";
	sqlite3_stmt *batch = store_stmt(s, batch_sql);
	sqlite3_stmt *index = store_stmt(s, index_sql);
	sqlite3_stmt *done = store_stmt(s, done_sql);
	int64_t count = 0, last = 0;
	int rc, r;

	if (!batch || !index || !done)
		return -EIO;
	r = store_begin(s);
	if (r < 0)
		return r;
	(void)sqlite3_bind_int64(batch, 1, n);
	rc = sqlite3_step(batch);
	if (rc == SQLITE_ROW) {
		count = sqlite3_column_int64(batch, 0);
		last = sqlite3_column_int64(batch, 1);
	} else
		r = store_fail(s, rc);
	store_stmt_done(batch);
	if (r == 0 && count > 0) {
		(void)sqlite3_bind_int64(index, 1, last);
		r = store_stmt_exec(s, index);
	}
	if (r == 0 && count > 0) {
		(void)sqlite3_bind_int64(done, 1, last);
		r = store_stmt_exec(s, done);
	}
	if (r == 0)
		r = store_commit(s);
	if (r < 0) {
		if (!sqlite3_get_autocommit(s->db))
			store_rollback(s);
		return r;
	}
	*ret_done = count;
	return 0;
}

int
store_fts_sync(struct store *s, size_t max)
{
	size_t total = 0;
	int64_t n;
	int r;

	while (total < max && total < INT32_MAX) {
		size_t want = max - total;

		if (want > STORE_FTS_BATCH)
			want = STORE_FTS_BATCH;
		r = fts_sync_batch(s, (int64_t)want, &n);
		if (r < 0)
			return r;
		if (n == 0)
			break;
		total += (size_t)n;
	}
	return total > INT32_MAX ? INT32_MAX : (int)total;
}

int
store_search_each(struct store *s, const char *fts, int64_t since,
    store_entry_fn fn, void *ctx)
{
	static const char sql[] = ENTRY_COLUMNS
	    " WHERE e.first_seen >= ?1 AND e.id IN"
	    " (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?2)"
	    " ORDER BY e.id";
	sqlite3_stmt *st;
	int r;

	if (!fts)
		return store_entries_each(s, since, fn, ctx);
	/* The entries saved since the index was last brought up to date. */
	r = store_fts_sync(s, SIZE_MAX);
	if (r < 0)
		return r;
	st = store_stmt(s, sql);
	if (!st)
		return -EIO;
	if (sqlite3_bind_int64(st, 1, since) != SQLITE_OK ||
	    store_bind_text(st, 2, fts) != SQLITE_OK) {
		store_stmt_done(st);
		return store_fail(s, SQLITE_ERROR);
	}
	return entries_walk(s, st, fn, ctx);
}

static void
hit_key_read(sqlite3_stmt *st, void *row)
{
	struct store_hit_key *k = row;
	const char *t = col(st, 2), *f = col(st, 3);

	k->entry_id = sqlite3_column_int64(st, 0);
	k->alert = xstrdup(col(st, 1) ? col(st, 1) : "");
	k->title = t ? xstrdup(t) : NULL;
	k->feed = xstrdup(f ? f : "");
}

static void
hit_key_free(void *row)
{
	struct store_hit_key *k = row;

	free(k->alert);
	free(k->title);
	free(k->feed);
}

int
store_hit_keys(struct store *s, const char *watchlist, int64_t since,
    struct store_hit_key **ret, size_t *ret_n)
{
	static const char sql[] =
	    "SELECT h.entry_id, h.alert, e.title, f.name FROM hits h"
	    " JOIN entries e ON e.id = h.entry_id"
	    " JOIN feeds f ON f.id = e.feed_id"
	    " WHERE h.watchlist = ?1 AND e.first_seen >= ?2"
	    " ORDER BY h.entry_id, h.alert";
	sqlite3_stmt *st = store_stmt(s, sql);
	void *v;
	int r;

	if (!st)
		return -EIO;
	if (store_bind_text(st, 1, watchlist) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, since) != SQLITE_OK) {
		store_stmt_done(st);
		return store_fail(s, SQLITE_ERROR);
	}
	r = store_rows_read(s, st, sizeof(**ret), hit_key_read, hit_key_free,
	    &v, ret_n);
	if (r == 0)
		*ret = v;
	return r;
}

void
store_hit_keys_free(struct store_hit_key *v, size_t n)
{
	store_rows_free(v, n, sizeof(*v), hit_key_free);
}
