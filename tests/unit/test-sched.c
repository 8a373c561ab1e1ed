/*
 * test-sched.c: the poll scheduler's arithmetic (interval and jitter,
 * server hints within bounds, back-off, Retry-After, skipHours/skipDays)
 * and the store's side: hints kept per feed, the usual gap and "silent".
 * No network; a database in a temporary folder.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "sched.h"
#include "store.h"
#include "tap.h"

/* 2024-01-01 was a Monday; 12:00 UTC. */
#define MONDAY_NOON	((int64_t)1704110400)

static const struct sched_opts opts = {
	.interval_sec = 600,
	.min_interval_sec = 60,
	.max_interval_sec = 6 * 3600,
	.max_backoff_sec = 6 * 3600,
};

static struct sched_input
input(void)
{
	struct sched_input in;

	memset(&in, 0, sizeof(in));
	in.now = MONDAY_NOON;
	in.retry_after_sec = -1;
	in.max_age_sec = -1;
	return in;
}

/* Hints round-trip; usual gap from entry dates; silent after 4 gaps. */
static void
test_store(void)
{
	char dir[] = "/tmp/test-sched.XXXXXX", errbuf[ERRMSG_MAX] = "";
	char path[64], keys[5][8];
	struct store *st = NULL;
	struct entry e[5];
	struct store_feed_hints h = { 30, 0x3f000, 0x41 }, g;
	struct store_feed_health hl;
	struct store_update u = {
		.feed_name = "f", .feed_url = "http://127.0.0.1/f",
		.when = MONDAY_NOON, .status = 200,
		.next_poll = MONDAY_NOON + 600,
	};
	unsigned n_new = 0;
	int i;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	(void)snprintf(path, sizeof(path), "%s/db", dir);
	ok(store_open(path, errbuf, &st) == 0, "store opens: %s", errbuf);
	if (!st)
		return;
	memset(e, 0, sizeof(e));
	for (i = 0; i < 5; i++) {
		(void)snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		e[i].key = keys[i];
		/* hourly, and one odd gap of 3 h */
		e[i].published = MONDAY_NOON - 3600 * (i < 4 ? i : 6);
	}
	u.entries = e;
	u.n_entries = 5;
	ok(store_feed_save(st, &u, &n_new, NULL) == 0 && n_new == 5,
	    "five entries saved");
	ok(store_feed_hints_set(st, "f", &h) == 0, "hints saved");
	ok(store_feed_hints_get(st, "f", &g) == 0 && g.ttl_min == 30 &&
	    g.skip_hours == 0x3f000 && g.skip_days == 0x41, "hints read back");
	ok(store_feed_hints_get(st, "nope", &g) == 0 && g.ttl_min == 0,
	    "an unknown feed has no hints");
	ok(store_feed_health(st, "f", MONDAY_NOON + 3600, &hl) == 0,
	    "health reads");
	is_int(hl.usual_gap_sec, 3600, "usual gap: the median of the gaps");
	is_int(hl.last_new, MONDAY_NOON, "last new entry: when it was first seen");
	ok(!hl.silent, "not silent after one gap");
	ok(store_feed_health(st, "f", MONDAY_NOON + 5 * 3600, &hl) == 0 &&
	    hl.silent, "silent after more than 4 usual gaps");
	ok(store_feed_health(st, "nope", MONDAY_NOON, &hl) == 0 &&
	    hl.usual_gap_sec == 0 && !hl.silent, "an unknown feed: no gap");
	store_close(st);
	(void)snprintf(path, sizeof(path), "%s/db", dir);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s/db-wal", dir);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s/db-shm", dir);
	(void)unlink(path);
	(void)rmdir(dir);
}

int
main(void)
{
	struct sched_input in = input();
	struct sched_opts o = opts;
	int64_t prev, d;
	unsigned i;
	bool grew = true;

	is_int(sched_delay(&opts, &in), 600, "the interval without hints");
	in.jitter = 1;
	is_int(sched_delay(&opts, &in), 660, "+10%% jitter");
	in.jitter = -1;
	is_int(sched_delay(&opts, &in), 540, "-10%% jitter");
	in.jitter = 5;
	is_int(sched_delay(&opts, &in), 660, "jitter is clamped to 10%%");
	for (i = 0; i < 1000; i++) {
		double j = sched_random_jitter();

		if (j < -1 || j > 1)
			break;
	}
	ok(i == 1000, "random jitter stays in [-1, 1]");

	in = input();
	in.ttl_min = 60;
	is_int(sched_delay(&opts, &in), 3600, "RSS ttl longer than the interval wins");
	in.ttl_min = 1;
	is_int(sched_delay(&opts, &in), 600, "a short ttl does not shorten the interval");
	in = input();
	in.max_age_sec = 1800;
	is_int(sched_delay(&opts, &in), 1800, "Cache-Control max-age");
	in = input();
	in.expires = MONDAY_NOON + 7200;
	is_int(sched_delay(&opts, &in), 7200, "Expires");
	in.expires = MONDAY_NOON - 7200;
	is_int(sched_delay(&opts, &in), 600, "an Expires in the past is ignored");
	in = input();
	in.max_age_sec = 30L * 86400;
	is_int(sched_delay(&opts, &in), 6 * 3600, "hints are clamped to max_interval");
	in = input();
	o.interval_sec = 5;
	is_int(sched_delay(&o, &in), 60, "min_interval is a floor");
	o.min_interval_sec = 1;
	is_int(sched_delay(&o, &in), 5, "seconds when the bounds allow");
	o = opts;

	in = input();
	in.failed = true;
	prev = 0;
	for (i = 1; i <= 12; i++) {
		in.failures = i;
		d = sched_delay(&opts, &in);
		if (d < prev || (d == prev && d < 6 * 3600))
			grew = false;
		prev = d;
	}
	ok(grew, "failure gaps grow");
	is_int(prev, 6 * 3600, "back-off stops at the 6 h cap");
	in.failures = 1000;
	is_int(sched_delay(&opts, &in), 6 * 3600, "many failures: still polled");
	in.failures = 1;
	is_int(sched_delay(&opts, &in), 600, "first failure: the interval");

	in = input();
	in.failed = true;
	in.failures = 1;
	in.status = 429;
	in.retry_after_sec = 7200;
	is_int(sched_delay(&opts, &in), 7200, "429 Retry-After is obeyed");
	in.status = 503;
	in.retry_after_sec = 100;
	is_int(sched_delay(&opts, &in), 600, "a short Retry-After does not poll sooner");
	in.retry_after_sec = 30L * 86400;
	is_int(sched_delay(&opts, &in), 86400, "Retry-After is capped at a day");
	in.status = 500;
	in.retry_after_sec = 7200;
	is_int(sched_delay(&opts, &in), 600, "Retry-After only with 429/503");

	/* skipHours 12-17 UTC: noon + 600 s lands at 18:00. */
	in = input();
	in.skip_hours = 0x3f000;
	is_int(sched_next(&opts, &in), MONDAY_NOON + 6 * 3600,
	    "skipHours moves the poll to the first allowed hour");
	/* skipDays Monday and Tuesday: Wednesday 00:00. */
	in = input();
	in.skip_days = (1 << 1) | (1 << 2);
	is_int(sched_next(&opts, &in), MONDAY_NOON + 36 * 3600,
	    "skipDays moves the poll to the first allowed day");
	in.skip_days = 0x7f;
	is_int(sched_next(&opts, &in), MONDAY_NOON + 600,
	    "skipping every day is ignored");
	in = input();
	in.skip_hours = 0xffffff;
	is_int(sched_next(&opts, &in), MONDAY_NOON + 600,
	    "skipping every hour is ignored");
	in = input();
	in.skip_hours = 0x3f000;
	in.failed = true;
	in.failures = 1;
	is_int(sched_next(&opts, &in), MONDAY_NOON + 600,
	    "retries after a failure ignore skipHours");
	is_int(sched_skip(MONDAY_NOON + 60, 0, 0), MONDAY_NOON + 60,
	    "nothing skipped: unchanged");
	test_store();
	/* Accept-Encoding is libcurl's list: Debian's has all three. */
	ok(fetch_has_encoding("gzip") && fetch_has_encoding("deflate"),
	    "this libcurl decodes gzip and deflate");
	ok(fetch_has_encoding("br"), "this libcurl decodes br (brotli)");
	ok(!fetch_has_encoding("lzma"), "an unknown encoding is not claimed");
	return tap_done();
}
