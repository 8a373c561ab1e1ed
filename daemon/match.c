/*
 * match.c: watchlists (INI) compiled to one PCRE2 pattern per term, alert
 * queries parsed to small trees, entries matched to hits with spans and a
 * snippet; the literal prefilter (prefilter.c) picks the terms to run.
 * Pure: no I/O and no logging; touches memory only.
 *
 * Choices users see (for reewatch.watch(5)):
 * - `*` ends a word and truncates it: "rare earth*" matches "rare earths"
 *   and also "rare earthenware"; without `*` a phrase ends at a word edge.
 * - Phrases match the match form of the text (text_normalise(): NFKC, ё
 *   as е, ASCII quotes and dashes), caseless unless `case = sensitive`.
 * - Query operators are upper case only (AND, OR, NOT, NEAR/n); "and" is
 *   a name.  NEAR/n: at most n words (text_words()) between the two
 *   matches, either order, same field; its sides are terms, ORs, NEARs.
 * - Every phrase word is a prefilter literal; a phrase runs anchored where
 *   its first word occurs once all its words were seen (see HACKING.md).
 *   A term's regexes each run alone to find where they match; the term
 *   runs anchored there too (the whole pattern decides which part wins).
 * - The snippet comes from the body when one of the hit's spans is there
 *   (the title is shown beside it anyway), else from the title, and is cut
 *   from the match form of the text.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ini.h"
#include "match.h"
#include "prefilter.h"
#include "text.h"

#define MATCH_LIMIT		100000	/* pcre2_set_match_limit() */
#define MATCH_DEPTH_LIMIT	1000	/* backtracking frames */
#define MATCH_HEAP_LIMIT_KIB	20000
#define MATCH_JIT_STACK_MAX	((size_t)512 * 1024)
#define MATCH_MAX_SPANS		256	/* kept per term and field */
#define TERM_FREE_MAX		16	/* free parts run alone, at most */
#define QUERY_MAX_DEPTH		64	/* nested parentheses and NOTs */
#define QUERY_MAX_NODES		1000
#define MATCH_KEEP_BYTES	((size_t)256 * 1024)	/* a buffer kept */

/* Between two words of a phrase: blanks and dashes, whatever kind. */
#define PHRASE_GAP	"[\\s\\-\\x{00A0}\\x{2010}-\\x{2015}\\x{2212}]"
#define WORD_CHAR	"[\\p{L}\\p{N}\\p{M}]"
/*
 * Before a literal in a term's lits: every match of that phrase or regex
 * alternative starts a word there (the phrase's word edge, or \b), so a
 * place where a letter comes right before it cannot start one.  No folded
 * text holds this byte (the clean-up drops controls).
 */
#define LIT_EDGE	'\x01'

#define QUERY_NEAR_MAX		1000	/* NEAR/n: the largest n */

enum query_op {
	QUERY_TERM,
	QUERY_NOT,
	QUERY_AND,
	QUERY_OR,
	QUERY_NEAR,
	QUERY_OP_MAX
};

/* A parsed query.  NEAR works on the spans of its sides, which are terms,
 * OR groups of terms or NEARs (never NOT or AND). */
struct query {
	enum query_op op;
	unsigned term;			/* QUERY_TERM: index into terms */
	unsigned near;			/* QUERY_NEAR: at most n words apart */
	struct query *left, *right;	/* QUERY_NOT uses left only */
};

enum alert_in {
	ALERT_IN_ANY,
	ALERT_IN_TITLE,
	ALERT_IN_BODY,
	ALERT_IN_MAX
};

/* Where one part (phrase or regex) of a term starts in its pattern. */
struct term_part {
	size_t offset;
	unsigned line;
	bool free;			/* no literal: may start anywhere */
};

struct term {
	char *name;
	unsigned line;
	bool case_sensitive;
	unsigned case_line;
	struct buf pattern;		/* while reading; freed once compiled */
	struct term_part *parts;
	size_t n_parts;
	unsigned captures;		/* capturing groups of its regexes */
	bool bad;			/* a part was rejected (reported) */
	char **lits;			/* per phrase: its words, folded, '\n'
					 * between; all must occur */
	bool always;			/* a part without literal: no prefilter */
	pcre2_code *code;
	pcre2_code *code_at;		/* anchored, for the prefilter's places */
	pcre2_code **code_free;		/* with always: its free parts alone */
	size_t n_free;
	bool jit;			/* JIT wanted and working */
	bool code_jit;			/* code JIT compiled */
	char *key;			/* its pattern, for twins */
	uint32_t twin;			/* its number in a work's twins[] or
					 * TWIN_NONE */
};

struct alert {
	char *name;
	unsigned line;
	char *query_src;
	unsigned query_line;
	struct query *query;
	unsigned *pos_terms;		/* named outside NOT, query order */
	size_t n_pos_terms;
	enum alert_in in;
	int score;
	bool notify;
};

struct watchlist {
	char *name;
	char *title;
	struct term *terms;
	size_t n_terms;
	struct alert *alerts;
	size_t n_alerts;
	/*
	 * The prefilter: every word of every phrase is a literal; a phrase
	 * (group) is possible when all its words occur, and can only start
	 * where its first word does.  The watchset finds the literals of
	 * all its watchlists in one pass.
	 */
	char **lit_words;		/* by literal: its folded bytes */
	uint32_t *lg_start;		/* by literal: its run in lg[] */
	uint32_t *lg;			/* group << 1 | 1 if its first word;
					 * first words first in each run */
	size_t n_lits;
	uint32_t *group_term;		/* by group: its term */
	uint32_t *group_need;		/* by group: its distinct words */
	bool *group_edge;		/* by group: it starts a word */
	size_t n_groups;
	uint32_t *always;		/* terms the prefilter cannot rule out */
	size_t n_always;
};

/*
 * Terms that the prefilter cannot rule out, which run on every entry, are
 * often the same in several lists of a set (one for the subject in each):
 * the first to run keeps what it found for the others.
 */
#define TWIN_NONE	UINT32_MAX

struct twin {
	bool done;			/* this entry */
	struct hit_span *spans;
	size_t n_spans;
	size_t n_field[HIT_FIELD_MAX];
};

/* One literal of one watchlist, under a literal of the watchset. */
struct list_lit {
	uint32_t list;
	uint32_t lit;
};

/*
 * What the set's lists share, built by watchset_prepare() or when the
 * first entry after an add is matched (so that adding many lists stays
 * linear); only read while matching.
 */
struct set_index {
	bool stale;			/* a list was added since */
	struct prefilter *pf;		/* the literals of all lists */
	uint32_t *ll_start;		/* by its literal: its run in ll[] */
	struct list_lit *ll;
	size_t n_twins;			/* terms' twin numbers count up to */
	struct match_work *own;		/* match_entry()'s work, or NULL */
};

struct watchset {
	struct watchlist **lists;
	size_t n;
	struct set_index *ix;
	bool naive;			/* every term on every entry (bench) */
};

struct scratch;

/*
 * Everything match_entry() writes while it matches one entry: one per
 * thread, made for one state of a set (its lists and twins).
 */
struct match_work {
	struct scratch *x;		/* by list */
	size_t n_lists;
	struct twin *twins;		/* by twin number */
	size_t n_twins;
	/* the entry's text, kept from one entry to the next (up to
	 * MATCH_KEEP_BYTES each) */
	struct buf join;		/* summary and content */
	struct buf norm[HIT_FIELD_MAX];	/* match forms unlike the text */
	struct buf fold[HIT_FIELD_MAX];
	pcre2_match_data *md;
	pcre2_match_context *mctx;	/* the limits, the JIT stack */
	pcre2_jit_stack *jit_stack;	/* NULL without JIT */
};

/* What one term found in one entry. */
struct term_found {
	struct hit_span *spans;		/* .term unset here */
	size_t n_spans;
	size_t n_field[HIT_FIELD_MAX];
};

static bool
in_field(enum alert_in in, const struct term_found *f)
{
	if (!f)
		return false;
	switch (in) {
	case ALERT_IN_TITLE:
		return f->n_field[HIT_FIELD_TITLE] > 0;
	case ALERT_IN_BODY:
		return f->n_field[HIT_FIELD_BODY] > 0;
	default:
		return f->n_spans > 0;
	}
}

static bool
span_in(enum alert_in in, const struct hit_span *sp)
{
	return in == ALERT_IN_ANY ||
	    (in == ALERT_IN_TITLE && sp->field == HIT_FIELD_TITLE) ||
	    (in == ALERT_IN_BODY && sp->field == HIT_FIELD_BODY);
}

/* ---- reading a watchlist ---- */

enum section {
	SECTION_NONE,
	SECTION_WATCHLIST,
	SECTION_TERM,
	SECTION_ALERT,
	SECTION_BAD,		/* reported already; its keys are skipped */
	SECTION_MAX
};

struct reader {
	const char *data;	/* the watchlist's text, for columns */
	size_t len;
	const char *file;
	struct diag *d;
	unsigned errors;
	struct watchlist *w;
	enum section section;
	unsigned watchlist_line;
	unsigned name_line;
	pcre2_code *re_word;	/* one letter or digit */
	pcre2_code *re_nospace;	/* one character of a script without spaces */
	pcre2_match_data *md;
};

PRINTF_LIKE(3, 4) static void
problem(struct reader *rd, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	diag_add(rd->d, rd->file, line, "%s", msg ? msg : "out of memory");
	free(msg);
	rd->errors++;
}

static size_t
utf8_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

static size_t
utf8_char_len(const char *s)
{
	size_t n = 1;

	if (!*s)
		return 0;
	while (s[n] && ((unsigned char)s[n] & 0xc0) == 0x80)
		n++;
	return n;
}

/* Does the one character at s (n bytes) match the anchored pattern re? */
static bool
char_is(struct reader *rd, pcre2_code *re, const char *s, size_t n)
{
	return pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, rd->md, NULL) >= 0;
}

static void
pcre2_message(int code, char *msg, size_t n)
{
	if (pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, n) < 0)
		snprintf(msg, n, "PCRE2 error %d", code);
}

static const uint32_t compile_options = PCRE2_UTF | PCRE2_UCP |
    PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;

/* Append one escaped phrase word of n bytes. */
static void
word_add(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80 && !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			(void)buf_addc(b, '\\');
		(void)buf_addc(b, (char)c);
	}
}

/*
 * A `match =` phrase to a pattern: words (split at blanks and dashes)
 * quoted, gaps of blanks/dashes between them, `*` at a word's end for
 * truncation, word edges where the script has them.
 */
static int
phrase_compile(struct reader *rd, const char *phrase, unsigned line,
    struct buf *out, char **ret_lit)
{
	_cleanup_free_ char *norm = text_normalise(phrase, strlen(phrase));
	struct buf lit;
	const char *p, *prev_last = NULL;
	size_t prev_last_n = 0;
	bool first = true, trunc = false, edge = false;

	if (!norm)
		return -ENOMEM;
	p = norm + strspn(norm, " -\n");
	if (!*p) {
		problem(rd, line, "empty phrase");
		return -EINVAL;
	}
	buf_init(&lit, 0);
	while (*p) {
		size_t n = strcspn(p, " -\n"), wn = n, cn;
		const char *star = memchr(p, '*', n);

		trunc = false;
		if (star) {
			while (wn > 0 && p[wn - 1] == '*')
				wn--;
			if (wn == 0 || memchr(p, '*', wn)) {
				problem(rd, line, "phrase '%s': '*' may only "
				    "end a word", phrase);
				buf_done(&lit);
				return -EINVAL;
			}
			trunc = true;
		}
		cn = utf8_char_len(p);
		if (first) {
			/*
			 * The first character, then the word edge before it:
			 * the same match, but a try at the wrong place fails
			 * on one character before the look back (a Unicode
			 * property lookup), which counts without the JIT.
			 */
			if (char_is(rd, rd->re_word, p, cn) &&
			    !char_is(rd, rd->re_nospace, p, cn)) {
				(void)buf_adds(out, "(?=");
				word_add(out, p, cn);
				(void)buf_adds(out, ")(?<!" WORD_CHAR ")");
				edge = true;
			}
		} else {
			bool tight = char_is(rd, rd->re_nospace, prev_last,
			    prev_last_n) || char_is(rd, rd->re_nospace, p, cn);

			(void)buf_adds(out, tight ? PHRASE_GAP "*" :
			    PHRASE_GAP "+");
		}
		word_add(out, p, wn);
		{
			/* every word is a literal the text must have */
			_cleanup_free_ char *f = text_fold(p, wn, NULL);

			if (lit.len > 0)
				(void)buf_addc(&lit, '\n');
			(void)buf_adds(&lit, f);
		}
		if (trunc)
			(void)buf_adds(out, WORD_CHAR "*");
		/* the last character of this word */
		prev_last = p + wn - 1;
		while (prev_last > p &&
		    ((unsigned char)*prev_last & 0xc0) == 0x80)
			prev_last--;
		prev_last_n = (size_t)(p + wn - prev_last);
		first = false;
		p += n;
		p += strspn(p, " -\n");
	}
	if (!trunc && char_is(rd, rd->re_word, prev_last, prev_last_n) &&
	    !char_is(rd, rd->re_nospace, prev_last, prev_last_n))
		(void)buf_adds(out, "(?!" WORD_CHAR ")");
	*ret_lit = edge ? xasprintf("%c%s", LIT_EDGE, lit.data ? lit.data :
	    "") : buf_steal(&lit);
	if (edge)
		buf_done(&lit);
	return 0;
}

/* Check a `regex =` alone, for a message that names its line. */
static int
regex_check(struct reader *rd, struct term *t, const char *re,
    unsigned line)
{
	pcre2_code *code;
	uint32_t minlen = 0, captures = 0, backref = 0;
	PCRE2_SIZE off;
	int err;

	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
	    compile_options, &err, &off, NULL);
	if (!code) {
		char msg[256];

		pcre2_message(err, msg, sizeof(msg));
		problem(rd, line, "term '%s': bad regex at column %zu: %s",
		    t->name, utf8_chars(re, off) + 1, msg);
		return -EINVAL;
	}
	(void)pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &minlen);
	(void)pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &captures);
	(void)pcre2_pattern_info(code, PCRE2_INFO_BACKREFMAX, &backref);
	pcre2_code_free(code);
	if (minlen == 0) {
		problem(rd, line, "term '%s': regex can match empty text",
		    t->name);
		return -EINVAL;
	}
	if (backref > 0 && t->captures > 0) {
		problem(rd, line, "term '%s': numbered back-references only "
		    "work in a term's first regex with groups; use named "
		    "groups (?<n>...) and \\k<n>", t->name);
		return -EINVAL;
	}
	t->captures += captures;
	return 0;
}

/*
 * The literals a `regex =` must start with, for the prefilter.  Read from
 * the pattern's text over a small, safe subset of the syntax: each top-
 * level alternative, after what is zero-width (\b, ^, look-ahead and
 * look-behind groups: the literal still starts the match), starts with
 * plain or escaped punctuation characters, or with a non-capturing group
 * ((?:, (?i:, (?-i:) whose alternatives do.  A character under ?, * or {
 * ends the literal before it; + ends it after.  Anything else (classes,
 * \w, look-around after the start, options, verbs, \Q, a literal under
 * REGEX_LIT_MIN bytes) gives no literal for that alternative, and then
 * none for the regex: it keeps running on every text.  Since every match starts with
 * one of the literals, the term may run anchored where one occurs, as
 * it does at a phrase's first word.
 */
#define REGEX_LIT_MIN	2	/* bytes: shorter ones select nothing */

/* Where the class opening at re[i] == '[' ends (its ']', or e). */
static size_t
re_class_end(const char *re, size_t i, size_t e)
{
	/* ']' right after '[' or '[^' is a member */
	i++;
	if (i < e && re[i] == '^')
		i++;
	if (i < e && re[i] == ']')
		i++;
	while (i < e && re[i] != ']') {
		if (re[i] == '\\')
			i++;
		i++;
	}
	return i;
}

/* Where the group opening at re[i] closes (its ')'), or 0. */
static size_t
re_group_close(const char *re, size_t i, size_t e)
{
	unsigned depth = 0;

	for (; i < e; i++) {
		if (re[i] == '\\') {
			i++;
			continue;
		}
		if (re[i] == '[') {
			i = re_class_end(re, i, e);
			continue;
		}
		if (re[i] == '(')
			depth++;
		else if (re[i] == ')' && --depth == 0)
			return i;
	}
	return 0;
}

static bool re_prefixes(const char *re, size_t a, size_t e, bool edge,
    char ***lits);

/* ASCII punctuation: escaped, it stands for itself. */
static bool
re_punct(char c)
{
	return c > ' ' && c < 0x7f && !((c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
}

/*
 * Is the non-ASCII character at s one a literal may hold (its length in
 * *ret_n)?  Letters of scripts whose case folding PCRE2 and text_fold()
 * agree on, and that normalisation leaves alone in the text: Latin
 * (but the Turkish dotted and dotless i), Greek, Cyrillic, kana, CJK.
 */
static bool
re_lit_char(const char *s, size_t n, size_t *ret_n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;

	if (n >= 2 && p[0] >= 0xc2 && p[0] <= 0xdf && (p[1] & 0xc0) == 0x80) {
		c = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		*ret_n = 2;
		return ((c >= 0xc0 && c <= 0x24f && c != 0xd7 && c != 0xf7 &&
		    c != 0x130 && c != 0x131) || (c >= 0x370 && c <= 0x4ff));
	}
	if (n >= 3 && (p[0] & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 &&
	    (p[2] & 0xc0) == 0x80) {
		c = (uint32_t)(p[0] & 0x0f) << 12 |
		    (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		*ret_n = 3;
		return (c >= 0x3040 && c <= 0x30ff) ||
		    (c >= 0x4e00 && c <= 0x9fff);
	}
	return false;
}

/*
 * The character at p (n bytes, n > 0) when it is certainly a letter or a
 * digit to PCRE2 (with PCRE2_UCP) and to WORD_CHAR alike, else -1: ASCII
 * letters and digits, the letters of Latin-1, Latin Extended-A, Greek and
 * Cyrillic, which no Unicode version disagrees on.  Two-byte characters
 * only.
 */
static int32_t
word_cp(const unsigned char *p, size_t n)
{
	uint32_t c = p[0];

	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') ? (int32_t)c : -1;
	if (n < 2 || c < 0xc2 || c > 0xdf || (p[1] & 0xc0) != 0x80)
		return -1;
	c = (c & 0x1f) << 6 | (p[1] & 0x3f);
	return (c >= 0xc0 && c <= 0x17f && c != 0xd7 && c != 0xf7) ||
	    (c >= 0x391 && c <= 0x3c9 && c != 0x3a2) ||
	    (c >= 0x400 && c <= 0x45f) ? (int32_t)c : -1;
}

/* Does s (n bytes) open a look-ahead or look-behind group? */
static bool
re_lookaround(const char *s, size_t n)
{
	return (n >= 3 && (strncmp(s, "(?=", 3) == 0 ||
	    strncmp(s, "(?!", 3) == 0)) || (n >= 4 &&
	    (strncmp(s, "(?<=", 4) == 0 || strncmp(s, "(?<!", 4) == 0));
}

/*
 * The literal that alternative re[i..e) starts with, pushed folded; after
 * LIT_EDGE when \b comes before it (here or, edge, around its group) and
 * its first character is a letter or digit: a match there starts at a
 * word's start.
 */
static bool
re_alt_prefix(const char *re, size_t i, size_t e, bool edge, char ***lits)
{
	static const char *const groups[] = { "(?:", "(?i:", "(?-i:" };
	struct buf lit;
	char *norm, *fold;
	int32_t c0;
	size_t k;

	/* zero-width first: ^, \b, look-ahead and look-behind groups */
	for (;;) {
		size_t close;

		if (i < e && re[i] == '^')
			i++;
		else if (i + 1 < e && re[i] == '\\' && re[i + 1] == 'b') {
			i += 2;
			edge = true;
		} else if (re_lookaround(re + i, e - i)) {
			close = re_group_close(re, i, e);
			if (close == 0 || (close + 1 < e &&
			    strchr("?*+{", re[close + 1])))
				return false;
			i = close + 1;
		} else
			break;
	}
	if (i < e && re[i] == '(') {
		size_t close = re_group_close(re, i, e);

		if (close == 0 || (close + 1 < e &&
		    strchr("?*{", re[close + 1])))
			return false;	/* unclosed, or optional */
		for (k = 0; k < ELEMENTSOF(groups); k++)
			if (strncmp(re + i, groups[k], strlen(groups[k])) == 0)
				return re_prefixes(re, i + strlen(groups[k]),
				    close, edge, lits);
		return false;
	}
	buf_init(&lit, 0);
	while (i < e) {
		unsigned char c = (unsigned char)re[i];
		size_t at = i, n;

		if (c == '\\') {
			/* escaped punctuation is itself; \w, \x.., \1 are not */
			if (i + 1 >= e || !re_punct(re[i + 1]))
				break;
			at = i + 1;
			n = 1;
		} else if (c < 0x80) {
			/* metacharacters, blanks and controls end it */
			if (strchr("^$.|?*+()[]{}", c) || c <= ' ' || c == 0x7f)
				break;
			n = 1;
		} else if (!re_lit_char(re + i, e - i, &n))
			break;
		if (at + n > e)
			break;
		i = at + n;
		if (i < e && strchr("?*{", re[i]))
			break;		/* this character may be missing */
		(void)buf_add(&lit, re + at, n);
		if (i < e && re[i] == '+')
			break;
	}
	if (lit.len < REGEX_LIT_MIN) {
		buf_done(&lit);
		return false;
	}
	/*
	 * \b before a letter or digit: a word start, so no letter or digit
	 * comes before it.  Only for characters word_cp() is sure of, and
	 * not iota, which matches U+0345 (a combining mark, no \w) without
	 * case: \bιου matches in "K\u0345ου".
	 */
	c0 = word_cp((const unsigned char *)lit.data, lit.len);
	edge = edge && c0 >= 0 && c0 != 0x399 && c0 != 0x3b9;
	norm = text_normalise(lit.data, lit.len);
	buf_done(&lit);
	if (!norm)
		return false;
	fold = text_fold(norm, strlen(norm), NULL);
	free(norm);
	if (strlen(fold) < REGEX_LIT_MIN || strpbrk(fold, " \n")) {
		free(fold);
		return false;
	}
	if (edge) {
		char *marked = xasprintf("%c%s", LIT_EDGE, fold);

		free(fold);
		fold = marked;
	}
	(void)strv_push(lits, fold);
	return true;
}

/* The literals of each top-level alternative of re[a..e) (edge: a \b
 * comes before the group they are in). */
static bool
re_prefixes(const char *re, size_t a, size_t e, bool edge, char ***lits)
{
	size_t i = a, start = a;
	unsigned depth = 0;

	for (; i <= e; i++) {
		if (i < e && re[i] == '\\') {
			if (++i >= e)
				return false;	/* a trailing '\' */
			continue;
		}
		if (i < e && re[i] == '[') {
			i = re_class_end(re, i, e);
			if (i >= e)
				return false;	/* never closed */
			continue;
		}
		if (i < e && re[i] == '(')
			depth++;
		else if (i < e && re[i] == ')' && depth > 0)
			depth--;
		else if (i == e || (re[i] == '|' && depth == 0)) {
			if (!re_alt_prefix(re, start, i, edge, lits))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* The folded literals one of which every match of re starts with, or
 * NULL when the pattern is outside the subset re_alt_prefix() reads.
 * Those that start a word wherever they match come after LIT_EDGE. */
static char **
regex_literals(const char *re)
{
	char **lits = NULL;
	const char *p;

	if (strstr(re, "\\Q") || strstr(re, "(*") || strstr(re, "(?#"))
		return NULL;
	/* inline options: extended mode would change what a space means */
	for (p = strstr(re, "(?"); p; p = strstr(p + 2, "(?")) {
		size_t n = strspn(p + 2, "imnsxJU-^");

		if (memchr(p + 2, 'x', n))
			return NULL;
	}
	if (!re_prefixes(re, 0, strlen(re), false, &lits)) {
		strv_free(lits);
		return NULL;
	}
	return lits;
}

static void
part_add(struct term *t, unsigned line, bool free_part)
{
	if (t->pattern.len > 0)
		(void)buf_addc(&t->pattern, '|');
	t->parts = xrealloc(t->parts, (t->n_parts + 1) * sizeof(*t->parts));
	t->parts[t->n_parts].offset = t->pattern.len;
	t->parts[t->n_parts].line = line;
	t->parts[t->n_parts].free = free_part;
	t->n_parts++;
	(void)buf_adds(&t->pattern, "(?:");
}

static void
term_key(struct reader *rd, struct term *t, const char *key,
    const char *value, unsigned line)
{
	struct buf phrase;

	if (strcmp(key, "match") == 0) {
		_cleanup_free_ char *v = NULL;
		size_t n = strlen(value);
		char *lit = NULL;

		/* match = "rare earth" means what it says without quotes */
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
			v = xstrndup(value + 1, n - 2);
		else
			v = xstrdup(value);
		buf_init(&phrase, 0);
		if (phrase_compile(rd, v, line, &phrase, &lit) == 0) {
			bool free_part = !lit || !*lit ||
			    (lit[0] == LIT_EDGE && !lit[1]);

			if (!free_part)
				strv_push(&t->lits, lit);
			else {
				free(lit);
				t->always = true;
			}
			part_add(t, line, free_part);
			(void)buf_add(&t->pattern, phrase.data, phrase.len);
			(void)buf_addc(&t->pattern, ')');
		} else
			t->bad = true;
		buf_done(&phrase);
	} else if (strcmp(key, "regex") == 0) {
		if (!*value) {
			problem(rd, line, "term '%s': empty regex", t->name);
			t->bad = true;
		} else if (regex_check(rd, t, value, line) == 0) {
			char **rl = regex_literals(value);
			bool free_part = !rl;
			size_t k;

			/* each literal is a one-word group for the prefilter */
			for (k = 0; rl && rl[k]; k++)
				(void)strv_push(&t->lits, rl[k]);
			free(rl);
			if (free_part)
				t->always = true;
			part_add(t, line, free_part);
			(void)buf_adds(&t->pattern, value);
			(void)buf_addc(&t->pattern, ')');
		} else
			t->bad = true;
	} else if (strcmp(key, "case") == 0) {
		if (t->case_line)
			problem(rd, line, "term '%s': case set twice (first "
			    "at line %u)", t->name, t->case_line);
		else if (strcmp(value, "sensitive") == 0)
			t->case_sensitive = true;
		else if (strcmp(value, "insensitive") == 0)
			t->case_sensitive = false;
		else
			problem(rd, line, "term '%s': case = '%s' (expected "
			    "sensitive or insensitive)", t->name, value);
		t->case_line = line;
	} else
		problem(rd, line, "unknown key '%s' in [term %s] (expected "
		    "match, regex or case)", key, t->name);
}

static void
alert_key(struct reader *rd, struct alert *a, const char *key,
    const char *value, unsigned line)
{
	if (strcmp(key, "query") == 0) {
		if (a->query_src)
			problem(rd, line, "alert '%s': query set twice "
			    "(first at line %u)", a->name, a->query_line);
		else if (!*value)
			problem(rd, line, "alert '%s': empty query", a->name);
		else {
			a->query_src = xstrdup(value);
			a->query_line = line;
		}
	} else if (strcmp(key, "in") == 0) {
		if (strcmp(value, "any") == 0)
			a->in = ALERT_IN_ANY;
		else if (strcmp(value, "title") == 0)
			a->in = ALERT_IN_TITLE;
		else if (strcmp(value, "body") == 0)
			a->in = ALERT_IN_BODY;
		else
			problem(rd, line, "alert '%s': in = '%s' (expected "
			    "title, body or any)", a->name, value);
	} else if (strcmp(key, "score") == 0) {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (!*value || *end || errno || v < -1000 || v > 1000)
			problem(rd, line, "alert '%s': score = '%s' (expected "
			    "an integer from -1000 to 1000)", a->name, value);
		else
			a->score = (int)v;
	} else if (strcmp(key, "notify") == 0) {
		if (parse_bool(value, &a->notify) < 0)
			problem(rd, line, "alert '%s': notify = '%s' "
			    "(expected yes or no)", a->name, value);
	} else
		problem(rd, line, "unknown key '%s' in [alert \"%s\"] "
		    "(expected query, in, score or notify)", key, a->name);
}

static bool
name_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

static void
watchlist_key(struct reader *rd, const char *key, const char *value,
    unsigned line)
{
	struct watchlist *w = rd->w;

	if (strcmp(key, "name") == 0) {
		if (w->name)
			problem(rd, line, "name set twice (first at line %u)",
			    rd->name_line);
		else if (!name_valid(value)) {
			problem(rd, line, "name = '%s': use lower-case "
			    "letters, digits, '.', '_' and '-'", value);
			rd->name_line = line;
		} else {
			w->name = xstrdup(value);
			rd->name_line = line;
		}
	} else if (strcmp(key, "title") == 0) {
		free(w->title);
		w->title = xstrdup(value);
	} else
		problem(rd, line, "unknown key '%s' in [watchlist] (expected "
		    "name or title)", key);
}

static bool
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static void
section_begin(struct reader *rd, const char *section, unsigned line)
{
	_cleanup_free_ char *kind = NULL, *name = NULL;
	struct watchlist *w = rd->w;
	size_t i;

	rd->section = SECTION_BAD;
	if (ini_section_split(section, &kind, &name) < 0) {
		problem(rd, line, "bad section header [%s] (quote names: "
		    "[alert \"NAME\"])", section);
		return;
	}
	if (strcmp(kind, "watchlist") == 0) {
		if (name)
			problem(rd, line, "[watchlist] takes no name (use "
			    "name = ...)");
		else if (rd->watchlist_line)
			problem(rd, line, "second [watchlist] section (first "
			    "at line %u)", rd->watchlist_line);
		else {
			rd->watchlist_line = line;
			rd->section = SECTION_WATCHLIST;
		}
	} else if (strcmp(kind, "term") == 0) {
		struct term *t;

		if (!name || has_control(name)) {
			problem(rd, line, "[term] needs a name: [term NAME]");
			return;
		}
		for (i = 0; i < w->n_terms; i++)
			if (strcmp(w->terms[i].name, name) == 0) {
				problem(rd, line, "duplicate term '%s' (first "
				    "at line %u)", name, w->terms[i].line);
				return;
			}
		w->terms = xrealloc(w->terms,
		    (w->n_terms + 1) * sizeof(*w->terms));
		t = &w->terms[w->n_terms++];
		memset(t, 0, sizeof(*t));
		t->name = TAKE_PTR(name);
		t->line = line;
		buf_init(&t->pattern, 0);
		rd->section = SECTION_TERM;
	} else if (strcmp(kind, "alert") == 0) {
		struct alert *a;

		if (!name || has_control(name)) {
			problem(rd, line, "[alert] needs a name: "
			    "[alert \"NAME\"]");
			return;
		}
		if (strcmp(name, MATCH_ANY_TERM) == 0) {
			problem(rd, line, "alert name '%s' is reserved",
			    MATCH_ANY_TERM);
			return;
		}
		for (i = 0; i < w->n_alerts; i++)
			if (strcmp(w->alerts[i].name, name) == 0) {
				problem(rd, line, "duplicate alert '%s' (first "
				    "at line %u)", name, w->alerts[i].line);
				return;
			}
		w->alerts = xrealloc(w->alerts,
		    (w->n_alerts + 1) * sizeof(*w->alerts));
		a = &w->alerts[w->n_alerts++];
		memset(a, 0, sizeof(*a));
		a->name = TAKE_PTR(name);
		a->line = line;
		a->score = 1;
		a->notify = true;
		rd->section = SECTION_ALERT;
	} else
		problem(rd, line, "unknown section [%s] (expected [watchlist], "
		    "[term NAME] or [alert \"NAME\"])", section);
}

static int
on_ini(void *userdata, const char *section, const char *key,
    const char *value, unsigned line)
{
	struct reader *rd = userdata;

	if (!key) {
		section_begin(rd, section, line);
		return 0;
	}
	switch (rd->section) {
	case SECTION_WATCHLIST:
		watchlist_key(rd, key, value, line);
		break;
	case SECTION_TERM:
		term_key(rd, &rd->w->terms[rd->w->n_terms - 1], key, value,
		    line);
		break;
	case SECTION_ALERT:
		alert_key(rd, &rd->w->alerts[rd->w->n_alerts - 1], key, value,
		    line);
		break;
	default:
		break;
	}
	return 0;
}

/*
 * The column (1-based, in characters) where the value of the key on line
 * starts in the watchlist's text, for messages that point into it.
 */
static size_t
value_col(const struct reader *rd, unsigned line)
{
	const char *p = rd->data, *end, *eq;
	unsigned l = 1;

	if (!p)
		return 1;
	end = p + rd->len;	/* not before the check: NULL + n is UB */
	while (l < line && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			return 1;
		p = nl + 1;
		l++;
	}
	eq = memchr(p, '=', (size_t)(end - p));
	if (!eq || memchr(p, '\n', (size_t)(eq - p)))
		return 1;
	eq++;
	while (eq < end && (*eq == ' ' || *eq == '\t'))
		eq++;
	return utf8_chars(p, (size_t)(eq - p)) + 1;
}

/*
 * JIT unless $REEWATCH_NO_JIT is set (valgrind cannot follow JIT code, and
 * it is a way to rule the JIT out when debugging).  Where the kernel
 * refuses executable memory (MemoryDenyWriteExecute=yes) pcre2_jit_compile
 * fails and the interpreter runs instead.
 */
static bool
match_jit_wanted(void)
{
	const char *e = getenv("REEWATCH_NO_JIT");

	return !e || !*e || strcmp(e, "0") == 0;
}

/* JIT compile c when t wants it; the interpreter runs if that fails
 * (MemoryDenyWriteExecute=yes), and then for t's other patterns too. */
static bool
term_jit(struct term *t, pcre2_code *c)
{
	if (t->jit && pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) != 0)
		t->jit = false;
	return t->jit;
}

/*
 * Whether the free parts of a term (those without a literal to anchor on),
 * each tried alone from where it may start, find the places where the
 * whole pattern's unanchored run can start a match, and nothing else.
 * Not with \G (the start offset), \K (a match that starts after where it
 * was tried), backtracking verbs, recursion into the whole pattern,
 * conditions, nor capture groups that several parts would number.
 */
static bool
term_free_alone(const struct term *t, size_t n_free)
{
	static const char *const bad[] = {
		"\\G", "\\K", "\\g", "(*", "(?R", "(?0", "(?(",
	};
	size_t i, k;

	if (n_free == 0 || n_free > TERM_FREE_MAX ||
	    (n_free > 1 && t->captures > 0))
		return false;
	for (i = 0; i < t->n_parts; i++) {
		size_t a = t->parts[i].offset, e = i + 1 < t->n_parts ?
		    t->parts[i + 1].offset - 1 : t->pattern.len;
		_cleanup_free_ char *part = NULL;

		if (!t->parts[i].free)
			continue;
		part = xstrndup(t->pattern.data + a, e - a);
		for (k = 0; k < ELEMENTSOF(bad); k++)
			if (strstr(part, bad[k]))
				return false;
	}
	return true;
}

/*
 * A term with free parts and phrases (or several free parts) runs
 * anchored where a phrase may start (the prefilter's places) and where
 * one of its free parts alone matches (code_free[], unanchored, each
 * with PCRE2's own search for its literals): no match of the whole can
 * start elsewhere.  Leaves n_free 0 when that cannot be done.
 */
static void
term_compile_free(struct term *t, uint32_t opts)
{
	size_t i, n = 0;
	PCRE2_SIZE off;
	int err;

	for (i = 0; i < t->n_parts; i++)
		n += t->parts[i].free;
	if (!term_free_alone(t, n) || (n == 1 && !t->lits))
		return;
	t->code_free = xcalloc(n, sizeof(pcre2_code *));
	for (i = 0; i < t->n_parts; i++) {
		size_t a = t->parts[i].offset, e = i + 1 < t->n_parts ?
		    t->parts[i + 1].offset - 1 : t->pattern.len;
		pcre2_code *c;

		if (!t->parts[i].free)
			continue;
		c = pcre2_compile((PCRE2_SPTR)t->pattern.data + a, e - a,
		    opts, &err, &off, NULL);
		if (!c)
			break;
		(void)term_jit(t, c);
		t->code_free[t->n_free++] = c;
	}
	if (t->n_free < n) {
		while (t->n_free > 0)
			pcre2_code_free(t->code_free[--t->n_free]);
		free(t->code_free);
		t->code_free = NULL;
	}
}

/* Compile a term's parts to its one pattern, JIT when the kernel lets us. */
static void
term_compile(struct reader *rd, struct term *t)
{
	uint32_t opts = compile_options;
	PCRE2_SIZE off;
	int err;

	if (t->n_parts == 0) {
		if (!t->bad)
			problem(rd, t->line, "term '%s' has no match or regex",
			    t->name);
		return;
	}
	if (!t->case_sensitive)
		opts |= PCRE2_CASELESS;
	t->code = pcre2_compile((PCRE2_SPTR)t->pattern.data, t->pattern.len,
	    opts, &err, &off, NULL);
	if (!t->code) {
		unsigned line = t->parts[0].line;
		char msg[256];
		size_t i;

		/* blame the part the error is in */
		for (i = 0; i < t->n_parts; i++)
			if (t->parts[i].offset <= off)
				line = t->parts[i].line;
		pcre2_message(err, msg, sizeof(msg));
		problem(rd, line, "term '%s': its patterns do not combine: %s",
		    t->name, msg);
		return;
	}
	t->jit = match_jit_wanted();
	/*
	 * With phrases: a second copy tried anchored where the prefilter
	 * saw a first word (and where the free parts match).  Without start
	 * optimisations, since PCRE2 would otherwise look ahead through the
	 * text for a required character on every try.
	 */
	if (t->always)
		term_compile_free(t, opts);
	/*
	 * The same term in several watchlists (the shipped ones share
	 * [term ree]) runs once an entry: its twins take its finds.
	 */
	t->key = xstrndup(t->pattern.data, t->pattern.len);
	t->twin = TWIN_NONE;
	if ((t->lits && !t->always) || t->n_free > 0) {
		t->code_at = pcre2_compile((PCRE2_SPTR)t->pattern.data,
		    t->pattern.len, opts | PCRE2_ANCHORED |
		    PCRE2_NO_START_OPTIMIZE, &err, &off, NULL);
		if (t->code_at)
			(void)term_jit(t, t->code_at);
	}
	/* the whole runs unanchored only without code_at, or when naive:
	 * JIT compiled then (watchset_set_naive()), to save its memory */
	if (!t->code_at)
		t->code_jit = term_jit(t, t->code);
	buf_done(&t->pattern);
}

/* ---- queries ---- */

enum token {
	TOKEN_END,
	TOKEN_NAME,
	TOKEN_LPAREN,
	TOKEN_RPAREN,
	TOKEN_AND,
	TOKEN_OR,
	TOKEN_NOT,
	TOKEN_NEAR,
	TOKEN_BAD,
	TOKEN_MAX
};

struct qparser {
	const char *src;
	size_t pos;			/* of the next token */
	enum token tok;
	char *text;			/* TOKEN_NAME: the name */
	bool quoted;
	size_t col;			/* of tok, 1-based, in characters */
	unsigned near;			/* TOKEN_NEAR: n, or UINT_MAX if none */
	size_t col0;			/* the value's column in its line, - 1 */
	const struct watchlist *w;
	char *err;			/* the first problem */
	size_t err_col;			/* where it is */
	unsigned depth, nodes;
};

static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	    (unsigned char)c >= 0x80;
}

static void
q_next(struct qparser *q)
{
	const char *s = q->src;
	size_t i = q->pos, start;

	free(q->text);
	q->text = NULL;
	q->quoted = false;
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	q->col = q->col0 + utf8_chars(s, i) + 1;
	start = i;
	if (!s[i])
		q->tok = TOKEN_END;
	else if (s[i] == '(') {
		q->tok = TOKEN_LPAREN;
		i++;
	} else if (s[i] == ')') {
		q->tok = TOKEN_RPAREN;
		i++;
	} else if (s[i] == '"') {
		const char *end = strchr(s + i + 1, '"');

		if (!end || end == s + i + 1) {
			q->tok = TOKEN_BAD;
			q->text = xstrdup(end ? "\"\"" : "\"");
			i = end ? (size_t)(end - s) + 1 : strlen(s);
		} else {
			q->tok = TOKEN_NAME;
			q->quoted = true;
			q->text = xstrndup(s + i + 1,
			    (size_t)(end - s - i - 1));
			i = (size_t)(end - s) + 1;
		}
	} else if (name_char(s[i])) {
		while (name_char(s[i]))
			i++;
		q->text = xstrndup(s + start, i - start);
		if (strcmp(q->text, "AND") == 0)
			q->tok = TOKEN_AND;
		else if (strcmp(q->text, "OR") == 0)
			q->tok = TOKEN_OR;
		else if (strcmp(q->text, "NOT") == 0)
			q->tok = TOKEN_NOT;
		else if (strcmp(q->text, "NEAR") == 0) {
			unsigned long n = 0;
			size_t digits = 0;

			q->tok = TOKEN_NEAR;
			q->near = UINT_MAX;
			if (s[i] == '/') {
				while (s[i + 1 + digits] >= '0' &&
				    s[i + 1 + digits] <= '9' && digits < 9) {
					n = n * 10 + (unsigned long)
					    (s[i + 1 + digits] - '0');
					digits++;
				}
				if (digits > 0 && !name_char(s[i + 1 + digits])) {
					q->near = (unsigned)n;
					i += 1 + digits;
				}
			}
		} else
			q->tok = TOKEN_NAME;
	} else {
		q->tok = TOKEN_BAD;
		i += utf8_char_len(s + i);
		q->text = xstrndup(s + start, i - start);
	}
	q->pos = i;
}

/* How the current token reads in a message. */
static char *
q_found(const struct qparser *q)
{
	static const char *const lower[] = { "and", "or", "not", "near" };
	size_t i;

	switch (q->tok) {
	case TOKEN_END:
		return xstrdup("the end of the query");
	case TOKEN_LPAREN:
		return xstrdup("'('");
	case TOKEN_RPAREN:
		return xstrdup("')'");
	case TOKEN_AND:
	case TOKEN_OR:
	case TOKEN_NOT:
		return xasprintf("'%s'", q->text);
	case TOKEN_NEAR:
		return q->near == UINT_MAX ? xstrdup("'NEAR'") :
		    xasprintf("'NEAR/%u'", q->near);
	case TOKEN_BAD:
		if (strcmp(q->text, "\"") == 0)
			return xstrdup("a \" that is never closed");
		if (strcmp(q->text, "\"\"") == 0)
			return xstrdup("an empty name \"\"");
		return xasprintf("'%s'", q->text);
	case TOKEN_NAME:
		if (q->quoted)
			return xasprintf("\"%s\"", q->text);
		for (i = 0; i < ELEMENTSOF(lower); i++)
			if (strcasecmp(q->text, lower[i]) == 0)
				return xasprintf("'%s' (operators are upper "
				    "case: AND, OR, NOT, NEAR/n)", q->text);
		return xasprintf("'%s'", q->text);
	default:
		return xstrdup("?");
	}
}

PRINTF_LIKE(2, 3) static void
q_fail(struct qparser *q, const char *fmt, ...)
{
	va_list ap;

	if (q->err)
		return;
	q->err_col = q->col;
	va_start(ap, fmt);
	if (vasprintf(&q->err, fmt, ap) < 0)
		q->err = NULL;
	va_end(ap);
	if (!q->err)
		q->err = xstrdup("out of memory");
}

static void
query_free(struct query *n)
{
	if (!n)
		return;
	query_free(n->left);
	query_free(n->right);
	free(n);
}

static struct query *
q_node(struct qparser *q, enum query_op op, struct query *l, struct query *r)
{
	struct query *n;

	if (++q->nodes > QUERY_MAX_NODES) {
		q_fail(q, "query too long (over %u terms and operators)",
		    QUERY_MAX_NODES);
		query_free(l);
		query_free(r);
		return NULL;
	}
	n = xcalloc(1, sizeof(*n));
	n->op = op;
	n->left = l;
	n->right = r;
	return n;
}

static struct query *q_or(struct qparser *q);

static struct query *
q_term(struct qparser *q)
{
	const struct watchlist *w = q->w;
	struct query *n;
	size_t i;

	for (i = 0; i < w->n_terms; i++)
		if (strcmp(w->terms[i].name, q->text) == 0)
			break;
	if (i == w->n_terms) {
		for (i = 0; i < w->n_terms; i++)
			if (strcasecmp(w->terms[i].name, q->text) == 0)
				break;
		if (i < w->n_terms)
			q_fail(q, "unknown term '%s' (did you mean '%s'?)",
			    q->text, w->terms[i].name);
		else
			q_fail(q, "unknown term '%s' (expected the name of "
			    "a [term])", q->text);
		return NULL;
	}
	n = q_node(q, QUERY_TERM, NULL, NULL);
	if (n)
		n->term = (unsigned)i;
	q_next(q);
	return n;
}

static struct query *
q_primary(struct qparser *q)
{
	_cleanup_free_ char *found = NULL;
	struct query *n;
	size_t open;

	if (q->tok == TOKEN_NAME)
		return q_term(q);
	if (q->tok == TOKEN_NOT || q->tok == TOKEN_LPAREN) {
		enum token t = q->tok;

		open = q->col;
		if (++q->depth > QUERY_MAX_DEPTH) {
			q_fail(q, "query nests too deeply (over %u levels)",
			    QUERY_MAX_DEPTH);
			return NULL;
		}
		q_next(q);
		if (t == TOKEN_NOT) {
			n = q_primary(q);
			n = n ? q_node(q, QUERY_NOT, n, NULL) : NULL;
		} else {
			n = q_or(q);
			if (n && q->tok != TOKEN_RPAREN) {
				found = q_found(q);
				q_fail(q, "expected AND, OR, NEAR/n or ) (for "
				    "the ( at column %zu), found %s", open,
				    found);
				query_free(n);
				n = NULL;
			}
			if (n)
				q_next(q);
		}
		q->depth--;
		return n;
	}
	found = q_found(q);
	q_fail(q, "expected a term name, NOT or (, found %s", found);
	return NULL;
}

/* Can n be a side of NEAR: terms, OR groups of them, NEARs? */
static bool
q_nearable(const struct query *n)
{
	switch (n->op) {
	case QUERY_TERM:
		return true;
	case QUERY_OR:
	case QUERY_NEAR:
		return q_nearable(n->left) && q_nearable(n->right);
	default:
		return false;
	}
}

static struct query *
q_near(struct qparser *q)
{
	struct query *l = q_primary(q), *r;

	while (l && q->tok == TOKEN_NEAR) {
		unsigned near = q->near;
		size_t col = q->col;

		if (near == UINT_MAX || near > QUERY_NEAR_MAX) {
			q_fail(q, "expected NEAR/n with n from 0 to %u words "
			    "(e.g. NEAR/5)", QUERY_NEAR_MAX);
			query_free(l);
			return NULL;
		}
		if (!q_nearable(l)) {
			q_fail(q, "NEAR/%u joins terms, OR groups of terms or "
			    "NEARs; its left side has AND or NOT (use "
			    "parentheses: a AND (b NEAR/5 c))", near);
			query_free(l);
			return NULL;
		}
		q_next(q);
		r = q_primary(q);
		if (!r) {
			query_free(l);
			return NULL;
		}
		if (!q_nearable(r)) {
			q->col = col;
			q_fail(q, "NEAR/%u joins terms, OR groups of terms or "
			    "NEARs; its right side has AND or NOT", near);
			query_free(l);
			query_free(r);
			return NULL;
		}
		l = q_node(q, QUERY_NEAR, l, r);
		if (l)
			l->near = near;
	}
	return l;
}

static struct query *
q_and(struct qparser *q)
{
	struct query *l = q_near(q), *r;

	while (l && q->tok == TOKEN_AND) {
		q_next(q);
		r = q_near(q);
		if (!r) {
			query_free(l);
			return NULL;
		}
		l = q_node(q, QUERY_AND, l, r);
	}
	return l;
}

static struct query *
q_or(struct qparser *q)
{
	struct query *l = q_and(q), *r;

	while (l && q->tok == TOKEN_OR) {
		q_next(q);
		r = q_and(q);
		if (!r) {
			query_free(l);
			return NULL;
		}
		l = q_node(q, QUERY_OR, l, r);
	}
	return l;
}

/* What a query is evaluated against: the terms that matched, and for
 * NEAR their spans in the fields the alert looks at. */
struct eval {
	const bool *matched;			/* by term */
	const struct term_found *const *found;	/* by term; NULL: none */
	enum alert_in in;
	const char *const *text;		/* by field */
};

static bool query_eval(const struct query *n, const struct eval *x);

/*
 * The spans of a NEAR side: a term's spans in the alert's fields, the
 * union for OR, the spans that took part in a NEAR.  Appends to *v.
 */
static void
query_spans(const struct query *n, const struct eval *x,
    struct hit_span **v, size_t *nv)
{
	struct hit_span *l = NULL, *r = NULL;
	size_t nl = 0, nr = 0, i, j;
	bool *keep_l, *keep_r;

	switch (n->op) {
	case QUERY_TERM: {
		const struct term_found *f = x->found ? x->found[n->term] :
		    NULL;

		for (i = 0; f && i < f->n_spans; i++) {
			if (!span_in(x->in, &f->spans[i]))
				continue;
			*v = xrealloc(*v, (*nv + 1) * sizeof(**v));
			(*v)[*nv] = f->spans[i];
			(*v)[(*nv)++].term = n->term;
		}
		return;
	}
	case QUERY_OR:
		query_spans(n->left, x, v, nv);
		query_spans(n->right, x, v, nv);
		return;
	case QUERY_NEAR:
		break;
	default:
		return;
	}
	query_spans(n->left, x, &l, &nl);
	if (nl > 0)
		query_spans(n->right, x, &r, &nr);
	keep_l = xcalloc(nl + 1, sizeof(bool));
	keep_r = xcalloc(nr + 1, sizeof(bool));
	for (i = 0; i < nl; i++)
		for (j = 0; j < nr; j++) {
			const struct hit_span *a = &l[i], *b = &r[j];

			if (a->field != b->field)
				continue;
			if (a->start > b->start) {
				a = &r[j];
				b = &l[i];
			}
			if (b->start > a->end && text_words(x->text[a->field] +
			    a->end, b->start - a->end) > n->near)
				continue;
			keep_l[i] = keep_r[j] = true;
		}
	for (i = 0; i < nl; i++)
		if (keep_l[i]) {
			*v = xrealloc(*v, (*nv + 1) * sizeof(**v));
			(*v)[(*nv)++] = l[i];
		}
	for (j = 0; j < nr; j++)
		if (keep_r[j]) {
			*v = xrealloc(*v, (*nv + 1) * sizeof(**v));
			(*v)[(*nv)++] = r[j];
		}
	free(keep_l);
	free(keep_r);
	free(l);
	free(r);
}

/* Is the query true for what matched (and where)? */
static bool
query_eval(const struct query *n, const struct eval *x)
{
	struct hit_span *v = NULL;
	size_t nv = 0;

	switch (n->op) {
	case QUERY_TERM:
		return x->matched[n->term];
	case QUERY_NOT:
		return !query_eval(n->left, x);
	case QUERY_AND:
		return query_eval(n->left, x) && query_eval(n->right, x);
	case QUERY_OR:
		return query_eval(n->left, x) || query_eval(n->right, x);
	case QUERY_NEAR:
		/* both sides must have matched at all before spans count */
		if (!query_eval(n->left, x) || !query_eval(n->right, x))
			return false;
		query_spans(n, x, &v, &nv);
		free(v);
		return nv > 0;
	default:
		return false;
	}
}

/* Collect the terms the query names outside an odd number of NOTs. */
static void
query_positive(const struct query *n, bool negated, struct alert *a)
{
	size_t i;

	switch (n->op) {
	case QUERY_TERM:
		if (negated)
			return;
		for (i = 0; i < a->n_pos_terms; i++)
			if (a->pos_terms[i] == n->term)
				return;
		a->pos_terms = xrealloc(a->pos_terms,
		    (a->n_pos_terms + 1) * sizeof(*a->pos_terms));
		a->pos_terms[a->n_pos_terms++] = n->term;
		return;
	case QUERY_NOT:
		query_positive(n->left, !negated, a);
		return;
	default:
		query_positive(n->left, negated, a);
		query_positive(n->right, negated, a);
		return;
	}
}

static void
alert_compile(struct reader *rd, struct alert *a)
{
	struct qparser q = { .src = a->query_src, .w = rd->w };
	_cleanup_free_ char *found = NULL;
	_cleanup_free_ bool *none = NULL;
	struct eval x = { 0 };
	struct query *n;

	if (!a->query_src) {
		problem(rd, a->line, "alert '%s' has no query", a->name);
		return;
	}
	q.col0 = value_col(rd, a->query_line) - 1;
	q_next(&q);
	n = q_or(&q);
	if (n && q.tok != TOKEN_END) {
		found = q_found(&q);
		if (q.tok == TOKEN_RPAREN)
			q_fail(&q, "unbalanced ) (no ( before it)");
		else
			q_fail(&q, "expected AND, OR, NEAR/n or the end, "
			    "found %s", found);
	}
	free(q.text);
	if (q.err) {
		_cleanup_free_ char *where = xasprintf("%s:%u:%zu",
		    rd->file ? rd->file : "-", a->query_line, q.err_col);

		query_free(n);
		diag_add(rd->d, where, 0, "alert '%s': query: %s", a->name,
		    q.err);
		rd->errors++;
		free(q.err);
		return;
	}
	none = xcalloc(rd->w->n_terms + 1, sizeof(bool));
	x.matched = none;
	if (query_eval(n, &x)) {
		query_free(n);
		problem(rd, a->query_line, "alert '%s': query is true when "
		    "none of its terms match (NOT alone needs an AND)",
		    a->name);
		return;
	}
	a->query = n;
	query_positive(n, false, a);
}

static void
term_done(struct term *t)
{
	size_t i;

	free(t->name);
	buf_done(&t->pattern);
	free(t->parts);
	strv_free(t->lits);
	pcre2_code_free(t->code);
	pcre2_code_free(t->code_at);
	for (i = 0; i < t->n_free; i++)
		pcre2_code_free(t->code_free[i]);
	free(t->code_free);
	free(t->key);
}

static void
alert_done(struct alert *a)
{
	free(a->name);
	free(a->query_src);
	query_free(a->query);
	free(a->pos_terms);
}

void
watchlist_free(struct watchlist *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->n_terms; i++)
		term_done(&w->terms[i]);
	for (i = 0; i < w->n_alerts; i++)
		alert_done(&w->alerts[i]);
	free(w->terms);
	free(w->alerts);
	for (i = 0; i < w->n_lits; i++)
		free(w->lit_words[i]);
	free(w->lit_words);
	free(w->lg_start);
	free(w->lg);
	free(w->group_term);
	free(w->group_need);
	free(w->group_edge);
	free(w->always);
	free(w->name);
	free(w->title);
	free(w);
}

/* Where a phrase of a term may start: an occurrence of its first word. */
struct anchor {
	uint32_t slot;			/* the term's place in cand[] */
	uint32_t field;
	size_t start;			/* in the match form of the field */
};

struct occurrence {
	uint32_t lit;
	uint32_t field;
	size_t start;			/* in the match form of the field */
};

/*
 * What match_entry() works with for one watchlist of the set, part of a
 * struct match_work (one per thread) and left clean after each entry.
 */
struct scratch {
	const struct watchlist *w;
	bool *lit_seen;			/* by literal */
	uint32_t *lits_found;
	size_t n_lits_found;
	uint32_t *have;			/* by group: its words found */
	bool *term_seen;		/* by term */
	uint32_t *slot;			/* by term: place in cand[] or NONE */
	uint32_t *cand;			/* the terms to run, in order */
	size_t n_cand;
	struct occurrence *occ;
	size_t n_occ, alloc_occ;
	struct anchor *anchors;
	struct anchor *anchors_tmp;	/* for sorting, alloc_anchors too */
	size_t n_anchors, alloc_anchors;
	uint32_t *slot_count;		/* by slot + 1, for sorting */
	struct term_found **found;	/* by term */
	bool *matched;			/* by term */
	struct term_found *slots;	/* what the terms found, in order;
					 * zero but while matching */
	unsigned *all;			/* the terms that found some */
	const uint32_t *map;		/* folded offset -> match form;
					 * NULL: the same */
	uint32_t field;
};

#define SLOT_NONE	UINT32_MAX

static void
scratch_init(struct scratch *x, const struct watchlist *w)
{
	size_t i;

	x->w = w;
	x->lit_seen = xcalloc(w->n_lits + 1, sizeof(bool));
	x->lits_found = xcalloc(w->n_lits + 1, sizeof(uint32_t));
	x->have = xcalloc(w->n_groups + 1, sizeof(uint32_t));
	x->term_seen = xcalloc(w->n_terms + 1, sizeof(bool));
	x->slot = xcalloc(w->n_terms + 1, sizeof(uint32_t));
	for (i = 0; i < w->n_terms; i++)
		x->slot[i] = SLOT_NONE;
	x->cand = xcalloc(w->n_terms + 1, sizeof(uint32_t));
	x->slot_count = xcalloc(w->n_terms + 2, sizeof(uint32_t));
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	x->found = xcalloc(w->n_terms + 1, sizeof(*x->found));
	x->matched = xcalloc(w->n_terms + 1, sizeof(bool));
	x->slots = xcalloc(w->n_terms + 1, sizeof(*x->slots));
	x->all = xcalloc(w->n_terms + 1, sizeof(*x->all));
}

static void
scratch_done(struct scratch *x)
{
	free(x->lit_seen);
	free(x->lits_found);
	free(x->have);
	free(x->term_seen);
	free(x->slot);
	free(x->cand);
	free(x->occ);
	free(x->anchors);
	free(x->anchors_tmp);
	free(x->slot_count);
	free(x->found);
	free(x->matched);
	free(x->slots);
	free(x->all);
}

/* A new literal, numbered n_lits. */
static void
lit_word_add(struct watchlist *w, const char *word)
{
	if (w->n_lits == 0 || (w->n_lits >= 16 &&
	    (w->n_lits & (w->n_lits - 1)) == 0))
		w->lit_words = xrealloc(w->lit_words, (w->n_lits < 16 ? 16 :
		    2 * w->n_lits) * sizeof(*w->lit_words));
	w->lit_words[w->n_lits++] = xstrdup(word);
}

/*
 * Each phrase's words numbered as the watchlist's literals: a term is a
 * candidate when all the words of one of its phrases occur.
 */
static void
prefilter_make(struct watchlist *w)
{
	uint32_t *trip_lit = NULL, *trip_val = NULL;
	size_t n_trip = 0, i, j;
	struct prefilter *pf = prefilter_new();	/* numbers the literals */
	w->always = xcalloc(w->n_terms + 1, sizeof(*w->always));
	for (i = 0; i < w->n_terms; i++) {
		const struct term *t = &w->terms[i];

		if (t->always || !t->lits)
			w->always[w->n_always++] = (uint32_t)i;
		/* anchors only for those that run anchored */
		if (!t->lits || (t->always && !t->code_at))
			continue;
		for (j = 0; t->lits[j]; j++) {
			bool edge = t->lits[j][0] == LIT_EDGE;
			char **words = strv_split(t->lits[j] + edge, "\n");
			uint32_t need = 0;
			size_t k, m;

			for (k = 0; words && words[k]; k++) {
				/* a word twice in a phrase counts once */
				for (m = 0; m < k; m++)
					if (strcmp(words[m], words[k]) == 0)
						break;
				if (m < k)
					continue;
				trip_lit = xrealloc(trip_lit,
				    (n_trip + 1) * sizeof(*trip_lit));
				trip_val = xrealloc(trip_val,
				    (n_trip + 1) * sizeof(*trip_val));
				trip_lit[n_trip] = prefilter_add(pf, words[k],
				    strlen(words[k]));
				if (trip_lit[n_trip] == w->n_lits)
					lit_word_add(w, words[k]);
				trip_val[n_trip++] = (uint32_t)w->n_groups << 1 |
				    (k == 0);
				need++;
			}
			strv_free(words);
			w->group_term = xrealloc(w->group_term,
			    (w->n_groups + 1) * sizeof(*w->group_term));
			w->group_need = xrealloc(w->group_need,
			    (w->n_groups + 1) * sizeof(*w->group_need));
			w->group_edge = xrealloc(w->group_edge,
			    (w->n_groups + 1) * sizeof(*w->group_edge));
			w->group_term[w->n_groups] = (uint32_t)i;
			w->group_edge[w->n_groups] = edge;
			w->group_need[w->n_groups++] = need;
		}
	}
	prefilter_free(pf);
	/* the groups of each literal, as runs of lg[] */
	w->lg_start = xcalloc(w->n_lits + 2, sizeof(*w->lg_start));
	w->lg = xcalloc(n_trip + 1, sizeof(*w->lg));
	for (i = 0; i < n_trip; i++)
		w->lg_start[trip_lit[i] + 1]++;
	for (i = 0; i < w->n_lits; i++)
		w->lg_start[i + 1] += w->lg_start[i];
	{
		uint32_t *fill = xcalloc(w->n_lits + 1, sizeof(*fill));

		/* first words first: candidates() stops at the others */
		for (j = 0; j < 2; j++)
			for (i = 0; i < n_trip; i++)
				if ((trip_val[i] & 1) != j)
					w->lg[w->lg_start[trip_lit[i]] +
					    fill[trip_lit[i]]++] = trip_val[i];
		free(fill);
	}
	free(trip_lit);
	free(trip_val);
}

static pcre2_code *
helper_compile(const char *re)
{
	PCRE2_SIZE off;
	int err;

	return pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &err, &off, NULL);
}

int
watchlist_compile(const char *data, size_t len, const char *file,
    struct watchlist **ret, struct diag *d)
{
	struct reader rd = { .data = data, .len = len, .file = file, .d = d };
	int r = -ENOMEM;
	size_t i;

	rd.w = xcalloc(1, sizeof(*rd.w));
	rd.re_word = helper_compile("[\\p{L}\\p{N}]");
	rd.re_nospace = helper_compile("[\\p{Han}\\p{Hiragana}\\p{Katakana}"
	    "\\p{Hangul}\\p{Thai}\\p{Lao}\\p{Khmer}\\p{Myanmar}]");
	rd.md = pcre2_match_data_create(1, NULL);
	if (!rd.re_word || !rd.re_nospace || !rd.md)
		goto out;
	r = ini_parse(data, len, file, on_ini, &rd, d);
	if (r < 0)
		goto out;
	rd.errors += (unsigned)r;
	if (!rd.w->name && !rd.name_line)
		problem(&rd, 0, "no watchlist name (add [watchlist] with "
		    "name = ...)");
	if (rd.w->n_terms == 0)
		problem(&rd, 0, "no [term NAME] sections");
	for (i = 0; i < rd.w->n_terms; i++)
		term_compile(&rd, &rd.w->terms[i]);
	for (i = 0; i < rd.w->n_alerts; i++)
		alert_compile(&rd, &rd.w->alerts[i]);
	r = rd.errors ? -EINVAL : 0;
	if (r == 0)
		prefilter_make(rd.w);
out:
	pcre2_code_free(rd.re_word);
	pcre2_code_free(rd.re_nospace);
	pcre2_match_data_free(rd.md);
	if (r < 0) {
		watchlist_free(rd.w);
		return r;
	}
	*ret = rd.w;
	return 0;
}

static bool
query_operator(const char *p, size_t n)
{
	return (n == 3 && (strncmp(p, "AND", 3) == 0 ||
	    strncmp(p, "NOT", 3) == 0)) ||
	    (n == 2 && strncmp(p, "OR", 2) == 0) ||
	    (n >= 4 && strncmp(p, "NEAR", 4) == 0 && (n == 4 || p[4] == '/'));
}

/* Append s as a quoted term name, once, to the terms of an ad-hoc query. */
static void
query_phrase(struct buf *ini, struct buf *query, char ***phrases,
    const char *p, size_t n)
{
	_cleanup_free_ char *ph = xstrndup(p, n);

	if (!strv_contains(*phrases, ph)) {
		(void)buf_printf(ini, "[term \"%s\"]\nmatch = %s\n", ph, ph);
		strv_push(phrases, xstrdup(ph));
	}
	(void)buf_printf(query, "\"%s\"", ph);
}

int
watchlist_compile_query(const char *q, struct watchlist **ret,
    char ***ret_phrases, struct diag *d)
{
	struct buf ini, query;
	char **phrases = NULL;
	const char *p = q;
	int r;

	buf_init(&ini, 0);
	buf_init(&query, 0);
	(void)buf_adds(&ini, "[watchlist]\nname = search\n");
	while (*p) {
		size_t n;

		if (*p == '\n' || *p == '\r' || *p == ';' || *p == '#') {
			diag_add(d, "query", 0, "column %zu: '%c' cannot be in "
			    "a search query", utf8_chars(q, (size_t)(p - q)) + 1,
			    *p == '\n' || *p == '\r' ? ' ' : *p);
			r = -EINVAL;
			goto out;
		}
		if (*p == ' ' || *p == '\t' || *p == '(' || *p == ')') {
			(void)buf_addc(&query, *p++);
			continue;
		}
		if (*p == '"') {
			const char *end = strchr(p + 1, '"');

			if (!end || end == p + 1) {
				diag_add(d, "query", 0, "column %zu: %s",
				    utf8_chars(q, (size_t)(p - q)) + 1,
				    end ? "an empty phrase \"\"" :
				    "a \" that is never closed");
				r = -EINVAL;
				goto out;
			}
			query_phrase(&ini, &query, &phrases, p + 1,
			    (size_t)(end - p - 1));
			p = end + 1;
			continue;
		}
		n = strcspn(p, " \t()\"");
		if (query_operator(p, n)) {
			(void)buf_add(&query, p, n);
			p += n;
			continue;
		}
		/* bare words in a row, no operator between: one phrase */
		{
			const char *start = p;
			size_t end = n;

			for (;;) {
				size_t gap = strspn(start + end, " \t"), m;

				if (gap == 0)
					break;
				m = strcspn(start + end + gap, " \t()\"");
				if (m == 0 || query_operator(start + end + gap,
				    m))
					break;
				end += gap + m;
			}
			query_phrase(&ini, &query, &phrases, start, end);
			p = start + end;
		}
	}
	if (!phrases) {
		diag_add(d, "query", 0, "no words to search for");
		r = -EINVAL;
		goto out;
	}
	(void)buf_printf(&ini, "[alert \"search\"]\nquery = %s\n", query.data);
	r = watchlist_compile(ini.data, ini.len, "query", ret, d);
	if (r == 0 && ret_phrases)
		*ret_phrases = TAKE_PTR(phrases);
out:
	strv_free(phrases);
	buf_done(&ini);
	buf_done(&query);
	return r;
}

const char *
watchlist_name(const struct watchlist *w)
{
	return w->name;
}

size_t
watchlist_n_terms(const struct watchlist *w)
{
	return w->n_terms;
}

void
watchset_literals(const struct watchset *s,
    void (*each)(void *ctx, const char *lit), void *ctx)
{
	size_t i, k;

	for (i = 0; i < s->n; i++)
		for (k = 0; k < s->lists[i]->n_lits; k++)
			each(ctx, s->lists[i]->lit_words[k]);
}

size_t
watchlist_n_unfiltered(const struct watchlist *w)
{
	size_t i, n = 0;

	for (i = 0; i < w->n_terms; i++)
		if (w->terms[i].always || !w->terms[i].lits)
			n++;
	return n;
}

size_t
watchlist_n_alerts(const struct watchlist *w)
{
	return w->n_alerts;
}

/* ---- watchsets ---- */

struct watchset *
watchset_new(void)
{
	struct watchset *s = xcalloc(1, sizeof(*s));

	s->ix = xcalloc(1, sizeof(*s->ix));
	return s;
}

void
watchset_free(struct watchset *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		watchlist_free(s->lists[i]);
	free(s->lists);
	prefilter_free(s->ix->pf);
	free(s->ix->ll_start);
	free(s->ix->ll);
	match_work_free(s->ix->own);
	free(s->ix);
	free(s);
}

/*
 * One automaton for the literals of all the lists (they share many, and
 * the text is read once), each of its literals mapped to the lists'
 * literals; built again on each add.
 */
static void
watchset_prefilter(const struct watchset *s)
{
	uint32_t *gid;
	size_t n = 0, i, k, m;

	prefilter_free(s->ix->pf);
	free(s->ix->ll_start);
	free(s->ix->ll);
	s->ix->pf = prefilter_new();
	for (i = 0; i < s->n; i++)
		n += s->lists[i]->n_lits;
	gid = xcalloc(n + 1, sizeof(*gid));
	s->ix->ll = xcalloc(n + 1, sizeof(*s->ix->ll));
	for (i = 0, m = 0; i < s->n; i++)
		for (k = 0; k < s->lists[i]->n_lits; k++) {
			const char *word = s->lists[i]->lit_words[k];

			gid[m++] = prefilter_add(s->ix->pf, word, strlen(word));
		}
	prefilter_build(s->ix->pf);
	/* runs of ll[] by the set's literal, lists in order */
	s->ix->ll_start = xcalloc(prefilter_n_literals(s->ix->pf) + 2,
	    sizeof(*s->ix->ll_start));
	for (m = 0; m < n; m++)
		s->ix->ll_start[gid[m] + 1]++;
	for (k = 0; k < prefilter_n_literals(s->ix->pf); k++)
		s->ix->ll_start[k + 1] += s->ix->ll_start[k];
	for (i = 0, m = 0; i < s->n; i++)
		for (k = 0; k < s->lists[i]->n_lits; k++, m++) {
			struct list_lit *l = &s->ix->ll[s->ix->ll_start[gid[m]]++];

			l->list = (uint32_t)i;
			l->lit = (uint32_t)k;
		}
	/* the fill moved each start to the next one's: move them back */
	for (k = prefilter_n_literals(s->ix->pf); k > 0; k--)
		s->ix->ll_start[k] = s->ix->ll_start[k - 1];
	s->ix->ll_start[0] = 0;
	free(gid);
}

static int
term_key_cmp(const void *x, const void *y)
{
	const struct term *a = *(const struct term *const *)x;
	const struct term *b = *(const struct term *const *)y;

	if (a->case_sensitive != b->case_sensitive)
		return a->case_sensitive ? 1 : -1;
	return strcmp(a->key, b->key);
}

/* The terms with a key that are in the set more than once: twins. */
static void
watchset_twins(const struct watchset *s)
{
	struct term **v = NULL;
	size_t n = 0, i, j, k;

	s->ix->n_twins = 0;
	for (i = 0; i < s->n; i++)
		n += s->lists[i]->n_terms;
	v = xcalloc(n + 1, sizeof(struct term *));
	n = 0;
	for (i = 0; i < s->n; i++)
		for (j = 0; j < s->lists[i]->n_terms; j++) {
			struct term *t = &s->lists[i]->terms[j];

			t->twin = TWIN_NONE;
			if (t->key && t->code)
				v[n++] = t;
		}
	if (n > 1)
		qsort(v, n, sizeof(struct term *), term_key_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && term_key_cmp(&v[i], &v[j]) == 0; j++)
			;
		if (j - i < 2)
			continue;
		for (k = i; k < j; k++)
			v[k]->twin = (uint32_t)s->ix->n_twins;
		s->ix->n_twins++;
	}
	free(v);
}

/* The set's automaton and twins as its lists are now. */
static void
watchset_build(const struct watchset *s)
{
	if (!s->ix->stale)
		return;
	watchset_prefilter(s);
	watchset_twins(s);
	s->ix->stale = false;
}

int
watchset_prepare(struct watchset *s)
{
	watchset_build(s);
	/*
	 * PCRE2's JIT learns the page size on its first stack and keeps it
	 * in a static: let that first time be here, in the thread that
	 * prepares, not in two workers making their works at once
	 * (helgrind).
	 */
	pcre2_jit_stack_free(pcre2_jit_stack_create((size_t)32 * 1024,
	    MATCH_JIT_STACK_MAX, NULL));
	return 0;
}

struct match_work *
match_work_new(const struct watchset *s)
{
	struct match_work *mw = xcalloc(1, sizeof(*mw));
	size_t i;
	unsigned f;

	buf_init(&mw->join, 0);
	for (f = 0; f < HIT_FIELD_MAX; f++) {
		buf_init(&mw->norm[f], 0);
		buf_init(&mw->fold[f], 0);
	}
	mw->x = xcalloc(s->n + 1, sizeof(*mw->x));
	for (i = 0; i < s->n; i++)
		scratch_init(&mw->x[i], s->lists[i]);
	mw->n_lists = s->n;
	mw->n_twins = s->ix->n_twins;
	mw->twins = xcalloc(mw->n_twins + 1, sizeof(*mw->twins));
	mw->md = pcre2_match_data_create(1, NULL);
	mw->mctx = pcre2_match_context_create(NULL);
	if (!mw->md || !mw->mctx) {
		match_work_free(mw);
		return NULL;
	}
	(void)pcre2_set_match_limit(mw->mctx, MATCH_LIMIT);
	(void)pcre2_set_depth_limit(mw->mctx, MATCH_DEPTH_LIMIT);
	(void)pcre2_set_heap_limit(mw->mctx, MATCH_HEAP_LIMIT_KIB);
	/* NULL when PCRE2 has no JIT: then the default stack is unused */
	mw->jit_stack = pcre2_jit_stack_create((size_t)32 * 1024,
	    MATCH_JIT_STACK_MAX, NULL);
	if (mw->jit_stack)
		pcre2_jit_stack_assign(mw->mctx, NULL, mw->jit_stack);
	return mw;
}

void
match_work_free(struct match_work *mw)
{
	size_t i;
	unsigned f;

	if (!mw)
		return;
	for (i = 0; i < mw->n_lists; i++)
		scratch_done(&mw->x[i]);
	free(mw->x);
	for (i = 0; i < mw->n_twins; i++)
		free(mw->twins[i].spans);
	free(mw->twins);
	buf_done(&mw->join);
	for (f = 0; f < HIT_FIELD_MAX; f++) {
		buf_done(&mw->norm[f]);
		buf_done(&mw->fold[f]);
	}
	pcre2_match_data_free(mw->md);
	pcre2_jit_stack_free(mw->jit_stack);
	pcre2_match_context_free(mw->mctx);
	free(mw);
}

int
watchset_add(struct watchset *s, struct watchlist *w)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->lists[i]->name, w->name) == 0)
			return -EEXIST;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	s->lists = xrealloc(s->lists, (s->n + 1) * sizeof(*s->lists));
	s->lists[s->n++] = w;
	s->ix->stale = true;
	return 0;
}

size_t
watchset_size(const struct watchset *s)
{
	return s->n;
}

/* ---- matching ---- */


static bool
limit_error(int rc)
{
	return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

/* Room for one more span in an array of n: capacity doubles at powers of
 * two (at most MATCH_MAX_SPANS per field, so few reallocations). */
static struct hit_span *
span_grow(struct hit_span *v, size_t n)
{
	if (n == 0 || (n >= 8 && (n & (n - 1)) == 0))
		v = xrealloc(v, (n < 8 ? 8 : 2 * n) * sizeof(*v));
	return v;
}

/* All non-empty matches of t in text; false when a limit was hit. */
static bool
term_run(const struct match_work *mw, const struct term *t,
    const char *text, size_t len, enum hit_field field,
    struct term_found *f)
{
	size_t start = 0;

	while (start <= len && f->n_field[field] < MATCH_MAX_SPANS) {
		PCRE2_SIZE *ov;
		size_t a, b;
		int rc;

		rc = pcre2_match(t->code, (PCRE2_SPTR)text, len, start, 0,
		    mw->md, mw->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			return true;
		if (rc < 0)
			return !limit_error(rc);	/* others: no match */
		ov = pcre2_get_ovector_pointer(mw->md);
		a = ov[0];
		b = ov[1];
		if (b > a) {
			struct hit_span *sp;

			f->spans = span_grow(f->spans, f->n_spans);
			sp = &f->spans[f->n_spans++];
			sp->field = field;
			sp->start = a;
			sp->end = b;
			sp->term = 0;
			f->n_field[field]++;
			start = b;
		} else {
			/* an empty match: go on after one character */
			start = a > start ? a : start;
			if (start >= len)
				break;
			start++;
			while (start < len &&
			    ((unsigned char)text[start] & 0xc0) == 0x80)
				start++;
		}
	}
	return true;
}

/*
 * Where free part k of t next matches from start on, in fr[k]; SIZE_MAX
 * when nowhere.  False when a limit was hit.
 */
static bool
free_next(const struct match_work *mw, const struct term *t, size_t k,
    const char *text, size_t len, size_t start, size_t *fr)
{
	int rc;

	fr[k] = SIZE_MAX;
	if (start > len)
		return true;
	rc = pcre2_match(t->code_free[k], (PCRE2_SPTR)text, len, start, 0,
	    mw->md, mw->mctx);
	if (rc >= 0)
		fr[k] = pcre2_get_ovector_pointer(mw->md)[0];
	else if (limit_error(rc))
		return false;
	return true;
}

/*
 * The same matches as term_run() for a term whose phrases start with a
 * literal word: tried anchored at each place where a first word occurs
 * (sorted), and where one of its free parts matches on its own, since no
 * match can start anywhere else.
 */
static bool
term_run_at(const struct match_work *mw, const struct term *t,
    const char *text, size_t len, enum hit_field field,
    struct term_found *f, const struct anchor *at, size_t n_at)
{
	size_t fr[TERM_FREE_MAX];	/* where each free part matches next */
	size_t i = 0, k, cur = 0;

	for (k = 0; k < t->n_free; k++)
		if (!free_next(mw, t, k, text, len, 0, fr))
			return false;
	while (f->n_field[field] < MATCH_MAX_SPANS) {
		struct hit_span *sp;
		PCRE2_SIZE *ov;
		size_t p = SIZE_MAX;
		int rc;

		while (i < n_at && at[i].start < cur)
			i++;
		if (i < n_at)
			p = at[i].start;
		for (k = 0; k < t->n_free; k++) {
			if (fr[k] < cur &&
			    !free_next(mw, t, k, text, len, cur, fr))
				return false;
			if (fr[k] < p)
				p = fr[k];
		}
		if (p > len)
			break;
		rc = pcre2_match(t->code_at, (PCRE2_SPTR)text, len, p, 0,
		    mw->md, mw->mctx);
		if (rc < 0 && limit_error(rc))
			return false;
		ov = pcre2_get_ovector_pointer(mw->md);
		if (rc < 0 || ov[1] <= ov[0]) {
			/* on to the next place, a character on */
			cur = p + 1;
			while (cur < len &&
			    ((unsigned char)text[cur] & 0xc0) == 0x80)
				cur++;
			continue;
		}
		f->spans = span_grow(f->spans, f->n_spans);
		sp = &f->spans[f->n_spans++];
		sp->field = field;
		sp->start = ov[0];
		sp->end = ov[1];
		sp->term = 0;
		f->n_field[field]++;
		cur = ov[1];
	}
	return true;
}

static int
span_cmp(const void *x, const void *y)
{
	const struct hit_span *a = x, *b = y;

	if (a->field != b->field)
		return a->field < b->field ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->term != b->term)
		return a->term < b->term ? -1 : 1;
	return 0;
}

/*
 * Keyword in context: up to MATCH_SNIPPET_CONTEXT characters each side of
 * [a, b) in text, cut at a blank when there is one, "…" where text goes
 * on, one line.
 */
static char *
snippet_make(const char *text, size_t len, size_t a, size_t b)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t from = a, to = b, i, k;
	struct buf out;
	bool blank = false;

	/* a long match shows its start only */
	for (i = a, k = 0; i < b; i++)
		if ((t[i] & 0xc0) != 0x80 && ++k > (size_t)2 * MATCH_SNIPPET_CONTEXT) {
			b = to = i;
			break;
		}
	for (k = 0; from > 0 && k < MATCH_SNIPPET_CONTEXT; k++) {
		from--;
		while (from > 0 && (t[from] & 0xc0) == 0x80)
			from--;
	}
	for (k = 0; to < len && k < MATCH_SNIPPET_CONTEXT; k++) {
		to++;
		while (to < len && (t[to] & 0xc0) == 0x80)
			to++;
	}
	/* do not show half words at the cuts */
	if (from > 0)
		for (i = from; i < a; i++)
			if (t[i] == ' ' || t[i] == '\n') {
				from = i + 1;
				break;
			}
	if (to < len)
		for (i = to; i > b; i--)
			if (t[i - 1] == ' ' || t[i - 1] == '\n') {
				to = i - 1;
				break;
			}
	buf_init(&out, 0);
	if (from > 0)
		(void)buf_adds(&out, "…");
	for (i = from; i < to; i++) {
		if (t[i] == ' ' || t[i] == '\n' || t[i] == '\t') {
			blank = out.len > 0;
			continue;
		}
		if (blank)
			(void)buf_addc(&out, ' ');
		blank = false;
		(void)buf_addc(&out, (char)t[i]);
	}
	if (to < len)
		(void)buf_adds(&out, blank ? " …" : "…");
	return buf_steal(&out);
}

struct hits {
	struct hit *v;
	size_t n;
};

/* Fire one alert (a == NULL: "any term") with the terms in order[]. */
static void
hit_add(struct hits *h, const struct watchlist *w, const struct alert *a,
    const unsigned *order, size_t n_order,
    struct term_found *const *found, const char *const text[HIT_FIELD_MAX],
    const size_t text_len[HIT_FIELD_MAX])
{
	enum alert_in in = a ? a->in : ALERT_IN_ANY;
	const struct hit_span *first = NULL;
	struct hit *hit;
	size_t i, j, n_terms = 0, n_spans = 0;

	h->v = xrealloc(h->v, (h->n + 1) * sizeof(*h->v));
	hit = &h->v[h->n++];
	memset(hit, 0, sizeof(*hit));
	hit->watchlist = xstrdup(w->name);
	hit->alert = xstrdup(a ? a->name : MATCH_ANY_TERM);
	hit->score = a ? a->score : 1;
	hit->notify = a ? a->notify : true;
	hit->terms = xcalloc(n_order + 1, sizeof(char *));
	/* the spans counted first, for one allocation */
	for (i = 0; i < n_order; i++) {
		const struct term_found *f = found[order[i]];

		if (!in_field(in, f))
			continue;
		for (j = 0; j < f->n_spans; j++)
			n_spans += span_in(in, &f->spans[j]);
	}
	if (n_spans > 0)
		hit->spans = xcalloc(n_spans, sizeof(*hit->spans));
	for (i = 0; i < n_order; i++) {
		const struct term_found *f = found[order[i]];

		if (!in_field(in, f))
			continue;
		for (j = 0; j < f->n_spans; j++) {
			struct hit_span *sp;

			if (!span_in(in, &f->spans[j]))
				continue;
			sp = &hit->spans[hit->n_spans++];
			*sp = f->spans[j];
			sp->term = (unsigned)n_terms;
		}
		hit->terms[n_terms++] = xstrdup(w->terms[order[i]].name);
	}
	qsort(hit->spans, hit->n_spans, sizeof(*hit->spans), span_cmp);
	/* sorted by field, title first: the body's first span if any */
	for (i = 0; i < hit->n_spans; i++) {
		if (!first || hit->spans[i].field == HIT_FIELD_BODY)
			first = &hit->spans[i];
		if (first->field == HIT_FIELD_BODY)
			break;
	}
	if (first)
		hit->snippet = snippet_make(text[first->field],
		    text_len[first->field], first->start, first->end);
	else
		hit->snippet = xstrdup("");
}

static int
u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static int
anchor_cmp(const void *x, const void *y)
{
	const struct anchor *a = x, *b = y;

	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	if (a->field != b->field)
		return a->field < b->field ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

/*
 * Sort the anchors by slot, field and start: by slot counting, then by
 * insertion, since they come field by field and nearly in order of start
 * (the prefilter reports by end); qsort() when they are far from it.
 */
static void
anchors_sort(struct scratch *x)
{
	uint32_t *count = x->slot_count;
	struct anchor *v = x->anchors_tmp, tmp;
	size_t i, j, moves = 0;

	memset(count, 0, (x->n_cand + 1) * sizeof(*count));
	for (i = 0; i < x->n_anchors; i++)
		count[x->anchors[i].slot + 1]++;
	for (i = 0; i < x->n_cand; i++)
		count[i + 1] += count[i];
	for (i = 0; i < x->n_anchors; i++)
		v[count[x->anchors[i].slot]++] = x->anchors[i];
	x->anchors_tmp = x->anchors;
	x->anchors = v;
	for (i = 1; i < x->n_anchors; i++) {
		if (anchor_cmp(&v[i - 1], &v[i]) <= 0)
			continue;
		tmp = v[i];
		for (j = i; j > 0 && anchor_cmp(&v[j - 1], &tmp) > 0; j--)
			v[j] = v[j - 1];
		v[j] = tmp;
		moves += i - j;
		if (moves > 8 * x->n_anchors) {
			qsort(v, x->n_anchors, sizeof(*v), anchor_cmp);
			return;
		}
	}
}

/* prefilter_scan()'s callback: note the occurrence, count the words. */
static void
on_literal(void *ud, uint32_t lit, size_t start)
{
	struct scratch *x = ud;
	const struct watchlist *w = x->w;
	struct occurrence *o;
	uint32_t k;

	if (x->n_occ == x->alloc_occ) {
		x->alloc_occ = x->alloc_occ ? 2 * x->alloc_occ : 64;
		x->occ = xrealloc(x->occ, x->alloc_occ * sizeof(*x->occ));
	}
	o = &x->occ[x->n_occ++];
	o->lit = lit;
	o->field = x->field;
	o->start = x->map ? x->map[start] : start;
	if (x->lit_seen[lit])
		return;
	x->lit_seen[lit] = true;
	x->lits_found[x->n_lits_found++] = lit;
	for (k = w->lg_start[lit]; k < w->lg_start[lit + 1]; k++) {
		uint32_t g = w->lg[k] >> 1, t = w->group_term[g];

		if (++x->have[g] == w->group_need[g] && !x->term_seen[t]) {
			x->term_seen[t] = true;
			x->cand[x->n_cand++] = t;
		}
	}
}

/* What on_set_literal() reads the set's index from and writes to. */
struct set_scan {
	const struct set_index *ix;
	struct scratch *x;		/* by list */
};

/* prefilter_scan()'s callback for the watchset: to each list's. */
static void
on_set_literal(void *ud, uint32_t lit, size_t start)
{
	const struct set_scan *sc = ud;
	const struct set_index *ix = sc->ix;
	uint32_t k;

	for (k = ix->ll_start[lit]; k < ix->ll_start[lit + 1]; k++)
		on_literal(&sc->x[ix->ll[k].list], ix->ll[k].lit, start);
}

/* Every literal of every list in the folded fields, to each scratch. */
static void
watchset_scan(const struct watchset *s, struct match_work *mw,
    const char *const fold[HIT_FIELD_MAX],
    const size_t fold_len[HIT_FIELD_MAX],
    const uint32_t *const map[HIT_FIELD_MAX])
{
	struct set_scan sc = { s->ix, mw->x };
	size_t i;
	unsigned f;

	if (!s->ix->pf)
		return;
	for (f = 0; f < HIT_FIELD_MAX; f++) {
		for (i = 0; i < mw->n_lists; i++) {
			mw->x[i].field = f;
			mw->x[i].map = map[f];
		}
		prefilter_scan(s->ix->pf, fold[f], fold_len[f], on_set_literal,
		    &sc);
	}
}

/*
 * The terms worth running, in x->cand (sorted): those with a phrase
 * whose words the prefilter all found in the folded text (watchset_scan()
 * ran), with the places their phrases may start in x->anchors, and those
 * it cannot rule out.
 */
/*
 * Is the character before text[at] certainly a letter or a digit (see
 * word_cp())?  Anything else is false, which only keeps an anchor that
 * may not be needed.  text is valid UTF-8 (the match form): two bytes
 * before at that word_cp() takes are a whole character.
 */
static bool
word_before(const char *text, size_t at)
{
	const unsigned char *p = (const unsigned char *)text;

	if (at == 0)
		return false;
	if (p[at - 1] < 0x80)
		return word_cp(p + at - 1, 1) >= 0;
	return at >= 2 && word_cp(p + at - 2, 2) >= 0;
}

static void
candidates(const struct watchset *s, struct scratch *x,
    const char *const text[HIT_FIELD_MAX])
{
	const struct watchlist *w = x->w;
	size_t i;
	uint32_t k;

	if (s->naive) {
		x->n_cand = 0;
		for (i = 0; i < w->n_terms; i++)
			x->cand[x->n_cand++] = (uint32_t)i;
		return;
	}
	for (i = 0; i < w->n_always; i++)
		if (!x->term_seen[w->always[i]]) {
			x->term_seen[w->always[i]] = true;
			x->cand[x->n_cand++] = w->always[i];
		}
	if (x->n_cand > 1)
		qsort(x->cand, x->n_cand, sizeof(*x->cand), u32_cmp);
	for (i = 0; i < x->n_cand; i++)
		x->slot[x->cand[i]] = (uint32_t)i;
	for (i = 0; i < x->n_occ; i++) {
		const struct occurrence *o = &x->occ[i];

		for (k = w->lg_start[o->lit]; k < w->lg_start[o->lit + 1];
		    k++) {
			uint32_t g = w->lg[k] >> 1;
			struct anchor *a;

			if (!(w->lg[k] & 1))
				break;		/* not a first word, nor the rest */
			if (x->have[g] < w->group_need[g])
				continue;
			/* a word start cannot follow a letter */
			if (w->group_edge[g] && word_before(text[o->field],
			    o->start))
				continue;
			if (x->n_anchors == x->alloc_anchors) {
				x->alloc_anchors = x->alloc_anchors ?
				    2 * x->alloc_anchors : 64;
				x->anchors = xrealloc(x->anchors,
				    x->alloc_anchors * sizeof(*x->anchors));
				x->anchors_tmp = xrealloc(x->anchors_tmp,
				    x->alloc_anchors * sizeof(*x->anchors));
			}
			a = &x->anchors[x->n_anchors++];
			a->slot = x->slot[w->group_term[g]];
			a->field = o->field;
			a->start = o->start;
		}
	}
	if (x->n_anchors > 1)
		anchors_sort(x);
}

/* Leave the scratch clean for the next entry. */
static void
scratch_reset(struct scratch *x)
{
	const struct watchlist *w = x->w;
	size_t i;
	uint32_t k;

	for (i = 0; i < x->n_lits_found; i++) {
		uint32_t lit = x->lits_found[i];

		x->lit_seen[lit] = false;
		for (k = w->lg_start[lit]; k < w->lg_start[lit + 1]; k++)
			x->have[w->lg[k] >> 1] = 0;
	}
	x->n_lits_found = 0;
	for (i = 0; i < x->n_cand; i++) {
		x->term_seen[x->cand[i]] = false;
		x->slot[x->cand[i]] = SLOT_NONE;
		x->found[x->cand[i]] = NULL;
		x->matched[x->cand[i]] = false;
	}
	x->n_cand = 0;
	x->n_occ = 0;
	x->n_anchors = 0;
}

/* What t finds in the fields, with its anchors (sorted by field) when it
 * runs anchored; false when over a limit. */
static bool
term_find(const struct watchset *s, const struct match_work *mw,
    const struct term *t, const char *const text[HIT_FIELD_MAX],
    const size_t text_len[HIT_FIELD_MAX], struct term_found *tf,
    const struct anchor *at, size_t n_at)
{
	size_t b = 0, e;
	unsigned f;

	for (f = 0; f < HIT_FIELD_MAX; f++) {
		bool fine;

		if (s->naive || !t->code_at)
			fine = term_run(mw, t, text[f], text_len[f],
			    (enum hit_field)f, tf);
		else {
			while (b < n_at && at[b].field < f)
				b++;
			e = b;
			while (e < n_at && at[e].field == f)
				e++;
			fine = term_run_at(mw, t, text[f], text_len[f],
			    (enum hit_field)f, tf, e > b ? at + b : NULL,
			    e - b);
		}
		if (!fine)
			return false;
	}
	return true;
}

/* A twin's find, kept for the others this entry. */
static void
twin_keep(struct twin *tw, const struct term_found *tf)
{
	tw->done = true;
	tw->n_spans = tf->n_spans;
	memcpy(tw->n_field, tf->n_field, sizeof(tw->n_field));
	if (tf->n_spans > 0) {
		tw->spans = xrealloc(tw->spans,
		    tf->n_spans * sizeof(*tw->spans));
		memcpy(tw->spans, tf->spans, tf->n_spans * sizeof(*tw->spans));
	}
}

static void
twin_take(const struct twin *tw, struct term_found *tf)
{
	tf->n_spans = tw->n_spans;
	memcpy(tf->n_field, tw->n_field, sizeof(tf->n_field));
	tf->spans = NULL;
	if (tw->n_spans > 0) {
		tf->spans = xmalloc(tw->n_spans * sizeof(*tf->spans));
		memcpy(tf->spans, tw->spans, tw->n_spans * sizeof(*tf->spans));
	}
}

static void
watchlist_match(const struct watchset *s, struct match_work *mw,
    struct scratch *x, const char *const text[HIT_FIELD_MAX],
    const size_t text_len[HIT_FIELD_MAX], struct hits *h, bool *limited)
{
	const struct watchlist *w = x->w;
	struct term_found *slots;
	unsigned *all;
	size_t i, n_all = 0, n_slots = 0, a = 0;

	if (w->n_terms == 0)
		return;
	candidates(s, x, text);
	slots = x->slots;
	all = x->all;
	for (i = 0; i < x->n_cand; i++) {
		const struct term *t = &w->terms[x->cand[i]];
		struct term_found *tf = &slots[n_slots];
		size_t a_end;

		/* this term's anchors, by field */
		while (a < x->n_anchors && x->anchors[a].slot < i)
			a++;
		a_end = a;
		while (a_end < x->n_anchors && x->anchors[a_end].slot == i)
			a_end++;
		if (!t->code)
			continue;
		if (!s->naive && t->twin != TWIN_NONE &&
		    mw->twins[t->twin].done)
			twin_take(&mw->twins[t->twin], tf);
		else if (!term_find(s, mw, t, text, text_len, tf,
		    a_end > a ? x->anchors + a : NULL, a_end - a)) {
			/* over its limits: no match at all */
			*limited = true;
			free(tf->spans);
			memset(tf, 0, sizeof(*tf));
		} else if (!s->naive && t->twin != TWIN_NONE)
			twin_keep(&mw->twins[t->twin], tf);
		if (tf->n_spans > 0) {
			x->found[x->cand[i]] = tf;
			n_slots++;
			all[n_all++] = x->cand[i];
		}
	}
	if (w->n_alerts == 0 && n_all > 0)
		hit_add(h, w, NULL, all, n_all, x->found, text, text_len);
	for (i = 0; n_all > 0 && i < w->n_alerts; i++) {
		const struct alert *al = &w->alerts[i];
		struct eval ev = { x->matched,
		    (const struct term_found *const *)x->found, al->in, text };
		size_t k;

		for (k = 0; k < n_all; k++)
			x->matched[all[k]] = in_field(al->in,
			    x->found[all[k]]);
		if (query_eval(al->query, &ev))
			hit_add(h, w, al, al->pos_terms, al->n_pos_terms,
			    x->found, text, text_len);
	}
	for (i = 0; i < n_slots; i++)
		free(slots[i].spans);
	/* the one after the last may have been tried too */
	memset(slots, 0, (n_slots + 1) * sizeof(*slots));
	scratch_reset(x);
}

/* Up to n characters of s before (back) or from p, on character edges. */
static size_t
chars_back(const char *s, size_t p, size_t n)
{
	while (p > 0 && n > 0) {
		p--;
		while (p > 0 && ((unsigned char)s[p] & 0xc0) == 0x80)
			p--;
		n--;
	}
	return p;
}

static size_t
chars_fwd(const char *s, size_t len, size_t p, size_t n)
{
	while (p < len && n > 0) {
		p++;
		while (p < len && ((unsigned char)s[p] & 0xc0) == 0x80)
			p++;
		n--;
	}
	return p;
}

/* Append s[a, b) on one line: line breaks and tabs as spaces. */
static void
add_flat(struct buf *b, const char *s, size_t a, size_t e)
{
	for (; a < e; a++)
		(void)buf_addc(b, s[a] == '\n' || s[a] == '\t' ? ' ' : s[a]);
}

char *
match_span_context(const char *text, const struct hit_span *sp,
    size_t chars)
{
	size_t len = strlen(text), a, e;
	struct buf b;

	if (sp->end > len || sp->start > sp->end)
		return xstrdup("(span outside the text)");
	a = chars_back(text, sp->start, chars);
	e = chars_fwd(text, len, sp->end, chars);
	buf_init(&b, 0);
	if (a > 0)
		(void)buf_adds(&b, "…");
	add_flat(&b, text, a, sp->start);
	(void)buf_addc(&b, '[');
	add_flat(&b, text, sp->start, sp->end);
	(void)buf_addc(&b, ']');
	add_flat(&b, text, sp->end, e);
	if (e < len)
		(void)buf_adds(&b, "…");
	return buf_steal(&b);
}

/* The text of field f of e, the body's two parts joined in join. */
static const char *
field_text(const struct entry *e, enum hit_field f, struct buf *join,
    size_t *ret_len)
{
	const char *s;

	if (f == HIT_FIELD_TITLE)
		s = e->title.s;
	else if (e->summary.s && e->content.s) {
		buf_reset(join);
		(void)buf_adds(join, e->summary.s);
		(void)buf_addc(join, '\n');
		(void)buf_adds(join, e->content.s);
		*ret_len = join->len;
		return join->data;
	} else
		s = e->summary.s ? e->summary.s : e->content.s;
	if (!s)
		s = "";
	*ret_len = strlen(s);
	return s;
}

char *
match_text(const struct entry *e, enum hit_field field)
{
	struct buf join, norm;
	const char *s;
	size_t len;
	char *r = NULL;
	int q;

	buf_init(&join, 0);
	buf_init(&norm, 0);
	s = field_text(e, field, &join, &len);
	q = text_normalise_buf(s, len, &norm);
	if (q >= 0)
		r = q > 0 ? buf_steal(&norm) : xstrndup(s, len);
	buf_done(&join);
	buf_done(&norm);
	return r;
}

/* Give back what a big entry made match_entry()'s buffers grow to. */
static void
buf_trim(struct buf *b)
{
	if (b->alloc > MATCH_KEEP_BYTES)
		buf_done(b);
}

int
match_entry_with(const struct watchset *s, struct match_work *mw,
    const struct entry *e, struct hit **ret_hits, size_t *ret_n_hits)
{
	const char *text[HIT_FIELD_MAX], *fold[HIT_FIELD_MAX];
	uint32_t *map[HIT_FIELD_MAX] = { NULL };
	size_t text_len[HIT_FIELD_MAX], fold_len[HIT_FIELD_MAX];
	struct hits h = { NULL, 0 };
	bool limited = false;
	int r = -ENOMEM;
	unsigned f;
	size_t i;

	/* a work for the set as it was, or a set not prepared since */
	if (s->ix->stale || mw->n_lists != s->n ||
	    mw->n_twins != s->ix->n_twins)
		return -ESTALE;
	for (f = 0; f < HIT_FIELD_MAX; f++) {
		const char *src;
		size_t len;
		int q;

		/* the match form of the field (most often its display text
		 * as it is) and, for the prefilter, its fold */
		src = field_text(e, (enum hit_field)f, &mw->join, &len);
		fold[f] = "";
		fold_len[f] = 0;
		if (!s->naive) {
			if (text_match_fold(src, len, &mw->norm[f],
			    &mw->fold[f], &text[f], &text_len[f], &map[f]) < 0)
				goto out;
			fold[f] = mw->fold[f].data;
			fold_len[f] = mw->fold[f].len;
			continue;
		}
		q = text_normalise_buf(src, len, &mw->norm[f]);
		if (q < 0)
			goto out;
		text[f] = q > 0 ? mw->norm[f].data : src;
		text_len[f] = q > 0 ? mw->norm[f].len : len;
	}
	if (!s->naive)
		watchset_scan(s, mw, fold, fold_len,
		    (const uint32_t *const *)map);
	for (i = 0; i < mw->n_lists; i++)
		watchlist_match(s, mw, &mw->x[i], text, text_len, &h,
		    &limited);
	for (i = 0; i < mw->n_twins; i++)
		mw->twins[i].done = false;
	*ret_hits = h.v;
	*ret_n_hits = h.n;
	r = limited ? -ETIME : 0;
out:
	buf_trim(&mw->join);
	for (f = 0; f < HIT_FIELD_MAX; f++) {
		free(map[f]);
		buf_trim(&mw->norm[f]);
		buf_trim(&mw->fold[f]);
	}
	return r;
}

int
match_entry(const struct watchset *s, const struct entry *e,
    struct hit **ret_hits, size_t *ret_n_hits)
{
	struct set_index *ix = s->ix;

	/* built again, and a new work for it, after an add */
	if (ix->stale) {
		watchset_build(s);
		match_work_free(ix->own);
		ix->own = NULL;
	}
	if (!ix->own)
		ix->own = match_work_new(s);
	if (!ix->own)
		return -ENOMEM;
	return match_entry_with(s, ix->own, e, ret_hits, ret_n_hits);
}

void
watchset_set_naive(struct watchset *s, bool naive)
{
	size_t i, j;

	for (i = 0; naive && i < s->n; i++)
		for (j = 0; j < s->lists[i]->n_terms; j++) {
			struct term *t = &s->lists[i]->terms[j];

			if (t->code && !t->code_jit)
				t->code_jit = term_jit(t, t->code);
		}
	s->naive = naive;
}
