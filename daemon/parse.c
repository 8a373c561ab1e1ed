/*
 * parse.c: feed bytes to entries.  Decodes the document to UTF-8 (iconv),
 * reads it with libxml2's XML parser (no network, no DTD loading, no
 * entity substitution) and maps RSS 0.90-2.0, RSS 1.0 and Atom 0.3/1.0
 * onto struct entry; also reads OPML feed lists.  No I/O, no logging.
 * Must not use libxml2's HTML parser (text.c owns it).
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "date.h"
#include "parse.h"
#include "swar.h"
#include "text.h"
#include "url.h"
#include "util.h"

#define NS_ATOM10	"http://www.w3.org/2005/Atom"
#define NS_ATOM03	"http://purl.org/atom/ns#"
#define NS_RDF		"http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_RSS090	"http://my.netscape.com/rdf/simple/0.9/"
#define NS_RSS10	"http://purl.org/rss/1.0/"
#define NS_RSS_USERLAND	"http://backend.userland.com/rss2"
#define NS_DC		"http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS	"http://purl.org/dc/terms/"
#define NS_CONTENT	"http://purl.org/rss/1.0/modules/content/"
#define NS_MEDIA	"http://search.yahoo.com/mrss/"

/* Decoded documents may grow (1 byte of KOI8-R is 2 of UTF-8). */
#define PARSE_MAX_DECODED_BYTES	((size_t)64 * 1024 * 1024)
/* Bytes of text that entities declared in the document may add. */
#define PARSE_ENTITY_BUDGET	((size_t)64 * 1024)
#define PARSE_ENTITY_DEPTH	4
#define PARSE_MAX_NAMES		64	/* authors, categories per entry */
#define UTF8_EVIDENCE		4	/* see choose_encoding() */

const char *
parse_format_name(enum parse_format f)
{
	static const char *const names[PARSE_FORMAT_MAX] = {
		[PARSE_FORMAT_UNKNOWN] = "unknown",
		[PARSE_FORMAT_RSS090] = "RSS 0.90",
		[PARSE_FORMAT_RSS09X] = "RSS 0.91/0.92",
		[PARSE_FORMAT_RSS10] = "RSS 1.0",
		[PARSE_FORMAT_RSS20] = "RSS 2.0",
		[PARSE_FORMAT_ATOM03] = "Atom 0.3",
		[PARSE_FORMAT_ATOM10] = "Atom 1.0",
	};

	return (unsigned)f < PARSE_FORMAT_MAX ? names[f] : "unknown";
}

void
parse_init(void)
{
	xmlInitParser();
}

void
feed_doc_free(struct feed_doc *d)
{
	size_t i;

	if (!d)
		return;
	free(d->title);
	free(d->link);
	free(d->encoding);
	for (i = 0; i < d->n_entries; i++)
		entry_done(&d->entries[i]);
	free(d->entries);
	free(d->warning);
	free(d);
}

/* ---- encodings ---------------------------------------------------- */

struct encoding {
	const char *name;	/* canonical, as reported */
	const char *iconv;	/* what iconv reads; NULL: UTF-8 as is */
	unsigned unit;		/* bytes to skip over a bad sequence */
};

static const struct encoding enc_utf8 = { "UTF-8", NULL, 1 };
static const struct encoding enc_cp1252 = { "windows-1252", "CP1252", 1 };
static const struct encoding enc_cp1251 = { "windows-1251", "CP1251", 1 };
static const struct encoding enc_koi8r = { "KOI8-R", "KOI8-R", 1 };
static const struct encoding enc_utf16le = { "UTF-16LE", "UTF-16LE", 2 };
static const struct encoding enc_utf16be = { "UTF-16BE", "UTF-16BE", 2 };
static const struct encoding enc_utf32le = { "UTF-32LE", "UTF-32LE", 4 };
static const struct encoding enc_utf32be = { "UTF-32BE", "UTF-32BE", 4 };

/*
 * Labels, compared lower case without '-', '_', ' ', '.' and ':'.  Some
 * read as their superset, because real documents labelled with the
 * narrow name contain the wider set: GB2312 and GBK as GB18030, Big5 as
 * CP950, Shift_JIS as CP932, EUC-KR as CP949, and ISO-8859-1 as
 * windows-1252 (as browsers do).
 */
static const struct {
	const char *label;
	struct encoding enc;
} enc_labels[] = {
	{ "utf8", { "UTF-8", NULL, 1 } },
	{ "unicode11utf8", { "UTF-8", NULL, 1 } },
	{ "usascii", { "US-ASCII", NULL, 1 } },
	{ "ascii", { "US-ASCII", NULL, 1 } },
	{ "iso88591", { "ISO-8859-1", "CP1252", 1 } },
	{ "latin1", { "ISO-8859-1", "CP1252", 1 } },
	{ "l1", { "ISO-8859-1", "CP1252", 1 } },
	{ "cp1251", { "windows-1251", "CP1251", 1 } },
	{ "win1251", { "windows-1251", "CP1251", 1 } },
	{ "xcp1251", { "windows-1251", "CP1251", 1 } },
	{ "cp1252", { "windows-1252", "CP1252", 1 } },
	{ "koi8r", { "KOI8-R", "KOI8-R", 1 } },
	{ "koi8u", { "KOI8-U", "KOI8-U", 1 } },
	{ "gb2312", { "GB18030", "GB18030", 1 } },
	{ "gbk", { "GB18030", "GB18030", 1 } },
	{ "xgbk", { "GB18030", "GB18030", 1 } },
	{ "cp936", { "GB18030", "GB18030", 1 } },
	{ "euccn", { "GB18030", "GB18030", 1 } },
	{ "gb18030", { "GB18030", "GB18030", 1 } },
	{ "big5", { "Big5", "CP950", 1 } },
	{ "xxbig5", { "Big5", "CP950", 1 } },
	{ "cp950", { "Big5", "CP950", 1 } },
	{ "big5hkscs", { "Big5-HKSCS", "BIG5-HKSCS", 1 } },
	{ "shiftjis", { "Shift_JIS", "CP932", 1 } },
	{ "sjis", { "Shift_JIS", "CP932", 1 } },
	{ "xsjis", { "Shift_JIS", "CP932", 1 } },
	{ "mskanji", { "Shift_JIS", "CP932", 1 } },
	{ "windows31j", { "Shift_JIS", "CP932", 1 } },
	{ "cp932", { "Shift_JIS", "CP932", 1 } },
	{ "eucjp", { "EUC-JP", "EUC-JP", 1 } },
	{ "euckr", { "EUC-KR", "CP949", 1 } },
	{ "cp949", { "EUC-KR", "CP949", 1 } },
	{ "ksc56011987", { "EUC-KR", "CP949", 1 } },
	{ "euctw", { "EUC-TW", "EUC-TW", 1 } },
	{ "utf16le", { "UTF-16LE", "UTF-16LE", 2 } },
	{ "utf16be", { "UTF-16BE", "UTF-16BE", 2 } },
	{ "utf16", { "UTF-16", "UTF-16", 2 } },
	{ "ucs2", { "UTF-16", "UTF-16", 2 } },
	{ "utf32le", { "UTF-32LE", "UTF-32LE", 4 } },
	{ "utf32be", { "UTF-32BE", "UTF-32BE", 4 } },
	{ "utf32", { "UTF-32", "UTF-32", 4 } },
};

static bool
enc_is_wide(const struct encoding *e)
{
	return e->unit > 1;
}

static bool
enc_is_utf8(const struct encoding *e)
{
	return e == &enc_utf8 || strcmp(e->name, "UTF-8") == 0;
}

/*
 * Look a label up.  Known ones come from the table; "iso-8859-N" and
 * "windows-125N" are built into tmp; anything else iconv must know.
 */
static bool
enc_lookup(const char *label, struct encoding *tmp, char names[2][32],
    const struct encoding **ret)
{
	char key[32];
	size_t i, k = 0;
	iconv_t cd;

	for (i = 0; label[i] && k < sizeof(key) - 1; i++) {
		char c = label[i];

		if (c == '-' || c == '_' || c == ' ' || c == '.' || c == ':')
			continue;
		key[k++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	key[k] = '\0';
	if (k == 0 || label[i])
		return false;
	for (i = 0; i < ELEMENTSOF(enc_labels); i++)
		if (strcmp(key, enc_labels[i].label) == 0) {
			*ret = &enc_labels[i].enc;
			return true;
		}
	if (startswith(key, "iso8859") && key[7] >= '1' && key[7] <= '9' &&
	    strlen(key) <= 9) {
		snprintf(names[0], 32, "ISO-8859-%.2s", key + 7);
		snprintf(names[1], 32, "ISO-8859-%.2s", key + 7);
	} else if ((startswith(key, "windows125") ||
	    startswith(key, "cp125")) &&
	    strlen(strchr(key, '5')) == 2) {
		snprintf(names[0], 32, "windows-125%c", key[strlen(key) - 1]);
		snprintf(names[1], 32, "CP125%c", key[strlen(key) - 1]);
	} else {
		snprintf(names[0], 32, "%s", label);
		snprintf(names[1], 32, "%s", label);
	}
	cd = iconv_open("UTF-8", names[1]);
	if (cd == (iconv_t)-1)
		return false;
	iconv_close(cd);
	tmp->name = names[0];
	tmp->iconv = names[1];
	tmp->unit = 1;
	*ret = tmp;
	return true;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t l;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		/* the common case (Cyrillic, Greek, Latin-1) inline */
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	}
	if (p[0] >= 0xe0 && p[0] <= 0xef)
		l = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		l = 4;
	else
		return 0;
	if (l > n || !utf8_valid((const char *)p, l))
		return 0;
	return l;
}

/*
 * How the bytes look as UTF-8: valid multibyte sequences and bad bytes.
 * Words of ASCII and two-byte letters go sixteen (SSE2) or eight bytes at
 * a time; a word that needs a closer look is read byte by byte before the
 * next try.
 */
static void
utf8_census(const unsigned char *p, size_t n, size_t *ret_multi,
    size_t *ret_bad)
{
	size_t i = 0, multi = 0, bad = 0, l, words_from = 0;
	uint64_t leads;

	while (i < n) {
#ifdef __SSE2__
		unsigned lm;

		if (i >= words_from && n - i >= 16 &&
		    (l = swar_utf8_16(p + i, &lm)) > 0) {
			multi += swar_count16(lm);
			i += l;
			continue;
		}
#endif
		if (i >= words_from && n - i >= 8) {
			l = swar_utf8(swar_load(p + i), &leads);
			if (l > 0) {
				multi += (size_t)(((leads >> 7) * SWAR_ONES) >>
				    56);
				i += l;
				continue;
			}
			words_from = i + 8;	/* bytes by bytes past it */
		}
		l = utf8_len(p + i, n - i);
		if (l == 0) {
			bad++;
			i++;
			continue;
		}
		if (l > 1)
			multi++;
		i += l;
	}
	*ret_multi = multi;
	*ret_bad = bad;
}

/*
 * Guess a single-byte encoding for undeclared non-UTF-8 bytes.  Russian
 * text in windows-1251 or KOI8-R puts nearly all high bytes at 0xC0-0xFF
 * (the letters); windows-1251 has its lower case (most letters) at
 * 0xE0-0xFF, KOI8-R at 0xC0-0xDF.  Otherwise windows-1252.
 */
static const struct encoding *
guess_single_byte(const unsigned char *p, size_t n)
{
	size_t i, high = 0, c0 = 0, e0 = 0;

	for (i = 0; i < n; i++) {
		if (p[i] < 0x80)
			continue;
		high++;
		if (p[i] >= 0xe0)
			e0++;
		else if (p[i] >= 0xc0)
			c0++;
	}
	if (high >= 4 && (c0 + e0) * 10 >= high * 8)
		return e0 >= c0 ? &enc_cp1251 : &enc_koi8r;
	return &enc_cp1252;
}

/* The charset parameter of a Content-Type value, into out. */
static bool
http_charset(const char *ct, char *out, size_t outsz)
{
	const char *p;
	size_t n = 0;

	if (!ct)
		return false;
	for (p = strchr(ct, ';'); p; p = strchr(p, ';')) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "charset", 7) != 0)
			continue;
		p += 7;
		while (*p == ' ')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ')
			p++;
		if (*p == '"' || *p == '\'')
			p++;
		while (*p && *p != '"' && *p != '\'' && *p != ';' &&
		    *p != ' ' && n < outsz - 1)
			out[n++] = *p++;
		out[n] = '\0';
		return n > 0;
	}
	return false;
}

/* The encoding="" of an XML declaration in ASCII-compatible bytes. */
static bool
xml_decl_encoding(const char *p, size_t n, char *out, size_t outsz)
{
	const char *end, *q;
	size_t k = 0;
	char quote;

	while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
		p++;
		n--;
	}
	if (n < 6 || memcmp(p, "<?xml", 5) != 0)
		return false;
	end = memmem(p, n < 512 ? n : 512, "?>", 2);
	if (!end)
		return false;
	q = memmem(p, (size_t)(end - p), "encoding", 8);
	if (!q)
		return false;
	q += 8;
	while (q < end && (*q == ' ' || *q == '='))
		q++;
	if (q >= end || (*q != '"' && *q != '\''))
		return false;
	quote = *q++;
	while (q < end && *q != quote && k < outsz - 1)
		out[k++] = *q++;
	out[k] = '\0';
	return k > 0;
}

/*
 * Which encoding to read the bytes as.  The rule, in order:
 *  1. A byte order mark (UTF-8, UTF-16LE/BE, UTF-32LE/BE), or the NUL
 *     pattern of "<?" in UTF-16/32 without one, decides.
 *  2. Candidates: the HTTP charset and the XML declaration (labels we
 *     cannot read are ignored; a UTF-16/32 label over ASCII-compatible
 *     bytes is a lie and ignored too).  US-ASCII means UTF-8 if the bytes
 *     are valid UTF-8, else windows-1252.
 *  3. If the bytes are valid UTF-8 with some non-ASCII, UTF-8 wins when
 *     either candidate says UTF-8, when only HTTP speaks (servers default
 *     to ISO-8859-1), and over any label once there are at least
 *     UTF8_EVIDENCE multi-byte sequences: real legacy text (Cyrillic,
 *     CJK) is practically never valid UTF-8 for that long, while "UTF-8
 *     bytes behind a stale ISO-8859-1 prolog" is common.
 *  4. Otherwise the XML declaration wins over HTTP (servers lie with
 *     defaults more often than documents), except that a declared UTF-8
 *     over bytes that are not UTF-8 loses to the other candidate.
 *  5. A declared UTF-8 over bytes without a single valid multi-byte
 *     sequence but with invalid ones is a guess case.
 *  6. Nothing declared: UTF-8 if valid, else a guess (windows-1251,
 *     KOI8-R or windows-1252; see guess_single_byte()).
 * The BOM, if any, is skipped (*ret_skip); *ret_valid tells whether
 * the bytes were found valid UTF-8 (false when not looked at).
 */
static const struct encoding *
choose_encoding(const char *data, size_t len, const char *content_type,
    struct encoding *tmp, char names[4][32], size_t *ret_skip,
    bool *ret_valid)
{
	const unsigned char *u = (const unsigned char *)data;
	const struct encoding *http = NULL, *decl = NULL, *e;
	char label[64];
	size_t multi, bad;
	bool valid;

	*ret_skip = 0;
	*ret_valid = false;
	if (len >= 4 && memcmp(u, "\xff\xfe\0\0", 4) == 0) {
		*ret_skip = 4;
		return &enc_utf32le;
	}
	if (len >= 4 && memcmp(u, "\0\0\xfe\xff", 4) == 0) {
		*ret_skip = 4;
		return &enc_utf32be;
	}
	if (len >= 3 && memcmp(u, "\xef\xbb\xbf", 3) == 0) {
		*ret_skip = 3;
		return &enc_utf8;
	}
	if (len >= 2 && memcmp(u, "\xff\xfe", 2) == 0) {
		*ret_skip = 2;
		return &enc_utf16le;
	}
	if (len >= 2 && memcmp(u, "\xfe\xff", 2) == 0) {
		*ret_skip = 2;
		return &enc_utf16be;
	}
	if (len >= 4 && memcmp(u, "<\0\0\0", 4) == 0)
		return &enc_utf32le;
	if (len >= 4 && memcmp(u, "\0\0\0<", 4) == 0)
		return &enc_utf32be;
	if (len >= 4 && u[0] == '<' && u[1] == 0 && u[2] != 0 && u[3] == 0)
		return &enc_utf16le;
	if (len >= 4 && u[0] == 0 && u[1] == '<' && u[2] == 0)
		return &enc_utf16be;

	if (http_charset(content_type, label, sizeof(label)) &&
	    !enc_lookup(label, &tmp[0], &names[0], &http))
		http = NULL;
	if (xml_decl_encoding(data, len, label, sizeof(label)) &&
	    !enc_lookup(label, &tmp[1], &names[2], &decl))
		decl = NULL;
	if (http && enc_is_wide(http))
		http = NULL;
	if (decl && enc_is_wide(decl))
		decl = NULL;

	utf8_census(u, len, &multi, &bad);
	valid = bad == 0;
	*ret_valid = valid;
	if (http && http->iconv == NULL && !enc_is_utf8(http))
		http = valid ? &enc_utf8 : &enc_cp1252;	/* US-ASCII */
	if (decl && decl->iconv == NULL && !enc_is_utf8(decl))
		decl = valid ? &enc_utf8 : &enc_cp1252;

	if (valid && multi > 0 && ((http && enc_is_utf8(http)) ||
	    (decl && enc_is_utf8(decl)) || (http && !decl) ||
	    multi >= UTF8_EVIDENCE))
		return &enc_utf8;
	e = decl ? decl : http;
	if (e && enc_is_utf8(e) && !valid && decl && http && e == decl &&
	    !enc_is_utf8(http))
		e = http;
	if (e && enc_is_utf8(e) && !valid && multi == 0)
		return guess_single_byte(u, len);
	if (e)
		return e;
	if (valid)
		return &enc_utf8;
	return guess_single_byte(u, len);
}

static int
add_fffd(struct buf *b)
{
	return buf_add(b, "\xef\xbf\xbd", 3);
}

/* UTF-8 bytes with each invalid byte replaced by U+FFFD. */
static int
sanitize_utf8(const char *data, size_t len, struct buf *b)
{
	const unsigned char *u = (const unsigned char *)data;
	size_t i = 0, start = 0, l;
	int r = 0;

	while (r == 0 && i < len) {
		if (u[i] < 0x80)
			i += ascii_span(u + i, len - i);
		if (i >= len)
			break;
		l = utf8_len(u + i, len - i);
		if (l > 0) {
			i += l;
			continue;
		}
		r = buf_add(b, data + start, i - start);
		if (r == 0)
			r = add_fffd(b);
		start = ++i;
	}
	if (r == 0)
		r = buf_add(b, data + start, i - start);
	return r;
}

/* Convert to UTF-8 with iconv; bad sequences become U+FFFD. */
static int
convert(const struct encoding *e, const char *data, size_t len,
    struct buf *b)
{
	char out[16384];
	char *in = (char *)data;
	size_t inleft = len;
	iconv_t cd;
	int r = 0;

	if (!e->iconv)
		return sanitize_utf8(data, len, b);
	cd = iconv_open("UTF-8", e->iconv);
	if (cd == (iconv_t)-1)
		return sanitize_utf8(data, len, b);
	while (r == 0 && inleft > 0) {
		char *o = out;
		size_t oleft = sizeof(out);
		size_t rc = iconv(cd, &in, &inleft, &o, &oleft);
		int err = rc == (size_t)-1 ? errno : 0;

		r = buf_add(b, out, sizeof(out) - oleft);
		if (r < 0 || err == 0 || err == E2BIG)
			continue;
		r = add_fffd(b);
		if (err == EILSEQ) {
			size_t skip = e->unit < inleft ? e->unit : inleft;

			in += skip;
			inleft -= skip;
		} else
			inleft = 0;	/* EINVAL: cut short at the end */
	}
	iconv_close(cd);
	return r;
}

/* ---- stray ampersands ---------------------------------------------- */

static bool
is_name_char(unsigned char ch, bool first)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
	    ch == ':' || ch >= 0x80)
		return true;
	return !first && ((ch >= '0' && ch <= '9') || ch == '.' || ch == '-');
}

/* Is name (n bytes) declared by an <!ENTITY in the DOCTYPE text dt? */
static bool
entity_declared(const char *dt, size_t dtn, const char *name, size_t n)
{
	const char *p = dt, *end = dt + dtn;

	while ((p = memmem(p, (size_t)(end - p), "<!ENTITY", 8))) {
		p += 8;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n'))
			p++;
		if ((size_t)(end - p) > n && memcmp(p, name, n) == 0 &&
		    (p[n] == ' ' || p[n] == '\t' || p[n] == '\r' ||
		    p[n] == '\n'))
			return true;
	}
	return false;
}

/* Where the construct starting at s[i] ends (one past), or 0 if none. */
static size_t
skip_markup(const char *s, size_t n, size_t i, const char **ret_dt,
    size_t *ret_dtn)
{
	static const struct {
		const char *open, *close;
	} skips[] = {
		{ "<![CDATA[", "]]>" }, { "<!--", "-->" }, { "<?", "?>" },
	};
	const char *e;
	size_t k;

	for (k = 0; k < ELEMENTSOF(skips); k++) {
		size_t ol = strlen(skips[k].open);

		if (n - i < ol || memcmp(s + i, skips[k].open, ol) != 0)
			continue;
		e = mem_find(s + i + ol, n - i - ol, skips[k].close,
		    strlen(skips[k].close));
		return e ? (size_t)(e - s) + strlen(skips[k].close) : n;
	}
	if (n - i >= 9 && strncasecmp(s + i, "<!DOCTYPE", 9) == 0) {
		size_t j = i + 9;

		while (j < n && s[j] != '[' && s[j] != '>')
			j++;
		if (j < n && s[j] == '[') {
			e = memmem(s + j, n - j, "]", 1);
			while (e) {
				const char *q = e + 1;

				while (q < s + n && (*q == ' ' || *q == '\t' ||
				    *q == '\r' || *q == '\n'))
					q++;
				if (q < s + n && *q == '>') {
					j = (size_t)(q - s);
					break;
				}
				e = memmem(e + 1, (size_t)(s + n - e - 1), "]",
				    1);
			}
			if (!e)
				j = n;
		}
		*ret_dt = s + i;
		*ret_dtn = j - i;
		return j < n ? j + 1 : n;
	}
	return 0;
}

/* Is the entity reference name (n bytes) one XML predefines? */
static bool
predefined_entity(const char *name, size_t n)
{
	switch (n) {
	case 2:
		return (name[0] == 'l' || name[0] == 'g') && name[1] == 't';
	case 3:
		return memcmp(name, "amp", 3) == 0;
	case 4:
		return memcmp(name, "quot", 4) == 0 ||
		    memcmp(name, "apos", 4) == 0;
	default:
		return false;
	}
}

/*
 * The next '<' from s[i] that opens what skip_markup() skips ("<!" or
 * "<?"); NULL when none does.  A plain tag needs no skipping: an '&' in
 * an attribute value is fixed like one in text.
 */
static const char *
next_markup(const char *s, size_t n, size_t i)
{
	const char *lt;

	while (i < n && (lt = memchr(s + i, '<', n - i)) != NULL) {
		i = (size_t)(lt - s) + 1;
		if (i < n && (s[i] == '!' || s[i] == '?'))
			return lt;
	}
	return NULL;
}

/*
 * Feeds are full of "AT&T" and "&nbsp;" that XML does not allow; libxml2
 * would drop them (and the text around them).  Outside CDATA, comments,
 * PIs and the DOCTYPE, a '&' that does not start a character reference,
 * a predefined entity or one the DOCTYPE declares becomes "&amp;", so the
 * text keeps "&nbsp;" for the HTML decoder.  Returns whether the document
 * needed fixing; only then is out written (the whole fixed document).
 */
static bool
fix_ampersands(const char *s, size_t n, struct buf *out)
{
	const char *dt = NULL, *amp = NULL, *mk = NULL;
	size_t dtn = 0, i = 0, done = 0;
	bool changed = false, no_mk = false;

	while (i < n) {
		size_t j, name_len;
		bool keep;

		/* each search starts again only once i has passed its find */
		if (!amp || amp < s + i)
			amp = memchr(s + i, '&', n - i);
		if (!amp)
			break;
		if (!no_mk && (!mk || mk < s + i)) {
			mk = next_markup(s, n, i);
			no_mk = !mk;
		}
		if (mk && mk >= s + i && mk < amp) {
			size_t end = skip_markup(s, n, (size_t)(mk - s), &dt,
			    &dtn);

			i = end ? end : (size_t)(mk - s) + 1;
			continue;
		}
		j = (size_t)(amp - s) + 1;
		keep = false;
		if (j < n && s[j] == '#') {
			bool hex = j + 1 < n && (s[j + 1] == 'x' ||
			    s[j + 1] == 'X');
			size_t d = j + 1 + hex, d0 = d;

			while (d < n && d - d0 < 10 && (hex ?
			    ((s[d] >= '0' && s[d] <= '9') ||
			    ((s[d] | 0x20) >= 'a' && (s[d] | 0x20) <= 'f')) :
			    (s[d] >= '0' && s[d] <= '9')))
				d++;
			keep = d > d0 && d < n && s[d] == ';';
		} else {
			name_len = 0;
			while (j + name_len < n && name_len < 64 &&
			    is_name_char((unsigned char)s[j + name_len],
			    name_len == 0))
				name_len++;
			if (name_len > 0 && j + name_len < n &&
			    s[j + name_len] == ';')
				keep = predefined_entity(s + j, name_len) ||
				    (dt && entity_declared(dt, dtn, s + j,
				    name_len));
		}
		i = j;
		if (keep)
			continue;
		changed = true;
		(void)buf_add(out, s + done, j - done);
		(void)buf_adds(out, "amp;");
		done = j;
	}
	if (changed)
		(void)buf_add(out, s + done, n - done);
	return changed;
}

/* ---- XML ---------------------------------------------------------- */

struct xml_err {
	char msg[ERRMSG_MAX];
	int line;
	unsigned n;
	/* called as each element of the top two levels closes */
	void (*on_close)(void *ctx, xmlNodePtr n);
	void *ctx;
};

static void
on_xml_error(void *user, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = user;
	struct xml_err *xe = ctxt ? ctxt->_private : NULL;
	size_t n;

	if (!xe || !e || e->level < XML_ERR_ERROR)
		return;
	if (xe->n++ > 0)
		return;
	snprintf(xe->msg, sizeof(xe->msg), "%s", e->message ? e->message :
	    "unknown XML error");
	n = strlen(xe->msg);
	while (n > 0 && (xe->msg[n - 1] == '\n' || xe->msg[n - 1] == ' '))
		xe->msg[--n] = '\0';
	xe->line = e->line;
}

/*
 * libxml2's tree builder, and then xe->on_close() for an element of the
 * first two levels (an item or entry the caller may take out of the
 * tree as soon as it is complete, so a big feed is never a big tree).
 */
static void
on_end_element(void *user, const xmlChar *name, const xmlChar *prefix,
    const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = user;
	struct xml_err *xe = ctxt->_private;
	xmlNodePtr n = ctxt->node;

	xmlSAX2EndElementNs(user, name, prefix, uri);
	if (xe->on_close && n && n->type == XML_ELEMENT_NODE &&
	    ctxt->nodeNr >= 1 && ctxt->nodeNr <= 2)
		xe->on_close(xe->ctx, n);
}

/*
 * The document handed to libxml2 in the chunks it asks for: with
 * xmlCtxtReadMemory() it would first copy all of it into a buffer of its
 * own (page faults for a second copy of a big feed), and keep it.
 */
struct xml_mem {
	const char *p;
	size_t left;
};

static int
xml_mem_read(void *ctx, char *out, int len)
{
	struct xml_mem *m = ctx;
	size_t k = len > 0 ? (size_t)len : 0;

	if (k > m->left)
		k = m->left;
	memcpy(out, m->p, k);
	m->p += k;
	m->left -= k;
	return (int)k;
}

static int
xml_mem_close(void *ctx)
{
	(void)ctx;
	return 0;
}

/*
 * Parse UTF-8 XML.  Never XML_PARSE_NOENT or XML_PARSE_DTDLOAD: entities
 * stay references (see text_walk()), external ones are never fetched.
 */
static xmlDocPtr
xml_read(const char *s, size_t n, const char *url, struct xml_err *xe,
    bool *ret_recovered)
{
	struct xml_mem m = { .p = s, .left = n };
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	*ret_recovered = false;
	if (n > INT_MAX) {
		snprintf(xe->msg, sizeof(xe->msg), "document too large");
		return NULL;
	}
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		snprintf(xe->msg, sizeof(xe->msg), "out of memory");
		return NULL;
	}
	ctxt->_private = xe;
	ctxt->sax->serror = on_xml_error;
	ctxt->sax->endElementNs = on_end_element;
	doc = xmlCtxtReadIO(ctxt, xml_mem_read, xml_mem_close, &m, url, "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_RECOVER |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC |
	    XML_PARSE_BIG_LINES | XML_PARSE_COMPACT);
	if (doc && (!ctxt->wellFormed || xe->n > 0))
		*ret_recovered = true;
	if (!doc && xe->n == 0) {
		xmlErrorPtr e = xmlCtxtGetLastError(ctxt);

		if (e)
			on_xml_error(ctxt, e);
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

static bool
ns_is(const xmlNode *n, const char *ns)
{
	if (!n->ns || !n->ns->href)
		return ns == NULL;
	return ns && strcmp((const char *)n->ns->href, ns) == 0;
}

static bool
name_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

static bool
is_el(const xmlNode *n, const char *ns, const char *name)
{
	return name_is(n, name) && ns_is(n, ns);
}

/* An element of RSS itself: no namespace, or one of the RSS/RDF ones. */
static bool
is_rss(const xmlNode *n, const char *name)
{
	return name_is(n, name) && (ns_is(n, NULL) || ns_is(n, NS_RSS10) ||
	    ns_is(n, NS_RSS090) || ns_is(n, NS_RSS_USERLAND));
}

static bool
is_atom(const xmlNode *n, const char *name)
{
	return name_is(n, name) && (ns_is(n, NS_ATOM10) || ns_is(n, NS_ATOM03));
}

struct pctx {
	const char *doc_url;
	enum parse_format format;
	bool atom_no_ns;	/* an Atom document without a namespace */
	size_t ent_budget;
};

static bool
is_atom_el(const struct pctx *c, const xmlNode *n, const char *name)
{
	return is_atom(n, name) || (c->atom_no_ns && is_el(n, NULL, name));
}

/* Append what fits; the caller truncates at a UTF-8 boundary. */
static void
add_capped(struct buf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap)
		n = b->cap - b->len;
	if (n)
		(void)buf_add(b, s, n);
}

static void
add_capped_s(struct buf *b, const char *s)
{
	add_capped(b, s, strlen(s));
}

static void
add_escaped(struct buf *b, const char *s, size_t n, bool attr)
{
	const char *p = s, *q;

	for (q = s; q < s + n; q++) {
		const char *rep;

		if (*q == '&')
			rep = "&amp;";
		else if (*q == '<')
			rep = "&lt;";
		else if (*q == '>')
			rep = "&gt;";
		else if (*q == '"' && attr)
			rep = "&quot;";
		else
			continue;
		add_capped(b, p, (size_t)(q - p));
		add_capped_s(b, rep);
		p = q + 1;
	}
	add_capped(b, p, (size_t)(q - p));
}

/*
 * Plain text of a node list: text and CDATA as they are; references to
 * internal entities declared in the document expanded, at most
 * PARSE_ENTITY_DEPTH deep and PARSE_ENTITY_BUDGET bytes per document
 * (so a billion laughs stays a few bytes); undeclared ones kept as
 * "&name;" for the HTML decoder; external ones dropped (never fetched).
 */
static void
text_walk(struct pctx *c, const xmlNode *n, struct buf *b, unsigned depth,
    bool *ret_markup)
{
	for (; n; n = n->next) {
		switch (n->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (n->content)
				add_capped_s(b, (const char *)n->content);
			break;
		case XML_ENTITY_REF_NODE: {
			const xmlEntity *ent = (const xmlEntity *)n->children;
			size_t before = b->len;

			if (!ent) {
				add_capped_s(b, "&");
				add_capped_s(b, (const char *)n->name);
				add_capped_s(b, ";");
				*ret_markup = true;
				break;
			}
			if (ent->etype != XML_INTERNAL_GENERAL_ENTITY)
				break;
			if (depth >= PARSE_ENTITY_DEPTH || c->ent_budget == 0)
				break;
			text_walk(c, ent->children, b, depth + 1, ret_markup);
			if (b->len - before > c->ent_budget) {
				b->len = before + c->ent_budget;
				b->data[b->len] = '\0';
				c->ent_budget = 0;
			} else
				c->ent_budget -= b->len - before;
			break;
		}
		case XML_ELEMENT_NODE:
			text_walk(c, n->children, b, depth, ret_markup);
			break;
		default:
			break;
		}
	}
}


static bool
is_void_element(const char *name)
{
	static const char *const v[] = {
		"area", "base", "br", "col", "embed", "hr", "img", "input",
		"link", "meta", "param", "source", "track", "wbr",
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++)
		if (strcasecmp(name, v[i]) == 0)
			return true;
	return false;
}

/*
 * Markup inside a feed element (Atom xhtml, Atom 0.3 mode="xml", or
 * unescaped HTML in an RSS description) as HTML: local names without
 * prefixes, no namespace declarations, text escaped.
 */
static void
html_walk(struct pctx *c, const xmlNode *n, struct buf *b)
{
	for (; n; n = n->next) {
		switch (n->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (n->content)
				add_escaped(b, (const char *)n->content,
				    strlen((const char *)n->content), false);
			break;
		case XML_ENTITY_REF_NODE:
			add_capped_s(b, "&");
			add_capped_s(b, (const char *)n->name);
			add_capped_s(b, ";");
			break;
		case XML_ELEMENT_NODE: {
			const xmlAttr *a;

			add_capped_s(b, "<");
			add_capped_s(b, (const char *)n->name);
			for (a = n->properties; a; a = a->next) {
				struct buf v;
				bool markup = false;

				buf_init(&v, FIELD_MAX_BYTES);
				text_walk(c, a->children, &v, 0, &markup);
				add_capped_s(b, " ");
				add_capped_s(b, (const char *)a->name);
				add_capped_s(b, "=\"");
				add_escaped(b, v.data ? v.data : "", v.len, true);
				add_capped_s(b, "\"");
				buf_done(&v);
			}
			add_capped_s(b, ">");
			if (!n->children &&
			    is_void_element((const char *)n->name))
				break;
			html_walk(c, n->children, b);
			add_capped_s(b, "</");
			add_capped_s(b, (const char *)n->name);
			add_capped_s(b, ">");
			break;
		}
		default:
			break;
		}
	}
}

/* Cut s (n bytes, capped) at the last whole UTF-8 character, trim. */
static char *
finish_text(struct buf *b)
{
	char *s;
	size_t n = b->len, i;

	if (b->len >= b->cap && n > 0) {
		/* Back up over a sequence the cap cut in two. */
		i = n;
		while (i > 0 && n - i < 4 &&
		    ((unsigned char)b->data[i - 1] & 0xc0) == 0x80)
			i--;
		if (i > 0 && (unsigned char)b->data[i - 1] >= 0xc0 &&
		    utf8_len((unsigned char *)b->data + i - 1, n - i + 1) == 0)
			b->len = i - 1;
		b->data[b->len] = '\0';
	}
	s = buf_steal(b);
	strstrip(s);
	return s;
}

/* Has the element any element children (markup rather than text)? */
static bool
has_element_children(const xmlNode *n)
{
	for (n = n->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return true;
	return false;
}

/*
 * The common case of the two below: an element holding one run of text
 * (CDATA is text here) within the cap, trimmed and copied once.  Returns
 * false when the general walk must do it.
 */
static bool
single_text(const xmlNode *n, char **ret)
{
	const xmlNode *k = n->children;
	const char *p;
	size_t len;

	if (!k || k->next || (k->type != XML_TEXT_NODE &&
	    k->type != XML_CDATA_SECTION_NODE) || !k->content)
		return false;
	p = (const char *)k->content;
	len = strlen(p);
	if (len > FIELD_MAX_BYTES)
		return false;
	p = strip_span(p, len, &len);
	*ret = len > 0 ? xstrndup(p, len) : NULL;
	return true;
}

/*
 * The text of an element, trimmed, or NULL when empty.  Child elements
 * (markup where text was expected) come out as HTML and set *ret_markup.
 */
static char *
node_text(struct pctx *c, const xmlNode *n, bool *ret_markup)
{
	struct buf b;
	bool markup = false;
	char *s;

	if (single_text(n, &s)) {
		if (s && ret_markup)
			*ret_markup = false;
		return s;
	}
	buf_init(&b, FIELD_MAX_BYTES);
	if (has_element_children(n)) {
		html_walk(c, n->children, &b);
		markup = true;
	} else
		text_walk(c, n->children, &b, 0, &markup);
	s = finish_text(&b);
	if (!*s) {
		free(s);
		return NULL;
	}
	if (ret_markup)
		*ret_markup = markup;
	return s;
}

/* Plain text only (ids, links, dates, names). */
static char *
node_plain(struct pctx *c, const xmlNode *n)
{
	struct buf b;
	bool markup = false;
	char *s;

	if (single_text(n, &s))
		return s;
	buf_init(&b, FIELD_MAX_BYTES);
	text_walk(c, n->children, &b, 0, &markup);
	s = finish_text(&b);
	if (!*s) {
		free(s);
		return NULL;
	}
	return s;
}

/* An attribute's value without libxml2's unbounded entity expansion. */
static char *
attr(struct pctx *c, const xmlNode *n, const char *name, const char *ns)
{
	const xmlAttr *a;

	for (a = n->properties; a; a = a->next) {
		if (strcmp((const char *)a->name, name) != 0)
			continue;
		if (ns ? !(a->ns && strcmp((const char *)a->ns->href, ns) == 0)
		    : a->ns != NULL)
			continue;
		return node_plain(c, (const xmlNode *)a);
	}
	return NULL;
}

/* The base URL in effect at n: xml:base of its ancestors over doc_url. */
static char *
node_base(struct pctx *c, const xmlNode *n)
{
	char *chain[32];
	size_t k = 0, i;
	char *base = xstrdup(c->doc_url);

	for (; n && n->type == XML_ELEMENT_NODE && k < ELEMENTSOF(chain);
	    n = n->parent) {
		char *v = attr(c, n, "base",
		    (const char *)XML_XML_NAMESPACE);

		if (v)
			chain[k++] = v;
	}
	for (i = k; i-- > 0;) {
		char *r = url_resolve(base, chain[i]);

		if (r) {
			free(base);
			base = r;
		}
		free(chain[i]);
	}
	return base;
}

/* A link as written at n, resolved; NULL when it is not a URL. */
static char *
resolve_at(struct pctx *c, const xmlNode *n, const char *ref)
{
	_cleanup_free_ char *base = NULL;

	if (!ref)
		return NULL;
	base = node_base(c, n);
	return url_resolve(base, ref);
}

/* ---- entries ------------------------------------------------------ */

struct raw {
	struct entry e;
	char *date_raw;		/* the first date string, for hash keys */
	char *link_raw;		/* the link as written, when unresolvable */
	int link_score;		/* Atom: how good a link we have */
	char *pub_raw, *upd_raw;
};

static void
raw_done(struct raw *r)
{
	entry_done(&r->e);
	free(r->date_raw);
	free(r->link_raw);
	free(r->pub_raw);
	free(r->upd_raw);
}

static void
set_once(char **dst, char *s)
{
	if (*dst || !s)
		free(s);
	else
		*dst = s;
}

static void
push_name(char ***v, char *s)
{
	if (!s)
		return;
	if (strv_contains(*v, s) || strv_length(*v) >= PARSE_MAX_NAMES) {
		free(s);
		return;
	}
	strv_push(v, s);
}

/* RSS title and other text that may carry entities or tags. */
static void
set_sniffed(struct pctx *c, struct entry_text *t, const xmlNode *n)
{
	bool markup = false;
	char *s;

	if (t->s)
		return;
	s = node_text(c, n, &markup);
	if (!s)
		return;
	t->s = s;
	t->type = markup || strpbrk(s, "<&") ? ENTRY_TEXT_HTML :
	    ENTRY_TEXT_PLAIN;
}

static void
set_html(struct pctx *c, struct entry_text *t, const xmlNode *n)
{
	if (t->s)
		return;
	t->s = node_text(c, n, NULL);
	t->type = ENTRY_TEXT_HTML;
}

static bool
base64_decode(const char *s, struct buf *out)
{
	unsigned v = 0, bits = 0;
	const char *p;

	for (p = s; *p; p++) {
		int d;
		char ch;

		if (*p >= 'A' && *p <= 'Z')
			d = *p - 'A';
		else if (*p >= 'a' && *p <= 'z')
			d = *p - 'a' + 26;
		else if (*p >= '0' && *p <= '9')
			d = *p - '0' + 52;
		else if (*p == '+' || *p == '-')
			d = 62;
		else if (*p == '/' || *p == '_')
			d = 63;
		else if (*p == '=' || *p == ' ' || *p == '\n' || *p == '\r' ||
		    *p == '\t')
			continue;
		else
			return false;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ch = (char)((v >> bits) & 0xff);
			add_capped(out, &ch, 1);
		}
	}
	return true;
}

/*
 * An Atom text construct.  1.0: type text, html or xhtml (the div's
 * children).  0.3: a MIME type and mode xml, escaped or base64.  Other
 * MIME types: text/... as text, XML as markup, anything else skipped.
 */
static void
set_atom_text(struct pctx *c, struct entry_text *t, const xmlNode *n)
{
	_cleanup_free_ char *type = attr(c, n, "type", NULL);
	_cleanup_free_ char *mode = attr(c, n, "mode", NULL);
	_cleanup_free_ char *src = attr(c, n, "src", NULL);
	const char *ty = type ? type : "text";
	bool html, xhtml, markup = false;
	struct buf b;
	char *s;

	if (t->s)
		return;
	xhtml = strcasecmp(ty, "xhtml") == 0 ||
	    strcasecmp(ty, "application/xhtml+xml") == 0;
	html = strcasecmp(ty, "html") == 0 || strcasecmp(ty, "text/html") == 0;
	if (!xhtml && !html && strcasecmp(ty, "text") != 0 &&
	    strncasecmp(ty, "text/", 5) != 0 && !endswith(ty, "+xml") &&
	    !endswith(ty, "/xml"))
		return;			/* images and the like */
	if (endswith(ty, "+xml") || endswith(ty, "/xml"))
		xhtml = true;
	if (src && !has_element_children(n) && !n->children)
		return;			/* out-of-line content */

	if (mode && strcasecmp(mode, "base64") == 0) {
		_cleanup_free_ char *enc = node_plain(c, n);

		if (!enc)
			return;
		buf_init(&b, FIELD_MAX_BYTES);
		if (!base64_decode(enc, &b)) {
			buf_done(&b);
			return;
		}
		s = finish_text(&b);
		if (!utf8_valid(s, strlen(s))) {
			struct buf clean;

			buf_init(&clean, 0);
			(void)sanitize_utf8(s, strlen(s), &clean);
			free(s);
			s = buf_steal(&clean);
		}
		if (!*s) {
			free(s);
			return;
		}
		t->s = s;
		t->type = html || xhtml ? ENTRY_TEXT_HTML : ENTRY_TEXT_PLAIN;
		return;
	}
	if (xhtml || has_element_children(n)) {
		const xmlNode *inner = n->children, *k;

		/* 1.0 xhtml: the one div wrapper is not content. */
		if (c->format == PARSE_FORMAT_ATOM10 && xhtml) {
			for (k = n->children; k; k = k->next)
				if (k->type == XML_ELEMENT_NODE)
					break;
			if (k && strcmp((const char *)k->name, "div") == 0)
				inner = k->children;
		}
		buf_init(&b, FIELD_MAX_BYTES);
		if (has_element_children(n))
			html_walk(c, inner, &b);
		else
			text_walk(c, inner, &b, 0, &markup);
		s = finish_text(&b);
		if (!*s) {
			free(s);
			return;
		}
		t->s = s;
		t->type = ENTRY_TEXT_HTML;
		return;
	}
	s = node_text(c, n, &markup);
	if (!s)
		return;
	t->s = s;
	t->type = html || markup ? ENTRY_TEXT_HTML : ENTRY_TEXT_PLAIN;
}

/* Atom link: rel alternate (or none); text/html best, no type next. */
static void
consider_atom_link(struct pctx *c, struct raw *r, const xmlNode *n)
{
	_cleanup_free_ char *rel = attr(c, n, "rel", NULL);
	_cleanup_free_ char *type = attr(c, n, "type", NULL);
	_cleanup_free_ char *href = attr(c, n, "href", NULL);
	char *url;
	int score;

	/* <link>URL</link>: invalid Atom, but some feeds (and feedparser)
	 * take the text as the href. */
	if (!href && !has_element_children(n))
		href = node_plain(c, n);
	if (!href)
		return;
	if (rel && strcasecmp(rel, "alternate") != 0)
		return;
	if (!type)
		score = 2;
	else if (strcasecmp(type, "text/html") == 0 ||
	    strcasecmp(type, "application/xhtml+xml") == 0)
		score = 3;
	else
		score = 1;
	if (score <= r->link_score)
		return;
	url = resolve_at(c, n, href);
	if (!url) {
		if (!r->link_raw)
			r->link_raw = TAKE_PTR(href);
		return;
	}
	free(r->e.link);
	r->e.link = url;
	r->link_score = score;
}

/* Elements that mean the same in RSS and Atom entries (Dublin Core &c). */
static bool
common_child(struct pctx *c, struct raw *r, const xmlNode *k)
{
	if (ns_is(k, NS_DC)) {
		if (name_is(k, "creator") || name_is(k, "contributor"))
			push_name(&r->e.authors, node_plain(c, k));
		else if (name_is(k, "subject"))
			push_name(&r->e.categories, node_plain(c, k));
		else if (name_is(k, "date"))
			set_once(&r->pub_raw, node_plain(c, k));
		else if (name_is(k, "title"))
			set_sniffed(c, &r->e.title, k);
		else if (name_is(k, "description"))
			set_html(c, &r->e.summary, k);
		else if (name_is(k, "identifier"))
			set_once(&r->e.id, node_plain(c, k));
		else
			return false;
		return true;
	}
	if (ns_is(k, NS_DCTERMS)) {
		if (name_is(k, "modified"))
			set_once(&r->upd_raw, node_plain(c, k));
		else if (name_is(k, "created") || name_is(k, "issued"))
			set_once(&r->pub_raw, node_plain(c, k));
		else
			return false;
		return true;
	}
	if (is_el(k, NS_CONTENT, "encoded")) {
		if (!r->e.content.s)
			set_html(c, &r->e.content, k);
		return true;
	}
	return false;
}

static void
rss_item(struct pctx *c, const xmlNode *item, struct raw *r)
{
	_cleanup_free_ char *guid_perma = NULL, *link = NULL;
	const xmlNode *k, *link_node = NULL, *guid_node = NULL;
	struct entry_text full = { 0 }, media_title = { 0 };
	char *pub_rss = NULL;

	for (k = item->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (is_rss(k, "title"))
			set_sniffed(c, &r->e.title, k);
		else if (is_rss(k, "link")) {
			if (!link) {
				link = node_plain(c, k);
				link_node = k;
			}
		} else if (is_rss(k, "guid")) {
			if (!r->e.id) {
				r->e.id = node_plain(c, k);
				/* An empty guid leaves id NULL: the next
				 * one is read again (found by fuzzing). */
				free(guid_perma);
				guid_perma = attr(c, k, "isPermaLink", NULL);
				guid_node = k;
			}
		} else if (is_rss(k, "description"))
			set_html(c, &r->e.summary, k);
		else if (is_rss(k, "author"))
			push_name(&r->e.authors, node_plain(c, k));
		else if (is_rss(k, "category"))
			push_name(&r->e.categories, node_plain(c, k));
		else if (is_rss(k, "pubDate"))
			set_once(&pub_rss, node_plain(c, k));
		else if (common_child(c, r, k))
			;
		else if (is_atom(k, "link"))
			consider_atom_link(c, r, k);
		else if (is_atom(k, "updated"))
			set_once(&r->upd_raw, node_plain(c, k));
		else if (is_atom(k, "published"))
			set_once(&r->pub_raw, node_plain(c, k));
		else if (name_is(k, "full-text") && !ns_is(k, NULL))
			set_sniffed(c, &full, k);	/* yandex:, rbc_news: */
		else if (is_el(k, NS_MEDIA, "title") && !media_title.s)
			set_sniffed(c, &media_title, k);
	}
	/* media:title stands in for a missing title (video feeds). */
	if (!r->e.title.s && media_title.s)
		r->e.title = media_title;
	else
		free(media_title.s);
	if (pub_rss) {
		free(r->pub_raw);
		r->pub_raw = pub_rss;
	}
	if (!r->e.content.s && full.s)
		r->e.content = full;
	else
		free(full.s);
	if (!r->e.id && (c->format == PARSE_FORMAT_RSS10 ||
	    c->format == PARSE_FORMAT_RSS090))
		r->e.id = attr(c, item, "about", NS_RDF);

	if (link) {
		char *url = resolve_at(c, link_node, link);

		if (url) {
			free(r->e.link);
			r->e.link = url;
		} else if (!r->e.link && !r->link_raw)
			r->link_raw = TAKE_PTR(link);
	}
	if (!r->e.link && r->e.id && guid_node &&
	    !(guid_perma && strcasecmp(guid_perma, "false") == 0) &&
	    url_is_http(r->e.id))
		r->e.link = url_resolve(NULL, r->e.id);
}

static void
atom_entry(struct pctx *c, const xmlNode *entry, char *const *feed_authors,
    struct raw *r)
{
	const xmlNode *k, *a;

	for (k = entry->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (is_atom_el(c, k, "id"))
			set_once(&r->e.id, node_plain(c, k));
		else if (is_atom_el(c, k, "title"))
			set_atom_text(c, &r->e.title, k);
		else if (is_atom_el(c, k, "link"))
			consider_atom_link(c, r, k);
		else if (is_atom_el(c, k, "summary"))
			set_atom_text(c, &r->e.summary, k);
		else if (is_atom_el(c, k, "content"))
			set_atom_text(c, &r->e.content, k);
		else if (is_atom_el(c, k, "author")) {
			for (a = k->children; a; a = a->next)
				if (is_atom_el(c, a, "name"))
					push_name(&r->e.authors,
					    node_plain(c, a));
		} else if (is_atom_el(c, k, "category")) {
			char *s = attr(c, k, "term", NULL);

			if (!s)
				s = attr(c, k, "label", NULL);
			push_name(&r->e.categories, s);
		} else if (is_atom_el(c, k, "published") ||
		    is_atom_el(c, k, "issued") || is_atom_el(c, k, "created"))
			set_once(&r->pub_raw, node_plain(c, k));
		else if (is_atom_el(c, k, "updated") ||
		    is_atom_el(c, k, "modified"))
			set_once(&r->upd_raw, node_plain(c, k));
		else
			(void)common_child(c, r, k);
	}
	if (!r->e.authors && feed_authors && feed_authors[0])
		r->e.authors = strv_copy(feed_authors);
	/* No link but an http(s) id: the id is the entry's permalink, as an
	 * RSS guid is (tag: and urn: ids are not links). */
	if (!r->e.link && !r->link_raw && r->e.id && url_is_http(r->e.id))
		r->e.link = url_resolve(NULL, r->e.id);
}

static char *
hex_key(const char *prefix, const char *a, const char *b)
{
	struct buf s;
	uint64_t h;
	char *k;

	buf_init(&s, 0);
	(void)buf_adds(&s, a ? a : "");
	(void)buf_addc(&s, '\n');
	(void)buf_adds(&s, b ? b : "");
	h = hash64(s.data, s.len, 0);
	buf_done(&s);
	k = xasprintf("%s%016llx", prefix, (unsigned long long)h);
	return k;
}

static bool
streq0(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

struct entries {
	struct entry *v;
	uint64_t *hashes;	/* of each key */
	uint32_t *slots;	/* open addressing over hashes: index + 1 */
	size_t n, alloc, n_slots;
	size_t n_dropped;
	bool capped;
	/*
	 * With clean, each entry's text is cleaned as it is kept (while it
	 * is in the cache, and the raw text freed at once); raw_ids keeps
	 * what the duplicate test compares: its raw link and title, hashed.
	 */
	bool clean, oom;
	uint64_t *raw_ids;
	/*
	 * With each, every entry kept goes to each() at once when stream is
	 * set (RSS: nothing after an item changes it), and is then cut
	 * down to its key; otherwise all go once the document is read.
	 */
	parse_each_fn *each;
	void *each_ctx;
	bool stream;
};

/* Hand e to each() and keep only its key (for the duplicate test). */
static void
entry_handed(struct entries *es, struct entry *e)
{
	char *key;

	es->each(e, es->each_ctx);
	key = TAKE_PTR(e->key);
	entry_done(e);
	e->key = key;
}

static uint64_t
raw_id(const struct entry *e)
{
	uint64_t h = hash64(e->link ? e->link : "", e->link ?
	    strlen(e->link) + 1 : 0, 0);

	return hash64(e->title.s ? e->title.s : "", e->title.s ?
	    strlen(e->title.s) + 1 : 0, h);
}

static ssize_t
find_key(const struct entries *es, const char *key)
{
	uint64_t h = hash64(key, strlen(key), 0);
	size_t i;

	if (es->n_slots == 0)
		return -1;
	for (i = h & (es->n_slots - 1); es->slots[i];
	    i = (i + 1) & (es->n_slots - 1)) {
		size_t k = es->slots[i] - 1;

		if (es->hashes[k] == h && strcmp(es->v[k].key, key) == 0)
			return (ssize_t)k;
	}
	return -1;
}

/* Index entry k (its hash already in es->hashes[k]). */
static void
slot_add(struct entries *es, size_t k)
{
	size_t i = es->hashes[k] & (es->n_slots - 1);

	while (es->slots[i])
		i = (i + 1) & (es->n_slots - 1);
	es->slots[i] = (uint32_t)(k + 1);
}

/*
 * Finish r (dates, key) and add it, or drop it as an exact duplicate.
 * The key: the id; else the link; else "h:" and 16 hex digits of hash64
 * over title (else summary, else content) + '\n' + the raw date string.
 * A key seen before in this feed: the same link and title is a duplicate
 * (dropped, counted); anything else is a feed reusing a guid for another
 * story, kept as key + "#" + hash64(link + '\n' + title) in hex.
 */
static void
add_entry(struct entries *es, struct raw *r)
{
	struct entry *e = &r->e;
	ssize_t dup;
	uint64_t id;
	int64_t t;

	if (r->pub_raw && date_parse(r->pub_raw, &t) == 0)
		e->published = t;
	if (r->upd_raw && date_parse(r->upd_raw, &t) == 0)
		e->updated = t;
	if (!e->published)
		e->published = e->updated;
	r->date_raw = xstrdup(r->pub_raw ? r->pub_raw : r->upd_raw);

	if (e->id)
		e->key = xstrdup(e->id);
	else if (e->link)
		e->key = xstrdup(e->link);
	else if (r->link_raw)
		e->key = xstrdup(r->link_raw);
	else
		e->key = hex_key("h:", e->title.s ? e->title.s :
		    e->summary.s ? e->summary.s : e->content.s, r->date_raw);

	id = es->clean ? raw_id(e) : 0;
	dup = find_key(es, e->key);
	if (dup >= 0) {
		const struct entry *o = &es->v[dup];
		char *k;

		if (es->clean ? es->raw_ids[dup] == id :
		    streq0(o->link, e->link) &&
		    streq0(o->title.s, e->title.s)) {
			es->n_dropped++;
			raw_done(r);
			return;
		}
		/* A feed reusing a guid for another story: keep both. */
		k = hex_key("#", e->link, e->title.s);
		free(e->key);
		e->key = xasprintf("%s%s", e->id ? e->id : "", k);
		free(k);
		if (!e->id) {
			free(e->key);
			e->key = hex_key("h:", e->link, e->title.s);
		}
		if (find_key(es, e->key) >= 0) {
			es->n_dropped++;
			raw_done(r);
			return;
		}
	}
	if (es->n == FEED_MAX_ENTRIES) {
		es->capped = true;
		raw_done(r);
		return;
	}
	if (es->n == es->alloc) {
		size_t k;

		es->alloc = es->alloc ? es->alloc * 2 : 16;
		es->v = xrealloc(es->v, es->alloc * sizeof(*es->v));
		es->hashes = xrealloc(es->hashes, es->alloc * sizeof(uint64_t));
		if (es->clean)
			es->raw_ids = xrealloc(es->raw_ids,
			    es->alloc * sizeof(uint64_t));
		/* at most half full */
		free(es->slots);
		es->n_slots = 2 * es->alloc;
		es->slots = xcalloc(es->n_slots, sizeof(*es->slots));
		for (k = 0; k < es->n; k++)
			slot_add(es, k);
	}
	es->hashes[es->n] = hash64(e->key, strlen(e->key), 0);
	es->v[es->n] = *e;
	if (es->clean) {
		es->raw_ids[es->n] = id;
		if (text_entry(&es->v[es->n]) < 0)
			es->oom = true;
		else if (es->each && es->stream)
			entry_handed(es, &es->v[es->n]);
	}
	slot_add(es, es->n++);
	memset(e, 0, sizeof(*e));
	raw_done(r);
}

/* ---- channel ------------------------------------------------------ */

static void
rss_skip(struct pctx *c, const xmlNode *n, struct feed_doc *d)
{
	static const char *const days[7] = {
		"sunday", "monday", "tuesday", "wednesday", "thursday",
		"friday", "saturday"
	};
	const xmlNode *k;
	unsigned i;

	for (k = n->children; k; k = k->next) {
		_cleanup_free_ char *s = NULL;
		unsigned long h;

		if (k->type != XML_ELEMENT_NODE)
			continue;
		s = node_plain(c, k);
		if (!s)
			continue;
		if (is_rss(n, "skipHours") && is_rss(k, "hour") &&
		    parse_uint(s, 24, &h) == 0)
			d->skip_hours |= 1u << (h % 24);
		else if (is_rss(n, "skipDays") && is_rss(k, "day"))
			for (i = 0; i < 7; i++)
				if (strlen(s) >= 3 && strlen(s) <=
				    strlen(days[i]) &&
				    strncasecmp(s, days[i], strlen(s)) == 0)
					d->skip_days |= (uint8_t)(1u << i);
	}
}

static void
rss_channel(struct pctx *c, const xmlNode *ch, struct feed_doc *d)
{
	struct raw tmp = { 0 };
	const xmlNode *k;

	for (k = ch->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (is_rss(k, "title"))
			set_once(&d->title, node_plain(c, k));
		else if (is_rss(k, "link") && !d->link) {
			_cleanup_free_ char *s = node_plain(c, k);

			d->link = resolve_at(c, k, s);
		} else if (is_atom(k, "link") && !tmp.e.link)
			consider_atom_link(c, &tmp, k);
		else if (is_rss(k, "ttl")) {
			_cleanup_free_ char *s = node_plain(c, k);
			unsigned long v;

			if (s && parse_uint(s, UINT_MAX, &v) == 0)
				d->ttl_min = (unsigned)v;
		} else if (is_rss(k, "skipHours") || is_rss(k, "skipDays"))
			rss_skip(c, k, d);
	}
	if (!d->link)
		d->link = TAKE_PTR(tmp.e.link);
	raw_done(&tmp);
}

static void
rss_items(struct pctx *c, const xmlNode *parent, struct entries *es)
{
	const xmlNode *k;

	for (k = parent->children; k; k = k->next) {
		struct raw r = { 0 };

		if (!is_rss(k, "item"))
			continue;
		rss_item(c, k, &r);
		add_entry(es, &r);
	}
}

static void
atom_feed(struct pctx *c, const xmlNode *feed, struct feed_doc *d,
    struct entries *es)
{
	struct raw tmp = { 0 };
	char **authors = NULL;
	const xmlNode *k, *a;
	size_t i;

	for (k = feed->children; k; k = k->next) {
		if (is_atom_el(c, k, "title"))
			set_once(&d->title, node_plain(c, k));
		else if (is_atom_el(c, k, "link"))
			consider_atom_link(c, &tmp, k);
		else if (is_atom_el(c, k, "author"))
			for (a = k->children; a; a = a->next)
				if (is_atom_el(c, a, "name"))
					push_name(&authors, node_plain(c, a));
	}
	d->link = TAKE_PTR(tmp.e.link);
	raw_done(&tmp);
	/* entries read during the parse (early_close()) lack these */
	for (i = 0; i < es->n && authors && authors[0]; i++)
		if (!es->v[i].authors) {
			es->v[i].authors = strv_copy(authors);
			if (es->clean && text_strv(&es->v[i].authors) < 0)
				es->oom = true;
		}
	for (k = feed->children; k; k = k->next) {
		struct raw r = { 0 };

		if (!is_atom_el(c, k, "entry"))
			continue;
		atom_entry(c, k, authors, &r);
		add_entry(es, &r);
	}
	strv_free(authors);
}

static enum parse_format
detect_format(const xmlNode *root, struct pctx *c)
{
	const xmlNode *k;

	if (name_is(root, "rss")) {
		_cleanup_free_ char *v = attr(c, root, "version", NULL);

		if (v && startswith(v, "0.9"))
			return PARSE_FORMAT_RSS09X;
		return PARSE_FORMAT_RSS20;
	}
	if (is_el(root, NS_RDF, "RDF")) {
		for (k = root->children; k; k = k->next)
			if (k->type == XML_ELEMENT_NODE && ns_is(k, NS_RSS090))
				return PARSE_FORMAT_RSS090;
		return PARSE_FORMAT_RSS10;
	}
	if (name_is(root, "feed")) {
		_cleanup_free_ char *v = NULL;

		if (ns_is(root, NS_ATOM10))
			return PARSE_FORMAT_ATOM10;
		if (ns_is(root, NS_ATOM03))
			return PARSE_FORMAT_ATOM03;
		if (!ns_is(root, NULL))
			return PARSE_FORMAT_UNKNOWN;
		c->atom_no_ns = true;
		v = attr(c, root, "version", NULL);
		return v && strcmp(v, "0.3") == 0 ? PARSE_FORMAT_ATOM03 :
		    PARSE_FORMAT_ATOM10;
	}
	return PARSE_FORMAT_UNKNOWN;
}

/* Does the (UTF-8) text start like an HTML page? */
static bool
looks_html(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	s += i;
	n -= i;
	if (n >= 14 && strncasecmp(s, "<!doctype html", 14) == 0)
		return true;
	return n >= 5 && strncasecmp(s, "<html", 5) == 0 &&
	    (n == 5 || s[5] == '>' || s[5] == ' ' || s[5] == '\n' ||
	    s[5] == '\r' || s[5] == '\t');
}

static const char not_html[] =
    "not a feed: an HTML page (anti-bot or error page?)";

/*
 * Decode to UTF-8: the text in *ret_s, *ret_n, either data itself (bytes
 * already found valid UTF-8 need no copy) or *b's.
 */
static int
decode(const char *data, size_t len, const char *content_type,
    struct buf *b, const char **ret_s, size_t *ret_n, char **ret_encoding)
{
	struct encoding tmp[2];
	char names[4][32];
	const struct encoding *e;
	size_t skip;
	bool valid;
	int r;

	e = choose_encoding(data, len, content_type, tmp, names, &skip,
	    &valid);
	buf_init(b, PARSE_MAX_DECODED_BYTES);
	if (valid && !e->iconv) {
		if (len - skip > PARSE_MAX_DECODED_BYTES)
			return -EFBIG;
		*ret_s = data + skip;
		*ret_n = len - skip;
	} else {
		r = convert(e, data + skip, len - skip, b);
		if (r < 0) {
			buf_done(b);
			return r;
		}
		*ret_s = b->data ? b->data : "";
		*ret_n = b->len;
	}
	*ret_encoding = xstrdup(e->name);
	return 0;
}

/*
 * Items and entries are read as soon as their end tag is parsed and then
 * taken out of the tree (with the blanks before them), so that libxml2
 * reuses their memory: the tree of a 50 MB feed never exists.  Those the
 * parser never closes (a truncated feed) stay in the tree for the walk
 * after the parse, which reads the rest as it always did.
 */
struct early {
	struct pctx *c;
	struct entries *es;
	bool detected;		/* c->format read from the root */
	bool rss090;		/* an item in the RSS 0.90 namespace went */
};

static void
take_out(xmlNodePtr n)
{
	xmlNodePtr parent = n->parent, k;

	xmlUnlinkNode(n);
	xmlFreeNode(n);
	/*
	 * Never leave a text node last: libxml2 appends the next text to
	 * the last child with what it remembers of the one it wrote last.
	 */
	while ((k = parent->last) && (k->type == XML_TEXT_NODE ||
	    k->type == XML_CDATA_SECTION_NODE)) {
		xmlUnlinkNode(k);
		xmlFreeNode(k);
	}
}

static void
early_close(void *ctx, xmlNodePtr n)
{
	struct early *ea = ctx;
	struct pctx *c = ea->c;
	xmlNodePtr root = xmlDocGetRootElement(n->doc), k;
	struct raw r = { 0 };

	if (!root || n == root || !n->parent)
		return;
	if (!ea->detected) {
		c->format = detect_format(root, c);
		ea->detected = true;
		ea->es->stream = c->format != PARSE_FORMAT_ATOM03 &&
		    c->format != PARSE_FORMAT_ATOM10;
	}
	switch (c->format) {
	case PARSE_FORMAT_UNKNOWN:
		return;
	case PARSE_FORMAT_ATOM03:
	case PARSE_FORMAT_ATOM10:
		if (n->parent != root || !is_atom_el(c, n, "entry"))
			return;
		/* the feed's authors are given to it after the parse */
		atom_entry(c, n, NULL, &r);
		break;
	default:
		if (!is_rss(n, "item"))
			return;
		if (n->parent != root) {
			for (k = root->children; k; k = k->next)
				if (is_rss(k, "channel"))
					break;
			if (n->parent != k)
				return;		/* not the first channel */
		}
		if (ns_is(n, NS_RSS090))
			ea->rss090 = true;
		rss_item(c, n, &r);
		break;
	}
	add_entry(ea->es, &r);
	take_out(n);
}

static void
add_warning(struct feed_doc *d, const char *msg)
{
	char *w;

	if (d->warning) {
		w = xasprintf("%s; %s", d->warning, msg);
		free(d->warning);
		d->warning = w;
	} else
		d->warning = xstrdup(msg);
}

static int
feed_read(const char *data, size_t len, const char *content_type,
    const char *base_url, bool clean, parse_each_fn *each, void *each_ctx,
    char errbuf[ERRMSG_MAX], struct feed_doc **ret)
{
	struct xml_err xe = { .line = 0 };
	struct pctx c = { .doc_url = base_url,
	    .ent_budget = PARSE_ENTITY_BUDGET };
	struct entries es = { .clean = clean, .each = each,
	    .each_ctx = each_ctx };
	struct early ea = { .c = &c, .es = &es };
	struct feed_doc *d;
	xmlDocPtr doc;
	xmlNodePtr root, k;
	struct buf b, fixed = { 0 };
	char *enc = NULL;
	const char *s;
	size_t n, i;
	bool recovered;
	int r;

	errbuf[0] = '\0';
	if (!data)
		len = 0;
	r = decode(data ? data : "", len, content_type, &b, &s, &n, &enc);
	if (r < 0) {
		snprintf(errbuf, ERRMSG_MAX, "document too large once decoded");
		return r;
	}
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	if (n == 0) {
		snprintf(errbuf, ERRMSG_MAX, "empty document");
		r = -EBADMSG;
		goto out;
	}
	if (*s == '{' || *s == '[') {
		snprintf(errbuf, ERRMSG_MAX,
		    "not a feed: a JSON document (JSON Feed is not read)");
		r = -EBADMSG;
		goto out;
	}
	if (looks_html(s, n)) {
		snprintf(errbuf, ERRMSG_MAX, "%s", not_html);
		r = -EBADMSG;
		goto out;
	}
	buf_init(&fixed, PARSE_MAX_DECODED_BYTES * 2);
	if (fix_ampersands(s, n, &fixed)) {
		s = fixed.data;
		n = fixed.len;
	}
	xe.on_close = early_close;
	xe.ctx = &ea;
	doc = xml_read(s, n, base_url, &xe, &recovered);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		if (xe.msg[0])
			snprintf(errbuf, ERRMSG_MAX,
			    "XML error at line %d: %.200s", xe.line, xe.msg);
		else
			snprintf(errbuf, ERRMSG_MAX, "not XML");
		xmlFreeDoc(doc);
		r = -EBADMSG;
		goto out;
	}
	c.format = detect_format(root, &c);
	if (c.format == PARSE_FORMAT_RSS10 && ea.rss090)
		c.format = PARSE_FORMAT_RSS090;	/* its items went early */
	if (c.format == PARSE_FORMAT_UNKNOWN) {
		if (strcasecmp((const char *)root->name, "html") == 0)
			snprintf(errbuf, ERRMSG_MAX, "%s", not_html);
		else
			snprintf(errbuf, ERRMSG_MAX,
			    "not a feed: root element <%.64s>", root->name);
		xmlFreeDoc(doc);
		r = -EBADMSG;
		goto out;
	}

	es.stream = c.format != PARSE_FORMAT_ATOM03 &&
	    c.format != PARSE_FORMAT_ATOM10;
	d = xcalloc(1, sizeof(*d));
	d->format = c.format;
	d->encoding = TAKE_PTR(enc);
	if (c.format == PARSE_FORMAT_ATOM03 || c.format == PARSE_FORMAT_ATOM10)
		atom_feed(&c, root, d, &es);
	else {
		for (k = root->children; k; k = k->next)
			if (is_rss(k, "channel")) {
				rss_channel(&c, k, d);
				rss_items(&c, k, &es);
				break;
			}
		rss_items(&c, root, &es);	/* RDF, and strays in RSS */
	}
	xmlFreeDoc(doc);
	d->entries = es.v;
	d->n_entries = es.n;
	d->n_dropped = es.n_dropped;
	free(es.hashes);
	free(es.slots);
	free(es.raw_ids);
	if (es.oom) {
		feed_doc_free(d);
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; each && !es.stream && i < d->n_entries; i++)
		entry_handed(&es, &d->entries[i]);
	if (recovered) {
		char *w = xasprintf("XML error at line %d (recovered): %s",
		    xe.line, xe.msg[0] ? xe.msg : "not well-formed");

		add_warning(d, w);
		free(w);
	}
	if (es.capped) {
		char *w = xasprintf("more than %d entries; kept the first %d",
		    FEED_MAX_ENTRIES, FEED_MAX_ENTRIES);

		add_warning(d, w);
		free(w);
	}
	*ret = d;
	r = 0;
out:
	if (r < 0) {
		/* what early_close() read before the document failed */
		for (i = 0; i < es.n && es.v; i++)
			entry_done(&es.v[i]);
		free(es.v);
		free(es.hashes);
		free(es.slots);
		free(es.raw_ids);
	}
	free(enc);
	buf_done(&b);
	buf_done(&fixed);
	return r;
}

int
parse_feed(const char *data, size_t len, const char *content_type,
    const char *base_url, char errbuf[ERRMSG_MAX], struct feed_doc **ret)
{
	return feed_read(data, len, content_type, base_url, false, NULL, NULL,
	    errbuf, ret);
}

int
parse_feed_clean(const char *data, size_t len, const char *content_type,
    const char *base_url, parse_each_fn *each, void *ctx,
    char errbuf[ERRMSG_MAX], struct feed_doc **ret)
{
	return feed_read(data, len, content_type, base_url, true, each, ctx,
	    errbuf, ret);
}

/* ---- OPML --------------------------------------------------------- */

static void
opml_walk(struct pctx *c, const xmlNode *n, const char *file,
    struct feed **feeds, size_t *nf, struct diag *d, int *problems)
{
	for (; n; n = n->next) {
		struct feed *f;
		char *url;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (name_is(n, "outline")) {
			url = attr(c, n, "xmlUrl", NULL);
			if (!url)
				url = attr(c, n, "xmlurl", NULL);
			if (url) {
				*feeds = xrealloc(*feeds,
				    (*nf + 1) * sizeof(**feeds));
				f = &(*feeds)[(*nf)++];
				memset(f, 0, sizeof(*f));
				f->url = url;
				f->name = attr(c, n, "text", NULL);
				if (!f->name)
					f->name = attr(c, n, "title", NULL);
				if (!f->name)
					f->name = xstrdup(url);
				f->src_file = xstrdup(file);
				f->src_line = (unsigned)xmlGetLineNo(n);
			} else if (xmlHasProp(n, BAD_CAST "xmlUrl")) {
				diag_add(d, file, (unsigned)xmlGetLineNo(n),
				    "outline with an empty xmlUrl");
				(*problems)++;
			}
		}
		opml_walk(c, n->children, file, feeds, nf, d, problems);
	}
}

int
parse_opml(const char *data, size_t len, const char *file,
    struct feed **feeds, size_t *n, struct diag *d)
{
	struct xml_err xe = { .line = 0 };
	struct pctx c = { .doc_url = NULL, .ent_budget = PARSE_ENTITY_BUDGET };
	xmlDocPtr doc;
	xmlNodePtr root;
	struct buf b;
	char *enc = NULL;
	const char *s;
	size_t n_s, i;
	bool recovered;
	int problems = 0, r;

	r = decode(data ? data : "", data ? len : 0, NULL, &b, &s, &n_s, &enc);
	if (r < 0) {
		diag_add(d, file, 0, "file too large");
		return 1;
	}
	free(enc);
	for (i = 0; i < n_s && strchr(" \t\r\n", s[i]) && s[i]; i++)
		;
	if (i == n_s) {
		diag_add(d, file, 0, "empty OPML file");
		buf_done(&b);
		return 1;
	}
	doc = xml_read(s, n_s, NULL, &xe, &recovered);
	buf_done(&b);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (recovered || !root) {
		diag_add(d, file, (unsigned)(xe.line > 0 ? xe.line : 0),
		    "malformed OPML: %s", xe.msg[0] ? xe.msg :
		    "not well-formed XML");
		problems++;
	}
	if (root && !name_is(root, "opml")) {
		diag_add(d, file, 0, "not OPML: root element <%.64s>",
		    root->name);
		problems++;
	} else if (root)
		opml_walk(&c, root->children, file, feeds, n, d, &problems);
	xmlFreeDoc(doc);
	return problems;
}
