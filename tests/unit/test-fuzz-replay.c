/*
 * test-fuzz-replay.c: replays every libFuzzer target (tests/fuzz/fuzz-*.c,
 * built here with gcc and the suite's sanitizers or under valgrind) over
 * its kept crash inputs (tests/fuzz/regressions/TARGET/) and its seeds
 * (tests/fuzz/corpus/TARGET/).  A crash, a sanitizer report or a leak
 * fails the test.  Reads files under $top_srcdir only.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each target defines LLVMFuzzerTestOneInput: give each its own name. */
#define LLVMFuzzerTestOneInput fuzz_parse_one
#include "../fuzz/fuzz-parse.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_text_one
#include "../fuzz/fuzz-text.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_watchlist_one
#include "../fuzz/fuzz-watchlist.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_conf_one
#include "../fuzz/fuzz-conf.c"
#undef LLVMFuzzerTestOneInput

#include "tap.h"
#include "util.h"

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run fn over every file in dir; one test point per file. */
static void
replay_dir(const char *target, const char *dir, fuzz_fn fn)
{
	char **names = NULL;
	size_t n = 0, i;
	struct dirent *de;
	DIR *dp;

	dp = opendir(dir);
	if (!dp)
		return;		/* no kept inputs for this target yet */
	while ((de = readdir(dp)))
		if (de->d_name[0] != '.') {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
	closedir(dp);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, names[i]);
		_cleanup_free_ char *data = NULL;
		size_t len = 0;
		int r;

		r = read_file(path, 16u * 1024 * 1024, &data, &len);
		ok(r == 0, "%s: read %s", target, names[i]);
		if (r == 0)
			ok(fn((const uint8_t *)data, len) == 0, "%s: %s",
			    target, names[i]);
		free(names[i]);
	}
	free(names);
}

int
main(void)
{
	static const struct {
		const char *name;
		fuzz_fn fn;
	} targets[] = {
		{ "parse", fuzz_parse_one },
		{ "text", fuzz_text_one },
		{ "watchlist", fuzz_watchlist_one },
		{ "conf", fuzz_conf_one },
	};
	const char *src = getenv("top_srcdir");
	size_t i;

	if (!src)
		src = ".";
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		_cleanup_free_ char *reg = xasprintf("%s/tests/fuzz/regressions/%s",
		    src, targets[i].name);
		_cleanup_free_ char *seed = xasprintf("%s/tests/fuzz/corpus/%s",
		    src, targets[i].name);

		replay_dir(targets[i].name, reg, targets[i].fn);
		replay_dir(targets[i].name, seed, targets[i].fn);
	}
	/* The feed fixtures through the parse target too. */
	{
		_cleanup_free_ char *feeds = xasprintf("%s/tests/data/feeds",
		    src);

		replay_dir("parse", feeds, fuzz_parse_one);
	}
	remove_tmp();
	return tap_done();
}
