/*
 * reewatch.c: the command line: options, the table of subcommands, and
 * the two that need no store (check: validate users' files; parse: one
 * feed to JSON lines, storing nothing).  The others live in cmd-*.c.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "fetch.h"
#include "log.h"
#include "parse.h"
#include "text.h"
#include "url.h"

#define PARSE_MAX_FILE_BYTES	((size_t)64 * 1024 * 1024)

/*
 * The subcommands.  A new one is a cmd-NAME.c file, a declaration in
 * cmd.h and a line here (its synopsis and what it does, for --help).
 */
static const struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *synopsis;
	const char *help;
} commands[] = {
	{ "check", cmd_check, "check",
	    "validate the config, feed lists and watchlists" },
	{ "hits", cmd_hits, "hits [--since DURATION] [--json|--atom]",
	    "list stored hits, newest first" },
	{ "parse", cmd_parse, "parse FILE|URL",
	    "parse one feed, print its entries as JSON lines" },
	{ "feeds", cmd_feeds, "feeds [--json]",
	    "the configured feeds and their state" },
	{ "deliver", cmd_deliver, "deliver",
	    "send due notifications, digests and mail now" },
	{ "notify-test", cmd_notify_test, "notify-test",
	    "show a test desktop notification, or say what failed" },
	{ "digest", cmd_digest, "digest [--period P] [--send]",
	    "write (and mail) the digest of yesterday, 24h or 7d" },
	{ "mail-test", cmd_mail_test, "mail-test",
	    "send a test e-mail, or say exactly what failed" },
	{ "test", cmd_test, "test WATCHLIST [FEED_FILE|-]...",
	    "what a watchlist hits in feed files or text, and why" },
	{ "backtest", cmd_backtest, "backtest WATCHLIST [--since 30d]",
	    "hits an edited watchlist would add and drop" },
	{ "search", cmd_search, "search 'QUERY' [--since DURATION]",
	    "stored entries that match a query" },
};

#define USAGE_SYNOPSIS_COLS	34

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: reewatch [--config FILE] COMMAND [ARGS]\n\n"
	    "Commands:\n");
	for (i = 0; i < ELEMENTSOF(commands); i++) {
		/* a long synopsis gets a line of its own */
		if (strlen(commands[i].synopsis) > USAGE_SYNOPSIS_COLS)
			fprintf(out, "  %s\n  %-*s %s\n", commands[i].synopsis,
			    USAGE_SYNOPSIS_COLS, "", commands[i].help);
		else
			fprintf(out, "  %-*s %s\n", USAGE_SYNOPSIS_COLS,
			    commands[i].synopsis, commands[i].help);
	}
	fprintf(out, "\n"
	    "Options:\n"
	    "  -c, --config FILE  the configuration (default: %s)\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version\n"
	    "\n"
	    "Durations take s, m, h, d (e.g. 90m, 7d).  Exit status: 0 ok, 1 failure,\n"
	    "2 usage, 78 bad configuration.\n",
	    SYSCONFDIR "/reewatch/reewatch.conf");
}

int
cmd_check(int argc, char **argv)
{
	struct setup *su = NULL;
	struct diag d;
	size_t i;

	if (argc > 1) {
		fprintf(stderr, "usage: reewatch %s\n", argv[0]);
		return CMD_EXIT_USAGE;
	}
	diag_init(&d);
	if (setup_load(cmd_config, &su, &d) < 0) {
		for (i = 0; i < d.n; i++)
			printf("%s\n", d.msgs[i]);
		fprintf(stderr, "reewatch: %zu problem%s found\n", d.n,
		    d.n == 1 ? "" : "s");
		diag_done(&d);
		return SETUP_EXIT_CONFIG;
	}
	printf("%s: ok: %zu feeds, %zu watchlists (%zu terms, %zu alerts)\n",
	    su->conf->path, su->n_feeds, watchset_size(su->watch), su->n_terms,
	    su->n_alerts);
	diag_done(&d);
	setup_free(su);
	return 0;
}

/* One entry as a line of JSON on stdout; b is scratch kept across calls. */
static void
print_entry_json(const struct entry *e, void *scratch)
{
	struct buf *b = scratch;

	buf_reset(b);
	(void)buf_adds(b, "{\"id\":");
	if (e->id)
		(void)json_add_string(b, e->id);
	else
		(void)buf_adds(b, "null");
	cmd_json_field(b, "key", e->key);
	cmd_json_text(b, "title", e->title.s);
	cmd_json_field(b, "link", e->link);
	(void)buf_adds(b, ",\"published\":");
	cmd_json_time(b, e->published);
	(void)buf_adds(b, ",\"updated\":");
	cmd_json_time(b, e->updated);
	cmd_json_text(b, "summary", e->summary.s);
	cmd_json_text(b, "content", e->content.s);
	(void)buf_adds(b, ",\"authors\":");
	(void)json_add_strv(b, e->authors);
	(void)buf_adds(b, ",\"categories\":");
	(void)json_add_strv(b, e->categories);
	(void)buf_adds(b, "}\n");
	(void)fwrite(b->data, 1, b->len, stdout);
}

struct parse_fetch {
	int err;
	char errmsg[ERRMSG_MAX];
	long status;
	char *body;
	size_t len;
	bool mapped;		/* body is a mapped file */
	char *content_type;
	char *url;
};

static void
parse_fetch_done(const struct fetch_req *req, struct fetch_result *res,
    void *ctx)
{
	struct parse_fetch *p = ctx;

	(void)req;
	p->err = res->err;
	memcpy(p->errmsg, res->errmsg, sizeof(p->errmsg));
	p->status = res->status;
	p->body = xstrndup(res->body ? res->body : "", res->len);
	p->len = res->len;
	p->content_type = xstrdup(res->content_type);
	p->url = xstrdup(res->effective_url);
}

/* Fetch a URL for `parse`: same limits as the daemon. */
static int
parse_fetch_url(const char *url, struct parse_fetch *p)
{
	struct fetch_opts o = { 0 };
	struct fetch_req req = { .url = url };
	struct fetch *f = NULL;
	int r;

	r = fetch_new(&o, &f);
	if (r < 0)
		return r;
	r = fetch_add(f, &req);
	if (r < 0) {
		fprintf(stderr, "reewatch: %s: only http and https URLs are fetched\n",
		    url);
		fetch_free(f);
		return r;
	}
	while (fetch_pending(f) > 0 && r >= 0)
		r = fetch_run(f, 1000, parse_fetch_done, p);
	fetch_free(f);
	if (r < 0)
		return r;
	if (p->err < 0) {
		fprintf(stderr, "reewatch: %s: %s\n", url,
		    p->errmsg[0] ? p->errmsg : strerror(-p->err));
		return p->err;
	}
	if (p->status >= 300) {
		fprintf(stderr, "reewatch: %s: HTTP %ld\n", url, p->status);
		return -EIO;
	}
	return 0;
}

int
cmd_parse(int argc, char **argv)
{
	struct parse_fetch p = { 0 };
	struct buf json = { 0 };
	struct feed_doc *doc = NULL;
	char errbuf[ERRMSG_MAX] = "";
	const char *src;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: reewatch %s\n", argv[0]);
		return CMD_EXIT_USAGE;
	}
	src = argv[1];
	if (url_is_http(src)) {
		r = parse_fetch_url(src, &p);
		if (r < 0)
			goto out;
	} else {
		const char *path = src;

		if (url_is_file(src))
			path = src + strlen("file://");
		r = map_file(path, PARSE_MAX_FILE_BYTES, &p.body, &p.len,
		    &p.mapped);
		if (r < 0) {
			fprintf(stderr, "reewatch: %s: %s\n", src,
			    r == -EFBIG ? "file too large" : strerror(-r));
			goto out;
		}
		{
			char *abs = realpath(path, NULL);

			p.url = xasprintf("file://%s", abs ? abs : path);
			free(abs);
		}
	}
	buf_init(&json, 0);
	r = parse_feed_clean(p.body, p.len, p.content_type, p.url,
	    print_entry_json, &json, errbuf, &doc);
	if (r < 0) {
		fprintf(stderr, "reewatch: %s: %s\n", src,
		    errbuf[0] ? errbuf : strerror(-r));
		goto out;
	}
	if (doc->warning)
		fprintf(stderr, "reewatch: %s: warning: %s\n", src,
		    doc->warning);
out:
	buf_done(&json);
	feed_doc_free(doc);
	unmap_file(p.body, p.len, p.mapped);
	free(p.content_type);
	free(p.url);
	return r < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	size_t i;
	int c;

	log_init("reewatch", LOG_LEVEL_WARN);
	/* "+": stop at the command; its own options follow it. */
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cmd_config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("reewatch %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return CMD_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	for (i = 0; i < ELEMENTSOF(commands); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].fn(argc - optind, argv + optind);
	fprintf(stderr, "reewatch: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return CMD_EXIT_USAGE;
}
