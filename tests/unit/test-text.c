/*
 * test-text.c: feed HTML and messy plain text to the display and match
 * forms a reader sees in alerts and digests.  No I/O.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "text.h"
#include "util.h"

/*
 * libxml2's global state, freed at exit so valgrind reports nothing
 * reachable.  Declared here: the tests do not get libxml2's include path
 * (only text.c includes its headers); the library is linked in anyway.
 */
void xmlCleanupParser(void);

enum fn {
	FN_HTML,
	FN_CLEAN,
	FN_NORMALISE,
	FN_MAX
};

static const struct {
	enum fn fn;
	const char *in;
	const char *want;
	const char *what;
} cases[] = {
	{ FN_HTML, "<p>Hello &amp;nbsp;world</p>", "Hello world",
	    "twice-escaped &nbsp; is a space" },
	{ FN_HTML, "&amp;laquo;Росатом&amp;raquo; &amp;amp; Co",
	    "«Росатом» & Co", "twice-escaped named entities" },
	{ FN_HTML, "a<script>alert('x')</script>b<style>p{}</style>c"
	    "<noscript>n</noscript><template>t</template>", "abc",
	    "script, style, noscript, template dropped with content" },
	{ FN_HTML, "<p>one</p><p>two</p>", "one\n\ntwo",
	    "paragraphs are separated by a blank line" },
	{ FN_HTML, "line<br>next<br/><br>last", "line\nnext\n\nlast",
	    "<br> breaks lines" },
	{ FN_HTML, "<ul>\n <li>a</li>\n <li>b</li>\n</ul>tail", "a\nb\n\ntail",
	    "list items one per line" },
	{ FN_HTML, "<h1>Title</h1><div>x</div><div>y</div>", "Title\n\nx\ny",
	    "headings and divs" },
	{ FN_HTML, "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr>"
	    "</table>", "a b\nc", "table cells and rows" },
	{ FN_HTML, "a < b and c > d", "a < b and c > d",
	    "a lone '<' in text survives" },
	{ FN_HTML, "5<6 & 7>3", "5<6 & 7>3", "'<' before a digit survives" },
	{ FN_HTML, "<b>bold</b> and <i>italic</i>", "bold and italic",
	    "inline tags vanish without gaps" },
	{ FN_HTML, "x\n\n   y\t z", "x y z",
	    "source line breaks are blanks in HTML" },
	{ FN_HTML, "<pre>a\n  b</pre>c", "a\nb\n\nc", "<pre> keeps lines" },
	{ FN_HTML, "<!-- hidden -->text<img src=x alt=\"pic\">", "text",
	    "comments and images dropped" },
	{ FN_HTML, "<meta charset=\"koi8-r\">Привет", "Привет",
	    "a charset in the fragment is ignored" },
	{ FN_HTML, "caf\xe9 <b>ok</b>", "caf\xef\xbf\xbd ok",
	    "invalid UTF-8 in HTML is U+FFFD, the rest stays UTF-8" },
	{ FN_HTML, "&#1056;&#x43E;с", "Рос", "numeric entities" },
	{ FN_HTML, "don&#146;t", "don\xe2\x80\x99t",
	    "&#128;-&#159; are Windows-1252, as browsers read them" },
	{ FN_HTML, "safe<object classid=\"x\"> <b>description</b>",
	    "safe description", "an <object> never closed drops only its tag" },
	{ FN_HTML, "a<title>t</title>b<head>c", "abc",
	    "a <head> never closed hides nothing" },
	{ FN_HTML, "<head><meta x><title>T</title><body>text", "text",
	    "an open <head> drops its tag, its <title> goes" },
	{ FN_HTML, "<head><title>T</title></head><b>x</b></body>", "x",
	    "a closed <head> goes with its content" },
	{ FN_HTML, "a<script>var x = '</b>' + y;", "a",
	    "an unclosed <script> drops the rest" },
	{ FN_HTML, "<SCRIPT>x</Script >y<STYLE a='>'>z</style>w", "yw",
	    "end tags found in any case, '>' in a quoted value" },
	{ FN_HTML, "<a data-c='#1'' title=x>Follow</a> <b>on</b>",
	    "Follow on", "a stray quote outside a value hides no '>'" },
	{ FN_HTML, "<a href=\"http://x/?q=1>Americans are fat.</a> ok",
	    "Americans are fat. ok", "a value never closed ends at '>'" },
	{ FN_HTML, "<!' <a href=\"foo\">", "<!'",
	    "'<!' before a non-letter is text" },
	{ FN_HTML, "<!DOCTYPE html><?php x ?>a<![CDATA[b]]>c", "ac",
	    "declarations and PIs dropped; CDATA in HTML is a bogus comment" },
	{ FN_HTML, "<p>a<div>b</div>c", "a\n\nb\nc",
	    "a block element ends an open <p>" },
	{ FN_HTML, "x</pre>y<pre>z\n w</pre>", "x\n\ny\n\nz\nw",
	    "a stray </pre> does not unbalance <pre>" },
	{ FN_HTML, "<b>a <!-- never closed", "a",
	    "an unclosed comment runs to the end" },
	{ FN_HTML, "tail <", "tail <", "a '<' at the end is text" },
	{ FN_HTML, "", "", "empty HTML" },
	{ FN_CLEAN, "Tom &amp; Jerry &lt;3", "Tom & Jerry <3",
	    "entities in plain titles" },
	{ FN_CLEAN, "AT&T &nosuch; &amp", "AT&T &nosuch; &amp",
	    "bare ampersands and unknown names stay" },
	{ FN_CLEAN, "&#x4E2D;&#22269;&apos;", "中国'", "numeric and &apos;" },
	{ FN_CLEAN, "a&#151;b&#0;", "a—b\xef\xbf\xbd",
	    "&#151; as browsers read it, &#0; is U+FFFD" },
	{ FN_CLEAN, "a\r\nb\rc", "a\nb\nc", "CR and CRLF become LF" },
	{ FN_CLEAN, "  a   \t b  \n \n\n\n c  ", "a b\n\nc",
	    "blanks folded, one blank line at most, trimmed" },
	{ FN_CLEAN, "\xd0\xb8\xcc\x86", "\xd0\xb9",
	    "NFC: и + combining breve is й" },
	{ FN_CLEAN, "Рос\xc2\xad""атом", "Росатом", "soft hyphen dropped" },
	{ FN_CLEAN, "a\u200bb\u200dc\u2060d\ufeffe", "abcde",
	    "zero-width characters dropped" },
	{ FN_CLEAN, "\u202eabc\u202c \u2067x\u2069", "abc x",
	    "bidi controls dropped" },
	{ FN_CLEAN, "a\xff" "b", "a\xef\xbf\xbd" "b",
	    "invalid byte is U+FFFD" },
	{ FN_CLEAN, "\xe4\xb8", "\xef\xbf\xbd\xef\xbf\xbd",
	    "truncated sequence: each byte U+FFFD" },
	{ FN_CLEAN, "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	    "encoded surrogate is invalid" },
	{ FN_CLEAN, "a\u00a0b\u2009c\u3000d\u202fe", "a b c d e",
	    "odd spaces become ' '" },
	{ FN_CLEAN, "a\x01" "b\x7f" "c\xc2\x85" "d\te\x1b[0m",
	    "abc\nd e[0m", "control characters dropped, NEL is a line end" },
	{ FN_NORMALISE, "Ёлка и ёж", "Елка и еж", "ё is е" },
	{ FN_NORMALISE, "е\xcc\x88ж", "еж", "decomposed ё is е too" },
	{ FN_NORMALISE, "«Росатом» „x“ ‘y’ ‹z› “q”",
	    "\"Росатом\" \"x\" 'y' 'z' \"q\"", "typographic quotes" },
	{ FN_NORMALISE, "a – b — c − d ‐ e ― f", "a - b - c - d - e - f",
	    "dashes" },
	{ FN_NORMALISE, "Рос\xc2\xad""атом\u00a0&amp;", "Росатом &",
	    "normalise cleans too" },
	{ FN_NORMALISE, "ＮＥＯＤＹＭＩＵＭ ｎｄ２Ｏ３", "NEODYMIUM nd2O3",
	    "NFKC: full width letters and digits are ASCII" },
	{ FN_NORMALISE, "\xef\xac\x81nance Nd\xe2\x82\x82O\xc2\xb3 \xe2\x84\xaa",
	    "finance Nd2O3 K", "NFKC: ligatures, sub- and superscripts, Kelvin" },
	{ FN_CLEAN, "ＮＥＯ \xef\xac\x81", "ＮＥＯ \xef\xac\x81",
	    "the display form stays NFC" },
	{ FN_NORMALISE, "Pекин: Китай, 中国 — Россия",
	    "Pекин: Китай, 中国 - Россия", "the fast path keeps what it may" },
	{ FN_NORMALISE, "й и\xcc\x86 Й", "й й Й",
	    "the slow path composes what the fast one cannot" },
};

static const struct {
	const char *in, *want, *what;
} fold_cases[] = {
	{ "Rare EARTH", "rare earth", "ASCII lower-cased" },
	{ "РЕДКОЗЕМЕЛЬНЫЕ Металлы", "редкоземельные металлы", "Cyrillic" },
	{ "Straße STRASSE", "strasse strasse", "full folding: ß is ss" },
	{ "ΣΊΣΥΦΟΣ σίσυφος", "σίσυφοσ σίσυφοσ", "Greek final sigma" },
	{ "稀土 釹", "稀土 釹", "Han unchanged" },
	{ "a\xff" "b", "a\xff" "b", "invalid bytes copied" },
};

static const struct {
	const char *in;
	size_t words;
} word_cases[] = {
	{ "", 0 }, { "rare earth", 2 }, { " rare,  earth - magnets ", 3 },
	{ "this year's", 2 }, { "Nd2O3 и РЗМ", 3 }, { "稀土永磁", 4 },
	{ "稀土 magnets", 3 }, { "Росатом-2030", 2 },
};

static void
test_fold_words(void)
{
	uint32_t *map = NULL;
	size_t i;
	char *f;

	for (i = 0; i < ELEMENTSOF(fold_cases); i++) {
		f = text_fold(fold_cases[i].in, strlen(fold_cases[i].in),
		    NULL);
		is_str(f, fold_cases[i].want, "fold: %s", fold_cases[i].what);
		free(f);
	}
	/* the map leads each folded byte back to its character */
	f = text_fold("aßЖ", strlen("aßЖ"), &map);
	is_str(f, "assж", "fold with a map");
	ok(map && map[0] == 0 && map[1] == 1 && map[2] == 1 && map[3] == 3 &&
	    map[4] == 3 && map[5] == 5, "map: a<-0, ss<-1, ж<-3, end<-5");
	free(f);
	free(map);
	for (i = 0; i < ELEMENTSOF(word_cases); i++)
		is_int(text_words(word_cases[i].in, strlen(word_cases[i].in)),
		    word_cases[i].words, "words in '%s'", word_cases[i].in);
}

static char *
call(enum fn fn, const char *s, size_t len)
{
	switch (fn) {
	case FN_HTML:
		return text_from_html(s, len);
	case FN_CLEAN:
		return text_clean(s, len);
	default:
		return text_normalise(s, len);
	}
}

static void
test_cases(void)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(cases); i++) {
		char *got = call(cases[i].fn, cases[i].in, strlen(cases[i].in));
		char *again;

		is_str(got, cases[i].want, "%s", cases[i].what);
		/* what comes out is stable under a second pass */
		if (got && cases[i].fn != FN_HTML) {
			again = call(cases[i].fn, got, strlen(got));
			is_str(again, got, "  and a second pass keeps it");
			free(again);
		}
		free(got);
	}
}

static void
test_nul_and_garbage(void)
{
	static const char nul[] = "a\0b";
	static const char garbage[] = "<<<>>><div<p </ <a href='\"><![CDATA[ "
	    "&#xFFFFFFFF; &#99999999999; <svg><svg><x y=z></" "\xc0\xaf";
	char *s;

	s = text_clean(nul, 3);
	is_str(s, "ab", "a NUL byte inside the length is dropped");
	free(s);
	s = text_from_html(nul, 3);
	is_str(s, "ab", "and in HTML too");
	free(s);
	s = text_from_html(garbage, strlen(garbage));
	ok(s && utf8_valid(s, strlen(s)), "garbage HTML gives valid UTF-8");
	free(s);
	s = text_from_html(NULL, 0);
	is_str(s, "", "NULL HTML is empty text");
	free(s);
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Each piece of markup repeated to fill a field: every one must convert
 * in linear time (a quadratic scan takes minutes here, not seconds).
 */
static void
test_hostile_repeats(struct buf *b)
{
	static const char *const pieces[] = {
		"<a href='", "<a x=\"", "<!--", "<![CDATA[", "&#", "&amp;",
		"<p>", "<pre>", "</pre>", "<", "<a ", "<!x", "<?", "</",
		"<script>", "<title>", "<head>", "<b>x</b> ", "ё ",
		"&nbsp;&amp;nbsp;", "<td>", "<br>", "\r\n", "<noscript>x",
	};
	struct timespec t0;
	double worst = 0, sec;
	const char *slowest = "";
	size_t i;
	bool all = true;

	for (i = 0; i < ELEMENTSOF(pieces); i++) {
		char *s;

		buf_reset(b);
		while (b->len < FIELD_MAX_BYTES - 32)
			(void)buf_adds(b, pieces[i]);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		s = text_from_html(b->data, b->len);
		if (!s || !utf8_valid(s, strlen(s)))
			all = false;
		free(s);
		s = text_normalise(b->data, b->len);
		if (!s)
			all = false;
		free(s);
		sec = elapsed(&t0);
		if (sec > worst) {
			worst = sec;
			slowest = pieces[i];
		}
	}
	ok(all, "%zu kinds of repeated markup convert to valid text",
	    ELEMENTSOF(pieces));
	ok(worst < tap_time_limit(10.0),
	    "each in linear time: slowest '%s' took %.2f s", slowest, worst);
}

static void
test_huge(void)
{
	struct timespec t0;
	struct buf b;
	char *s;
	double sec;

	buf_init(&b, 0);
	while (b.len < FIELD_MAX_BYTES)
		(void)buf_adds(&b, "<p>Росатом &amp;nbsp;и <b>rare earths</b>"
		    "&#8212;<script>x()</script> news</p>\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = text_from_html(b.data, b.len);
	sec = elapsed(&t0);
	ok(s && strncmp(s, "Росатом и rare earths— news\n\nРосатом", 40) == 0,
	    "1 MiB of HTML converts");
	ok(sec < tap_time_limit(10.0), "1 MiB of HTML in %.2f s", sec);
	free(s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = text_normalise(b.data, b.len);
	sec = elapsed(&t0);
	ok(s && sec < tap_time_limit(10.0),
	    "1 MiB of plain text normalised in %.2f s", sec);
	free(s);

	/* nesting deeper than any parser stack */
	buf_reset(&b);
	while (b.len < 600000)
		(void)buf_adds(&b, "<div><span>");
	(void)buf_adds(&b, "deep");
	s = text_from_html(b.data, b.len);
	ok(s != NULL && utf8_valid(s, strlen(s)),
	    "200,000 nested elements do not crash");
	free(s);

	/*
	 * Dropped elements never closed: each used to search the rest of
	 * the field for its end tag (100,000 x 1 MiB: a minute).
	 */
	buf_reset(&b);
	while (b.len < FIELD_MAX_BYTES - 32)
		(void)buf_adds(&b, "<object>x <svg a='1'>y ");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = text_from_html(b.data, b.len);
	sec = elapsed(&t0);
	ok(s && strncmp(s, "x y x y", 7) == 0,
	    "unclosed <object>/<svg> keep their text");
	ok(sec < tap_time_limit(10.0),
	    "1 MiB of unclosed dropped elements in %.2f s", sec);
	free(s);
	test_hostile_repeats(&b);
	buf_done(&b);
}

static void
test_entry(void)
{
	struct entry e;
	char **authors = NULL, **cats = NULL;

	memset(&e, 0, sizeof(e));
	e.title.s = xstrdup("<b>Rosatom</b>\r\nsigns "
	    "&amp;laquo;deal&amp;raquo;");
	e.title.type = ENTRY_TEXT_HTML;
	e.summary.s = xstrdup("Plain\r\n\r\n\r\nsummary &amp; more");
	e.summary.type = ENTRY_TEXT_PLAIN;
	e.content.s = xstrdup("<p>  </p><script>x</script>");
	e.content.type = ENTRY_TEXT_HTML;
	(void)strv_push(&authors, xstrdup("<a href=\"x\">Ivan</a> Petrov"));
	(void)strv_push(&authors, xstrdup("  \u00a0 "));
	(void)strv_push(&authors, xstrdup("Jane &amp; Co\nLtd"));
	e.authors = authors;
	(void)strv_push(&cats, xstrdup(" "));
	e.categories = cats;
	is_int(text_entry(&e), 0, "text_entry succeeds");
	is_str(e.title.s, "Rosatom signs «deal»", "HTML title is one line");
	is_int(e.title.type, ENTRY_TEXT_PLAIN, "and plain now");
	is_str(e.summary.s, "Plain\n\nsummary & more", "plain summary cleaned");
	ok(e.content.s == NULL, "content with no text is absent");
	ok(e.authors && strv_length(e.authors) == 2, "empty author removed");
	if (e.authors && strv_length(e.authors) == 2) {
		is_str(e.authors[0], "Ivan Petrov", "author HTML stripped");
		is_str(e.authors[1], "Jane & Co Ltd", "author on one line");
	}
	ok(e.categories == NULL, "no categories left");
	entry_done(&e);

	memset(&e, 0, sizeof(e));
	e.title.s = xstrdup("Line one\nLine two\r\n\u2028three");
	is_int(text_entry(&e), 0, "text_entry on a plain title");
	is_str(e.title.s, "Line one Line two three",
	    "CR/LF in a title cannot split it");
	entry_done(&e);
}

/*
 * The loops read sixteen or eight bytes at a time where they can, so
 * each kind of text is also tried at every offset: after k letters and
 * a paragraph break the result must be those letters, the break and the
 * text's own clean form, whatever k.
 */
static void
test_offsets(void)
{
	static const char *const texts[] = {
		"«Норникель» и АЛРОСА ожидают роста спроса — в Китае.",
		"Ёлки  и  ёжики\tпод\t\tёлкой,  ещё   раз",
		"rare  earth   elements\t\tand\n\n\n\nmagnets  ",
		"  leading and trailing  \n  spaces  \n",
		"soft\xc2\xadhy\xc2\xadphen, no\xc2\xa0" "break, \xc2\x85 next",
		"Ελληνικά ά (U+03AC) and e\xcc\x81 (e + U+0301), ﬁ ligature",
		"ctl\x01\x02\x7f and C1 \xc2\x80\xc2\x9f, U+061C \xd8\x9c, "
		    "zero\xe2\x80\x8bwidth",
		"稀土 出口管制 — 商务部 «公告» 2023年第39号",
		"bad \xff\xfe bytes \xd0 cut \xe2\x80 pairs \xc0\xaf",
		"x",
	};
	char *(*const fns[])(const char *, size_t) = {
		text_clean, text_normalise, text_from_html,
	};
	static const char *const fn_names[] = { "clean", "normalise", "html" };
	static const char xs[] = "xxxxxxxxxxxxxxxxx";
	unsigned bad[3] = { 0 }, f, t, k;

	for (f = 0; f < 3; f++)
		for (t = 0; t < ELEMENTSOF(texts); t++) {
			char *alone = fns[f](texts[t], strlen(texts[t]));

			for (k = 0; k < 17; k++) {
				char *in = xasprintf("%.*s%s%s", (int)k, xs,
				    f == 2 ? "<p>" : "\n\n",
				    texts[t]);
				char *want = *alone ? xasprintf("%.*s%s%s",
				    (int)k, xs, k ? "\n\n" : "", alone) :
				    xasprintf("%.*s", (int)k, xs);
				char *got = fns[f](in, strlen(in));

				if (strcmp(got, want) != 0 && bad[f]++ == 0)
					printf("#   %s(\"%s\")\n#   got:  '%s'\n"
					    "#   want: '%s'\n", fn_names[f], in,
					    got, want);
				free(in);
				free(want);
				free(got);
			}
			free(alone);
		}
	for (f = 0; f < 3; f++)
		is_int(bad[f], 0, "text_%s: the same text at every offset "
		    "cleans the same", fn_names[f]);
}

/* Pieces of display text and of things it should not hold, for the
 * quick paths below to meet in every order. */
static const char *const pieces[] = {
	"a", "Z", "word", "abcdefgh", "Ivan Petrov ", "rare EARTHS ", " ",
	"  ", "\n", "\n\n", "\n\n\n", "\t", " \n", "\r\n", "\r", "ё", "Ё",
	"Ёлка", "ёжик ", "«", "»", "“", "”", "„", "‘", "’", "—", "–", "−",
	"‐", "&", "&amp;", "&lt;", "ß", "Straße", "İ", "İzmir", "ς", "Σ",
	"ﬁ", "²", "é", "e\xcc\x81", "\xc3", "\xd0", "\x80", "\xe2\x80", "Ж",
	"Росатом ", "ЖЁЛТЫЙ", "中", "稀土 ", "\xc2\xa0", "\xe2\x80\x8b",
	"\xc2\xad", "\x01", "\x7f", "\xc2\x85", "\xef\xbf\xbd", "Ǆ", "ΐ",
	"ẞ", "'", "\"", "-", ".", "été", "ÆØÅ æøå ", "\xd1\x91\xd1\x91",
	"Ωμέγα", "ǰ", "K", "ſ", "abcdefg ", "abc ", "строительство ",
	"ЁЖИК в ТУМАНЕ ", "ѐѝџ ЀЍЏ ", "Ѡѡ Ѣѣ ", "дом", "Дом",
};

/* A string of up to max pieces, from the generator state *r. */
static void
pieces_make(struct buf *b, uint32_t *r, size_t max)
{
	size_t n, i;

	buf_reset(b);
	*r = *r * 1103515245u + 12345u;
	n = (*r >> 16) % (max + 1);
	for (i = 0; i < n; i++) {
		*r = *r * 1103515245u + 12345u;
		(void)buf_adds(b, pieces[(*r >> 16) % ELEMENTSOF(pieces)]);
	}
}

/*
 * text_normalise() takes display text that needs no clean-up pass (most
 * of it) straight to its match form, and only the rest through the whole
 * clean-up: a blank in front makes any text take the long way, which
 * must come to the same.
 */
static void
test_normal_quick(void)
{
	static const struct {
		const char *in;
		int r;
		const char *want;
	} quick_cases[] = {
		{ "Росатом and rare earths 稀土\nline two\n\nthree. É", 0,
		    NULL },
		{ "«Ёлка» — “it’s” – ‘x’", 1, "\"Елка\" - \"it's\" - 'x'" },
		{ "a  b", 1, "a b" },
		{ "x &amp; y", 1, "x & y" },
		{ "ﬁne", 1, "fine" },
		{ "", 0, NULL },
		/* blanks and controls where eight bytes are taken at once */
		{ "abcdefg  xyzxyzxyz", 1, "abcdefg xyzxyzxyz" },
		{ "abcdefg \nxyzxyzxyz", 1, "abcdefg\nxyzxyzxyz" },
		{ "x\n abcdefghijkl", 1, "x\nabcdefghijkl" },
		{ " abcdefghijkl", 1, "abcdefghijkl" },
		{ "abcd\tefghijkl", 1, "abcd efghijkl" },
		{ "abcdefghij\x7fklmnopq", 1, "abcdefghijklmnopq" },
		{ "Росатом\xc2\xa0ёлка ещё", 1, "Росатом елка еще" },
		{ "Росатом Ёлки Палки", 1, "Росатом Елки Палки" },
		{ "Крупнейший Росатом", 0, NULL },
	};
	struct buf b, out, sp;
	uint32_t r = 42;
	size_t i, bad = 0, quick = 0;

	buf_init(&b, 0);
	buf_init(&out, 0);
	buf_init(&sp, 0);
	for (i = 0; i < ELEMENTSOF(quick_cases); i++) {
		int got;

		buf_reset(&out);
		(void)buf_adds(&out, "old");
		got = text_normalise_buf(quick_cases[i].in, strlen(quick_cases[i].in),
		    &out);
		is_int(got, quick_cases[i].r, "normalise_buf: '%s'", quick_cases[i].in);
		is_str(out.data, quick_cases[i].want ? quick_cases[i].want : "old",
		    "  gives '%s'", quick_cases[i].want ? quick_cases[i].want :
		    "(out untouched)");
	}
	for (i = 0; i < 20000; i++) {
		char *fast, *slow;
		int q;

		pieces_make(&b, &r, 12);
		buf_reset(&sp);
		(void)buf_addc(&sp, ' ');
		(void)buf_add(&sp, b.data ? b.data : "", b.len);
		fast = text_normalise(b.data ? b.data : "", b.len);
		slow = text_normalise(sp.data, sp.len);
		buf_reset(&out);
		q = text_normalise_buf(b.data ? b.data : "", b.len, &out);
		quick += q == 0;
		if (!fast || !slow || strcmp(fast, slow) != 0 || q < 0 ||
		    strcmp(q ? out.data : (b.data ? b.data : ""), fast) != 0) {
			if (bad++ < 5)
				printf("# in:   '%s'\n# fast: '%s'\n# slow: '%s'\n",
				    b.data ? b.data : "", fast ? fast : "(null)",
				    slow ? slow : "(null)");
		}
		free(fast);
		free(slow);
	}
	ok(quick > 1000, "%zu of 20000 texts were their own match form",
	    quick);
	is_int(bad, 0, "the quick path normalises as the whole clean-up");
	buf_done(&b);
	buf_done(&out);
	buf_done(&sp);
}

/*
 * text_fold_buf() leaves out the map while every character folds to one
 * as long as it is: then the fold's characters are where text_fold()'s
 * map says; once one does not (ß, İ, ΐ, ẞ), its map is text_fold()'s.
 */
/*
 * Is got (with map, or none) the fold f that text_fold() gave, with its
 * map full?  Without a map every character must sit at its own offset.
 */
static bool
fold_agrees(const struct buf *got, const uint32_t *map, const char *f,
    const uint32_t *full)
{
	size_t j;

	if (strcmp(got->data ? got->data : "", f) != 0 ||
	    got->len != strlen(f))
		return false;
	if (map)
		return memcmp(map, full, (got->len + 1) * sizeof(*map)) == 0;
	for (j = 0; j <= got->len; j++)
		if ((j == got->len || ((unsigned char)f[j] & 0xc0) != 0x80) &&
		    full[j] != j)
			return false;
	return true;
}

static void
test_fold_buf(void)
{
	struct buf b, out;
	uint32_t r = 7, *map = NULL, *full = NULL;
	size_t i, bad = 0, none = 0, some = 0;
	char *f;

	buf_init(&b, 0);
	buf_init(&out, 0);
	text_fold_buf("Росатом ΣΟΦΟΣ σοφός Rare", strlen("Росатом ΣΟΦΟΣ "
	    "σοφός Rare"), &out, &map);
	is_str(out.data, "росатом σοφοσ σοφόσ rare", "fold into a buffer");
	ok(map == NULL, "  with no map: each character as long as its fold");
	free(map);
	text_fold_buf("Straße", strlen("Straße"), &out, &map);
	is_str(out.data, "strasse", "ß to ss");
	ok(map && map[3] == 3 && map[4] == 4 && map[5] == 4 && map[6] == 6 &&
	    map[7] == 7, "  as long, one character more: a map, ss<-4");
	free(map);
	text_fold_buf("ab İx", strlen("ab İx"), &out, &map);
	ok(map && map[2] == 2 && map[3] == 3 && map[4] == 3 && map[5] == 3 &&
	    map[6] == 5 && map[7] == 6, "İ: a longer fold, a map, i̇<-3");
	free(map);
	for (i = 0; i < 20000; i++) {
		pieces_make(&b, &r, 10);
		text_fold_buf(b.data ? b.data : "", b.len, &out, &map);
		f = text_fold(b.data ? b.data : "", b.len, &full);
		if (map)
			some++;
		else
			none++;
		if (!fold_agrees(&out, map, f, full))
			bad++;
		free(f);
		free(full);
		free(map);
		map = NULL;
	}
	ok(none > 1000 && some > 1000, "random text: %zu folds without a "
	    "map, %zu with", none, some);
	is_int(bad, 0, "each the same as text_fold() and its map");
	buf_done(&b);
	buf_done(&out);
}

/*
 * text_match_fold(): the match form and its fold, in one pass for most
 * display text; the same as text_normalise() then text_fold() with its
 * map (none while the fold keeps each character's offset).
 */
static void
test_match_fold(void)
{
	struct buf b, norm, fold;
	uint32_t r = 11, *map = NULL, *full = NULL;
	size_t i, len, bad = 0, none = 0;
	const char *t;
	char *want, *f;

	buf_init(&b, 0);
	buf_init(&norm, 0);
	buf_init(&fold, 0);
	ok(text_match_fold("Росатом «ЁЛКИ»", strlen("Росатом «ЁЛКИ»"), &norm,
	    &fold, &t, &len, &map) == 0 && strcmp(t, "Росатом \"ЕЛКИ\"") == 0 &&
	    strcmp(fold.data, "росатом \"елки\"") == 0 && !map,
	    "match form and fold of text with quotes and Ё");
	for (i = 0; i < 20000; i++) {
		pieces_make(&b, &r, 12);
		if (text_match_fold(b.data ? b.data : "", b.len, &norm, &fold,
		    &t, &len, &map) < 0) {
			bad++;
			continue;
		}
		want = text_normalise(b.data ? b.data : "", b.len);
		f = text_fold(want, strlen(want), &full);
		if (strlen(t) != len || strcmp(t, want) != 0 ||
		    !fold_agrees(&fold, map, f, full))
			bad++;
		none += map == NULL;
		if (bad == 1 && i < 20000) {
			printf("# in: '%s'\n", b.data ? b.data : "");
			i = 20000;
		}
		free(want);
		free(f);
		free(full);
		free(map);
		map = NULL;
	}
	ok(none > 1000, "%zu of 20000 without a map", none);
	is_int(bad, 0, "match form, fold and map as the two passes give");
	buf_done(&b);
	buf_done(&norm);
	buf_done(&fold);
}

int
main(void)
{
	test_cases();
	test_fold_words();
	test_normal_quick();
	test_fold_buf();
	test_match_fold();
	test_offsets();
	test_nul_and_garbage();
	test_huge();
	test_entry();
	xmlCleanupParser();
	return tap_done();
}
