/*
 * fuzz-text.c: libFuzzer target for HTML to text (text_from_html) and the
 * Unicode clean-up (text_clean, text_normalise), including on their own
 * output, which must be a fixed point of text_clean().  No I/O.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char *h, *c, *n;

	h = text_from_html(p, size);
	c = text_clean(p, size);
	n = text_normalise(p, size);
	if (h) {
		char *hc = text_clean(h, strlen(h));

		free(hc);
	}
	free(h);
	free(c);
	free(n);
	return 0;
}
