/*
 * reewatch.c: the command line.  check (validate users' files), hits (list
 * stored hits, text or JSON lines), parse (one feed to JSON, storing
 * nothing) and feeds (configured feeds and their stored state).  A thin
 * main over the library; reads the store, never writes feed data.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "log.h"
#include "parse.h"
#include "setup.h"
#include "store.h"
#include "text.h"
#include "url.h"

#define PARSE_MAX_FILE_BYTES	(64u * 1024 * 1024)

static const char *opt_config;

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: reewatch [--config FILE] COMMAND [ARGS]\n"
	    "\n"
	    "Commands:\n"
	    "  check                          validate the config, feed lists and watchlists\n"
	    "  hits [--since DURATION] [--json]\n"
	    "                                 list stored hits, newest first\n"
	    "  parse FILE|URL                 parse one feed, print its entries as JSON lines\n"
	    "  feeds [--json]                 list the configured feeds and their state\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE  the configuration (default: %s)\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version\n"
	    "\n"
	    "Durations take s, m, h, d (e.g. 90m, 7d).  Exit status: 0 ok, 1 failure,\n"
	    "2 usage, 78 bad configuration.\n",
	    SYSCONFDIR "/reewatch/reewatch.conf");
}

static int
load_setup(struct setup **ret)
{
	struct diag d;
	size_t i;

	diag_init(&d);
	if (setup_load(opt_config, ret, &d) < 0) {
		for (i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
		diag_done(&d);
		return SETUP_EXIT_CONFIG;
	}
	diag_done(&d);
	return 0;
}

static int
cmd_check(int argc, char **argv)
{
	struct setup *su = NULL;
	struct diag d;
	size_t i;

	if (argc > 1) {
		usage(stderr);
		return 2;
	}
	diag_init(&d);
	if (setup_load(opt_config, &su, &d) < 0) {
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

/* Open the store of a setup; -ENOENT when there is none yet. */
static int
open_store(const struct setup *su, struct store **ret)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", su->conf->state_dir,
	    STORE_FILENAME);
	char errbuf[ERRMSG_MAX] = "";
	int r;

	if (access(path, F_OK) < 0) {
		fprintf(stderr, "reewatch: no store yet at %s (has reewatchd run?)\n",
		    path);
		return -ENOENT;
	}
	r = store_open(path, errbuf, ret);
	if (r < 0)
		fprintf(stderr, "reewatch: cannot open %s: %s\n", path,
		    errbuf[0] ? errbuf : strerror(-r));
	return r;
}

static void
add_time(struct buf *b, int64_t t)
{
	char ts[RFC3339_MAX];

	if (t)
		(void)json_add_string(b, format_rfc3339(t, ts));
	else
		(void)buf_adds(b, "null");
}

static int
print_hit_json(const struct store_hit_row *h, void *ctx)
{
	struct buf b;

	(void)ctx;
	buf_init(&b, 0);
	(void)buf_adds(&b, "{\"feed\":");
	(void)json_add_string(&b, h->feed);
	(void)buf_adds(&b, ",\"entry_id\":");
	(void)json_add_string(&b, h->entry_id);
	(void)buf_adds(&b, ",\"title\":");
	(void)json_add_string(&b, h->title);
	(void)buf_adds(&b, ",\"link\":");
	if (h->link)
		(void)json_add_string(&b, h->link);
	else
		(void)buf_adds(&b, "null");
	(void)buf_adds(&b, ",\"published\":");
	add_time(&b, h->published);
	(void)buf_adds(&b, ",\"watchlist\":");
	(void)json_add_string(&b, h->watchlist);
	(void)buf_adds(&b, ",\"alert\":");
	(void)json_add_string(&b, h->alert);
	/* terms and spans are JSON the store wrote itself */
	(void)buf_printf(&b, ",\"terms\":%s,\"spans\":%s,\"score\":%d,"
	    "\"notify\":%s,\"snippet\":", h->terms_json, h->spans_json,
	    h->score, h->notify ? "true" : "false");
	(void)json_add_string(&b, h->snippet);
	(void)buf_adds(&b, ",\"created\":");
	add_time(&b, h->created);
	(void)buf_adds(&b, "}\n");
	fputs(b.data, stdout);
	buf_done(&b);
	return 0;
}

/* ["a","b"] -> "a, b" for the text listing. */
static char *
terms_text(const char *json)
{
	struct buf b;
	const char *p;

	buf_init(&b, 0);
	for (p = json; *p; p++) {
		if (*p == '[' || *p == ']' || *p == '"')
			continue;
		if (*p == '\\' && p[1]) {
			p++;
			(void)buf_addc(&b, *p);
		} else if (*p == ',')
			(void)buf_adds(&b, ", ");
		else
			(void)buf_addc(&b, *p);
	}
	return buf_steal(&b);
}

static int
print_hit_text(const struct store_hit_row *h, void *ctx)
{
	_cleanup_free_ char *terms = terms_text(h->terms_json);
	char ts[RFC3339_MAX];

	(void)ctx;
	printf("%s  %s / %s  [score %d]\n", format_rfc3339(h->published, ts),
	    h->watchlist, h->alert, h->score);
	printf("  %s (%s)\n", h->title && *h->title ? h->title : "(no title)",
	    h->feed);
	if (h->link)
		printf("  %s\n", h->link);
	printf("  terms: %s\n", terms);
	if (h->snippet && *h->snippet)
		printf("  %s\n", h->snippet);
	printf("\n");
	return 0;
}

static int
cmd_hits(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct setup *su = NULL;
	struct store *st = NULL;
	uint64_t since_sec = 0;
	bool json = false;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:j", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_duration(optarg, &since_sec) < 0) {
				fprintf(stderr, "reewatch: --since: '%s' is not a duration (e.g. 24h, 7d)\n",
				    optarg);
				return 2;
			}
			break;
		case 'j':
			json = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	r = load_setup(&su);
	if (r)
		return r;
	r = open_store(su, &st);
	if (r < 0) {
		setup_free(su);
		return r == -ENOENT ? 0 : 1;
	}
	r = store_hits_list(st, since_sec ? now_utc() - (int64_t)since_sec : 0,
	    json ? print_hit_json : print_hit_text, NULL);
	if (r < 0)
		fprintf(stderr, "reewatch: cannot read hits: %s\n",
		    strerror(-r));
	store_close(st);
	setup_free(su);
	return r < 0 ? 1 : 0;
}

static void
add_field(struct buf *b, const char *key, const char *s)
{
	(void)buf_printf(b, ",\"%s\":", key);
	if (s)
		(void)json_add_string(b, s);
	else
		(void)buf_adds(b, "null");
}

static void
print_entry_json(const struct entry *e)
{
	struct buf b;

	buf_init(&b, 0);
	(void)buf_adds(&b, "{\"id\":");
	if (e->id)
		(void)json_add_string(&b, e->id);
	else
		(void)buf_adds(&b, "null");
	add_field(&b, "key", e->key);
	add_field(&b, "title", e->title.s);
	add_field(&b, "link", e->link);
	(void)buf_adds(&b, ",\"published\":");
	add_time(&b, e->published);
	(void)buf_adds(&b, ",\"updated\":");
	add_time(&b, e->updated);
	add_field(&b, "summary", e->summary.s);
	add_field(&b, "content", e->content.s);
	(void)buf_adds(&b, ",\"authors\":");
	(void)json_add_strv(&b, e->authors);
	(void)buf_adds(&b, ",\"categories\":");
	(void)json_add_strv(&b, e->categories);
	(void)buf_adds(&b, "}\n");
	fputs(b.data, stdout);
	buf_done(&b);
}

struct parse_fetch {
	int err;
	char errmsg[ERRMSG_MAX];
	long status;
	char *body;
	size_t len;
	char *content_type;
	char *url;
};

static void
parse_fetch_done(const struct fetch_req *req, const struct fetch_result *res,
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

static int
cmd_parse(int argc, char **argv)
{
	struct parse_fetch p = { 0 };
	struct feed_doc *doc = NULL;
	char errbuf[ERRMSG_MAX] = "";
	const char *src;
	size_t i;
	int r;

	if (argc != 2) {
		usage(stderr);
		return 2;
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
		r = read_file(path, PARSE_MAX_FILE_BYTES, &p.body, &p.len);
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
	r = parse_feed(p.body, p.len, p.content_type, p.url, errbuf, &doc);
	if (r < 0) {
		fprintf(stderr, "reewatch: %s: %s\n", src,
		    errbuf[0] ? errbuf : strerror(-r));
		goto out;
	}
	if (doc->warning)
		fprintf(stderr, "reewatch: %s: warning: %s\n", src,
		    doc->warning);
	for (i = 0; i < doc->n_entries; i++) {
		if (text_entry(&doc->entries[i]) < 0) {
			r = -ENOMEM;
			goto out;
		}
		print_entry_json(&doc->entries[i]);
	}
out:
	feed_doc_free(doc);
	free(p.body);
	free(p.content_type);
	free(p.url);
	return r < 0 ? 1 : 0;
}

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
	add_field(&b, "url", f->url);
	add_field(&b, "current_url", s->current_url);
	(void)buf_adds(&b, ",\"last_success\":");
	add_time(&b, s->last_success);
	(void)buf_adds(&b, ",\"last_attempt\":");
	add_time(&b, s->last_attempt);
	(void)buf_printf(&b, ",\"last_status\":%ld", s->last_status);
	add_field(&b, "last_error", s->last_error);
	(void)buf_printf(&b, ",\"failures\":%u,\"entries\":%u}\n", s->failures,
	    s->n_entries);
	fputs(b.data, stdout);
	buf_done(&b);
}

static int
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
		usage(stderr);
		return 2;
	}
	r = load_setup(&su);
	if (r)
		return r;
	r = open_store(su, &st);
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

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "check", cmd_check },
		{ "hits", cmd_hits },
		{ "parse", cmd_parse },
		{ "feeds", cmd_feeds },
	};
	size_t i;
	int c;

	log_init("reewatch", LOG_LEVEL_WARN);
	/* "+": stop at the command; its own options follow it. */
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt_config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("reewatch %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < ELEMENTSOF(cmds); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0)
			return cmds[i].fn(argc - optind, argv + optind);
	fprintf(stderr, "reewatch: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
