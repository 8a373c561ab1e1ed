/*
 * cmd.c: what the reewatch subcommands share: loading the setup, opening
 * the store read-mostly, and JSON field helpers.  Reads users' files and
 * the store; prints problems to stderr.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

const char *cmd_config;

int
cmd_load_setup(struct setup **ret)
{
	struct diag d;
	size_t i;

	diag_init(&d);
	if (setup_load(cmd_config, ret, &d) < 0) {
		for (i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
		diag_done(&d);
		return SETUP_EXIT_CONFIG;
	}
	diag_done(&d);
	return 0;
}

/* Open the store of a setup; -ENOENT when there is none yet. */
int
cmd_open_store(const struct setup *su, struct store **ret)
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

void
cmd_json_time(struct buf *b, int64_t t)
{
	char ts[RFC3339_MAX];

	if (t)
		(void)json_add_string(b, format_rfc3339(t, ts));
	else
		(void)buf_adds(b, "null");
}

static void
json_field(struct buf *b, const char *key, const char *s,
    int (*add)(struct buf *, const char *))
{
	(void)buf_adds(b, ",\"");
	(void)buf_adds(b, key);		/* ours: nothing to escape */
	(void)buf_adds(b, "\":");
	if (s)
		(void)add(b, s);
	else
		(void)buf_adds(b, "null");
}

void
cmd_json_field(struct buf *b, const char *key, const char *s)
{
	json_field(b, key, s, json_add_string);
}

void
cmd_json_text(struct buf *b, const char *key, const char *s)
{
	json_field(b, key, s, json_add_text);
}

int
cmd_since_arg(const char *cmd, const char *arg, uint64_t *ret_sec)
{
	if (parse_duration(arg, ret_sec) < 0) {
		fprintf(stderr, "reewatch %s: --since: '%s' is not a duration "
		    "(e.g. 90m, 24h, 30d)\n", cmd, arg);
		return -EINVAL;
	}
	return 0;
}

int
cmd_operand_since(int argc, char **argv, const char *operand,
    uint64_t *ret_sec)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* 0, not 1: re-initialise getopt so options may follow the operand */
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (cmd_since_arg(argv[0], optarg, ret_sec) < 0)
				return CMD_EXIT_USAGE;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	return 0;
usage:
	fprintf(stderr, "usage: reewatch %s %s [--since DURATION]\n",
	    argv[0], operand);
	return CMD_EXIT_USAGE;
}

int
cmd_open_matcher(struct watchlist *w, struct setup **ret_su,
    struct store **ret_st, struct watchset **ret_ws)
{
	struct setup *su = NULL;
	struct store *st = NULL;
	struct watchset *ws;
	int r;

	r = cmd_load_setup(&su);
	if (r != 0) {
		watchlist_free(w);
		return r;
	}
	if (cmd_open_store(su, &st) < 0) {
		watchlist_free(w);
		setup_free(su);
		return 1;
	}
	ws = watchset_new();
	(void)watchset_add(ws, w);
	*ret_su = su;
	*ret_st = st;
	*ret_ws = ws;
	return 0;
}

int
cmd_match_row(const struct watchset *ws, const struct store_entry_row *row,
    bool *limited, struct hit **ret_hits, size_t *ret_n)
{
	struct entry e;
	int r;

	/* Borrowed text: the entry is never freed, only matched. */
	memset(&e, 0, sizeof(e));
	e.title.s = (char *)row->title;
	e.summary.s = (char *)row->summary;
	e.content.s = (char *)row->content;
	r = match_entry(ws, &e, ret_hits, ret_n);
	if (r == -ETIME) {
		*limited = true;
		r = 0;
	}
	return r;
}

void
cmd_print_terms(const char *prefix, char *const *terms)
{
	size_t i;

	printf("%sterms:", prefix);
	for (i = 0; terms && terms[i]; i++)
		printf("%s %s", i ? "," : "", terms[i]);
	printf("\n");
}
