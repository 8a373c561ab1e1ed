/*
 * cycle.h: polling feeds.  A struct cycle holds each feed's schedule
 * (next due time, failures, server hints), starts the feeds that are due
 * through fetch, and per finished feed runs parse -> text -> match ->
 * store in one transaction, then schedules the feed's next poll.  The
 * only place that hands one stage's output to another.  Touches the
 * network (through fetch) and the store.
 */
#ifndef CYCLE_H
#define CYCLE_H

#include <signal.h>

#include "reewatch.h"
#include "setup.h"

struct store;

/* What happened to one feed in a poll. */
struct cycle_feed_report {
	const struct feed *feed;
	int err;			/* 0, or the -errno that failed it */
	const char *errmsg;		/* when err != 0 */
	long status;			/* HTTP status, 0 when none */
	bool not_modified;
	const char *encoding;		/* when parsed */
	const char *format;		/* when parsed */
	size_t n_entries;		/* in the document */
	unsigned new_entries;
	unsigned new_hits;
	const char *warning;		/* non-fatal trouble, or NULL */
	const char *moved_to;		/* a 301/308 target now stored */
	unsigned failures;		/* consecutive, this one included */
	int64_t next_poll;		/* UTC seconds */
	double seconds;
};

struct cycle_stats {
	unsigned feeds;
	unsigned ok;			/* 200 or 304 */
	unsigned not_modified;
	unsigned failed;
	unsigned new_entries;
	unsigned new_hits;
};

typedef void (*cycle_report_fn)(const struct cycle_feed_report *r,
    void *ctx);

struct cycle;

/*
 * A poller over su's feeds, with their schedules read from the store.
 * report is called once per finished feed, after its commit.
 */
int cycle_new(const struct setup *su, struct store *st,
    cycle_report_fn report, void *ctx, struct cycle **ret);
void cycle_free(struct cycle *c);

/*
 * Switch to another setup (a reload): transfers in flight are dropped
 * (their feeds were not committed, so they stay due) and the schedules
 * are read again from the store.  0 or <0.
 */
int cycle_set_setup(struct cycle *c, const struct setup *su);

/* Make every feed due now (SIGUSR1, --once). */
void cycle_poll_all(struct cycle *c);

/* Start every feed that is due at now_ms (UTC milliseconds); returns the
 * number started, or <0. */
int cycle_start_due(struct cycle *c, int64_t now_ms);

/* When the next feed not in flight is due (UTC ms); INT64_MAX: none. */
int64_t cycle_next_wake_ms(const struct cycle *c);

/*
 * Whether the round goes on at now_ms: a transfer or job in flight, or a
 * feed due (one that host_delay holds back counts: it is polled in this
 * round).  The round is over when this turns false.
 */
bool cycle_busy(const struct cycle *c, int64_t now_ms);

size_t cycle_in_flight(const struct cycle *c);
/* Worker threads that parse and match (0: the caller's thread does). */
unsigned cycle_threads(const struct cycle *c);

/* Between rounds (nothing in flight): close idle connections and give
 * back cached memory.  0 or <0. */
int cycle_trim(struct cycle *c);

/*
 * Sleep until transfers have work, fd (>= 0) is readable or timeout_ms
 * passes, then finish what is done.  *ret_fd_ready tells about fd.
 * Returns 0 or <0 (a store failure).
 */
int cycle_wait(struct cycle *c, int fd, int timeout_ms, bool *ret_fd_ready);

/* Counts since the last call; resets them. */
struct cycle_stats cycle_take_stats(struct cycle *c);

/* Number of feeds, and of those whose last poll failed. */
void cycle_health(const struct cycle *c, size_t *ret_feeds,
    size_t *ret_failing);

/*
 * Poll every feed once, now, and wait for all of them (--once).  stop,
 * when non-NULL and set (by a signal handler), ends it early: finished
 * feeds are committed, the rest are polled again next time.  Returns 0
 * or <0 (store failure).
 */
int cycle_run(const struct setup *su, struct store *st,
    volatile sig_atomic_t *stop, cycle_report_fn report, void *ctx,
    struct cycle_stats *ret);

/* "feed 'NAME': ..." one summary line, malloc'd. */
char *cycle_report_line(const struct cycle_feed_report *r);

/* UTC milliseconds. */
int64_t cycle_now_ms(void);

#endif
