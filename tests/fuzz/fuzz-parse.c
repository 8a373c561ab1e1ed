/*
 * fuzz-parse.c: libFuzzer target for the feed parser with its encoding
 * detection (parse_feed), followed by text_entry() on every entry, the
 * way `reewatch parse` and the daemon use them.  The first input line,
 * when it starts with "ct:", is the HTTP Content-Type.  No I/O.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[ERRMSG_MAX] = "";
	struct feed_doc *doc = NULL;
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
		feed_doc_free(doc);
	}
	free(ct);
	return 0;
}
