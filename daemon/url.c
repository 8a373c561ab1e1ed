/*
 * url.c: URL resolution and scheme checks through curl's URL API
 * (RFC 3986 reference resolution, dot segments, protocol-relative refs).
 * Pure string work: never opens a connection, never reads a file.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include <curl/curl.h>

#include "url.h"
#include "util.h"

/*
 * Set a URL on h.  Schemes curl does not speak (feed:, ...) are kept.
 * Feeds do put raw spaces in links; as a fallback they become %20 (and
 * nothing else is encoded: CURLU_URLENCODE would also re-encode '%').
 */
static CURLUcode
set_url(CURLU *h, const char *s)
{
	_cleanup_free_ char *t = NULL;
	struct buf b;
	CURLUcode rc;
	const char *p;

	rc = curl_url_set(h, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME);
	if (rc == CURLUE_OK || !strchr(s, ' '))
		return rc;
	buf_init(&b, 0);
	for (p = s; *p; p++)
		if (*p == ' ')
			(void)buf_adds(&b, "%20");
		else
			(void)buf_addc(&b, *p);
	t = buf_steal(&b);
	return curl_url_set(h, CURLUPART_URL, t, CURLU_NON_SUPPORT_SCHEME);
}

char *
url_resolve(const char *base, const char *ref)
{
	CURLU *h;
	char *out = NULL, *res = NULL;

	if (!ref || !*ref)
		return NULL;
	h = curl_url();
	if (!h)
		return NULL;
	/*
	 * With a base set, curl_url_set() on the same handle resolves ref
	 * against it; an absolute ref replaces it.  A bad base is ignored
	 * (an absolute ref still works, a relative one fails).
	 */
	if (base && *base)
		(void)set_url(h, base);
	if (ref[0] == '#') {
		/* curl 7.88 drops the last segment for "#frag": do it here */
		if (curl_url_set(h, CURLUPART_FRAGMENT, ref[1] ? ref + 1 : NULL,
		    0) == CURLUE_OK &&
		    curl_url_get(h, CURLUPART_URL, &out, 0) == CURLUE_OK) {
			res = xstrdup(out);
			curl_free(out);
		}
		curl_url_cleanup(h);
		return res;
	}
	if (set_url(h, ref) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_URL, &out, 0) == CURLUE_OK) {
		res = xstrdup(out);
		curl_free(out);
	}
	curl_url_cleanup(h);
	return res;
}

char *
url_scheme(const char *url)
{
	CURLU *h;
	char *out = NULL, *res = NULL, *p;

	if (!url)
		return NULL;
	h = curl_url();
	if (!h)
		return NULL;
	if (set_url(h, url) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_SCHEME, &out, 0) == CURLUE_OK) {
		res = xstrdup(out);
		curl_free(out);
		for (p = res; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	curl_url_cleanup(h);
	return res;
}

bool
url_is_http(const char *url)
{
	_cleanup_free_ char *s = url_scheme(url);

	return s && (strcmp(s, "http") == 0 || strcmp(s, "https") == 0);
}

bool
url_is_file(const char *url)
{
	_cleanup_free_ char *s = url_scheme(url);

	return s && strcmp(s, "file") == 0;
}
