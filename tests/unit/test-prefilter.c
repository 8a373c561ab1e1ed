/*
 * test-prefilter.c: the literal automaton against what a reader of the
 * text would find by hand: hand-made cases at the edges of its layout
 * (the DFA rows' depth, bytes no shallow literal uses, 0x00 and 0xff) and
 * random literal sets compared with a naive search.  No I/O.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"
#include "tap.h"
#include "util.h"

#define NONE	UINT32_MAX

/* What a scan reported, in order. */
struct found {
	uint32_t *id;
	size_t *start;
	size_t n, alloc;
};

static void
on_found(void *ud, uint32_t id, size_t start)
{
	struct found *f = ud;

	if (f->n == f->alloc) {
		f->alloc = f->alloc ? 2 * f->alloc : 64;
		f->id = xrealloc(f->id, f->alloc * sizeof(*f->id));
		f->start = xrealloc(f->start, f->alloc * sizeof(*f->start));
	}
	f->id[f->n] = id;
	f->start[f->n++] = start;
}

static void
found_done(struct found *f)
{
	free(f->id);
	free(f->start);
	memset(f, 0, sizeof(*f));
}

/* The literals in order (lens[i] 0: strlen); the scan as "id@start". */
static char *
scan_str(const char *const *lits, const size_t *lens, size_t n_lits,
    const char *text, size_t len)
{
	struct prefilter *p = prefilter_new();
	struct found f = { NULL, NULL, 0, 0 };
	struct buf b;
	size_t i;

	for (i = 0; i < n_lits; i++)
		(void)prefilter_add(p, lits[i], lens[i] ? lens[i] :
		    strlen(lits[i]));
	prefilter_build(p);
	prefilter_scan(p, text, len, on_found, &f);
	buf_init(&b, 0);
	for (i = 0; i < f.n; i++)
		(void)buf_printf(&b, "%s%u@%zu", i ? " " : "", f.id[i],
		    f.start[i]);
	found_done(&f);
	prefilter_free(p);
	return buf_steal(&b);
}

static const struct {
	const char *lits[8];
	size_t lens[8];		/* 0: strlen(lits[i]) */
	const char *text;
	size_t len;		/* 0: strlen(text) */
	const char *want;
	const char *what;
} cases[] = {
	{ { "he", "she", "his", "hers" }, { 0 }, "ushers", 0, "1@1 0@2 3@2",
	    "overlapping literals, each at its own start, by end" },
	{ { "a", "aa", "aaa" }, { 0 }, "aaaa", 0,
	    "0@0 1@0 0@1 2@0 1@1 0@2 2@1 1@2 0@3",
	    "every overlap of a run; longest first at the same end" },
	{ { "abcd", "abcde", "abcdefgh", "bcde" }, { 0 },
	    "xabcdefghabcd", 0,
	    "0@1 1@1 3@2 2@1 0@9",
	    "literals ending at the DFA's depth, one past, deeper" },
	{ { "wxyzQ", "wxyz" }, { 0 }, "wxyzR wxyzQ wxyQ", 0, "1@0 1@6 0@6",
	    "a byte only the fifth byte of a literal uses" },
	{ { "abcdefX", "abcdefY", "cdefZ" }, { 0 }, "abcdefY abcdefZ abcdefX "
	    "abcdefW", 0, "1@0 2@10 0@16",
	    "bytes that only deep nodes use are told apart there" },
	{ { "fooXbar", "fooYbar", "X" }, { 0 }, "fooYbar fooXbar fooZbar", 0,
	    "1@0 2@11 0@8",
	    "literals differing only in one byte, in and past the rows" },
	{ { "\x01\xff", "\xff\xff\xff\xff\xff\xff", "a\xff" }, { 0 },
	    "\x01\xff\xff\xff\xff\xff\xff\xff" "a\xff\xfe", 0,
	    "0@0 1@1 1@2 2@8", "0xff in literals and text" },
	{ { "q\x00r", "\x00\x00\x00\x00\x00" }, { 3, 5 },
	    "q\x00r\x00\x00\x00\x00\x00" "\x00q\x00", 11, "0@0 1@3 1@4",
	    "0x00 in literals and text: bytes, not strings" },
	{ { "\x80", "\xd0\xb5" }, { 0 }, "\xd0\xb5\x80\xd1\x91", 0, "1@0 0@2",
	    "UTF-8 bytes match as bytes" },
	{ { "ab" }, { 0 }, "", 0, "", "an empty text reports nothing" },
	{ { "needle" }, { 0 }, "haystack without it, needl, eedle", 0, "",
	    "nothing when no literal occurs" },
};

static void
test_cases(void)
{
	size_t i, n;

	for (i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *got = NULL;

		for (n = 0; n < ELEMENTSOF(cases[i].lits) && cases[i].lits[n];
		    n++)
			;
		got = scan_str(cases[i].lits, cases[i].lens, n, cases[i].text,
		    cases[i].len ? cases[i].len : strlen(cases[i].text));
		is_str(got, cases[i].want, "%s", cases[i].what);
	}
}

static void
test_add(void)
{
	struct prefilter *p = prefilter_new();
	struct found f = { NULL, NULL, 0, 0 };

	is_int(prefilter_add(p, "abc", 3), 0, "the first literal is 0");
	is_int(prefilter_add(p, "abd", 3), 1, "the next is 1");
	is_int(prefilter_add(p, "abc", 3), 0, "the same bytes: the same id");
	is_int(prefilter_add(p, "ab", 2), 2, "a prefix is a literal too");
	is_int(prefilter_add(p, "x", 0), NONE, "no empty literal");
	is_int(prefilter_n_literals(p), 3, "three literals");
	prefilter_build(p);
	is_int(prefilter_add(p, "zz", 2), NONE, "no add after the build");
	ok(prefilter_memory(p) > 0, "it says how much memory it holds");
	prefilter_free(p);
	prefilter_free(NULL);

	p = prefilter_new();
	prefilter_build(p);
	prefilter_scan(p, "abc\0\xff", 5, on_found, &f);
	is_int(f.n, 0, "no literal, no report");
	prefilter_free(p);
	p = prefilter_new();
	(void)prefilter_add(p, "b", 1);
	prefilter_scan(p, "abc", 3, on_found, &f);
	is_int(f.n, 0, "no scan before the build");
	prefilter_free(p);
	found_done(&f);
}

static uint64_t seed = 7;

static uint32_t
rnd(uint32_t n)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(seed >> 33) % n;
}

/* A random literal set for the naive search: sorted by length, bytes. */
struct lits {
	char **s;
	size_t *len;
	uint32_t *id;
	size_t n;
};

static const struct lits *cmp_set;

static int
lit_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	size_t la = cmp_set->len[a], lb = cmp_set->len[b];

	if (la != lb)
		return la < lb ? -1 : 1;
	return memcmp(cmp_set->s[a], cmp_set->s[b], la);
}

/*
 * Every occurrence by a naive search, in the scan's order: by end, the
 * longer literal first at the same end.
 */
static void
naive(const struct lits *l, const uint32_t *order, const uint8_t *text,
    size_t len, size_t max_len, struct found *f)
{
	size_t end, m;

	for (end = 1; end <= len; end++)
		for (m = max_len; m > 0; m--) {
			size_t lo = 0, hi = l->n;

			if (m > end)
				continue;
			/* the first literal of length m not below the text */
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				uint32_t k = order[mid];
				int c = l->len[k] != m ? (l->len[k] < m ? -1 :
				    1) : memcmp(l->s[k], text + end - m, m);

				if (c < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < l->n && l->len[order[lo]] == m &&
			    memcmp(l->s[order[lo]], text + end - m, m) == 0)
				on_found(f, l->id[order[lo]], end - m);
		}
}

/*
 * n_lits random literals of 1 to max_len bytes drawn from alpha (a
 * text's bytes too, with one byte in 16 from anywhere), scanned over a
 * random text and compared with the naive search.
 */
static bool
random_set(const uint8_t *alpha, size_t n_alpha, size_t n_lits,
    size_t max_len, size_t text_len, size_t *ret_hits)
{
	struct prefilter *p = prefilter_new();
	struct found got = { NULL, NULL, 0, 0 }, want = { NULL, NULL, 0, 0 };
	struct lits l;
	uint32_t *order;
	uint8_t *text = xcalloc(text_len + 1, 1);
	size_t i, j, n_ids;
	bool same;

	l.s = xcalloc(n_lits, sizeof(*l.s));
	l.len = xcalloc(n_lits, sizeof(*l.len));
	l.id = xcalloc(n_lits, sizeof(*l.id));
	order = xcalloc(n_lits, sizeof(*order));
	for (i = 0; i < n_lits; i++) {
		l.len[i] = 1 + rnd((uint32_t)max_len);
		l.s[i] = xcalloc(l.len[i] + 1, 1);
		for (j = 0; j < l.len[i]; j++)
			l.s[i][j] = (char)alpha[rnd((uint32_t)n_alpha)];
		l.id[i] = prefilter_add(p, l.s[i], l.len[i]);
	}
	l.n = n_lits;
	n_ids = prefilter_n_literals(p);
	prefilter_build(p);
	/* the naive search wants each literal once */
	for (i = 0; i < n_lits; i++)
		order[i] = (uint32_t)i;
	cmp_set = &l;
	qsort(order, n_lits, sizeof(*order), lit_cmp);
	for (i = j = 0; i < n_lits; i++)
		if (j == 0 || lit_cmp(&order[j - 1], &order[i]) != 0)
			order[j++] = order[i];
	l.n = j;
	for (i = 0; i < text_len; i++)
		text[i] = rnd(16) == 0 ? (uint8_t)rnd(256) :
		    alpha[rnd((uint32_t)n_alpha)];
	prefilter_scan(p, (const char *)text, text_len, on_found, &got);
	naive(&l, order, text, text_len, max_len, &want);
	same = l.n == n_ids && got.n == want.n && (got.n == 0 ||
	    (memcmp(got.id, want.id, got.n * sizeof(*got.id)) == 0 &&
	    memcmp(got.start, want.start, got.n * sizeof(*got.start)) == 0));
	if (!same) {
		printf("# %zu literals (%zu distinct, ids %zu), %zu hits "
		    "against %zu\n", n_lits, l.n, n_ids, got.n, want.n);
		for (i = 0; i < got.n && i < want.n; i++)
			if (got.id[i] != want.id[i] ||
			    got.start[i] != want.start[i]) {
				printf("# first difference at %zu: %u@%zu "
				    "against %u@%zu\n", i, got.id[i],
				    got.start[i], want.id[i], want.start[i]);
				break;
			}
	}
	*ret_hits = want.n;
	for (i = 0; i < n_lits; i++)
		free(l.s[i]);
	free(l.s);
	free(l.len);
	free(l.id);
	free(order);
	free(text);
	found_done(&got);
	found_done(&want);
	prefilter_free(p);
	return same;
}

static void
test_random(void)
{
	static const uint8_t ab[] = { 'a', 'b' };
	static const uint8_t edge[] = { 0x00, 0xff, 'a', 0x80, 0x7f, 0x01 };
	uint8_t all[256], letters[26], wide[24];
	size_t i, hits, total = 0, bad = 0;

	for (i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	for (i = 0; i < 26; i++)
		letters[i] = (uint8_t)('a' + i);
	for (i = 0; i < 24; i++)	/* spread over the byte range */
		wide[i] = (uint8_t)(i * 11);
	for (i = 0; i < 40; i++) {
		bad += !random_set(ab, sizeof(ab), 1 + rnd(30), 1 + rnd(12),
		    500, &hits);
		total += hits;
		bad += !random_set(edge, sizeof(edge), 1 + rnd(60), 1 + rnd(9),
		    800, &hits);
		total += hits;
		bad += !random_set(letters, 3 + rnd(24), 1 + rnd(200),
		    1 + rnd(10), 2000, &hits);
		total += hits;
		bad += !random_set(all, sizeof(all), 1 + rnd(300), 1 + rnd(8),
		    2000, &hits);
		total += hits;
	}
	is_int(bad, 0, "160 random literal sets: the scan finds what a "
	    "naive search finds");
	ok(total > 10000, "and they found something (%zu hits)", total);
	/*
	 * More shallow nodes than the DFA takes as rows (8192): those left
	 * over keep their sorted edges, and the scan still finds all.
	 */
	ok(random_set(wide, sizeof(wide), 20000, 8, 20000, &hits),
	    "20,000 literals, more shallow nodes than rows");
	ok(hits > 1000, "with %zu hits", hits);
}

int
main(void)
{
	test_add();
	test_cases();
	test_random();
	return tap_done();
}
