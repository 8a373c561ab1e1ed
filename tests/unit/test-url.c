/*
 * test-url.c: url_resolve() on the references feeds use (relative paths,
 * dot segments, query-only, fragments, protocol-relative, xml:base chains)
 * and on garbage; url_scheme() and the http/file checks.
 */
#include "config.h"

#include <string.h>

#include "tap.h"
#include "url.h"
#include "util.h"

#define BASE "https://example.test/feeds/news.xml?x=1"

static const struct {
	const char *base, *ref, *want;
} cases[] = {
	{ BASE, "item/1.html", "https://example.test/feeds/item/1.html" },
	{ BASE, "/a/b", "https://example.test/a/b" },
	{ BASE, "../news/2", "https://example.test/news/2" },
	{ BASE, "../../../../up", "https://example.test/up" },
	{ BASE, "./x/./y/../z", "https://example.test/feeds/x/z" },
	{ BASE, "?a=1", "https://example.test/feeds/news.xml?a=1" },
	{ BASE, "#frag", "https://example.test/feeds/news.xml?x=1#frag" },
	{ BASE, "//cdn.example.test/img.png",
	    "https://cdn.example.test/img.png" },
	{ BASE, "http://other.test/story?id=5#c",
	    "http://other.test/story?id=5#c" },
	{ BASE, "HTTPS://Other.Test/Path", "https://Other.Test/Path" },
	{ NULL, "https://example.test/only", "https://example.test/only" },
	{ "", "https://example.test/only", "https://example.test/only" },
	{ "not a url", "https://example.test/x", "https://example.test/x" },
	{ BASE, "a b.html", "https://example.test/feeds/a%20b.html" },
	{ BASE, "https://example.test/%D0%BD%D0%BE%D0%B2",
	    "https://example.test/%D0%BD%D0%BE%D0%B2" },
	{ BASE, "feed://example.test/rss", "feed://example.test/rss" },
	{ BASE, "#", "https://example.test/feeds/news.xml?x=1" },
	{ NULL, "#frag", NULL },
	{ BASE, "http://", NULL },
	{ BASE, "", NULL },
	{ NULL, "relative/only", NULL },
	{ NULL, "/abs/path", NULL },
	{ "also relative", "x", NULL },
	{ BASE, "http://exa mple.test/", NULL },
};

int
main(void)
{
	size_t i;
	char *s, *b1, *b2;

	for (i = 0; i < ELEMENTSOF(cases); i++) {
		s = url_resolve(cases[i].base, cases[i].ref);
		is_str(s, cases[i].want, "resolve '%s' against '%s'",
		    cases[i].ref, cases[i].base ? cases[i].base : "(null)");
		free(s);
	}

	/* xml:base chain: feed base, then entry base, then the link. */
	b1 = url_resolve("https://example.test/feeds/a.xml", "/blog/");
	b2 = url_resolve(b1, "2026/11/");
	s = url_resolve(b2, "post.html");
	is_str(s, "https://example.test/blog/2026/11/post.html",
	    "xml:base chain resolves step by step");
	free(b1);
	free(b2);
	free(s);

	s = url_scheme("HTTPS://example.test/");
	is_str(s, "https", "scheme is lower case");
	free(s);
	s = url_scheme("file:///etc/reewatch/feed.xml");
	is_str(s, "file", "file scheme");
	free(s);
	s = url_scheme("example.test/no/scheme");
	is_str(s, NULL, "no scheme, no answer");
	free(s);
	ok(url_is_http("http://example.test/"), "http is http");
	ok(url_is_http("https://example.test/"), "https is http");
	ok(!url_is_http("ftp://example.test/"), "ftp is not http");
	ok(!url_is_http("javascript:alert(1)"), "javascript: is not http");
	ok(!url_is_http(NULL), "NULL is not http");
	ok(url_is_file("file:///tmp/x.xml"), "file URL");
	ok(!url_is_file("https://example.test/x.xml"), "https is not file");
	return tap_done();
}
