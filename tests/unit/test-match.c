/*
 * test-match.c: watchlists compiled and matched the way an analyst sees
 * them: which terms and alerts fire on which headlines, and the messages
 * a broken watchlist gets.  Reads tests/data/watch/; no other I/O.
 */
#include "config.h"

#include <errno.h>
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

static int
run(const struct watchset *s, const char *title, const char *body,
    struct hit **hits, size_t *n)
{
	struct entry e;

	memset(&e, 0, sizeof(e));
	e.title.s = (char *)title;
	e.content.s = (char *)body;
	return match_entry(s, &e, hits, n);
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
	    "t.watch:6: alert 'q': query: expected AND, OR or the end at "
	    "column 3, found 'b'" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = (a a)\n",
	    "t.watch:6: alert 'q': query: expected AND, OR or ) at column 4 "
	    "(for the ( at column 1), found 'a'" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = (a OR a\n",
	    "t.watch:6: alert 'q': query: expected AND, OR or ) at column 8 "
	    "(for the ( at column 1), found the end of the query" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a)\n",
	    "t.watch:6: alert 'q': query: unbalanced ) at column 2" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a AND delta\n",
	    "t.watch:6: alert 'q': query: unknown term 'delta' at column 7" },
	{ "[watchlist]\nname = x\n[term Rosatom]\nmatch = a\n[alert \"q\"]\n"
	    "query = rosatom\n",
	    "t.watch:6: alert 'q': query: unknown term 'rosatom' at column 1 "
	    "(did you mean 'Rosatom'?)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a and a\n",
	    "t.watch:6: alert 'q': query: expected AND, OR or the end at "
	    "column 3, found 'and' (operators are upper case: AND, OR, NOT)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a AND\n",
	    "t.watch:6: alert 'q': query: expected a term name, NOT or ( at "
	    "column 6, found the end of the query" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = \"a\" OR \"Mendeleev\n",
	    "t.watch:6: alert 'q': query: expected a term name, NOT or ( at "
	    "column 8, found a \" that is never closed" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = NOT a\n",
	    "t.watch:6: alert 'q': query is true when none of its terms "
	    "match (NOT alone needs an AND)" },
	{ "[watchlist]\nname = x\n[term a]\nmatch = a\n[alert \"q\"]\n"
	    "query = a ^ a\n",
	    "t.watch:6: alert 'q': query: expected AND, OR or the end at "
	    "column 3, found '^'" },
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
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run(s, NULL, body.data, &hits, &n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sec = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	is_int(r, -ETIME, "a pattern over its limits is -ETIME");
	ok(sec < 1.0, "and stops in %.3f s", sec);
	ok(n == 1 && strcmp(hits[0].terms[0], "fine") == 0 &&
	    !hits[0].terms[1], "the other terms still match");
	hits_free(hits, n);
	buf_done(&body);
	watchset_free(s);
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

int
main(void)
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
	watchset_free(s);
	return tap_done();
}
