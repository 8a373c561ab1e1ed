/*
 * store-outbox.c: the queries of the delivery outbox (due, done, retry)
 * and of the digests table (recorded periods, their mail and its retries),
 * plus what a digest shows: a period's hits, terms per day, failing feeds.
 * Part of the store module: touches only the database, logs nothing.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "store-internal.h"

/* The columns of delivery_read() after the delivery's own five. */
#define HIT_COLUMNS \
	" f.name, e.title, e.link, h.watchlist, h.alert, h.terms," \
	" h.snippet, h.score, e.published, h.created, h.spans, e.summary," \
	" e.content"
#define DELIVERY_SELECT \
	"SELECT d.id, d.hit_id, d.channel, d.attempts, d.last_error," \
	HIT_COLUMNS " FROM deliveries d JOIN hits h ON h.id = d.hit_id" \
	" JOIN entries e ON e.id = h.entry_id" \
	" JOIN feeds f ON f.id = e.feed_id"

static const char sql_due[] =
	DELIVERY_SELECT
	" WHERE d.state = 'pending' AND d.next_attempt <= ?1"
	" AND (?2 IS NULL OR d.channel = ?2)"
	" ORDER BY h.created, d.id LIMIT ?3";
static const char sql_recent[] =
	DELIVERY_SELECT
	" WHERE d.state = 'done' AND d.done_at >= ?1"
	" AND (?2 IS NULL OR d.channel = ?2)"
	" ORDER BY h.created DESC, d.id LIMIT ?3";
static const char sql_done[] =
	"UPDATE deliveries SET state = 'done', done_at = ?2, last_error = ?3"
	" WHERE id = ?1";
static const char sql_retry[] =
	"UPDATE deliveries SET attempts = attempts + 1, next_attempt = ?2,"
	" last_error = ?3 WHERE id = ?1 AND state = 'pending'";
static const char sql_pending[] =
	"SELECT count(*), min(next_attempt) FROM deliveries"
	" WHERE state = 'pending'";
static const char sql_digest_add[] =
	"INSERT INTO digests (period_start, period_end, files, mail_state,"
	" mail_next_attempt, created) VALUES (?1, ?2, ?3,"
	" CASE WHEN ?4 THEN 'pending' ELSE 'none' END, ?5, ?5)"
	" ON CONFLICT (period_start, period_end) DO UPDATE SET"
	" files = excluded.files,"
	" mail_state = CASE WHEN ?4 THEN 'pending' ELSE digests.mail_state END,"
	" mail_next_attempt = excluded.mail_next_attempt"
	" RETURNING id";
static const char sql_digest_due[] =
	"SELECT id, period_start, period_end, files, mail_attempts,"
	" mail_last_error FROM digests"
	" WHERE mail_state = 'pending' AND mail_next_attempt <= ?1"
	" ORDER BY period_end";
static const char sql_digest_mailed[] =
	"UPDATE digests SET mail_state = 'done', mail_last_error = NULL"
	" WHERE id = ?1";
static const char sql_digest_retry[] =
	"UPDATE digests SET mail_attempts = mail_attempts + 1,"
	" mail_next_attempt = ?2, mail_last_error = ?3 WHERE id = ?1";
static const char sql_digest_last[] =
	"SELECT max(period_end) FROM digests";
static const char sql_digest_pending[] =
	"SELECT count(*), min(mail_next_attempt) FROM digests"
	" WHERE mail_state = 'pending'";
static const char sql_hits_max[] = "SELECT max(id) FROM hits";
static const char sql_digest_find[] =
	"SELECT id FROM digests WHERE period_start = ?1 AND period_end = ?2";
/* Hits of a period in the columns of sql_due (no delivery: ids are the
 * hit's, channel NULL), grouped for the digest. */
static const char sql_period_hits[] =
	"SELECT h.id, h.id, NULL, 0, NULL,"
	HIT_COLUMNS " FROM hits h JOIN entries e ON e.id = h.entry_id"
	" JOIN feeds f ON f.id = e.feed_id"
	" WHERE h.created >= ?1 AND h.created < ?2"
	" ORDER BY h.watchlist, h.alert, h.created, h.id LIMIT ?3";
static const char sql_hit_terms[] =
	"SELECT created, terms FROM hits WHERE created >= ?1 AND created < ?2";
static const char sql_feeds_failing[] =
	"SELECT name, last_error, failures, last_success, last_status,"
	" last_attempt FROM feeds WHERE failures > 0 OR last_error IS NOT NULL"
	" ORDER BY failures DESC, name";

/* One row of DELIVERY_SELECT's columns (or sql_period_hits'). */
static void
delivery_read(sqlite3_stmt *st, void *row)
{
	*(struct store_delivery *)row = (struct store_delivery){
		.id = sqlite3_column_int64(st, 0),
		.hit_id = sqlite3_column_int64(st, 1),
		.channel = store_column_strdup(st, 2),
		.attempts = (unsigned)sqlite3_column_int(st, 3),
		.last_error = store_column_strdup(st, 4),
		.feed = store_column_strdup(st, 5),
		.title = store_column_strdup(st, 6),
		.link = store_column_strdup(st, 7),
		.watchlist = store_column_strdup(st, 8),
		.alert = store_column_strdup(st, 9),
		.terms_json = store_column_strdup(st, 10),
		.snippet = store_column_strdup(st, 11),
		.score = sqlite3_column_int(st, 12),
		.published = sqlite3_column_int64(st, 13),
		.created = sqlite3_column_int64(st, 14),
		.spans_json = store_column_strdup(st, 15),
		.summary = store_column_strdup(st, 16),
		.content = store_column_strdup(st, 17),
	};
}

static void
delivery_free(void *row)
{
	struct store_delivery *d = row;

	free(d->channel);
	free(d->last_error);
	free(d->feed);
	free(d->title);
	free(d->link);
	free(d->watchlist);
	free(d->alert);
	free(d->terms_json);
	free(d->snippet);
	free(d->spans_json);
	free(d->summary);
	free(d->content);
}

void
store_deliveries_free(struct store_delivery *d, size_t n)
{
	store_rows_free(d, n, sizeof(*d), delivery_free);
}

/* Read the rows of st (columns as in sql_due); st is bound already. */
static int
deliveries_read(struct store *s, sqlite3_stmt *st,
    struct store_delivery **ret, size_t *ret_n)
{
	void *v;
	int r;

	r = store_rows_read(s, st, sizeof(**ret), delivery_read,
	    delivery_free, &v, ret_n);
	if (r == 0)
		*ret = v;
	return r;
}

static int
deliveries_list(struct store *s, const char *sql, const char *channel,
    int64_t t, size_t max, struct store_delivery **ret, size_t *ret_n)
{
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, t);
	(void)store_bind_text(st, 2, channel);
	(void)sqlite3_bind_int64(st, 3, (int64_t)max);
	return deliveries_read(s, st, ret, ret_n);
}

int
store_deliveries_due(struct store *s, const char *channel, int64_t now,
    size_t max, struct store_delivery **ret, size_t *ret_n)
{
	return deliveries_list(s, sql_due, channel, now, max, ret, ret_n);
}

int
store_deliveries_recent(struct store *s, const char *channel, int64_t since,
    size_t max, struct store_delivery **ret, size_t *ret_n)
{
	return deliveries_list(s, sql_recent, channel, since, max, ret, ret_n);
}

/* Run sql with ?1 = id, ?2 = a time, ?3 = a text (NULL allowed). */
static int
exec_id_time_text(struct store *s, const char *sql, int64_t id, int64_t t,
    const char *text)
{
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_int64(st, 2, t);
	(void)store_bind_text(st, 3, text);
	return store_stmt_exec(s, st);
}

int
store_delivery_done(struct store *s, int64_t id, int64_t now,
    const char *note)
{
	return exec_id_time_text(s, sql_done, id, now, note);
}

int
store_delivery_retry(struct store *s, int64_t id, int64_t next_attempt,
    const char *error)
{
	return exec_id_time_text(s, sql_retry, id, next_attempt, error);
}

/* One row of two integers (count, min) where min may be NULL (0). */
static int
count_min(struct store *s, const char *sql, int64_t *ret_n,
    int64_t *ret_min)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc, r = 0;

	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (ret_n)
			*ret_n = sqlite3_column_int64(st, 0);
		if (ret_min)
			*ret_min = sqlite3_column_int64(st, 1);
	} else
		r = store_fail(s, rc);
	store_stmt_done(st);
	return r;
}

int
store_deliveries_pending(struct store *s, int64_t *ret_n, int64_t *ret_next)
{
	return count_min(s, sql_pending, ret_n, ret_next);
}

static void
digest_read(sqlite3_stmt *st, void *row)
{
	*(struct store_digest *)row = (struct store_digest){
		.id = sqlite3_column_int64(st, 0),
		.start = sqlite3_column_int64(st, 1),
		.end = sqlite3_column_int64(st, 2),
		.files = store_column_strdup(st, 3),
		.attempts = (unsigned)sqlite3_column_int(st, 4),
		.last_error = store_column_strdup(st, 5),
	};
}

static void
digest_free(void *row)
{
	struct store_digest *d = row;

	free(d->files);
	free(d->last_error);
}

void
store_digests_free(struct store_digest *d, size_t n)
{
	store_rows_free(d, n, sizeof(*d), digest_free);
}

int
store_digest_add(struct store *s, int64_t start, int64_t end,
    const char *files, bool mail, int64_t now, int64_t *ret_id)
{
	sqlite3_stmt *st = store_stmt(s, sql_digest_add);
	int64_t id;
	bool found;
	int r;

	if (!st)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, start);
	(void)sqlite3_bind_int64(st, 2, end);
	(void)store_bind_text(st, 3, files);
	(void)sqlite3_bind_int(st, 4, mail);
	(void)sqlite3_bind_int64(st, 5, now);
	r = store_stmt_int64(s, st, &found, &id);
	if (r == 0 && ret_id)
		*ret_id = id;
	return r;
}

int
store_digests_mail_due(struct store *s, int64_t now,
    struct store_digest **ret, size_t *ret_n)
{
	sqlite3_stmt *st = store_stmt(s, sql_digest_due);
	void *v;
	int r;

	if (!st)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, now);
	r = store_rows_read(s, st, sizeof(**ret), digest_read, digest_free,
	    &v, ret_n);
	if (r == 0)
		*ret = v;
	return r;
}

int
store_digest_mailed(struct store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, sql_digest_mailed);

	if (!st)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	return store_stmt_exec(s, st);
}

int
store_digest_mail_retry(struct store *s, int64_t id, int64_t next,
    const char *error)
{
	return exec_id_time_text(s, sql_digest_retry, id, next, error);
}

int
store_digest_last_end(struct store *s, int64_t *ret)
{
	return count_min(s, sql_digest_last, ret, NULL);
}

int
store_digest_mail_pending(struct store *s, int64_t *ret_n, int64_t *ret_next)
{
	return count_min(s, sql_digest_pending, ret_n, ret_next);
}

int
store_hits_max_id(struct store *s, int64_t *ret)
{
	return count_min(s, sql_hits_max, ret, NULL);
}

int
store_digest_find(struct store *s, int64_t start, int64_t end,
    int64_t *ret_id)
{
	sqlite3_stmt *st = store_stmt(s, sql_digest_find);
	int64_t id = 0;
	bool found = false;
	int r;

	if (!st)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, start);
	(void)sqlite3_bind_int64(st, 2, end);
	r = store_stmt_int64(s, st, &found, &id);
	if (r < 0)
		return r;
	if (ret_id)
		*ret_id = found ? id : 0;
	return found ? 1 : 0;
}

int
store_period_hits(struct store *s, int64_t start, int64_t end, size_t max,
    struct store_delivery **ret, size_t *ret_n)
{
	sqlite3_stmt *st = store_stmt(s, sql_period_hits);

	if (!st)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, start);
	(void)sqlite3_bind_int64(st, 2, end);
	(void)sqlite3_bind_int64(st, 3, (int64_t)max);
	return deliveries_read(s, st, ret, ret_n);
}

int
store_hit_terms(struct store *s, int64_t since, int64_t until,
    store_hit_terms_fn fn, void *ctx)
{
	sqlite3_stmt *st = store_stmt(s, sql_hit_terms);
	int rc, r = 0;

	if (!st)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, since);
	(void)sqlite3_bind_int64(st, 2, until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = fn(sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1), ctx);
		if (r < 0)
			break;
		r = 0;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_fail(s, rc);
	store_stmt_done(st);
	return r;
}

static void
feed_problem_read(sqlite3_stmt *st, void *row)
{
	*(struct store_feed_problem *)row = (struct store_feed_problem){
		.name = store_column_strdup(st, 0),
		.error = store_column_strdup(st, 1),
		.failures = (unsigned)sqlite3_column_int(st, 2),
		.last_success = sqlite3_column_int64(st, 3),
		.last_status = (long)sqlite3_column_int64(st, 4),
		.last_attempt = sqlite3_column_int64(st, 5),
	};
}

static void
feed_problem_free(void *row)
{
	struct store_feed_problem *p = row;

	free(p->name);
	free(p->error);
}

void
store_feed_problems_free(struct store_feed_problem *p, size_t n)
{
	store_rows_free(p, n, sizeof(*p), feed_problem_free);
}

int
store_feed_problems(struct store *s, struct store_feed_problem **ret,
    size_t *ret_n)
{
	sqlite3_stmt *st = store_stmt(s, sql_feeds_failing);
	void *v;
	int r;

	if (!st)
		return -EIO;
	r = store_rows_read(s, st, sizeof(**ret), feed_problem_read,
	    feed_problem_free, &v, ret_n);
	if (r == 0)
		*ret = v;
	return r;
}
