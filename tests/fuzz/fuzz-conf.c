/*
 * fuzz-conf.c: libFuzzer target for the config reader: the same bytes as
 * reewatch.conf (conf_load), as an INI feed list (conf_load_feedlist) and
 * as an OPML feed list (parse_opml).  conf_load wants a path, so the input
 * goes to one private temporary file, rewritten for every run.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "parse.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tmp_path[] = "/tmp/reewatch-fuzz-conf-XXXXXX";
static int tmp_fd = -1;

static void
remove_tmp(void)
{
	if (tmp_fd >= 0)
		(void)unlink(tmp_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	struct feed *feeds = NULL;
	size_t n = 0, i;
	struct diag d;

	if (tmp_fd < 0) {
		tmp_fd = mkstemp(tmp_path);
		if (tmp_fd < 0)
			abort();
		atexit(remove_tmp);
	}
	if (ftruncate(tmp_fd, 0) < 0 ||
	    pwrite(tmp_fd, data, size, 0) != (ssize_t)size)
		abort();

	diag_init(&d);
	if (conf_load(tmp_path, &c, &d) == 0)
		conf_free(c);
	(void)conf_load_feedlist(tmp_path, &feeds, &n, &d);
	for (i = 0; i < n; i++)
		feed_done(&feeds[i]);
	free(feeds);
	feeds = NULL;
	n = 0;
	(void)parse_opml((const char *)data, size, "fuzz.opml", &feeds, &n,
	    &d);
	for (i = 0; i < n; i++)
		feed_done(&feeds[i]);
	free(feeds);
	diag_done(&d);
	return 0;
}
