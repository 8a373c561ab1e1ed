/*
 * deliver.c: the outbox drainer and digest scheduler (see deliver.h).
 * Groups due deliveries by story (story.h), shows them through notify.c
 * at most rate_limit a minute (the rest folded into one "N more hits"),
 * writes and mails digests (digest.c, mail.c), keeps hits.atom.  Must not
 * call the fetch or match stages; touches the store, the state folder,
 * D-Bus and SMTP.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "deliver.h"
#include "digest.h"
#include "log.h"
#include "mail.h"
#include "notify.h"
#include "story.h"
#include "util.h"

#define CHANNEL_DESKTOP		"desktop"
#define RATE_WINDOW_SEC		60
#define SCORE_CRITICAL		5
#define BODY_MAX_BYTES		((size_t)8 * 1024)

struct deliver {
	const struct setup *su;
	int64_t *shown;			/* times of recent notifications */
	size_t n_shown;
	int64_t atom_hit_id;		/* the newest hit in hits.atom */
	bool desktop_waiting;		/* logged once per outage */
	bool mail_waiting;
	bool atom_failing;
	int64_t digest_retry_at;	/* a digest that could not be written */
	struct deliver_stats stats;
};

int64_t
deliver_backoff(unsigned attempts)
{
	int64_t t = DELIVER_RETRY_MIN_SEC;

	while (attempts-- > 0 && t < DELIVER_RETRY_MAX_SEC)
		t *= 2;
	return t < DELIVER_RETRY_MAX_SEC ? t : DELIVER_RETRY_MAX_SEC;
}

int
deliver_new(const struct setup *su, struct deliver **ret)
{
	struct deliver *d;

	if (!su || !su->conf)
		return -EINVAL;
	d = xcalloc(1, sizeof(*d));
	d->su = su;
	d->atom_hit_id = -1;
	*ret = d;
	return 0;
}

void
deliver_free(struct deliver *d)
{
	if (!d)
		return;
	notify_close();
	free(d->shown);
	free(d);
}

const struct deliver_stats *
deliver_stats(const struct deliver *d)
{
	return &d->stats;
}

static void
next_min(int64_t *next, int64_t t)
{
	if (t > 0 && (*next == 0 || t < *next))
		*next = t;
}

/* Notifications shown in the last minute (old times dropped). */
static size_t
rate_used(struct deliver *d, int64_t now)
{
	size_t i, j = 0;

	for (i = 0; i < d->n_shown; i++)
		if (d->shown[i] > now - RATE_WINDOW_SEC)
			d->shown[j++] = d->shown[i];
	d->n_shown = j;
	return j;
}

static void
rate_add(struct deliver *d, int64_t now)
{
	d->shown = xrealloc(d->shown, (d->n_shown + 1) * sizeof(*d->shown));
	d->shown[d->n_shown++] = now;
}

/* One story's notification: the first hit, every source. */
static void
compose(const struct store_delivery *v, const size_t *group, size_t n,
    size_t lead, struct buf *summary, struct buf *body, struct buf *markup)
{
	const struct store_delivery *h = &v[lead];
	char **words = story_matched_words(h->title, h->summary, h->content,
	    h->spans_json);
	unsigned sources = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sources += group[i] == lead;
	(void)buf_printf(summary, "%s: %s", h->alert ? h->alert : "hit",
	    h->feed ? h->feed : "");
	if (sources > 1)
		(void)buf_printf(summary, " +%u", sources - 1);
	(void)buf_adds(body, h->title && *h->title ? h->title : "(no title)");
	(void)buf_adds(markup, "<b>");
	story_emphasise(markup, h->title && *h->title ? h->title :
	    "(no title)", words, "<i>", "</i>", story_escape_markup);
	(void)buf_adds(markup, "</b>");
	if (h->snippet && *h->snippet) {
		(void)buf_printf(body, "\n%s", h->snippet);
		(void)buf_adds(markup, "\n");
		story_emphasise(markup, h->snippet, words, "<b>", "</b>",
		    story_escape_markup);
	}
	if (sources > 1) {
		const char *sep = " ";

		(void)buf_adds(body, "\nSources:");
		(void)buf_adds(markup, "\nSources:");
		for (i = 0; i < n; i++) {
			if (group[i] != lead)
				continue;
			(void)buf_printf(body, "%s%s", sep, v[i].feed);
			(void)buf_adds(markup, sep);
			story_escape_markup(markup, v[i].feed,
			    strlen(v[i].feed));
			sep = ", ";
		}
	}
	strv_free(words);
}

/* Mark every delivery of a story done (or retried). */
static int
mark_group(struct store *st, const struct store_delivery *v,
    const size_t *group, size_t n, size_t lead, int64_t now,
    const char *error, const char *note)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < n; i++) {
		if (group[i] != lead)
			continue;
		if (error)
			r = store_delivery_retry(st, v[i].id,
			    now + deliver_backoff(v[i].attempts), error);
		else
			r = store_delivery_done(st, v[i].id, now, note);
	}
	return r;
}

static int
show(const char *summary, const char *body, const char *markup,
    const char *link, enum notify_prio prio, char errbuf[ERRMSG_MAX])
{
	struct notify_msg m = {
		.summary = summary,
		.body = body,
		.body_markup = markup,
		.link = link,
		.prio = prio,
		.category = "im.received",
		.icon = "dialog-information",
	};

	return notify_show(&m, errbuf);
}

/*
 * The desktop channel.  Due deliveries plus those done in the last 48 h
 * are grouped by story: a story told already is skipped; each new one is
 * one notification, within the rate limit.
 */
static int
run_desktop(struct deliver *d, struct store *st, int64_t now, int64_t *next)
{
	const struct config *c = d->su->conf;
	struct store_delivery *due = NULL, *old = NULL, *v = NULL;
	size_t n_due = 0, n_old = 0, n, i, j, used, room, stories = 0;
	_cleanup_free_ size_t *group = NULL;
	_cleanup_free_ struct story_item *items = NULL;
	char errbuf[ERRMSG_MAX] = "";
	unsigned fold = 0;
	int r;

	r = store_deliveries_due(st, CHANNEL_DESKTOP, now, DELIVER_BATCH_MAX,
	    &due, &n_due);
	if (r < 0 || n_due == 0)
		return r;
	if (n_due == DELIVER_BATCH_MAX)
		next_min(next, now + 1);	/* more than one batch */
	if (!c->notify_desktop) {
		for (i = 0; r == 0 && i < n_due; i++)
			r = store_delivery_done(st, due[i].id, now,
			    "skipped: [notify] desktop = no");
		d->stats.skipped += (unsigned)n_due;
		store_deliveries_free(due, n_due);
		return r;
	}
	r = notify_open(errbuf);
	if (r < 0) {
		for (i = 0; i < n_due; i++) {
			int64_t t = now + deliver_backoff(due[i].attempts);

			if (store_delivery_retry(st, due[i].id, t, errbuf) < 0)
				break;
			next_min(next, t);
		}
		if (!d->desktop_waiting)
			log_warn("desktop notifications wait: %s (%zu pending, "
			    "retrying)", errbuf, n_due);
		d->desktop_waiting = true;
		d->stats.waiting += (unsigned)n_due;
		(void)snprintf(d->stats.desktop_error, ERRMSG_MAX, "%s",
		    errbuf);
		store_deliveries_free(due, n_due);
		return 0;
	}
	if (d->desktop_waiting)
		log_info("desktop notifications: %s reachable again",
		    notify_server());
	d->desktop_waiting = false;
	d->stats.desktop_error[0] = '\0';

	r = store_deliveries_recent(st, CHANNEL_DESKTOP,
	    now - STORY_TITLE_WINDOW_SEC, DELIVER_BATCH_MAX, &old, &n_old);
	if (r < 0)
		goto out;
	/* v = old (already told) then due; group by story over both */
	n = n_old + n_due;
	v = xcalloc(n, sizeof(*v));
	if (n_old)
		memcpy(v, old, n_old * sizeof(*v));
	memcpy(v + n_old, due, n_due * sizeof(*v));
	items = xcalloc(n, sizeof(*items));
	group = xcalloc(n, sizeof(*group));
	for (i = 0; i < n; i++)
		items[i] = (struct story_item){ v[i].link, v[i].title,
		    v[i].published ? v[i].published : v[i].created };
	story_group(items, n, group);

	for (i = n_old; r == 0 && i < n; i++) {
		if (group[i] < n_old) {
			r = store_delivery_done(st, v[i].id, now,
			    "same story as an earlier notification");
			d->stats.skipped++;
		} else if (v[i].score < c->notify_min_score) {
			/* the story's lead decides; a low one stays quiet */
			if (group[i] == i) {
				r = mark_group(st, v, group, n, i, now, NULL,
				    "skipped: score below min_score");
				for (j = i; j < n; j++)
					d->stats.skipped += group[j] == i;
			}
		} else if (group[i] == i)
			stories++;
	}
	used = rate_used(d, now);
	room = c->notify_rate_limit > used ? c->notify_rate_limit - used : 0;
	for (i = n_old; r == 0 && i < n; i++) {
		_cleanup_free_ char *s = NULL, *b = NULL, *m = NULL;
		struct buf sb, bb, mb;

		if (group[i] != i || v[i].score < c->notify_min_score)
			continue;
		if (room == 0) {
			/* no room this minute: wait for the window */
			next_min(next, d->shown[0] + RATE_WINDOW_SEC);
			break;
		}
		if (room == 1 && stories > 1) {
			fold = (unsigned)stories;
			break;
		}
		buf_init(&sb, BODY_MAX_BYTES);
		buf_init(&bb, BODY_MAX_BYTES);
		buf_init(&mb, BODY_MAX_BYTES);
		compose(v, group, n, i, &sb, &bb, &mb);
		s = buf_steal(&sb);
		b = buf_steal(&bb);
		m = buf_steal(&mb);
		r = show(s, b, m, v[i].link, v[i].score >= SCORE_CRITICAL ?
		    NOTIFY_PRIO_CRITICAL : NOTIFY_PRIO_NORMAL, errbuf);
		if (r < 0) {
			log_warn("desktop notification failed: %s (retrying)",
			    errbuf);
			(void)snprintf(d->stats.desktop_error, ERRMSG_MAX,
			    "%s", errbuf);
			r = mark_group(st, v, group, n, i, now, errbuf, NULL);
			d->stats.waiting++;
			next_min(next, now + DELIVER_RETRY_MIN_SEC);
			continue;
		}
		rate_add(d, now);
		room--;
		stories--;
		d->stats.sent++;
		r = mark_group(st, v, group, n, i, now, NULL, NULL);
	}
	if (r == 0 && fold > 0) {
		_cleanup_free_ char *s = xasprintf("%u more hits", fold);
		struct buf bb;

		buf_init(&bb, BODY_MAX_BYTES);
		for (j = i; j < n; j++)
			if (group[j] == j && v[j].score >= c->notify_min_score)
				(void)buf_printf(&bb, "%s%s (%s)",
				    bb.len ? "\n" : "", v[j].title ?
				    v[j].title : "(no title)", v[j].feed);
		r = show(s, bb.data ? bb.data : "", NULL, NULL,
		    NOTIFY_PRIO_LOW, errbuf);
		buf_done(&bb);
		if (r == 0) {
			rate_add(d, now);
			d->stats.folded += fold;
			for (j = i; r == 0 && j < n; j++)
				if (group[j] == j &&
				    v[j].score >= c->notify_min_score)
					r = mark_group(st, v, group, n, j, now,
					    NULL, "folded into 'more hits'");
		} else {
			(void)snprintf(d->stats.desktop_error, ERRMSG_MAX,
			    "%s", errbuf);
			r = 0;
			next_min(next, now + DELIVER_RETRY_MIN_SEC);
		}
	}
	if (notify_pump())
		next_min(next, now + 2);
out:
	free(v);	/* the strings belong to due and old */
	store_deliveries_free(old, n_old);
	store_deliveries_free(due, n_due);
	return r;
}

/* One digest's mail, rendered from the store for its period. */
static int
mail_digest(const struct config *c, struct store *st,
    const struct store_digest *g, int64_t now, char errbuf[ERRMSG_MAX])
{
	_cleanup_free_ char *subject = NULL, *text = NULL, *html = NULL,
	    *key = NULL;
	struct digest *dg = NULL;
	struct mail_msg m;
	int r;

	r = digest_build(st, g->start, g->end, &dg);
	if (r < 0) {
		(void)snprintf(errbuf, ERRMSG_MAX, "reading the store: %s",
		    store_errmsg(st));
		return r;
	}
	subject = digest_subject(dg);
	text = digest_render(dg, DIGEST_FORMAT_TXT);
	html = digest_render(dg, DIGEST_FORMAT_HTML);
	key = xasprintf("digest-%lld-%lld", (long long)g->start,
	    (long long)g->end);
	digest_free(dg);
	m = (struct mail_msg){ .subject = subject, .text = text,
	    .html = html, .date = now, .id_key = key };
	return mail_send(c, &m, errbuf);
}

int
deliver_mail_digests(struct deliver *d, struct store *st, int64_t now,
    bool force)
{
	const struct config *c = d->su->conf;
	struct store_digest *v = NULL;
	char errbuf[ERRMSG_MAX];
	size_t n = 0, i;
	int r;

	r = store_digests_mail_due(st, force ? INT64_MAX : now, &v, &n);
	for (i = 0; r == 0 && i < n; i++) {
		errbuf[0] = '\0';
		if (mail_digest(c, st, &v[i], now, errbuf) == 0) {
			r = store_digest_mailed(st, v[i].id);
			d->stats.mails++;
			if (d->mail_waiting)
				log_info("digest mail: sent again");
			d->mail_waiting = false;
			continue;
		}
		r = store_digest_mail_retry(st, v[i].id, now +
		    deliver_backoff(v[i].attempts), errbuf);
		d->stats.mail_waiting++;
		(void)snprintf(d->stats.mail_error, ERRMSG_MAX, "%s", errbuf);
		if (!d->mail_waiting)
			log_warn("digest mail waits: %s (retrying)", errbuf);
		d->mail_waiting = true;
	}
	store_digests_free(v, n);
	return r;
}

/* The scheduled digest (once per period), then the digest mails due. */
static int
run_digests(struct deliver *d, struct store *st, int64_t now, int64_t *next)
{
	const struct config *c = d->su->conf;
	int64_t start, end, due, n_pending = 0, t = 0;
	char errbuf[ERRMSG_MAX] = "";
	size_t n_hits = 0;
	int r;

	if (c->digest_schedule && digest_schedule(c->digest_schedule, now,
	    &start, &end, &due) == 0) {
		next_min(next, due);
		r = store_digest_find(st, start, end, NULL);
		if (r < 0)
			return r;
		if (r == 0 && now < d->digest_retry_at)
			next_min(next, d->digest_retry_at);
		else if (r == 0) {
			_cleanup_free_ char *files = NULL;

			r = digest_write(c, st, start, end, now,
			    mail_configured(c) ? DIGEST_MAIL : 0, &files,
			    &n_hits, errbuf);
			if (r < 0) {
				log_warn("digest: %s (retrying in %ds)",
				    errbuf, DELIVER_RETRY_MIN_SEC);
				d->digest_retry_at = now +
				    DELIVER_RETRY_MIN_SEC;
				next_min(next, d->digest_retry_at);
			} else {
				d->stats.digests++;
				files[strcspn(files, "\n")] = '\0';
				log_info("digest written: %s (%zu hits)",
				    files, n_hits);
			}
		}
	}
	if (!mail_configured(c))
		return 0;
	r = deliver_mail_digests(d, st, now, false);
	if (r == 0)
		r = store_digest_mail_pending(st, &n_pending, &t);
	if (r == 0 && n_pending > 0)
		next_min(next, t > now ? t : now + DELIVER_RETRY_MIN_SEC);
	return r;
}

/* hits.atom in the state folder, rewritten when new hits arrived. */
static void
run_atom(struct deliver *d, struct store *st, int64_t now, int64_t *next)
{
	_cleanup_free_ char *doc = NULL, *path = NULL;
	int64_t max = 0;
	int r;

	if (store_hits_max_id(st, &max) < 0 || max == d->atom_hit_id)
		return;
	r = digest_atom(st, DELIVER_ATOM_MAX_HITS, now, &doc);
	if (r == 0) {
		path = xasprintf("%s/%s", d->su->conf->state_dir,
		    DELIVER_ATOM_FILENAME);
		r = write_file_atomic(path, doc, strlen(doc));
	}
	if (r < 0) {
		if (!d->atom_failing)
			log_warn("%s: %s (retrying)", DELIVER_ATOM_FILENAME,
			    strerror(-r));
		d->atom_failing = true;
		next_min(next, now + DELIVER_RETRY_MIN_SEC);
		return;
	}
	d->atom_failing = false;
	d->atom_hit_id = max;
}

int
deliver_run(struct deliver *d, struct store *st, int64_t now,
    int64_t *ret_next_due)
{
	int64_t next = 0, n_pending = 0, t = 0;
	int r;

	memset(&d->stats, 0, sizeof(d->stats));
	r = run_desktop(d, st, now, &next);
	if (r == 0)
		r = run_digests(d, st, now, &next);
	if (r == 0)
		run_atom(d, st, now, &next);
	if (r == 0)
		r = store_deliveries_pending(st, &n_pending, &t);
	if (r < 0)
		return r;
	if (n_pending > 0 && t > now)
		next_min(&next, t);
	*ret_next_due = next;
	return 0;
}
