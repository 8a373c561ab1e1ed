/*
 * fuzz-parse.c: libFuzzer target for the feed parser with its encoding
 * detection (parse_feed), followed by text_entry() on every entry, the
 * way the daemon uses them; then parse_feed_clean(), which must give the
 * same entries (abort() when not, so the fuzzer reports it).  The first
 * input line, when it starts with "ct:", is the HTTP Content-Type.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "text.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
streq0(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Cleaned text is valid UTF-8 (the JSON writer relies on it). */
static void
valid_text(const char *s)
{
	if (s && !utf8_valid(s, strlen(s)))
		abort();
}

static void
same_entries(const struct feed_doc *a, const struct feed_doc *b)
{
	size_t i;

	if (a->n_entries != b->n_entries || a->n_dropped != b->n_dropped)
		abort();
	for (i = 0; i < a->n_entries; i++) {
		const struct entry *x = &a->entries[i], *y = &b->entries[i];

		if (!streq0(x->key, y->key) || !streq0(x->title.s, y->title.s) ||
		    !streq0(x->summary.s, y->summary.s) ||
		    !streq0(x->content.s, y->content.s))
			abort();
		valid_text(x->title.s);
		valid_text(x->summary.s);
		valid_text(x->content.s);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[ERRMSG_MAX] = "";
	struct feed_doc *doc = NULL, *clean = NULL;
	char *ct = NULL;
	const char *p = (const char *)data;
	size_t i;

	/* "ct:VALUE\n" prefix: the Content-Type header. */
	if (size > 3 && memcmp(p, "ct:", 3) == 0) {
		const char *nl = memchr(p, '\n', size);

		if (nl) {
			ct = strndup(p + 3, (size_t)(nl - p - 3));
			size -= (size_t)(nl + 1 - p);
			p = nl + 1;
		}
	}
	if (parse_feed(p, size, ct, "https://fuzz.example.test/feed/",
	    errbuf, &doc) == 0) {
		for (i = 0; i < doc->n_entries; i++)
			if (text_entry(&doc->entries[i]) < 0)
				break;
		if (i == doc->n_entries && parse_feed_clean(p, size, ct,
		    "https://fuzz.example.test/feed/", NULL, NULL, errbuf,
		    &clean) == 0) {
			same_entries(doc, clean);
			feed_doc_free(clean);
		}
		feed_doc_free(doc);
	}
	free(ct);
	return 0;
}
