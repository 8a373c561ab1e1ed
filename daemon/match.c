/*
 * match.c: watchlists (INI) compiled to one PCRE2 pattern per term, alert
 * queries parsed to small trees, entries matched to hits with spans and a
 * snippet.  Pure: no I/O and no logging; touches memory only.
 *
 * Choices users see (for reewatch.watch(5)):
 * - `*` ends a word and truncates it: "rare earth*" matches "rare earths"
 *   and also "rare earthenware"; without `*` a phrase ends at a word edge.
 * - Phrases match the match form of the text (text_normalise(): NFC, ё as
 *   е, ASCII quotes and dashes), caseless unless `case = sensitive`.
 * - Query operators are upper case only (AND, OR, NOT); "and" is a name.
 * - The snippet comes from the body when one of the hit's spans is there
 *   (the title is shown beside it anyway), else from the title, and is cut
 *   from the match form of the text.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ini.h"
#include "match.h"
#include "text.h"

#define MATCH_LIMIT		100000	/* pcre2_set_match_limit() */
#define MATCH_DEPTH_LIMIT	1000	/* backtracking frames */
#define MATCH_HEAP_LIMIT_KIB	20000
#define MATCH_JIT_STACK_MAX	(512 * 1024)
#define MATCH_MAX_SPANS		256	/* kept per term and field */
#define QUERY_MAX_DEPTH		64	/* nested parentheses and NOTs */
#define QUERY_MAX_NODES		1000

/* Between two words of a phrase: blanks and dashes, whatever kind. */
#define PHRASE_GAP	"[\\s\\-\\x{00A0}\\x{2010}-\\x{2015}\\x{2212}]"
#define WORD_CHAR	"[\\p{L}\\p{N}\\p{M}]"

enum query_op {
	QUERY_TERM,
	QUERY_NOT,
	QUERY_AND,
	QUERY_OR,
	QUERY_OP_MAX
};

/* A parsed query; NEAR/n will be one more op over the terms' spans. */
struct query {
	enum query_op op;
	unsigned term;			/* QUERY_TERM: index into terms */
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
	pcre2_code *code;
	bool jit;			/* JIT compiled; else the interpreter */
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
};

struct watchset {
	struct watchlist **lists;
	size_t n;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;	/* NULL without JIT */
};

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
    struct buf *out)
{
	_cleanup_free_ char *norm = text_normalise(phrase, strlen(phrase));
	const char *p, *prev_last = NULL;
	size_t prev_last_n = 0;
	bool first = true, trunc = false;

	if (!norm)
		return -ENOMEM;
	p = norm + strspn(norm, " -\n");
	if (!*p) {
		problem(rd, line, "empty phrase");
		return -EINVAL;
	}
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
				return -EINVAL;
			}
			trunc = true;
		}
		cn = utf8_char_len(p);
		if (first) {
			if (char_is(rd, rd->re_word, p, cn) &&
			    !char_is(rd, rd->re_nospace, p, cn))
				(void)buf_adds(out, "(?<!" WORD_CHAR ")");
		} else {
			bool tight = char_is(rd, rd->re_nospace, prev_last,
			    prev_last_n) || char_is(rd, rd->re_nospace, p, cn);

			(void)buf_adds(out, tight ? PHRASE_GAP "*" :
			    PHRASE_GAP "+");
		}
		word_add(out, p, wn);
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

static void
part_add(struct term *t, unsigned line)
{
	if (t->pattern.len > 0)
		(void)buf_addc(&t->pattern, '|');
	t->parts = xrealloc(t->parts, (t->n_parts + 1) * sizeof(*t->parts));
	t->parts[t->n_parts].offset = t->pattern.len;
	t->parts[t->n_parts].line = line;
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

		/* match = "rare earth" means what it says without quotes */
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
			v = xstrndup(value + 1, n - 2);
		else
			v = xstrdup(value);
		buf_init(&phrase, 0);
		if (phrase_compile(rd, v, line, &phrase) == 0) {
			part_add(t, line);
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
			part_add(t, line);
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
	t->jit = match_jit_wanted() &&
	    pcre2_jit_compile(t->code, PCRE2_JIT_COMPLETE) == 0;
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
	const struct watchlist *w;
	char *err;			/* the first problem */
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
	q->col = utf8_chars(s, i) + 1;
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
		else
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
	static const char *const lower[] = { "and", "or", "not" };
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
				    "case: AND, OR, NOT)", q->text);
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
			q_fail(q, "unknown term '%s' at column %zu (did you "
			    "mean '%s'?)", q->text, q->col, w->terms[i].name);
		else
			q_fail(q, "unknown term '%s' at column %zu", q->text,
			    q->col);
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
			q_fail(q, "query nests too deeply at column %zu",
			    q->col);
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
				q_fail(q, "expected AND, OR or ) at column %zu "
				    "(for the ( at column %zu), found %s",
				    q->col, open, found);
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
	q_fail(q, "expected a term name, NOT or ( at column %zu, found %s",
	    q->col, found);
	return NULL;
}

static struct query *
q_and(struct qparser *q)
{
	struct query *l = q_primary(q), *r;

	while (l && q->tok == TOKEN_AND) {
		q_next(q);
		r = q_primary(q);
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

/* Is the query true when exactly the terms with matched[i] set matched? */
static bool
query_eval(const struct query *n, const bool *matched)
{
	switch (n->op) {
	case QUERY_TERM:
		return matched[n->term];
	case QUERY_NOT:
		return !query_eval(n->left, matched);
	case QUERY_AND:
		return query_eval(n->left, matched) &&
		    query_eval(n->right, matched);
	case QUERY_OR:
		return query_eval(n->left, matched) ||
		    query_eval(n->right, matched);
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
	struct query *n;

	if (!a->query_src) {
		problem(rd, a->line, "alert '%s' has no query", a->name);
		return;
	}
	q_next(&q);
	n = q_or(&q);
	if (n && q.tok != TOKEN_END) {
		found = q_found(&q);
		if (q.tok == TOKEN_RPAREN)
			q_fail(&q, "unbalanced ) at column %zu", q.col);
		else
			q_fail(&q, "expected AND, OR or the end at column %zu, "
			    "found %s", q.col, found);
	}
	free(q.text);
	if (q.err) {
		query_free(n);
		problem(rd, a->query_line, "alert '%s': query: %s", a->name,
		    q.err);
		free(q.err);
		return;
	}
	none = xcalloc(rd->w->n_terms + 1, sizeof(bool));
	if (query_eval(n, none)) {
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
	free(t->name);
	buf_done(&t->pattern);
	free(t->parts);
	pcre2_code_free(t->code);
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
	free(w->name);
	free(w->title);
	free(w);
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
	struct reader rd = { .file = file, .d = d };
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

	s->mctx = pcre2_match_context_create(NULL);
	if (!s->mctx) {
		free(s);
		return NULL;
	}
	(void)pcre2_set_match_limit(s->mctx, MATCH_LIMIT);
	(void)pcre2_set_depth_limit(s->mctx, MATCH_DEPTH_LIMIT);
	(void)pcre2_set_heap_limit(s->mctx, MATCH_HEAP_LIMIT_KIB);
	/* NULL when PCRE2 has no JIT: then the default stack is unused */
	s->jit_stack = pcre2_jit_stack_create(32 * 1024, MATCH_JIT_STACK_MAX,
	    NULL);
	if (s->jit_stack)
		pcre2_jit_stack_assign(s->mctx, NULL, s->jit_stack);
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
	pcre2_jit_stack_free(s->jit_stack);
	pcre2_match_context_free(s->mctx);
	free(s);
}

int
watchset_add(struct watchset *s, struct watchlist *w)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->lists[i]->name, w->name) == 0)
			return -EEXIST;
	s->lists = xrealloc(s->lists, (s->n + 1) * sizeof(*s->lists));
	s->lists[s->n++] = w;
	return 0;
}

size_t
watchset_size(const struct watchset *s)
{
	return s->n;
}

/* ---- matching ---- */

/* What one term found in one entry. */
struct term_found {
	struct hit_span *spans;		/* .term unset here */
	size_t n_spans;
	size_t n_field[HIT_FIELD_MAX];
};

static bool
limit_error(int rc)
{
	return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

/* All non-empty matches of t in text; false when a limit was hit. */
static bool
term_run(const struct watchset *s, const struct term *t, const char *text,
    size_t len, enum hit_field field, pcre2_match_data *md,
    struct term_found *f)
{
	size_t start = 0;

	while (start <= len && f->n_field[field] < MATCH_MAX_SPANS) {
		PCRE2_SIZE *ov;
		size_t a, b;
		int rc;

		rc = pcre2_match(t->code, (PCRE2_SPTR)text, len, start, 0, md,
		    s->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			return true;
		if (rc < 0)
			return !limit_error(rc);	/* others: no match */
		ov = pcre2_get_ovector_pointer(md);
		a = ov[0];
		b = ov[1];
		if (b > a) {
			struct hit_span *sp;

			f->spans = xrealloc(f->spans,
			    (f->n_spans + 1) * sizeof(*f->spans));
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

static bool
in_field(enum alert_in in, const struct term_found *f)
{
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
		if ((t[i] & 0xc0) != 0x80 && ++k > 2 * MATCH_SNIPPET_CONTEXT) {
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
    const unsigned *order, size_t n_order, const struct term_found *found,
    const char *const text[HIT_FIELD_MAX],
    const size_t text_len[HIT_FIELD_MAX])
{
	enum alert_in in = a ? a->in : ALERT_IN_ANY;
	const struct hit_span *first = NULL;
	struct hit *hit;
	size_t i, j, n_terms = 0;

	h->v = xrealloc(h->v, (h->n + 1) * sizeof(*h->v));
	hit = &h->v[h->n++];
	memset(hit, 0, sizeof(*hit));
	hit->watchlist = xstrdup(w->name);
	hit->alert = xstrdup(a ? a->name : MATCH_ANY_TERM);
	hit->score = a ? a->score : 1;
	hit->notify = a ? a->notify : true;
	hit->terms = xcalloc(n_order + 1, sizeof(char *));
	for (i = 0; i < n_order; i++) {
		const struct term_found *f = &found[order[i]];

		if (!in_field(in, f))
			continue;
		for (j = 0; j < f->n_spans; j++) {
			struct hit_span *sp;

			if (!span_in(in, &f->spans[j]))
				continue;
			hit->spans = xrealloc(hit->spans,
			    (hit->n_spans + 1) * sizeof(*hit->spans));
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

static void
watchlist_match(const struct watchset *s, const struct watchlist *w,
    const char *const text[HIT_FIELD_MAX],
    const size_t text_len[HIT_FIELD_MAX], pcre2_match_data *md,
    struct hits *h, bool *limited)
{
	struct term_found *found = xcalloc(w->n_terms, sizeof(*found));
	bool *matched = xcalloc(w->n_terms, sizeof(bool));
	unsigned *all = xcalloc(w->n_terms, sizeof(unsigned));
	size_t i, n_all = 0;
	unsigned f;

	for (i = 0; i < w->n_terms; i++) {
		for (f = 0; f < HIT_FIELD_MAX; f++)
			if (!term_run(s, &w->terms[i], text[f], text_len[f],
			    (enum hit_field)f, md, &found[i])) {
				/* over its limits: no match at all */
				*limited = true;
				free(found[i].spans);
				memset(&found[i], 0, sizeof(found[i]));
				break;
			}
		if (found[i].n_spans > 0)
			all[n_all++] = (unsigned)i;
	}
	if (w->n_alerts == 0 && n_all > 0)
		hit_add(h, w, NULL, all, n_all, found, text, text_len);
	for (i = 0; n_all > 0 && i < w->n_alerts; i++) {
		const struct alert *a = &w->alerts[i];
		size_t t;

		for (t = 0; t < w->n_terms; t++)
			matched[t] = in_field(a->in, &found[t]);
		if (query_eval(a->query, matched))
			hit_add(h, w, a, a->pos_terms, a->n_pos_terms, found,
			    text, text_len);
	}
	for (i = 0; i < w->n_terms; i++)
		free(found[i].spans);
	free(found);
	free(matched);
	free(all);
}

int
match_entry(const struct watchset *s, const struct entry *e,
    struct hit **ret_hits, size_t *ret_n_hits)
{
	_cleanup_free_ char *title = NULL, *body = NULL;
	const char *text[HIT_FIELD_MAX];
	size_t text_len[HIT_FIELD_MAX];
	struct hits h = { NULL, 0 };
	pcre2_match_data *md;
	bool limited = false;
	struct buf b;
	size_t i;

	title = text_normalise(e->title.s ? e->title.s : "",
	    e->title.s ? strlen(e->title.s) : 0);
	buf_init(&b, 0);
	if (e->summary.s)
		(void)buf_adds(&b, e->summary.s);
	if (e->summary.s && e->content.s)
		(void)buf_addc(&b, '\n');
	if (e->content.s)
		(void)buf_adds(&b, e->content.s);
	body = text_normalise(b.data ? b.data : "", b.len);
	buf_done(&b);
	md = pcre2_match_data_create(1, NULL);
	if (!title || !body || !md) {
		pcre2_match_data_free(md);
		return -ENOMEM;
	}
	text[HIT_FIELD_TITLE] = title;
	text_len[HIT_FIELD_TITLE] = strlen(title);
	text[HIT_FIELD_BODY] = body;
	text_len[HIT_FIELD_BODY] = strlen(body);
	for (i = 0; i < s->n; i++)
		watchlist_match(s, s->lists[i], text, text_len, md, &h,
		    &limited);
	pcre2_match_data_free(md);
	*ret_hits = h.v;
	*ret_n_hits = h.n;
	return limited ? -ETIME : 0;
}
