/*
 * test-parse.c: the parser's golden files (tests/data/feeds/NAME.xml
 * beside NAME.expected, optional NAME.ctype as the HTTP Content-Type),
 * plus caps, hostile documents and OPML.  REGEN=1 rewrites the .expected
 * files: read every changed one before committing it.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"
#include "tap.h"
#include "text.h"
#include "util.h"

static const char *srcdir;

static void
add_value(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			(void)buf_adds(b, "\\\\");
		else if (*s == '\n')
			(void)buf_adds(b, "\\n");
		else if (*s == '\r')
			(void)buf_adds(b, "\\r");
		else if (*s == '\t')
			(void)buf_adds(b, "\\t");
		else
			(void)buf_addc(b, *s);
	}
	(void)buf_addc(b, '\n');
}

static void
field(struct buf *b, const char *indent, const char *name, const char *s)
{
	if (!s)
		return;
	(void)buf_printf(b, "%s%s: ", indent, name);
	add_value(b, s);
}

static void
text_field(struct buf *b, const char *name, const struct entry_text *t)
{
	char label[32];

	if (!t->s)
		return;
	snprintf(label, sizeof(label), "%s[%s]", name,
	    t->type == ENTRY_TEXT_HTML ? "html" : "plain");
	field(b, "  ", label, t->s);
}

static void
date_field(struct buf *b, const char *name, int64_t t)
{
	char out[RFC3339_MAX];

	if (t)
		(void)buf_printf(b, "  %s: %s\n", name, format_rfc3339(t, out));
}

/* The stable, line-oriented dump the .expected files hold. */
static char *
dump(int r, const char *errbuf, const struct feed_doc *d)
{
	static const char *const days[7] = {
		"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
		"Friday", "Saturday"
	};
	struct buf b;
	size_t i, j;

	buf_init(&b, 0);
	if (r < 0) {
		(void)buf_printf(&b, "error: %s: %s\n",
		    r == -EBADMSG ? "EBADMSG" : r == -EFBIG ? "EFBIG" : "other",
		    errbuf);
		return buf_steal(&b);
	}
	(void)buf_printf(&b, "format: %s\n", parse_format_name(d->format));
	field(&b, "", "encoding", d->encoding);
	field(&b, "", "title", d->title);
	field(&b, "", "link", d->link);
	if (d->ttl_min)
		(void)buf_printf(&b, "ttl: %u\n", d->ttl_min);
	if (d->skip_hours) {
		(void)buf_adds(&b, "skip_hours:");
		for (i = 0; i < 24; i++)
			if (d->skip_hours & (1u << i))
				(void)buf_printf(&b, " %zu", i);
		(void)buf_addc(&b, '\n');
	}
	if (d->skip_days) {
		(void)buf_adds(&b, "skip_days:");
		for (i = 0; i < 7; i++)
			if (d->skip_days & (1u << i))
				(void)buf_printf(&b, " %s", days[i]);
		(void)buf_addc(&b, '\n');
	}
	field(&b, "", "warning", d->warning);
	if (d->n_dropped)
		(void)buf_printf(&b, "dropped: %zu\n", d->n_dropped);
	(void)buf_printf(&b, "entries: %zu\n", d->n_entries);
	for (i = 0; i < d->n_entries; i++) {
		const struct entry *e = &d->entries[i];

		(void)buf_printf(&b, "entry %zu\n", i + 1);
		field(&b, "  ", "id", e->id);
		field(&b, "  ", "key", e->key);
		field(&b, "  ", "link", e->link);
		text_field(&b, "title", &e->title);
		text_field(&b, "summary", &e->summary);
		text_field(&b, "content", &e->content);
		for (j = 0; e->authors && e->authors[j]; j++)
			field(&b, "  ", "author", e->authors[j]);
		for (j = 0; e->categories && e->categories[j]; j++)
			field(&b, "  ", "category", e->categories[j]);
		date_field(&b, "published", e->published);
		date_field(&b, "updated", e->updated);
	}
	return buf_steal(&b);
}

static char *
path_of(const char *name, const char *ext)
{
	return xasprintf("%s/tests/data/feeds/%s%s", srcdir, name, ext);
}

/* Show how got differs from the expected file, as diff -u does. */
static void
show_diff(const char *expected_path, const char *got)
{
	char tmp[] = "/tmp/test-parse.XXXXXX";
	_cleanup_free_ char *cmd = NULL;
	int fd = mkstemp(tmp);

	if (fd < 0)
		return;
	if (write(fd, got, strlen(got)) < 0)
		printf("# cannot write %s\n", tmp);
	close(fd);
	cmd = xasprintf("diff -u '%s' '%s' | sed 's/^/#   /'", expected_path,
	    tmp);
	fflush(stdout);
	if (system(cmd) < 0)
		printf("# diff failed\n");
	unlink(tmp);
}

static int
run_parse(const char *data, size_t len, const char *ctype, const char *url,
    char **ret_dump)
{
	char errbuf[ERRMSG_MAX];
	struct feed_doc *d = NULL;
	int r;

	r = parse_feed(data, len, ctype, url, errbuf, &d);
	*ret_dump = dump(r, errbuf, d);
	feed_doc_free(d);
	return r;
}

/* An entry's cleaned fields, one line each, for comparing. */
static void
entry_line(const struct entry *e, void *ctx)
{
	struct buf *b = ctx;
	size_t i;

	(void)buf_printf(b, "%s|%s|%s|%s|%s|%s", e->key, e->id ? e->id : "",
	    e->link ? e->link : "", e->title.s ? e->title.s : "",
	    e->summary.s ? e->summary.s : "",
	    e->content.s ? e->content.s : "");
	for (i = 0; e->authors && e->authors[i]; i++)
		(void)buf_printf(b, "|a:%s", e->authors[i]);
	for (i = 0; e->categories && e->categories[i]; i++)
		(void)buf_printf(b, "|c:%s", e->categories[i]);
	(void)buf_addc(b, '\n');
}

/*
 * parse_feed_clean() must give what parse_feed() and text_entry() on each
 * entry give: the same entries, kept or dropped as duplicates alike; and
 * handed out one by one, the same entries in the same order.
 */
static void
clean_agrees(const char *name, const char *data, size_t len,
    const char *ctype, const char *url)
{
	char errbuf[ERRMSG_MAX];
	struct feed_doc *a = NULL, *b = NULL;
	_cleanup_free_ char *da = NULL, *db = NULL;
	int ra, rb;
	size_t i;

	ra = parse_feed(data, len, ctype, url, errbuf, &a);
	for (i = 0; a && i < a->n_entries; i++)
		(void)text_entry(&a->entries[i]);
	da = dump(ra, errbuf, a);
	rb = parse_feed_clean(data, len, ctype, url, NULL, NULL, errbuf, &b);
	db = dump(rb, errbuf, b);
	if (!ok(strcmp(da, db) == 0, "%s: cleaned while read = cleaned after",
	    name))
		printf("#   after:\n%s#   while read:\n%s", da, db);
	if (rb == 0) {
		struct feed_doc *c = NULL;
		struct buf kept, handed;

		buf_init(&kept, 0);
		buf_init(&handed, 0);
		for (i = 0; i < b->n_entries; i++)
			entry_line(&b->entries[i], &kept);
		(void)parse_feed_clean(data, len, ctype, url, entry_line,
		    &handed, errbuf, &c);
		is_str(handed.data ? handed.data : "",
		    kept.data ? kept.data : "", "%s: handed out one by one, "
		    "the same entries in order (%zu)", name, b->n_entries);
		buf_done(&kept);
		buf_done(&handed);
		feed_doc_free(c);
	}
	feed_doc_free(a);
	feed_doc_free(b);
}

static void
golden(const char *name)
{
	_cleanup_free_ char *xml = path_of(name, ".xml");
	_cleanup_free_ char *exp = path_of(name, ".expected");
	_cleanup_free_ char *ct = path_of(name, ".ctype");
	_cleanup_free_ char *url = xasprintf(
	    "https://example.test/feeds/%s.xml", name);
	_cleanup_free_ char *data = NULL, *ctype = NULL, *want = NULL;
	_cleanup_free_ char *got = NULL;
	const char *regen = getenv("REGEN");
	size_t len, n;

	if (read_file(xml, 64 << 20, &data, &len) < 0) {
		ok(0, "%s: read %s", name, xml);
		return;
	}
	if (read_file(ct, 4096, &ctype, &n) == 0)
		strstrip(ctype);
	(void)run_parse(data, len, ctype, url, &got);
	if (regen && strcmp(regen, "1") == 0) {
		ok(write_file_atomic(exp, got, strlen(got)) == 0,
		    "%s: wrote %s", name, exp);
		return;
	}
	if (read_file(exp, 64 << 20, &want, &n) < 0) {
		ok(0, "%s: no %s (run with REGEN=1 and review it)", name, exp);
		return;
	}
	if (!ok(strcmp(got, want) == 0, "golden %s", name))
		show_diff(exp, got);
	clean_agrees(name, data, len, ctype, url);

	/* Properties the golden files must keep, whatever they say. */
	if (strcmp(name, "xxe-passwd") == 0)
		ok(!strstr(got, "root:"), "%s: no /etc/passwd content", name);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
golden_all(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/tests/data/feeds", srcdir);
	char **names = NULL;
	struct dirent *de;
	size_t i, n;
	DIR *dp;

	dp = opendir(dir);
	if (!ok(dp != NULL, "open %s", dir))
		return;
	while ((de = readdir(dp)))
		if (endswith(de->d_name, ".xml"))
			strv_push(&names, xstrndup(de->d_name,
			    strlen(de->d_name) - 4));
	closedir(dp);
	n = strv_length(names);
	ok(n >= 25, "at least 25 golden files (%zu)", n);
	if (n)
		qsort(names, n, sizeof(char *), name_cmp);
	for (i = 0; i < n; i++)
		golden(names[i]);
	strv_free(names);
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_caps(void)
{
	char errbuf[ERRMSG_MAX];
	struct feed_doc *d = NULL;
	struct buf b;
	double t0;
	size_t i;
	int r;

	/* More entries than the cap: the first ones kept, a warning. */
	buf_init(&b, 0);
	(void)buf_adds(&b, "<rss version=\"2.0\"><channel><title>big</title>");
	for (i = 0; i < FEED_MAX_ENTRIES + 5; i++)
		(void)buf_printf(&b, "<item><guid>g%zu</guid>"
		    "<title>t%zu</title></item>", i, i);
	(void)buf_adds(&b, "</channel></rss>");
	t0 = now_sec();
	r = parse_feed(b.data, b.len, NULL, NULL, errbuf, &d);
	buf_done(&b);
	is_int(r, 0, "a feed over the entry cap still parses");
	if (r == 0) {
		is_int(d->n_entries, FEED_MAX_ENTRIES, "entries capped");
		is_str(d->entries[0].id, "g0", "the first entry kept");
		ok(d->warning && strstr(d->warning, "entries"),
		    "cap gives a warning: %s", d->warning ? d->warning : "");
	}
	ok(now_sec() - t0 < tap_time_limit(5), "10,000 entries in under 5 s");
	feed_doc_free(d);
	d = NULL;

	/* A title over FIELD_MAX_BYTES, cut at a character boundary. */
	buf_init(&b, 0);
	(void)buf_adds(&b, "<rss><channel><item><title>x");
	for (i = 0; i < FIELD_MAX_BYTES / 2 + 10; i++)
		(void)buf_adds(&b, "\xd0\xb6");		/* 'ж' */
	(void)buf_adds(&b, "</title></item></channel></rss>");
	r = parse_feed(b.data, b.len, NULL, NULL, errbuf, &d);
	buf_done(&b);
	is_int(r, 0, "a huge title parses");
	if (r == 0 && d->n_entries == 1) {
		const char *s = d->entries[0].title.s;

		ok(strlen(s) <= FIELD_MAX_BYTES && strlen(s) >
		    FIELD_MAX_BYTES - 4, "title truncated to the cap (%zu)",
		    strlen(s));
		ok(utf8_valid(s, strlen(s)), "truncated title is valid UTF-8");
	}
	feed_doc_free(d);
	d = NULL;

	r = parse_feed(NULL, 0, NULL, NULL, errbuf, &d);
	is_int(r, -EBADMSG, "NULL data is an empty document");
	is_str(errbuf, "empty document", "NULL data message");
	ok(d == NULL, "ret untouched on failure");
}

static void
test_hostile(void)
{
	static const char laughs[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n"
	    " <!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
	    " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	    " <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	    " <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
	    " <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
	    " <!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
	    " <!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
	    "]>\n<rss version=\"2.0\"><channel><title>t</title>"
	    "<item><title>&g;&g;</title><link>https://e.test/&g;</link>"
	    "<description>&g;</description></item>"
	    "<item><title>second &g;</title></item></channel></rss>\n";
	char errbuf[ERRMSG_MAX];
	struct feed_doc *d = NULL;
	double t0 = now_sec();
	size_t i, total = 0;
	int r;

	r = parse_feed(laughs, sizeof(laughs) - 1, NULL, NULL, errbuf, &d);
	ok(now_sec() - t0 < tap_time_limit(2),
	    "entity expansion bomb handled in under 2 s");
	ok(r == 0 || r == -EBADMSG, "entity bomb: parsed or refused (%d %s)",
	    r, errbuf);
	for (i = 0; d && i < d->n_entries; i++) {
		const struct entry *e = &d->entries[i];

		total += e->title.s ? strlen(e->title.s) : 0;
		total += e->summary.s ? strlen(e->summary.s) : 0;
		total += e->link ? strlen(e->link) : 0;
	}
	ok(total < 1024 * 1024, "entity bomb output stays small (%zu bytes)",
	    total);
	feed_doc_free(d);
}

static void
test_opml(void)
{
	static const char good[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<opml version=\"2.0\">\n"
	    "<head><title>subs</title></head>\n"
	    "<body>\n"
	    "  <outline text=\"Russia\">\n"
	    "    <outline text=\"ТАСС\" type=\"rss\" "
	    "xmlUrl=\"https://tass.ru/rss/v2.xml\"/>\n"
	    "    <outline title=\"Only title\" "
	    "xmlUrl=\" https://e.test/a \"/>\n"
	    "  </outline>\n"
	    "  <outline xmlUrl=\"https://e.test/b\"/>\n"
	    "  <outline text=\"folder without feed\"/>\n"
	    "  <outline text=\"empty\" xmlUrl=\"\"/>\n"
	    "</body></opml>\n";
	static const char bad[] = "<opml><body><outline xmlUrl=\"https://e.";
	static const char notopml[] = "<rss><channel/></rss>";
	struct feed *feeds = NULL;
	struct diag dg;
	size_t n = 0, i;
	int r;

	diag_init(&dg);
	r = parse_opml(good, sizeof(good) - 1, "subs.opml", &feeds, &n, &dg);
	is_int(r, 1, "OPML: one problem (the empty xmlUrl)");
	is_int(n, 3, "OPML: three feeds, nested ones too");
	if (n == 3) {
		is_str(feeds[0].name, "ТАСС", "OPML name from text");
		is_str(feeds[0].url, "https://tass.ru/rss/v2.xml", "OPML url");
		is_int(feeds[0].src_line, 6, "OPML line of the outline");
		is_str(feeds[0].src_file, "subs.opml", "OPML file");
		is_str(feeds[1].name, "Only title", "OPML name from title");
		is_str(feeds[1].url, "https://e.test/a", "OPML url trimmed");
		is_str(feeds[2].name, "https://e.test/b", "OPML name from url");
	}
	ok(dg.n == 1 && strstr(dg.msgs[0], "subs.opml:11:"),
	    "OPML problem names file:line: %s", dg.n ? dg.msgs[0] : "");
	diag_done(&dg);

	r = parse_opml(bad, sizeof(bad) - 1, "bad.opml", &feeds, &n, &dg);
	ok(r >= 1 && dg.n >= 1 && strstr(dg.msgs[0], "bad.opml"),
	    "malformed OPML reported: %s", dg.n ? dg.msgs[0] : "");
	diag_done(&dg);
	r = parse_opml(notopml, sizeof(notopml) - 1, "x.opml", &feeds, &n,
	    &dg);
	ok(r == 1 && strstr(dg.msgs[0], "<rss>"), "not OPML reported: %s",
	    dg.n ? dg.msgs[0] : "");
	diag_done(&dg);

	/* feed_done() lives in conf.c; free the fields here. */
	for (i = 0; i < n; i++) {
		free(feeds[i].name);
		free(feeds[i].url);
		free(feeds[i].lang);
		strv_free(feeds[i].tags);
		free(feeds[i].src_file);
	}
	free(feeds);
}

int
main(void)
{
	srcdir = getenv("top_srcdir");
	if (!srcdir || !*srcdir)
		srcdir = ".";
	golden_all();
	test_caps();
	test_hostile();
	test_opml();
	return tap_done();
}
