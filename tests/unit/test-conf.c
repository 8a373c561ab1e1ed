/* test-conf.c: reewatch.conf and feed lists: values, relative paths,
 * file: URLs, and FILE:LINE messages for every kind of mistake. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

static char dir[] = "/tmp/reewatch-conf-XXXXXX";

static char *
put(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);

	if (write_file_atomic(path, text, strlen(text)) < 0)
		ok(0, "write %s", path);
	return path;
}

static void
test_good_config(void)
{
	_cleanup_free_ char *path = NULL, *expect = NULL;
	struct config *c = NULL;
	struct diag d;

	diag_init(&d);
	path = put("good.conf",
	    "[daemon]\n"
	    "state_dir = state\n"
	    "feeds = feeds.d, extra.feeds\n"
	    "watchlists = /abs/watch\n"
	    "interval = 10m\n"
	    "max_connections = 8\n"
	    "max_per_host = 1\n"
	    "threads = 3\n"
	    "max_body_size = 4M\n"
	    "[notify]\ndesktop = no\nmin_score = 3\n"
	    "[digest]\nschedule = daily 08:00\nformats = html, md\n"
	    "[mail]\nsmtp_url = smtps://mail.example.org:465\n"
	    "from = a@example.org\nto = b@example.org, c@example.org\n"
	    "password_file = secret\n");
	ok(conf_load(path, &c, &d) == 0, "a good config loads");
	is_int(d.n, 0, "no problems");
	if (!c)
		return;
	expect = xasprintf("%s/state", dir);
	is_str(c->state_dir, expect, "state_dir relative to the config");
	free(expect);
	expect = xasprintf("%s/feeds.d", dir);
	is_str(c->feeds[0], expect, "feeds relative to the config");
	is_int(strv_length(c->feeds), 2, "two feed paths");
	is_str(c->watchlists[0], "/abs/watch", "absolute path kept");
	is_int(c->interval_sec, 600, "interval 10m");
	is_int(c->max_connections, 8, "max_connections");
	is_int(c->max_per_host, 1, "max_per_host");
	is_int(c->threads, 3, "threads");
	is_int(c->max_body_bytes, 4 * 1024 * 1024, "max_body_size 4M");
	ok(!c->notify_desktop && c->notify_min_score == 3, "[notify]");
	is_str(c->digest_schedule, "daily 08:00", "[digest] schedule");
	is_int(strv_length(c->mail_to), 2, "[mail] to, two recipients");
	conf_free(c);
	diag_done(&d);
}

/* threads: auto (the default), 0 (the loop itself) or a number. */
static void
test_threads(void)
{
	static const struct {
		const char *line;
		int want;
	} v[] = {
		{ "", -1 }, { "threads = auto\n", -1 }, { "threads = 0\n", 0 },
		{ "threads = 64\n", 64 },
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_free_ char *text = xasprintf("[daemon]\nfeeds = f\n"
		    "watchlists = w\n%s", v[i].line);
		_cleanup_free_ char *path = put("threads.conf", text);
		struct config *c = NULL;
		struct diag d;

		diag_init(&d);
		ok(conf_load(path, &c, &d) == 0 && c && c->threads == v[i].want,
		    "threads: '%.*s' is %d", (int)strcspn(v[i].line, "\n"),
		    v[i].line, v[i].want);
		conf_free(c);
		diag_done(&d);
	}
}

static void
test_bad_config(void)
{
	_cleanup_free_ char *path = NULL;
	struct config *c = NULL;
	struct diag d;
	size_t i;
	static const char *const want[] = {
		":3: interval: 'soon' is not a duration",
		":4: max_connections: '0' is not a number",
		":5: unknown key 'colour' in [daemon]",
		":6: threads: 'many' is not 'auto' or a number from 0 to 64",
		":7: threads: '65' is not 'auto' or a number from 0 to 64",
		":8: unknown section [daemn]",
		":10: schedule: expected 'hourly', 'daily HH:MM'",
		":11: formats: unknown format 'pdf'",
		":13: smtp_url: expected smtp:// or smtps://",
		": [daemon] watchlists is not set",
	};

	diag_init(&d);
	path = put("bad.conf",
	    "[daemon]\n"
	    "feeds = x\n"
	    "interval = soon\n"
	    "max_connections = 0\n"
	    "colour = blue\n"
	    "threads = many\n"
	    "threads = 65\n"
	    "[daemn]\n"
	    "[digest]\nschedule = daily 25:00\nformats = html, pdf\n"
	    "[mail]\nsmtp_url = http://mail\n");
	ok(conf_load(path, &c, &d) == -EINVAL && c == NULL,
	    "a bad config is refused");
	is_int(d.n, ELEMENTSOF(want), "every problem reported");
	for (i = 0; i < ELEMENTSOF(want) && i < d.n; i++)
		ok(strstr(d.msgs[i], want[i]) != NULL &&
		    startswith(d.msgs[i], path), "%s", d.msgs[i]);
	diag_done(&d);

	diag_init(&d);
	ok(conf_load("/nonexistent/reewatch.conf", &c, &d) == -EINVAL &&
	    d.n == 1 && strstr(d.msgs[0], "No such file"),
	    "a missing config is one clear message");
	diag_done(&d);
}

static void
test_feedlist(void)
{
	_cleanup_free_ char *path = NULL, *expect = NULL;
	struct feed *feeds = NULL;
	struct diag d;
	size_t n = 0, i;

	diag_init(&d);
	path = put("list.feeds",
	    "; Russian state media\n"
	    "[feed \"TASS (ru)\"]\n"
	    "url = https://tass.ru/rss/v2.xml\n"
	    "lang = ru\n"
	    "interval = 10m\n"
	    "tags = russia, state-media\n"
	    "\n"
	    "[feed \"Local\"]\n"
	    "url = file:feeds/local.xml\n"
	    "[feed \"Bad scheme\"]\n"
	    "url = ftp://example.org/feed\n"
	    "[feed \"No URL\"]\n"
	    "lang = en\n"
	    "[feeds \"wrong kind\"]\n"
	    "[feed \"Odd\"]\n"
	    "colour = red\n"
	    "interval = often\n");
	is_int(conf_load_feedlist(path, &feeds, &n, &d), 6,
	    "six problems in the feed list");
	is_int(n, 5, "five feeds read");
	is_str(feeds[0].name, "TASS (ru)", "feed name from the section");
	is_str(feeds[0].url, "https://tass.ru/rss/v2.xml", "url");
	is_str(feeds[0].lang, "ru", "lang");
	is_int(feeds[0].interval_sec, 600, "per-feed interval");
	is_int(strv_length(feeds[0].tags), 2, "tags");
	is_int(feeds[0].src_line, 2, "the feed remembers its line");
	expect = xasprintf("file://%s/feeds/local.xml", dir);
	is_str(feeds[1].url, expect,
	    "a relative file: URL is taken from the list's folder");
	ok(d.n == 6 && strstr(d.msgs[0], ":11: feed 'Bad scheme': url must be"),
	    "bad scheme named with its line");
	ok(d.n == 6 && strstr(d.msgs[1], ":14: expected [feed \"NAME\"]"),
	    "wrong section kind");
	ok(d.n == 6 && strstr(d.msgs[2], ":16: feed 'Odd': unknown key 'colour'"),
	    "unknown key");
	ok(d.n == 6 && strstr(d.msgs[3], ":17: feed 'Odd': interval 'often'"),
	    "bad interval");
	ok(d.n == 6 && strstr(d.msgs[4], ":12: feed 'No URL' has no url"),
	    "missing url, at the feed's header line");
	ok(d.n == 6 && strstr(d.msgs[5], ":15: feed 'Odd' has no url"),
	    "a feed with only bad keys has no url either");
	for (i = 0; i < n; i++)
		feed_done(&feeds[i]);
	free(feeds);
	diag_done(&d);
}

static void
test_expand(void)
{
	static const char *const sfx[] = { ".feeds", ".opml", NULL };
	_cleanup_free_ char *sub = xasprintf("%s/feeds.d", dir);
	char missing[] = "/nonexistent/x.feeds";
	char *paths[] = { sub, NULL, NULL };
	char **files = NULL;
	struct diag d;

	diag_init(&d);
	(void)mkdir_p(sub, 0700);
	free(put("feeds.d/b.feeds", "\n"));
	free(put("feeds.d/a.feeds", "\n"));
	free(put("feeds.d/c.opml", "\n"));
	free(put("feeds.d/notes.txt", "\n"));
	free(put("feeds.d/.hidden.feeds", "\n"));
	ok(conf_expand_paths(paths, sfx, &files, &d) == 0, "expand a folder");
	is_int(strv_length(files), 3, "only *.feeds and *.opml, no dotfiles");
	ok(files && endswith(files[0], "/a.feeds") &&
	    endswith(files[1], "/b.feeds") && endswith(files[2], "/c.opml"),
	    "sorted by name");
	strv_free(files);
	files = NULL;
	paths[1] = missing;
	ok(conf_expand_paths(paths, sfx, &files, &d) == -ENOENT && d.n == 1 &&
	    startswith(d.msgs[0], "/nonexistent/x.feeds: "),
	    "a missing path is reported");
	diag_done(&d);
}

int
main(void)
{

	if (!mkdtemp(dir))
		return 99;
	test_good_config();
	test_threads();
	test_bad_config();
	test_feedlist();
	test_expand();
	tap_rmtree(dir);
	return tap_done();
}
