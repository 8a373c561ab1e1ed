/* test-ini.c: the INI reader: sections, repeated keys, comments, line
 * numbers, long lines and syntax errors. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "ini.h"
#include "tap.h"

struct seen {
	struct buf b;
};

static int
record(void *u, const char *section, const char *key, const char *value,
    unsigned line)
{
	struct seen *s = u;

	if (!key)
		(void)buf_printf(&s->b, "%u[%s]\n", line, section);
	else
		(void)buf_printf(&s->b, "%u %s=%s\n", line, key, value);
	return 0;
}

static int
stop_at_second(void *u, const char *section, const char *key,
    const char *value, unsigned line)
{
	(void)u; (void)section; (void)key; (void)value;
	return line >= 2 ? -ECANCELED : 0;
}

int
main(void)
{
	struct seen s;
	struct diag d;
	char *kind = NULL, *name = NULL;
	char longline[5000];
	const char *doc;
	char *big;
	int r;

	buf_init(&s.b, 0);
	diag_init(&d);
	doc = "\xef\xbb\xbf; comment\n[term Rosatom]\nmatch = Rosatom\n"
	    "match = Росатом*   ; inflected\n# another\n\n"
	    "regex = \\bREEs?\\b\r\nurl = http://x/?a=1#frag";
	r = ini_parse(doc, strlen(doc), "w.watch", record, &s, &d);
	is_int(r, 0, "a clean file parses without errors");
	is_str(s.b.data, "2[term Rosatom]\n3 match=Rosatom\n4 match=Росатом*\n"
	    "7 regex=\\bREEs?\\b\n8 url=http://x/?a=1#frag\n",
	    "sections, repeated keys, inline comments, CRLF, line numbers");

	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	big = xasprintf("[feed \"Long\"]\nurl = https://x/%s\n", longline);
	buf_reset(&s.b);
	r = ini_parse(big, strlen(big), "l.feeds", record, &s, &d);
	ok(r == 0 && strstr(s.b.data, longline) != NULL,
	    "a 5000-byte value is kept whole");
	free(big);

	buf_reset(&s.b);
	doc = "key = before\n[ok]\nnovalue\n[broken\n= v\n";
	r = ini_parse(doc, strlen(doc), "bad.conf", record, &s, &d);
	is_int(r, 4, "four syntax errors counted");
	is_int(d.n, 4, "four messages");
	is_str(d.msgs[0], "bad.conf:1: 'key' outside of any [section]",
	    "key before a section");
	is_str(d.msgs[1], "bad.conf:3: expected 'key = value'", "no '='");
	is_str(d.msgs[2], "bad.conf:4: bad section header (expected [name])",
	    "unclosed section header");
	is_str(d.msgs[3], "bad.conf:5: missing key before '='", "empty key");

	doc = "[a]\nx = 1\ny = 2\n";
	r = ini_parse(doc, strlen(doc), "s", stop_at_second, NULL, &d);
	is_int(r, -ECANCELED, "a handler can stop the parse");

	ok(ini_section_split("alert \"Russian actors on REE\"", &kind,
	    &name) == 0, "split a quoted section name");
	is_str(kind, "alert", "kind");
	is_str(name, "Russian actors on REE", "quoted name keeps spaces");
	free(kind);
	free(name);
	ok(ini_section_split("term Rosatom", &kind, &name) == 0, "bare name");
	is_str(name, "Rosatom", "bare name");
	free(kind);
	free(name);
	ok(ini_section_split("watchlist", &kind, &name) == 0 && name == NULL,
	    "section without a name");
	free(kind);
	ok(ini_section_split("feed \"unclosed", &kind, &name) == -EINVAL,
	    "broken quoting rejected");
	ok(ini_section_split("feed a\"b", &kind, &name) == -EINVAL,
	    "stray quote rejected");

	buf_done(&s.b);
	diag_done(&d);
	return tap_done();
}
