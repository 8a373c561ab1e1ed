/*
 * cmd-feeds.c: `reewatch feeds [--json]`: the configured feeds with what
 * the store knows of them (last success, last error, failures, entries).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static void
print_feed(const struct feed *f, const struct store_feed_state *s, bool json)
{
	char t1[RFC3339_MAX], t2[RFC3339_MAX];
	struct buf b;

	if (!json) {
		printf("%s\n  %s\n", f->name, s->current_url ? s->current_url :
		    f->url);
		if (!s->known) {
			printf("  never polled\n");
			return;
		}
		printf("  last success: %s   entries: %u   failures: %u\n",
		    s->last_success ? format_rfc3339(s->last_success, t1) :
		    "never", s->n_entries, s->failures);
		if (s->last_error)
			printf("  last error: %s (at %s)\n", s->last_error,
			    format_rfc3339(s->last_attempt, t2));
		return;
	}
	buf_init(&b, 0);
	(void)buf_adds(&b, "{\"name\":");
	(void)json_add_string(&b, f->name);
	cmd_json_field(&b, "url", f->url);
	cmd_json_field(&b, "current_url", s->current_url);
	(void)buf_adds(&b, ",\"last_success\":");
	cmd_json_time(&b, s->last_success);
	(void)buf_adds(&b, ",\"last_attempt\":");
	cmd_json_time(&b, s->last_attempt);
	(void)buf_printf(&b, ",\"last_status\":%ld", s->last_status);
	cmd_json_field(&b, "last_error", s->last_error);
	(void)buf_printf(&b, ",\"failures\":%u,\"entries\":%u}\n", s->failures,
	    s->n_entries);
	fputs(b.data, stdout);
	buf_done(&b);
}

int
cmd_feeds(int argc, char **argv)
{
	struct setup *su = NULL;
	struct store *st = NULL;
	bool json = false;
	size_t i;
	int r;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = true;
	else if (argc != 1) {
		fprintf(stderr, "usage: reewatch %s\n", argv[0]);
		return CMD_EXIT_USAGE;
	}
	r = cmd_load_setup(&su);
	if (r)
		return r;
	r = cmd_open_store(su, &st);
	if (r < 0 && r != -ENOENT) {
		setup_free(su);
		return 1;
	}
	for (i = 0; i < su->n_feeds; i++) {
		struct store_feed_state s = { 0 };

		if (st && store_feed_get(st, su->feeds[i].name, &s) < 0) {
			fprintf(stderr, "reewatch: cannot read the store\n");
			r = -EIO;
			break;
		}
		print_feed(&su->feeds[i], &s, json);
		store_feed_state_done(&s);
	}
	store_close(st);
	setup_free(su);
	return r < 0 && r != -ENOENT ? 1 : 0;
}
