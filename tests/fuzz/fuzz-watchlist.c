/*
 * fuzz-watchlist.c: libFuzzer target for the watchlist and query compiler
 * (watchlist_compile); a list that compiles is matched against a fixed
 * entry and against its own text (where its literals are), each with the
 * literal prefilter and the naive way (every term's regex): the hits must
 * be the same (abort() when not).  No I/O.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "text.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
same_hits(const struct hit *a, size_t na, const struct hit *b, size_t nb)
{
	size_t i, j;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		if (strcmp(a[i].alert, b[i].alert) != 0 ||
		    strcmp(a[i].watchlist, b[i].watchlist) != 0 ||
		    a[i].n_spans != b[i].n_spans || a[i].score != b[i].score)
			return false;
		for (j = 0; j < a[i].n_spans; j++)
			if (a[i].spans[j].field != b[i].spans[j].field ||
			    a[i].spans[j].start != b[i].spans[j].start ||
			    a[i].spans[j].end != b[i].spans[j].end)
				return false;
	}
	return true;
}

/* e matched with the prefilter and the naive way: the same hits. */
static void
match_both(struct watchset *s, const struct entry *e)
{
	struct hit *hits = NULL, *naive = NULL;
	size_t n_hits = 0, n_naive = 0;
	int r, rn;

	r = match_entry(s, e, &hits, &n_hits);
	watchset_set_naive(s, true);
	rn = match_entry(s, e, &naive, &n_naive);
	watchset_set_naive(s, false);
	/* a pattern over its match limit may stop at different places */
	if (r == 0 && rn == 0 && !same_hits(hits, n_hits, naive, n_naive))
		abort();
	if (r == 0 || r == -ETIME)
		hits_free(hits, n_hits);
	if (rn == 0 || rn == -ETIME)
		hits_free(naive, n_naive);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char title[] = "Росатом и Lynas: редкоземельные металлы, "
	    "неодим и литий (rare earths, REE) — новости";
	static char body[] = "Китай ограничил экспорт галлия и германия.\n"
	    "China restricts gallium, germanium; Минпромторг «одобрил».";
	struct entry e = { 0 };
	struct watchlist *w = NULL;
	struct watchset *s;
	struct diag d;

	diag_init(&d);
	if (watchlist_compile((const char *)data, size, "fuzz.watch", &w,
	    &d) == 0 && w) {
		s = watchset_new();
		if (s && watchset_add(s, w) == 0) {
			/* its own words, at word edges or not, as display
			 * text */
			char *own = text_clean((const char *)data, size);

			e.title.s = title;
			e.summary.s = body;
			match_both(s, &e);
			e.title.s = NULL;
			e.summary.s = own;
			match_both(s, &e);
			free(own);
		} else {
			watchlist_free(w);
		}
		watchset_free(s);
	}
	diag_done(&d);
	return 0;
}
