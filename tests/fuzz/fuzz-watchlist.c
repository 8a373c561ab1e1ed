/*
 * fuzz-watchlist.c: libFuzzer target for the watchlist and query compiler
 * (watchlist_compile); a list that compiles is matched against a fixed
 * entry so the compiled rules run too.  No I/O.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "match.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	struct hit *hits = NULL;
	size_t n_hits = 0;
	struct diag d;

	diag_init(&d);
	if (watchlist_compile((const char *)data, size, "fuzz.watch", &w,
	    &d) == 0 && w) {
		s = watchset_new();
		if (s && watchset_add(s, w) == 0) {
			e.title.s = title;
			e.summary.s = body;
			(void)match_entry(s, &e, &hits, &n_hits);
			hits_free(hits, n_hits);
		} else {
			watchlist_free(w);
		}
		watchset_free(s);
	}
	diag_done(&d);
	return 0;
}
