/*
 * test-store.c: the SQLite store against real database files in a private
 * folder under /tmp (removed at the end).  A second, raw SQLite connection
 * looks at what the store wrote; nothing else is touched.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "reewatch.h"
#include "store.h"
#include "tap.h"
#include "util.h"

#define T0	INT64_C(1700000000)	/* 2023-11-14T22:13:20Z */
#define T1	(T0 + 3600)		/* first fetch */

static char tmpdir[] = "/tmp/test-store.XXXXXX";

/* The schema of version 1, as released, to test the migration path. */
static const char v1_sql[] =
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
	"CREATE INDEX deliveries_due ON deliveries(state, next_attempt);"
	"PRAGMA user_version = 1;";

static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

/* A raw connection, as a second process (or the sqlite3 CLI) would see. */
static sqlite3 *
raw_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		printf("# raw open %s: %s\n", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static int64_t
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (db && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		printf("# raw '%s': %s\n", sql, db ? sqlite3_errmsg(db) : "");
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row, malloc'd; NULL for SQL NULL. */
static char *
raw_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	if (db && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	else
		printf("# raw '%s': %s\n", sql, db ? sqlite3_errmsg(db) : "");
	sqlite3_finalize(st);
	return v;
}

static void
is_raw_str(sqlite3 *db, const char *sql, const char *want, const char *what)
{
	char *got = raw_text(db, sql);

	is_str(got, want, "%s", what);
	free(got);
}

static void
make_entry(struct entry *e, const char *id, const char *key,
    const char *title, int64_t published)
{
	memset(e, 0, sizeof(*e));
	e->id = xstrdup(id);
	e->key = xstrdup(key);
	e->link = key && startswith(key, "https://") ? xstrdup(key) :
	    xasprintf("https://tass.ru/ekonomika/%s", key ? key : "none");
	e->title.s = xstrdup(title);
	e->summary.s = xasprintf("Summary of: %s", title);
	e->published = published;
}

static void
make_hit(struct hit *h, const char *watchlist, const char *alert,
    const char *term0, const char *term1, int score, bool notify)
{
	memset(h, 0, sizeof(*h));
	h->watchlist = xstrdup(watchlist);
	h->alert = xstrdup(alert);
	(void)strv_push(&h->terms, xstrdup(term0));
	if (term1)
		(void)strv_push(&h->terms, xstrdup(term1));
	h->n_spans = term1 ? 2 : 1;
	h->spans = xcalloc(h->n_spans, sizeof(*h->spans));
	h->spans[0] = (struct hit_span){ HIT_FIELD_TITLE, 0, 14, 0 };
	if (term1)
		h->spans[1] = (struct hit_span){ HIT_FIELD_BODY, 12, 40, 1 };
	h->score = score;
	h->notify = notify;
	h->snippet = xasprintf("…%s…", term0);
}

/* The fixture: one feed fetch of TASS with three entries. */
struct fixture {
	struct entry e[3];
	struct hit *hits[3];
	size_t n_hits[3];
	char **channels;
};

static void
fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	make_entry(&f->e[0], "urn:tass:1", "urn:tass:1",
	    "Росатом и редкоземельные металлы", T0 - 60);
	(void)strv_push(&f->e[0].authors, xstrdup("Иван \"Ваня\" Петров"));
	(void)strv_push(&f->e[0].categories, xstrdup("Экономика"));
	(void)strv_push(&f->e[0].categories, xstrdup("REE\n\t\\"));
	/* No guid: listed by its key. */
	make_entry(&f->e[1], NULL, "https://tass.ru/ekonomika/2",
	    "Mendeleev Valley starts REE pilot", T0 - 3600);
	/* No date: published = time of the fetch. */
	make_entry(&f->e[2], "urn:tass:3", "urn:tass:3", "Weather", 0);

	f->n_hits[0] = 2;
	f->hits[0] = xcalloc(2, sizeof(struct hit));
	make_hit(&f->hits[0][0], "ree-russia", "Russian state actors on REE",
	    "Rosatom", "ree", 3, true);
	make_hit(&f->hits[0][1], "ree-elements", "any term", "ree", NULL, 1,
	    false);
	f->n_hits[1] = 1;
	f->hits[1] = xcalloc(1, sizeof(struct hit));
	make_hit(&f->hits[1][0], "ree-russia", "Russian state actors on REE",
	    "Mendeleev Valley", "ree", 3, true);
	(void)strv_push(&f->channels, xstrdup("desktop"));
	(void)strv_push(&f->channels, xstrdup("mail"));
}

static void
fixture_done(struct fixture *f)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		entry_done(&f->e[i]);
		hits_free(f->hits[i], f->n_hits[i]);
	}
	strv_free(f->channels);
}

static struct store_update
fixture_update(const struct fixture *f, int64_t when)
{
	return (struct store_update){
		.feed_name = "TASS (ru)",
		.feed_url = "https://tass.ru/rss/v2.xml",
		.when = when,
		.status = 200,
		.etag = "\"abc\"",
		.last_modified = "Tue, 14 Nov 2023 22:13:20 GMT",
		.title = "ТАСС",
		.next_poll = when + 600,
		.entries = f->e,
		.n_entries = 3,
		.hits = f->hits,
		.n_hits = f->n_hits,
		.channels = f->channels,
	};
}

static int64_t
count(struct store *s, const char *table)
{
	int64_t n = -1;

	if (store_count(s, table, &n) < 0)
		return -1;
	return n;
}

static void
is_counts(struct store *s, int64_t feeds, int64_t entries, int64_t hits,
    int64_t deliveries, const char *what)
{
	is_int(count(s, "feeds"), feeds, "%s: feeds", what);
	is_int(count(s, "entries"), entries, "%s: entries", what);
	is_int(count(s, "hits"), hits, "%s: hits", what);
	is_int(count(s, "deliveries"), deliveries, "%s: deliveries", what);
}

/* What store_hits_list() handed out, copied. */
struct listed {
	size_t n;
	size_t stop_after;		/* 0: never stop */
	char *alert[8];
	char *entry_id[8];
	char *feed[8];
	char *terms[8];
	int64_t created[8];
	int64_t published[8];
	bool notify[8];
};

static int
collect(const struct store_hit_row *row, void *ctx)
{
	struct listed *l = ctx;

	if (l->n < ELEMENTSOF(l->alert)) {
		l->alert[l->n] = xstrdup(row->alert);
		l->entry_id[l->n] = xstrdup(row->entry_id);
		l->feed[l->n] = xstrdup(row->feed);
		l->terms[l->n] = xstrdup(row->terms_json);
		l->created[l->n] = row->created;
		l->published[l->n] = row->published;
		l->notify[l->n] = row->notify;
	}
	l->n++;
	if (l->stop_after && l->n >= l->stop_after)
		return -ECANCELED;
	return 0;
}

static void
listed_done(struct listed *l)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(l->alert); i++) {
		free(l->alert[i]);
		free(l->entry_id[i]);
		free(l->feed[i]);
		free(l->terms[i]);
	}
	memset(l, 0, sizeof(*l));
}

static void
test_save(struct store *s, const char *path)
{
	struct fixture f;
	struct store_update u;
	struct store_feed_state st;
	struct hit extra;
	unsigned ne = 99, nh = 99;
	sqlite3 *raw;
	int r;

	fixture_init(&f);
	u = fixture_update(&f, T1);

	r = store_feed_get(s, "TASS (ru)", &st);
	ok(r == 0 && !st.known && st.id == 0 && !st.etag,
	    "a feed never saved is unknown");
	store_feed_state_done(&st);

	r = store_feed_save(s, &u, &ne, &nh);
	is_int(r, 0, "first save: %s", store_errmsg(s));
	is_int(ne, 3, "first save: 3 new entries");
	is_int(nh, 3, "first save: 3 new hits");
	/* 2 notify hits x 2 channels; the non-notify hit has none. */
	is_counts(s, 1, 3, 3, 4, "after the first save");

	r = store_feed_get(s, "TASS (ru)", &st);
	ok(r == 0 && st.known && st.id > 0, "the feed is known after a save");
	is_str(st.etag, "\"abc\"", "etag stored");
	is_str(st.last_modified, "Tue, 14 Nov 2023 22:13:20 GMT",
	    "Last-Modified stored");
	ok(st.current_url == NULL, "no permanent redirect yet");
	is_int(st.last_attempt, T1, "last attempt");
	is_int(st.last_success, T1, "last success");
	is_int(st.last_status, 200, "last status");
	ok(st.last_error == NULL, "no error");
	is_int(st.failures, 0, "no failures");
	is_int(st.next_poll, T1 + 600, "next poll");
	is_int(st.n_entries, 3, "entries counted in the feed state");
	store_feed_state_done(&st);

	/* The same fetch again: nothing new, nothing duplicated. */
	ne = nh = 99;
	u = fixture_update(&f, T1 + 600);
	r = store_feed_save(s, &u, &ne, &nh);
	is_int(r, 0, "second save of the same entries");
	ok(ne == 0 && nh == 0, "second save: no new entries nor hits "
	    "(%u, %u)", ne, nh);
	is_counts(s, 1, 3, 3, 4, "after the same save again");

	/* A new watchlist fires on an entry stored before. */
	make_hit(&extra, "prc-controls", "export controls", "export control",
	    NULL, 2, true);
	{
		struct hit *hits[1] = { &extra };
		size_t n_hits[1] = { 1 };

		u = fixture_update(&f, T1 + 1200);
		u.entries = &f.e[2];
		u.n_entries = 1;
		u.hits = hits;
		u.n_hits = n_hits;
		r = store_feed_save(s, &u, &ne, &nh);
	}
	is_int(r, 0, "save a new hit for an old entry");
	ok(ne == 0 && nh == 1, "the old entry is not new, its new hit is "
	    "(%u, %u)", ne, nh);
	is_counts(s, 1, 3, 4, 6, "after a new hit on an old entry");
	hit_done(&extra);

	/* What a second process sees. */
	raw = raw_open(path);
	is_raw_str(raw, "PRAGMA journal_mode", "wal",
	    "the database is in WAL mode");
	is_int(raw_int(raw, "SELECT published FROM entries"
	    " WHERE key = 'urn:tass:3'"), T1,
	    "an entry without a date is published when first seen");
	is_int(raw_int(raw, "SELECT published_given FROM entries"
	    " WHERE key = 'urn:tass:3'"), 0, "... and marked as such");
	is_int(raw_int(raw, "SELECT published + published_given * 1000000"
	    " FROM entries WHERE key = 'urn:tass:1'"), T0 - 60 + 1000000,
	    "a given date is kept and marked given");
	is_int(raw_int(raw, "SELECT count(*) FROM entries WHERE first_seen = "
	    "1700003600"), 3, "entries are first seen at the first fetch");
	is_int(raw_int(raw, "SELECT count(*) FROM hits WHERE"
	    " json_valid(terms) AND json_valid(spans)"), 4,
	    "terms and spans are valid JSON");
	is_int(raw_int(raw, "SELECT count(*) FROM entries WHERE"
	    " authors IS NULL OR json_valid(authors)"), 3,
	    "authors are valid JSON or NULL");
	is_raw_str(raw, "SELECT json_extract(authors, '$[0]') FROM entries"
	    " WHERE key = 'urn:tass:1'", "Иван \"Ваня\" Петров",
	    "an author with quotes round-trips through JSON");
	is_raw_str(raw, "SELECT json_extract(categories, '$[1]') FROM entries"
	    " WHERE key = 'urn:tass:1'", "REE\n\t\\",
	    "a category with control characters round-trips");
	is_raw_str(raw, "SELECT spans FROM hits WHERE alert ="
	    " 'Russian state actors on REE' ORDER BY id LIMIT 1",
	    "[[0,0,14,0],[1,12,40,1]]", "spans are [field,start,end,term]");
	is_raw_str(raw, "SELECT terms FROM hits WHERE alert = 'any term'",
	    "[\"ree\"]", "terms are a JSON array of names");
	is_int(raw_int(raw, "SELECT count(*) FROM deliveries WHERE"
	    " state = 'pending' AND attempts = 0 AND next_attempt = created"),
	    6, "deliveries are pending, due at once");
	is_int(raw_int(raw, "SELECT count(*) FROM deliveries d JOIN hits h"
	    " ON h.id = d.hit_id WHERE h.notify = 0"), 0,
	    "no delivery for a hit that does not notify");
	is_int(raw_int(raw, "SELECT count(DISTINCT channel) FROM deliveries"),
	    2, "one delivery per channel");
	sqlite3_close(raw);

	fixture_done(&f);
}

static void
test_known(struct store *s)
{
	struct entry e[4];
	bool known[4] = { false, true, false, true };
	int r;

	make_entry(&e[0], "urn:tass:1", "urn:tass:1", "a", 0);
	make_entry(&e[1], "urn:tass:99", "urn:tass:99", "b", 0);
	make_entry(&e[2], NULL, "https://tass.ru/ekonomika/2", "c", 0);
	make_entry(&e[3], NULL, NULL, "no key", 0);

	r = store_entries_known(s, "TASS (ru)", e, 4, known);
	is_int(r, 0, "entries_known");
	ok(known[0] && !known[1] && known[2] && !known[3],
	    "known by key: stored yes, new no, keyless no");
	memset(known, 1, sizeof(known));
	r = store_entries_known(s, "RBC", e, 4, known);
	ok(r == 0 && !known[0] && !known[1] && !known[2] && !known[3],
	    "an unknown feed knows no entry");
	for (r = 0; r < 4; r++)
		entry_done(&e[r]);
}

static void
test_failures(struct store *s)
{
	struct store_update u = {
		.feed_name = "TASS (ru)",
		.feed_url = "https://tass.ru/rss/v2.xml",
		.status = 503,
		.error = "HTTP 503",
	};
	struct store_feed_state st;
	unsigned ne = 1, nh = 1;
	int r;

	u.when = T1 + 3000;
	r = store_feed_save(s, &u, &ne, &nh);
	ok(r == 0 && ne == 0 && nh == 0, "save a failed fetch");
	u.when = T1 + 4000;
	u.next_poll = T1 + 5000;
	r = store_feed_save(s, &u, &ne, &nh);
	ok(r == 0, "save a second failed fetch");
	r = store_feed_get(s, "TASS (ru)", &st);
	is_int(r, 0, "feed state after failures");
	is_int(st.failures, 2, "consecutive failures counted");
	is_str(st.last_error, "HTTP 503", "last error kept");
	is_int(st.last_status, 503, "last status is the failure's");
	is_int(st.last_attempt, T1 + 4000, "last attempt is the failure");
	is_int(st.last_success, T1 + 1200, "last success is kept");
	is_str(st.etag, "\"abc\"", "validators kept when none given");
	is_str(st.last_modified, "Tue, 14 Nov 2023 22:13:20 GMT",
	    "Last-Modified kept when none given");
	is_int(st.next_poll, T1 + 5000, "next poll after back-off");
	is_int(st.n_entries, 3, "a failure loses no entries");
	store_feed_state_done(&st);

	/* Success through a permanent redirect. */
	u.when = T1 + 6000;
	u.status = 304;
	u.error = NULL;
	u.etag = "\"def\"";
	u.permanent_url = "https://tass.ru/rss/v3.xml";
	r = store_feed_save(s, &u, &ne, &nh);
	is_int(r, 0, "save a success after failures");
	r = store_feed_get(s, "TASS (ru)", &st);
	is_int(st.failures, 0, "failures reset on success");
	ok(st.last_error == NULL, "error cleared on success");
	is_int(st.last_success, T1 + 6000, "last success updated");
	is_int(st.last_status, 304, "last status 304");
	is_str(st.etag, "\"def\"", "a new etag replaces the old");
	is_str(st.last_modified, "Tue, 14 Nov 2023 22:13:20 GMT",
	    "Last-Modified kept when only an etag is given");
	is_str(st.current_url, "https://tass.ru/rss/v3.xml",
	    "a permanent redirect is remembered");
	store_feed_state_done(&st);

	/* A later fetch without redirect keeps the redirect target. */
	u.when = T1 + 7000;
	u.permanent_url = NULL;
	u.etag = NULL;
	r = store_feed_save(s, &u, &ne, &nh);
	r = r ? r : store_feed_get(s, "TASS (ru)", &st);
	is_int(r, 0, "save without redirect");
	is_str(st.current_url, "https://tass.ru/rss/v3.xml",
	    "the redirect target is kept");
	store_feed_state_done(&st);
}

static void
test_url_change(struct store *s)
{
	struct store_update u = {
		.feed_name = "TASS (ru)",
		.feed_url = "https://tass.com/rss/v2.xml",
		.when = T1 + 8000,
		.status = 200,
	};
	struct store_feed_state st;
	int r;

	r = store_feed_save(s, &u, NULL, NULL);
	r = r ? r : store_feed_get(s, "TASS (ru)", &st);
	is_int(r, 0, "save with a newly configured URL");
	ok(st.current_url == NULL && st.etag == NULL &&
	    st.last_modified == NULL,
	    "a new configured URL forgets the old redirect and validators");
	is_int(st.n_entries, 3, "... but keeps the entries");
	store_feed_state_done(&st);
}

static void
test_list(struct store *s)
{
	struct listed l = { 0 };
	int r;

	r = store_hits_list(s, 0, collect, &l);
	is_int(r, 0, "list all hits");
	is_int(l.n, 4, "four hits listed");
	/* Newest hit first, then by publication, then newest row. */
	is_str(l.alert[0], "export controls", "1st: the latest hit");
	is_str(l.entry_id[0], "urn:tass:3", "1st: the entry's guid");
	is_int(l.created[0], T1 + 1200, "1st: created at its fetch");
	is_int(l.published[0], T1, "1st: published when first seen");
	/* Stored first but published later than the 4th. */
	is_str(l.alert[1], "any term",
	    "2nd: the later hit of the entry published last");
	is_str(l.entry_id[1], "urn:tass:1", "2nd: its guid");
	is_int(l.published[1], T0 - 60, "2nd: its publication time");
	is_str(l.alert[2], "Russian state actors on REE",
	    "3rd: the earlier hit of the same entry");
	ok(!l.notify[1] && l.notify[2], "notify flags listed");
	is_str(l.alert[3], "Russian state actors on REE",
	    "4th: the hit of the entry published first");
	is_str(l.entry_id[3], "https://tass.ru/ekonomika/2",
	    "4th: an entry without guid is listed by its key");
	is_str(l.feed[3], "TASS (ru)", "the feed's name is listed");
	is_str(l.terms[2], "[\"Rosatom\",\"ree\"]", "terms listed as JSON");
	listed_done(&l);

	r = store_hits_list(s, T1 + 1200, collect, &l);
	ok(r == 0 && l.n == 1, "since: hits at or after it only (%zu)", l.n);
	listed_done(&l);
	r = store_hits_list(s, T1 + 1201, collect, &l);
	ok(r == 0 && l.n == 0, "since after the last hit: none");
	listed_done(&l);

	l.stop_after = 2;
	r = store_hits_list(s, 0, collect, &l);
	ok(r == -ECANCELED && l.n == 2,
	    "a callback stops the walk with its error");
	listed_done(&l);
	/* The statement is usable again after a stopped walk. */
	r = store_hits_list(s, 0, collect, &l);
	ok(r == 0 && l.n == 4, "listing again after a stop");
	listed_done(&l);
}

static void
test_rollback(struct store *s)
{
	struct fixture f;
	struct store_update u;
	struct store_feed_state before, after;
	unsigned ne = 7, nh = 7;
	char *good_watchlist;
	int r;

	/* A new feed whose third entry lacks a key. */
	fixture_init(&f);
	free(f.e[2].key);
	f.e[2].key = NULL;
	u = fixture_update(&f, T1 + 9000);
	u.feed_name = "Kommersant";
	u.feed_url = "https://www.kommersant.ru/RSS/news.xml";
	r = store_feed_save(s, &u, &ne, &nh);
	is_int(r, -EINVAL, "an entry without a key fails the save");
	ok(strstr(store_errmsg(s), "NOT NULL") != NULL,
	    "SQLite's message is kept: %s", store_errmsg(s));
	ok(ne == 7 && nh == 7, "counts not written on failure");
	is_counts(s, 1, 3, 4, 6, "nothing of a failed save is written");
	r = store_feed_get(s, "Kommersant", &before);
	ok(r == 0 && !before.known, "the feed of a failed save is unknown");
	store_feed_state_done(&before);

	/* A known feed: its state update is rolled back too. */
	r = store_feed_get(s, "TASS (ru)", &before);
	u.feed_name = "TASS (ru)";
	u.feed_url = "https://tass.com/rss/v2.xml";
	u.error = "HTTP 500";
	u.status = 500;
	r = r ? r : store_feed_save(s, &u, &ne, &nh);
	ok(r < 0, "a failing save of a known feed fails");
	r = store_feed_get(s, "TASS (ru)", &after);
	ok(r == 0 && after.failures == before.failures &&
	    after.last_attempt == before.last_attempt &&
	    after.last_error == NULL,
	    "the known feed's state is as before the failed save");
	store_feed_state_done(&before);
	store_feed_state_done(&after);

	/* A hit without a watchlist name, after good rows. */
	f.e[2].key = xstrdup("urn:kommersant:3");
	good_watchlist = f.hits[1][0].watchlist;
	f.hits[1][0].watchlist = NULL;
	u = fixture_update(&f, T1 + 9000);
	u.feed_name = "Kommersant";
	r = store_feed_save(s, &u, &ne, &nh);
	ok(r < 0, "a hit without a watchlist fails the save");
	is_counts(s, 1, 3, 4, 6, "nothing of it is written");
	f.hits[1][0].watchlist = good_watchlist;

	/* The store is usable after a rollback. */
	r = store_feed_save(s, &u, &ne, &nh);
	is_int(r, 0, "the corrected save succeeds");
	ok(ne == 3 && nh == 3, "... with all its entries and hits");
	is_counts(s, 2, 6, 7, 10, "after the corrected save");
	fixture_done(&f);
}

static void
test_count_allowlist(struct store *s)
{
	int64_t n = 42;

	is_int(store_count(s, "sqlite_master", &n), -EINVAL,
	    "count: a table outside the list is refused");
	is_int(store_count(s, "feeds; DROP TABLE feeds", &n), -EINVAL,
	    "count: no SQL reaches the database");
	is_int(store_count(s, NULL, &n), -EINVAL, "count: NULL refused");
	is_int(n, 42, "count: nothing written on failure");
	is_int(count(s, "feeds"), 2, "feeds still there");
}

static void
test_open_errors(void)
{
	char errbuf[ERRMSG_MAX] = "";
	struct store *s = NULL;
	char *path, *data = NULL;
	static const char garbage[] =
	    "<?xml version=\"1.0\"?><rss><channel>not a database, really"
	    "</channel></rss>\n";
	sqlite3 *raw;
	size_t len = 0;
	FILE *fp;
	int r;

	/* A database written by a newer reewatch. */
	path = tmp_path("newer.db");
	raw = raw_open(path);
	ok(raw && sqlite3_exec(raw, "CREATE TABLE future (x);"
	    "PRAGMA user_version = 99;", NULL, NULL, NULL) == SQLITE_OK,
	    "make a database of schema version 99");
	sqlite3_close(raw);
	r = store_open(path, errbuf, &s);
	is_int(r, -EPROTO, "a newer schema is refused");
	ok(startswith(errbuf, "database schema version 99 is newer than "
	    "this reewatch ("), "... saying so: %s", errbuf);
	ok(s == NULL, "... and returns no store");
	raw = raw_open(path);
	is_int(raw_int(raw, "PRAGMA user_version"), 99,
	    "... and leaves it untouched");
	sqlite3_close(raw);
	free(path);

	/* A file that is not a database. */
	path = tmp_path("garbage.db");
	fp = fopen(path, "w");
	ok(fp && fwrite(garbage, 1, sizeof(garbage) - 1, fp) ==
	    sizeof(garbage) - 1, "write a file that is not a database");
	if (fp)
		fclose(fp);
	errbuf[0] = '\0';
	r = store_open(path, errbuf, &s);
	is_int(r, -EBADMSG, "a file that is not a database is refused");
	ok(strstr(errbuf, "not a database") != NULL, "... saying so: %s",
	    errbuf);
	ok(s == NULL, "... and returns no store");
	r = read_file(path, 1 << 20, &data, &len);
	ok(r == 0 && len == sizeof(garbage) - 1 &&
	    memcmp(data, garbage, len) == 0,
	    "... and leaves the file as it was");
	free(data);
	free(path);

	/* A folder that does not exist. */
	path = tmp_path("no/such/folder/reewatch.db");
	errbuf[0] = '\0';
	r = store_open(path, errbuf, &s);
	is_int(r, -ENOENT, "a missing folder is -ENOENT");
	ok(strstr(errbuf, path) != NULL, "... naming the path: %s", errbuf);
	free(path);

	errbuf[0] = '\0';
	r = store_open("", errbuf, &s);
	ok(r == -EINVAL && errbuf[0], "an empty path is refused");
}

static void
test_migrate(int current)
{
	char errbuf[ERRMSG_MAX] = "";
	struct store *s = NULL;
	struct store_feed_state st;
	struct store_update u = {
		.feed_name = "Xinhua",
		.feed_url = "http://www.xinhuanet.com/english/rss/chinarss.xml",
		.when = T1,
		.status = 200,
	};
	char *path = tmp_path("v1.db");
	sqlite3 *raw;
	int r;

	raw = raw_open(path);
	r = raw ? sqlite3_exec(raw, v1_sql, NULL, NULL, NULL) : -1;
	r = r ? r : sqlite3_exec(raw, "INSERT INTO feeds (name, url, etag,"
	    " failures, created) VALUES ('Xinhua', 'http://x/', '\"v1\"', 4,"
	    " 1);"
	    "INSERT INTO entries (feed_id, key, published, published_given,"
	    " first_seen) VALUES (1, 'xinhua:1', 5, 1, 5);",
	    NULL, NULL, NULL);
	ok(r == 0, "make a version 1 database with data");
	sqlite3_close(raw);

	r = store_open(path, errbuf, &s);
	is_int(r, 0, "open a version 1 database: %s", errbuf);
	if (r < 0) {
		free(path);
		return;
	}
	is_int(store_schema_version(s), current,
	    "it is migrated to the current version");
	r = store_feed_get(s, "Xinhua", &st);
	ok(r == 0 && st.known && st.failures == 4 && st.n_entries == 1,
	    "data from version 1 survives the migration");
	is_str(st.etag, "\"v1\"", "... including validators");
	store_feed_state_done(&st);
	r = store_feed_save(s, &u, NULL, NULL);
	is_int(r, 0, "a migrated database takes new saves");
	store_close(s);

	raw = raw_open(path);
	is_int(raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE"
	    " name IN ('meta', 'feeds_next_poll')"), 2,
	    "version 2 objects exist after the migration");
	is_int(raw_int(raw, "SELECT count(*) FROM pragma_integrity_check"
	    " WHERE integrity_check = 'ok'"), 1,
	    "the migrated database passes integrity_check");
	sqlite3_close(raw);
	free(path);
}

/* store_search_each(): the titles it hands out, counted. */
struct found {
	size_t n;
	char *last;
};

static int
on_found(const struct store_entry_row *e, void *ctx)
{
	struct found *f = ctx;

	f->n++;
	free(f->last);
	f->last = xstrdup(e->title ? e->title : "");
	return 0;
}

/* How many entries the index finds for fts; *ret_title: the last one. */
static int64_t
search_count(struct store *s, const char *fts, char **ret_title)
{
	struct found f = { 0 };
	int r = store_search_each(s, fts, 0, on_found, &f);

	if (ret_title)
		*ret_title = f.last;
	else
		free(f.last);
	if (r < 0) {
		printf("# search '%s': %s\n", fts, store_errmsg(s));
		return r;
	}
	return (int64_t)f.n;
}

/*
 * The index passes FTS5's integrity-check (of the index itself) and holds
 * one row for each entry that is not waiting to be indexed.
 */
static bool
fts_consistent(sqlite3 *raw)
{
	int rc = sqlite3_exec(raw, "INSERT INTO entries_fts(entries_fts)"
	    " VALUES ('integrity-check')", NULL, NULL, NULL);
	int64_t indexed, want;

	if (rc != SQLITE_OK) {
		printf("# integrity-check: %s\n", sqlite3_errmsg(raw));
		return false;
	}
	indexed = raw_int(raw, "SELECT count(*) FROM entries_fts_docsize");
	want = raw_int(raw, "SELECT count(*) FROM entries WHERE id NOT IN"
	    " (SELECT id FROM entries_fts_pending)");
	if (indexed != want)
		printf("# %lld entries indexed, %lld expected\n",
		    (long long)indexed, (long long)want);
	return indexed == want;
}

/*
 * The search index is filled after the saves (store_fts_sync), and
 * store_search_each() catches up first; deleting or changing entries,
 * indexed or not yet, keeps the index right.
 */
static void
test_fts_deferred(void)
{
	char errbuf[ERRMSG_MAX] = "";
	struct store *s = NULL;
	struct fixture f;
	struct store_update u;
	char *path = tmp_path("fts.db"), *title = NULL;
	sqlite3 *raw;
	int r;

	r = store_open(path, errbuf, &s);
	is_int(r, 0, "fts: open: %s", errbuf);
	if (r < 0) {
		free(path);
		return;
	}
	fixture_init(&f);
	u = fixture_update(&f, T1);
	is_int(store_feed_save(s, &u, NULL, NULL), 0, "fts: save 3 entries");
	raw = raw_open(path);
	is_int(raw_int(raw, "SELECT count(*) FROM entries_fts_pending"), 3,
	    "saving leaves the 3 entries to be indexed later");
	is_int(search_count(s, "\"Росатом\"", &title), 1,
	    "a search indexes them first and finds the entry");
	is_str(title, "Росатом и редкоземельные металлы", "... that one");
	free(title);
	is_int(raw_int(raw, "SELECT count(*) FROM entries_fts_pending"), 0,
	    "nothing is left to index after a search");
	is_int(store_fts_sync(s, SIZE_MAX), 0, "store_fts_sync: nothing to do");

	/* A second feed: indexed in steps by store_fts_sync(). */
	u.feed_name = "TASS (en)";
	u.feed_url = "https://tass.com/rss/v2.xml";
	is_int(store_feed_save(s, &u, NULL, NULL), 0, "fts: save 3 more");
	is_int(store_fts_sync(s, 1), 1, "store_fts_sync(1) indexes one");
	is_int(store_fts_sync(s, SIZE_MAX), 2, "... and then the other two");
	is_int(search_count(s, "\"Mendeleev\"", NULL), 2,
	    "both feeds' entries are found");
	ok(fts_consistent(raw), "the index is consistent");

	/* Delete one indexed entry and one not yet indexed; change one. */
	u.feed_name = "Interfax";
	u.feed_url = "https://www.interfax.ru/rss.asp";
	is_int(store_feed_save(s, &u, NULL, NULL), 0, "fts: save 3 more");
	ok(sqlite3_exec(raw, "DELETE FROM entries WHERE key = 'urn:tass:3'"
	    " AND feed_id = (SELECT id FROM feeds WHERE name = 'TASS (en)');"
	    "DELETE FROM entries WHERE key = 'urn:tass:3'"
	    " AND feed_id = (SELECT id FROM feeds WHERE name = 'Interfax');"
	    "UPDATE entries SET title = 'Lovozero output doubles',"
	    " summary = NULL"
	    " WHERE key = 'urn:tass:1'"
	    " AND feed_id = (SELECT id FROM feeds WHERE name = 'TASS (ru)');",
	    NULL, NULL, NULL) == SQLITE_OK, "delete two entries, retitle one");
	is_int(search_count(s, "\"Weather\"", NULL), 1,
	    "a deleted entry is gone from the index, pending or not");
	is_int(search_count(s, "\"Lovozero\"", NULL), 1,
	    "a changed entry is found by its new text");
	is_int(search_count(s, "\"Росатом\"", NULL), 2,
	    "... and no longer by its old one");
	ok(fts_consistent(raw), "the index is still consistent");
	sqlite3_close(raw);
	store_close(s);
	fixture_done(&f);
	free(path);
}

/* A version 5 store (the index kept by an insert trigger) keeps its
 * index: it is not built again, and new entries are found too. */
static void
test_fts_migrate_v5(void)
{
	char errbuf[ERRMSG_MAX] = "";
	struct store *s = NULL;
	struct fixture f;
	struct store_update u;
	char *path = tmp_path("v5.db");
	sqlite3 *raw;
	int r;

	fixture_init(&f);
	u = fixture_update(&f, T1);
	r = store_open(path, errbuf, &s);
	if (r == 0)
		r = store_feed_save(s, &u, NULL, NULL);
	store_close(s);
	s = NULL;
	raw = raw_open(path);
	/* Back to version 5 as released: its triggers, a full index. */
	r = r ? r : sqlite3_exec(raw, "DROP TRIGGER entries_fts_ai;"
	    "DROP TRIGGER entries_fts_ad; DROP TRIGGER entries_fts_au;"
	    "DROP TABLE entries_fts_pending;"
	    "INSERT INTO entries_fts(entries_fts) VALUES ('rebuild');"
	    "CREATE TRIGGER entries_fts_ai AFTER INSERT ON entries BEGIN"
	    " INSERT INTO entries_fts(rowid, title, summary, content)"
	    " VALUES (new.id, new.title, new.summary, new.content); END;"
	    "CREATE TRIGGER entries_fts_ad AFTER DELETE ON entries BEGIN"
	    " INSERT INTO entries_fts(entries_fts, rowid, title, summary,"
	    " content) VALUES ('delete', old.id, old.title, old.summary,"
	    " old.content); END;"
	    "CREATE TRIGGER entries_fts_au AFTER UPDATE ON entries BEGIN"
	    " INSERT INTO entries_fts(entries_fts, rowid, title, summary,"
	    " content) VALUES ('delete', old.id, old.title, old.summary,"
	    " old.content);"
	    " INSERT INTO entries_fts(rowid, title, summary, content)"
	    " VALUES (new.id, new.title, new.summary, new.content); END;"
	    "PRAGMA user_version = 5;", NULL, NULL, NULL);
	ok(r == 0, "make a version 5 database with 3 indexed entries");
	sqlite3_close(raw);

	r = store_open(path, errbuf, &s);
	is_int(r, 0, "open a version 5 database: %s", errbuf);
	if (r < 0) {
		fixture_done(&f);
		free(path);
		return;
	}
	raw = raw_open(path);
	is_int(raw_int(raw, "SELECT count(*) FROM entries_fts_pending"), 0,
	    "its index is kept, not built again");
	u.feed_name = "Interfax";
	u.feed_url = "https://www.interfax.ru/rss.asp";
	is_int(store_feed_save(s, &u, NULL, NULL), 0,
	    "a migrated database takes new saves");
	ok(sqlite3_exec(raw, "DELETE FROM entries WHERE key = 'urn:tass:3'",
	    NULL, NULL, NULL) == SQLITE_OK,
	    "delete an indexed old entry and a new one not indexed yet");
	is_int(search_count(s, "\"Mendeleev\"", NULL), 2,
	    "old and new entries are found");
	is_int(search_count(s, "\"Weather\"", NULL), 0,
	    "the deleted ones are not");
	ok(fts_consistent(raw), "the index is consistent");
	sqlite3_close(raw);
	store_close(s);
	fixture_done(&f);
	free(path);
}

int
main(void)
{
	char errbuf[ERRMSG_MAX] = "";
	struct store *s = NULL;
	struct store_feed_state st;
	struct stat sb;
	char *path, *wal;
	sqlite3 *raw;
	int r, version;

	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	path = tmp_path(STORE_FILENAME);
	wal = xasprintf("%s-wal", path);

	r = store_open(path, errbuf, &s);
	is_int(r, 0, "create a new database: %s", errbuf);
	if (r < 0) {
		printf("Bail out! cannot open the store\n");
		return 1;
	}
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "the database file is private (0600)");
	ok(stat(wal, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "its WAL file is private too");
	version = store_schema_version(s);
	raw = raw_open(path);
	is_int(raw_int(raw, "PRAGMA user_version"), version,
	    "schema version is the file's user_version");
	ok(version >= 2, "at least 2 migrations applied (%d)", version);
	is_raw_str(raw, "PRAGMA journal_mode", "wal", "WAL mode is on");
	sqlite3_close(raw);

	test_save(s, path);
	test_known(s);
	test_failures(s);
	test_url_change(s);
	test_list(s);
	test_rollback(s);
	test_count_allowlist(s);

	/* Everything committed survives a close and a reopen. */
	store_close(s);
	s = NULL;
	r = store_open(path, errbuf, &s);
	is_int(r, 0, "reopen: %s", errbuf);
	if (r == 0) {
		is_counts(s, 2, 6, 7, 10, "after reopening");
		r = store_feed_get(s, "TASS (ru)", &st);
		ok(r == 0 && st.known && st.last_success == T1 + 8000 &&
		    st.n_entries == 3, "feed state survives a reopen");
		store_feed_state_done(&st);
		is_int(store_schema_version(s), version,
		    "reopening does not migrate again");
		store_close(s);
	}

	test_open_errors();
	test_migrate(version);
	test_fts_deferred();
	test_fts_migrate_v5();

	free(path);
	free(wal);
	tap_rmtree(tmpdir);
	return tap_done();
}
