/*
 * store.h: the SQLite store.  Owns SQLite: a versioned schema with
 * migrations (PRAGMA user_version), WAL, feed state, seen entries, hits and
 * the delivery outbox.  One transaction per fetched feed, so a crash loses
 * nothing committed and a feed that did not commit is fetched again.
 * Touches only its database file; no logging above debug.
 */
#ifndef STORE_H
#define STORE_H

#include "reewatch.h"
#include "util.h"

#define STORE_FILENAME		"reewatch.db"
#define STORE_BUSY_TIMEOUT_MS	5000

struct store;

/* What the store remembers about one feed (the caller owns the strings
 * and frees them with store_feed_state_done()). */
struct store_feed_state {
	bool known;			/* false: never seen; the rest is zero */
	int64_t id;
	char *current_url;		/* after permanent redirects, or NULL */
	char *etag;
	char *last_modified;
	int64_t last_attempt;
	int64_t last_success;
	long last_status;
	char *last_error;
	unsigned failures;		/* consecutive */
	int64_t next_poll;
	unsigned n_entries;
};

void store_feed_state_done(struct store_feed_state *s);

/* The outcome of one fetch of one feed, written in one transaction. */
struct store_update {
	const char *feed_name;
	const char *feed_url;		/* as configured */
	int64_t when;			/* time of the fetch (UTC seconds) */
	long status;			/* HTTP status, 0 when none */
	const char *error;		/* NULL on success */
	const char *etag;		/* validators to keep (NULL: keep old) */
	const char *last_modified;
	const char *permanent_url;	/* a 301/308 target, or NULL */
	const char *title;		/* the feed's own title, or NULL */
	int64_t next_poll;		/* 0: unknown */
	const struct entry *entries;	/* entries to store (new ones) */
	size_t n_entries;
	struct hit *const *hits;	/* hits[i]: the hits of entries[i] */
	const size_t *n_hits;
	char *const *channels;		/* outbox channels for notify hits */
};

/*
 * Open (create, migrate) the database at path.  Returns 0, or -EIO etc.
 * with SQLite's message in errbuf.  A database from a newer reewatch is
 * -EPROTO.
 */
int store_open(const char *path, char errbuf[ERRMSG_MAX], struct store **ret);
void store_close(struct store *s);
int store_schema_version(struct store *s);

/* SQLite's (or our) message for the last failed call on s, "" if none;
 * kept until another call fails. */
const char *store_errmsg(struct store *s);

int store_feed_get(struct store *s, const char *name,
    struct store_feed_state *ret);

/*
 * Which of entries[0..n) this feed has stored already (by key).  Fills
 * ret_known[i].  0 or <0.
 */
int store_entries_known(struct store *s, const char *feed_name,
    const struct entry *entries, size_t n, bool *ret_known);

/*
 * Write one fetch outcome: feed state, new entries (first_seen = when;
 * published = when where the feed gave no date), their hits, and one
 * pending delivery per notify hit and channel.  Entries or hits already
 * stored are skipped, never duplicated.  All or nothing.
 */
int store_feed_save(struct store *s, const struct store_update *u,
    unsigned *ret_new_entries, unsigned *ret_new_hits);

/* A hit as listed by the CLI (borrowed strings, valid during the call). */
struct store_hit_row {
	int64_t hit_id;
	const char *feed;
	const char *entry_id;		/* guid/id as given, else the key */
	const char *title;
	const char *link;
	int64_t published;
	int64_t created;
	const char *watchlist;
	const char *alert;
	const char *terms_json;		/* JSON array of names */
	const char *spans_json;		/* JSON array of [field,start,end,term] */
	int score;
	bool notify;
	const char *snippet;
};

typedef int (*store_hit_fn)(const struct store_hit_row *row, void *ctx);

/* Hits created at or after since (0: all), newest first.  The callback
 * may stop the walk by returning <0 (returned as is). */
int store_hits_list(struct store *s, int64_t since, store_hit_fn fn,
    void *ctx);

/* Counts for tests and the status line. */
int store_count(struct store *s, const char *table, int64_t *ret);

#endif
