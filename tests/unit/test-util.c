/* test-util.c: durations, buffers with caps, JSON strings, UTF-8, strv. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

static void
test_duration(void)
{
	static const struct {
		const char *s;
		int ok;
		uint64_t sec;
	} cases[] = {
		{ "90", 1, 90 }, { "90s", 1, 90 }, { "15m", 1, 900 },
		{ "2h", 1, 7200 }, { "30d", 1, 2592000 }, { "1w", 1, 604800 },
		{ "0s", 1, 0 }, { "", 0, 0 }, { "m", 0, 0 }, { "-5m", 0, 0 },
		{ "5x", 0, 0 }, { "5 m", 1, 300 }, { "99999999999999999999d", 0, 0 },
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(cases); i++) {
		uint64_t v = 12345;
		int r = parse_duration(cases[i].s, &v);

		if (cases[i].ok)
			ok(r == 0 && v == cases[i].sec, "duration '%s' = %llu",
			    cases[i].s, (unsigned long long)cases[i].sec);
		else
			ok(r == -EINVAL && v == 12345,
			    "duration '%s' rejected, output untouched",
			    cases[i].s);
	}
}

static void
test_buf(void)
{
	struct buf b;
	char *s;

	buf_init(&b, 8);
	ok(buf_adds(&b, "abcd") == 0 && buf_adds(&b, "efgh") == 0,
	    "buffer takes up to its cap");
	ok(buf_addc(&b, 'x') == -EFBIG, "buffer refuses past its cap");
	is_str(b.data, "abcdefgh", "contents intact after a refused add");
	s = buf_steal(&b);
	is_str(s, "abcdefgh", "steal hands the data over");
	ok(b.data == NULL && b.len == 0, "buffer empty after steal");
	free(s);
	buf_init(&b, 0);
	s = buf_steal(&b);
	is_str(s, "", "steal of an empty buffer gives an empty string");
	free(s);
}

static void
test_json(void)
{
	struct buf b;
	char a[] = "a", bc[] = "b\"c";
	char *v[] = { a, bc, NULL };

	buf_init(&b, 0);
	(void)json_add_string(&b, "quote\" back\\ nl\n tab\t ctl\x01 ру");
	is_str(b.data, "\"quote\\\" back\\\\ nl\\n tab\\t ctl\\u0001 ру\"",
	    "JSON string escaping");
	buf_reset(&b);
	(void)json_add_string(&b, "bad \xff byte");
	is_str(b.data, "\"bad \\ufffd byte\"",
	    "invalid UTF-8 becomes U+FFFD in JSON");
	buf_reset(&b);
	(void)json_add_strv(&b, v);
	is_str(b.data, "[\"a\",\"b\\\"c\"]", "JSON array of strings");
	buf_reset(&b);
	(void)json_add_strv(&b, NULL);
	is_str(b.data, "[]", "NULL vector is an empty array");
	buf_done(&b);
}

static void
test_utf8(void)
{
	ok(utf8_valid("Росатом 稀土", strlen("Росатом 稀土")), "valid UTF-8");
	ok(!utf8_valid("\xc0\xaf", 2), "overlong form rejected");
	ok(!utf8_valid("\xed\xa0\x80", 3), "surrogate rejected");
	ok(!utf8_valid("\xe2\x82", 2), "truncated sequence rejected");
}

static void
test_strv(void)
{
	char **v = strv_split(" russia , state-media,,  ", ",");

	is_int(strv_length(v), 2, "split drops empty items");
	is_str(v[0], "russia", "split trims");
	ok(strv_contains(v, "state-media"), "contains");
	strv_free(v);
}

static void
test_time(void)
{
	char ts[RFC3339_MAX];

	is_str(format_rfc3339(0, ts), "1970-01-01T00:00:00Z", "epoch");
	is_str(format_rfc3339(1795793303, ts), "2026-11-27T15:28:23Z",
	    "RFC 3339 in UTC");
}

static void
test_files(void)
{
	char dir[] = "/tmp/reewatch-test-XXXXXX";
	char *path, *data = NULL;
	size_t len = 0;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	path = xasprintf("%s/a/b/c", dir);
	ok(mkdir_p(path, 0700) == 0 && access(path, W_OK) == 0,
	    "mkdir_p makes every missing folder");
	ok(mkdir_p(path, 0700) == 0, "mkdir_p on an existing folder is fine");
	free(path);
	path = xasprintf("%s/x.txt", dir);
	ok(write_file_atomic(path, "hello", 5) == 0, "atomic write");
	ok(read_file(path, 100, &data, &len) == 0 && len == 5 &&
	    strcmp(data, "hello") == 0, "read back");
	free(data);
	ok(read_file(path, 3, &data, &len) == -EFBIG, "read over a cap fails");
	unlink(path);
	free(path);
	tap_rmtree(dir);
}

static void
test_diag(void)
{
	struct diag d;

	diag_init(&d);
	diag_add(&d, "f.conf", 12, "bad %s", "key");
	diag_add(&d, "g.conf", 0, "missing");
	is_int(d.n, 2, "two problems");
	is_str(d.msgs[0], "f.conf:12: bad key", "FILE:LINE: message");
	is_str(d.msgs[1], "g.conf: missing", "FILE: message without a line");
	diag_done(&d);
}

int
main(void)
{
	test_duration();
	test_buf();
	test_json();
	test_utf8();
	test_strv();
	test_time();
	test_files();
	test_diag();
	return tap_done();
}
