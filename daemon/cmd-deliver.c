/*
 * cmd-deliver.c: `reewatch deliver`: drain the outbox once now (desktop
 * notifications, due digests and their mail, hits.atom) and say what
 * went out and what waits.  Touches the store, D-Bus, SMTP, the state
 * folder.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cmd.h"
#include "deliver.h"
#include "log.h"

int
cmd_deliver(int argc, char **argv)
{
	const struct deliver_stats *s;
	struct setup *su = NULL;
	struct store *st = NULL;
	struct deliver *d = NULL;
	int64_t next = 0, pending = 0, t = 0;
	char ts[RFC3339_MAX];
	bool waiting = false;
	int r;

	if (argc > 1) {
		fprintf(stderr, "usage: reewatch %s\n", argv[0]);
		return CMD_EXIT_USAGE;
	}
	r = cmd_load_setup(&su);
	if (r)
		return r;
	r = cmd_open_store(su, &st);
	if (r < 0) {
		setup_free(su);
		return r == -ENOENT ? 0 : 1;
	}
	r = deliver_new(su, &d);
	if (r == 0)
		r = deliver_run(d, st, now_utc(), &next);
	if (r < 0) {
		fprintf(stderr, "reewatch: deliver: %s\n", store_errmsg(st)[0] ?
		    store_errmsg(st) : strerror(-r));
		goto out;
	}
	s = deliver_stats(d);
	waiting = s->waiting || s->mail_waiting;
	printf("notifications: %u sent, %u folded, %u skipped, %u waiting\n",
	    s->sent, s->folded, s->skipped, s->waiting);
	if (s->desktop_error[0])
		printf("desktop: %s\n", s->desktop_error);
	printf("digests: %u written, %u mailed, %u mail waiting\n",
	    s->digests, s->mails, s->mail_waiting);
	if (s->mail_error[0])
		printf("mail: %s\n", s->mail_error);
	r = store_deliveries_pending(st, &pending, &t);
	if (r == 0 && pending > 0)
		printf("pending: %" PRId64 " deliveries, next attempt %s\n",
		    pending, format_rfc3339(t, ts));
out:
	deliver_free(d);
	store_close(st);
	setup_free(su);
	return r < 0 || waiting ? 1 : 0;
}
