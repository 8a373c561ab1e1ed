/*
 * conf.h: reewatch.conf, the feed lists (INI) and the file/folder lookups.
 * Builds an immutable struct config; problems go to a diag list as
 * FILE:LINE.  Reads files only; never touches the network or the store.
 * OPML feed lists are handed to parse_opml() by the caller (setup.c).
 */
#ifndef CONF_H
#define CONF_H

#include "reewatch.h"
#include "util.h"

#define CONF_DEFAULT_INTERVAL_SEC	(15 * 60)
#define CONF_DEFAULT_MAX_CONNECTIONS	16
#define CONF_DEFAULT_MAX_PER_HOST	2
#define CONF_DEFAULT_TIMEOUT_SEC	60
#define CONF_DEFAULT_CONNECT_TIMEOUT_SEC	15
#define CONF_DEFAULT_MAX_BODY_BYTES	((size_t)16 * 1024 * 1024)
#define CONF_DEFAULT_MIN_INTERVAL_SEC	1
#define CONF_DEFAULT_MAX_INTERVAL_SEC	(24 * 3600)
#define CONF_DEFAULT_MAX_BACKOFF_SEC	(6 * 3600)
#define CONF_MAX_THREADS		64
#define CONF_AUTO_THREADS_MAX		4	/* threads = auto: CPUs, up to this */

struct config {
	char *path;			/* the file it came from */
	char *state_dir;		/* absolute; created on start */
	char **feeds;			/* files or folders */
	char **watchlists;		/* files or folders */
	unsigned interval_sec;
	unsigned max_connections;
	unsigned max_per_host;
	unsigned timeout_sec;
	unsigned connect_timeout_sec;
	size_t max_body_bytes;
	char *user_agent;		/* NULL: the built-in one */
	unsigned min_interval_sec;	/* bounds on the scheduled delay */
	unsigned max_interval_sec;	/* (server hints are clamped to it) */
	unsigned max_backoff_sec;	/* cap of the failure back-off */
	unsigned host_delay_ms;		/* between two requests to one host */
	int threads;			/* that parse and match; -1: auto */

	/* [notify], [digest], [mail]: read and checked here, used later. */
	bool notify_desktop;
	int notify_min_score;
	unsigned notify_rate_limit;	/* notifications a minute */
	char *digest_schedule;
	char **digest_formats;
	char *digest_folder;		/* NULL: STATE/digests */
	char *mail_smtp_url;
	char *mail_from;
	char **mail_to;
	char *mail_password_file;
	char *mail_ca_file;		/* CA bundle for the SMTP server, or NULL */
	char *mail_user;		/* SMTP AUTH user, or NULL */
	char *mail_sendmail;		/* a sendmail program, or NULL */
	bool mail_starttls;		/* smtp://: require STARTTLS */
};

/*
 * Read a config file.  Relative paths in it are taken relative to the
 * file's folder.  Returns 0, or -EINVAL with the problems in d.
 */
int conf_load(const char *path, struct config **ret, struct diag *d);
/* The built-in defaults (state_dir from the environment). */
struct config *conf_new_default(void);
void conf_free(struct config *c);

/*
 * Expand files-or-folders into a sorted list of files ending in one of
 * the suffixes (e.g. ".feeds", ".opml").  Missing paths go to d.
 */
int conf_expand_paths(char *const *paths, const char *const *suffixes,
    char ***ret_files, struct diag *d);

/*
 * Read one INI feed list, appending to *feeds and *n (*feeds owns them).
 * Problems go to d; returns their number.
 */
int conf_load_feedlist(const char *path, struct feed **feeds, size_t *n,
    struct diag *d);

void feed_done(struct feed *f);

/* The default state folder: $STATE_DIRECTORY, else $XDG_STATE_HOME/reewatch,
 * else ~/.local/state/reewatch.  Returns a malloc'd path. */
char *conf_default_state_dir(void);

#endif
