/*
 * sched.c: the next poll of a feed from its interval, the server's hints
 * and its failures.  Pure arithmetic: must not read the clock, log or
 * touch anything; the caller passes "now" and the jitter.
 */
#include "config.h"

#include <stdlib.h>

#include "sched.h"

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

int64_t
sched_delay(const struct sched_opts *o, const struct sched_input *in)
{
	int64_t interval = o->interval_sec ? o->interval_sec : 1;
	int64_t d = interval, hint = 0, cap;
	double j = in->jitter;

	if (in->failed) {
		unsigned n = in->failures ? in->failures - 1 : 0;

		cap = o->max_backoff_sec ? o->max_backoff_sec :
		    SCHED_DEFAULT_MAX_BACKOFF_SEC;
		cap = max64(cap, interval);
		/* interval, 2x, 4x, ... up to the cap; never dropped */
		while (n-- > 0 && d < cap)
			d *= 2;
		if (d > cap)
			d = cap;
	} else {
		if (in->ttl_min)
			hint = max64(hint, (int64_t)in->ttl_min * 60);
		if (in->max_age_sec > 0)
			hint = max64(hint, in->max_age_sec);
		if (in->expires > in->now)
			hint = max64(hint, in->expires - in->now);
		if (o->max_interval_sec && hint > o->max_interval_sec)
			hint = o->max_interval_sec;
		d = max64(d, hint);
	}
	if (o->min_interval_sec && d < o->min_interval_sec)
		d = o->min_interval_sec;

	if (j > 1)
		j = 1;
	else if (j < -1)
		j = -1;
	d += (int64_t)((double)d * SCHED_JITTER_PERCENT / 100.0 * j);

	/* A server asking us to wait is obeyed, after the jitter. */
	if ((in->status == 429 || in->status == 503) &&
	    in->retry_after_sec > 0) {
		int64_t ra = in->retry_after_sec;

		if (ra > SCHED_MAX_RETRY_AFTER_SEC)
			ra = SCHED_MAX_RETRY_AFTER_SEC;
		d = max64(d, ra);
	}
	return d < 1 ? 1 : d;
}

int64_t
sched_skip(int64_t t, uint32_t skip_hours, uint8_t skip_days)
{
	int64_t u = t;
	int i;

	skip_hours &= 0xffffffu;
	skip_days &= 0x7f;
	if ((skip_hours == 0 && skip_days == 0) || skip_hours == 0xffffffu ||
	    skip_days == 0x7f)
		return t;
	/* At most a week of hours to look through. */
	for (i = 0; i < 24 * 8; i++) {
		int64_t days = u >= 0 ? u / 86400 : 0;
		unsigned hour = (unsigned)((u % 86400) / 3600);
		/* 1970-01-01 was a Thursday. */
		unsigned wday = (unsigned)((days + 4) % 7);

		if (!(skip_hours & (1u << hour)) && !(skip_days & (1u << wday)))
			return u;
		u = (u / 3600 + 1) * 3600;	/* the next full hour */
	}
	return t;
}

int64_t
sched_next(const struct sched_opts *o, const struct sched_input *in)
{
	int64_t t = in->now + sched_delay(o, in);

	if (in->failed)
		return t;	/* retries are not a scheduled read */
	return sched_skip(t, in->skip_hours, in->skip_days);
}

double
sched_random_jitter(void)
{
	return (double)random() / (double)RAND_MAX * 2.0 - 1.0;
}
