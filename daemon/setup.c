/*
 * setup.c: loads the config, feed lists and watchlists as one unit and
 * checks them together (duplicate feed or watchlist names across files).
 * Reads files only; the composition point for conf, parse_opml and match.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "setup.h"

#define SETUP_MAX_FILE_BYTES	((size_t)16 * 1024 * 1024)

char *
setup_default_config_path(void)
{
	const char *e = getenv("REEWATCH_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *p = NULL;

	if (e && *e)
		return xstrdup(e);
	if (xdg && *xdg == '/')
		p = xasprintf("%s/reewatch/reewatch.conf", xdg);
	else if (home && *home == '/')
		p = xasprintf("%s/.config/reewatch/reewatch.conf", home);
	if (p && access(p, R_OK) == 0)
		return p;
	free(p);
	return xstrdup(SYSCONFDIR "/reewatch/reewatch.conf");
}

void
setup_free(struct setup *s)
{
	size_t i;

	if (!s)
		return;
	conf_free(s->conf);
	for (i = 0; i < s->n_feeds; i++)
		feed_done(&s->feeds[i]);
	free(s->feeds);
	watchset_free(s->watch);
	free(s);
}

static void
setup_load_feeds(struct setup *s, struct diag *d)
{
	static const char *const suffixes[] = { ".feeds", ".opml", NULL };
	char **files = NULL;
	size_t i, j;

	(void)conf_expand_paths(s->conf->feeds, suffixes, &files, d);
	for (i = 0; files && files[i]; i++) {
		if (endswith(files[i], ".opml")) {
			_cleanup_free_ char *data = NULL;
			size_t len;
			int r = read_file(files[i], SETUP_MAX_FILE_BYTES,
			    &data, &len);

			if (r < 0)
				diag_add(d, files[i], 0, "cannot read: %s",
				    strerror(-r));
			else
				(void)parse_opml(data, len, files[i],
				    &s->feeds, &s->n_feeds, d);
		} else
			(void)conf_load_feedlist(files[i], &s->feeds,
			    &s->n_feeds, d);
	}
	strv_free(files);
	/* Names identify feeds in the store: they must be unique. */
	for (i = 0; i < s->n_feeds; i++)
		for (j = 0; j < i; j++)
			if (strcmp(s->feeds[i].name, s->feeds[j].name) == 0) {
				diag_add(d, s->feeds[i].src_file,
				    s->feeds[i].src_line,
				    "feed '%s' is already defined at %s:%u",
				    s->feeds[i].name, s->feeds[j].src_file,
				    s->feeds[j].src_line);
				break;
			}
	if (s->n_feeds == 0 && d->n == 0)
		diag_add(d, s->conf->path, 0, "no feeds in %s",
		    s->conf->feeds[0]);
}

static void
setup_load_watchlists(struct setup *s, struct diag *d)
{
	static const char *const suffixes[] = { ".watch", NULL };
	char **files = NULL;
	size_t i;

	s->watch = watchset_new();
	(void)conf_expand_paths(s->conf->watchlists, suffixes, &files, d);
	for (i = 0; files && files[i]; i++) {
		_cleanup_free_ char *data = NULL;
		struct watchlist *w = NULL;
		size_t len;
		int r = read_file(files[i], SETUP_MAX_FILE_BYTES, &data, &len);

		if (r < 0) {
			diag_add(d, files[i], 0, "cannot read: %s",
			    strerror(-r));
			continue;
		}
		if (watchlist_compile(data, len, files[i], &w, d) < 0)
			continue;
		s->n_terms += watchlist_n_terms(w);
		s->n_alerts += watchlist_n_alerts(w);
		if (watchset_add(s->watch, w) < 0) {
			diag_add(d, files[i], 0,
			    "a watchlist named '%s' is already loaded",
			    watchlist_name(w));
			watchlist_free(w);
		}
	}
	strv_free(files);
	if (watchset_size(s->watch) == 0 && d->n == 0)
		diag_add(d, s->conf->path, 0, "no watchlists in %s",
		    s->conf->watchlists[0]);
}

int
setup_load(const char *path, struct setup **ret, struct diag *d)
{
	_cleanup_free_ char *def = NULL;
	struct setup *s;
	size_t before = d->n;

	if (!path) {
		def = setup_default_config_path();
		path = def;
	}
	s = xcalloc(1, sizeof(*s));
	if (conf_load(path, &s->conf, d) < 0) {
		setup_free(s);
		return -EINVAL;
	}
	setup_load_feeds(s, d);
	setup_load_watchlists(s, d);
	if (d->n > before) {
		setup_free(s);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}
