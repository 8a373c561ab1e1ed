/*
 * match-bench.c: matching throughput at 10, 100, 1,000 and 10,000 terms,
 * with the literal prefilter and the naive loop (every term's regex on
 * every entry) in the same run, checking both give the same hits.  Terms
 * and entries are generated (mixed English and Russian, fixed seed); no
 * I/O but stdout.  Usage: match-bench [RUNS] [ENTRIES] [TERMS]
 * (TERMS: one size instead of 10,000, 1,000, 100 and 10).
 *
 * match-bench --dense DIR [RUNS] [ENTRIES]: the *.watch files in DIR
 * (read once) against entries made only of watch words, as
 * bench/poll-bench.sh generates them: where matching is dense.
 *
 * match-bench --literals DIR: the prefilter's literals of the *.watch
 * files in DIR, one a line (for bench/prefilter-bench.sh).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "match.h"
#include "util.h"

#define BENCH_RUNS		5
#define BENCH_ENTRIES		2000
#define BENCH_WORDS		300	/* words of body per entry */
#define BENCH_NAIVE_WORK	20000	/* terms x entries for the naive loop */
#define DENSE_WORDS		230	/* body words per entry (poll-bench.sh) */
#define DENSE_TITLE_WORDS	8
#define DENSE_NAIVE		200	/* entries the naive loop runs */
#define WATCH_MAX		((size_t)1 << 20)	/* bytes per file */

static uint64_t seed = 42;

static uint32_t
rnd(uint32_t n)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(seed >> 33) % n;
}

static const char *const common_en[] = {
	"the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as",
	"was", "with", "be", "by", "on", "not", "he", "this", "are", "or",
	"his", "from", "at", "which", "but", "have", "an", "had", "they",
	"you", "were", "their", "one", "all", "we", "can", "her", "has",
	"there", "been", "if", "more", "when", "will", "would", "who", "so",
	"no", "market", "prices", "government", "minister", "company",
	"production", "export", "imports", "supply", "chain", "deal",
	"agreement", "percent", "billion", "million", "tonnes", "year",
	"week", "report", "said", "says", "officials", "plant", "mine",
	"mining", "metals", "industry", "energy", "security", "trade",
	"tariffs", "investment", "project", "capacity", "output", "demand",
	"analysts", "according", "sources", "statement", "quarter", "growth",
	"policy", "sanctions", "region", "president", "ministry", "national",
	"international", "development", "technology", "resources", "global",
};

static const char *const common_ru[] = {
	"и", "в", "не", "на", "с", "что", "по", "это", "он", "как", "к", "из",
	"за", "от", "о", "для", "но", "так", "его", "все", "они", "при",
	"году", "года", "компания", "компании", "рынок", "рынке", "цены",
	"правительство", "министр", "министерство", "производство",
	"производства", "экспорт", "импорт", "поставки", "соглашение",
	"процентов", "миллиардов", "миллионов", "тонн", "неделе", "доклад",
	"заявил", "сообщил", "сообщает", "источники", "завод", "завода",
	"месторождение", "месторождения", "добыча", "добычи", "металлы",
	"металлов", "отрасль", "энергетика", "безопасность", "торговля",
	"пошлины", "инвестиции", "проект", "проекта", "мощности", "спрос",
	"аналитики", "по данным", "заявление", "квартал", "рост", "политика",
	"санкции", "регион", "региона", "президент", "национальный",
	"международный", "развитие", "технологии", "ресурсы", "мировой",
};

static const char *const syl_en[] = {
	"ka", "ro", "tan", "vel", "mor", "dri", "sen", "gal", "tor", "lin",
	"bar", "ces", "nov", "pra", "quin", "zel", "dor", "mit", "ral", "fen",
	"hol", "ster", "gra", "vix", "lum", "ber", "cor", "dan", "es", "ium",
};

static const char *const syl_ru[] = {
	"ка", "ро", "тан", "вел", "мор", "дри", "сен", "гал", "тор", "лин",
	"бар", "цес", "нов", "пра", "квин", "зел", "дор", "мит", "рал", "фен",
	"хол", "стер", "гра", "викс", "лум", "бер", "кор", "дан", "ес", "ий",
};

static const char *const ru_endings[] = {
	"", "а", "у", "ом", "е", "ы", "ов", "ами", "ах", "ой",
};

/* One made-up name: 2 to 4 syllables, Latin or Cyrillic. */
static char *
name_make(bool ru)
{
	struct buf b;
	uint32_t i, n = 2 + rnd(3);

	buf_init(&b, 0);
	for (i = 0; i < n; i++)
		(void)buf_adds(&b, ru ? syl_ru[rnd(ELEMENTSOF(syl_ru))] :
		    syl_en[rnd(ELEMENTSOF(syl_en))]);
	return buf_steal(&b);
}

struct vocab {
	char **w;
	size_t n;
};

static struct vocab names;		/* what terms are made of */

static void
vocab_make(size_t n)
{
	size_t i;

	names.w = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++)
		names.w[i] = name_make(i % 2 == 1);
	names.n = n;
}

static bool
is_cyrillic(const char *s)
{
	return ((unsigned char)s[0] & 0xe0) == 0xc0;
}

/*
 * A watchlist of n terms: phrases of one to three words, names with a
 * common word ("mine", "завод*") around them, a third truncated with *.
 */
static char *
watchlist_make(size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	(void)buf_printf(&b, "[watchlist]\nname = bench-%zu\n", n);
	for (i = 0; i < n; i++) {
		const char *w1 = names.w[rnd((uint32_t)names.n)];
		const char *w2 = names.w[rnd((uint32_t)names.n)];
		bool ru = is_cyrillic(w1);

		(void)buf_printf(&b, "[term t%zu]\n", i);
		switch (rnd(6)) {
		case 0:
			(void)buf_printf(&b, "match = %s\n", w1);
			break;
		case 1:
			(void)buf_printf(&b, "match = %s*\n", w1);
			break;
		case 2:
			(void)buf_printf(&b, "match = %s %s\n", w1, w2);
			break;
		case 3:
			(void)buf_printf(&b, "match = %s %s\n", w1,
			    ru ? "завод*" : "mine");
			(void)buf_printf(&b, "match = %s %s\n",
			    ru ? "месторождение" : "mining", w1);
			break;
		case 4:
			(void)buf_printf(&b, "match = %s* %s*\n", w1, w2);
			break;
		default:
			(void)buf_printf(&b, "match = %s\nmatch = %s-%s\n", w1,
			    w1, w2);
			break;
		}
	}
	return buf_steal(&b);
}

/* Sentences of common words with a made-up name now and then. */
static void
text_make(struct buf *b, size_t words)
{
	size_t i;
	bool ru = rnd(2);

	for (i = 0; i < words; i++) {
		const char *w;
		char *name = NULL;

		if (i > 0)
			(void)buf_addc(b, ' ');
		if (rnd(40) == 0) {
			const char *base = names.w[rnd((uint32_t)names.n)];

			/* declined, capitalised: as names come in news */
			if (is_cyrillic(base))
				name = xasprintf("%s%s", base,
				    ru_endings[rnd(ELEMENTSOF(ru_endings))]);
			else
				name = xasprintf("%c%s%s", base[0] - 32,
				    base + 1, rnd(3) == 0 ? "s" : "");
			w = name;
		} else if (ru)
			w = common_ru[rnd(ELEMENTSOF(common_ru))];
		else
			w = common_en[rnd(ELEMENTSOF(common_en))];
		(void)buf_adds(b, w);
		free(name);
		if (rnd(12) == 0) {
			(void)buf_adds(b, rnd(3) ? "." : ",");
			if (rnd(4) == 0)
				ru = !ru;
		}
	}
}

struct corpus {
	struct entry *e;
	size_t n;
	size_t bytes;
};

static void
corpus_make(struct corpus *c, size_t n)
{
	size_t i;

	c->e = xcalloc(n, sizeof(*c->e));
	c->n = n;
	for (i = 0; i < n; i++) {
		struct buf t, body;

		buf_init(&t, 0);
		buf_init(&body, 0);
		text_make(&t, 8 + rnd(8));
		text_make(&body, BENCH_WORDS / 2 + rnd(BENCH_WORDS));
		c->e[i].title.s = buf_steal(&t);
		c->e[i].content.s = buf_steal(&body);
		c->bytes += strlen(c->e[i].title.s) +
		    strlen(c->e[i].content.s);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* The hits of one entry as a string, to compare the two ways. */
static char *
hits_key(const struct hit *h, size_t n)
{
	struct buf b;
	size_t i, j;

	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		(void)buf_printf(&b, "%s/%s:", h[i].watchlist, h[i].alert);
		for (j = 0; h[i].terms[j]; j++)
			(void)buf_printf(&b, "%s,", h[i].terms[j]);
		for (j = 0; j < h[i].n_spans; j++)
			(void)buf_printf(&b, "%d:%zu-%zu/%u,",
			    (int)h[i].spans[j].field, h[i].spans[j].start,
			    h[i].spans[j].end, h[i].spans[j].term);
		(void)buf_printf(&b, "%d,%d,%s;", h[i].score, (int)h[i].notify,
		    h[i].snippet);
	}
	return buf_steal(&b);
}

/* Match entries [0, n) of c; their hit keys into keys[] if not NULL.
 * Returns the seconds taken; *ret_hits counts the hits. */
static double
pass(struct watchset *s, const struct corpus *c, size_t n, char **keys,
    size_t *ret_hits)
{
	double t0 = now();
	size_t i, hits = 0;

	for (i = 0; i < n; i++) {
		struct hit *h = NULL;
		size_t nh = 0;
		int r = match_entry(s, &c->e[i], &h, &nh);

		if (r < 0 && r != -ETIME) {
			fprintf(stderr, "match_entry: %s\n", strerror(-r));
			exit(1);
		}
		hits += nh;
		if (keys) {
			free(keys[i]);
			keys[i] = hits_key(h, nh);
		}
		hits_free(h, nh);
	}
	*ret_hits = hits;
	return now() - t0;
}

static int
dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), dbl_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The words of bench/poll-bench.sh's feeds. */
static const char *const dense_words[] = {
	"rare", "earth", "neodymium", "magnet", "supply", "chain", "export",
	"licence", "mine", "refinery", "price", "tonne", "dysprosium",
	"terbium", "lanthanum", "cerium", "quota", "China", "Myanmar",
	"Australia", "Lynas", "MP", "Materials", "processing", "separation",
	"market", "demand", "electric", "vehicle", "wind", "turbine", "policy",
	"tariff",
};

static void
dense_text(struct buf *b, size_t words)
{
	size_t i;

	for (i = 0; i < words; i++) {
		if (i > 0)
			(void)buf_addc(b, ' ');
		(void)buf_adds(b, dense_words[rnd(ELEMENTSOF(dense_words))]);
	}
}

static int
name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Every *.watch file in dir into s, in name order. */
static int
dense_watchset(const char *dir, struct watchset *s)
{
	char **names_v = NULL;
	struct dirent *de;
	size_t i, n;
	DIR *dp = opendir(dir);
	int r = 0;

	if (!dp) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(dp)))
		if (endswith(de->d_name, ".watch"))
			(void)strv_push(&names_v, xstrdup(de->d_name));
	closedir(dp);
	n = strv_length(names_v);
	if (n > 1)
		qsort(names_v, n, sizeof(char *), name_cmp);
	for (i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", dir,
		    names_v[i]);
		_cleanup_free_ char *data = NULL;
		struct watchlist *w = NULL;
		struct diag d;
		size_t len;

		r = read_file(path, WATCH_MAX, &data, &len);
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", path, strerror(-r));
			break;
		}
		diag_init(&d);
		r = watchlist_compile(data, len, path, &w, &d);
		if (r < 0)
			fprintf(stderr, "%s\n", d.n ? d.msgs[0] : path);
		else
			r = watchset_add(s, w);
		diag_done(&d);
	}
	strv_free(names_v);
	if (r == 0 && n == 0) {
		fprintf(stderr, "%s: no *.watch\n", dir);
		r = -ENOENT;
	}
	return r;
}

static int
dense_main(const char *dir, size_t runs, size_t n_entries)
{
	struct watchset *s = watchset_new();
	struct corpus c = { NULL, 0, 0 };
	size_t i, n_naive, naive_bytes = 0, hits = 0, hits_naive = 0;
	char **keys, **keys_naive;
	double med, med_naive, *t, *tn;
	bool same = true;

	if (dense_watchset(dir, s) < 0) {
		watchset_free(s);
		return 1;
	}
	t = xcalloc(runs, sizeof(double));
	tn = xcalloc(runs, sizeof(double));
	c.e = xcalloc(n_entries, sizeof(*c.e));
	c.n = n_entries;
	for (i = 0; i < n_entries; i++) {
		struct buf title, body;

		buf_init(&title, 0);
		buf_init(&body, 0);
		(void)buf_printf(&title, "Feed %zu item %zu: ", i / 50, i % 50);
		dense_text(&title, DENSE_TITLE_WORDS);
		dense_text(&body, DENSE_WORDS);
		c.e[i].title.s = buf_steal(&title);
		c.e[i].content.s = buf_steal(&body);
		c.bytes += strlen(c.e[i].title.s) +
		    strlen(c.e[i].content.s);
	}
	n_naive = n_entries < DENSE_NAIVE ? n_entries : DENSE_NAIVE;
	if (getenv("BENCH_NO_NAIVE"))	/* for profiling: none at all */
		n_naive = 0;
	for (i = 0; i < n_naive; i++)
		naive_bytes += strlen(c.e[i].title.s) +
		    strlen(c.e[i].content.s);
	keys = xcalloc(c.n, sizeof(char *));
	keys_naive = xcalloc(c.n, sizeof(char *));
	printf("# dense: %zu watchlists from %s, %zu entries of watch words, "
	    "%.1f MB, %zu runs each (median)\n", watchset_size(s), dir, c.n,
	    (double)c.bytes / 1e6, runs);
	for (i = 0; i < runs; i++) {
		watchset_set_naive(s, false);
		t[i] = pass(s, &c, c.n, i == 0 ? keys : NULL, &hits);
		if (n_naive == 0)
			continue;
		watchset_set_naive(s, true);
		tn[i] = pass(s, &c, n_naive, i == 0 ? keys_naive : NULL,
		    &hits_naive);
	}
	for (i = 0; i < n_naive; i++)
		if (strcmp(keys[i], keys_naive[i]) != 0) {
			same = false;
			fprintf(stderr, "entry %zu differs:\n  %s\n  %s\n", i,
			    keys[i], keys_naive[i]);
		}
	med = median(t, runs);
	med_naive = median(tn, runs);
	printf("%11s %9s %11s %9s %6s\n", "entries/s", "MB/s", "naive_e/s",
	    "naive_MB/s", "same");
	printf("%11.0f %9.2f %11.0f %9.2f %6s\n", (double)c.n / med,
	    (double)c.bytes / 1e6 / med,
	    med_naive > 0 ? (double)n_naive / med_naive : 0,
	    med_naive > 0 ? (double)naive_bytes / 1e6 / med_naive : 0,
	    n_naive == 0 ? "-" : same ? "yes" : "NO");
	printf("#   %zu hits over all entries\n", hits);
	for (i = 0; i < c.n; i++) {
		free(keys[i]);
		free(keys_naive[i]);
		entry_done(&c.e[i]);
	}
	free(keys);
	free(keys_naive);
	free(c.e);
	free(t);
	free(tn);
	watchset_free(s);
	return same ? 0 : 1;
}

static void
print_literal(void *ctx, const char *lit)
{
	(void)ctx;
	printf("%s\n", lit);
}

static int
literals_main(const char *dir)
{
	struct watchset *s = watchset_new();
	int r = dense_watchset(dir, s);

	if (r == 0)
		watchset_literals(s, print_literal, NULL);
	watchset_free(s);
	return r == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static size_t sizes[] = { 10000, 1000, 100, 10 };
	size_t n_sizes = ELEMENTSOF(sizes);
	size_t runs = argc > 1 ? strtoul(argv[1], NULL, 10) : BENCH_RUNS;
	size_t n_entries = argc > 2 ? strtoul(argv[2], NULL, 10) :
	    BENCH_ENTRIES;
	struct corpus c = { NULL, 0, 0 };
	bool same_all = true;
	size_t k, i;

	if (argc == 3 && strcmp(argv[1], "--literals") == 0)
		return literals_main(argv[2]);
	if (argc > 2 && strcmp(argv[1], "--dense") == 0) {
		runs = argc > 3 ? strtoul(argv[3], NULL, 10) : BENCH_RUNS;
		n_entries = argc > 4 ? strtoul(argv[4], NULL, 10) :
		    BENCH_ENTRIES;
		if (runs < 1 || n_entries < 1) {
			fprintf(stderr, "usage: match-bench --dense DIR "
			    "[RUNS] [ENTRIES]\n");
			return 2;
		}
		return dense_main(argv[2], runs, n_entries);
	}
	if (argc > 3) {
		sizes[0] = strtoul(argv[3], NULL, 10);
		n_sizes = 1;
	}
	if (runs < 1 || n_entries < 1 || sizes[0] < 1) {
		fprintf(stderr, "usage: match-bench [RUNS] [ENTRIES] [TERMS]\n");
		return 2;
	}
	vocab_make(20000);
	corpus_make(&c, n_entries);
	printf("# %zu entries, %.1f MB of text, %zu runs each (median)\n",
	    c.n, (double)c.bytes / 1e6, runs);
	printf("%7s %9s %9s %11s %9s %11s %9s %8s %6s\n", "terms",
	    "compile_s", "rss_MiB", "entries/s", "MB/s", "naive_e/s",
	    "naive_MB/s", "speedup", "same");
	for (k = 0; k < n_sizes; k++) {
		size_t n_terms = sizes[k], n_naive, hits = 0, hits_naive = 0;
		_cleanup_free_ char *text = watchlist_make(n_terms);
		_cleanup_free_ double *t = xcalloc(runs, sizeof(double));
		_cleanup_free_ double *tn = xcalloc(runs, sizeof(double));
		char **keys = xcalloc(c.n, sizeof(char *));
		char **keys_naive = xcalloc(c.n, sizeof(char *));
		struct watchset *s = watchset_new();
		struct watchlist *w = NULL;
		size_t naive_bytes = 0;
		double t0, compile, med, med_naive;
		bool same = true;
		struct diag d;
		long rss;

		diag_init(&d);
		t0 = now();
		if (watchlist_compile(text, strlen(text), "bench.watch", &w,
		    &d) < 0) {
			fprintf(stderr, "%s\n", d.n ? d.msgs[0] : "compile");
			return 1;
		}
		(void)watchset_add(s, w);
		{
			/* the set's automaton is built on the first entry */
			struct entry empty;
			struct hit *h = NULL;
			size_t nh = 0;

			memset(&empty, 0, sizeof(empty));
			if (match_entry(s, &empty, &h, &nh) == 0)
				hits_free(h, nh);
		}
		compile = now() - t0;
		rss = rss_kib();
		diag_done(&d);

		/* the naive loop on as many entries as it can do in time */
		n_naive = BENCH_NAIVE_WORK / n_terms;
		if (n_naive < 20)
			n_naive = 20;
		if (n_naive > c.n)
			n_naive = c.n;
		if (getenv("BENCH_NO_NAIVE"))	/* for profiling */
			n_naive = 1;
		for (i = 0; i < n_naive; i++)
			naive_bytes += strlen(c.e[i].title.s) +
			    strlen(c.e[i].content.s);
		for (i = 0; i < runs; i++) {
			watchset_set_naive(s, false);
			t[i] = pass(s, &c, c.n, i == 0 ? keys : NULL, &hits);
			watchset_set_naive(s, true);
			tn[i] = pass(s, &c, n_naive, i == 0 ? keys_naive :
			    NULL, &hits_naive);
		}
		for (i = 0; i < n_naive; i++)
			if (strcmp(keys[i], keys_naive[i]) != 0) {
				same = false;
				fprintf(stderr, "entry %zu differs:\n  %s\n  %s\n",
				    i, keys[i], keys_naive[i]);
			}
		same_all = same_all && same;
		med = median(t, runs);
		med_naive = median(tn, runs);
		printf("%7zu %9.3f %9.1f %11.0f %9.1f %11.1f %9.2f %7.1fx %6s\n",
		    n_terms, compile, (double)rss / 1024.0,
		    (double)c.n / med, (double)c.bytes / 1e6 / med,
		    (double)n_naive / med_naive,
		    (double)naive_bytes / 1e6 / med_naive,
		    ((double)n_naive / med_naive) > 0 ?
		    ((double)c.n / med) / ((double)n_naive / med_naive) : 0,
		    same ? "yes" : "NO");
		printf("#   %zu hits over all entries; hit sets compared on "
		    "the %zu entries the naive loop ran\n", hits, n_naive);
		fflush(stdout);
		for (i = 0; i < c.n; i++) {
			free(keys[i]);
			free(keys_naive[i]);
		}
		free(keys);
		free(keys_naive);
		watchset_free(s);
	}
	for (i = 0; i < c.n; i++)
		entry_done(&c.e[i]);
	free(c.e);
	for (i = 0; i < names.n; i++)
		free(names.w[i]);
	free(names.w);
	return same_all ? 0 : 1;
}
