/*
 * text.c: HTML fragments to plain text (one tree-less scan; libxml2's
 * entity table), entity decoding and Unicode clean-up (utf8proc).  Pure:
 * no I/O, no logging, no network; touches memory only.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <utf8proc.h>

#include "swar.h"
#include "text.h"
#include "util.h"

#define ENTITY_NAME_MAX	32	/* longest entity name we look up */

/* What an HTML element does to the text around it. */
enum html_kind {
	HTML_INLINE,		/* nothing: <b>, <a>, <span>, unknown ones */
	HTML_SKIP,		/* dropped with its content: <script> */
	HTML_BR,		/* a line break, always */
	HTML_LINE,		/* a line break unless one is there: <div> */
	HTML_PARA,		/* a blank line: <p>, <h1>, <table> */
	HTML_CELL,		/* a space: <td>, <th> */
	HTML_PRE,		/* a blank line, and newlines inside are kept */
	HTML_KIND_MAX
};

/* Sorted by name, for bsearch(). */
static const struct html_kind_name {
	const char *name;
	enum html_kind kind;
} html_kinds[] = {
	{ "address", HTML_LINE }, { "article", HTML_LINE },
	{ "aside", HTML_LINE }, { "blockquote", HTML_PARA },
	{ "br", HTML_BR }, { "caption", HTML_LINE }, { "dd", HTML_LINE },
	{ "div", HTML_LINE }, { "dl", HTML_PARA }, { "dt", HTML_LINE },
	{ "fieldset", HTML_PARA }, { "figcaption", HTML_LINE },
	{ "figure", HTML_LINE }, { "footer", HTML_LINE },
	{ "form", HTML_PARA }, { "h1", HTML_PARA }, { "h2", HTML_PARA },
	{ "h3", HTML_PARA }, { "h4", HTML_PARA }, { "h5", HTML_PARA },
	{ "h6", HTML_PARA }, { "head", HTML_SKIP }, { "header", HTML_LINE },
	{ "hr", HTML_PARA }, { "iframe", HTML_SKIP }, { "li", HTML_LINE },
	{ "listing", HTML_PRE }, { "main", HTML_LINE }, { "math", HTML_SKIP },
	{ "nav", HTML_LINE }, { "noscript", HTML_SKIP },
	{ "object", HTML_SKIP }, { "ol", HTML_PARA }, { "p", HTML_PARA },
	{ "pre", HTML_PRE }, { "script", HTML_SKIP },
	{ "section", HTML_LINE }, { "style", HTML_SKIP },
	{ "svg", HTML_SKIP }, { "table", HTML_PARA }, { "td", HTML_CELL },
	{ "template", HTML_SKIP }, { "th", HTML_CELL },
	{ "title", HTML_SKIP }, { "tr", HTML_LINE }, { "ul", HTML_PARA },
	{ "xmp", HTML_PRE },
};

/* Windows-1252 for &#128; .. &#159;, as browsers decode them. */
static const uint16_t cp1252_c1[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

static void
add_cp(struct buf *b, int32_t cp)
{
	utf8proc_uint8_t u[4];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, u);

	(void)buf_add(b, u, (size_t)n);
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int32_t
numeric_cp(unsigned long v)
{
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0xfffd;
	if (v >= 0x80 && v <= 0x9f)
		return cp1252_c1[v - 0x80];
	return (int32_t)v;
}

/*
 * Decode the entity at s[0] == '&' of at most n bytes.  Named ones need
 * their ';' (so "AT&T" stays), numeric ones may lack it.  Returns the
 * bytes consumed, 0 when this is not an entity.
 */
static size_t
entity_decode(const char *s, size_t n, int32_t *ret_cp)
{
	size_t i = 1;

	if (n > 2 && s[1] == '#') {
		bool hex = s[2] == 'x' || s[2] == 'X';
		unsigned long v = 0;
		size_t start;

		i = hex ? 3 : 2;
		start = i;
		for (; i < n && i - start < 8; i++) {
			char c = s[i];
			int d;

			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (hex && c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				break;
			v = v * (hex ? 16 : 10) + (unsigned long)d;
		}
		if (i == start || (i < n && is_alnum(s[i])))
			return 0;
		*ret_cp = numeric_cp(v);
		return i < n && s[i] == ';' ? i + 1 : i;
	}
	while (i < n && i <= ENTITY_NAME_MAX && is_alnum(s[i]))
		i++;
	if (i == 1 || i >= n || s[i] != ';' || i > ENTITY_NAME_MAX)
		return 0;
	{
		char name[ENTITY_NAME_MAX + 1];
		const htmlEntityDesc *e;

		memcpy(name, s + 1, i - 1);
		name[i - 1] = '\0';
		if (strcmp(name, "apos") == 0) {
			*ret_cp = '\'';
			return i + 1;
		}
		e = htmlEntityLookup((const xmlChar *)name);
		if (!e)
			return 0;
		*ret_cp = (int32_t)e->value;
		return i + 1;
	}
}

/* Decode entities once; the result is never longer than the input. */
static void
entities_decode(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t used;
		int32_t cp;

		if (!amp) {
			(void)buf_add(out, s + i, len - i);
			break;
		}
		(void)buf_add(out, s + i, (size_t)(amp - (s + i)));
		i = (size_t)(amp - s);
		used = entity_decode(amp, len - i, &cp);
		if (used == 0) {
			(void)buf_addc(out, '&');
			i++;
			continue;
		}
		add_cp(out, cp);
		i += used;
	}
}

static bool
is_dropped(int32_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n') ||
	    (c >= 0x7f && c <= 0x9f) ||
	    c == 0x00ad ||				/* soft hyphen */
	    c == 0x061c || c == 0x180e ||
	    (c >= 0x200b && c <= 0x200f) ||	/* zero width, LRM, RLM */
	    (c >= 0x202a && c <= 0x202e) ||		/* bidi embeddings */
	    (c >= 0x2060 && c <= 0x2064) ||		/* word joiner, ... */
	    (c >= 0x2066 && c <= 0x2069) ||		/* bidi isolates */
	    c == 0xfeff;
}

static bool
is_odd_space(int32_t c)
{
	return c == '\v' || c == '\f' || c == 0x00a0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x202f || c == 0x205f ||
	    c == 0x3000;
}

/*
 * Room for n more bytes (and the NUL) in b, for the loops below that
 * write bytes straight into it: not one call per character.  Grows by
 * half at least, as callers append many short runs to one buffer.
 */
static char *
room(struct buf *b, size_t n)
{
	if (!b->data || b->alloc < b->len + n + 1) {
		size_t want = b->len + n + 1;

		b->alloc = want > b->alloc + b->alloc / 2 ? want :
		    b->alloc + b->alloc / 2;
		b->data = xrealloc(b->data, b->alloc);
	}
	return b->data + b->len;
}

/* Write code point c at d; returns the end. */
static inline char *
put_cp(char *d, int32_t c)
{
	if (c < 0x80) {
		*d++ = (char)c;
		return d;
	}
	if (c < 0x800) {
		*d++ = (char)(0xc0 | c >> 6);
		*d++ = (char)(0x80 | (c & 0x3f));
		return d;
	}
	return d + utf8proc_encode_char(c, (utf8proc_uint8_t *)d);
}

/*
 * How many bytes at p (n bytes) are printable ASCII (0x20-0x7e): whole
 * words of 8 first, then byte by byte.
 */
static inline size_t
ascii_plain_span(const unsigned char *p, size_t n)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	const uint64_t high = UINT64_C(0x8080808080808080);
	size_t i = 0;
	uint64_t w, x;

	while (n - i >= 8) {
		memcpy(&w, p + i, 8);
		x = w ^ (ones * 0x7f);	/* a zero byte where w has 0x7f */
		if (((w | (w - ones * 0x20) | ((x - ones) & ~x)) & high) != 0)
			break;
		i += 8;
	}
	while (i < n && p[i] >= 0x20 && p[i] < 0x7f)
		i++;
	return i;
}

/*
 * Character c (from the text, or an entity) as the filters below want
 * it, or -1 when it goes.  With flat (HTML outside <pre>), the source's
 * line ends, tabs and form feeds are blanks.
 */
static inline int32_t
filtered(int32_t c, bool flat)
{
	if (c == '\n' || c == '\r' || c == '\t' || c == '\f') {
		if (flat)
			c = ' ';
		else if (c == '\r')
			c = '\n';
	}
	if (c == 0x85 || c == 0x2028 || c == 0x2029)
		return '\n';
	if (is_odd_space(c))
		return ' ';
	return is_dropped(c) ? -1 : c;
}


/*
 * Is p[i] the start of a two-byte letter from U+0100 on (Latin, Greek,
 * Cyrillic ...) that the filter below keeps as it is?  The common case,
 * copied without a call.
 */
static inline bool
plain_pair(const unsigned char *p, size_t i, size_t len)
{
	return p[i] >= 0xc4 && p[i] <= 0xdf && i + 1 < len &&
	    (p[i + 1] & 0xc0) == 0x80 &&
	    !(p[i] == 0xd8 && p[i + 1] == 0x9c);	/* U+061C */
}

/*
 * The character at p[*i] (U+FFFD for a byte that starts none), *i moved
 * past it; a CR LF is one line end, LF.
 */
static inline int32_t
next_cp(const unsigned char *p, size_t len, size_t *i)
{
	utf8proc_int32_t c = p[*i];
	utf8proc_ssize_t n = 1;

	if (c >= 0x80) {
		n = utf8proc_iterate(p + *i, (utf8proc_ssize_t)(len - *i), &c);
		if (n < 1) {
			c = 0xfffd;
			n = 1;
		}
	}
	*i += (size_t)n;
	if (c == '\r' && *i < len && p[*i] == '\n') {
		(*i)++;
		c = '\n';
	}
	return c;
}

/*
 * How many of the bytes of word w the filter keeps as they are (8, or 7
 * when the last leads a sequence the next word ends; 0: look at each):
 * ASCII without controls and two-byte letters, not the C2 row (C1
 * controls, no-break and soft hyphen) or U+061C's D8.  *ret_leads as
 * swar_utf8().
 */
static inline size_t
filter_word(uint64_t w, uint64_t *ret_leads)
{
	if (swar_any_below(w, 0x20) || swar_any_eq(w, 0x7f) ||
	    swar_any_eq(w, 0xc2) || swar_any_eq(w, 0xd8))
		return 0;
	return swar_utf8(w, ret_leads);
}

/*
 * Append s to out as valid UTF-8 with controls and invisible characters
 * dropped, odd spaces made ' ' and every line end made '\n'.  Each
 * invalid byte is U+FFFD.  (HTML goes through fold_filter() instead.)
 */
static void
chars_filter(const char *s, size_t len, struct buf *out)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	char *d = room(out, 3 * len);	/* U+FFFD for a byte: 3 bytes */
	size_t i = 0, words_from = 0;
	int32_t c;

	while (i < len) {
		/*
		 * The common cases without a call: ASCII, and two-byte
		 * letters from U+0100 on (Latin, Greek, Cyrillic ...), none
		 * of which this filter changes, copied as they are.
		 */
		if (i >= words_from && len - i >= 8) {
			/* ASCII and two-byte letters, eight bytes at a time */
			uint64_t w = swar_load(p + i), leads;
			size_t k;

			if ((k = filter_word(w, &leads)) > 0) {
				memcpy(d, p + i, k);
				d += k;
				i += k;
				continue;
			}
			words_from = i + 8;	/* by character past it */
		}
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			size_t k = ascii_plain_span(p + i, len - i);

			memcpy(d, p + i, k);
			d += k;
			i += k;
			continue;
		}
		if (plain_pair(p, i, len)) {
			*d++ = (char)p[i];
			*d++ = (char)p[i + 1];
			i += 2;
			continue;
		}
		c = filtered(next_cp(p, len, &i), false);
		if (c >= 0)
			d = put_cp(d, c);
	}
	out->len = (size_t)(d - out->data);
	*d = '\0';
}

/*
 * Is code point c one that no normalisation form changes and that never
 * combines with its neighbours?  ASCII, Latin-1 letters, Latin
 * Extended-A, Cyrillic, common punctuation, CJK ideographs: most news
 * text, which then needs no utf8proc pass.
 */
static inline bool
nf_stable_cp(uint32_t c)
{
	return c < 0x80 ||
	    (c >= 0xc0 && c <= 0x17e && c != 0x132 && c != 0x133 &&
	    c != 0x13f && c != 0x140 && c != 0x149) ||
	    (c >= 0x400 && c <= 0x482) || (c >= 0x48a && c <= 0x4ff) ||
	    (c >= 0x4e00 && c <= 0x9fff) ||
	    c == 0xa7 || c == 0xa9 || c == 0xab || c == 0xae ||
	    c == 0xb0 || c == 0xb1 || c == 0xb6 || c == 0xbb ||
	    c == 0x2013 || c == 0x2014 || c == 0x2018 || c == 0x2019 ||
	    (c >= 0x201c && c <= 0x201e) || c == 0x2022 ||
	    c == 0x3001 || c == 0x3002 || (c >= 0x300a && c <= 0x3011);
}

/* The match form of one character (after NFC), or c itself. */
static int32_t
char_normalise(int32_t c)
{
	switch (c) {
	case 0x0451:		/* ё */
		return 0x0435;
	case 0x0401:		/* Ё */
		return 0x0415;
	case 0x00ab: case 0x00bb:			/* « » */
	case 0x201c: case 0x201d: case 0x201e: case 0x201f:	/* “ ” „ ‟ */
		return '"';
	case 0x2018: case 0x2019: case 0x201a: case 0x201b:	/* ‘ ’ ‚ ‛ */
	case 0x2039: case 0x203a:			/* ‹ › */
		return '\'';
	case 0x2010: case 0x2011: case 0x2012: case 0x2013:	/* ‐ ‑ ‒ – */
	case 0x2014: case 0x2015: case 0x2212:		/* — ― − */
	case 0x2e3a: case 0x2e3b:			/* ⸺ ⸻ */
		return '-';
	default:
		return c;
	}
}

/*
 * How many of the eight bytes at p[i] as_is_run() below takes at once
 * (0: look at each): ASCII letters and single spaces, and the two-byte
 * characters that are nf_stable_cp() and common in news (U+00C0-U+00FF,
 * U+0400-U+047F, « »), but those char_normalise() changes when
 * normalising (ё, Ё, « »).  A space in the last lane is left for the
 * next step, which sees what follows it.
 */
static inline size_t
as_is_word(const unsigned char *p, size_t i, size_t start, size_t len,
    bool normalise)
{
	uint64_t w, leads, sp, ok;
	size_t k;

	if (len - i < 8)
		return 0;
	w = swar_load(p + i);
	if (swar_any_below(w, 0x20) || swar_any_eq(w, 0x7f) ||
	    (k = swar_utf8(w, &leads)) == 0)
		return 0;
	ok = swar_eq(w, 0xc3) | swar_eq(w, 0xd0) | swar_eq(w, 0xd1);
	if (!normalise)
		ok |= swar_eq(w, 0xc2) &
		    ((swar_eq(w, 0xab) | swar_eq(w, 0xbb)) >> 8);
	if ((leads & ~ok) != 0)
		return 0;
	if (normalise && (((swar_eq(w, 0x91) >> 8) & swar_eq(w, 0xd1)) |
	    ((swar_eq(w, 0x81) >> 8) & swar_eq(w, 0xd0))) != 0)
		return 0;
	sp = swar_eq(w, ' ');
	if ((sp & (sp >> 8)) != 0 || (i == start && (sp & 0x80) != 0))
		return 0;
	return sp >> 63 ? 7 : k;
}

/*
 * Where the run from p[i] of characters that blanks_fold() copies as they
 * are ends: ASCII but line ends, tabs and spaces other than single ones
 * between two characters of the run, and two-byte letters that are
 * nf_stable_cp() (but ё/Ё when normalising).
 */
static inline size_t
as_is_run(const unsigned char *p, size_t i, size_t len, bool normalise)
{
	size_t start = i, words_from = i;

	while (i < len) {
		unsigned char c = p[i];

		if (i >= words_from) {
			size_t k = as_is_word(p, i, start, len, normalise);

			if (k > 0) {
				i += k;
				continue;
			}
			words_from = i + 8;	/* by character past it */
		}
		if (c > 0x20 && c < 0x7f) {
			/* words are short: a byte loop beats word-at-a-time */
			while (++i < len && p[i] > 0x20 && p[i] < 0x7f)
				;
			continue;
		}
		if ((c == 0xd0 || c == 0xd1) && i + 1 < len) {
			/* U+0400-U+047F, Cyrillic: all nf_stable_cp() */
			if (normalise && ((c == 0xd1 && p[i + 1] == 0x91) ||
			    (c == 0xd0 && p[i + 1] == 0x81)))
				break;
			i += 2;
			continue;
		}
		if (c == ' ') {
			if (i == start || i + 1 == len || p[i + 1] == ' ' ||
			    p[i + 1] == '\t' || p[i + 1] == '\n')
				break;
			i++;
			continue;
		}
		if (c < 0x80 || c < 0xc3 || c > 0xd3 || i + 1 >= len ||
		    !nf_stable_cp((uint32_t)(c & 0x1f) << 6 |
		    (p[i + 1] & 0x3f)))
			break;
		if (normalise && ((c == 0xd1 && p[i + 1] == 0x91) ||
		    (c == 0xd0 && p[i + 1] == 0x81)))
			break;
		i += 2;
	}
	return i;
}

/*
 * Fold blanks of valid UTF-8 s into out: runs of spaces and tabs become
 * one space, lines are trimmed, at most one blank line in a row, the
 * whole trimmed.  With normalise, characters go through char_normalise().
 * Returns whether every character was nf_stable_cp().
 */
static bool
blanks_fold(const char *s, size_t len, bool normalise, struct buf *out)
{
	bool stable = true;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	unsigned newlines = 0;
	bool space = false, line_has_text = false;
	char *d = room(out, len + 3), *start = out->data;
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t c = p[i];
		utf8proc_ssize_t n = 1;
		size_t e = as_is_run(p, i, len, normalise);

		if (e > i) {
			if (newlines > 0) {
				*d++ = '\n';
				if (newlines > 1)
					*d++ = '\n';
				newlines = 0;
			} else if (space)
				*d++ = ' ';
			space = false;
			line_has_text = true;
			memcpy(d, p + i, e - i);
			d += e - i;
			i = e;
			continue;
		}
		if (c >= 0x80) {
			n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i),
			    &c);
			if (n < 1) {	/* cannot happen after chars_filter */
				c = 0xfffd;
				n = 1;
			}
			if (!nf_stable_cp((uint32_t)c))
				stable = false;
			if (normalise)
				c = char_normalise(c);
		}
		i += (size_t)n;
		if (c == ' ' || c == '\t') {
			space = line_has_text;
			continue;
		}
		if (c == '\n') {
			space = false;
			line_has_text = false;
			if (d > start)
				newlines++;
			continue;
		}
		/* never longer than the input: blanks fold, marks shrink */
		if (newlines > 0) {
			*d++ = '\n';
			if (newlines > 1)
				*d++ = '\n';
			newlines = 0;
		} else if (space)
			*d++ = ' ';
		space = false;
		line_has_text = true;
		d = put_cp(d, c);
	}
	out->len = (size_t)(d - out->data);
	*d = '\0';
	return stable;
}

/*
 * The whole clean-up; entities decoded first when asked to.  s may be
 * the filter's output already (filtered): then it is filtered again only
 * when an entity was decoded.
 */
static char *
clean(const char *s, size_t len, bool entities, bool normalise,
    bool filtered)
{
	struct buf dec, filt, out;
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t n;

	if (!s)
		s = "";
	buf_init(&dec, 0);
	buf_init(&filt, 0);
	buf_init(&out, 0);
	if (entities && memchr(s, '&', len)) {
		entities_decode(s, len, &dec);
		s = dec.data;
		len = dec.len;
		filtered = false;
	}
	if (!filtered) {
		chars_filter(s, len, &filt);
		buf_done(&dec);
		s = filt.data;
		len = filt.len;
	}
	if (len == 0) {
		buf_done(&filt);
		return xstrdup("");
	}
	/*
	 * Most text has no character any normalisation form changes: its
	 * folded form is the result.  Otherwise NFC (the match form NFKC:
	 * ﬁ, ｎ, ² and friends as plain letters) first, then the fold.
	 */
	if (blanks_fold(s, len, normalise, &out)) {
		buf_done(&filt);
		return buf_steal(&out);
	}
	buf_done(&out);
	buf_init(&out, 0);
	n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
	    &nfc, UTF8PROC_COMPOSE | UTF8PROC_STABLE |
	    (normalise ? UTF8PROC_COMPAT : 0));
	buf_done(&filt);
	if (n < 0)
		return NULL;	/* only UTF8PROC_ERROR_NOMEM after the filter */
	(void)blanks_fold((const char *)nfc, (size_t)n, normalise, &out);
	free(nfc);
	return buf_steal(&out);
}

char *
text_clean(const char *s, size_t len)
{
	return clean(s, len, true, false, false);
}

/* The case fold (below), which normal_quick() can do as it goes. */
static uint16_t fold2_table[0x800];
static void fold_init(void);
static char *fold_char(int32_t c, char *d);
static inline uint64_t swar_ascii_lower(uint64_t w);

/*
 * The fold of the k bytes at p[i] (a word normal_word() took: ASCII and
 * two-byte letters; lower: only A-Z to lower) written at d, if each
 * character folds to one as long as it is; returns its end, NULL when
 * one does not.
 */
static char *
fold_same_word(const unsigned char *p, size_t i, size_t k, bool lower,
    char *d)
{
	uint64_t w = swar_load(p + i);
	size_t e = i + k;

	if (lower) {
		/* all eight stored: the buffer has room past the text */
		w = htole64(swar_ascii_lower(w));
		memcpy(d, &w, 8);
		return d + k;
	}
	while (i < e) {
		uint16_t f;

		if (p[i] < 0x80) {
			*d++ = (char)(p[i] >= 'A' && p[i] <= 'Z' ?
			    p[i] | 0x20 : p[i]);
			i++;
			continue;
		}
		f = fold2_table[(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f)];
		if (f == 0xffff || f < 0x80)
			return NULL;
		d = put_cp(d, f);
		i += 2;
	}
	return d;
}

/* The fold of c (n bytes) at d if it is one character of n bytes: its
 * end, else NULL. */
static char *
fold_same_char(int32_t c, size_t n, char *d)
{
	char tmp[16], *e;
	size_t j;

	if (c < 0x80) {
		*d = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
		return d + 1;
	}
	if (c < 0x800 && fold2_table[c] != 0xffff)
		return fold2_table[c] < 0x80 ? NULL : put_cp(d, fold2_table[c]);
	e = fold_char(c, tmp);
	if ((size_t)(e - tmp) != n)
		return NULL;
	for (j = 1; j < n; j++)
		if (((unsigned char)tmp[j] & 0xc0) != 0x80)
			return NULL;
	memcpy(d, tmp, n);
	return d + n;
}

/*
 * How many of the eight bytes at p[i] normal_quick() below takes at once
 * (0: look at each): printable ASCII with single spaces, and two-byte
 * letters that are nf_stable_cp() and that char_normalise() keeps
 * (U+00C0-U+00FF, U+0400-U+047F but ё and Ё).  A space may neither
 * begin the text or a line nor come before another blank; one in the
 * last lane looks at the byte after the word.  *ret_lower: whether the
 * fold of what it takes is the word with A-Z lowered (ASCII and lower
 * case Cyrillic, as case_word()).
 */
static inline size_t
normal_word(const unsigned char *p, size_t i, size_t len, bool *ret_lower)
{
	uint64_t w, sp, leads, dd, v, d1;
	size_t k;

	if (len - i < 9)
		return 0;
	w = swar_load(p + i);
	if (swar_any_below(w, 0x20) || swar_any_eq(w, 0x7f))
		return 0;
	sp = swar_eq(w, ' ');
	if ((sp & (sp >> 8)) != 0 ||
	    ((sp & 0x80) != 0 && (i == 0 || p[i - 1] == '\n')) ||
	    (sp >> 63 != 0 && (p[i + 8] == ' ' || p[i + 8] == '\n')))
		return 0;
	*ret_lower = true;
	if ((w & SWAR_HIGH) == 0)
		return 8;
	k = swar_utf8(w, &leads);
	if (k == 0)
		return 0;
	dd = swar_eq(w & ~SWAR_ONES, 0xd0);	/* D0 or D1 */
	/* ё is D1 91, Ё D0 81: the lead's low bit moved to bit 4 of the
	 * byte after it makes both 81 */
	v = w ^ ((w << 12) & (SWAR_ONES * 0x10));
	if ((leads & ~(dd | swar_eq(w, 0xc3))) != 0 ||
	    (swar_eq(v, 0x81) & (dd << 8)) != 0)
		return 0;
	/* as case_word(): after D0 only B0-BF, after D1 only 80-9F */
	d1 = dd & (w << 7);
	*ret_lower = (leads & ~dd) == 0 &&
	    (((dd & ~d1) << 8) & ~swar_eq(w & SWAR_ONES * 0xf0, 0xb0)) == 0 &&
	    ((d1 << 8) & ~swar_eq(w & SWAR_ONES * 0xe0, 0x80)) == 0;
	return k;
}

/*
 * The match form of display text that needs no clean-up pass: valid
 * UTF-8 that is blank-folded already (no blank at either end or beside a
 * line break, no double space, no tab, at most one blank line), with no
 * '&' (an entity to decode), no control or invisible character and only
 * nf_stable_cp() characters, so that NFKC leaves it alone: its match
 * form is s with char_normalise() applied to each character.  Returns 0
 * when that changes nothing (out untouched), 1 with the match form in out
 * (replaced), -1 when s needs clean() (out may be written to).
 *
 * With fold, the case fold of the match form goes there on the way, as
 * long as each character folds to one as long as it is: *ret_folded says
 * whether it got to the end (then fold is text_fold_buf()'s of the match
 * form, without a map).
 */
static int
normal_quick(const char *s, size_t len, struct buf *out, struct buf *fold,
    bool *ret_folded)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, done = 0, words_from = 0;
	bool changed = false;
	char *d = NULL, *fd = NULL;	/* fd: the fold's end while it goes */

	if (ret_folded)
		*ret_folded = false;
	if (!s || memchr(s, '&', len))
		return -1;
	if (fold) {
		fold_init();
		fold->len = 0;
		fd = room(fold, len + 8);
	}
	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n;
		int32_t m;

		if (i >= words_from) {
			bool lower;
			size_t k = normal_word(p, i, len, &lower);

			if (k > 0) {
				if (fd)
					fd = fold_same_word(p, i, k, lower,
					    fd);
				i += k;
				continue;
			}
			words_from = i + 8;	/* by character past it */
		}
		if (p[i] > 0x20 && p[i] < 0x7f) {
			if (fd)
				*fd++ = (char)(p[i] >= 'A' && p[i] <= 'Z' ?
				    p[i] | 0x20 : p[i]);
			i++;
			continue;
		}
		if (p[i] == ' ') {
			if (i == 0 || i + 1 == len || p[i - 1] == '\n' ||
			    p[i + 1] == ' ' || p[i + 1] == '\n')
				return -1;
			if (fd)
				*fd++ = ' ';
			i++;
			continue;
		}
		if (p[i] == '\n') {
			if (i == 0 || i + 1 == len || p[i - 1] == ' ' ||
			    p[i + 1] == ' ' ||
			    (p[i - 1] == '\n' && p[i + 1] == '\n'))
				return -1;
			if (fd)
				*fd++ = '\n';
			i++;
			continue;
		}
		if (p[i] < 0x80)
			return -1;	/* tab, controls, DEL */
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (n < 1 || !nf_stable_cp((uint32_t)c))
			return -1;
		m = char_normalise(c);
		if (m != c) {
			if (!changed) {
				/* never longer: a quote or dash for 2-3 bytes,
				 * е for ё */
				out->len = 0;
				d = room(out, len);
				changed = true;
			}
			memcpy(d, s + done, i - done);
			d += i - done;
			/* the fold goes on with the new character: while
			 * each folds to one as long, it is at the same
			 * offset in the fold as in the match form */
			if (fd)
				fd = fold_same_char(m, m < 0x80 ? 1 : 2, fd);
			d = put_cp(d, m);
			done = i + (size_t)n;
		} else if (fd)
			fd = fold_same_char(c, (size_t)n, fd);
		i += (size_t)n;
	}
	if (fd) {
		fold->len = (size_t)(fd - fold->data);
		*fd = '\0';
		*ret_folded = true;
	}
	if (!changed)
		return 0;
	memcpy(d, s + done, len - done);
	d += len - done;
	out->len = (size_t)(d - out->data);
	*d = '\0';
	return 1;
}

char *
text_normalise(const char *s, size_t len)
{
	struct buf out;

	buf_init(&out, 0);
	switch (normal_quick(s, len, &out, NULL, NULL)) {
	case 0:
		return xstrndup(s, len);
	case 1:
		return buf_steal(&out);
	default:
		buf_done(&out);		/* it may have begun */
		return clean(s, len, true, true, false);
	}
}

/* The match form of s through the whole clean-up, into out. */
static int
normalise_slow(const char *s, size_t len, struct buf *out)
{
	char *r = clean(s, len, true, true, false);

	if (!r)
		return -ENOMEM;
	out->len = 0;
	(void)room(out, strlen(r));
	out->len = strlen(r);
	memcpy(out->data, r, out->len + 1);
	free(r);
	return 1;
}

int
text_normalise_buf(const char *s, size_t len, struct buf *out)
{
	int q = normal_quick(s, len, out, NULL, NULL);

	return q >= 0 ? q : normalise_slow(s, len, out);
}

/* The table of 1:1 folds below U+0800 (Latin, Greek, Cyrillic ...),
 * declared above. */

static void
fold2_init(void)
{
	utf8proc_int32_t dst[4];
	int32_t c;

	for (c = 0; c < 0x800; c++) {
		int bound = 0;
		utf8proc_ssize_t n = utf8proc_decompose_char(c, dst, 4,
		    UTF8PROC_CASEFOLD, &bound);

		fold2_table[c] = n == 1 && dst[0] < 0x800 ?
		    (uint16_t)dst[0] : 0xffff;
	}
}

static void
fold_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, fold2_init);
}

/* Full case folding of code point c, written at d (at most 4 code
 * points, 16 bytes); returns the end. */
static char *
fold_char(int32_t c, char *d)
{
	utf8proc_int32_t dst[4];
	utf8proc_ssize_t n, i;
	int bound = 0;

	n = utf8proc_decompose_char(c, dst, 4, UTF8PROC_CASEFOLD, &bound);
	if (n < 1 || n > 4)
		return put_cp(d, c);
	for (i = 0; i < n; i++)
		d = put_cp(d, dst[i]);
	return d;
}

/* Word w with its ASCII A-Z made a-z. */
static inline uint64_t
swar_ascii_lower(uint64_t w)
{
	uint64_t h = w & SWAR_LOW7;
	uint64_t ge_a = h + SWAR_ONES * (0x80 - 'A');
	uint64_t gt_z = h + SWAR_ONES * (0x80 - 'Z' - 1);

	return w | ((ge_a ^ gt_z) & ~w & SWAR_HIGH) >> 2;
}

/*
 * How many bytes of word w fold to themselves but for ASCII A-Z: 8, or 7
 * when the last leads a sequence the next word ends; 0: look at each.
 * ASCII and lower-case Cyrillic (а-я U+0430-U+044F, ѐ-џ up to U+045F).
 */
static inline size_t
case_word(uint64_t w)
{
	uint64_t leads, d0, d1;
	size_t k;

	if ((w & SWAR_HIGH) == 0)
		return 8;
	k = swar_utf8(w, &leads);
	if (k == 0)
		return 0;
	d0 = swar_eq(w, 0xd0);
	d1 = swar_eq(w, 0xd1);
	/* after D0 only B0-BF, after D1 only 80-9F */
	if ((leads & ~(d0 | d1)) != 0 ||
	    ((d0 << 8) & ~swar_eq(w & SWAR_ONES * 0xf0, 0xb0)) != 0 ||
	    ((d1 << 8) & ~swar_eq(w & SWAR_ONES * 0xe0, 0x80)) != 0)
		return 0;
	return k;
}

enum fold_map {
	FOLD_MAP_NONE,
	FOLD_MAP_ALWAYS,
	FOLD_MAP_SHIFTED,	/* only when some character changes length */
	FOLD_MAP_MAX
};

/*
 * Fold s into out (replaced).  The map (see text_fold()) is returned
 * always, never, or only once a character folds to more or fewer bytes
 * than it has, or to more characters (ß to "ss"): up to there fold and
 * text have their characters at the same offsets, and the map is filled
 * in for them then.
 */
static uint32_t *
casefold_run(const char *s, size_t len, struct buf *out,
    enum fold_map want)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	uint32_t *map = NULL;
	size_t i = 0, j, words_from = 0;
	char *d;

	fold_init();
	/* a fold is at most 3 code points, 12 bytes, for 2 bytes in */
	out->len = 0;
	d = room(out, 6 * len + 16);
	if (want == FOLD_MAP_ALWAYS)
		map = xmalloc((6 * len + 17) * sizeof(*map));
	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n;
		char *from = d;
		size_t at = i;
		bool more = false;

		if (!map && i >= words_from && len - i >= 8) {
			uint64_t w = swar_load(p + i);
			size_t k = case_word(w);

			if (k > 0) {
				/* all eight stored: room has more */
				w = htole64(swar_ascii_lower(w));
				memcpy(d, &w, 8);
				d += k;
				i += k;
				continue;
			}
			words_from = i + 8;	/* by character past it */
		}
		if (p[i] < 0x80) {
			*d++ = (char)(p[i] >= 'A' && p[i] <= 'Z' ?
			    p[i] | 0x20 : p[i]);
			i++;
		} else if ((p[i] & 0xe0) == 0xc0 && p[i] >= 0xc2 &&
		    i + 1 < len && (p[i + 1] & 0xc0) == 0x80 &&
		    fold2_table[(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f)] !=
		    0xffff) {
			d = put_cp(d, fold2_table[(p[i] & 0x1f) << 6 |
			    (p[i + 1] & 0x3f)]);
			i += 2;
		} else {
			n = utf8proc_iterate(p + i,
			    (utf8proc_ssize_t)(len - i), &c);
			if (n < 1) {
				*d++ = (char)p[i++];
			} else {
				i += (size_t)n;
				d = fold_char(c, d);
				/* ß is "ss": as long, one character more */
				for (j = 1; from + j < d; j++)
					if (((unsigned char)from[j] & 0xc0) !=
					    0x80)
						more = true;
			}
		}
		if (!map && want == FOLD_MAP_SHIFTED &&
		    ((size_t)(d - from) != i - at || more)) {
			/*
			 * So far each character folded to one of its
			 * length: a byte of the fold comes from the
			 * character at its offset.
			 */
			map = xmalloc((6 * len + 17) * sizeof(*map));
			for (j = 0; j < at; ) {
				size_t k = j, e = j + 1;

				if (p[j] >= 0x80) {
					n = utf8proc_iterate(p + j,
					    (utf8proc_ssize_t)(len - j), &c);
					e = n < 1 ? j + 1 : j + (size_t)n;
				}
				for (; j < e; j++)
					map[j] = (uint32_t)k;
			}
		}
		if (map)
			for (; from < d; from++)
				map[from - out->data] = (uint32_t)at;
	}
	out->len = (size_t)(d - out->data);
	*d = '\0';
	if (map)
		map[out->len] = (uint32_t)len;
	return map;
}

char *
text_fold(const char *s, size_t len, uint32_t **ret_map)
{
	struct buf out;
	uint32_t *map;

	buf_init(&out, 0);
	map = casefold_run(s, len, &out, ret_map ? FOLD_MAP_ALWAYS :
	    FOLD_MAP_NONE);
	if (ret_map)
		*ret_map = map;
	return buf_steal(&out);
}

void
text_fold_buf(const char *s, size_t len, struct buf *out,
    uint32_t **ret_map)
{
	uint32_t *map = casefold_run(s, len, out, ret_map ? FOLD_MAP_SHIFTED :
	    FOLD_MAP_NONE);

	if (ret_map)
		*ret_map = map;
}

int
text_match_fold(const char *s, size_t len, struct buf *norm,
    struct buf *fold, const char **ret_text, size_t *ret_len,
    uint32_t **ret_map)
{
	bool folded;
	int r = normal_quick(s, len, norm, fold, &folded);

	if (r < 0)
		r = normalise_slow(s, len, norm);
	if (r < 0)
		return r;
	if (r > 0) {
		s = norm->data;
		len = norm->len;
	}
	*ret_map = folded ? NULL : casefold_run(s, len, fold,
	    FOLD_MAP_SHIFTED);
	*ret_text = s ? s : "";
	*ret_len = len;
	return 0;
}

/* Is c written without spaces between words (one character, one word)? */
static bool
is_nospace(int32_t c)
{
	return (c >= 0x3040 && c <= 0x30ff) ||		/* kana */
	    (c >= 0x3400 && c <= 0x4dbf) ||		/* CJK ext. A */
	    (c >= 0x4e00 && c <= 0x9fff) ||		/* CJK */
	    (c >= 0xf900 && c <= 0xfaff) ||		/* compatibility */
	    (c >= 0x20000 && c <= 0x3134f);		/* ext. B-G */
}

size_t
text_words(const char *s, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t i = 0, words = 0;
	bool in_word = false;

	while (i < len) {
		utf8proc_int32_t c = p[i];
		utf8proc_ssize_t n = 1;
		bool word;

		if (c >= 0x80) {
			n = utf8proc_iterate(p + i,
			    (utf8proc_ssize_t)(len - i), &c);
			if (n < 1) {
				c = 0xfffd;
				n = 1;
			}
		}
		i += (size_t)n;
		if (c < 0x80)
			word = (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		else if (is_nospace(c)) {
			words++;
			in_word = false;
			continue;
		} else {
			utf8proc_category_t k = utf8proc_category(c);

			word = (k >= UTF8PROC_CATEGORY_LU &&
			    k <= UTF8PROC_CATEGORY_NO);
		}
		/* an apostrophe inside a word keeps it one: year's, d'Or */
		if (c == '\'' && in_word && i < len &&
		    ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z'))
			continue;
		if (word && !in_word)
			words++;
		in_word = word;
	}
	return words;
}

static int
html_kind_cmp(const void *key, const void *el)
{
	return strcmp(key, ((const struct html_kind_name *)el)->name);
}

static enum html_kind
html_kind(const char *name)
{
	const struct html_kind_name *k;

	if (!name)
		return HTML_INLINE;
	k = bsearch(name, html_kinds, ELEMENTSOF(html_kinds),
	    sizeof(html_kinds[0]), html_kind_cmp);
	return k ? k->kind : HTML_INLINE;
}

/*
 * Text written already folded, as blanks_fold() would leave it: a run of
 * blanks is one space, lines are trimmed, at most one blank line in a
 * row, the whole trimmed.  Blanks and line ends wait in the state until
 * text follows them, so none is ever written at the end.  stable stays
 * true while every character is nf_stable_cp() (a false alarm only costs
 * the Unicode pass).
 */
struct fold {
	struct buf *b;
	unsigned newlines;	/* line ends waiting for text */
	bool space;		/* a blank waiting for text */
	bool line_has_text;
	bool started;		/* text written (b's length may lag) */
	bool stable;
};

static inline void
fold_blank(struct fold *f)
{
	f->space = f->line_has_text;
}

static inline void
fold_newline(struct fold *f)
{
	f->space = false;
	f->line_has_text = false;
	if (f->started)
		f->newlines++;
}

/* End the text so far with at least want line breaks. */
static void
fold_breaks(struct fold *f, unsigned want)
{
	if (!f->started)
		return;
	f->space = false;
	f->line_has_text = false;
	if (f->newlines < want)
		f->newlines = want;
}

/* What waits before text, written at d (room for 2); returns the end. */
static inline char *
fold_flush(struct fold *f, char *d)
{
	if (f->newlines > 0) {
		*d++ = '\n';
		if (f->newlines > 1)
			*d++ = '\n';
		f->newlines = 0;
	} else if (f->space)
		*d++ = ' ';
	f->space = false;
	f->line_has_text = true;
	f->started = true;
	return d;
}

/* One ASCII character of text. */
static void
fold_byte(struct fold *f, char c)
{
	char *d = fold_flush(f, room(f->b, 3));

	*d++ = c;
	f->b->len = (size_t)(d - f->b->data);
	*d = '\0';
}

/*
 * Character c (from the text, or an entity) through the filter, written
 * folded at d (room for 6); returns the end.  Blanks and line ends wait
 * in the state.
 */
static char *
fold_cp(struct fold *f, char *d, int32_t c, bool flat)
{
	c = filtered(c, flat);
	if (c < 0)
		return d;
	if (c == ' ' || c == '\t') {
		fold_blank(f);
		return d;
	}
	if (c == '\n') {
		fold_newline(f);
		return d;
	}
	if (c >= 0x80 && !nf_stable_cp((uint32_t)c))
		f->stable = false;
	return put_cp(fold_flush(f, d), c);
}

/*
 * How many of the eight bytes at p[i] fold_filter() copies as they are
 * (0: none): ASCII and two-byte letters the filter keeps, spaces only
 * single and between two of them (one in the last lane is left for the
 * next step, which sees what follows).  Clears f->stable when a letter
 * may need Unicode normalisation.
 */
static inline size_t
fold_word(struct fold *f, const unsigned char *p, size_t i, size_t len)
{
	uint64_t w, leads, sp;
	size_t k;

	if (len - i < 8)
		return 0;
	w = swar_load(p + i);
	sp = swar_eq(w, ' ');
	if ((sp & (0x80 | sp >> 8)) != 0 || (k = filter_word(w, &leads)) == 0)
		return 0;
	if ((leads & ~(swar_eq(w, 0xc3) | swar_eq(w, 0xd0) |
	    swar_eq(w, 0xd1))) != 0)
		f->stable = false;	/* maybe */
	return sp >> 63 ? 7 : k;
}

#ifdef __SSE2__
/* fold_word() on the sixteen bytes at p[i] (0, 15 or 16 taken). */
static inline size_t
fold_word16(struct fold *f, const unsigned char *p, size_t i, size_t len)
{
	__m128i v;
	unsigned sp, leads;
	size_t k;

	if (len - i < 16)
		return 0;
	v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
	sp = swar_eq16(v, ' ');
	if ((sp & (1u | sp >> 1)) != 0 || (swar_below16(v, 0x20) |
	    swar_eq16(v, 0x7f) | swar_eq16(v, 0xc2) | swar_eq16(v, 0xd8)) != 0 ||
	    (k = swar_utf8_16v(v, &leads)) == 0)
		return 0;
	if ((leads & ~(swar_eq16(v, 0xc3) | swar_eq16(v, 0xd0) |
	    swar_eq16(v, 0xd1))) != 0)
		f->stable = false;	/* maybe */
	return sp >> 15 ? 15 : k;
}
#endif

/* Sixteen bytes at a time where SSE2 is, else (or then) eight. */
static inline size_t
fold_run(struct fold *f, const unsigned char *p, size_t i, size_t len)
{
#ifdef __SSE2__
	size_t k = fold_word16(f, p, i, len);

	if (k > 0)
		return k;
#endif
	return fold_word(f, p, i, len);
}

/*
 * chars_filter() and blanks_fold() in one pass: s (len bytes of text
 * between tags) appended to f's buffer filtered and folded.  Words of
 * ASCII and two-byte letters with single spaces inside go sixteen or
 * eight bytes at a time; runs of ASCII without blanks as one copy.
 */
static void
fold_filter(struct fold *f, const char *s, size_t len, bool flat)
{
	const unsigned char *p = (const unsigned char *)s;
	/* U+FFFD for a byte: 3 bytes; and what waited before the run */
	char *d = room(f->b, 3 * len + 2);
	size_t i = 0, words_from = 0, k;

	while (i < len) {
		if (i >= words_from) {
			if ((k = fold_run(f, p, i, len)) > 0) {
				/* what waited first, then word by word */
				d = fold_flush(f, d);
				do {
					memcpy(d, p + i, k);
					d += k;
					i += k;
				} while ((k = fold_run(f, p, i, len)) > 0);
				if (i == len)
					break;
			}
			words_from = i + 8;	/* by character past it */
		}
		if (p[i] > 0x20 && p[i] < 0x7f) {
			for (k = 1; i + k < len && p[i + k] > 0x20 &&
			    p[i + k] < 0x7f; k++)
				;
			d = fold_flush(f, d);
			memcpy(d, p + i, k);
			d += k;
			i += k;
			continue;
		}
		if (p[i] == ' ') {
			fold_blank(f);
			i++;
			continue;
		}
		if (plain_pair(p, i, len)) {
			if (!nf_stable_cp((uint32_t)(p[i] & 0x1f) << 6 |
			    (p[i + 1] & 0x3f)))
				f->stable = false;
			d = fold_flush(f, d);
			*d++ = (char)p[i];
			*d++ = (char)p[i + 1];
			i += 2;
			continue;
		}
		d = fold_cp(f, d, next_cp(p, len, &i), flat);
	}
	f->b->len = (size_t)(d - f->b->data);
	*d = '\0';
}

static void
html_edge(struct fold *f, enum html_kind k, int *pre, bool open)
{
	switch (k) {
	case HTML_BR:
		if (open)
			fold_newline(f);
		break;
	case HTML_LINE:
		fold_breaks(f, 1);
		break;
	case HTML_PARA:
		fold_breaks(f, 2);
		break;
	case HTML_PRE:
		fold_breaks(f, 2);
		*pre += open ? 1 : -1;
		break;
	case HTML_CELL:
		fold_blank(f);
		break;
	default:
		break;
	}
}

/* An element name, lower-cased; longer ones are nobody we know. */
#define HTML_NAME_MAX	15

static bool
name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_' || c == ':' || c == '.';
}

/* Read the element name at s (n bytes) into name; returns its length
 * in s.  name is "" when too long. */
static size_t
html_name(const char *s, size_t n, char name[HTML_NAME_MAX + 1])
{
	size_t i = 0;

	while (i < n && name_char(s[i])) {
		if (i < HTML_NAME_MAX)
			name[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ?
			    s[i] | 0x20 : s[i]);
		i++;
	}
	name[i <= HTML_NAME_MAX ? i : 0] = '\0';
	return i;
}

/*
 * Offset of the '>' closing the tag whose attributes start at s[i], or n
 * when there is none.  As in HTML5, a quote opens a value only after
 * '=': there '>' is hidden up to the closing quote (if there is one).
 */
static size_t
tag_end(const char *s, size_t i, size_t n)
{
	bool after_eq = false;

	for (; i < n; i++) {
		char c = s[i];

		if (c == '>')
			return i;
		if ((c == '"' || c == '\'') && after_eq) {
			const char *q = memchr(s + i + 1, c, n - i - 1);

			if (q)
				i = (size_t)(q - s);
			after_eq = false;
		} else if (c == '=')
			after_eq = true;
		else if (c != ' ' && c != '\t' && c != '\n' && c != '\r' &&
		    c != '\f')
			after_eq = false;
	}
	return n;
}

/*
 * Where the search for each end tag last failed: none of "</name"
 * occurs from there on, so no later search need look again.  Without it
 * a field of unclosed <object> tags took quadratic time.
 */
struct close_misses {
	char name[8][HTML_NAME_MAX + 1];
	size_t from[8];
	unsigned n;
};

/* Case-insensitive search for "</name" from s[i]; n if none. */
static size_t
close_find(const char *s, size_t i, size_t n, const char *name,
    struct close_misses *cm)
{
	size_t k = strlen(name), at = i;
	unsigned m;

	for (m = 0; m < cm->n; m++)
		if (strcmp(cm->name[m], name) == 0) {
			if (cm->from[m] <= i)
				return n;
			break;
		}
	while (i + 2 + k <= n) {
		const char *lt = memchr(s + i, '<', n - i);

		if (!lt)
			break;
		i = (size_t)(lt - s);
		if (i + 2 + k <= n && s[i + 1] == '/' &&
		    strncasecmp(s + i + 2, name, k) == 0 &&
		    (i + 2 + k == n || !name_char(s[i + 2 + k])))
			return i;
		i++;
	}
	if (m == cm->n && cm->n < ELEMENTSOF(cm->from)) {
		snprintf(cm->name[m], sizeof(cm->name[m]), "%s", name);
		cm->n++;
	}
	if (m < cm->n)
		cm->from[m] = at;
	return n;
}

/*
 * Text between tags, appended through the character filter with its
 * entities decoded once; outside <pre>, line ends in the source are just
 * blanks.
 */
static void
html_run(struct fold *f, const char *s, size_t n, bool pre)
{
	size_t i = 0;

	while (i < n) {
		const char *amp = memchr(s + i, '&', n - i);
		size_t at = amp ? (size_t)(amp - s) : n, used;
		int32_t cp;
		char *d;

		fold_filter(f, s + i, at - i, !pre);
		if (!amp)
			break;
		used = entity_decode(amp, n - at, &cp);
		if (used == 0) {
			fold_byte(f, '&');
			i = at + 1;
			continue;
		}
		d = fold_cp(f, room(f->b, 6), cp, !pre);
		f->b->len = (size_t)(d - f->b->data);
		*d = '\0';
		i = at + used;
	}
}

/*
 * HTML to raw text in one pass over the markup, without a tree: text
 * runs are copied with their entities decoded, each tag adds the breaks
 * its kind asks for, comments, declarations and processing instructions
 * go, and dropped elements (html_kinds[]) go with their content, up to
 * their end tag (script and style are raw text: nothing inside them is
 * a tag).  A dropped element that is never closed drops only its tag,
 * so a stray <title> cannot swallow the article.  Like browsers, a '<'
 * that starts no tag is text, and a block element ends an open <p>.
 */
static void
html_scan(const char *s, size_t n, struct fold *f)
{
	struct close_misses cm = { .n = 0 };
	char name[HTML_NAME_MAX + 1];
	bool p_open = false;
	int pre = 0;
	size_t i = 0;

	while (i < n) {
		const char *lt = memchr(s + i, '<', n - i);
		size_t at = lt ? (size_t)(lt - s) : n, len, e;
		enum html_kind k;
		bool end;

		if (at > i)
			html_run(f, s + i, at - i, pre > 0);
		if (at + 1 >= n) {
			if (at < n)
				fold_byte(f, '<');
			break;
		}
		i = at;
		if (s[i + 1] == '!' && i + 3 < n && s[i + 2] == '-' &&
		    s[i + 3] == '-') {
			const char *c = mem_find(s + i + 4, n - i - 4, "-->",
			    3);

			i = c ? (size_t)(c - s) + 3 : n;
			continue;
		}
		if ((s[i + 1] == '!' && i + 2 < n && (name_start(s[i + 2]) ||
		    s[i + 2] == '[' || s[i + 2] == '>')) || s[i + 1] == '?' ||
		    (s[i + 1] == '/' && !(i + 2 < n && name_start(s[i + 2])))) {
			const char *gt = memchr(s + i, '>', n - i);

			i = gt ? (size_t)(gt - s) + 1 : n;
			continue;
		}
		end = s[i + 1] == '/';
		if (!end && !name_start(s[i + 1])) {	/* "5<6", "<!'" */
			fold_byte(f, '<');
			i++;
			continue;
		}
		len = html_name(s + i + 1 + end, n - i - 1 - end, name);
		e = tag_end(s, i + 1 + end + len, n);
		i = e < n ? e + 1 : n;
		k = html_kind(name[0] ? name : NULL);
		if (k == HTML_SKIP) {
			size_t c;

			if (end)
				continue;
			c = close_find(s, i, n, name, &cm);
			if (c == n && strcmp(name, "script") != 0 &&
			    strcmp(name, "style") != 0)
				continue;	/* never closed: drop the tag */
			e = c < n ? tag_end(s, c + 2, n) : n;
			i = e < n ? e + 1 : n;
			continue;
		}
		if (!end && p_open && k >= HTML_LINE && k != HTML_CELL) {
			fold_breaks(f, 2);	/* the block ends the <p> */
			p_open = false;
		}
		if (strcmp(name, "p") == 0)
			p_open = !end;
		html_edge(f, k, &pre, !end);
		if (pre < 0)
			pre = 0;	/* a stray </pre> */
	}
}

char *
text_from_html(const char *html, size_t len)
{
	struct buf out;
	struct fold f = { .b = &out, .stable = true };
	char *r;

	if (!html || len == 0)
		return xstrdup("");
	buf_init(&out, 0);
	html_scan(html, len, &f);
	if (out.len == 0) {
		buf_done(&out);
		return xstrdup("");
	}
	/*
	 * The scan decoded entities once; feeds often escape twice.  Then
	 * the whole clean-up again (folding folded text changes nothing);
	 * else Unicode normalisation when a character may need it.
	 */
	if (memchr(out.data, '&', out.len))
		r = clean(out.data, out.len, true, false, false);
	else if (!f.stable)
		r = clean(out.data, out.len, false, false, true);
	else
		return buf_steal(&out);
	buf_done(&out);
	return r;
}

/* Make one line of s in place: line breaks become blanks, folded. */
static void
one_line(char *s)
{
	char *w = s;
	const char *r;

	for (r = s; *r; r++) {
		if (*r == '\n')
			continue;
		*w++ = *r;
		if (*r != ' ' && r[1] == '\n') {
			/* a break between two words is a space */
			while (r[1] == '\n')
				r++;
			if (r[1] != ' ' && r[1] != '\0')
				*w++ = ' ';
		}
	}
	*w = '\0';
}

static int
field_clean(struct entry_text *t, bool title)
{
	char *s;

	if (!t->s)
		return 0;
	if (t->type == ENTRY_TEXT_HTML)
		s = text_from_html(t->s, strlen(t->s));
	else
		s = text_clean(t->s, strlen(t->s));
	if (!s)
		return -ENOMEM;
	if (title)
		one_line(s);
	free(t->s);
	t->s = NULL;
	if (*s)
		t->s = s;
	else
		free(s);
	t->type = ENTRY_TEXT_PLAIN;
	return 0;
}

int
text_strv(char ***v)
{
	size_t i, j = 0;

	if (!*v)
		return 0;
	for (i = 0; (*v)[i]; i++) {
		const char *s = (*v)[i];
		char *c;

		if (strchr(s, '<'))
			c = text_from_html(s, strlen(s));
		else
			c = text_clean(s, strlen(s));
		if (!c) {
			/* keep v a valid vector: close the gap */
			memmove(&(*v)[j], &(*v)[i],
			    (strv_length(*v + i) + 1) * sizeof(char *));
			return -ENOMEM;
		}
		one_line(c);
		free((*v)[i]);
		(*v)[i] = NULL;
		if (*c)
			(*v)[j++] = c;
		else
			free(c);
	}
	(*v)[j] = NULL;
	if (j == 0) {
		free(*v);
		*v = NULL;
	}
	return 0;
}

int
text_entry(struct entry *e)
{
	int r;

	r = field_clean(&e->title, true);
	if (r == 0)
		r = field_clean(&e->summary, false);
	if (r == 0)
		r = field_clean(&e->content, false);
	if (r == 0)
		r = text_strv(&e->authors);
	if (r == 0)
		r = text_strv(&e->categories);
	return r;
}
