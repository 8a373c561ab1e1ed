/*
 * cmd.h: the subcommands of reewatch(1), one file each (cmd-*.c), and the
 * helpers they share.  Each cmd_NAME(argc, argv) gets argv[0] = "NAME"
 * and returns the exit status: 0 ok, 1 failure, 2 usage, 78 bad config.
 */
#ifndef CMD_H
#define CMD_H

#include "match.h"
#include "setup.h"
#include "store.h"
#include "util.h"

#define CMD_EXIT_USAGE	2

extern const char *cmd_config;		/* --config, or NULL */

/* Load the setup; on problems print them to stderr and return 78. */
int cmd_load_setup(struct setup **ret);
/* Open the setup's store; -ENOENT (with a message) when there is none. */
int cmd_open_store(const struct setup *su, struct store **ret);
/* ,"key":"value" (or null) and an RFC 3339 time (or null) for JSON. */
void cmd_json_field(struct buf *b, const char *key, const char *s);
/* The same for text in the display form (text.h: valid UTF-8). */
void cmd_json_text(struct buf *b, const char *key, const char *s);
void cmd_json_time(struct buf *b, int64_t t);
/*
 * The arguments of a command that takes one OPERAND and --since DURATION
 * (backtest, search): 0 with the operand at argv[optind] and *ret_sec set
 * when --since is given, or CMD_EXIT_USAGE after a message.
 */
int cmd_operand_since(int argc, char **argv, const char *operand,
    uint64_t *ret_sec);
/*
 * Load the setup, open its store and a watchset of w alone, for matching
 * stored entries (backtest, search).  Takes w: 0 with the three (w is the
 * watchset's), or the exit status after a message (w freed).
 */
int cmd_open_matcher(struct watchlist *w, struct setup **ret_su,
    struct store **ret_st, struct watchset **ret_ws);
/* Match one stored entry (backtest, search): match_entry()'s result, but
 * PCRE2's limits (-ETIME) only set *limited. */
int cmd_match_row(const struct watchset *ws, const struct store_entry_row *row,
    bool *limited, struct hit **ret_hits, size_t *ret_n);
/* "<prefix>terms: a, b" and a newline. */
void cmd_print_terms(const char *prefix, char *const *terms);
/* --since DURATION of command cmd; -EINVAL (with a message) when bad. */
int cmd_since_arg(const char *cmd, const char *arg, uint64_t *ret_sec);

int cmd_check(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_hits(int argc, char **argv);
int cmd_feeds(int argc, char **argv);
int cmd_deliver(int argc, char **argv);
int cmd_notify_test(int argc, char **argv);
int cmd_digest(int argc, char **argv);
int cmd_mail_test(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_backtest(int argc, char **argv);
int cmd_search(int argc, char **argv);

#endif
