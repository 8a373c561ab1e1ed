/*
 * cycle.h: one poll cycle over every feed of a setup: fetch them all
 * concurrently, then per finished feed parse -> text -> match -> store in
 * one transaction.  The only place that hands one stage's output to
 * another.  Touches the network (through fetch) and the store.
 */
#ifndef CYCLE_H
#define CYCLE_H

#include <signal.h>

#include "reewatch.h"
#include "setup.h"

struct store;

/* What happened to one feed in a cycle. */
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

/*
 * Poll every feed once.  stop, when non-NULL and set (by a signal
 * handler), ends the cycle early: finished feeds are committed, the rest
 * are polled again next time.  Returns 0 or <0 (store failure).
 */
int cycle_run(const struct setup *su, struct store *st,
    volatile sig_atomic_t *stop, cycle_report_fn report, void *ctx,
    struct cycle_stats *ret);

/* "feed 'NAME': ..." one summary line, malloc'd. */
char *cycle_report_line(const struct cycle_feed_report *r);

#endif
