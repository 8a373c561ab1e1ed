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
#define STORE_FTS_BATCH		2000	/* entries indexed per transaction */

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

/* ---- store-outbox.c: the delivery outbox and digests (deliver) ---- */

/* One pending delivery with its hit (owned; store_deliveries_free()). */
struct store_delivery {
	int64_t id;
	int64_t hit_id;
	char *channel;
	unsigned attempts;
	char *last_error;
	char *feed;			/* the feed's name */
	char *title;
	char *link;
	char *watchlist;
	char *alert;
	char *terms_json;
	char *snippet;
	int score;
	int64_t published;
	int64_t created;		/* of the hit */
	char *spans_json;
	char *summary;			/* the entry's display text */
	char *content;
};

void store_deliveries_free(struct store_delivery *d, size_t n);

/* Pending deliveries of channel (NULL: all) due at now, oldest first, at
 * most max.  The array is the caller's. */
int store_deliveries_due(struct store *s, const char *channel, int64_t now,
    size_t max, struct store_delivery **ret, size_t *ret_n);
/* Deliveries of channel done since (newest first, at most max): what was
 * already said, so a story arriving late is not told again. */
int store_deliveries_recent(struct store *s, const char *channel,
    int64_t since, size_t max, struct store_delivery **ret, size_t *ret_n);
/* Sent (or deliberately skipped, with a note): never tried again. */
int store_delivery_done(struct store *s, int64_t id, int64_t now,
    const char *note);
/* Failed: attempts + 1, stays pending until next_attempt. */
int store_delivery_retry(struct store *s, int64_t id, int64_t next_attempt,
    const char *error);
/* Pending deliveries: how many, the earliest next attempt (0: none). */
int store_deliveries_pending(struct store *s, int64_t *ret_n,
    int64_t *ret_next);

/* A digest period recorded once written; mail = true queues its mail. */
struct store_digest {
	int64_t id;
	int64_t start, end;
	char *files;			/* newline-separated paths */
	unsigned attempts;
	char *last_error;
};

void store_digests_free(struct store_digest *d, size_t n);
/* Record (or re-record) the digest of [start, end). */
int store_digest_add(struct store *s, int64_t start, int64_t end,
    const char *files, bool mail, int64_t now, int64_t *ret_id);
int store_digests_mail_due(struct store *s, int64_t now,
    struct store_digest **ret, size_t *ret_n);
int store_digest_mailed(struct store *s, int64_t id);
int store_digest_mail_retry(struct store *s, int64_t id, int64_t next,
    const char *error);
/* The latest end of a recorded period (0: none yet). */
int store_digest_last_end(struct store *s, int64_t *ret);
/* Pending digest mails and the earliest next attempt (0: none). */
int store_digest_mail_pending(struct store *s, int64_t *ret_n,
    int64_t *ret_next);
/* The largest hit id (0: no hits); tells when the Atom file is stale. */
int store_hits_max_id(struct store *s, int64_t *ret);
/* Is [start, end) recorded?  1 (with its id), 0 no, or <0. */
int store_digest_find(struct store *s, int64_t start, int64_t end,
    int64_t *ret_id);
/* Hits created in [start, end) as store_delivery rows (id = hit_id,
 * channel NULL), by watchlist, alert, time; at most max. */
int store_period_hits(struct store *s, int64_t start, int64_t end,
    size_t max, struct store_delivery **ret, size_t *ret_n);
/* Each hit created in [since, until): its time and terms (JSON array of
 * names, borrowed for the call).  fn's <0 stops the walk. */
typedef int (*store_hit_terms_fn)(int64_t created, const char *terms_json,
    void *ctx);
int store_hit_terms(struct store *s, int64_t since, int64_t until,
    store_hit_terms_fn fn, void *ctx);
/* Feeds whose last fetch failed, most consecutive failures first. */
struct store_feed_problem {
	char *name;
	char *error;
	unsigned failures;
	int64_t last_success;		/* 0: never */
	long last_status;
	int64_t last_attempt;
};
void store_feed_problems_free(struct store_feed_problem *p, size_t n);
int store_feed_problems(struct store *s, struct store_feed_problem **ret,
    size_t *ret_n);

/* ---- store-sched.c: scheduling hints and feed health (reewatchd) ---- */

struct store_feed_hints {
	unsigned ttl_min;		/* RSS <ttl>, 0: none */
	uint32_t skip_hours;		/* bit h: skip hour h UTC */
	uint8_t skip_days;		/* bit d: skip day d, 0 = Sunday */
};

/* Keep the hints of the feed's last good document (the feed's row must
 * exist: call after store_feed_save()). */
int store_feed_hints_set(struct store *s, const char *name,
    const struct store_feed_hints *h);
/* Zero hints when the feed is unknown. */
int store_feed_hints_get(struct store *s, const char *name,
    struct store_feed_hints *ret);

/* Silent: nothing new for this many usual gaps. */
#define STORE_SILENT_GAPS	4

struct store_feed_health {
	int64_t usual_gap_sec;		/* median gap between entry dates, 0 */
	int64_t last_new;		/* newest first_seen, 0: none */
	bool silent;			/* nothing new for STORE_SILENT_GAPS gaps */
};

int store_feed_health(struct store *s, const char *name, int64_t now,
    struct store_feed_health *ret);

/* Give SQLite's page cache back (the service, between rounds). */
void store_release_memory(struct store *s);

/* ---- store-search.c: stored entries for backtest and search ---- */

/* One stored entry; the strings are borrowed for the callback's time. */
struct store_entry_row {
	int64_t id;
	const char *feed;		/* the feed's name */
	const char *guid, *link;	/* may be NULL */
	const char *title, *summary, *content;	/* plain text, may be NULL */
	int64_t published;
};

typedef int (*store_entry_fn)(const struct store_entry_row *e, void *ctx);

/* Call fn for each entry first seen at or after since, oldest first; a
 * non-zero return from fn stops and is returned.  -errno on failure. */
int store_entries_each(struct store *s, int64_t since, store_entry_fn fn,
    void *ctx);

/*
 * The same for the entries whose title, summary or content the FTS5
 * expression fts matches (entries_fts, trigram tokenizer: quoted strings
 * of 3 or more characters, caseless); fts NULL: every entry.
 */
int store_search_each(struct store *s, const char *fts, int64_t since,
    store_entry_fn fn, void *ctx);

/*
 * Add up to max of the entries saved since the last call to entries_fts
 * (saving a feed leaves that for later: it is the costly part), in
 * transactions of STORE_FTS_BATCH.  store_search_each() does it for all
 * of them first.  Returns how many were indexed (0: the index was
 * complete), or -errno.
 */
int store_fts_sync(struct store *s, size_t max);

/* A stored hit of one watchlist: which entry, which alert. */
struct store_hit_key {
	int64_t entry_id;
	char *alert;
	char *title;			/* the entry's, may be NULL */
	char *feed;
};

/* The stored hits of watchlist on entries first seen since, by entry id
 * then alert.  Free with store_hit_keys_free(). */
int store_hit_keys(struct store *s, const char *watchlist, int64_t since,
    struct store_hit_key **ret, size_t *ret_n);
void store_hit_keys_free(struct store_hit_key *v, size_t n);

#endif
