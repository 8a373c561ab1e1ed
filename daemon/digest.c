/*
 * digest.c: digests (see digest.h): a period's hits grouped by watchlist,
 * alert and story (story.c), rendered as HTML (inline CSS and SVG, no
 * external resources), Markdown and plain text; the schedule; hits.atom.
 * Must not send anything; reads the store, writes the digest folder.
 *
 * Highlighting: a hit's spans are offsets into the match form of its
 * title or body (text_normalise).  The words they cover are cut from
 * that form (story_matched_words) and found again by substring search in
 * the text shown; a word that is not found is simply not highlighted, so
 * a stale or hostile offset can never cut the text in the wrong place.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "digest.h"
#include "story.h"
#include "url.h"
#include "util.h"

#define DAY_SEC			86400
#define DOC_MAX_BYTES		((size_t)64 * 1024 * 1024)
#define TERMS_MAX		64	/* terms drawn in the chart */

static const char *const format_names[DIGEST_FORMAT_MAX] = {
	[DIGEST_FORMAT_HTML] = "html",
	[DIGEST_FORMAT_MD] = "md",
	[DIGEST_FORMAT_TXT] = "txt",
};

/* Chart colours (the Tableau 10 palette). */
static const char *const colours[] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
};

struct term_count {
	char *name;
	unsigned days[DIGEST_CHART_DAYS];	/* oldest first */
	unsigned total;
};

struct digest {
	int64_t start, end;
	struct store_delivery *hits;		/* watchlist, alert, time */
	size_t n_hits;
	size_t *group;				/* story lead of each hit */
	size_t n_stories;
	struct term_count *terms;
	size_t n_terms;
	struct store_feed_problem *feeds;
	size_t n_feeds;
};

int
digest_format_from_name(const char *name)
{
	int i;

	for (i = 0; i < DIGEST_FORMAT_MAX; i++)
		if (name && strcmp(name, format_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *
digest_format_name(enum digest_format f)
{
	return f < DIGEST_FORMAT_MAX ? format_names[f] : "?";
}

/* ---- loading ---- */

static int
count_terms(int64_t created, const char *terms_json, void *ctx)
{
	struct digest *dg = ctx;
	int64_t first = dg->end - (int64_t)DIGEST_CHART_DAYS * DAY_SEC;
	char **names = story_json_strv(terms_json);
	size_t day, i, j;

	if (created < first || created >= dg->end) {
		strv_free(names);
		return 0;
	}
	day = (size_t)((created - first) / DAY_SEC);
	for (i = 0; names && names[i]; i++) {
		for (j = 0; j < dg->n_terms; j++)
			if (strcmp(dg->terms[j].name, names[i]) == 0)
				break;
		if (j == dg->n_terms) {
			if (dg->n_terms == TERMS_MAX)
				continue;
			dg->terms = xrealloc(dg->terms,
			    (dg->n_terms + 1) * sizeof(*dg->terms));
			memset(&dg->terms[j], 0, sizeof(dg->terms[j]));
			dg->terms[j].name = xstrdup(names[i]);
			dg->n_terms++;
		}
		dg->terms[j].days[day]++;
		dg->terms[j].total++;
	}
	strv_free(names);
	return 0;
}

static int
cmp_terms(const void *a, const void *b)
{
	const struct term_count *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

static bool
same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Stories within each (watchlist, alert) run of hits. */
static void
group_stories(struct digest *dg)
{
	size_t i, j, k;

	dg->group = xcalloc(dg->n_hits ? dg->n_hits : 1, sizeof(size_t));
	for (i = 0; i < dg->n_hits; i = j) {
		struct story_item *items;
		size_t *g;

		for (j = i + 1; j < dg->n_hits; j++)
			if (!same_str(dg->hits[j].watchlist,
			    dg->hits[i].watchlist) ||
			    !same_str(dg->hits[j].alert, dg->hits[i].alert))
				break;
		items = xcalloc(j - i, sizeof(*items));
		g = xcalloc(j - i, sizeof(*g));
		for (k = i; k < j; k++)
			items[k - i] = (struct story_item){ dg->hits[k].link,
			    dg->hits[k].title, dg->hits[k].published ?
			    dg->hits[k].published : dg->hits[k].created };
		story_group(items, j - i, g);
		for (k = i; k < j; k++) {
			dg->group[k] = i + g[k - i];
			dg->n_stories += dg->group[k] == k;
		}
		free(items);
		free(g);
	}
}

int
digest_build(struct store *st, int64_t start, int64_t end,
    struct digest **ret)
{
	struct digest *dg = xcalloc(1, sizeof(*dg));
	int r;

	dg->start = start;
	dg->end = end;
	r = store_period_hits(st, start, end, DIGEST_MAX_HITS, &dg->hits,
	    &dg->n_hits);
	if (r == 0)
		r = store_hit_terms(st, end - (int64_t)DIGEST_CHART_DAYS *
		    DAY_SEC, end, count_terms, dg);
	if (r == 0)
		r = store_feed_problems(st, &dg->feeds, &dg->n_feeds);
	if (r < 0) {
		digest_free(dg);
		return r;
	}
	if (dg->n_terms > 1)
		qsort(dg->terms, dg->n_terms, sizeof(*dg->terms), cmp_terms);
	group_stories(dg);
	*ret = dg;
	return 0;
}

void
digest_free(struct digest *dg)
{
	size_t i;

	if (!dg)
		return;
	store_deliveries_free(dg->hits, dg->n_hits);
	free(dg->group);
	for (i = 0; i < dg->n_terms; i++)
		free(dg->terms[i].name);
	free(dg->terms);
	store_feed_problems_free(dg->feeds, dg->n_feeds);
	free(dg);
}

size_t
digest_n_hits(const struct digest *dg)
{
	return dg->n_hits;
}

size_t
digest_n_stories(const struct digest *dg)
{
	return dg->n_stories;
}

/* ---- escaping ---- */

/* Feed text on one line: control characters (CR and LF too) -> space. */
static char *
one_line(const char *s)
{
	char *t = xstrdup(s ? s : "");
	unsigned char *p;

	for (p = (unsigned char *)t; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return t;
}

static void
esc_html(struct buf *b, const char *s, size_t n)
{
	story_escape_markup(b, s, n);
}

/* Markdown: every ASCII punctuation character backslash-escaped. */
static void
esc_md(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strchr("\\`*_{}[]()<>#+-.!|~&\"", s[i]) &&
		    s[i] != '\0')
			(void)buf_addc(b, '\\');
		(void)buf_addc(b, s[i]);
	}
}

static void
esc_none(struct buf *b, const char *s, size_t n)
{
	(void)buf_add(b, s, n);
}

/* XML text: escaped, characters XML 1.0 forbids dropped. */
static void
esc_xml(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && c != '\t' && c != '\n')
			(void)buf_addc(b, ' ');	/* CR too: parsers drop it */
		else
			story_escape_markup(b, s + i, 1);
	}
}

/* A link a digest may show as a link: http(s), no spaces or quotes. */
static bool
link_ok(const char *link)
{
	return link && url_is_http(link) && !strpbrk(link, " \t\r\n<>\\`");
}

static char *
local_time(int64_t t, char out[48])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) ||
	    strftime(out, 48, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		(void)snprintf(out, 48, "%lld", (long long)t);
	return out;
}

static char *
day_label(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, 16, "%m-%d", &tm) == 0)
		out[0] = '\0';
	return out;
}

/* ---- rendering ---- */

struct style {
	enum digest_format f;
	void (*esc)(struct buf *, const char *, size_t);
	const char *mark_open, *mark_close;
};

static void
add_esc(struct buf *b, const struct style *s, const char *text)
{
	_cleanup_free_ char *t = one_line(text);

	s->esc(b, t, strlen(t));
}

static void
add_emph(struct buf *b, const struct style *s, const char *text,
    char *const *words)
{
	_cleanup_free_ char *t = one_line(text);

	story_emphasise(b, t, words, s->mark_open, s->mark_close, s->esc);
}

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, "
	"initial-scale=1\">\n"
	"<meta name=\"generator\" content=\"reewatch\">\n";
static const char css_body[] =
	"font-family: -apple-system, 'Segoe UI', Helvetica, Arial, "
	"sans-serif; color: #1d2329; background: #ffffff; margin: 0 auto; "
	"padding: 16px; max-width: 860px; line-height: 1.45;";
static const char css_h2[] =
	"font-size: 20px; border-bottom: 2px solid #4e79a7; "
	"padding-bottom: 4px; margin-top: 28px;";
static const char css_h3[] =
	"font-size: 16px; color: #4e79a7; margin: 18px 0 6px 0;";
static const char css_story[] =
	"margin: 0 0 14px 0; padding: 8px 10px; border-left: 4px solid "
	"#dfe3e8; background: #f7f9fa;";
static const char css_meta[] = "font-size: 13px; color: #5b6670;";
static const char css_cell[] =
	"border-bottom: 1px solid #dfe3e8; padding: 4px 8px; "
	"text-align: left; vertical-align: top; font-size: 13px;";

static void
chart_svg(struct buf *b, const struct digest *dg)
{
	const int w = 640, h = 220, left = 40, right = 12, top = 12,
	    bottom = 28;
	const int pw = w - left - right, ph = h - top - bottom;
	int64_t first = dg->end - (int64_t)DIGEST_CHART_DAYS * DAY_SEC;
	unsigned max = 1;
	char l1[16], l2[16];
	size_t i, d, n = dg->n_terms < ELEMENTSOF(colours) ?
	    dg->n_terms : ELEMENTSOF(colours);

	for (i = 0; i < n; i++)
		for (d = 0; d < DIGEST_CHART_DAYS; d++)
			if (dg->terms[i].days[d] > max)
				max = dg->terms[i].days[d];
	(void)buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"Mentions per term per day\" class=\"chart\" "
	    "style=\"max-width: 100%%; height: auto;\">\n"
	    "<title>Mentions per term per day, last %d days</title>\n"
	    "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
	    "fill=\"#ffffff\"/>\n", w, h, w, h, DIGEST_CHART_DAYS, w, h);
	/* axes and the scale */
	(void)buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#5b6670\"/>\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
	    "y2=\"%d\" stroke=\"#5b6670\"/>\n", left, top, left, top + ph,
	    left, top + ph, left + pw, top + ph);
	(void)buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#dfe3e8\" stroke-dasharray=\"3,3\"/>\n", left, top,
	    left + pw, top);
	(void)buf_printf(b, "<g font-family=\"Helvetica, Arial, sans-serif\" "
	    "font-size=\"11\" fill=\"#5b6670\">\n"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%u</text>\n"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n"
	    "<text x=\"%d\" y=\"%d\">%s</text>\n"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n</g>\n",
	    left - 4, top + 10, max, left - 4, top + ph, left, h - 8,
	    day_label(first, l1), left + pw, h - 8,
	    day_label(dg->end - DAY_SEC, l2));
	for (i = 0; i < n; i++) {
		(void)buf_printf(b, "<polyline class=\"term\" fill=\"none\" "
		    "stroke=\"%s\" stroke-width=\"2\" points=\"", colours[i]);
		for (d = 0; d < DIGEST_CHART_DAYS; d++)
			(void)buf_printf(b, "%s%d,%d", d ? " " : "",
			    left + (int)(d * (size_t)pw /
			    (DIGEST_CHART_DAYS - 1)), top + ph -
			    (int)(dg->terms[i].days[d] * (unsigned)ph / max));
		(void)buf_adds(b, "\"><title>");
		esc_html(b, dg->terms[i].name, strlen(dg->terms[i].name));
		(void)buf_printf(b, ": %u</title></polyline>\n",
		    dg->terms[i].total);
		for (d = 0; d < DIGEST_CHART_DAYS; d++)
			if (dg->terms[i].days[d] > 0)
				(void)buf_printf(b, "<circle cx=\"%d\" "
				    "cy=\"%d\" r=\"3\" fill=\"%s\"/>\n",
				    left + (int)(d * (size_t)pw /
				    (DIGEST_CHART_DAYS - 1)), top + ph -
				    (int)(dg->terms[i].days[d] * (unsigned)ph /
				    max), colours[i]);
	}
	(void)buf_adds(b, "</svg>\n");
	/* the legend, as HTML text */
	(void)buf_printf(b, "<p style=\"%s\">", css_meta);
	for (i = 0; i < n; i++) {
		(void)buf_printf(b, "<span style=\"display: inline-block; "
		    "margin-right: 14px;\"><span style=\"display: "
		    "inline-block; width: 10px; height: 10px; background: %s;"
		    "\"></span> ", colours[i]);
		esc_html(b, dg->terms[i].name, strlen(dg->terms[i].name));
		(void)buf_printf(b, " (%u)</span>", dg->terms[i].total);
	}
	if (dg->n_terms > n)
		(void)buf_printf(b, "and %zu more terms", dg->n_terms - n);
	(void)buf_adds(b, "</p>\n");
}

/* Unicode block sparkline of one term's days. */
static void
sparkline(struct buf *b, const struct term_count *t)
{
	static const char *const blocks[] = { "▁", "▂", "▃", "▄", "▅", "▆",
	    "▇", "█" };
	unsigned max = 1;
	size_t d;

	for (d = 0; d < DIGEST_CHART_DAYS; d++)
		if (t->days[d] > max)
			max = t->days[d];
	for (d = 0; d < DIGEST_CHART_DAYS; d++)
		(void)buf_adds(b, t->days[d] == 0 ? "·" :
		    blocks[(t->days[d] * 7 + max - 1) / max]);
}

/* One story: the lead hit i and its sources. */
static void
render_story(struct buf *b, const struct style *s, const struct digest *dg,
    size_t i)
{
	const struct store_delivery *h = &dg->hits[i];
	char **words = story_matched_words(h->title, h->summary, h->content,
	    h->spans_json);
	char **terms = story_json_strv(h->terms_json);
	const char *title = h->title && *h->title ? h->title : "(no title)";
	char ts[48];
	size_t j, k;

	if (s->f == DIGEST_FORMAT_HTML) {
		(void)buf_printf(b, "<div class=\"story\" style=\"%s\">\n"
		    "<div style=\"font-weight: bold; font-size: 15px;\">",
		    css_story);
		if (link_ok(h->link)) {
			(void)buf_adds(b, "<a href=\"");
			esc_html(b, h->link, strlen(h->link));
			(void)buf_adds(b, "\" style=\"color: #1d4f91;\">");
		}
		add_emph(b, s, title, words);
		if (link_ok(h->link))
			(void)buf_adds(b, "</a>");
		(void)buf_adds(b, "</div>\n");
		if (h->snippet && *h->snippet) {
			(void)buf_adds(b, "<div class=\"snippet\" "
			    "style=\"margin: 4px 0;\">");
			add_emph(b, s, h->snippet, words);
			(void)buf_adds(b, "</div>\n");
		}
		(void)buf_printf(b, "<div class=\"sources\" style=\"%s\">"
		    "Sources: ", css_meta);
	} else if (s->f == DIGEST_FORMAT_MD) {
		(void)buf_adds(b, "- ");
		if (link_ok(h->link)) {
			(void)buf_adds(b, "[");
			add_emph(b, s, title, words);
			(void)buf_adds(b, "](<");
			(void)buf_adds(b, h->link);
			(void)buf_adds(b, ">)");
		} else
			add_emph(b, s, title, words);
		(void)buf_adds(b, "  \n");
		if (h->snippet && *h->snippet) {
			(void)buf_adds(b, "  ");
			add_emph(b, s, h->snippet, words);
			(void)buf_adds(b, "  \n");
		}
		(void)buf_adds(b, "  Sources: ");
	} else {
		(void)buf_adds(b, "* ");
		add_emph(b, s, title, words);
		(void)buf_adds(b, "\n");
		if (link_ok(h->link))
			(void)buf_printf(b, "  %s\n", h->link);
		if (h->snippet && *h->snippet) {
			(void)buf_adds(b, "  ");
			add_emph(b, s, h->snippet, words);
			(void)buf_adds(b, "\n");
		}
		(void)buf_adds(b, "  Sources: ");
	}
	/* every source: feed, time, its own link */
	for (j = i, k = 0; j < dg->n_hits; j++) {
		const struct store_delivery *x = &dg->hits[j];

		if (dg->group[j] != i)
			continue;
		if (k++)
			(void)buf_adds(b, s->f == DIGEST_FORMAT_HTML ?
			    " &middot; " : "; ");
		if (s->f == DIGEST_FORMAT_HTML && link_ok(x->link)) {
			(void)buf_adds(b, "<a href=\"");
			esc_html(b, x->link, strlen(x->link));
			(void)buf_adds(b, "\" style=\"color: #1d4f91;\">");
			add_esc(b, s, x->feed);
			(void)buf_adds(b, "</a>");
		} else if (s->f == DIGEST_FORMAT_MD && link_ok(x->link)) {
			(void)buf_adds(b, "[");
			add_esc(b, s, x->feed);
			(void)buf_printf(b, "](<%s>)", x->link);
		} else
			add_esc(b, s, x->feed);
		(void)buf_adds(b, " (");
		add_esc(b, s, local_time(x->published ? x->published :
		    x->created, ts));
		(void)buf_adds(b, ")");
	}
	if (s->f == DIGEST_FORMAT_HTML)
		(void)buf_printf(b, "</div>\n<div style=\"%s\">", css_meta);
	else
		(void)buf_adds(b, s->f == DIGEST_FORMAT_MD ? "  \n  " :
		    "\n  ");
	(void)buf_adds(b, "Terms: ");
	for (j = 0; terms && terms[j]; j++) {
		if (j)
			(void)buf_adds(b, ", ");
		add_esc(b, s, terms[j]);
	}
	(void)buf_printf(b, "; score %d", h->score);
	if (s->f == DIGEST_FORMAT_HTML)
		(void)buf_adds(b, "</div>\n</div>\n");
	else
		(void)buf_adds(b, "\n\n");
	strv_free(words);
	strv_free(terms);
}

/* A heading: prefix and text; text is feed text (escaped) unless
 * n_stories is (size_t)-1 (our own words). */
static void
render_heading(struct buf *b, const struct style *s, int level,
    const char *prefix, const char *text, size_t n_stories)
{
	if (s->f == DIGEST_FORMAT_HTML)
		(void)buf_printf(b, "<h%d style=\"%s\">%s", level,
		    level == 2 ? css_h2 : css_h3, prefix);
	else if (s->f == DIGEST_FORMAT_MD)
		(void)buf_printf(b, "%s %s", level == 2 ? "##" : "###",
		    prefix);
	else
		(void)buf_printf(b, "%s %s", level == 2 ? "==" : "--", prefix);
	if (n_stories == (size_t)-1)
		(void)buf_adds(b, text);
	else
		add_esc(b, s, text);
	if (n_stories && n_stories != (size_t)-1)
		(void)buf_printf(b, " (%zu %s)", n_stories,
		    n_stories == 1 ? "story" : "stories");
	if (s->f == DIGEST_FORMAT_HTML)
		(void)buf_printf(b, "</h%d>\n", level);
	else if (s->f == DIGEST_FORMAT_MD)
		(void)buf_adds(b, "\n\n");
	else
		(void)buf_printf(b, " %s\n\n", level == 2 ? "==" : "--");
}

static void
render_health(struct buf *b, const struct style *s, const struct digest *dg)
{
	char ts[48];
	size_t i;

	if (dg->n_feeds == 0) {
		(void)buf_adds(b, s->f == DIGEST_FORMAT_HTML ?
		    "<p>Every feed fetched fine on its last attempt.</p>\n" :
		    "Every feed fetched fine on its last attempt.\n\n");
		return;
	}
	if (s->f == DIGEST_FORMAT_HTML)
		(void)buf_printf(b, "<table class=\"health\" style=\""
		    "border-collapse: collapse; width: 100%%;\">\n<tr>"
		    "<th style=\"%s\">Feed</th><th style=\"%s\">Failures</th>"
		    "<th style=\"%s\">Last error</th><th style=\"%s\">"
		    "Last success</th></tr>\n", css_cell, css_cell, css_cell,
		    css_cell);
	else if (s->f == DIGEST_FORMAT_MD)
		(void)buf_adds(b, "| Feed | Failures | Last error | "
		    "Last success |\n|---|---|---|---|\n");
	for (i = 0; i < dg->n_feeds; i++) {
		const struct store_feed_problem *p = &dg->feeds[i];
		const char *succ = p->last_success ?
		    local_time(p->last_success, ts) : "never";

		if (s->f == DIGEST_FORMAT_HTML) {
			(void)buf_printf(b, "<tr><td style=\"%s\">", css_cell);
			add_esc(b, s, p->name);
			(void)buf_printf(b, "</td><td style=\"%s\">%u</td>"
			    "<td style=\"%s\">", css_cell, p->failures,
			    css_cell);
			add_esc(b, s, p->error ? p->error : "");
			(void)buf_printf(b, "</td><td style=\"%s\">", css_cell);
			add_esc(b, s, succ);
			(void)buf_adds(b, "</td></tr>\n");
		} else if (s->f == DIGEST_FORMAT_MD) {
			(void)buf_adds(b, "| ");
			add_esc(b, s, p->name);
			(void)buf_printf(b, " | %u | ", p->failures);
			add_esc(b, s, p->error ? p->error : "");
			(void)buf_adds(b, " | ");
			add_esc(b, s, succ);
			(void)buf_adds(b, " |\n");
		} else {
			(void)buf_adds(b, "  ");
			add_esc(b, s, p->name);
			(void)buf_printf(b, ": %u failure%s, last success %s"
			    "\n    ", p->failures, p->failures == 1 ? "" : "s",
			    succ);
			add_esc(b, s, p->error ? p->error : "");
			(void)buf_adds(b, "\n");
		}
	}
	(void)buf_adds(b, s->f == DIGEST_FORMAT_HTML ? "</table>\n" : "\n");
}

char *
digest_render(const struct digest *dg, enum digest_format f)
{
	struct style s = { .f = f };
	char t1[48], t2[48], l1[16];
	struct buf b;
	size_t i, j, k, stories;

	switch (f) {
	case DIGEST_FORMAT_HTML:
		s.esc = esc_html;
		s.mark_open = "<mark style=\"background: #ffe066; color: "
		    "#1d2329; padding: 0 1px;\">";
		s.mark_close = "</mark>";
		break;
	case DIGEST_FORMAT_MD:
		s.esc = esc_md;
		s.mark_open = "**";
		s.mark_close = "**";
		break;
	default:
		s.esc = esc_none;
		s.mark_open = "[";
		s.mark_close = "]";
		break;
	}
	buf_init(&b, DOC_MAX_BYTES);
	local_time(dg->start, t1);
	local_time(dg->end, t2);
	if (f == DIGEST_FORMAT_HTML)
		(void)buf_printf(&b, "%s<title>reewatch digest %s – %s</title>"
		    "\n</head>\n<body style=\"%s\">\n<h1 style=\"font-size: "
		    "24px; margin: 0 0 4px 0;\">reewatch digest</h1>\n"
		    "<p class=\"period\" style=\"%s\">%s – %s: %zu hit%s in "
		    "%zu stor%s</p>\n", html_head, t1, t2, css_body, css_meta,
		    t1, t2, dg->n_hits, dg->n_hits == 1 ? "" : "s",
		    dg->n_stories, dg->n_stories == 1 ? "y" : "ies");
	else
		(void)buf_printf(&b, "%sreewatch digest%s\n\n%s – %s: %zu "
		    "hit%s in %zu stor%s\n\n", f == DIGEST_FORMAT_MD ? "# " :
		    "", f == DIGEST_FORMAT_MD ? "" : "\n===============",
		    t1, t2, dg->n_hits, dg->n_hits == 1 ? "" : "s",
		    dg->n_stories, dg->n_stories == 1 ? "y" : "ies");
	if (dg->n_hits == DIGEST_MAX_HITS)
		(void)buf_printf(&b, "(only the first %d hits are shown)\n\n",
		    DIGEST_MAX_HITS);

	/* watchlists, alerts, stories */
	for (i = 0; i < dg->n_hits; i = j) {
		for (j = i; j < dg->n_hits &&
		    same_str(dg->hits[j].watchlist, dg->hits[i].watchlist); j++)
			;
		render_heading(&b, &s, 2, "Watchlist: ", dg->hits[i].watchlist,
		    0);
		for (k = i; k < j;) {
			size_t a = k, m;

			for (stories = 0; k < j && same_str(dg->hits[k].alert,
			    dg->hits[a].alert); k++)
				stories += dg->group[k] == k;
			render_heading(&b, &s, 3, "", dg->hits[a].alert,
			    stories);
			for (m = a; m < k; m++)
				if (dg->group[m] == m)
					render_story(&b, &s, dg, m);
		}
	}
	if (dg->n_hits == 0)
		(void)buf_adds(&b, f == DIGEST_FORMAT_HTML ?
		    "<p>No hits in this period.</p>\n" :
		    "No hits in this period.\n\n");

	/* the chart */
	render_heading(&b, &s, 2, "", "Mentions per term per day, last 30 "
	    "days", (size_t)-1);
	if (f == DIGEST_FORMAT_HTML)
		chart_svg(&b, dg);
	else {
		(void)buf_printf(&b, "From %s, one mark a day (UTC):%s\n",
		    day_label(dg->end -
		    (int64_t)DIGEST_CHART_DAYS * DAY_SEC, l1),
		    f == DIGEST_FORMAT_MD ? "\n" : "");
		for (i = 0; i < dg->n_terms; i++) {
			(void)buf_adds(&b, f == DIGEST_FORMAT_MD ? "- `" :
			    "  ");
			sparkline(&b, &dg->terms[i]);
			(void)buf_adds(&b, f == DIGEST_FORMAT_MD ? "` " : " ");
			add_esc(&b, &s, dg->terms[i].name);
			(void)buf_printf(&b, " (%u)\n", dg->terms[i].total);
		}
		if (dg->n_terms == 0)
			(void)buf_adds(&b, "  no mentions\n");
		(void)buf_adds(&b, "\n");
	}

	render_heading(&b, &s, 2, "", "Feed health", (size_t)-1);
	render_health(&b, &s, dg);
	if (f == DIGEST_FORMAT_HTML)
		(void)buf_printf(&b, "<p style=\"%s\">Made by reewatch. Times "
		    "are local; links are shown only for http and https."
		    "</p>\n</body>\n</html>\n", css_meta);
	return buf_steal(&b);
}

/* Cut s to at most max bytes at a UTF-8 character boundary. */
static void
utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

char *
digest_subject(const struct digest *dg)
{
	const struct store_delivery *top = NULL;
	_cleanup_free_ char *title = NULL;
	char d1[48], d2[48];
	size_t i;

	for (i = 0; i < dg->n_hits; i++)
		if (dg->group[i] == i && (!top || dg->hits[i].score >
		    top->score))
			top = &dg->hits[i];
	if (!top) {
		time_t a = (time_t)dg->start, b = (time_t)dg->end;
		struct tm ta, tb;

		if (!localtime_r(&a, &ta) || !localtime_r(&b, &tb) ||
		    !strftime(d1, sizeof(d1), "%Y-%m-%d %H:%M", &ta) ||
		    !strftime(d2, sizeof(d2), "%Y-%m-%d %H:%M", &tb))
			d1[0] = d2[0] = '\0';
		return xasprintf("reewatch digest: no hits, %s – %s", d1, d2);
	}
	title = one_line(top->title && *top->title ? top->title :
	    "(no title)");
	if (strlen(title) > DIGEST_SUBJECT_MAX) {
		size_t n;

		utf8_cut(title, DIGEST_SUBJECT_MAX);
		n = strlen(title);
		title = xrealloc(title, n + sizeof("…"));
		memcpy(title + n, "…", sizeof("…"));
	}
	return xasprintf("reewatch digest: %zu hit%s in %zu stor%s – %s",
	    dg->n_hits, dg->n_hits == 1 ? "" : "s", dg->n_stories,
	    dg->n_stories == 1 ? "y" : "ies", title);
}

/* ---- files ---- */

char *
digest_folder(const struct config *c)
{
	if (c->digest_folder)
		return xstrdup(c->digest_folder);
	return xasprintf("%s/%s", c->state_dir, DIGEST_DIRNAME);
}

static char *
file_stamp(int64_t t, char out[24])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) ||
	    strftime(out, 24, "%Y%m%d-%H%M%S", &tm) == 0)
		(void)snprintf(out, 24, "%lld", (long long)t);
	return out;
}

int
digest_write(const struct config *c, struct store *st, int64_t start,
    int64_t end, int64_t now, unsigned mail, char **ret_files,
    size_t *ret_n_hits, char errbuf[ERRMSG_MAX])
{
	static char *const all[] = { (char *)"html", (char *)"md",
	    (char *)"txt", NULL };
	char *const *formats = c->digest_formats && c->digest_formats[0] ?
	    c->digest_formats : all;
	_cleanup_free_ char *folder = digest_folder(c);
	struct digest *dg = NULL;
	char s1[24], s2[24];
	struct buf files;
	size_t i;
	int r;

	r = digest_build(st, start, end, &dg);
	if (r < 0) {
		(void)snprintf(errbuf, ERRMSG_MAX, "reading the store: %s",
		    store_errmsg(st)[0] ? store_errmsg(st) : strerror(-r));
		return r;
	}
	r = mkdir_p(folder, 0750);
	if (r < 0) {
		(void)snprintf(errbuf, ERRMSG_MAX, "%s: %s", folder,
		    strerror(-r));
		digest_free(dg);
		return r;
	}
	buf_init(&files, 0);
	for (i = 0; r == 0 && formats[i]; i++) {
		int f = digest_format_from_name(formats[i]);
		_cleanup_free_ char *doc = NULL, *path = NULL;

		if (f < 0)
			continue;
		doc = digest_render(dg, (enum digest_format)f);
		path = xasprintf("%s/digest-%s--%s.%s", folder,
		    file_stamp(start, s1), file_stamp(end, s2), formats[i]);
		r = write_file_atomic(path, doc, strlen(doc));
		if (r < 0)
			(void)snprintf(errbuf, ERRMSG_MAX, "%s: %s", path,
			    strerror(-r));
		else
			(void)buf_printf(&files, "%s%s", files.len ? "\n" : "",
			    path);
	}
	if (r == 0) {
		r = store_digest_add(st, start, end, files.data,
		    (mail & DIGEST_MAIL_EMPTY) || ((mail & DIGEST_MAIL) &&
		    dg->n_hits > 0), now, NULL);
		if (r < 0)
			(void)snprintf(errbuf, ERRMSG_MAX, "recording: %s",
			    store_errmsg(st));
	}
	if (r == 0 && ret_n_hits)
		*ret_n_hits = dg->n_hits;
	if (r == 0 && ret_files)
		*ret_files = buf_steal(&files);
	buf_done(&files);
	digest_free(dg);
	return r;
}

/* ---- periods and the schedule ---- */

/* Local time hh:mm, day_delta days from base's day. */
static int64_t
local_at(const struct tm *base, int day_delta, int hh, int mm)
{
	struct tm tm = *base;

	tm.tm_mday += day_delta;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int
digest_period(const char *name, int64_t now, int64_t *ret_start,
    int64_t *ret_end)
{
	time_t t = (time_t)now;
	struct tm tm;

	if (!name || strcmp(name, "24h") == 0) {
		*ret_start = now - DAY_SEC;
		*ret_end = now;
	} else if (strcmp(name, "7d") == 0) {
		*ret_start = now - (int64_t)7 * DAY_SEC;
		*ret_end = now;
	} else if (strcmp(name, "yesterday") == 0) {
		if (!localtime_r(&t, &tm))
			return -EINVAL;
		*ret_start = local_at(&tm, -1, 0, 0);
		*ret_end = local_at(&tm, 0, 0, 0);
	} else
		return -EINVAL;
	return 0;
}

int
digest_weekday(const char *day)
{
	static const char *const names[] = { "sunday", "monday", "tuesday",
	    "wednesday", "thursday", "friday", "saturday" };
	size_t n = day ? strlen(day) : 0;
	int i;

	for (i = 0; n >= 3 && i < 7; i++)
		if (n <= strlen(names[i]) && strncasecmp(day, names[i], n) == 0)
			return i;
	return -1;
}

int
digest_schedule(const char *schedule, int64_t now, int64_t *ret_start,
    int64_t *ret_end, int64_t *ret_next)
{
	time_t t = (time_t)now;
	unsigned hh = 0, mm = 0;
	char day[16];
	int pos = 0, wday, back;
	int64_t b;
	struct tm tm;

	if (!schedule || !localtime_r(&t, &tm))
		return -EINVAL;
	if (strcmp(schedule, "hourly") == 0) {
		tm.tm_min = 0;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		b = (int64_t)mktime(&tm);
		if (b > now)		/* a DST oddity: go by the clock */
			b = now - now % 3600;
		*ret_start = b - 3600;
		*ret_end = b;
		*ret_next = b + 3600;
		return 0;
	}
	if (sscanf(schedule, "daily %2u:%2u%n", &hh, &mm, &pos) == 2 &&
	    schedule[pos] == '\0' && hh < 24 && mm < 60) {
		int d = local_at(&tm, 0, (int)hh, (int)mm) > now ? -1 : 0;

		*ret_start = local_at(&tm, d - 1, (int)hh, (int)mm);
		*ret_end = local_at(&tm, d, (int)hh, (int)mm);
		*ret_next = local_at(&tm, d + 1, (int)hh, (int)mm);
		return 0;
	}
	if (sscanf(schedule, "weekly %15s %2u:%2u%n", day, &hh, &mm,
	    &pos) == 3 && schedule[pos] == '\0' && hh < 24 && mm < 60 &&
	    (wday = digest_weekday(day)) >= 0) {
		back = -((tm.tm_wday - wday + 7) % 7);
		if (local_at(&tm, back, (int)hh, (int)mm) > now)
			back -= 7;
		*ret_start = local_at(&tm, back - 7, (int)hh, (int)mm);
		*ret_end = local_at(&tm, back, (int)hh, (int)mm);
		*ret_next = local_at(&tm, back + 7, (int)hh, (int)mm);
		return 0;
	}
	return -EINVAL;
}

/* ---- Atom ---- */

struct atom_ctx {
	struct buf *b;
	size_t n, max;
};

static void
atom_text(struct buf *b, const char *tag, const char *text)
{
	(void)buf_printf(b, "<%s type=\"text\">", tag);
	esc_xml(b, text ? text : "", text ? strlen(text) : 0);
	(void)buf_printf(b, "</%s>\n", tag);
}

static int
atom_entry(const struct store_hit_row *h, void *ctx)
{
	struct atom_ctx *x = ctx;
	struct buf *b = x->b;
	_cleanup_free_ char *title = NULL, *terms = NULL;
	char **tv = story_json_strv(h->terms_json);
	char ts[RFC3339_MAX];
	size_t i;

	if (x->n++ >= x->max) {
		strv_free(tv);
		return -ECANCELED;
	}
	{
		_cleanup_free_ char *t = one_line(h->title && *h->title ?
		    h->title : "(no title)");

		title = xasprintf("%s: %s", h->alert ? h->alert : "hit", t);
	}
	(void)buf_printf(b, "<entry>\n<id>tag:reewatch.invalid,2024:hit-%lld"
	    "</id>\n", (long long)h->hit_id);
	atom_text(b, "title", title);
	if (link_ok(h->link)) {
		(void)buf_adds(b, "<link rel=\"alternate\" href=\"");
		esc_xml(b, h->link, strlen(h->link));
		(void)buf_adds(b, "\"/>\n");
	}
	(void)buf_printf(b, "<updated>%s</updated>\n",
	    format_rfc3339(h->created, ts));
	if (h->published)
		(void)buf_printf(b, "<published>%s</published>\n",
		    format_rfc3339(h->published, ts));
	(void)buf_adds(b, "<author><name>");
	esc_xml(b, h->feed ? h->feed : "", h->feed ? strlen(h->feed) : 0);
	(void)buf_adds(b, "</name></author>\n<category term=\"");
	esc_xml(b, h->alert ? h->alert : "", h->alert ? strlen(h->alert) : 0);
	(void)buf_adds(b, "\"/>\n");
	{
		struct buf t;

		buf_init(&t, 0);
		for (i = 0; tv && tv[i]; i++)
			(void)buf_printf(&t, "%s%s", i ? ", " : "", tv[i]);
		terms = buf_steal(&t);
	}
	{
		_cleanup_free_ char *sum = xasprintf("%s\n\nWatchlist %s, "
		    "terms: %s; score %d; from %s.", h->snippet ? h->snippet :
		    "", h->watchlist ? h->watchlist : "", terms, h->score,
		    h->feed ? h->feed : "");

		atom_text(b, "summary", sum);
	}
	(void)buf_adds(b, "</entry>\n");
	strv_free(tv);
	return 0;
}

int
digest_atom(struct store *st, size_t max, int64_t now, char **ret)
{
	struct buf b;
	struct atom_ctx x = { .b = &b, .max = max };
	char ts[RFC3339_MAX];
	int r;

	buf_init(&b, DOC_MAX_BYTES);
	(void)buf_printf(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
	    "<id>tag:reewatch.invalid,2024:hits</id>\n"
	    "<title type=\"text\">reewatch hits</title>\n"
	    "<subtitle type=\"text\">The newest hits of reewatch's watchlists"
	    "</subtitle>\n<updated>%s</updated>\n"
	    "<author><name>reewatch</name></author>\n"
	    "<generator>reewatch</generator>\n", format_rfc3339(now, ts));
	r = store_hits_list(st, 0, atom_entry, &x);
	if (r < 0 && r != -ECANCELED) {
		buf_done(&b);
		return r;
	}
	(void)buf_adds(&b, "</feed>\n");
	*ret = buf_steal(&b);
	return 0;
}
