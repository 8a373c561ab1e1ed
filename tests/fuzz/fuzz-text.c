/*
 * fuzz-text.c: libFuzzer target for HTML to text (text_from_html) and the
 * Unicode clean-up (text_clean, text_normalise), including text_clean()
 * on text_from_html()'s output.  Every result must be valid UTF-8: the
 * JSON writer (json_add_text()) relies on it.  (Not a fixed point: HTML
 * "&amp;lt;" is the text "&lt;", which text_clean() decodes again.)  The
 * one-pass match form (text_match_fold(), the short cut for display text)
 * must equal text_normalise() then text_fold(), map included, on the raw
 * input and on its clean form.  No I/O.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * text_match_fold() against the long way.  A leading space is never its
 * own match form, so " " + s takes text_normalise()'s full clean-up; the
 * result is the same text (leading blanks go).
 */
static void
match_form_check(const char *s, size_t len)
{
	struct buf sp, norm, fold;
	char *fast, *slow, *f;
	uint32_t *map = NULL, *full = NULL;
	const char *t;
	size_t tl, j;

	buf_init(&sp, 0);
	buf_init(&norm, 0);
	buf_init(&fold, 0);
	(void)buf_addc(&sp, ' ');
	(void)buf_add(&sp, s, len);
	fast = text_normalise(s, len);
	slow = text_normalise(sp.data, sp.len);
	if (!fast || !slow || strcmp(fast, slow) != 0)
		abort();
	if (text_match_fold(s, len, &norm, &fold, &t, &tl, &map) != 0 ||
	    tl != strlen(fast) || memcmp(t, fast, tl) != 0)
		abort();
	f = text_fold(fast, strlen(fast), &full);
	if (strcmp(f, fold.data ? fold.data : "") != 0 ||
	    fold.len != strlen(f))
		abort();
	if (map) {
		if (memcmp(map, full, (fold.len + 1) * sizeof(*map)) != 0)
			abort();
	} else {
		/* no map: each character folded to one as long */
		for (j = 0; j <= fold.len; j++)
			if ((j == fold.len ||
			    ((unsigned char)f[j] & 0xc0) != 0x80) &&
			    full[j] != j)
				abort();
	}
	free(map);
	free(full);
	free(f);
	free(fast);
	free(slow);
	buf_done(&sp);
	buf_done(&norm);
	buf_done(&fold);
}

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
	{
		char *z = xmalloc(size + 1);	/* as entries hold text */

		memcpy(z, p, size);
		z[size] = '\0';
		match_form_check(z, size);
		free(z);
	}
	if (c)
		match_form_check(c, strlen(c));
	free(h);
	free(c);
	free(n);
	return 0;
}
