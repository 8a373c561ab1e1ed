/*
 * cmd-test.c: `reewatch test WATCHLIST [FEED_FILE|-]...`: one watchlist
 * over the entries of feed files (or text on standard input), printing
 * what hits and why.  Reads files and stdin; never touches the store.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "match.h"
#include "parse.h"
#include "text.h"

#define TEST_INPUT_MAX		((size_t)64 * 1024 * 1024)
#define TEST_CONTEXT_CHARS	40	/* shown each side of a span */

static const char *const field_names[HIT_FIELD_MAX] = { "title", "body" };

struct tally {
	size_t entries, entries_hit, hits;
	bool limited;
};

static int
test_entry(const struct watchset *s, struct entry *e, const char *where,
    struct tally *t)
{
	char *text[HIT_FIELD_MAX] = { NULL };
	struct hit *hits = NULL;
	size_t n = 0, i, j;
	int r;

	t->entries++;
	if (text_entry(e) < 0)
		return -ENOMEM;
	r = match_entry(s, e, &hits, &n);
	if (r == -ETIME)
		t->limited = true;
	else if (r < 0)
		return r;
	if (n == 0)
		return 0;
	t->entries_hit++;
	t->hits += n;
	for (i = 0; i < HIT_FIELD_MAX; i++)
		text[i] = match_text(e, (enum hit_field)i);
	printf("%s: %s\n", where, e->title.s ? e->title.s : "(no title)");
	if (e->link)
		printf("  %s\n", e->link);
	for (i = 0; i < n; i++) {
		const struct hit *h = &hits[i];

		printf("  HIT %s / \"%s\" (score %d, notify %s)\n",
		    h->watchlist, h->alert, h->score, h->notify ? "yes" : "no");
		cmd_print_terms("    ", h->terms);
		for (j = 0; j < h->n_spans; j++) {
			const struct hit_span *sp = &h->spans[j];
			_cleanup_free_ char *ctx = text[sp->field] ?
			    match_span_context(text[sp->field], sp,
			    TEST_CONTEXT_CHARS) : xstrdup("?");

			printf("    %-5s %zu-%zu %s: %s\n",
			    field_names[sp->field], sp->start, sp->end,
			    h->terms[sp->term], ctx);
		}
		printf("    snippet: %s\n", h->snippet);
	}
	for (i = 0; i < HIT_FIELD_MAX; i++)
		free(text[i]);
	hits_free(hits, n);
	return 0;
}

/* Text that is not a feed: the first line is the title, the rest the
 * body. */
static int
test_text(const struct watchset *s, const char *data, size_t len,
    const char *where, struct tally *t)
{
	const char *nl = memchr(data, '\n', len);
	struct entry e;
	int r;

	memset(&e, 0, sizeof(e));
	e.title.s = xstrndup(data, nl ? (size_t)(nl - data) : len);
	if (nl && (size_t)(nl + 1 - data) < len)
		e.content.s = xstrndup(nl + 1, len - (size_t)(nl + 1 - data));
	r = test_entry(s, &e, where, t);
	entry_done(&e);
	return r;
}

static bool
looks_like_xml(const char *data, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (data[i] == ' ' || data[i] == '\t' ||
	    data[i] == '\r' || data[i] == '\n'))
		i++;
	return i < len && data[i] == '<';
}

static int
test_input(const struct watchset *s, const char *name, struct tally *t)
{
	_cleanup_free_ char *data = NULL;
	char errbuf[ERRMSG_MAX];
	struct feed_doc *doc = NULL;
	bool in = strcmp(name, "-") == 0;
	size_t len = 0, i;
	int r;

	r = read_file(in ? "/dev/stdin" : name, TEST_INPUT_MAX, &data, &len);
	if (r < 0) {
		fprintf(stderr, "reewatch test: %s: %s\n", in ? "stdin" : name,
		    strerror(-r));
		return 1;
	}
	if (!looks_like_xml(data, len)) {
		if (test_text(s, data, len, in ? "stdin" : name, t) < 0)
			return 1;
		return 0;
	}
	errbuf[0] = '\0';
	r = parse_feed(data, len, NULL, NULL, errbuf, &doc);
	if (r < 0) {
		fprintf(stderr, "reewatch test: %s: not a feed: %s\n",
		    in ? "stdin" : name, errbuf[0] ? errbuf : strerror(-r));
		return 1;
	}
	for (i = 0; i < doc->n_entries; i++) {
		_cleanup_free_ char *where = xasprintf("%s #%zu",
		    in ? "stdin" : name, i + 1);

		if (test_entry(s, &doc->entries[i], where, t) < 0) {
			feed_doc_free(doc);
			return 1;
		}
	}
	feed_doc_free(doc);
	return 0;
}

int
cmd_test(int argc, char **argv)
{
	_cleanup_free_ char *data = NULL;
	struct watchlist *w = NULL;
	struct watchset *s;
	struct tally t = { 0, 0, 0, false };
	struct diag d;
	size_t len = 0, i;
	int r, status = 0, k;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: reewatch %s WATCHLIST [FEED_FILE|-]..."
		    "\n", argv[0]);
		return CMD_EXIT_USAGE;
	}
	r = read_file(argv[1], TEST_INPUT_MAX, &data, &len);
	if (r < 0) {
		fprintf(stderr, "reewatch test: %s: %s\n", argv[1],
		    strerror(-r));
		return 1;
	}
	diag_init(&d);
	if (watchlist_compile(data, len, argv[1], &w, &d) < 0) {
		for (i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
		diag_done(&d);
		return SETUP_EXIT_CONFIG;
	}
	diag_done(&d);
	s = watchset_new();
	if (!s) {
		watchlist_free(w);
		return 1;
	}
	(void)watchset_add(s, w);
	if (argc == 2)
		status = test_input(s, "-", &t);
	for (k = 2; k < argc; k++)
		if (test_input(s, argv[k], &t) != 0)
			status = 1;
	printf("%zu entr%s, %zu with hits, %zu hit%s\n", t.entries,
	    t.entries == 1 ? "y" : "ies", t.entries_hit, t.hits,
	    t.hits == 1 ? "" : "s");
	if (t.limited)
		fprintf(stderr, "reewatch test: some patterns hit PCRE2's "
		    "limits and were skipped on some entries\n");
	watchset_free(s);
	return status;
}
