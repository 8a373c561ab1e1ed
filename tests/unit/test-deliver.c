/*
 * test-deliver.c: the durable outbox and the drainer: story keys and
 * grouping, deliveries written with their hits, retried with back-off
 * while no notification server is reachable, picked up again after the
 * store is reopened.  Uses a real database under /tmp; no session bus.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "setup.h"
#include "store.h"
#include "story.h"
#include "tap.h"
#include "util.h"

#define T0	INT64_C(1700000000)

static char tmpdir[] = "/tmp/test-deliver.XXXXXX";

static void
test_story_keys(void)
{
	char *a, *b;
	char **w;

	a = story_link_key("https://www.Example.org/news/1/?utm_source=rss&id=7#top");
	is_str(a, "example.org/news/1?id=7", "link key drops www, tracking, "
	    "slash and fragment");
	b = story_link_key("http://example.org/news/1?id=7&fbclid=xyz");
	is_str(b, a, "http and https, fbclid: the same story");
	free(a);
	free(b);
	ok(story_link_key("javascript:alert(1)") == NULL,
	    "a javascript: link has no story key");
	a = story_title_key("Росатом — «Редкие земли»: новый завод!");
	b = story_title_key("РОСАТОМ: редкие земли, новый завод");
	is_str(a, b, "Cyrillic titles fold case and punctuation");
	free(a);
	free(b);
	ok(story_title_key("News") == NULL, "a short title is no story key");
	w = story_json_strv("[\"Rosatom\",\"ree \\\"x\\\"\",\"\\u0436\"]");
	ok(w && strv_length(w) == 3 && strcmp(w[1], "ree \"x\"") == 0 &&
	    strcmp(w[2], "ж") == 0, "JSON string arrays decode");
	strv_free(w);
}

static void
test_story_group(void)
{
	const struct story_item v[] = {
		{ "https://a.example/x?utm_medium=feed", "Lynas signs deal "
		    "with Pentagon", T0 },
		{ "https://b.example/other", "Lynas signs deal with "
		    "Pentagon!", T0 + 3600 },
		{ "http://www.a.example/x", "Different headline entirely", T0 },
		{ "https://c.example/late", "Lynas signs deal with Pentagon",
		    T0 + 72 * 3600 },
		{ NULL, NULL, T0 },
	};
	size_t g[5];

	story_group(v, 5, g);
	is_int(g[1], 0, "same normalised title within 48 h: one story");
	is_int(g[2], 0, "same link without tracking: one story");
	is_int(g[3], 3, "same title three days later: a new story");
	is_int(g[4], 4, "no link, no title: a story of its own");
}

static void
test_emphasise(void)
{
	char w1[] = "Rosatom", w2[] = "rare earth";
	char *words[] = { w1, w2, NULL };
	struct buf b;

	buf_init(&b, 0);
	story_emphasise(&b, "<Rosatom> buys rare earth & more", words,
	    "<b>", "</b>", story_escape_markup);
	is_str(b.data, "&lt;<b>Rosatom</b>&gt; buys <b>rare earth</b> "
	    "&amp; more", "matched words emphasised, the rest escaped");
	buf_done(&b);
}

/* Save one fetch of feed with n entries, each one notify hit. */
static int
save(struct store *st, const char *feed, const char *const *titles,
    const char *const *links, size_t n, int64_t when)
{
	char *channels[] = { (char *)"desktop", NULL };
	struct entry *e = xcalloc(n, sizeof(*e));
	struct hit *h = xcalloc(n, sizeof(*h));
	struct hit **hp = xcalloc(n, sizeof(*hp));
	size_t *nh = xcalloc(n, sizeof(*nh));
	struct store_update u = {
		.feed_name = feed,
		.feed_url = "https://feeds.example/x.xml",
		.when = when,
		.entries = e,
		.n_entries = n,
		.hits = (struct hit *const *)hp,
		.n_hits = nh,
		.channels = channels,
	};
	unsigned ne = 0, nhits = 0;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		e[i].key = xasprintf("k%zu", i);
		e[i].link = xstrdup(links[i]);
		e[i].title.s = xstrdup(titles[i]);
		e[i].published = when;
		h[i].watchlist = xstrdup("ree");
		h[i].alert = xstrdup("Lynas");
		(void)strv_push(&h[i].terms, xstrdup("Lynas"));
		h[i].score = 3;
		h[i].notify = true;
		h[i].snippet = xstrdup("Lynas signs a deal");
		hp[i] = &h[i];
		nh[i] = 1;
	}
	r = store_feed_save(st, &u, &ne, &nhits);
	for (i = 0; i < n; i++) {
		entry_done(&e[i]);
		hit_done(&h[i]);
	}
	free(e);
	free(h);
	free(hp);
	free(nh);
	return r < 0 ? r : (int)nhits;
}

static void
test_outbox(void)
{
	static const char *const t1[] = { "Lynas signs deal with Pentagon",
	    "Other news about rare earths" };
	static const char *const l1[] = { "https://a.example/lynas?utm_source=x",
	    "https://a.example/other" };
	static const char *const t2[] = { "Lynas signs deal with Pentagon" };
	static const char *const l2[] = { "https://b.example/story" };
	_cleanup_free_ char *db = xasprintf("%s/reewatch.db", tmpdir);
	char errbuf[ERRMSG_MAX];
	struct setup su = { .conf = conf_new_default() };
	struct store *st = NULL;
	struct deliver *d = NULL;
	struct store_delivery *v = NULL;
	size_t n = 0;
	int64_t next = 0, pending = 0, t = 0;

	free(su.conf->state_dir);
	su.conf->state_dir = xstrdup(tmpdir);
	ok(store_open(db, errbuf, &st) == 0, "store opens");
	is_int(save(st, "Feed A", t1, l1, 2, T0), 2, "two hits saved");
	is_int(save(st, "Feed B", t2, l2, 1, T0 + 60), 1,
	    "the same story from a second feed");
	ok(store_deliveries_due(st, "desktop", T0 + 60, 10, &v, &n) == 0 &&
	    n == 3, "one pending desktop delivery per notify hit");
	store_deliveries_free(v, n);

	/* No session bus: everything waits, nothing is lost. */
	(void)unsetenv("DBUS_SESSION_BUS_ADDRESS");
	(void)unsetenv("XDG_RUNTIME_DIR");
	(void)unsetenv("DISPLAY");
	ok(deliver_new(&su, &d) == 0, "drainer made");
	ok(deliver_run(d, st, T0 + 120, &next) == 0, "a run without a "
	    "notification server succeeds");
	is_int(deliver_stats(d)->waiting, 3, "all three wait");
	ok(deliver_stats(d)->desktop_error[0] != '\0', "and say why: %s",
	    deliver_stats(d)->desktop_error);
	is_int(next, T0 + 120 + deliver_backoff(0), "next run after the "
	    "back-off");
	ok(store_deliveries_pending(st, &pending, &t) == 0 && pending == 3,
	    "still pending");
	ok(store_deliveries_due(st, NULL, T0 + 121, 10, &v, &n) == 0 &&
	    n == 0, "not due again before the back-off");
	store_deliveries_free(v, n);
	deliver_free(d);
	d = NULL;

	/* Restart: close, reopen; the outbox is where it was. */
	store_close(st);
	st = NULL;
	ok(store_open(db, errbuf, &st) == 0, "store reopens");
	ok(store_deliveries_due(st, "desktop", T0 + 120 +
	    deliver_backoff(0), 10, &v, &n) == 0 && n == 3,
	    "after a restart the three are due again");
	ok(n == 3 && v[0].attempts == 1 && v[0].last_error != NULL,
	    "with their attempt counted and the error kept");
	/* One sent: marked done, never due again. */
	ok(n > 0 && store_delivery_done(st, v[0].id, T0 + 200, NULL) == 0,
	    "mark one done");
	store_deliveries_free(v, n);
	ok(store_deliveries_due(st, "desktop", T0 + 99999, 10, &v, &n) == 0 &&
	    n == 2, "done ones are not due again");
	store_deliveries_free(v, n);
	ok(store_deliveries_recent(st, "desktop", T0, 10, &v, &n) == 0 &&
	    n == 1, "the done one is remembered for later stories");
	store_deliveries_free(v, n);

	/* desktop = no: pending ones are closed with a note, not kept. */
	su.conf->notify_desktop = false;
	ok(deliver_new(&su, &d) == 0 && deliver_run(d, st, T0 + 99999,
	    &next) == 0, "run with desktop = no");
	is_int(deliver_stats(d)->skipped, 2, "pending ones skipped");
	ok(store_deliveries_pending(st, &pending, &t) == 0 && pending == 0,
	    "nothing pending");
	deliver_free(d);
	store_close(st);
	conf_free(su.conf);
}

static void
test_backoff(void)
{
	is_int(deliver_backoff(0), 60, "first retry after a minute");
	is_int(deliver_backoff(3), 480, "doubling");
	is_int(deliver_backoff(30), 3600, "at most an hour");
}

int
main(void)
{

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 99;
	}
	test_story_keys();
	test_story_group();
	test_emphasise();
	test_backoff();
	test_outbox();
	tap_rmtree(tmpdir);
	return tap_done();
}
