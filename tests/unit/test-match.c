/*
 * test-match.c: watchlists compiled and matched the way an analyst sees
 * them: which terms and alerts fire on which headlines, and the messages
 * a broken watchlist gets; and one set shared by threads.  Reads
 * tests/data/watch/ and watchlists/; no other I/O.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "match.h"
#include "tap.h"
#include "text.h"

static const char alerts_watch[] =
	"[watchlist]\n"
	"name = ree-alerts\n"
	"[term alpha]\n"
	"match = alpha\n"
	"[term beta]\n"
	"match = beta\n"
	"[term gamma]\n"
	"match = gamma\n"
	"[term \"Mendeleev Valley\"]\n"
	"match = Mendeleev Valley\n"
	"[alert \"and\"]\n"
	"query = alpha AND beta\n"
	"[alert \"or\"]\n"
	"query = alpha OR gamma\n"
	"[alert \"not\"]\n"
	"query = alpha AND NOT beta\n"
	"[alert \"paren\"]\n"
	"query = (alpha OR beta) AND gamma\n"
	"[alert \"prec\"]\n"
	"query = gamma OR beta AND alpha   ; gamma OR (beta AND alpha)\n"
	"[alert \"quoted\"]\n"
	"query = \"Mendeleev Valley\" AND NOT (beta OR gamma)\n"
	"[alert \"title\"]\n"
	"query = alpha\n"
	"in = title\n"
	"score = 5\n"
	"notify = no\n"
	"[alert \"body\"]\n"
	"query = NOT NOT beta\n"
	"in = body\n";

/* Join v with sep into a malloc'd string ("" for none). */
static char *
join(char **v, const char *sep)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; v && v[i]; i++) {
		if (i)
			(void)buf_adds(&b, sep);
		(void)buf_adds(&b, v[i]);
	}
	return buf_steal(&b);
}

/* s for a one-line test description (static storage, two at a time). */
static const char *
show(const char *s)
{
	static char out[2][256];
	static int k;
	char *o = out[k ^= 1];
	size_t i = 0;

	if (!s)
		return "(null)";
	for (; *s && i < sizeof(out[0]) - 3; s++) {
		if (*s == '\n') {
			o[i++] = '\\';
			o[i++] = 'n';
		} else
			o[i++] = *s;
	}
	o[i] = '\0';
	return o;
}

static unsigned prefilter_runs, prefilter_diffs;

/* The hits as one string: watchlist, alert, score, notify, terms,
 * snippet and spans. */
static char *
hits_key(const struct hit *hits, size_t n)
{
	struct buf b;
	size_t i, j;

	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *t = join(hits[i].terms, ",");

		(void)buf_printf(&b, "%s/%s/%d%s/%s/%s:", hits[i].watchlist,
		    hits[i].alert, hits[i].score, hits[i].notify ? "!" : "",
		    t, hits[i].snippet);
		for (j = 0; j < hits[i].n_spans; j++)
			(void)buf_printf(&b, " %d:%zu-%zu:%u",
			    (int)hits[i].spans[j].field, hits[i].spans[j].start,
			    hits[i].spans[j].end, hits[i].spans[j].term);
		(void)buf_addc(&b, ';');
	}
	return buf_steal(&b);
}

/*
 * Match one entry; every call also matches it the naive way (each term's
 * regex, no prefilter) and counts any difference in the hits.
 */
static int
run(const struct watchset *s, const char *title, const char *body,
    struct hit **hits, size_t *n)
{
	struct watchset *ws = (struct watchset *)s;
	struct hit *naive = NULL;
	size_t n_naive = 0;
	struct entry e;
	int r, rn;

	memset(&e, 0, sizeof(e));
	e.title.s = (char *)title;
	e.content.s = (char *)body;
	r = match_entry(s, &e, hits, n);
	watchset_set_naive(ws, true);
	rn = match_entry(s, &e, &naive, &n_naive);
	watchset_set_naive(ws, false);
	prefilter_runs++;
	if (r == 0 && rn == 0) {
		_cleanup_free_ char *a = hits_key(*hits, *n);
		_cleanup_free_ char *b = hits_key(naive, n_naive);

		if (strcmp(a, b) != 0) {
			printf("# prefilter: %s\n# naive:     %s\n", a, b);
			prefilter_diffs++;
		}
	}
	if (rn == 0 || rn == -ETIME)
		hits_free(naive, n_naive);
	return r;
}

/* The terms of the hit of alert in watchlist wl, or NULL when it did not
 * fire. */
static char *
terms_of(const struct watchset *s, const char *wl, const char *alert,
    const char *title, const char *body)
{
	struct hit *hits = NULL;
	size_t n = 0, i;
	char *r = NULL;

	if (run(s, title, body, &hits, &n) < 0)
		return xstrdup("(error)");
	for (i = 0; i < n; i++)
		if (strcmp(hits[i].watchlist, wl) == 0 &&
		    strcmp(hits[i].alert, alert) == 0)
			r = join(hits[i].terms, ",");
	hits_free(hits, n);
	return r;
}

/* The alerts of watchlist wl that fired, in order. */
static char *
alerts_of(const struct watchset *s, const char *wl, const char *title,
    const char *body)
{
	struct hit *hits = NULL;
	size_t n = 0, i;
	char **v = NULL;
	char *r;

	if (run(s, title, body, &hits, &n) < 0)
		return xstrdup("(error)");
	for (i = 0; i < n; i++)
		if (strcmp(hits[i].watchlist, wl) == 0)
			(void)strv_push(&v, xstrdup(hits[i].alert));
	hits_free(hits, n);
	r = join(v, ",");
	strv_free(v);
	return r;
}

/* Compile text expecting failure; the messages joined by " | ". */
static char *
problems(const char *text)
{
	struct watchlist *w = NULL;
	struct diag d;
	char *r;
	int rc;

	diag_init(&d);
	rc = watchlist_compile(text, strlen(text), "t.watch", &w, &d);
	if (rc == 0) {
		watchlist_free(w);
		diag_done(&d);
		return xstrdup("(compiled)");
	}
	r = join(d.msgs, " | ");
	diag_done(&d);
	return r;
}

static struct watchlist *
compile(const char *text, size_t len, const char *file)
{
	struct watchlist *w = NULL;
	struct diag d;
	size_t i;

	diag_init(&d);
	if (watchlist_compile(text, len, file, &w, &d) < 0) {
		for (i = 0; i < d.n; i++)
			printf("# %s\n", d.msgs[i]);
		w = NULL;
	}
	diag_done(&d);
	return w;
}

static const struct {
	const char *title, *body, *terms;	/* terms: NULL for no hit */
} term_cases[] = {
	/* Russian case forms through truncation */
	{ "Росатом построит завод", NULL, "Rosatom" },
	{ "Глава Росатома заявил", NULL, "Rosatom" },
	{ NULL, "Соглашение с Росатомом подписано", "Rosatom" },
	{ NULL, "Поручение Росатому", "Rosatom" },
	{ "РОСАТОМА", NULL, "Rosatom" },
	{ "Rosatom signs deal", NULL, "Rosatom" },
	{ "ROSATOM", NULL, "Rosatom" },
	{ "Rosatomflot expands", NULL, NULL },
	{ "AntiRosatom rally", NULL, NULL },
	{ "俄罗斯国家原子能公司与中国合作", NULL, "Rosatom" },
	{ NULL, "добыча редкоземельных металлов", "ree" },
	{ "Редкоземельные металлы", NULL, "ree" },
	/* English forms */
	{ "New rare earth mine", NULL, "ree,earth*" },
	{ "Rare earths prices rise", NULL, "ree,earth*" },
	{ "rare-earth magnets", NULL, "ree,earth*" },
	{ "rare  earth", NULL, "ree,earth*" },
	{ "rare\u00a0earth", NULL, "ree,earth*" },
	{ "rare\u2014earth", NULL, "ree,earth*" },
	{ "RARE EARTH", NULL, "ree,earth*" },
	{ NULL, "supplies of rare\nearth oxides", "ree,earth*" },
	{ "rare earthenware auction", NULL, "earth*" },
	{ "rareearth", NULL, NULL },
	/* Chinese: no word edges */
	{ "中国稀土出口管制", NULL, "ree" },
	{ NULL, "钕铁硼磁体产量", "ndfeb" },
	{ "неодимовых магнитов", NULL, "ndfeb" },
	{ "NdFeB magnets", NULL, "ndfeb" },
	{ "ndfeb", NULL, "ndfeb" },
	/* false friends */
	{ "Europe imports", NULL, NULL },
	{ "Europium oxide", NULL, "europium" },
	{ "europiums", NULL, NULL },
	{ "Lanthanum supply", NULL, "lanthanum" },
	{ "lanthanides", NULL, "lanthanum" },
	{ "Lanthorn festival", NULL, NULL },
	/* case = sensitive */
	{ "REE supply chain", NULL, "REE" },
	{ "REEs from Kazakhstan", NULL, "REE" },
	{ "ree", NULL, NULL },
	{ "Reef", NULL, NULL },
	{ "REEF", NULL, NULL },
	/* ё and е */
	{ "Долина Менделеева", NULL, "Mendeleev Valley" },
	{ "долина менделеёва", NULL, "Mendeleev Valley" },
	{ "Mendeleev-Valley", NULL, "Mendeleev Valley" },
	{ "Менделеевск", NULL, "Mendeleev Valley" },
	{ "Менделеёвск", NULL, "Mendeleev Valley" },
	{ "ШОЙГУ", NULL, "Shoigu" },
	{ "Шои\u0306гу", NULL, "Shoigu" },	/* й decomposed */
	/* invisible characters inside words */
	{ "Рос\u00adатом", NULL, "Rosatom" },
	{ "Рос\u200bатом", NULL, "Rosatom" },
	{ "Ros\u00adatom", NULL, "Rosatom" },
	/* hyphens equal spaces */
	{ "mine-to-magnet chain", NULL, "magnet" },
	{ "mine to magnet", NULL, "magnet" },
	{ "mine\u2013to\u2013magnet", NULL, "magnet" },
	{ "minetomagnet", NULL, NULL },
	{ "New Magnet Plant opens", NULL, "magnet" },
	{ "Rare Earth Elements", NULL, "ree,earth*,REE" },
	{ "rare earth elements", NULL, "ree,earth*,REE" },
	/* several terms, title and body */
	{ "Rosatom and rare earths", "неодим", "Rosatom,ree,earth*,ndfeb" },
	{ "Rosatom \xff\xfe bad bytes", "\xc3\x28 rare earth \xed\xa0\x80",
	    "Rosatom,ree,earth*" },
	{ "", "", NULL },
	{ NULL, NULL, NULL },
};

static const struct {
	const char *title, *body, *alerts;
} alert_cases[] = {
	{ "alpha beta", NULL, "and,or,prec,title" },
	{ "alpha", NULL, "or,not,title" },
	{ NULL, "alpha", "or,not" },
	{ "beta gamma", NULL, "or,paren,prec" },
	{ NULL, "beta", "body" },
	{ "beta", NULL, "" },
	{ "gamma", NULL, "or,prec" },
	{ "Mendeleev Valley", NULL, "quoted" },
	{ "Mendeleev Valley gamma", NULL, "or,prec" },
	{ "alpha", "beta", "and,or,prec,title,body" },
	{ "ALPHA", NULL, "or,not,title" },
	{ "alphabet", NULL, "" },
};

static const struct {
	const char *text, *want;
} error_cases[] = {
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a b\n",
	    "t.watch:6:11: alert 'q': query: expected AND, OR, NEAR/n or the "
	    "end, found 'b'" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = (a a)\n",
	    "t.watch:6:12: alert 'q': query: expected AND, OR, NEAR/n or ) "
	    "(for the ( at column 9), found 'a'" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = (a OR a\n",
	    "t.watch:6:16: alert 'q': query: expected AND, OR, NEAR/n or ) "
	    "(for the ( at column 9), found the end of the query" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a)\n",
	    "t.watch:6:10: alert 'q': query: unbalanced ) (no ( before it)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a AND delta\n",
	    "t.watch:6:15: alert 'q': query: unknown term 'delta' (expected "
	    "the name of a [term])" },
	{ "[watchlist]\nname = x\n[term Rosatom]\nmatch = a\n[alert \"q\"]\n"
	    "query = rosatom\n",
	    "t.watch:6:9: alert 'q': query: unknown term 'rosatom' (did you "
	    "mean 'Rosatom'?)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a and a\n",
	    "t.watch:6:11: alert 'q': query: expected AND, OR, NEAR/n or the "
	    "end, found 'and' (operators are upper case: AND, OR, NOT, "
	    "NEAR/n)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a AND\n",
	    "t.watch:6:14: alert 'q': query: expected a term name, NOT or (, "
	    "found the end of the query" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = \"a\" OR \"Mendeleev\n",
	    "t.watch:6:16: alert 'q': query: expected a term name, NOT or (, "
	    "found a \" that is never closed" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = NOT a\n",
	    "t.watch:6: alert 'q': query is true when none of its terms "
	    "match (NOT alone needs an AND)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a ^ a\n",
	    "t.watch:6:11: alert 'q': query: expected AND, OR, NEAR/n or the "
	    "end, found '^'" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a NEAR a\n",
	    "t.watch:6:11: alert 'q': query: expected NEAR/n with n from 0 to "
	    "1000 words (e.g. NEAR/5)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a NEAR/x a\n",
	    "t.watch:6:11: alert 'q': query: expected NEAR/n with n from 0 to "
	    "1000 words (e.g. NEAR/5)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query    =   a AND a NEAR/3 NOT a\n",
	    "t.watch:6:22: alert 'q': query: NEAR/3 joins terms, OR groups of "
	    "terms or NEARs; its right side has AND or NOT" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = (a AND a) NEAR/3 a\n",
	    "t.watch:6:19: alert 'q': query: NEAR/3 joins terms, OR groups of "
	    "terms or NEARs; its left side has AND or NOT (use parentheses: "
	    "a AND (b NEAR/5 c))" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a near/3 a\n",
	    "t.watch:6:11: alert 'q': query: expected AND, OR, NEAR/n or the "
	    "end, found 'near' (operators are upper case: AND, OR, NOT, "
	    "NEAR/n)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "score = 3\n",
	    "t.watch:5: alert 'q' has no query" },
	{ "[watchlist]\nname = x\n[term r]\nmatch = ok\nregex = (abc\n",
	    "t.watch:5: term 'r': bad regex at column 5: missing closing "
	    "parenthesis" },
	{ "[watchlist]\nname = x\n[term r]\nregex = a*\n",
	    "t.watch:4: term 'r': regex can match empty text" },
	{ "[watchlist]\nname = x\n[term e]\n[term f]\nmatch = f\n",
	    "t.watch:3: term 'e' has no match or regex" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[term a]\nmatch = b\n",
	    "t.watch:5: duplicate term 'a' (first at line 3)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\nfoo = 1\n",
	    "t.watch:5: unknown key 'foo' in [term a] (expected match, regex "
	    "or case)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[feed \"f\"]\n",
	    "t.watch:5: unknown section [feed \"f\"] (expected [watchlist], "
	    "[term NAME] or [alert \"NAME\"])" },
	{ "[term a]\nmatch = a\n",
	    "t.watch: no watchlist name (add [watchlist] with name = ...)" },
	{ "[watchlist]\nname = REE List\n[term a]\nmatch = a\n",
	    "t.watch:2: name = 'REE List': use lower-case letters, digits, "
	    "'.', '_' and '-'" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = wor*d\n",
	    "t.watch:4: phrase 'wor*d': '*' may only end a word" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\ncase = upper\n",
	    "t.watch:5: term 'a': case = 'upper' (expected sensitive or "
	    "insensitive)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a\nin = head\nscore = high\nnotify = maybe\n",
	    "t.watch:7: alert 'q': in = 'head' (expected title, body or any) | "
	    "t.watch:8: alert 'q': score = 'high' (expected an integer from "
	    "-1000 to 1000) | t.watch:9: alert 'q': notify = 'maybe' "
	    "(expected yes or no)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a\n[alert \"q\"]\nquery = a\n",
	    "t.watch:7: duplicate alert 'q' (first at line 5)" },
};

static void
test_terms(const struct watchset *s)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(term_cases); i++) {
		char *got = terms_of(s, "ree-terms", MATCH_ANY_TERM,
		    term_cases[i].title, term_cases[i].body);

		is_str(got, term_cases[i].terms, "terms in '%s' / '%s'",
		    show(term_cases[i].title), show(term_cases[i].body));
		free(got);
	}
}

static void
test_alerts(const struct watchset *s)
{
	size_t i;
	char *got;

	for (i = 0; i < ELEMENTSOF(alert_cases); i++) {
		got = alerts_of(s, "ree-alerts", alert_cases[i].title,
		    alert_cases[i].body);
		is_str(got, alert_cases[i].alerts, "alerts on '%s' / '%s'",
		    show(alert_cases[i].title), show(alert_cases[i].body));
		free(got);
	}
	/* a NOTed term that matched is not one of the hit's terms */
	got = terms_of(s, "ree-alerts", "paren", "alpha beta gamma", NULL);
	is_str(got, "alpha,beta,gamma", "hit lists the query's terms in order");
	free(got);
	got = terms_of(s, "ree-alerts", "quoted", "Mendeleev Valley", "alpha");
	is_str(got, "Mendeleev Valley", "hit names quoted terms");
	free(got);
}

static void
test_errors(void)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(error_cases); i++) {
		char *got = problems(error_cases[i].text);

		is_str(got, error_cases[i].want, "error case %zu", i);
		free(got);
	}
}

static void
test_hit_details(const struct watchset *s)
{
	struct hit *hits = NULL;
	size_t n = 0, i;
	int r;

	r = run(s, "x alpha y", "beta", &hits, &n);
	is_int(r, 0, "match_entry returns 0");
	for (i = 0; i < n; i++)
		if (strcmp(hits[i].alert, "title") == 0)
			break;
	ok(i < n, "alert 'title' fired");
	if (i < n) {
		is_int(hits[i].score, 5, "score from the alert");
		ok(!hits[i].notify, "notify = no");
		is_int(hits[i].n_spans, 1, "one span");
		is_int(hits[i].spans[0].field, HIT_FIELD_TITLE,
		    "span in title");
		is_int(hits[i].spans[0].start, 2, "span start in bytes");
		is_int(hits[i].spans[0].end, 7, "span end in bytes");
		is_str(hits[i].snippet, "x alpha y", "snippet from the title");
	}
	for (i = 0; i < n; i++)
		if (strcmp(hits[i].alert, "and") == 0)
			break;
	ok(i < n && hits[i].score == 1 && hits[i].notify,
	    "default score 1 and notify yes");
	if (i < n)
		is_str(hits[i].snippet, "beta", "snippet prefers the body");
	hits_free(hits, n);

	/* spans of a multi-byte match, in the normalised text */
	r = run(s, NULL, "Лидер «Росатома» и Росатом", &hits, &n);
	ok(r == 0 && n == 1 && hits[0].n_spans == 2,
	    "two spans for two mentions");
	if (r == 0 && n == 1 && hits[0].n_spans == 2) {
		is_int(hits[0].spans[0].start, 12, "Cyrillic span start");
		is_int(hits[0].spans[0].end, 28, "Cyrillic span end");
		is_int(hits[0].spans[1].start, 33, "second span start");
		is_str(hits[0].snippet, "Лидер \"Росатома\" и Росатом",
		    "snippet is the match form");
	}
	hits_free(hits, n);
}

static void
test_snippet(const struct watchset *s)
{
	struct buf body;
	struct hit *hits = NULL;
	size_t n = 0, i, chars = 0;
	const char *p;
	int r;

	buf_init(&body, 0);
	for (i = 0; i < 60; i++)
		(void)buf_adds(&body, "Ещё одна строка\nновостей ");
	(void)buf_adds(&body, "о Росатоме ");
	for (i = 0; i < 60; i++)
		(void)buf_adds(&body, "и другие слова ");
	r = run(s, "Title", body.data, &hits, &n);
	ok(r == 0 && n == 1, "one hit in a long body");
	if (r == 0 && n == 1) {
		p = hits[0].snippet;
		ok(strncmp(p, "…", 3) == 0, "snippet starts with …");
		ok(endswith(p, "…"), "snippet ends with …");
		ok(strstr(p, "о Росатоме и") != NULL, "snippet has the match");
		ok(!strchr(p, '\n'), "snippet is one line");
		ok(utf8_valid(p, strlen(p)), "snippet is valid UTF-8");
		for (; *p; p++)
			if (((unsigned char)*p & 0xc0) != 0x80)
				chars++;
		ok(chars > 100 && chars <= 2 * MATCH_SNIPPET_CONTEXT + 12,
		    "snippet is about %d characters each side (%zu)",
		    MATCH_SNIPPET_CONTEXT, chars);
	}
	hits_free(hits, n);
	buf_done(&body);
}

static void
test_limits(void)
{
	static const char text[] =
		"[watchlist]\nname = slow\n"
		"[term slow]\nregex = (a+)+$\n"
		"[term fine]\nmatch = Rosatom\n";
	struct watchset *s = watchset_new();
	struct watchlist *w = compile(text, strlen(text), "slow.watch");
	struct hit *hits = NULL;
	size_t n = 0;
	struct buf body;
	struct timespec t0, t1;
	double sec;
	int r;

	ok(w != NULL, "pathological regex compiles");
	if (!w || !s) {
		watchset_free(s);
		return;
	}
	(void)watchset_add(s, w);
	buf_init(&body, 0);
	(void)buf_adds(&body, "Rosatom ");
	while (body.len < 100000)
		(void)buf_adds(&body, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	(void)buf_addc(&body, 'b');
	/* match_entry() alone: run() would time the naive pass as well */
	{
		struct entry e;

		memset(&e, 0, sizeof(e));
		e.content.s = body.data;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = match_entry(s, &e, &hits, &n);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	}
	sec = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	is_int(r, -ETIME, "a pattern over its limits is -ETIME");
	ok(sec < tap_time_limit(1.0), "and stops in %.3f s", sec);
	ok(n == 1 && strcmp(hits[0].terms[0], "fine") == 0 &&
	    !hits[0].terms[1], "the other terms still match");
	hits_free(hits, n);
	buf_done(&body);
	watchset_free(s);
}

static const char near_watch[] =
	"[watchlist]\n"
	"name = near\n"
	"[term rare]\nmatch = rare earth\nmatch = rare earths\n"
	"[term magnet]\nmatch = magnet*\n"
	"[term neodim]\nmatch = неодим*\n"
	"[term zavod]\nmatch = завод*\n"
	"[term xi]\nmatch = 稀土\n"
	"[term ci]\nmatch = 磁铁\n"
	"[term china]\nmatch = China\n"
	"[alert \"near0\"]\nquery = rare NEAR/0 magnet\n"
	"[alert \"near2\"]\nquery = rare NEAR/2 magnet\n"
	"[alert \"ru\"]\nquery = neodim NEAR/3 zavod\n"
	"[alert \"zh\"]\nquery = xi NEAR/2 ci\n"
	"[alert \"group\"]\nquery = (rare OR neodim) NEAR/1 (magnet OR zavod) "
	"AND NOT china\n"
	"[alert \"title\"]\nquery = rare NEAR/5 magnet\nin = title\n";

static const struct {
	const char *title, *body, *alerts;
} near_cases[] = {
	{ "Rare earth magnets", NULL, "near0,near2,group,title" },
	{ "Rare-earth magnet plant", NULL, "near0,near2,group,title" },
	{ "Magnets made of rare earths", NULL, "near2,title" },
	{ "Rare earths and permanent magnets", NULL, "near2,title" },
	{ "Rare earths, the big permanent magnets", NULL, "title" },
	{ "Rare earths from China, the magnets", NULL, "title" },
	{ "Rare earth magnets for China", NULL, "near0,near2,title" },
	{ "rare earth", "magnets", "" },
	{ NULL, "rare earth in this year's magnets", "" },
	{ NULL, "rare earth in year's magnets", "near2" },
	{ "Неодимовый магнитный завод", NULL, "ru,group" },
	{ "Неодимовый и магнитный завод", NULL, "ru" },
	{ "Завод по выпуску неодима", NULL, "ru" },
	{ "Неодим для нового большого сборочного завода", NULL, "" },
	{ "Неодимовый завод", NULL, "ru,group" },
	{ "稀土永磁铁", NULL, "zh" },
	{ "磁铁用稀土", NULL, "zh" },
	{ "稀土价格上涨带动磁铁", NULL, "" },
};

static void
test_near(void)
{
	struct watchset *s = watchset_new();
	struct watchlist *w = compile(near_watch, strlen(near_watch),
	    "near.watch");
	struct hit *hits = NULL;
	size_t i, n = 0;

	ok(w != NULL, "NEAR watchlist compiles");
	if (!w) {
		watchset_free(s);
		return;
	}
	(void)watchset_add(s, w);
	for (i = 0; i < ELEMENTSOF(near_cases); i++) {
		char *got = alerts_of(s, "near", near_cases[i].title,
		    near_cases[i].body);

		is_str(got, near_cases[i].alerts, "NEAR: '%s' / '%s'",
		    show(near_cases[i].title), show(near_cases[i].body));
		free(got);
	}
	/* the hit names the spans the query used */
	if (run(s, "Rare earth magnets", NULL, &hits, &n) == 0 && n > 0) {
		is_str(hits[0].alert, "near0", "first hit is near0");
		ok(hits[0].n_spans == 2 && hits[0].spans[0].start == 0 &&
		    hits[0].spans[0].end == 10 && hits[0].spans[1].start == 11,
		    "spans of both sides");
		hits_free(hits, n);
	} else
		ok(false, "NEAR hit");
	watchset_free(s);
}

/*
 * Terms with phrases and regexes: the phrases run where the prefilter
 * places them, the regexes where they match alone, and the spans must be
 * the whole pattern's: leftmost first, the earlier part where two match
 * at one place, none overlapping.  run() checks each against the naive
 * matcher as well.
 */
static const char mixed_watch[] =
	"[watchlist]\n"
	"name = mixed\n"
	"[term order]\nmatch = rare earth\nregex = \\bearth\\w*\n"
	"match = earthen ware\n"
	"[term overlap]\nregex = \\bbig\\s+rare\\b\nmatch = rare earth\n"
	"[term first]\nmatch = rare earth\nregex = rare\\s+earth\\s+magnets\n"
	"[term second]\nregex = rare\\s+earth\\s+magnets\nmatch = rare earth\n"
	"[term keep]\nregex = rare\\s+\\Kearth\nmatch = magnet\n"
	"[term start]\nregex = \\G\\w+\nmatch = magnet\n"
	"[term ree]\nmatch = lanthanide\nregex = \\b(?-i:REEs?)\\b\n"
	"[alert \"order\"]\nquery = order\n"
	"[alert \"overlap\"]\nquery = overlap\n"
	"[alert \"first\"]\nquery = first\n"
	"[alert \"second\"]\nquery = second\n"
	"[alert \"keep\"]\nquery = keep\n"
	"[alert \"start\"]\nquery = start\n"
	"[alert \"ree\"]\nquery = ree\n"
	"[term us]\nregex = \\bUSA?\\b\nregex = \\bU\\.S\\.(?=\\W|$)\n"
	"regex = \\bAmerica\\w*\n"
	"[term spread]\nregex = world\\s+cup\nregex = \\bcup\\s+final\n"
	"regex = \\bthe\\s+world\n"
	"[term groups]\nregex = (ab)c\nregex = (de)f\nmatch = xyz\n"
	"[term rec]\nregex = \\((?:[^()]|(?R))*\\)\nmatch = paren\n"
	"[alert \"us\"]\nquery = us\n"
	"[alert \"spread\"]\nquery = spread\n"
	"[alert \"groups\"]\nquery = groups\n"
	"[alert \"rec\"]\nquery = rec\n"
	"[term odd]\nregex = \\bιου\nregex = \\b͵α\nregex = \\b҂а\n"
	"[alert \"odd\"]\nquery = odd\n"
	"[term edge]\nregex = \\bот\\s+добычи\\s+до\\s+магнит\\w*\n"
	"match = rare earth\n"
	"[alert \"edge\"]\nquery = edge\n"
	"[term lan]\nmatch = lanthanum\n"
	"[alert \"lan\"]\nquery = lan\n";

/*
 * The same term in a second list (one run serves both); [term lan] has
 * the first list's pattern but not its case, so it is no twin of it.
 */
static const char mixed2_watch[] =
	"[watchlist]\n"
	"name = mixed2\n"
	"[term other]\nmatch = REE\n"
	"[term ree]\nmatch = lanthanide\nregex = \\b(?-i:REEs?)\\b\n"
	"[alert \"ree2\"]\nquery = ree\n"
	"[alert \"other\"]\nquery = other\n"
	"[term lan]\nmatch = lanthanum\ncase = sensitive\n"
	"[alert \"lan2\"]\nquery = lan\n";

/*
 * Regexes that start with a literal (read by regex_literals()) run only
 * where it occurs; the others on every text.  Both kinds here, each
 * also compared with the naive run by run().
 */
static const char lits_watch[] =
	"[watchlist]\n"
	"name = lits\n"
	"[term cer]\nregex = \\bцери(?:й|я|ю|ем|и)\\b\n"
	"[term grp]\nregex = \\b(?:Центральн|Средн)\\w*\\s+Ази\\w*\n"
	"[term opt]\nregex = \\bNd2?O3\\b\n"
	"[term esc]\nregex = \\binform\\.kz\\b\n"
	"[term cjk]\nregex = 中俄|俄方\n"
	"[term star]\nregex = lanthan*um\n"
	"[term cs]\ncase = sensitive\nregex = (?-i:NdPr|PrNd)\n"
	"[term class]\nregex = [Cc]erium\n"
	"[term look]\nregex = (?<=[土、])鈥\n"
	"[term look2]\nregex = (?<!美国)商[务務]部|鈥(?=元素)\n"
	"[term ahead]\nregex = (?=\\w+ium)(?<!\\w)cer\\w+\n"
	"[term named]\nregex = (?<nm>ab)cd\n"
	"[term ext]\nregex = (?x) rare \\s+ earth\n"
	"[term short]\nregex = a+bc\n"
	"[term quant]\nregex = (?:ab){1,2}c\n"
	"[term turk]\nregex = \\bİzmir\n"
	"[alert \"cer\"]\nquery = cer\n[alert \"grp\"]\nquery = grp\n"
	"[alert \"opt\"]\nquery = opt\n[alert \"esc\"]\nquery = esc\n"
	"[alert \"cjk\"]\nquery = cjk\n[alert \"star\"]\nquery = star\n"
	"[alert \"cs\"]\nquery = cs\n[alert \"class\"]\nquery = class\n"
	"[alert \"look\"]\nquery = look\n[alert \"ext\"]\nquery = ext\n"
	"[alert \"short\"]\nquery = short\n[alert \"quant\"]\nquery = quant\n"
	"[alert \"turk\"]\nquery = turk\n"
	"[alert \"look2\"]\nquery = look2\n[alert \"ahead\"]\nquery = ahead\n"
	"[alert \"named\"]\nquery = named\n";

static const struct {
	const char *alert, *title, *body, *spans;
} lits_cases[] = {
	{ "cer", "Церий и цериям", "ЦЕРИЯ", "0:0-10 1:0-10" },
	{ "cer", "церемония", NULL, NULL },
	{ "grp", "Средней Азии", "центральная азия", "0:0-23 1:0-31" },
	{ "opt", "NdO3 and nd2o3", NULL, "0:0-4 0:9-14" },
	{ "esc", "see INFORM.KZ today", NULL, "0:4-13" },
	{ "esc", "informXkz", NULL, NULL },
	{ "cjk", "中俄关系与俄方", NULL, "0:0-6 0:15-21" },
	{ "star", "lanthanum and Lanthaum", NULL, "0:0-9 0:14-22" },
	{ "cs", "NdPr and ndpr", NULL, "0:0-4" },
	{ "class", "Cerium", NULL, "0:0-6" },
	{ "look", "稀土鈥", NULL, "0:6-9" },
	{ "look", "中鈥", "鈥", NULL },
	{ "look2", "商务部 and 美国商务部 and 鈥元素 and 鈥x", NULL,
	    "0:0-9 0:34-37" },
	{ "ahead", "cerium, cerebral, acerium", NULL, "0:0-6" },
	{ "named", "abcd xabcd abc", NULL, "0:0-4 0:6-10" },
	{ "ext", "rare earth", NULL, "0:0-10" },
	{ "short", "aaabc", NULL, "0:0-5" },
	{ "quant", "ababc", NULL, "0:0-5" },
	{ "turk", "İzmir", NULL, "0:0-6" },
};

static const struct {
	const char *alert, *title, *body, *spans;
} mixed_cases[] = {
	{ "order", NULL, "rare earthen ware, earthquake; rare earth",
	    "1:5-12 1:19-29 1:31-41" },
	{ "order", "Earth", NULL, "0:0-5" },
	{ "order", "earthen ware", "rare", "0:0-7" },
	{ "overlap", NULL, "big rare earth, rare earth, big rare",
	    "1:0-8 1:16-26 1:28-36" },
	{ "first", "Rare earth magnets", NULL, "0:0-10" },
	{ "second", "Rare earth magnets", "rare earth", "0:0-18 1:0-10" },
	{ "keep", "rare earth magnet, magnet rare earth", NULL,
	    "0:5-10 0:11-17 0:19-25 0:31-36" },
	{ "start", "rare magnet", "magnet", "0:0-4 0:5-11 1:0-6" },
	{ "ree", "REE and ree", "lanthanide REEs, REE-lanthanide",
	    "0:0-3 1:0-10 1:11-15 1:17-20 1:21-31" },
	{ "ree", "rees", NULL, NULL },
	{ "us", "The US, the U.S. and Americans in USA", NULL,
	    "0:4-6 0:12-16 0:21-30 0:34-37" },
	/* word starts: after letters (Latin, Greek, Cyrillic), digits, '_'
	 * and a combining mark the prefilter keeps or drops the place; the
	 * naive run (run()) must agree either way */
	{ "us", "focus on US, thus USA", "5US αUS _US жUS éUS x\xcc\x81US",
	    "0:9-11 0:18-21 1:26-28" },
	{ "edge", "работает от добычи до магнитов",
	    "Rare Earth, bRare Earth, _Rare Earth", "0:17-56 1:0-10 1:26-36" },
	{ "edge", "ёот добычи до магнита, 1от добычи до магнита", NULL, NULL },
	/* \b before a character that is no sure letter (͵ ҂), or that
	 * matches a combining mark without case (ι and U+0345): the match
	 * follows a letter or digit */
	{ "odd", "K\xcd\x85ου, 5͵α, 5҂а", "K ιου", "0:1-7 0:10-14 0:17-21 1:2-8" },
	{ "spread", "the world cup final", "world cup, cup final",
	    "0:0-9 0:10-19 1:0-9 1:11-20" },
	{ "groups", "abc def xyz abcdef", NULL,
	    "0:0-3 0:4-7 0:8-11 0:12-15 0:15-18" },
	{ "rec", "(a (b) c) and paren (x", NULL, "0:0-9 0:14-19" },
	{ "ree2", "REE and ree", "lanthanide REEs, REE-lanthanide",
	    "0:0-3 1:0-10 1:11-15 1:17-20 1:21-31" },
	{ "ree2", "rees", NULL, NULL },
	{ "lan", "LANTHANUM and lanthanum", NULL, "0:0-9 0:14-23" },
	{ "lan2", "LANTHANUM and lanthanum", NULL, "0:14-23" },
	{ "lan2", "LANTHANUM", "Lanthanum", NULL },
	{ "other", "REE and ree", "lanthanide REEs, REE-lanthanide",
	    "0:0-3 0:8-11 1:17-20" },
	/* folds longer or shorter than their characters before a match:
	 * the prefilter's places still land on it */
	{ "first", "İİİ rare earth", NULL, "0:7-17" },
	{ "first", NULL, "ẞẞẞẞ rare earth, Rare Earth", "1:13-23 1:25-35" },
	{ "first", "ΐΐ Straße rare earth", "İ rare earth", "0:13-23 1:3-13" },
	/* spans are in the match form: quotes and dashes one byte */
	{ "first", "«rare earth» — “rare earth”", NULL, "0:1-11 0:16-26" },
};

/* The spans of alert's hit as "field:start-end ...", NULL when none. */
static char *
spans_of(const struct watchset *s, const char *alert, const char *title,
    const char *body)
{
	struct hit *hits = NULL;
	size_t n = 0, i, j;
	struct buf b;
	char *r = NULL;

	if (run(s, title, body, &hits, &n) < 0)
		return xstrdup("(error)");
	for (i = 0; i < n && !r; i++) {
		if (strcmp(hits[i].alert, alert) != 0)
			continue;
		buf_init(&b, 0);
		for (j = 0; j < hits[i].n_spans; j++)
			(void)buf_printf(&b, "%s%d:%zu-%zu", j ? " " : "",
			    (int)hits[i].spans[j].field,
			    hits[i].spans[j].start, hits[i].spans[j].end);
		r = buf_steal(&b);
	}
	hits_free(hits, n);
	return r;
}

static void
test_mixed(void)
{
	struct watchset *s = watchset_new();
	struct watchlist *w = compile(mixed_watch, strlen(mixed_watch),
	    "mixed.watch");
	struct buf body;
	size_t i;
	char *got;

	ok(w != NULL, "phrases and regexes in one term compile");
	if (!w) {
		watchset_free(s);
		return;
	}
	(void)watchset_add(s, w);
	got = spans_of(s, "ree", "REE", NULL);
	is_str(got, "0:0-3", "matched before a second list is added");
	free(got);
	/* the set's automaton and twins are made again after an add */
	w = compile(mixed2_watch, strlen(mixed2_watch), "mixed2.watch");
	ok(w != NULL && watchset_add(s, w) == 0, "a second list with it");
	for (i = 0; i < ELEMENTSOF(mixed_cases); i++) {
		got = spans_of(s, mixed_cases[i].alert, mixed_cases[i].title,
		    mixed_cases[i].body);
		is_str(got, mixed_cases[i].spans, "%s: '%s' / '%s'",
		    mixed_cases[i].alert, show(mixed_cases[i].title),
		    show(mixed_cases[i].body));
		free(got);
	}
	/* dense text: the spans stop at the cap, the same both ways */
	buf_init(&body, 0);
	for (i = 0; i < 300; i++)
		(void)buf_adds(&body, i % 2 ? "REE " : "lanthanide ");
	got = spans_of(s, "ree", NULL, body.data);
	ok(got && startswith(got, "1:0-10 1:11-14 1:15-25 "),
	    "dense text: spans from the start");
	{
		size_t n = 0;
		const char *p;

		for (p = got; p && *p; p++)
			n += *p == ':';
		is_int(n, 256, "256 spans kept of 300");
	}
	free(got);
	buf_done(&body);
	watchset_free(s);
}

static void
add_literal(void *ctx, const char *lit)
{
	struct buf *b = ctx;

	(void)buf_printf(b, "%s%s", b->len ? " " : "", lit);
}

/* The literals a set's prefilter looks for, list by list, folded. */
static void
test_literals(void)
{
	static const char a[] = "[watchlist]\nname = a\n[term t]\n"
	    "match = Rare Earth\nregex = \\bЦери(?:й|я)\n"
	    "[alert \"x\"]\nquery = t\n";
	static const char b[] = "[watchlist]\nname = b\n[term u]\n"
	    "match = 稀土\n[alert \"y\"]\nquery = u\n";
	struct watchset *s = watchset_new();
	struct watchlist *w;
	struct buf got;

	buf_init(&got, 0);
	w = compile(a, strlen(a), "a.watch");
	ok(w && watchset_add(s, w) == 0, "list a");
	w = compile(b, strlen(b), "b.watch");
	ok(w && watchset_add(s, w) == 0, "list b");
	watchset_literals(s, add_literal, &got);
	is_str(got.data, "rare earth цери 稀土",
	    "watchset_literals: each list's, folded, in order");
	buf_done(&got);
	watchset_free(s);
}

/* Which regexes the prefilter takes: look-around before the literal is
 * zero-width and does not stop it; a class or a named group does. */
static void
test_unfiltered(void)
{
	static const struct {
		const char *re;
		size_t unfiltered;
	} cases[] = {
		{ "(?<=[土、])鈥", 0 },
		{ "(?<!美国)商[务務]部|鈥(?=元素)", 0 },
		{ "(?=\\w+ium)(?<!\\w)cer\\w+", 0 },
		{ "\\b(?<!x)(?:ab|cd)", 0 },
		{ "(?<=a)?bc", 1 },
		{ "(?<nm>ab)cd", 1 },
		{ "[Cc]erium", 1 },
		{ "(?=a)", 1 },
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(cases); i++) {
		char *src = xasprintf("[watchlist]\nname = u\n[term t]\n"
		    "regex = %s\n[alert \"a\"]\nquery = t\n", cases[i].re);
		struct watchlist *w = compile(src, strlen(src), "u.watch");

		ok(w && watchlist_n_unfiltered(w) == cases[i].unfiltered,
		    "'%s': %s", cases[i].re, cases[i].unfiltered ?
		    "runs on every text" : "prefiltered");
		watchlist_free(w);
		free(src);
	}
}

static void
test_lits(void)
{
	struct watchset *s = watchset_new();
	struct watchlist *w = compile(lits_watch, strlen(lits_watch),
	    "lits.watch");
	size_t i;

	ok(w != NULL && watchset_add(s, w) == 0,
	    "regexes with and without a leading literal compile");
	for (i = 0; w && i < ELEMENTSOF(lits_cases); i++) {
		char *got = spans_of(s, lits_cases[i].alert,
		    lits_cases[i].title, lits_cases[i].body);

		is_str(got, lits_cases[i].spans, "%s: '%s' / '%s'",
		    lits_cases[i].alert, show(lits_cases[i].title),
		    show(lits_cases[i].body));
		free(got);
	}
	watchset_free(s);
}

static const struct {
	const char *query, *title, *want;
} query_cases[] = {
	{ "rare earth*", "Rare earths rally", "rare earth*" },
	{ "rare earth* AND NOT Japan", "Rare earths in Japan", NULL },
	{ "\"Долин* Менделеева\" OR Rosatom", "Rosatom в Долине Менделеева",
	    "Долин* Менделеева,Rosatom" },
	{ "\"Долина Менделеева\"", "в Долине Менделеева", NULL },
	{ "неодим* NEAR/2 экспорт*", "Экспорт неодима растет",
	    "неодим*,экспорт*" },
	{ "(China OR Китай*) AND 稀土", "Китай: 稀土", "Китай*,稀土" },
};

static void
test_query(void)
{
	struct diag d;
	size_t i;

	for (i = 0; i < ELEMENTSOF(query_cases); i++) {
		struct watchset *s = watchset_new();
		struct watchlist *w = NULL;
		char **phrases = NULL;
		char *got;
		int r;

		diag_init(&d);
		r = watchlist_compile_query(query_cases[i].query, &w, &phrases,
		    &d);
		is_int(r, 0, "query '%s' compiles%s%s", query_cases[i].query,
		    d.n ? ": " : "", d.n ? d.msgs[0] : "");
		diag_done(&d);
		strv_free(phrases);
		if (r < 0) {
			watchset_free(s);
			continue;
		}
		(void)watchset_add(s, w);
		got = terms_of(s, "search", "search", query_cases[i].title,
		    NULL);
		is_str(got, query_cases[i].want, "query '%s' on '%s'",
		    query_cases[i].query, query_cases[i].title);
		free(got);
		watchset_free(s);
	}
	diag_init(&d);
	ok(watchlist_compile_query("a AND", &(struct watchlist *){ NULL },
	    NULL, &d) == -EINVAL && d.n == 1 && strstr(d.msgs[0],
	    "expected a term name, NOT or (, found the end of the query"),
	    "a broken query says what was expected");
	diag_done(&d);
	diag_init(&d);
	ok(watchlist_compile_query("\"unclosed", &(struct watchlist *){ NULL },
	    NULL, &d) == -EINVAL && d.n == 1 &&
	    strcmp(d.msgs[0], "query: column 1: a \" that is never closed") == 0,
	    "an unclosed quote: %s", d.n ? d.msgs[0] : "");
	diag_done(&d);
}

static void
test_watchset(void)
{
	static const char a[] =
	    "[watchlist]\nname = same\n[term t]\nmatch = t\n";
	struct watchset *s = watchset_new();
	struct watchlist *w1 = compile(a, strlen(a), "a.watch");
	struct watchlist *w2 = compile(a, strlen(a), "b.watch");

	ok(s && w1 && w2, "two watchlists compile");
	if (!s || !w1 || !w2)
		return;
	is_int(watchset_add(s, w1), 0, "first one added");
	is_int(watchset_add(s, w2), -EEXIST, "same name again is -EEXIST");
	is_int(watchset_size(s), 1, "the set keeps one");
	watchlist_free(w2);
	watchset_free(s);
}

/* The watchlists reewatch ships, for the threads below. */
static const char *const shipped[] = {
	"ree-core", "ree-russia", "ree-prc", "ree-global",
	"ree-central-asia", "ree-iea",
};

/* Sentences the entries for the threads are made of: English, Russian,
 * Chinese, text the quick fold does not take, words of the lists above
 * and of the twins in mixed_watch and mixed2_watch. */
static const char *const thread_bits[] = {
	"Rare earth prices rise as China restricts exports.",
	"Lynas ships NdPr oxide; REE and REM production grows.",
	"The US and Kazakhstan sign a critical minerals deal in Astana.",
	"Tau-Ken Samruk opens a lanthanide plant, Almalyk expands.",
	"Rare earthenware is not rare earths, nor is a rare-earth joke.",
	"A quiet day on the markets with nothing to report.",
	"The U.S. Department of Energy funds magnet recycling.",
	"Lanthanum, LANTHANUM, cerium and big rare earth magnets.",
	"alpha and beta near the Mendeleev Valley; gamma later.",
	"REE and ree, lanthanide REEs, REE-lanthanide (a (b) c) paren.",
	"Редкоземельные металлы: Казахстан и Узбекистан.",
	"Росатом построит завод по производству РЗМ и РЗЭ.",
	"Дочь Шойгу возглавила фонд; цены на редкие земли выросли.",
	"В Средней Азии нашли лантаноиды, Навоийский горно-"
	    "металлургический комбинат доволен.",
	"Ничего интересного сегодня не произошло.",
	"中国限制稀土出口，商务部发布公告。",
	"中俄关系与俄方合作：哈萨克斯坦与中亚的稀土。",
	"乌兹别克斯坦塔什干的稀土永磁铁。",
	"今天没有新闻。",
	"\xef\xac\x81nal \xef\xbc\xb2\xef\xbd\x81\xef\xbd\x92\xef\xbd\x85 "
	    "earth & co, \xe2\x80\x9crare earth\xe2\x80\x9d \xe2\x80\x94 "
	    "\xc2\xabредкие земли\xc2\xbb, ёлка.",
	"İzmir, ẞẞ rare earth, ΐ Straße rare earth.",
};

#define THREADS		4
#define THREAD_ENTRIES	200
#define THREAD_ROUNDS	2

struct thread_run {
	const struct watchset *s;
	const struct entry *e;
	char *const *want;		/* by entry: the serial hits_key() */
	const int *want_r;
	unsigned done, differ;		/* entries matched; not as serial */
	bool no_work;
};

/* One thread: its own work, every entry THREAD_ROUNDS times. */
static void *
thread_main(void *ud)
{
	struct thread_run *t = ud;
	struct match_work *w = match_work_new(t->s);
	size_t round, i;

	if (!w) {
		t->no_work = true;
		return NULL;
	}
	for (round = 0; round < THREAD_ROUNDS; round++)
		for (i = 0; i < THREAD_ENTRIES; i++) {
			struct hit *hits = NULL;
			size_t n = 0;
			int r = match_entry_with(t->s, w, &t->e[i], &hits, &n);
			char *key = r >= 0 || r == -ETIME ?
			    hits_key(hits, n) : NULL;

			t->done++;
			if (r != t->want_r[i] || !key ||
			    strcmp(key, t->want[i]) != 0)
				t->differ++;
			free(key);
			if (r == 0 || r == -ETIME)
				hits_free(hits, n);
		}
	match_work_free(w);
	return NULL;
}

/* Entry i: a title of one or two sentences, a body of none to many (a
 * long one now and then), sometimes as a summary and a content. */
static void
thread_entry(struct entry *e, size_t i, uint32_t *seed)
{
	struct buf title, body;
	size_t k, n;

#define NEXT() (*seed = *seed * 1103515245u + 12345u, *seed >> 16)
	buf_init(&title, 0);
	buf_init(&body, 0);
	n = 1 + NEXT() % 2;
	for (k = 0; k < n; k++)
		(void)buf_printf(&title, "%s%s", k ? " " : "",
		    thread_bits[NEXT() % ELEMENTSOF(thread_bits)]);
	n = i % 5 == 0 ? 0 : i % 37 == 1 ? 250 : NEXT() % 12;
	for (k = 0; k < n; k++)
		(void)buf_printf(&body, "%s%s", k % 7 ? " " : "\n",
		    thread_bits[NEXT() % ELEMENTSOF(thread_bits)]);
#undef NEXT
	memset(e, 0, sizeof(*e));
	e->title.s = buf_steal(&title);
	if (i % 3 == 0 && body.len > 0) {
		e->summary.s = xstrdup(thread_bits[i %
		    ELEMENTSOF(thread_bits)]);
		e->content.s = buf_steal(&body);
	} else if (body.len > 0)
		e->summary.s = buf_steal(&body);
	buf_done(&body);
}

/*
 * The shipped watchlists and the lists with twins above in one prepared
 * set; THREADS threads match the same entries at once, each with its own
 * work, and must find what match_entry() found one entry at a time.
 */
static void
test_threads(void)
{
	const char *top = getenv("top_srcdir");
	struct watchset *s = watchset_new();
	struct entry *e = xcalloc(THREAD_ENTRIES, sizeof(*e));
	char **want = xcalloc(THREAD_ENTRIES, sizeof(char *));
	int *want_r = xcalloc(THREAD_ENTRIES, sizeof(int));
	struct thread_run run_of[THREADS];
	pthread_t tid[THREADS];
	struct watchlist *w;
	size_t i, hits = 0, started = 0;
	uint32_t seed = 7;
	bool compiled = true;

	for (i = 0; i < ELEMENTSOF(shipped); i++) {
		_cleanup_free_ char *path = xasprintf("%s/watchlists/%s.watch",
		    top ? top : ".", shipped[i]);
		_cleanup_free_ char *data = NULL;
		size_t len = 0;

		w = read_file(path, 1 << 20, &data, &len) == 0 ?
		    compile(data, len, path) : NULL;
		compiled = compiled && w && watchset_add(s, w) == 0;
	}
	w = compile(mixed_watch, strlen(mixed_watch), "mixed.watch");
	compiled = compiled && w && watchset_add(s, w) == 0;
	w = compile(mixed2_watch, strlen(mixed2_watch), "mixed2.watch");
	compiled = compiled && w && watchset_add(s, w) == 0;
	w = compile(alerts_watch, strlen(alerts_watch), "alerts.watch");
	compiled = compiled && w && watchset_add(s, w) == 0;
	ok(compiled, "the shipped watchlists and three more in one set");
	is_int(watchset_prepare(s), 0, "the set prepared");
	for (i = 0; i < THREAD_ENTRIES; i++) {
		struct hit *h = NULL;
		size_t n = 0;

		thread_entry(&e[i], i, &seed);
		want_r[i] = match_entry(s, &e[i], &h, &n);
		want[i] = want_r[i] == 0 || want_r[i] == -ETIME ?
		    hits_key(h, n) : xstrdup("(error)");
		if (want_r[i] == 0 || want_r[i] == -ETIME)
			hits_free(h, n);
		hits += n;
	}
	ok(hits > THREAD_ENTRIES, "%zu hits in %d entries one at a time",
	    hits, THREAD_ENTRIES);
	for (i = 0; i < THREADS; i++) {
		run_of[i] = (struct thread_run){ .s = s, .e = e,
		    .want = want, .want_r = want_r };
		if (pthread_create(&tid[i], NULL, thread_main, &run_of[i]) != 0)
			break;
		started++;
	}
	is_int(started, THREADS, "%d threads started", THREADS);
	for (i = 0; i < started; i++) {
		(void)pthread_join(tid[i], NULL);
		ok(!run_of[i].no_work && run_of[i].done ==
		    THREAD_ENTRIES * THREAD_ROUNDS && run_of[i].differ == 0,
		    "thread %zu: %u entries, %u not as one at a time", i,
		    run_of[i].done, run_of[i].differ);
	}
	for (i = 0; i < THREAD_ENTRIES; i++) {
		entry_done(&e[i]);
		free(want[i]);
	}
	free(e);
	free(want);
	free(want_r);
	watchset_free(s);
}

/* A work is for the set as it was prepared; match_entry() follows adds. */
static void
test_work_stale(void)
{
	static const char a[] =
	    "[watchlist]\nname = a\n[term t]\nmatch = ytterbium\n";
	static const char b[] =
	    "[watchlist]\nname = b\n[term t]\nmatch = ytterbium\n"
	    "[term u]\nmatch = yttrium\n";
	struct watchset *s = watchset_new();
	struct match_work *mw;
	struct hit *hits = NULL;
	size_t n = 0;
	struct entry e;

	memset(&e, 0, sizeof(e));
	e.title.s = (char *)"Yttrium and ytterbium";
	(void)watchset_add(s, compile(a, strlen(a), "a.watch"));
	is_int(watchset_prepare(s), 0, "one list prepared");
	mw = match_work_new(s);
	ok(mw && match_entry_with(s, mw, &e, &hits, &n) == 0 && n == 1,
	    "its work finds one hit");
	hits_free(hits, n);
	(void)watchset_add(s, compile(b, strlen(b), "b.watch"));
	is_int(match_entry_with(s, mw, &e, &hits, &n), -ESTALE,
	    "after an add the old work is refused");
	ok(match_entry(s, &e, &hits, &n) == 0 && n == 2 &&
	    hits[1].n_spans == 2, "match_entry() sees the added list");
	hits_free(hits, n);
	match_work_free(mw);
	mw = match_work_new(s);
	ok(mw && match_entry_with(s, mw, &e, &hits, &n) == 0 && n == 2,
	    "a new work after it finds both");
	hits_free(hits, n);
	match_work_free(mw);
	match_work_free(NULL);
	watchset_free(s);
}

/* Everything once; main runs it with the JIT and with the interpreter. */
static void
suite(void)
{
	const char *top = getenv("top_srcdir");
	_cleanup_free_ char *path = NULL, *data = NULL;
	struct watchset *s = watchset_new();
	struct watchlist *w;
	size_t len = 0;

	path = xasprintf("%s/tests/data/watch/ree-terms.watch",
	    top ? top : ".");
	ok(read_file(path, 1 << 20, &data, &len) == 0, "read %s", path);
	w = data ? compile(data, len, path) : NULL;
	ok(w != NULL, "ree-terms.watch compiles");
	if (w) {
		is_str(watchlist_name(w), "ree-terms", "watchlist name");
		is_int(watchlist_n_terms(w), 10, "10 terms");
		is_int(watchlist_n_alerts(w), 0, "no alerts");
		is_int(watchset_add(s, w), 0, "added to the set");
	}
	w = compile(alerts_watch, strlen(alerts_watch), "alerts.watch");
	ok(w != NULL, "alerts watchlist compiles");
	if (w) {
		is_int(watchlist_n_alerts(w), 8, "8 alerts");
		is_int(watchset_add(s, w), 0, "added to the set");
	}
	test_terms(s);
	test_alerts(s);
	test_hit_details(s);
	test_snippet(s);
	test_errors();
	test_limits();
	test_watchset();
	test_near();
	test_mixed();
	test_lits();
	test_unfiltered();
	test_literals();
	test_query();
	test_threads();
	test_work_stale();
	watchset_free(s);
	ok(prefilter_runs > 90, "%u entries also matched the naive way",
	    prefilter_runs);
	is_int(prefilter_diffs, 0, "the prefilter changes no hit");
	prefilter_runs = prefilter_diffs = 0;
}

int
main(void)
{
	const char *no_jit = getenv("REEWATCH_NO_JIT");

	printf("# with the JIT where PCRE2 has one (REEWATCH_NO_JIT=%s)\n",
	    no_jit ? no_jit : "");
	suite();
	/*
	 * Where the JIT cannot be had (MemoryDenyWriteExecute=yes, valgrind)
	 * the interpreter must give the same answers, limits included.
	 */
	printf("# again with the interpreter only (REEWATCH_NO_JIT=1)\n");
	if (setenv("REEWATCH_NO_JIT", "1", 1) < 0)
		ok(false, "setenv");
	suite();
	return tap_done();
}
