/*
 * fuzz-text.c: libFuzzer target for HTML to text (text_from_html) and the
 * Unicode clean-up (text_clean, text_normalise), including text_clean()
 * on text_from_html()'s output.  Every result must be valid UTF-8: the
 * JSON writer (json_add_text()) relies on it.  (Not a fixed point: HTML
 * "&amp;lt;" is the text "&lt;", which text_clean() decodes again.)
 * No I/O.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char *h, *c, *n;

	h = text_from_html(p, size);
	c = text_clean(p, size);
	n = text_normalise(p, size);
	if ((h && !utf8_valid(h, strlen(h))) || (c && !utf8_valid(c,
	    strlen(c))) || (n && !utf8_valid(n, strlen(n))))
		abort();
	if (h) {
		char *hc = text_clean(h, strlen(h));

		if (hc && !utf8_valid(hc, strlen(hc)))
			abort();
		free(hc);
	}
	free(h);
	free(c);
	free(n);
	return 0;
}
