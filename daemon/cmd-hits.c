/*
 * cmd-hits.c: `reewatch hits [--since DURATION] [--json | --atom]`: stored
 * hits, newest first, as text, one JSON object per line, or an Atom 1.0
 * feed (digest.c).  Reads the store.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "deliver.h"
#include "digest.h"

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
	cmd_json_time(&b, h->published);
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
	cmd_json_time(&b, h->created);
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

/*
 * The matched spans, "title 12-19 Rosatom; body 40-52 ree", from the
 * store's JSON ([[field,start,end,term],...] with byte offsets into the
 * normalised field text): why the hit fired.  At most SPANS_SHOWN.
 */
#define SPANS_SHOWN	8
static void
print_spans(const char *spans_json, const char *terms_json)
{
	static const char *const field[] = { "title", "body" };
	_cleanup_free_ char *names = terms_text(terms_json);
	char **terms = strv_split(names, ",");
	const char *p = spans_json;
	unsigned f, t, n = 0, total = 0;
	unsigned long a, b;
	int used;

	while ((p = strchr(p, '[')) != NULL) {
		if (sscanf(p, "[%u,%lu,%lu,%u]%n", &f, &a, &b, &t, &used) != 4) {
			p++;
			continue;
		}
		p += used;
		total++;
		if (n == SPANS_SHOWN)
			continue;
		printf("%s%s %lu-%lu %s", n ? "; " : "  spans: ",
		    f < ELEMENTSOF(field) ? field[f] : "?", a, b,
		    t < strv_length(terms) ? terms[t] : "?");
		n++;
	}
	if (total > n)
		printf("; %u more", total - n);
	if (n)
		printf("\n");
	strv_free(terms);
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
	print_spans(h->spans_json, h->terms_json);
	if (h->snippet && *h->snippet)
		printf("  %s\n", h->snippet);
	printf("\n");
	return 0;
}

int
cmd_hits(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "atom", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct setup *su = NULL;
	struct store *st = NULL;
	uint64_t since_sec = 0;
	bool json = false, atom = false;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:ja", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (cmd_since_arg(argv[0], optarg, &since_sec) < 0)
				return CMD_EXIT_USAGE;
			break;
		case 'j':
			json = true;
			break;
		case 'a':
			atom = true;
			break;
		default:
			fprintf(stderr, "usage: reewatch %s\n", argv[0]);
			return CMD_EXIT_USAGE;
		}
	}
	if (optind < argc || (json && atom)) {
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
	if (atom) {
		_cleanup_free_ char *doc = NULL;

		r = digest_atom(st, DELIVER_ATOM_MAX_HITS, now_utc(), &doc);
		if (r == 0)
			fputs(doc, stdout);
	} else
		r = store_hits_list(st, since_sec ? now_utc() -
		    (int64_t)since_sec : 0, json ? print_hit_json :
		    print_hit_text, NULL);
	if (r < 0)
		fprintf(stderr, "reewatch: cannot read hits: %s\n",
		    strerror(-r));
	store_close(st);
	setup_free(su);
	return r < 0 ? 1 : 0;
}
