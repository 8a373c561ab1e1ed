/*
 * tap.h: a tiny TAP producer for the unit tests.  Each ok() is one test
 * point that automake's tap-driver counts; tap_done() prints the plan and
 * returns the exit status.  Header-only, so each test is one .c file.
 */
#ifndef TAP_H
#define TAP_H

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned tap_n, tap_failed;

__attribute__((format(printf, 2, 3))) static int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%s %u - ", cond ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

/* Compare strings (NULL-safe) and show both when they differ. */
#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int same_ = (g_ == NULL || w_ == NULL) ? g_ == w_ : strcmp(g_, w_) == 0; \
	if (!ok(same_, __VA_ARGS__))					\
		printf("#   got:  '%s'\n#   want: '%s'\n",		\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)

#define is_int(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!ok(g_ == w_, __VA_ARGS__))					\
		printf("#   got:  %lld\n#   want: %lld\n", g_, w_);	\
} while (0)

/*
 * A time bound for "does not hang" checks, scaled by
 * $REEWATCH_TEST_TIME_SCALE (make check-valgrind sets it: memcheck runs
 * code 20-50 times slower).  Bounds only catch runaway cost; speed itself
 * is measured in bench/, never here.
 */
static inline double
tap_time_limit(double sec)
{
	const char *e = getenv("REEWATCH_TEST_TIME_SCALE");
	double scale = e ? atof(e) : 1.0;

	return sec * (scale >= 1.0 ? scale : 1.0);
}

/* Remove a test's temporary folder and everything in it. */
static int
tap_rmtree_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static inline void
tap_rmtree(const char *dir)
{
	if (nftw(dir, tap_rmtree_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "# cannot remove %s\n", dir);
}

static inline int
tap_done(void)
{
	printf("1..%u\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
