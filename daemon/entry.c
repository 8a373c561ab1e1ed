/*
 * entry.c: destructors for the shared data types of reewatch.h.
 * No I/O.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "reewatch.h"
#include "util.h"

void
entry_done(struct entry *e)
{
	if (!e)
		return;
	free(e->id);
	free(e->key);
	free(e->link);
	free(e->title.s);
	free(e->summary.s);
	free(e->content.s);
	strv_free(e->authors);
	strv_free(e->categories);
	memset(e, 0, sizeof(*e));
}

void
hit_done(struct hit *h)
{
	if (!h)
		return;
	free(h->watchlist);
	free(h->alert);
	strv_free(h->terms);
	free(h->spans);
	free(h->snippet);
	memset(h, 0, sizeof(*h));
}

void
hits_free(struct hit *hits, size_t n)
{
	size_t i;

	for (i = 0; hits && i < n; i++)
		hit_done(&hits[i]);
	free(hits);
}
