/*
 * cmd-search.c: `reewatch search 'QUERY' [--since DURATION]`: the query
 * language over every stored entry, narrowed by the store's trigram index
 * and confirmed by the matcher.  Reads the store; writes nothing.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "match.h"

#define SEARCH_SINCE_DEFAULT	(3650LL * 86400)	/* everything */
#define SEARCH_TRIGRAM_MIN	3	/* characters the index needs */

struct search {
	const struct watchset *ws;
	size_t entries, hits;
	bool limited;
};

/*
 * The bytes of the character at p that the index may look for, 0 if it
 * may not.  The index holds the display text, the matcher its normalised
 * form, so only characters the normalisation never changes: ASCII letters
 * and digits, Cyrillic but е (the text may write ё), CJK ideographs.
 */
static size_t
indexable(const unsigned char *p, size_t n)
{
	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= '0' && *p <= '9'))
		return 1;
	if ((*p == 0xd0 || *p == 0xd1) && n >= 2) {
		unsigned c = (unsigned)(*p & 0x1f) << 6 | (p[1] & 0x3f);

		return c < 0x410 || c > 0x44f || c == 0x415 || c == 0x435 ?
		    0 : 2;
	}
	if (*p >= 0xe4 && *p <= 0xe9 && n >= 3)
		return 3;			/* U+4E00..U+9FFF */
	return 0;
}

/* The longest run of indexable characters in s, at least
 * SEARCH_TRIGRAM_MIN of them (trigrams match inside words too). */
static void
longest_run(const char *s, const char **ret, size_t *ret_n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, chars = 0, best = 0, n = strlen(s);

	*ret = NULL;
	*ret_n = 0;
	for (;;) {
		size_t k = i < n ? indexable(p + i, n - i) : 0;

		if (k > 0) {
			if (chars == 0)
				start = i;
			chars++;
			i += k;
			continue;
		}
		if (chars >= SEARCH_TRIGRAM_MIN && chars > best) {
			*ret = s + start;
			*ret_n = i - start;
			best = chars;
		}
		chars = 0;
		if (i >= n)
			break;
		/* skip this character */
		i++;
		while (i < n && (p[i] & 0xc0) == 0x80)
			i++;
	}
}

/*
 * The FTS5 expression that every entry the query can hit matches: one
 * indexable word of each phrase, ORed (a hit needs one of its phrases).
 * NULL when some phrase has no such word: then every entry is read.
 */
static char *
fts_expression(char **phrases)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; phrases[i]; i++) {
		const char *best;
		size_t best_n;

		longest_run(phrases[i], &best, &best_n);
		if (!best) {
			buf_done(&b);
			return NULL;
		}
		if (b.len > 0)
			(void)buf_adds(&b, " OR ");
		(void)buf_addc(&b, '"');
		(void)buf_add(&b, best, best_n);
		(void)buf_addc(&b, '"');
	}
	return buf_steal(&b);
}

static int
on_entry(const struct store_entry_row *row, void *ctx)
{
	struct search *x = ctx;
	struct hit *hits = NULL;
	size_t n = 0;
	int r;

	x->entries++;
	r = cmd_match_row(x->ws, row, &x->limited, &hits, &n);
	if (r < 0)
		return r;
	if (n > 0) {
		char when[RFC3339_MAX] = "-";

		x->hits++;
		if (row->published)
			(void)format_rfc3339(row->published, when);
		printf("%s  %s: %s\n", when, row->feed,
		    row->title ? row->title : "(no title)");
		if (row->link)
			printf("  %s\n", row->link);
		cmd_print_terms("  ", hits[0].terms);
		printf("  %s\n\n", hits[0].snippet);
	}
	hits_free(hits, n);
	return 0;
}

int
cmd_search(int argc, char **argv)
{
	_cleanup_free_ char *fts = NULL;
	uint64_t since_sec = SEARCH_SINCE_DEFAULT;
	struct search x = { NULL, 0, 0, false };
	struct setup *su = NULL;
	struct store *st = NULL;
	struct watchlist *w = NULL;
	struct watchset *ws;
	char **phrases = NULL;
	struct diag d;
	size_t i;
	int r;

	r = cmd_operand_since(argc, argv, "'QUERY'", &since_sec);
	if (r != 0)
		return r;
	diag_init(&d);
	r = watchlist_compile_query(argv[optind], &w, &phrases, &d);
	for (i = 0; i < d.n; i++) {
		/* the one-off watchlist's lines mean nothing to the user */
		const char *m = strstr(d.msgs[i], "query: ");

		fprintf(stderr, "reewatch search: %s\n", m ? m + 7 :
		    d.msgs[i]);
	}
	diag_done(&d);
	if (r < 0)
		return CMD_EXIT_USAGE;
	fts = fts_expression(phrases);
	strv_free(phrases);
	r = cmd_open_matcher(w, &su, &st, &ws);
	if (r != 0)
		return r;
	x.ws = ws;
	r = store_search_each(st, fts, now_utc() - (int64_t)since_sec,
	    on_entry, &x);
	if (r < 0)
		fprintf(stderr, "reewatch search: %s\n", strerror(-r));
	else
		printf("%zu of %zu entries%s match\n", x.hits, x.entries,
		    fts ? " from the index" : "");
	if (x.limited)
		fprintf(stderr, "reewatch search: some patterns hit PCRE2's "
		    "limits on some entries\n");
	watchset_free(ws);
	store_close(st);
	setup_free(su);
	return r < 0 ? 1 : 0;
}
