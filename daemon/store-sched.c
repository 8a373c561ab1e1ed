/*
 * store-sched.c: the store's part of scheduling and feed health: the
 * server's hints kept per feed (ttl, skipHours, skipDays), and a feed's
 * usual publishing gap from its entries' dates.  Touches only the
 * database; no logging above debug.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"

/* Entries looked at for the usual gap: the newest this many. */
#define HEALTH_ENTRIES	21

int
store_feed_hints_set(struct store *s, const char *name,
    const struct store_feed_hints *h)
{
	static const char sql[] = "UPDATE feeds SET ttl_min = ?2,"
	    " skip_hours = ?3, skip_days = ?4 WHERE name = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return -EIO;
	(void)store_bind_text(st, 1, name);
	(void)sqlite3_bind_int64(st, 2, h->ttl_min);
	(void)sqlite3_bind_int64(st, 3, h->skip_hours);
	(void)sqlite3_bind_int64(st, 4, h->skip_days);
	return store_stmt_exec(s, st);
}

int
store_feed_hints_get(struct store *s, const char *name,
    struct store_feed_hints *ret)
{
	static const char sql[] = "SELECT ttl_min, skip_hours, skip_days"
	    " FROM feeds WHERE name = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc, r = 0;

	memset(ret, 0, sizeof(*ret));
	if (!st)
		return -EIO;
	(void)store_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ret->ttl_min = (unsigned)sqlite3_column_int64(st, 0);
		ret->skip_hours = (uint32_t)sqlite3_column_int64(st, 1);
		ret->skip_days = (uint8_t)sqlite3_column_int64(st, 2);
	} else if (rc != SQLITE_DONE)
		r = store_fail(s, rc);
	store_stmt_done(st);
	return r;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int
store_feed_health(struct store *s, const char *name, int64_t now,
    struct store_feed_health *ret)
{
	static const char sql_dates[] = "SELECT e.published FROM entries e"
	    " JOIN feeds f ON f.id = e.feed_id"
	    " WHERE f.name = ?1 AND e.published_given"
	    " ORDER BY e.published DESC LIMIT 21";
	static const char sql_last[] = "SELECT max(e.first_seen) FROM entries e"
	    " JOIN feeds f ON f.id = e.feed_id WHERE f.name = ?1";
	int64_t dates[HEALTH_ENTRIES], gaps[HEALTH_ENTRIES];
	sqlite3_stmt *st;
	size_t n = 0, ng = 0, i;
	bool found;
	int rc, r;

	memset(ret, 0, sizeof(*ret));
	st = store_stmt(s, sql_dates);
	if (!st)
		return -EIO;
	(void)store_bind_text(st, 1, name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < HEALTH_ENTRIES)
		dates[n++] = sqlite3_column_int64(st, 0);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = store_fail(s, rc);
		store_stmt_done(st);
		return r;
	}
	store_stmt_done(st);

	st = store_stmt(s, sql_last);
	if (!st)
		return -EIO;
	(void)store_bind_text(st, 1, name);
	r = store_stmt_int64(s, st, &found, &ret->last_new);
	if (r < 0)
		return r;

	/* dates are newest first; the gaps between neighbours. */
	for (i = 1; i < n; i++)
		if (dates[i - 1] > dates[i])
			gaps[ng++] = dates[i - 1] - dates[i];
	if (ng < 2)
		return 0;	/* too little to know a habit */
	qsort(gaps, ng, sizeof(gaps[0]), cmp_i64);
	ret->usual_gap_sec = gaps[ng / 2];
	/* Judged by when we last saw something new, not by feed dates. */
	if (ret->usual_gap_sec > 0 && ret->last_new > 0)
		ret->silent = now - ret->last_new >
		    STORE_SILENT_GAPS * ret->usual_gap_sec;
	return 0;
}

void
store_release_memory(struct store *s)
{
	if (s)
		(void)sqlite3_db_release_memory(s->db);
}
