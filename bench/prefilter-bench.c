/*
 * prefilter-bench.c: prefilter_scan() alone, for old vs new builds of
 * prefilter.c: the literals of a file (one a line) over the text of some
 * files, RUNS times; prints the median MB/s, prefilter_memory() and a
 * checksum of every (literal, start) reported, which two builds must
 * share.  No I/O but reading its arguments and stdout.
 *
 * usage: prefilter-bench LITERALS RUNS FILE...
 * The literals of the shipped watchlists (as the matcher folds them)
 * come from bench/prefilter-lits.sh.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prefilter.h"
#include "util.h"

#define FILE_MAX	((size_t)64 << 20)

struct sum {
	uint64_t hash;
	size_t n;
};

static void
on_found(void *ud, uint32_t id, size_t start)
{
	struct sum *s = ud;

	s->hash = (s->hash ^ ((uint64_t)id << 40 ^ start)) *
	    0x100000001b3ULL;
	s->n++;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

int
main(int argc, char **argv)
{
	_cleanup_free_ char *lits = NULL;
	struct prefilter *p;
	struct sum sum = { 0xcbf29ce484222325ULL, 0 };
	char **text;
	size_t *text_len, n_text, lits_len, bytes = 0, runs, i, k;
	double *t;
	char *line, *save = NULL;
	int r;

	if (argc < 4 || (runs = strtoul(argv[2], NULL, 10)) < 1) {
		fprintf(stderr, "usage: prefilter-bench LITERALS RUNS FILE...\n");
		return 2;
	}
	r = read_file(argv[1], FILE_MAX, &lits, &lits_len);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	n_text = (size_t)argc - 3;
	text = xcalloc(n_text, sizeof(*text));
	text_len = xcalloc(n_text, sizeof(*text_len));
	for (i = 0; i < n_text; i++) {
		r = read_file(argv[3 + i], FILE_MAX, &text[i], &text_len[i]);
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", argv[3 + i], strerror(-r));
			return 1;
		}
		bytes += text_len[i];
	}
	p = prefilter_new();
	for (line = strtok_r(lits, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save))
		(void)prefilter_add(p, line, strlen(line));
	prefilter_build(p);
	t = xcalloc(runs, sizeof(*t));
	for (k = 0; k < runs; k++) {
		struct sum s = { 0xcbf29ce484222325ULL, 0 };
		double t0 = now();

		for (i = 0; i < n_text; i++)
			prefilter_scan(p, text[i], text_len[i], on_found, &s);
		t[k] = now() - t0;
		sum = s;
	}
	qsort(t, runs, sizeof(*t), dbl_cmp);
	printf("%zu literals, %zu bytes of automaton, %.1f MB of text: "
	    "%.1f MB/s (median of %zu), %zu hits, checksum %016llx\n",
	    prefilter_n_literals(p), prefilter_memory(p), (double)bytes / 1e6,
	    (double)bytes / 1e6 / t[runs / 2], runs, sum.n,
	    (unsigned long long)sum.hash);
	for (i = 0; i < n_text; i++)
		free(text[i]);
	free(text);
	free(text_len);
	free(t);
	prefilter_free(p);
	return 0;
}
