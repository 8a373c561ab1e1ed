/*
 * setup.h: everything a run needs from users' files, loaded in one go:
 * the config, every feed list (INI and OPML) and every watchlist compiled.
 * Immutable once loaded; a reload builds a new one and swaps it.  Reads
 * files only.
 */
#ifndef SETUP_H
#define SETUP_H

#include "conf.h"
#include "match.h"
#include "reewatch.h"
#include "util.h"

#define SETUP_EXIT_CONFIG	78	/* EX_CONFIG from sysexits.h */

struct setup {
	struct config *conf;
	struct feed *feeds;
	size_t n_feeds;
	struct watchset *watch;
	size_t n_terms;
	size_t n_alerts;
};

/*
 * Load the config at path (NULL: the built-in default search), its feed
 * lists and its watchlists.  Returns 0, or -EINVAL with every problem in d
 * as FILE:LINE.  Problems in one file do not stop the others from being
 * checked, so `reewatch check` reports them all at once.
 */
int setup_load(const char *path, struct setup **ret, struct diag *d);
void setup_free(struct setup *s);

/* The config file used when none is given: $REEWATCH_CONFIG, else
 * $XDG_CONFIG_HOME/reewatch/reewatch.conf when it exists, else the system
 * one.  malloc'd. */
char *setup_default_config_path(void);

#endif
