/*
 * cmd-digest.c: `reewatch digest [--period yesterday|24h|7d] [--send]`:
 * write the digest of a period now (HTML, Markdown, text as configured),
 * record it, and mail it when [mail] is set up or --send asks.  A mail
 * that fails stays queued for reewatchd.  Touches the store, the digest
 * folder and SMTP.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cmd.h"
#include "deliver.h"
#include "digest.h"
#include "mail.h"

static int
usage(const char *name)
{
	fprintf(stderr, "usage: reewatch %s [--period yesterday|24h|7d] "
	    "[--send]\n", name);
	return CMD_EXIT_USAGE;
}

int
cmd_digest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "send", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_free_ char *files = NULL;
	const struct deliver_stats *ds;
	const char *period = "24h";
	struct setup *su = NULL;
	struct store *st = NULL;
	struct deliver *d = NULL;
	char errbuf[ERRMSG_MAX] = "";
	int64_t start, end, now = now_utc();
	size_t n_hits = 0;
	bool send = false, mail;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:s", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			period = optarg;
			break;
		case 's':
			send = true;
			break;
		default:
			return usage(argv[0]);
		}
	}
	if (optind < argc)
		return usage(argv[0]);
	if (digest_period(period, now, &start, &end) < 0) {
		fprintf(stderr, "reewatch: --period: '%s' is not yesterday, "
		    "24h or 7d\n", period);
		return CMD_EXIT_USAGE;
	}
	r = cmd_load_setup(&su);
	if (r)
		return r;
	mail = mail_configured(su->conf);
	if (send && !mail) {
		fprintf(stderr, "reewatch: --send: no [mail] smtp_url or "
		    "sendmail (with from and to) in %s\n", su->conf->path ?
		    su->conf->path : "the config");
		setup_free(su);
		return SETUP_EXIT_CONFIG;
	}
	r = cmd_open_store(su, &st);
	if (r < 0) {
		setup_free(su);
		return 1;
	}
	r = digest_write(su->conf, st, start, end, now, send ?
	    DIGEST_MAIL | DIGEST_MAIL_EMPTY : mail ? DIGEST_MAIL : 0, &files,
	    &n_hits, errbuf);
	if (r < 0) {
		fprintf(stderr, "reewatch: digest: %s\n", errbuf);
		goto out;
	}
	printf("digest: %zu hit%s\n%s\n", n_hits, n_hits == 1 ? "" : "s",
	    files);
	if (!mail)
		goto out;
	/* send it (and any earlier one still waiting) now */
	r = deliver_new(su, &d);
	if (r == 0)
		r = deliver_mail_digests(d, st, now, true);
	if (r < 0) {
		fprintf(stderr, "reewatch: digest: %s\n", store_errmsg(st));
		goto out;
	}
	ds = deliver_stats(d);
	printf("mail: %u sent, %u waiting\n", ds->mails, ds->mail_waiting);
	if (ds->mail_waiting) {
		fprintf(stderr, "reewatch: mail failed: %s (kept queued; "
		    "reewatchd retries it)\n", ds->mail_error);
		r = -EIO;
	}
out:
	deliver_free(d);
	store_close(st);
	setup_free(su);
	return r < 0 ? 1 : 0;
}
