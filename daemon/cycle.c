/*
 * cycle.c: one poll cycle.  Asks the store for each feed's validators,
 * queues every feed with fetch, and for each finished transfer runs
 * parse -> text -> match on the entries the store has not seen, then
 * writes the outcome in one store transaction.  Logs nothing itself; the
 * caller gets one report per feed.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cycle.h"
#include "fetch.h"
#include "log.h"
#include "match.h"
#include "parse.h"
#include "store.h"
#include "text.h"
#include "url.h"

#define CYCLE_SLICE_MS	500	/* how often a long cycle looks at stop */

struct cycle_ctx {
	const struct setup *su;
	struct store *st;
	cycle_report_fn report;
	void *report_ctx;
	struct cycle_stats stats;
	int store_err;
};

/* Save an outcome without entries (an error or a 304). */
static int
cycle_save_state(struct cycle_ctx *c, struct store_update *u,
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
static void
cycle_process_body(struct cycle_ctx *c, const struct fetch_result *res,
    struct store_update *u, struct cycle_feed_report *r)
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
		(void)cycle_save_state(c, u, r);
		return;
	}
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

static void
cycle_done(const struct fetch_req *req, const struct fetch_result *res,
    void *userctx)
{
	struct cycle_ctx *c = userctx;
	const struct feed *f = req->userdata;
	struct cycle_feed_report r = { .feed = f };
	struct store_update u = {
		.feed_name = f->name,
		.feed_url = f->url,
		.when = now_utc(),
		.status = res->status,
	};
	_cleanup_free_ char *httperr = NULL;

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
		(void)cycle_save_state(c, &u, &r);
	} else if (res->not_modified) {
		r.not_modified = true;
		(void)cycle_save_state(c, &u, &r);
	} else if (res->status >= 400 || (res->status >= 300 &&
	    res->status < 400)) {
		r.err = -EIO;
		r.errmsg = xasprintf("HTTP %ld", res->status);
		u.error = r.errmsg;
		(void)cycle_save_state(c, &u, &r);
	} else {
		u.etag = res->etag;
		u.last_modified = res->last_modified;
		cycle_process_body(c, res, &u, &r);
	}

	c->stats.feeds++;
	if (r.err < 0)
		c->stats.failed++;
	else {
		c->stats.ok++;
		if (r.not_modified)
			c->stats.not_modified++;
	}
	c->stats.new_entries += r.new_entries;
	c->stats.new_hits += r.new_hits;
	if (c->report)
		c->report(&r, c->report_ctx);
	free((char *)r.errmsg);
	free((char *)r.encoding);
	free((char *)r.warning);
}

int
cycle_run(const struct setup *su, struct store *st,
    volatile sig_atomic_t *stop, cycle_report_fn report, void *ctx,
    struct cycle_stats *ret)
{
	const struct config *conf = su->conf;
	struct fetch_opts o = {
		.max_connections = conf->max_connections,
		.max_per_host = conf->max_per_host,
		.timeout_sec = conf->timeout_sec,
		.connect_timeout_sec = conf->connect_timeout_sec,
		.max_body_bytes = conf->max_body_bytes,
		.user_agent = conf->user_agent,
	};
	struct store_feed_state *states = NULL;
	struct cycle_ctx c = {
		.su = su, .st = st, .report = report, .report_ctx = ctx,
	};
	struct fetch *f = NULL;
	size_t i;
	int r;

	r = fetch_new(&o, &f);
	if (r < 0)
		return r;
	states = xcalloc(su->n_feeds, sizeof(*states));
	for (i = 0; i < su->n_feeds; i++) {
		const struct feed *feed = &su->feeds[i];
		struct store_feed_state *s = &states[i];
		struct fetch_req req = {
			.url = feed->url,
			.allow_file = url_is_file(feed->url),
			.userdata = (void *)feed,
		};

		r = store_feed_get(st, feed->name, s);
		if (r < 0)
			goto out;
		/* Validators belong to the URL that gave them. */
		if (s->known) {
			req.etag = s->etag;
			req.last_modified = s->last_modified;
			if (s->current_url && !req.allow_file)
				req.url = s->current_url;
		}
		r = fetch_add(f, &req);
		if (r < 0) {
			struct cycle_feed_report rep = {
				.feed = feed, .err = r,
				.errmsg = xstrdup("URL scheme not allowed"),
			};
			struct store_update u = {
				.feed_name = feed->name, .feed_url = feed->url,
				.when = now_utc(), .error = rep.errmsg,
			};

			(void)cycle_save_state(&c, &u, &rep);
			c.stats.feeds++;
			c.stats.failed++;
			if (report)
				report(&rep, ctx);
			free((char *)rep.errmsg);
		}
	}
	while (fetch_pending(f) > 0 && !(stop && *stop)) {
		r = fetch_run(f, CYCLE_SLICE_MS, cycle_done, &c);
		if (r < 0)
			goto out;
		if (c.store_err < 0) {
			r = c.store_err;
			goto out;
		}
	}
	r = c.store_err;
	if (ret)
		*ret = c.stats;
out:
	fetch_free(f);
	for (i = 0; i < su->n_feeds; i++)
		store_feed_state_done(&states[i]);
	free(states);
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
