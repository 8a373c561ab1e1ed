/*
 * conf.c: reads reewatch.conf and INI feed lists into immutable structs,
 * resolves relative paths against the file's folder and expands folders
 * into file lists.  Every problem is a "FILE:LINE: message" in a diag.
 * Reads files only; never the network or the store.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "ini.h"

#define CONF_MAX_FILE_BYTES	((size_t)4 * 1024 * 1024)

void
feed_done(struct feed *f)
{
	if (!f)
		return;
	free(f->name);
	free(f->url);
	free(f->lang);
	strv_free(f->tags);
	strv_free(f->headers);
	free(f->username);
	free(f->password_file);
	free(f->src_file);
	memset(f, 0, sizeof(*f));
}

char *
conf_default_state_dir(void)
{
	const char *e = getenv("STATE_DIRECTORY");
	const char *home;

	if (e && *e) {
		/* systemd may pass several, colon-separated: take the first */
		return xstrndup(e, strcspn(e, ":"));
	}
	e = getenv("XDG_STATE_HOME");
	if (e && *e == '/')
		return xasprintf("%s/reewatch", e);
	home = getenv("HOME");
	if (home && *home == '/')
		return xasprintf("%s/.local/state/reewatch", home);
	return xstrdup(LOCALSTATEDIR "/lib/reewatch");
}

struct config *
conf_new_default(void)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->state_dir = conf_default_state_dir();
	c->interval_sec = CONF_DEFAULT_INTERVAL_SEC;
	c->max_connections = CONF_DEFAULT_MAX_CONNECTIONS;
	c->max_per_host = CONF_DEFAULT_MAX_PER_HOST;
	c->timeout_sec = CONF_DEFAULT_TIMEOUT_SEC;
	c->connect_timeout_sec = CONF_DEFAULT_CONNECT_TIMEOUT_SEC;
	c->max_body_bytes = CONF_DEFAULT_MAX_BODY_BYTES;
	c->min_interval_sec = CONF_DEFAULT_MIN_INTERVAL_SEC;
	c->max_interval_sec = CONF_DEFAULT_MAX_INTERVAL_SEC;
	c->max_backoff_sec = CONF_DEFAULT_MAX_BACKOFF_SEC;
	c->threads = -1;
	c->notify_desktop = true;
	c->notify_min_score = 2;
	c->notify_rate_limit = 5;
	return c;
}

void
conf_free(struct config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->state_dir);
	strv_free(c->feeds);
	strv_free(c->watchlists);
	free(c->user_agent);
	free(c->digest_schedule);
	strv_free(c->digest_formats);
	free(c->mail_smtp_url);
	free(c->mail_from);
	strv_free(c->mail_to);
	free(c->mail_password_file);
	free(c->mail_ca_file);
	free(c->digest_folder);
	free(c->mail_user);
	free(c->mail_sendmail);
	free(c);
}

/* The folder part of path ("." when there is none). */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* p if absolute, else dir/p; "~/" is the home folder. */
static char *
path_join(const char *dir, const char *p)
{
	const char *home = getenv("HOME");

	if (p[0] == '/')
		return xstrdup(p);
	if (p[0] == '~' && p[1] == '/' && home)
		return xasprintf("%s/%s", home, p + 2);
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (strcmp(dir, ".") == 0)
		return xstrdup(p);
	return xasprintf("%s/%s", dir, p);
}

/* Make a path absolute against the current folder (for state_dir). */
static char *
path_absolute(char *p)
{
	char cwd[PATH_MAX];

	if (p[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return p;
	{
		char *a = xasprintf("%s/%s", cwd, p[0] == '.' && p[1] == '/' ?
		    p + 2 : p);

		free(p);
		return a;
	}
}

/* Parse a size with an optional k/M/G suffix (powers of 1024). */
static int
parse_size(const char *s, size_t *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		v <<= 10;
		end++;
		break;
	case 'm': case 'M':
		v <<= 20;
		end++;
		break;
	case 'g': case 'G':
		v <<= 30;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v == 0 || v > (1ULL << 40))
		return -EINVAL;
	*ret = (size_t)v;
	return 0;
}

struct conf_ctx {
	struct config *c;
	const char *file;
	char *dir;
	struct diag *d;
	unsigned seen_daemon;
};

static void
conf_set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* Add a comma-separated list of paths, each relative to the config dir. */
static void
conf_add_paths(struct conf_ctx *x, char ***dst, const char *v)
{
	char **items = strv_split(v, ",");
	size_t i;

	for (i = 0; items[i]; i++)
		strv_push(dst, path_join(x->dir, items[i]));
	strv_free(items);
}

static int
conf_seconds(struct conf_ctx *x, const char *key, const char *v,
    unsigned line, unsigned min, unsigned *dst)
{
	uint64_t sec;

	if (parse_duration(v, &sec) < 0 || sec < min || sec > UINT_MAX) {
		diag_add(x->d, x->file, line,
		    "%s: '%s' is not a duration of at least %us (e.g. 90s, 15m, 2h, 1d)",
		    key, v, min);
		return 0;
	}
	*dst = (unsigned)sec;
	return 0;
}

static int
conf_count(struct conf_ctx *x, const char *key, const char *v,
    unsigned line, unsigned long max, unsigned *dst)
{
	unsigned long n;

	if (parse_uint(v, max, &n) < 0 || n == 0) {
		diag_add(x->d, x->file, line,
		    "%s: '%s' is not a number from 1 to %lu", key, v, max);
		return 0;
	}
	*dst = (unsigned)n;
	return 0;
}

static int
conf_daemon_key(struct conf_ctx *x, const char *k, const char *v,
    unsigned line)
{
	struct config *c = x->c;

	if (strcmp(k, "state_dir") == 0) {
		free(c->state_dir);
		c->state_dir = path_absolute(path_join(x->dir, v));
	} else if (strcmp(k, "feeds") == 0)
		conf_add_paths(x, &c->feeds, v);
	else if (strcmp(k, "watchlists") == 0)
		conf_add_paths(x, &c->watchlists, v);
	else if (strcmp(k, "interval") == 0)
		return conf_seconds(x, k, v, line, 1, &c->interval_sec);
	else if (strcmp(k, "min_interval") == 0)
		return conf_seconds(x, k, v, line, 1, &c->min_interval_sec);
	else if (strcmp(k, "max_interval") == 0)
		return conf_seconds(x, k, v, line, 1, &c->max_interval_sec);
	else if (strcmp(k, "max_backoff") == 0)
		return conf_seconds(x, k, v, line, 1, &c->max_backoff_sec);
	else if (strcmp(k, "host_delay") == 0) {
		uint64_t ms = 0;
		unsigned long n;
		size_t l = strlen(v);
		int pr;

		if (l > 2 && strcmp(v + l - 2, "ms") == 0) {
			_cleanup_free_ char *num = xstrndup(v, l - 2);

			pr = parse_uint(num, 3600000, &n);
			ms = n;
		} else {
			pr = parse_duration(v, &ms);
			ms *= 1000;
		}
		if (pr < 0 || ms > 3600000)
			diag_add(x->d, x->file, line,
			    "host_delay: '%s' is not a duration up to 1h (e.g. 500ms, 2s)",
			    v);
		else
			c->host_delay_ms = (unsigned)ms;
		return 0;
	}
	else if (strcmp(k, "timeout") == 0)
		return conf_seconds(x, k, v, line, 1, &c->timeout_sec);
	else if (strcmp(k, "connect_timeout") == 0)
		return conf_seconds(x, k, v, line, 1, &c->connect_timeout_sec);
	else if (strcmp(k, "max_connections") == 0)
		return conf_count(x, k, v, line, 1024, &c->max_connections);
	else if (strcmp(k, "max_per_host") == 0)
		return conf_count(x, k, v, line, 64, &c->max_per_host);
	else if (strcmp(k, "threads") == 0) {
		unsigned long n;

		if (strcmp(v, "auto") == 0)
			c->threads = -1;
		else if (parse_uint(v, CONF_MAX_THREADS, &n) == 0)
			c->threads = (int)n;
		else
			diag_add(x->d, x->file, line,
			    "threads: '%s' is not 'auto' or a number from 0 to %d",
			    v, CONF_MAX_THREADS);
	}
	else if (strcmp(k, "max_body_size") == 0) {
		if (parse_size(v, &c->max_body_bytes) < 0)
			diag_add(x->d, x->file, line,
			    "max_body_size: '%s' is not a size (e.g. 16M)", v);
	} else if (strcmp(k, "user_agent") == 0) {
		if (strpbrk(v, "\r\n"))
			diag_add(x->d, x->file, line,
			    "user_agent: must be one line");
		else
			conf_set_str(&c->user_agent, v);
	} else
		diag_add(x->d, x->file, line, "unknown key '%s' in [daemon]",
		    k);
	return 0;
}

static int
conf_notify_key(struct conf_ctx *x, const char *k, const char *v,
    unsigned line)
{
	unsigned long n;

	if (strcmp(k, "desktop") == 0) {
		if (parse_bool(v, &x->c->notify_desktop) < 0)
			diag_add(x->d, x->file, line,
			    "desktop: expected yes or no, not '%s'", v);
	} else if (strcmp(k, "min_score") == 0) {
		if (parse_uint(v, 1000, &n) < 0)
			diag_add(x->d, x->file, line,
			    "min_score: '%s' is not a number", v);
		else
			x->c->notify_min_score = (int)n;
	} else if (strcmp(k, "rate_limit") == 0) {
		if (parse_uint(v, 1000, &n) < 0 || n == 0)
			diag_add(x->d, x->file, line,
			    "rate_limit: '%s' is not a number from 1 to 1000", v);
		else
			x->c->notify_rate_limit = (unsigned)n;
	} else
		diag_add(x->d, x->file, line, "unknown key '%s' in [notify]",
		    k);
	return 0;
}

/* A weekday name or its first three (or more) letters: "mon", "Monday". */
static bool
conf_weekday_ok(const char *day)
{
	static const char *const names[] = { "sunday", "monday", "tuesday",
	    "wednesday", "thursday", "friday", "saturday" };
	size_t i, n = strlen(day);

	for (i = 0; n >= 3 && i < ELEMENTSOF(names); i++)
		if (n <= strlen(names[i]) && strncasecmp(day, names[i], n) == 0)
			return true;
	return false;
}

static int
conf_digest_key(struct conf_ctx *x, const char *k, const char *v,
    unsigned line)
{
	static const char *const formats[] = { "html", "md", "txt" };
	size_t i, j;

	if (strcmp(k, "schedule") == 0) {
		unsigned hh, mm;
		char day[16];
		int pos = 0;

		if (strcmp(v, "hourly") != 0 &&
		    !(sscanf(v, "daily %2u:%2u%n", &hh, &mm, &pos) == 2 &&
		    v[pos] == '\0' && hh < 24 && mm < 60) &&
		    !(sscanf(v, "weekly %15s %2u:%2u%n", day, &hh, &mm,
		    &pos) == 3 && v[pos] == '\0' && hh < 24 && mm < 60 &&
		    conf_weekday_ok(day)))
			diag_add(x->d, x->file, line,
			    "schedule: expected 'hourly', 'daily HH:MM' or 'weekly DAY HH:MM', not '%s'",
			    v);
		else
			conf_set_str(&x->c->digest_schedule, v);
	} else if (strcmp(k, "formats") == 0) {
		char **f = strv_split(v, ",");

		for (i = 0; f[i]; i++) {
			for (j = 0; j < ELEMENTSOF(formats); j++)
				if (strcmp(f[i], formats[j]) == 0)
					break;
			if (j == ELEMENTSOF(formats))
				diag_add(x->d, x->file, line,
				    "formats: unknown format '%s' (html, md, txt)",
				    f[i]);
		}
		strv_free(x->c->digest_formats);
		x->c->digest_formats = f;
	} else if (strcmp(k, "folder") == 0) {
		free(x->c->digest_folder);
		x->c->digest_folder = path_join(x->dir, v);
	} else
		diag_add(x->d, x->file, line, "unknown key '%s' in [digest]",
		    k);
	return 0;
}

static int
conf_mail_key(struct conf_ctx *x, const char *k, const char *v,
    unsigned line)
{
	struct config *c = x->c;

	if (strpbrk(v, "\r\n")) {
		diag_add(x->d, x->file, line, "%s: must be one line", k);
		return 0;
	}
	if (strcmp(k, "smtp_url") == 0) {
		if (!startswith(v, "smtp://") && !startswith(v, "smtps://"))
			diag_add(x->d, x->file, line,
			    "smtp_url: expected smtp:// or smtps://");
		else
			conf_set_str(&c->mail_smtp_url, v);
	} else if (strcmp(k, "from") == 0)
		conf_set_str(&c->mail_from, v);
	else if (strcmp(k, "to") == 0) {
		strv_free(c->mail_to);
		c->mail_to = strv_split(v, ",");
	} else if (strcmp(k, "password_file") == 0) {
		free(c->mail_password_file);
		c->mail_password_file = path_join(x->dir, v);
	} else if (strcmp(k, "ca_file") == 0) {
		free(c->mail_ca_file);
		c->mail_ca_file = path_join(x->dir, v);
	} else if (strcmp(k, "user") == 0)
		conf_set_str(&c->mail_user, v);
	else if (strcmp(k, "sendmail") == 0) {
		free(c->mail_sendmail);
		c->mail_sendmail = path_join(x->dir, v);
	} else if (strcmp(k, "starttls") == 0) {
		if (parse_bool(v, &c->mail_starttls) < 0)
			diag_add(x->d, x->file, line,
			    "starttls: expected yes or no, not '%s'", v);
	} else
		diag_add(x->d, x->file, line, "unknown key '%s' in [mail]", k);
	return 0;
}

static int
conf_handler(void *userdata, const char *section, const char *key,
    const char *value, unsigned line)
{
	struct conf_ctx *x = userdata;

	if (!key) {
		if (strcmp(section, "daemon") != 0 &&
		    strcmp(section, "notify") != 0 &&
		    strcmp(section, "digest") != 0 &&
		    strcmp(section, "mail") != 0)
			diag_add(x->d, x->file, line,
			    "unknown section [%s] (daemon, notify, digest, mail)",
			    section);
		return 0;
	}
	if (strcmp(section, "daemon") == 0)
		return conf_daemon_key(x, key, value, line);
	if (strcmp(section, "notify") == 0)
		return conf_notify_key(x, key, value, line);
	if (strcmp(section, "digest") == 0)
		return conf_digest_key(x, key, value, line);
	if (strcmp(section, "mail") == 0)
		return conf_mail_key(x, key, value, line);
	return 0;	/* already reported at the header */
}

int
conf_load(const char *path, struct config **ret, struct diag *d)
{
	_cleanup_free_ char *data = NULL;
	struct conf_ctx x = { .file = path, .d = d };
	size_t len, before = d->n;
	int r;

	r = read_file(path, CONF_MAX_FILE_BYTES, &data, &len);
	if (r < 0) {
		diag_add(d, path, 0, "cannot read: %s", strerror(-r));
		return -EINVAL;
	}
	x.c = conf_new_default();
	x.c->path = xstrdup(path);
	x.dir = dir_of(path);
	(void)ini_parse(data, len, path, conf_handler, &x, d);
	if (!x.c->feeds)
		diag_add(d, path, 0, "[daemon] feeds is not set");
	if (!x.c->watchlists)
		diag_add(d, path, 0, "[daemon] watchlists is not set");
	if ((x.c->mail_smtp_url || x.c->mail_sendmail) &&
	    (!x.c->mail_from || !x.c->mail_to))
		diag_add(d, path, 0,
		    "[mail] needs from and to with smtp_url or sendmail");
	free(x.dir);
	if (d->n > before) {
		conf_free(x.c);
		return -EINVAL;
	}
	*ret = x.c;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
has_suffix(const char *name, const char *const *suffixes)
{
	size_t i;

	for (i = 0; suffixes[i]; i++)
		if (endswith(name, suffixes[i]))
			return true;
	return false;
}

int
conf_expand_paths(char *const *paths, const char *const *suffixes,
    char ***ret_files, struct diag *d)
{
	char **files = xcalloc(1, sizeof(char *));
	size_t i, before = d->n;

	for (i = 0; paths && paths[i]; i++) {
		struct stat st;
		struct dirent *de;
		char **found = xcalloc(1, sizeof(char *));
		DIR *dir;

		if (stat(paths[i], &st) < 0) {
			diag_add(d, paths[i], 0, "%s", strerror(errno));
			strv_free(found);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			strv_push(&files, xstrdup(paths[i]));
			strv_free(found);
			continue;
		}
		dir = opendir(paths[i]);
		if (!dir) {
			diag_add(d, paths[i], 0, "%s", strerror(errno));
			strv_free(found);
			continue;
		}
		while ((de = readdir(dir))) {
			if (de->d_name[0] == '.' ||
			    !has_suffix(de->d_name, suffixes))
				continue;
			strv_push(&found, xasprintf("%s/%s", paths[i],
			    de->d_name));
		}
		closedir(dir);
		/* Sorted, so that load order and messages are stable. */
		qsort(found, strv_length(found), sizeof(char *), cmp_str);
		for (size_t j = 0; found[j]; j++)
			strv_push(&files, TAKE_PTR(found[j]));
		free(found);
	}
	if (d->n > before) {
		strv_free(files);
		return -ENOENT;
	}
	*ret_files = files;
	return 0;
}

struct feedlist_ctx {
	const char *file;
	char *dir;
	struct diag *d;
	struct feed **feeds;
	size_t *n;
	struct feed *cur;	/* the feed being read, or NULL */
	size_t first;		/* index of this file's first feed */
};

/* A relative "file:x.xml" URL, made absolute against the list's folder. */
static char *
feed_url(const struct feedlist_ctx *x, const char *v)
{
	if (strncasecmp(v, "file:", 5) == 0 && strncmp(v + 5, "//", 2) != 0) {
		_cleanup_free_ char *p = path_join(x->dir, v + 5);
		_cleanup_free_ char *abs = path_absolute(TAKE_PTR(p));

		return xasprintf("file://%s", abs);
	}
	return xstrdup(v);
}

static bool
feed_url_ok(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0 ||
	    strncasecmp(u, "https://", 8) == 0 ||
	    strncasecmp(u, "file:///", 8) == 0;
}

static int
feedlist_handler(void *userdata, const char *section, const char *key,
    const char *value, unsigned line)
{
	struct feedlist_ctx *x = userdata;
	struct feed *f;

	if (!key) {
		_cleanup_free_ char *kind = NULL, *name = NULL;

		x->cur = NULL;
		if (ini_section_split(section, &kind, &name) < 0 ||
		    strcmp(kind, "feed") != 0 || !name || !*name) {
			diag_add(x->d, x->file, line,
			    "expected [feed \"NAME\"], not [%s]", section);
			return 0;
		}
		*x->feeds = xrealloc(*x->feeds, (*x->n + 1) * sizeof(**x->feeds));
		f = &(*x->feeds)[(*x->n)++];
		memset(f, 0, sizeof(*f));
		f->name = TAKE_PTR(name);
		f->src_file = xstrdup(x->file);
		f->src_line = line;
		x->cur = f;
		return 0;
	}
	f = x->cur;
	if (!f)
		return 0;	/* the header was already reported */
	if (strcmp(key, "url") == 0) {
		free(f->url);
		f->url = feed_url(x, value);
		if (!feed_url_ok(f->url))
			diag_add(x->d, x->file, line,
			    "feed '%s': url must be http://, https:// or file:, not '%s'",
			    f->name, value);
	} else if (strcmp(key, "lang") == 0)
		conf_set_str(&f->lang, value);
	else if (strcmp(key, "tags") == 0) {
		strv_free(f->tags);
		f->tags = strv_split(value, ",");
	} else if (strcmp(key, "interval") == 0) {
		uint64_t sec;

		if (parse_duration(value, &sec) < 0 || sec == 0 ||
		    sec > UINT_MAX)
			diag_add(x->d, x->file, line,
			    "feed '%s': interval '%s' is not a duration (e.g. 10m)",
			    f->name, value);
		else
			f->interval_sec = (unsigned)sec;
	} else if (strcmp(key, "header") == 0) {
		/* One "Name: value" per line; the key may repeat. */
		const char *colon = strchr(value, ':');

		if (!colon || colon == value || strpbrk(value, "\r\n") ||
		    strcspn(value, " \t") < (size_t)(colon - value))
			diag_add(x->d, x->file, line,
			    "feed '%s': header must be 'Name: value'", f->name);
		else
			strv_push(&f->headers, xstrdup(value));
	} else if (strcmp(key, "username") == 0) {
		if (strpbrk(value, "\r\n:"))
			diag_add(x->d, x->file, line,
			    "feed '%s': username must be one line without ':'",
			    f->name);
		else
			conf_set_str(&f->username, value);
	} else if (strcmp(key, "password_file") == 0) {
		free(f->password_file);
		f->password_file = path_absolute(path_join(x->dir, value));
	} else
		diag_add(x->d, x->file, line, "feed '%s': unknown key '%s'",
		    f->name, key);
	return 0;
}

int
conf_load_feedlist(const char *path, struct feed **feeds, size_t *n,
    struct diag *d)
{
	_cleanup_free_ char *data = NULL;
	struct feedlist_ctx x = {
		.file = path, .d = d, .feeds = feeds, .n = n, .first = *n,
	};
	size_t len, before = d->n, i;
	int r;

	r = read_file(path, CONF_MAX_FILE_BYTES, &data, &len);
	if (r < 0) {
		diag_add(d, path, 0, "cannot read: %s", strerror(-r));
		return 1;
	}
	x.dir = dir_of(path);
	(void)ini_parse(data, len, path, feedlist_handler, &x, d);
	for (i = x.first; i < *n; i++) {
		if (!(*feeds)[i].url)
			diag_add(d, path, (*feeds)[i].src_line,
			    "feed '%s' has no url", (*feeds)[i].name);
		if ((*feeds)[i].password_file && !(*feeds)[i].username)
			diag_add(d, path, (*feeds)[i].src_line,
			    "feed '%s': password_file needs a username",
			    (*feeds)[i].name);
	}
	free(x.dir);
	return (int)(d->n - before);
}
