/*
 * test-digest.c: digests and hits.atom: periods and the schedule in local
 * time (a DST change included), grouping by story, escaping of hostile
 * feed text in HTML, Markdown and text, files written and recorded, the
 * scheduled digest inside deliver_run() and its mail retried through a
 * sendmail program until it goes out, hits.atom rewritten only when new
 * hits arrived.  A real database and files under /tmp; no network.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "digest.h"
#include "setup.h"
#include "store.h"
#include "tap.h"
#include "util.h"

/* 2026-11-27 15:00:00 UTC, a Friday (16:00 in Berlin). */
#define T0	INT64_C(1795791600)
#define HOUR	3600
#define DAY	86400

static char tmpdir[] = "/tmp/test-digest.XXXXXX";

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi };

	return (int64_t)timegm(&tm);
}

static void
test_names(void)
{
	is_int(digest_format_from_name("html"), DIGEST_FORMAT_HTML, "html");
	is_int(digest_format_from_name("md"), DIGEST_FORMAT_MD, "md");
	is_int(digest_format_from_name("pdf"), -EINVAL, "pdf is no format");
	is_int(digest_weekday("mon"), 1, "mon");
	is_int(digest_weekday("Sunday"), 0, "Sunday");
	is_int(digest_weekday("fr"), -1, "two letters are too few");
	is_int(digest_weekday("funday"), -1, "funday");
}

static void
test_schedule(void)
{
	int64_t s = 0, e = 0, n = 0;

	(void)setenv("TZ", "Europe/Berlin", 1);
	tzset();
	ok(T0 == utc(2026, 11, 27, 15, 0), "T0 is what it says");
	ok(digest_schedule("hourly", T0 + 1800, &s, &e, &n) == 0 &&
	    s == T0 - HOUR && e == T0 && n == T0 + HOUR,
	    "hourly: the last full hour, next on the hour");
	ok(digest_schedule("daily 07:00", T0, &s, &e, &n) == 0 &&
	    e == utc(2026, 11, 27, 6, 0) && s == e - DAY && n == e + DAY,
	    "daily 07:00 local (06:00 UTC in winter)");
	ok(digest_schedule("daily 18:30", T0, &s, &e, &n) == 0 &&
	    e == utc(2026, 11, 26, 17, 30) && n == utc(2026, 11, 27, 17, 30),
	    "daily 18:30: not yet today, so yesterday's");
	ok(digest_schedule("weekly mon 07:00", T0, &s, &e, &n) == 0 &&
	    e == utc(2026, 11, 23, 6, 0) && s == e - 7 * DAY &&
	    n == e + 7 * DAY, "weekly mon 07:00: last Monday's");
	ok(digest_schedule("weekly Friday 16:00", T0, &s, &e, &n) == 0 &&
	    e == T0, "weekly at this very minute: this one");
	/* Summer time starts on 29 March 2026: that day is 23 hours. */
	ok(digest_schedule("daily 07:00", utc(2026, 3, 29, 12, 0), &s, &e,
	    &n) == 0 && e == utc(2026, 3, 29, 5, 0) &&
	    s == utc(2026, 3, 28, 6, 0), "across the DST change: 07:00 "
	    "local both ends, 23 h");
	ok(digest_schedule("daily 24:00", T0, &s, &e, &n) == -EINVAL &&
	    digest_schedule("weekly xyz 07:00", T0, &s, &e, &n) == -EINVAL &&
	    digest_schedule("monthly", T0, &s, &e, &n) == -EINVAL,
	    "bad schedules are -EINVAL");

	ok(digest_period("yesterday", T0, &s, &e) == 0 &&
	    s == utc(2026, 11, 25, 23, 0) && e == utc(2026, 11, 26, 23, 0),
	    "yesterday: local midnight to midnight");
	ok(digest_period("24h", T0, &s, &e) == 0 && s == T0 - DAY && e == T0,
	    "24h");
	ok(digest_period("7d", T0, &s, &e) == 0 && s == T0 - 7 * DAY,
	    "7d");
	is_int(digest_period("month", T0, &s, &e), -EINVAL, "month: no");
}

/* One fetch of feed: entries (title, link, summary), each one hit. */
static int
save(struct store *st, const char *feed, const char *const *titles,
    const char *const *links, size_t n, int64_t when, const char *error)
{
	struct entry *e = xcalloc(n ? n : 1, sizeof(*e));
	struct hit *h = xcalloc(n ? n : 1, sizeof(*h));
	struct hit **hp = xcalloc(n ? n : 1, sizeof(*hp));
	size_t *nh = xcalloc(n ? n : 1, sizeof(*nh));
	struct store_update u = {
		.feed_name = feed,
		.feed_url = "https://feeds.example/x.xml",
		.when = when,
		.error = error,
		.status = error ? 503 : 200,
		.entries = e,
		.n_entries = n,
		.hits = (struct hit *const *)hp,
		.n_hits = nh,
	};
	unsigned ne = 0, nhits = 0;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		const char *w = strstr(titles[i], "Lynas");

		e[i].key = xasprintf("%s-k%zu", feed, i);
		e[i].link = xstrdup(links[i]);
		e[i].title.s = xstrdup(titles[i]);
		e[i].published = when;
		h[i].watchlist = xstrdup("ree <watch>");
		h[i].alert = xstrdup("Lynas & co");
		(void)strv_push(&h[i].terms, xstrdup("Lynas"));
		if (w) {
			h[i].spans = xcalloc(1, sizeof(*h[i].spans));
			h[i].spans[0] = (struct hit_span){ HIT_FIELD_TITLE,
			    (size_t)(w - titles[i]),
			    (size_t)(w - titles[i]) + 5, 0 };
			h[i].n_spans = 1;
		}
		h[i].score = 3;
		h[i].snippet = xasprintf("…%s…", titles[i]);
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

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_render(struct store *st)
{
	static const char *const ta[] = {
		"<script>alert(1)</script> Lynas signs deal with Pentagon",
		"Lynas: \"rare\" earths & more\r\nBcc: victim@evil.test",
	};
	static const char *const la[] = { "javascript:alert(1)",
	    "https://a.example/lynas?id=1&x=\"2\"" };
	static const char *const tb[] = {
		"<script>alert(1)</script> Lynas signs deal with Pentagon",
	};
	static const char *const lb[] = { "https://b.example/story" };
	struct store_feed_problem *p = NULL;
	struct digest *dg = NULL;
	char *html, *md, *txt, *subj;
	size_t np = 0;

	is_int(save(st, "Feed A", ta, la, 2, T0 - HOUR, NULL), 2,
	    "two hits from feed A");
	is_int(save(st, "Feed <B>", tb, lb, 1, T0 - HOUR + 60, NULL), 1,
	    "the same story from feed B");
	is_int(save(st, "Down", NULL, NULL, 0, T0 - HOUR, "HTTP 503"), 0,
	    "a failing feed");
	ok(store_feed_problems(st, &p, &np) == 0 && np == 1 &&
	    strcmp(p[0].name, "Down") == 0 && p[0].failures == 1,
	    "feed problems: the failing feed");
	store_feed_problems_free(p, np);

	ok(digest_build(st, T0 - DAY, T0, &dg) == 0, "digest built");
	is_int(digest_n_hits(dg), 3, "three hits");
	is_int(digest_n_stories(dg), 2, "two stories (same title, two "
	    "feeds)");
	html = digest_render(dg, DIGEST_FORMAT_HTML);
	md = digest_render(dg, DIGEST_FORMAT_MD);
	txt = digest_render(dg, DIGEST_FORMAT_TXT);
	subj = digest_subject(dg);

	ok(strstr(html, "<script") == NULL, "html: no <script> from a feed");
	ok(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL,
	    "html: the title is escaped text");
	ok(strstr(html, "javascript:") == NULL, "html: no javascript: link");
	ok(strstr(html, "href=\"https://a.example/lynas?id=1&amp;x=&quot;2"
	    "&quot;\"") != NULL, "html: an http link, attribute-escaped");
	ok(strstr(html, ">Lynas</mark>") != NULL, "html: the term marked");
	ok(strstr(html, "Feed &lt;B&gt;") != NULL && strstr(html,
	    "ree &lt;watch&gt;") && strstr(html, "Lynas &amp; co"),
	    "html: feed, watchlist and alert names escaped");
	ok(count(html, "class=\"story\"") == 2, "html: one item per story");
	ok(strstr(html, "<svg") && strstr(html, "<polyline"),
	    "html: the SVG chart");
	ok(strstr(html, "Down") && strstr(html, "HTTP 503"),
	    "html: feed health");
	ok(strstr(html, "Bcc: victim") != NULL &&
	    strstr(html, "\r") == NULL, "html: CR LF of a title folded");

	ok(strstr(md, "\\<script\\>alert\\(1\\)\\</script\\>") != NULL,
	    "md: markup escaped");
	ok(strstr(md, "(<https://b.example/story>)") != NULL,
	    "md: http links are links");
	ok(strstr(md, "javascript") == NULL, "md: no javascript: link");
	ok(strstr(md, "**Lynas**") != NULL, "md: the term in bold");
	ok(strstr(txt, "<script>alert(1)</script> [Lynas] signs") != NULL,
	    "txt: plain text, terms in brackets");
	ok(strstr(txt, "Sources: Feed A (") && strstr(txt, "; Feed <B> ("),
	    "txt: every source of the story");
	ok(strchr(subj, '\n') == NULL && strchr(subj, '\r') == NULL &&
	    startswith(subj, "reewatch digest: 3 hits in 2 stories – "),
	    "subject: one line: %s", subj);
	free(html);
	free(md);
	free(txt);
	free(subj);
	digest_free(dg);
}

static bool
file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static void
test_write_and_deliver(struct store *st)
{
	static const char *const tc[] = { "Lynas opens a new plant" };
	static const char *const lc[] = { "https://c.example/plant" };
	_cleanup_free_ char *files = NULL, *flag = NULL, *script = NULL,
	    *out = NULL, *atom = NULL, *data = NULL;
	struct setup su = { .conf = conf_new_default() };
	struct config *c = su.conf;
	struct deliver *d = NULL;
	char errbuf[ERRMSG_MAX] = "";
	int64_t next = 0, id = 0, n = 0, t = 0, s, e, due;
	size_t n_hits = 0, len;
	FILE *f;

	free(c->state_dir);
	c->state_dir = xstrdup(tmpdir);
	c->digest_formats = strv_split("html, txt", ",");
	ok(digest_write(c, st, T0 - DAY, T0, T0, 0, &files, &n_hits,
	    errbuf) == 0, "digest written %s", errbuf);
	is_int(n_hits, 3, "with three hits");
	ok(files && count(files, "\n") == 1 && strstr(files, ".html\n") &&
	    endswith(files, ".txt"), "two files, html and txt");
	ok(files && startswith(files, tmpdir) && strstr(files, "/digests/"),
	    "in STATE/digests");
	ok(store_digest_find(st, T0 - DAY, T0, &id) == 1 && id > 0,
	    "recorded in the store");
	ok(store_digest_mail_pending(st, &n, &t) == 0 && n == 0,
	    "no mail queued without [mail]");

	/* A schedule and a sendmail that fails while flag exists. */
	flag = xasprintf("%s/down", tmpdir);
	out = xasprintf("%s/sent.eml", tmpdir);
	script = xasprintf("%s/sendmail", tmpdir);
	f = fopen(script, "w");
	fprintf(f, "#!/bin/sh\nif [ -e '%s' ]; then cat >/dev/null; "
	    "echo 'mail server is down' >&2; exit 75; fi\n"
	    "cat >'%s'\n", flag, out);
	fclose(f);
	(void)chmod(script, 0755);
	f = fopen(flag, "w");
	fclose(f);
	c->digest_schedule = xstrdup("hourly");
	c->mail_sendmail = xstrdup(script);
	c->mail_from = xstrdup("reewatch@example.test");
	c->mail_to = strv_split("analyst@example.test", ",");
	ok(digest_schedule("hourly", T0 + 60, &s, &e, &due) == 0, "hourly");

	ok(deliver_new(&su, &d) == 0, "drainer made");
	ok(deliver_run(d, st, T0 + 60, &next) == 0, "deliver_run with a "
	    "digest due");
	is_int(deliver_stats(d)->digests, 1, "the scheduled digest written");
	is_int(deliver_stats(d)->mails, 0, "its mail failed");
	is_int(deliver_stats(d)->mail_waiting, 1, "and waits");
	ok(strstr(deliver_stats(d)->mail_error, "exited with status 75: mail "
	    "server is down") != NULL, "the error says why: %s",
	    deliver_stats(d)->mail_error);
	is_int(next, T0 + 60 + deliver_backoff(0), "next run: the mail's "
	    "back-off (before the next hour)");
	ok(store_digest_find(st, s, e, NULL) == 1, "the hour's digest "
	    "recorded");
	atom = xasprintf("%s/%s", tmpdir, DELIVER_ATOM_FILENAME);
	ok(file_exists(atom), "hits.atom written");

	ok(deliver_run(d, st, T0 + 90, &next) == 0 &&
	    deliver_stats(d)->digests == 0 && deliver_stats(d)->mails == 0 &&
	    deliver_stats(d)->mail_waiting == 0, "30 s later: nothing new, "
	    "the mail waits for its back-off");
	(void)unlink(atom);
	ok(deliver_run(d, st, T0 + 100, &next) == 0 && !file_exists(atom),
	    "no new hits: hits.atom is not rewritten");
	is_int(save(st, "Feed C", tc, lc, 1, T0 + 110, NULL), 1, "a new hit");

	(void)unlink(flag);
	ok(deliver_run(d, st, T0 + 60 + deliver_backoff(0), &next) == 0,
	    "after the back-off, the mail server is back");
	is_int(deliver_stats(d)->mails, 1, "the waiting digest goes out");
	ok(store_digest_mail_pending(st, &n, &t) == 0 && n == 0,
	    "nothing waits any more");
	is_int(next, T0 + HOUR, "next run: the next hour's digest");
	ok(file_exists(atom), "a new hit: hits.atom rewritten");
	ok(read_file(out, 1 << 20, &data, &len) == 0 &&
	    strstr(data, "Content-Type: multipart/alternative") &&
	    strstr(data, "Message-ID: <digest-") &&
	    strstr(data, "Subject: =?UTF-8?B?"), "sendmail got the "
	    "message: multipart/alternative, Message-ID, encoded subject");
	deliver_free(d);
	free(data);
	data = NULL;

	/* The Atom feed itself. */
	ok(digest_atom(st, 2, T0, &data) == 0, "atom of the newest two");
	ok(data && count(data, "<entry>") == 2 && startswith(data, "<?xml") &&
	    endswith(data, "</feed>\n"), "two entries, a whole document");
	ok(data && strstr(data, "tag:reewatch.invalid,2024:hit-") &&
	    strstr(data, "<updated>") && strstr(data, "<link rel=\"alternate"
	    "\" href=\"https://c.example/plant\"/>"), "id, updated, link");
	free(data);
	data = NULL;
	ok(digest_atom(st, 100, T0, &data) == 0 && data &&
	    strstr(data, "<script") == NULL && strstr(data, "javascript:") ==
	    NULL && strstr(data, "&lt;script&gt;") && strchr(data, '\r') ==
	    NULL, "atom: feed text escaped, no javascript: link, no CR");
	conf_free(c);
}

int
main(void)
{
	_cleanup_free_ char *db = NULL;
	char errbuf[ERRMSG_MAX];
	struct store *st = NULL;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 99;
	}
	test_names();
	test_schedule();
	db = xasprintf("%s/reewatch.db", tmpdir);
	ok(store_open(db, errbuf, &st) == 0, "store opens");
	if (st) {
		test_render(st);
		test_write_and_deliver(st);
		store_close(st);
	}
	tap_rmtree(tmpdir);
	return tap_done();
}
