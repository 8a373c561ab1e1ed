/*
 * cmd-feeds.c: `reewatch feeds [--json]`: the configured feeds' health
 * from the store: last success, last status or error, consecutive
 * failures, next poll, entries, the usual publishing gap and "silent".
 * Reads the store only.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* "3d 4h", "2h 5m", "15m", "40s" into out. */
static const char *
format_span(int64_t sec, char out[32])
{
	if (sec < 0)
		sec = -sec;
	if (sec >= 86400)
		(void)snprintf(out, 32, "%lldd %lldh", (long long)(sec / 86400),
		    (long long)(sec % 86400 / 3600));
	else if (sec >= 3600)
		(void)snprintf(out, 32, "%lldh %lldm", (long long)(sec / 3600),
		    (long long)(sec % 3600 / 60));
	else if (sec >= 60)
		(void)snprintf(out, 32, "%lldm", (long long)(sec / 60));
	else
		(void)snprintf(out, 32, "%llds", (long long)sec);
	return out;
}

static void
print_feed(const struct feed *f, const struct store_feed_state *s,
    const struct store_feed_health *h, int64_t now, bool json)
{
	char t1[RFC3339_MAX], t2[RFC3339_MAX], sp[32];
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
		printf("  last status: %ld at %s", s->last_status,
		    s->last_attempt ? format_rfc3339(s->last_attempt, t1) :
		    "never");
		if (s->next_poll)
			printf("   next poll: %s (%s %s)\n",
			    format_rfc3339(s->next_poll, t2),
			    s->next_poll >= now ? "in" : "overdue by",
			    format_span(s->next_poll - now, sp));
		else
			printf("   next poll: at start\n");
		if (h->usual_gap_sec > 0)
			printf("  usual gap: %s", format_span(h->usual_gap_sec,
			    sp));
		else
			printf("  usual gap: unknown");
		if (h->silent)
			printf("   SILENT: nothing new for %s\n",
			    format_span(now - h->last_new, sp));
		else
			printf("\n");
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
	(void)buf_printf(&b, ",\"failures\":%u,\"entries\":%u", s->failures,
	    s->n_entries);
	(void)buf_adds(&b, ",\"next_poll\":");
	cmd_json_time(&b, s->next_poll);
	(void)buf_adds(&b, ",\"last_new_entry\":");
	cmd_json_time(&b, h->last_new);
	(void)buf_printf(&b, ",\"usual_gap_sec\":%lld,\"silent\":%s}\n",
	    (long long)h->usual_gap_sec, h->silent ? "true" : "false");
	fputs(b.data, stdout);
	buf_done(&b);
}

int
cmd_feeds(int argc, char **argv)
{
	struct setup *su = NULL;
	struct store *st = NULL;
	bool json = false;
	int64_t now = now_utc();
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
		struct store_feed_health h = { 0 };

		if (st && (store_feed_get(st, su->feeds[i].name, &s) < 0 ||
		    store_feed_health(st, su->feeds[i].name, now, &h) < 0)) {
			fprintf(stderr, "reewatch: cannot read the store\n");
			r = -EIO;
			break;
		}
		print_feed(&su->feeds[i], &s, &h, now, json);
		store_feed_state_done(&s);
	}
	store_close(st);
	setup_free(su);
	return r < 0 && r != -ENOENT ? 1 : 0;
}
