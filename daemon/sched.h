/*
 * sched.h: when to poll a feed next.  Pure functions over numbers: the
 * feed's interval with jitter, the server's hints (RSS ttl, Cache-Control
 * max-age, Expires, Retry-After), skipHours/skipDays, exponential back-off
 * after failures, all within configured bounds.  No I/O, no clock reads.
 */
#ifndef SCHED_H
#define SCHED_H

#include <stdbool.h>
#include <stdint.h>

#define SCHED_JITTER_PERCENT	10
#define SCHED_MAX_RETRY_AFTER_SEC	((int64_t)24 * 3600)	/* trust no more */
#define SCHED_DEFAULT_MAX_BACKOFF_SEC	(6 * 3600)

struct sched_opts {
	unsigned interval_sec;		/* the feed's own, or the global one */
	unsigned min_interval_sec;	/* bounds on the hinted delay */
	unsigned max_interval_sec;	/* 0: no upper bound */
	unsigned max_backoff_sec;	/* cap of the failure back-off */
};

/* What one poll told us. */
struct sched_input {
	int64_t now;			/* UTC seconds */
	bool failed;			/* this poll failed */
	unsigned failures;		/* consecutive, this one included */
	long status;			/* HTTP status, 0 when none */
	long retry_after_sec;		/* -1: none */
	long max_age_sec;		/* -1: none */
	int64_t expires;		/* absolute UTC seconds, 0: none */
	unsigned ttl_min;		/* RSS <ttl>, 0: none */
	uint32_t skip_hours;		/* bit h: skip hour h (UTC) */
	uint8_t skip_days;		/* bit d: skip day d (0 = Sunday) */
	double jitter;			/* in [-1, 1]: share of the +-10% */
};

/* The delay in seconds before the next poll (>= 1). */
int64_t sched_delay(const struct sched_opts *o, const struct sched_input *in);

/* now + sched_delay(), moved out of skipped hours and days. */
int64_t sched_next(const struct sched_opts *o, const struct sched_input *in);

/* The first time >= t that is in neither skip_hours nor skip_days (t
 * itself when nothing is skipped or everything is). */
int64_t sched_skip(int64_t t, uint32_t skip_hours, uint8_t skip_days);

/* A uniform jitter in [-1, 1] (from random(3), seeded by the caller). */
double sched_random_jitter(void);

#endif
