/*
 * cycle.c: polling.  Keeps each feed's schedule (read from the store),
 * starts due feeds with their validators through fetch, and for each
 * finished transfer runs parse -> text -> match on the entries the store
 * has not seen, schedules the next poll (sched) and writes the outcome in
 * one store transaction.  Logs nothing itself above debug; the caller
 * gets one report per feed.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "cycle.h"
#include "fetch.h"
#include "log.h"
#include "match.h"
#include "parse.h"
#include "sched.h"
#include "store.h"
#include "text.h"
#include "url.h"

#define CYCLE_SLICE_MS	500	/* how often --once looks at stop */
#define CYCLE_PASSWORD_MAX	4096
/* Entries added to the search index after a round (~2 s of CPU). */
#define CYCLE_FTS_PER_ROUND	((size_t)5 * STORE_FTS_BATCH)

/* One feed's schedule. */
struct cycle_slot {
	const struct feed *feed;	/* in c->su */
	int64_t next_due_ms;		/* UTC ms; 0: now */
	unsigned failures;		/* consecutive */
	struct store_feed_hints hints;
	char *host;			/* for host_delay, "" for file: */
	bool in_flight;
	bool failing;
};

/* When a host was last asked (for host_delay). */
struct cycle_host {
	char *host;
	int64_t last_ms;
};

/* The outbox channels of a hit with notify set (see deliver.h). */
static char *const cycle_desktop_channel[] = { (char *)"desktop", NULL };

struct cycle {
	const struct setup *su;
	struct store *st;
	struct fetch *fetch;
	struct cycle_slot *slots;
	size_t n_slots;
	struct cycle_host *hosts;
	size_t n_hosts;
	size_t in_flight;
	cycle_report_fn report;
	void *report_ctx;
	struct cycle_stats stats;
	int store_err;
	int64_t poll_ms;		/* UTC ms of the outcome in hand */
};

/* Save an outcome without entries (an error or a 304). */
static int
cycle_save_state(struct cycle *c, struct store_update *u,
    struct cycle_feed_report *r)
{
	int ret = store_feed_save(c->st, u, NULL, NULL);

	if (ret < 0) {
		c->store_err = ret;
		r->err = ret;
		free((char *)r->errmsg);
		r->errmsg = xstrdup("cannot write to the store");
	}
	return ret;
}

/* Parse, clean and match a 200 body; store the new entries and hits. */
static void cycle_schedule(struct cycle *c, struct cycle_slot *sl,
    const struct fetch_result *res, bool failed, struct store_update *u,
    struct cycle_feed_report *r);

static void
cycle_process_body(struct cycle *c, struct cycle_slot *sl,
    const struct fetch_result *res, struct store_update *u,
    struct cycle_feed_report *r)
{
	char errbuf[ERRMSG_MAX] = "";
	struct feed_doc *doc = NULL;
	struct entry *fresh = NULL;
	struct hit **hits = NULL;
	size_t *n_hits = NULL;
	bool *known = NULL;
	size_t i, n_fresh = 0;
	unsigned new_entries = 0, new_hits = 0;
	int ret;

	ret = parse_feed(res->body, res->len, res->content_type,
	    res->effective_url, errbuf, &doc);
	if (ret < 0) {
		r->err = ret;
		r->errmsg = xstrdup(errbuf[0] ? errbuf : strerror(-ret));
		u->error = r->errmsg;
		/* Keep the old validators: this body was not usable. */
		u->etag = u->last_modified = NULL;
		cycle_schedule(c, sl, res, true, u, r);
		(void)cycle_save_state(c, u, r);
		return;
	}
	sl->hints.ttl_min = doc->ttl_min;
	sl->hints.skip_hours = doc->skip_hours;
	sl->hints.skip_days = doc->skip_days;
	cycle_schedule(c, sl, res, false, u, r);
	r->encoding = xstrdup(doc->encoding);
	r->format = parse_format_name(doc->format);
	r->n_entries = doc->n_entries;
	r->warning = xstrdup(doc->warning);
	u->title = doc->title;

	known = xcalloc(doc->n_entries, sizeof(bool));
	ret = store_entries_known(c->st, r->feed->name, doc->entries,
	    doc->n_entries, known);
	if (ret < 0)
		goto out_store;
	fresh = xcalloc(doc->n_entries, sizeof(*fresh));
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	hits = xcalloc(doc->n_entries, sizeof(*hits));
	n_hits = xcalloc(doc->n_entries, sizeof(*n_hits));
	for (i = 0; i < doc->n_entries; i++) {
		struct entry *e;
		int m;

		if (known[i])
			continue;
		/* Move the entry out of the document. */
		e = &fresh[n_fresh];
		*e = doc->entries[i];
		memset(&doc->entries[i], 0, sizeof(doc->entries[i]));
		if (text_entry(e) < 0) {
			entry_done(e);
			continue;
		}
		m = match_entry(c->su->watch, e, &hits[n_fresh],
		    &n_hits[n_fresh]);
		if (m == -ETIME)
			log_warn("feed '%s': a watchlist pattern hit its match limit on entry '%s'",
			    r->feed->name, e->key);
		n_fresh++;
	}
	u->entries = fresh;
	u->n_entries = n_fresh;
	u->hits = hits;
	u->n_hits = n_hits;
	ret = store_feed_save(c->st, u, &new_entries, &new_hits);
	if (ret < 0)
		goto out_store;
	r->new_entries = new_entries;
	r->new_hits = new_hits;
	ret = store_feed_hints_set(c->st, r->feed->name, &sl->hints);
	if (ret < 0)
		goto out_store;
	goto out;

out_store:
	c->store_err = ret;
	r->err = ret;
	r->errmsg = xstrdup("cannot write to the store");
out:
	for (i = 0; i < n_fresh; i++) {
		entry_done(&fresh[i]);
		hits_free(hits[i], n_hits[i]);
	}
	free(fresh);
	free(hits);
	free(n_hits);
	free(known);
	feed_doc_free(doc);
}


int64_t
cycle_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Set u->next_poll and the slot's schedule after one poll. */
static void
cycle_schedule(struct cycle *c, struct cycle_slot *sl,
    const struct fetch_result *res, bool failed, struct store_update *u,
    struct cycle_feed_report *r)
{
	const struct config *conf = c->su->conf;
	struct sched_opts o = {
		.interval_sec = sl->feed->interval_sec ?
		    sl->feed->interval_sec : conf->interval_sec,
		.min_interval_sec = conf->min_interval_sec,
		.max_interval_sec = conf->max_interval_sec,
		.max_backoff_sec = conf->max_backoff_sec,
	};
	struct sched_input in = {
		.now = u->when,
		.failed = failed,
		.failures = failed ? sl->failures + 1 : 0,
		.status = res ? res->status : 0,
		.retry_after_sec = res ? res->retry_after_sec : -1,
		.max_age_sec = res ? res->max_age_sec : -1,
		.expires = res ? res->expires : 0,
		.ttl_min = sl->hints.ttl_min,
		.skip_hours = sl->hints.skip_hours,
		.skip_days = sl->hints.skip_days,
		.jitter = sched_random_jitter(),
	};

	u->next_poll = sched_next(&o, &in);
	r->next_poll = u->next_poll;
	r->failures = in.failures;
	/* In memory to the millisecond: intervals may be seconds. */
	sl->next_due_ms = c->poll_ms + (u->next_poll - u->when) * 1000;
}

/* The slot's state after its outcome was committed (or not). */
static void
cycle_slot_done(struct cycle *c, struct cycle_slot *sl,
    const struct cycle_feed_report *r)
{
	sl->failing = r->err < 0;
	sl->failures = r->failures;
	/* A store failure: try again after the interval, not in a loop. */
	if (!r->next_poll)
		sl->next_due_ms = cycle_now_ms() +
		    (int64_t)c->su->conf->interval_sec * 1000;
}

static void
cycle_count(struct cycle *c, const struct cycle_feed_report *r)
{
	c->stats.feeds++;
	if (r->err < 0)
		c->stats.failed++;
	else {
		c->stats.ok++;
		if (r->not_modified)
			c->stats.not_modified++;
	}
	c->stats.new_entries += r->new_entries;
	c->stats.new_hits += r->new_hits;
}

static void
cycle_done(const struct fetch_req *req, const struct fetch_result *res,
    void *userctx)
{
	struct cycle *c = userctx;
	struct cycle_slot *sl = req->userdata;
	const struct feed *f = sl->feed;
	struct cycle_feed_report r = { .feed = f };
	struct store_update u = {
		.feed_name = f->name,
		.feed_url = f->url,
		.status = res->status,
		.channels = c->su->conf->notify_desktop ?
		    cycle_desktop_channel : NULL,
	};

	c->poll_ms = cycle_now_ms();
	u.when = c->poll_ms / 1000;
	sl->in_flight = false;
	c->in_flight--;
	r.status = res->status;
	r.seconds = res->total_sec;
	if (res->permanent_redirect && res->effective_url &&
	    strcmp(res->effective_url, req->url) != 0)
		u.permanent_url = res->effective_url;
	if (res->err < 0) {
		r.err = res->err;
		r.errmsg = xstrdup(res->errmsg[0] ? res->errmsg :
		    strerror(-res->err));
		u.error = r.errmsg;
		u.permanent_url = NULL;
		cycle_schedule(c, sl, res, true, &u, &r);
		(void)cycle_save_state(c, &u, &r);
	} else if (res->not_modified) {
		r.not_modified = true;
		cycle_schedule(c, sl, res, false, &u, &r);
		(void)cycle_save_state(c, &u, &r);
	} else if (res->status >= 300) {
		r.err = -EIO;
		r.errmsg = xasprintf("HTTP %ld%s", res->status,
		    res->retry_after_sec > 0 && (res->status == 429 ||
		    res->status == 503) ? " (Retry-After honoured)" : "");
		u.error = r.errmsg;
		u.permanent_url = NULL;
		cycle_schedule(c, sl, res, true, &u, &r);
		(void)cycle_save_state(c, &u, &r);
	} else {
		u.etag = res->etag;
		u.last_modified = res->last_modified;
		cycle_process_body(c, sl, res, &u, &r);
	}
	if (u.permanent_url && r.err == 0)
		r.moved_to = u.permanent_url;

	cycle_slot_done(c, sl, &r);
	cycle_count(c, &r);
	if (c->report)
		c->report(&r, c->report_ctx);
	free((char *)r.errmsg);
	free((char *)r.encoding);
	free((char *)r.warning);
}

/* "host[:port]" of an http(s) URL, "" otherwise. */
static char *
url_host(const char *url)
{
	const char *p = strstr(url, "://"), *e;

	if (!p || url_is_file(url))
		return xstrdup("");
	p += 3;
	e = p + strcspn(p, "/?#");
	{
		const char *at = memchr(p, '@', (size_t)(e - p));

		if (at)
			p = at + 1;
	}
	return xstrndup(p, (size_t)(e - p));
}

static struct cycle_host *
cycle_host(struct cycle *c, const char *host)
{
	size_t i;

	for (i = 0; i < c->n_hosts; i++)
		if (strcmp(c->hosts[i].host, host) == 0)
			return &c->hosts[i];
	c->hosts = xrealloc(c->hosts, (c->n_hosts + 1) * sizeof(*c->hosts));
	c->hosts[c->n_hosts].host = xstrdup(host);
	c->hosts[c->n_hosts].last_ms = 0;
	return &c->hosts[c->n_hosts++];
}

static int
cycle_fetch_new(struct cycle *c)
{
	const struct config *conf = c->su->conf;
	struct fetch_opts o = {
		.max_connections = conf->max_connections,
		.max_per_host = conf->max_per_host,
		.timeout_sec = conf->timeout_sec,
		.connect_timeout_sec = conf->connect_timeout_sec,
		.max_body_bytes = conf->max_body_bytes,
		.user_agent = conf->user_agent,
	};

	fetch_free(c->fetch);
	c->fetch = NULL;
	c->in_flight = 0;
	return fetch_new(&o, &c->fetch);
}

static void
cycle_slots_free(struct cycle *c)
{
	size_t i;

	for (i = 0; i < c->n_slots; i++)
		free(c->slots[i].host);
	free(c->slots);
	c->slots = NULL;
	c->n_slots = 0;
}

int
cycle_set_setup(struct cycle *c, const struct setup *su)
{
	size_t i;
	int r;

	c->su = su;
	r = cycle_fetch_new(c);
	if (r < 0)
		return r;
	cycle_slots_free(c);
	c->slots = xcalloc(su->n_feeds ? su->n_feeds : 1, sizeof(*c->slots));
	c->n_slots = su->n_feeds;
	for (i = 0; i < su->n_feeds; i++) {
		struct cycle_slot *sl = &c->slots[i];
		struct store_feed_state s = { 0 };

		sl->feed = &su->feeds[i];
		sl->host = url_host(sl->feed->url);
		r = store_feed_get(c->st, sl->feed->name, &s);
		if (r == 0 && s.known) {
			/* Its schedule survives restarts and reloads. */
			sl->next_due_ms = s.next_poll * 1000;
			sl->failures = s.failures;
			sl->failing = s.last_error != NULL;
			r = store_feed_hints_get(c->st, sl->feed->name,
			    &sl->hints);
		}
		store_feed_state_done(&s);
		if (r < 0)
			return r;
	}
	return 0;
}

int
cycle_new(const struct setup *su, struct store *st, cycle_report_fn report,
    void *ctx, struct cycle **ret)
{
	struct cycle *c = xcalloc(1, sizeof(*c));
	int r;

	c->st = st;
	c->report = report;
	c->report_ctx = ctx;
	r = cycle_set_setup(c, su);
	if (r < 0) {
		cycle_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

void
cycle_free(struct cycle *c)
{
	size_t i;

	if (!c)
		return;
	fetch_free(c->fetch);
	cycle_slots_free(c);
	for (i = 0; i < c->n_hosts; i++)
		free(c->hosts[i].host);
	free(c->hosts);
	free(c);
}

void
cycle_poll_all(struct cycle *c)
{
	size_t i;

	for (i = 0; i < c->n_slots; i++)
		c->slots[i].next_due_ms = 0;
}

/* The feed's password, from its password_file, or NULL. */
static int
cycle_password(const struct feed *f, char **ret)
{
	size_t len;
	int r;

	*ret = NULL;
	if (!f->password_file)
		return 0;
	r = read_file(f->password_file, CYCLE_PASSWORD_MAX, ret, &len);
	if (r < 0)
		return r;
	while (len > 0 && ((*ret)[len - 1] == '\n' || (*ret)[len - 1] == '\r'))
		(*ret)[--len] = '\0';
	return 0;
}

/* A feed that could not even start: its outcome, scheduled as a failure. */
static void
cycle_fail_start(struct cycle *c, struct cycle_slot *sl, int err,
    const char *msg)
{
	struct cycle_feed_report rep = {
		.feed = sl->feed, .err = err, .errmsg = xstrdup(msg),
	};
	struct store_update u = {
		.feed_name = sl->feed->name, .feed_url = sl->feed->url,
		.error = rep.errmsg,
	};

	c->poll_ms = cycle_now_ms();
	u.when = c->poll_ms / 1000;

	cycle_schedule(c, sl, NULL, true, &u, &rep);
	(void)cycle_save_state(c, &u, &rep);
	cycle_slot_done(c, sl, &rep);
	cycle_count(c, &rep);
	if (c->report)
		c->report(&rep, c->report_ctx);
	free((char *)rep.errmsg);
}

static int
cycle_start(struct cycle *c, struct cycle_slot *sl)
{
	const struct feed *feed = sl->feed;
	struct store_feed_state s = { 0 };
	_cleanup_free_ char *password = NULL;
	struct fetch_req req = {
		.url = feed->url,
		.allow_file = url_is_file(feed->url),
		.headers = feed->headers,
		.username = feed->username,
		.userdata = sl,
	};
	int r;

	r = store_feed_get(c->st, feed->name, &s);
	if (r < 0)
		return r;
	/* Validators belong to the URL that gave them. */
	if (s.known) {
		req.etag = s.etag;
		req.last_modified = s.last_modified;
		if (s.current_url && !req.allow_file)
			req.url = s.current_url;
	}
	r = cycle_password(feed, &password);
	if (r < 0) {
		store_feed_state_done(&s);
		cycle_fail_start(c, sl, r, "cannot read its password_file");
		return c->store_err;
	}
	req.password = password;
	r = fetch_add(c->fetch, &req);
	store_feed_state_done(&s);
	if (password)
		memset(password, 0, strlen(password));
	if (r < 0) {
		cycle_fail_start(c, sl, r, "URL scheme not allowed");
		return c->store_err;
	}
	sl->in_flight = true;
	c->in_flight++;
	return 0;
}

/*
 * Transfers handed to fetch at once.  A finished transfer holds its body
 * until it is parsed, and fetching is much faster than parsing, so this
 * bounds memory; twice the connection cap keeps every connection busy
 * while libcurl queues some behind a per-host cap.
 */
static size_t
cycle_cap(const struct cycle *c)
{
	return 2 * (size_t)(c->su->conf->max_connections ?
	    c->su->conf->max_connections : 16);
}

int
cycle_start_due(struct cycle *c, int64_t now_ms)
{
	unsigned delay = c->su->conf->host_delay_ms;
	size_t i;
	int n = 0, r;

	for (i = 0; i < c->n_slots && c->in_flight < cycle_cap(c); i++) {
		struct cycle_slot *sl = &c->slots[i];
		struct cycle_host *h = NULL;

		if (sl->in_flight || sl->next_due_ms > now_ms)
			continue;
		if (delay && sl->host[0]) {
			h = cycle_host(c, sl->host);
			if (h->last_ms && now_ms - h->last_ms < delay)
				continue;
		}
		r = cycle_start(c, sl);
		if (r < 0)
			return r;
		if (h)
			h->last_ms = now_ms;
		n++;
	}
	return n;
}

int64_t
cycle_next_wake_ms(const struct cycle *c)
{
	unsigned delay = c->su->conf->host_delay_ms;
	int64_t best = INT64_MAX;
	size_t i, j;

	/* At the cap, the next start waits for a transfer to finish. */
	if (c->in_flight >= cycle_cap(c))
		return INT64_MAX;
	for (i = 0; i < c->n_slots; i++) {
		const struct cycle_slot *sl = &c->slots[i];
		int64_t t = sl->next_due_ms;

		if (sl->in_flight)
			continue;
		if (delay && sl->host[0])
			for (j = 0; j < c->n_hosts; j++)
				if (strcmp(c->hosts[j].host, sl->host) == 0 &&
				    c->hosts[j].last_ms + delay > t)
					t = c->hosts[j].last_ms + delay;
		if (t < best)
			best = t;
	}
	return best;
}

int
cycle_trim(struct cycle *c)
{
	if (c->in_flight > 0)
		return 0;
	/*
	 * The search index, left behind by the round's saves.  What does
	 * not fit waits for the next round or for `reewatch search`; a
	 * failure here (a search holding the lock) is not the poll's.
	 */
	(void)store_fts_sync(c->st, CYCLE_FTS_PER_ROUND);
	store_release_memory(c->st);
	/* Idle connections and their buffers go; servers drop them soon. */
	return cycle_fetch_new(c);
}

size_t
cycle_in_flight(const struct cycle *c)
{
	return c->in_flight;
}

int
cycle_wait(struct cycle *c, int fd, int timeout_ms, bool *ret_fd_ready)
{
	int r;

	r = fetch_wait(c->fetch, fd, timeout_ms, ret_fd_ready);
	if (r < 0)
		return r;
	r = fetch_perform(c->fetch, cycle_done, c);
	if (r < 0)
		return r;
	return c->store_err;
}

struct cycle_stats
cycle_take_stats(struct cycle *c)
{
	struct cycle_stats s = c->stats;

	memset(&c->stats, 0, sizeof(c->stats));
	return s;
}

void
cycle_health(const struct cycle *c, size_t *ret_feeds, size_t *ret_failing)
{
	size_t i, n = 0;

	for (i = 0; i < c->n_slots; i++)
		if (c->slots[i].failing)
			n++;
	*ret_feeds = c->n_slots;
	*ret_failing = n;
}

int
cycle_run(const struct setup *su, struct store *st,
    volatile sig_atomic_t *stop, cycle_report_fn report, void *ctx,
    struct cycle_stats *ret)
{
	struct cycle *c = NULL;
	int r;

	r = cycle_new(su, st, report, ctx, &c);
	if (r < 0)
		return r;
	cycle_poll_all(c);
	r = cycle_start_due(c, cycle_now_ms());
	/* Start what host_delay held back as its turn comes. */
	while (r >= 0 && !(stop && *stop)) {
		int64_t now = cycle_now_ms(), wake = cycle_next_wake_ms(c);
		int wait = CYCLE_SLICE_MS;
		bool held = false;
		size_t i;

		for (i = 0; i < c->n_slots; i++)
			if (!c->slots[i].in_flight &&
			    c->slots[i].next_due_ms == 0)
				held = true;
		if (!held && c->in_flight == 0)
			break;
		if (held && wake != INT64_MAX && wake - now < wait)
			wait = wake > now ? (int)(wake - now) : 0;
		r = cycle_wait(c, -1, wait, NULL);
		if (r >= 0 && held)
			r = cycle_start_due(c, cycle_now_ms());
	}
	if (r > 0)
		r = 0;
	if (r == 0 && ret)
		*ret = c->stats;
	cycle_free(c);
	return r;
}

char *
cycle_report_line(const struct cycle_feed_report *r)
{
	if (r->err < 0)
		return xasprintf("feed '%s': error: %s", r->feed->name,
		    r->errmsg ? r->errmsg : strerror(-r->err));

	if (r->not_modified)
		return xasprintf("feed '%s': not modified (304)",
		    r->feed->name);
	return xasprintf("feed '%s': %zu %s (%s, %s), %u new, %u %s%s%s",
	    r->feed->name, r->n_entries, r->n_entries == 1 ? "entry" : "entries",
	    r->format ? r->format : "?",
	    r->encoding ? r->encoding : "?", r->new_entries, r->new_hits,
	    r->new_hits == 1 ? "hit" : "hits", r->warning ? "; warning: " : "", r->warning ? r->warning : "");
}
