/*
 * cycle.c: polling.  Keeps each feed's schedule (read from the store),
 * starts due feeds with their validators through fetch, and for each
 * finished transfer runs parse -> text -> match on the entries the store
 * has not seen, schedules the next poll (sched) and writes the outcome in
 * one store transaction.  Parsing, cleaning and matching run in the
 * pool's worker threads (a 200 body goes there twice: to be parsed, then,
 * after the store has said which entries are new, to have those matched);
 * the store, fetch and the reports stay on the caller's thread.  Logs
 * nothing itself above debug but a match limit; the caller gets one
 * report per feed.
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
#include "pool.h"
#include "sched.h"
#include "store.h"
#include "text.h"
#include "url.h"

#define CYCLE_SLICE_MS	500	/* how often --once looks at stop */
#define CYCLE_PASSWORD_MAX	4096
/* Bodies waiting to be parsed: no new feed starts above this. */
#define CYCLE_QUEUED_BYTES_MAX	((size_t)64 << 20)

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
	struct pool *pool;		/* parse and match */
	size_t queued_bytes;		/* of bodies not yet parsed */
	bool queue_full;		/* at CYCLE_QUEUED_BYTES_MAX, logged */
	struct match_work **works;	/* by worker, and one for inline */
	size_t n_works;
};

/* The store failed us: the poll is not committed. */
static void
cycle_store_failed(struct cycle *c, struct cycle_feed_report *r, int err)
{
	c->store_err = err;
	r->err = err;
	free((char *)r->errmsg);
	r->errmsg = xstrdup("cannot write to the store");
}

/* Save an outcome without entries (an error or a 304). */
static int
cycle_save_state(struct cycle *c, struct store_update *u,
    struct cycle_feed_report *r)
{
	int ret = store_feed_save(c->st, u, NULL, NULL);

	if (ret < 0)
		cycle_store_failed(c, r, ret);
	return ret;
}

/*
 * A 200 body on its way through the workers: parsed there, checked
 * against the store here, its new entries cleaned and matched there,
 * stored here.  Owns everything it points to but slot, and the strings of
 * r and u that point into res or doc.
 */
struct cycle_job {
	struct pool_job pj;		/* first */
	struct cycle *c;
	struct cycle_slot *sl;
	const struct watchset *watch;	/* c->su's, for the worker */
	struct fetch_result res;
	int64_t poll_ms;		/* when the transfer finished */
	size_t body_len;		/* in c->queued_bytes until parsed */
	struct store_update u;
	struct cycle_feed_report r;
	bool parsed;			/* next stage: match */
	/* parse */
	int err;
	char errbuf[ERRMSG_MAX];
	struct feed_doc *doc;
	/* match: the entries the store has not seen */
	struct entry *fresh;
	size_t n_fresh;
	struct hit **hits;
	size_t *n_hits;
	bool *limited;			/* a pattern hit its match limit */
};

static void cycle_schedule(struct cycle *c, struct cycle_slot *sl,
    const struct fetch_result *res, bool failed, struct store_update *u,
    struct cycle_feed_report *r);
static void cycle_finish(struct cycle *c, struct cycle_slot *sl,
    struct store_update *u, struct cycle_feed_report *r);

static void
cycle_job_free(struct cycle_job *j)
{
	size_t i;

	for (i = 0; i < j->n_fresh; i++) {
		entry_done(&j->fresh[i]);
		if (j->hits)
			hits_free(j->hits[i], j->n_hits[i]);
	}
	free(j->fresh);
	free(j->hits);
	free(j->n_hits);
	free(j->limited);
	feed_doc_free(j->doc);
	fetch_result_done(&j->res);
	free((char *)j->r.errmsg);
	free((char *)j->r.encoding);
	free((char *)j->r.warning);
	free(j);
}

/* In a worker: parse the body, or clean and match the new entries. */
static void
cycle_job_run(struct pool_job *pj, unsigned worker)
{
	struct cycle_job *j = (struct cycle_job *)pj;
	struct match_work **mw = &j->c->works[worker];
	size_t i, n = 0;

	if (!j->parsed) {
		j->err = parse_feed(j->res.body, j->res.len,
		    j->res.content_type, j->res.effective_url, j->errbuf,
		    &j->doc);
		/* The document holds copies: give the body back now. */
		free(j->res.body);
		j->res.body = NULL;
		return;
	}
	/* Only this worker uses its work; the loop frees it when idle. */
	if (!*mw)
		*mw = match_work_new(j->watch);
	if (!*mw) {
		j->err = -ENOMEM;
		return;
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	j->hits = xcalloc(j->n_fresh + 1, sizeof(*j->hits));
	j->n_hits = xcalloc(j->n_fresh + 1, sizeof(*j->n_hits));
	j->limited = xcalloc(j->n_fresh + 1, sizeof(*j->limited));
	for (i = 0; i < j->n_fresh; i++) {
		struct entry *e = &j->fresh[i];
		int m;

		if (text_entry(e) < 0) {
			entry_done(e);
			continue;
		}
		if (n != i) {
			j->fresh[n] = *e;
			memset(e, 0, sizeof(*e));
		}
		/* After a failure the feed is not stored (cycle_matched()):
		 * nothing is marked seen without having been matched. */
		if (j->err == 0) {
			m = match_entry_with(j->watch, *mw, &j->fresh[n],
			    &j->hits[n], &j->n_hits[n]);
			j->limited[n] = m == -ETIME;
			if (m < 0 && m != -ETIME)
				j->err = m;
		}
		n++;
	}
	j->n_fresh = n;
}

/* Back from a worker with the entries matched: store them. */
static void
cycle_matched(struct cycle *c, struct cycle_job *j)
{
	struct store_update *u = &j->u;
	struct cycle_feed_report *r = &j->r;
	unsigned new_entries = 0, new_hits = 0;
	size_t i;
	int ret;

	if (j->err < 0) {
		/* Not committed: the feed's entries come again next time. */
		r->err = j->err;
		r->errmsg = xasprintf("cannot match its entries: %s",
		    strerror(-j->err));
		cycle_finish(c, j->sl, u, r);
		cycle_job_free(j);
		return;
	}
	for (i = 0; i < j->n_fresh; i++)
		if (j->limited && j->limited[i])
			log_warn("feed '%s': a watchlist pattern hit its match limit on entry '%s'",
			    r->feed->name, j->fresh[i].key);
	u->entries = j->fresh;
	u->n_entries = j->n_fresh;
	u->hits = j->hits;
	u->n_hits = j->n_hits;
	ret = store_feed_save(c->st, u, &new_entries, &new_hits);
	if (ret == 0)
		ret = store_feed_hints_set(c->st, r->feed->name,
		    &j->sl->hints);
	if (ret < 0)
		cycle_store_failed(c, r, ret);
	else {
		r->new_entries = new_entries;
		r->new_hits = new_hits;
	}
	cycle_finish(c, j->sl, u, r);
	cycle_job_free(j);
}

/* Back from a worker with the body parsed: schedule the feed, keep the
 * entries the store has not seen and send them to be matched. */
static void
cycle_parsed(struct cycle *c, struct cycle_job *j)
{
	struct store_update *u = &j->u;
	struct cycle_feed_report *r = &j->r;
	struct feed_doc *doc = j->doc;
	bool *known;
	size_t i;
	int ret;

	c->poll_ms = j->poll_ms;
	c->queued_bytes -= j->body_len;
	if (j->err < 0) {
		r->err = j->err;
		r->errmsg = xstrdup(j->errbuf[0] ? j->errbuf :
		    strerror(-j->err));
		u->error = r->errmsg;
		/* Keep the old validators: this body was not usable. */
		u->etag = u->last_modified = NULL;
		cycle_schedule(c, j->sl, &j->res, true, u, r);
		(void)cycle_save_state(c, u, r);
		cycle_finish(c, j->sl, u, r);
		cycle_job_free(j);
		return;
	}
	j->sl->hints.ttl_min = doc->ttl_min;
	j->sl->hints.skip_hours = doc->skip_hours;
	j->sl->hints.skip_days = doc->skip_days;
	cycle_schedule(c, j->sl, &j->res, false, u, r);
	r->encoding = xstrdup(doc->encoding);
	r->format = parse_format_name(doc->format);
	r->n_entries = doc->n_entries;
	r->warning = xstrdup(doc->warning);
	u->title = doc->title;

	known = xcalloc(doc->n_entries + 1, sizeof(bool));
	ret = store_entries_known(c->st, r->feed->name, doc->entries,
	    doc->n_entries, known);
	if (ret < 0) {
		free(known);
		cycle_store_failed(c, r, ret);
		cycle_finish(c, j->sl, u, r);
		cycle_job_free(j);
		return;
	}
	j->fresh = xcalloc(doc->n_entries + 1, sizeof(*j->fresh));
	for (i = 0; i < doc->n_entries; i++) {
		if (known[i])
			continue;
		/* Move the entry out of the document. */
		j->fresh[j->n_fresh++] = doc->entries[i];
		memset(&doc->entries[i], 0, sizeof(doc->entries[i]));
	}
	free(known);
	j->parsed = true;
	if (j->n_fresh == 0)
		cycle_matched(c, j);
	else
		pool_submit(c->pool, &j->pj);
}

/*
 * Take the jobs finished so far and move each on.  One batch only: moving
 * a parsed feed on queues its match, and taking those too would keep the
 * loop here for as long as the workers run, starting no transfer until
 * the pool is empty.  Each job that finishes later wakes the loop.
 */
static void
cycle_collect(struct cycle *c)
{
	struct pool_job *l = pool_take_done(c->pool);

	while (l) {
		struct cycle_job *j = (struct cycle_job *)l;

		l = l->next;
		if (j->parsed)
			cycle_matched(c, j);
		else
			cycle_parsed(c, j);
	}
}

/* Drop every job (a reload, a stop): their feeds were not committed. */
static void
cycle_drop_jobs(struct cycle *c)
{
	struct pool_job *l;

	if (!c->pool)
		return;
	l = pool_drain(c->pool);
	while (l) {
		struct cycle_job *j = (struct cycle_job *)l;

		l = l->next;
		if (!j->parsed)
			c->queued_bytes -= j->body_len;
		j->sl->in_flight = false;
		c->in_flight--;
		cycle_job_free(j);
	}
}

/* Send a 200 body to the workers, taking it from res. */
static void
cycle_submit_body(struct cycle *c, struct cycle_slot *sl,
    struct fetch_result *res, const struct store_update *u,
    const struct cycle_feed_report *r)
{
	struct cycle_job *j = xcalloc(1, sizeof(*j));

	j->pj.run = cycle_job_run;
	j->c = c;
	j->sl = sl;
	j->watch = c->su->watch;
	fetch_result_move(&j->res, res);
	j->poll_ms = c->poll_ms;
	j->body_len = j->res.len;
	c->queued_bytes += j->body_len;
	j->u = *u;
	j->r = *r;
	/* Point into the job's copy, not the result's. */
	j->u.etag = j->res.etag;
	j->u.last_modified = j->res.last_modified;
	if (u->permanent_url)
		j->u.permanent_url = j->res.effective_url;
	pool_submit(c->pool, &j->pj);
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

/* The end of one feed's poll, committed or not: report it. */
static void
cycle_finish(struct cycle *c, struct cycle_slot *sl, struct store_update *u,
    struct cycle_feed_report *r)
{
	if (u->permanent_url && r->err == 0)
		r->moved_to = u->permanent_url;
	sl->in_flight = false;
	c->in_flight--;
	cycle_slot_done(c, sl, r);
	cycle_count(c, r);
	if (c->report)
		c->report(r, c->report_ctx);
}

static void
cycle_done(const struct fetch_req *req, struct fetch_result *res,
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
		cycle_submit_body(c, sl, res, &u, &r);
		return;
	}
	cycle_finish(c, sl, &u, &r);
	free((char *)r.errmsg);
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

/* From a worker, lock held: a job is done. */
static void
cycle_wake(void *ctx)
{
	struct cycle *c = ctx;

	fetch_wakeup(c->fetch);
}

/* The workers' working memory, when no worker runs. */
static void
cycle_works_free(struct cycle *c)
{
	size_t i;

	for (i = 0; i < c->n_works; i++) {
		match_work_free(c->works[i]);
		c->works[i] = NULL;
	}
}

static void
cycle_workers_free(struct cycle *c)
{
	cycle_drop_jobs(c);
	pool_free(c->pool);
	c->pool = NULL;
	cycle_works_free(c);
	free(c->works);
	c->works = NULL;
	c->n_works = 0;
}

/* The threads that parse and match for c->su, and their working memory. */
static int
cycle_workers_new(struct cycle *c)
{
	int t = c->su->conf->threads;
	unsigned n = t < 0 ? pool_default_size(CONF_AUTO_THREADS_MAX) :
	    (unsigned)t;

	if (watchset_prepare(c->su->watch) < 0)
		return -ENOMEM;
	parse_init();
	c->pool = pool_new(n, cycle_wake, c);
	/* Each made by its worker when it first matches. */
	c->n_works = (size_t)n + 1;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	c->works = xcalloc(c->n_works, sizeof(*c->works));
	return 0;
}

int
cycle_set_setup(struct cycle *c, const struct setup *su)
{
	size_t i;
	int r;

	/* Nothing of the old setup may be in a worker's hands. */
	cycle_workers_free(c);
	c->queued_bytes = 0;
	c->su = su;
	r = cycle_fetch_new(c);
	if (r < 0)
		return r;
	r = cycle_workers_new(c);
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
	cycle_workers_free(c);
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
	/* Started and ended at once, for cycle_finish(). */
	sl->in_flight = true;
	c->in_flight++;
	cycle_finish(c, sl, &u, &rep);
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

	/* Said once each way, so a slow parse does not flood the log. */
	if ((c->queued_bytes >= CYCLE_QUEUED_BYTES_MAX) != c->queue_full) {
		c->queue_full = !c->queue_full;
		log_debug("cycle", "%zu bytes of bodies wait for the parser: %s",
		    c->queued_bytes, c->queue_full ?
		    "no new transfer until they are fewer" :
		    "under the cap again");
	}
	for (i = 0; i < c->n_slots && c->in_flight < cycle_cap(c) &&
	    c->queued_bytes < CYCLE_QUEUED_BYTES_MAX; i++) {
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

	/* At a cap, the next start waits for a transfer or a job. */
	if (c->in_flight >= cycle_cap(c) ||
	    c->queued_bytes >= CYCLE_QUEUED_BYTES_MAX)
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
	/* An idle daemon is one thread, without the workers' memory. */
	(void)pool_idle(c->pool);
	cycle_works_free(c);
	store_release_memory(c->st);
	/* Idle connections and their buffers go; servers drop them soon. */
	return cycle_fetch_new(c);
}

bool
cycle_busy(const struct cycle *c, int64_t now_ms)
{
	size_t i;

	if (c->in_flight > 0)
		return true;
	/* Due, if perhaps held back by host_delay: polled in this round. */
	for (i = 0; i < c->n_slots; i++)
		if (c->slots[i].next_due_ms <= now_ms)
			return true;
	return false;
}

size_t
cycle_in_flight(const struct cycle *c)
{
	return c->in_flight;
}

unsigned
cycle_threads(const struct cycle *c)
{
	return pool_size(c->pool);
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
	cycle_collect(c);
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
