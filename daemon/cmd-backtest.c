/*
 * cmd-backtest.c: `reewatch backtest WATCHLIST [--since DURATION]`: an
 * edited watchlist over the stored entries, and the hits it would add
 * and drop against the stored hits of the watchlist of the same name.
 * Reads the watchlist file and the store; writes nothing.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "match.h"

#define BACKTEST_SINCE_DEFAULT	((uint64_t)30 * 86400)
#define BACKTEST_FILE_MAX	((size_t)4 * 1024 * 1024)

struct backtest {
	const struct watchset *ws;
	const char *name;
	struct store_hit_key *old;	/* the stored hits, sorted */
	size_t n_old;
	bool *old_kept;			/* by old: the edit fires it too */
	size_t entries, hits, added;
	bool limited;
};

static int
key_cmp(int64_t id, const char *alert, const struct store_hit_key *k)
{
	if (id != k->entry_id)
		return id < k->entry_id ? -1 : 1;
	return strcmp(alert, k->alert);
}

/* The stored hit (id, alert), or -1. */
static ssize_t
old_find(const struct backtest *b, int64_t id, const char *alert)
{
	size_t lo = 0, hi = b->n_old;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(id, alert, &b->old[mid]);

		if (c == 0)
			return (ssize_t)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int
on_entry(const struct store_entry_row *row, void *ctx)
{
	struct backtest *b = ctx;
	struct hit *hits = NULL;
	size_t n = 0, i;
	int r;

	b->entries++;
	r = cmd_match_row(b->ws, row, &b->limited, &hits, &n);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		ssize_t k = old_find(b, row->id, hits[i].alert);

		b->hits++;
		if (k >= 0) {
			b->old_kept[k] = true;
			continue;
		}
		b->added++;
		printf("ADD  \"%s\" on entry %lld (%s): %s\n", hits[i].alert,
		    (long long)row->id, row->feed,
		    row->title ? row->title : "(no title)");
		cmd_print_terms("       ", hits[i].terms);
		printf("       %s\n", hits[i].snippet);
	}
	hits_free(hits, n);
	return 0;
}

int
cmd_backtest(int argc, char **argv)
{
	_cleanup_free_ char *data = NULL;
	uint64_t since_sec = BACKTEST_SINCE_DEFAULT;
	struct backtest b;
	struct setup *su = NULL;
	struct store *st = NULL;
	struct watchlist *w = NULL;
	struct watchset *ws = NULL;
	struct diag d;
	size_t len = 0, i, dropped = 0;
	int r, status = 0;

	memset(&b, 0, sizeof(b));
	r = cmd_operand_since(argc, argv, "WATCHLIST", &since_sec);
	if (r != 0)
		return r;
	r = read_file(argv[optind], BACKTEST_FILE_MAX, &data, &len);
	if (r < 0) {
		fprintf(stderr, "reewatch backtest: %s: %s\n", argv[optind],
		    strerror(-r));
		return 1;
	}
	diag_init(&d);
	r = watchlist_compile(data, len, argv[optind], &w, &d);
	for (i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	diag_done(&d);
	if (r < 0)
		return SETUP_EXIT_CONFIG;
	r = cmd_open_matcher(w, &su, &st, &ws);
	if (r != 0)
		return r;
	b.name = watchlist_name(w);
	b.ws = ws;
	{
		int64_t since = now_utc() - (int64_t)since_sec;

		r = store_hit_keys(st, b.name, since, &b.old, &b.n_old);
		if (r == 0) {
			b.old_kept = xcalloc(b.n_old + 1, sizeof(bool));
			r = store_entries_each(st, since, on_entry, &b);
		}
	}
	if (r < 0) {
		fprintf(stderr, "reewatch backtest: %s\n", strerror(-r));
		status = 1;
	} else {
		for (i = 0; i < b.n_old; i++) {
			if (b.old_kept[i])
				continue;
			dropped++;
			printf("DROP \"%s\" on entry %lld (%s): %s\n",
			    b.old[i].alert, (long long)b.old[i].entry_id,
			    b.old[i].feed,
			    b.old[i].title ? b.old[i].title : "(no title)");
		}
		printf("%s: %zu entries, %zu hits now, %zu stored: %zu added, "
		    "%zu dropped, %zu unchanged\n", b.name, b.entries, b.hits,
		    b.n_old, b.added, dropped, b.n_old - dropped);
		if (b.limited)
			fprintf(stderr, "reewatch backtest: some patterns hit "
			    "PCRE2's limits on some entries\n");
	}
	store_hit_keys_free(b.old, b.n_old);
	free(b.old_kept);
	watchset_free(ws);
	store_close(st);
	setup_free(su);
	return status;
}
