/*
 * story.c: story keys and grouping (see story.h).  A link key drops the
 * scheme difference, "www.", the fragment, tracking parameters, a final
 * slash and an "amp" variant; a title key keeps letters and digits only,
 * lower-cased (Latin, Cyrillic, Greek).  No I/O.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "story.h"
#include "text.h"
#include "url.h"
#include "util.h"

/* Shorter title keys (in bytes) are too generic to join stories. */
#define STORY_TITLE_MIN_BYTES	12

/* Query parameters that never identify a story (prefix match for utm_). */
static const char *const tracking[] = {
	"fbclid", "gclid", "dclid", "yclid", "msclkid", "mc_cid", "mc_eid",
	"igshid", "_ga", "_gl", "ref", "ref_src", "referrer", "cmpid",
	"ocid", "rss", "from", "source", "src", "spm", "feature", "amp",
	"at_medium", "at_campaign", "ito", "smid", "partner",
};

static bool
is_tracking(const char *p, size_t n)
{
	size_t i;

	if (n >= 4 && strncmp(p, "utm_", 4) == 0)
		return true;
	for (i = 0; i < ELEMENTSOF(tracking); i++)
		if (strlen(tracking[i]) == n && strncmp(p, tracking[i], n) == 0)
			return true;
	return false;
}

char *
story_link_key(const char *link)
{
	_cleanup_free_ char *u = NULL;
	const char *p, *host, *path, *q, *end;
	struct buf b;
	size_t n;

	if (!link || !url_is_http(link))
		return NULL;
	u = url_resolve(NULL, link);
	if (!u)
		return NULL;
	p = strstr(u, "://");
	if (!p)
		return NULL;
	host = p + 3;
	buf_init(&b, (size_t)64 * 1024);
	/* host: lower case, no "www.", no default port, no user info */
	path = host + strcspn(host, "/?#");
	p = memchr(host, '@', (size_t)(path - host));
	if (p)
		host = p + 1;
	if (path - host > 4 && strncasecmp(host, "www.", 4) == 0)
		host += 4;
	for (p = host; p < path; p++)
		(void)buf_addc(&b, (char)tolower((unsigned char)*p));
	if (b.data && (endswith(b.data, ":80") ||
	    endswith(b.data, ":443"))) {
		b.len = (size_t)(strrchr(b.data, ':') - b.data);
		b.data[b.len] = '\0';
	}
	/* path: without a final slash, "/amp" or ".amp" */
	end = strpbrk(path, "?#");
	n = end ? (size_t)(end - path) : strlen(path);
	if (n >= 4 && strncmp(path + n - 4, "/amp", 4) == 0)
		n -= 4;
	while (n > 0 && path[n - 1] == '/')
		n--;
	(void)buf_add(&b, path, n);
	/* query: the parameters that are not tracking, in their order */
	if (end && *end == '?') {
		char sep = '?';

		q = end + 1;
		while (*q && *q != '#') {
			size_t len = strcspn(q, "&#");
			size_t klen = strcspn(q, "=&#");

			if (len > 0 && !is_tracking(q, klen)) {
				(void)buf_addc(&b, sep);
				(void)buf_add(&b, q, len);
				sep = '&';
			}
			q += len;
			if (*q == '&')
				q++;
		}
	}
	return buf_steal(&b);
}

/* Decode one UTF-8 sequence (valid input: text_normalise's output). */
static unsigned
utf8_next(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	unsigned c = *p++;

	if (c >= 0xf0 && p[0] && p[1] && p[2]) {
		c = ((c & 0x07) << 18) | ((p[0] & 0x3f) << 12) |
		    ((p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		p += 3;
	} else if (c >= 0xe0 && p[0] && p[1]) {
		c = ((c & 0x0f) << 12) | ((p[0] & 0x3f) << 6) | (p[1] & 0x3f);
		p += 2;
	} else if (c >= 0xc0 && p[0]) {
		c = ((c & 0x1f) << 6) | (p[0] & 0x3f);
		p += 1;
	}
	*pp = p;
	return c;
}

static void
utf8_put(struct buf *b, unsigned c)
{
	char o[4];

	if (c < 0x80) {
		o[0] = (char)c;
		(void)buf_add(b, o, 1);
	} else if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		(void)buf_add(b, o, 2);
	} else if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		(void)buf_add(b, o, 3);
	} else {
		o[0] = (char)(0xf0 | (c >> 18));
		o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[3] = (char)(0x80 | (c & 0x3f));
		(void)buf_add(b, o, 4);
	}
}

/* Lower case for the scripts feeds use most; others as they are. */
static unsigned
fold(unsigned c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c >= 0x391 && c <= 0x3a9)
		return c + 32;
	return c;
}

/* Letters and digits (roughly): ASCII alnum and everything non-ASCII
 * outside the punctuation blocks. */
static bool
is_word(unsigned c)
{
	if (c < 0x80)
		return isalnum((int)c) != 0;
	if (c >= 0x2000 && c <= 0x206f)		/* general punctuation */
		return false;
	if (c >= 0x3000 && c <= 0x303f)		/* CJK punctuation */
		return false;
	if (c >= 0xff00 && c <= 0xff0f)		/* fullwidth punctuation */
		return false;
	if (c == 0xa0 || c == 0xab || c == 0xbb || c == 0xb7)
		return false;
	return true;
}

char *
story_title_key(const char *title)
{
	_cleanup_free_ char *t = NULL;
	const unsigned char *p;
	struct buf b;
	bool space = false;

	if (!title)
		return NULL;
	t = text_normalise(title, strlen(title));
	if (!t)
		return NULL;
	buf_init(&b, (size_t)64 * 1024);
	for (p = (const unsigned char *)t; *p;) {
		unsigned c = utf8_next(&p);

		if (!is_word(c)) {
			space = b.len > 0;
			continue;
		}
		if (space)
			(void)buf_addc(&b, ' ');
		space = false;
		utf8_put(&b, fold(c));
	}
	if (b.len < STORY_TITLE_MIN_BYTES) {
		buf_done(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static bool
same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

void
story_group(const struct story_item *v, size_t n, size_t *ret_group)
{
	char **lk = xcalloc(n ? n : 1, sizeof(*lk));
	char **tk = xcalloc(n ? n : 1, sizeof(*tk));
	size_t i, j;

	for (i = 0; i < n; i++) {
		lk[i] = story_link_key(v[i].link);
		tk[i] = story_title_key(v[i].title);
		ret_group[i] = i;
		for (j = 0; j < i; j++) {
			int64_t dt = v[i].when - v[j].when;

			if (dt < 0)
				dt = -dt;
			if (same(lk[i], lk[j]) || (same(tk[i], tk[j]) &&
			    dt <= STORY_TITLE_WINDOW_SEC)) {
				ret_group[i] = ret_group[j];
				break;
			}
		}
	}
	for (i = 0; i < n; i++) {
		free(lk[i]);
		free(tk[i]);
	}
	free(lk);
	free(tk);
}

char **
story_matched_words(const char *title, const char *summary,
    const char *content, const char *spans_json)
{
	_cleanup_free_ char *t = NULL, *body = NULL;
	char **words = NULL;
	const char *p;
	struct buf b;

	if (!spans_json)
		return NULL;
	t = text_normalise(title ? title : "", title ? strlen(title) : 0);
	buf_init(&b, 0);
	if (summary)
		(void)buf_adds(&b, summary);
	if (summary && content)
		(void)buf_addc(&b, '\n');
	if (content)
		(void)buf_adds(&b, content);
	body = text_normalise(b.data ? b.data : "", b.len);
	buf_done(&b);
	for (p = spans_json; (p = strchr(p, '[')) != NULL; p++) {
		unsigned f;
		size_t s, e, len;
		unsigned term;
		const char *src;
		char *w;

		if (sscanf(p, "[%u,%zu,%zu,%u]", &f, &s, &e, &term) != 4)
			continue;
		src = f == 0 ? t : body;
		if (!src)
			continue;
		len = strlen(src);
		if (s >= e || e > len || e - s > 200)
			continue;
		w = xstrndup(src + s, e - s);
		if (strv_contains(words, w))
			free(w);
		else
			(void)strv_push(&words, w);
	}
	return words;
}

char **
story_json_strv(const char *json)
{
	char **v = NULL;
	const char *p = json;
	struct buf b;

	if (!p)
		return NULL;
	while ((p = strchr(p, '"')) != NULL) {
		buf_init(&b, 0);
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				if (*p == 'u') {
					unsigned c;

					if (sscanf(p + 1, "%4x", &c) == 1) {
						utf8_put(&b, c);
						p += 4;
					}
					continue;
				}
				(void)buf_addc(&b, *p == 'n' ? '\n' :
				    *p == 't' ? '\t' : *p);
			} else
				(void)buf_addc(&b, *p);
		}
		(void)strv_push(&v, buf_steal(&b));
		if (*p)
			p++;
	}
	return v;
}

void
story_escape_markup(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			(void)buf_adds(b, "&amp;");
			break;
		case '<':
			(void)buf_adds(b, "&lt;");
			break;
		case '>':
			(void)buf_adds(b, "&gt;");
			break;
		case '"':
			(void)buf_adds(b, "&quot;");
			break;
		case '\'':
			(void)buf_adds(b, "&#39;");
			break;
		default:
			(void)buf_addc(b, s[i]);
		}
	}
}

void
story_emphasise(struct buf *b, const char *text, char *const *words,
    const char *open, const char *close,
    void (*escape)(struct buf *, const char *, size_t))
{
	const char *p = text ? text : "";

	while (*p) {
		const char *best = NULL;
		size_t best_len = 0, i;

		for (i = 0; words && words[i]; i++) {
			const char *q = strstr(p, words[i]);
			size_t len = strlen(words[i]);

			if (q && len && (!best || q < best ||
			    (q == best && len > best_len))) {
				best = q;
				best_len = len;
			}
		}
		if (!best) {
			escape(b, p, strlen(p));
			break;
		}
		escape(b, p, (size_t)(best - p));
		(void)buf_adds(b, open);
		escape(b, best, best_len);
		(void)buf_adds(b, close);
		p = best + best_len;
	}
}
