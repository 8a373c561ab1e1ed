/*
 * test-util.c: durations, buffers with caps, JSON strings, UTF-8, strv,
 * and the eight-bytes-at-once tests of swar.h against byte-by-byte ones.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "swar.h"
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

/* The bytes the word tests care about, and some they do not. */
static const unsigned char swar_alphabet[] = {
	0x00, 0x09, 0x0a, 0x1f, ' ', '"', 'a', '\\', 0x7e, 0x7f,
	0x80, 0x81, 0x91, 0x9c, 0xab, 0xbb, 0xbf, 0xc0, 0xc1, 0xc2,
	0xc3, 0xd0, 0xd1, 0xd8, 0xdf, 0xe0, 0xe2, 0xef, 0xf0, 0xf4,
	0xf5, 0xff,
};

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* swar_utf8() by hand on len bytes: how many taken, bit k when byte k
 * leads a pair. */
static size_t
utf8_word_ref(const unsigned char *p, size_t len, uint64_t *leads)
{
	size_t i = 0;

	*leads = 0;
	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] < 0xc2 || p[i] > 0xdf)
			return 0;
		if (i == len - 1)
			return len - 1;
		if ((p[i + 1] & 0xc0) != 0x80)
			return 0;
		*leads |= UINT64_C(1) << i;
		i += 2;
	}
	return len;
}

/* Bit k of bits as swar_utf8() marks lanes: the high bit of byte k. */
static uint64_t
swar_lanes(uint64_t bits)
{
	uint64_t lanes = 0;
	unsigned k;

	for (k = 0; k < 8; k++)
		if (bits & (UINT64_C(1) << k))
			lanes |= UINT64_C(0x80) << (8 * k);
	return lanes;
}

/* Random words: half text (letters, spaces, two-byte pairs), half any of
 * swar_alphabet; every fourth cut a pair at its end. */
static void
random_word(uint64_t *x, unsigned i, unsigned char *p, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++) {
		uint64_t r = xorshift(x);

		if (i % 2 == 0 && r % 3 != 0 && k < len - 1) {
			p[k] = (unsigned char)(0xc2 + r % 30);
			p[++k] = (unsigned char)(0x80 + (r >> 8) % 64);
		} else if (i % 2 == 0)
			p[k] = r % 5 ? 'a' : ' ';
		else
			p[k] = swar_alphabet[r % sizeof(swar_alphabet)];
	}
	if (i % 4 == 0)
		p[len - 1] = 0xd1;
}

static void
test_swar(void)
{
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	unsigned bad_utf8 = 0, bad_eq = 0, bad_below = 0, i, k;
	unsigned taken[9] = { 0 };
#ifdef __SSE2__
	unsigned taken16[17] = { 0 }, bad_count = 0;
#endif

	for (i = 0; i < 200000; i++) {
		unsigned char p[8];
		uint64_t w, leads = 0, want_leads, eq = 0;
		size_t n, want;
		bool below = false;
		unsigned char probe;

		random_word(&x, i, p, 8);
		w = swar_load(p);
		want = utf8_word_ref(p, 8, &want_leads);
		n = swar_utf8(w, &leads);
		if (n != want || (n > 0 && leads != swar_lanes(want_leads)))
			bad_utf8++;
		taken[n]++;
		probe = swar_alphabet[i % sizeof(swar_alphabet)];
		for (k = 0; k < 8; k++) {
			if (p[k] == probe)
				eq |= UINT64_C(0x80) << (8 * k);
			if (p[k] < (probe & 0x7f) + 1)
				below = true;
		}
		if (swar_eq(w, probe) != eq ||
		    swar_any_eq(w, probe) != (eq != 0))
			bad_eq++;
		if (swar_any_below(w, (probe & 0x7fu) + 1) != below)
			bad_below++;
	}
	is_int(bad_utf8, 0, "swar_utf8 agrees with the byte-by-byte check "
	    "on 200000 words");
	ok(taken[0] > 1000 && taken[7] > 1000 && taken[8] > 1000,
	    "the words cover rejects (%u), 7-byte (%u) and 8-byte (%u) takes",
	    taken[0], taken[7], taken[8]);
	is_int(bad_eq, 0, "swar_eq marks exactly the lanes holding the byte, "
	    "swar_any_eq says whether there is one");
	is_int(bad_below, 0, "swar_any_below agrees with a byte loop");
#ifdef __SSE2__
	bad_utf8 = 0;
	for (i = 0; i < 200000; i++) {
		unsigned char p[16];
		uint64_t want_leads;
		unsigned leads = 0;
		size_t n, want;

		random_word(&x, i, p, 16);
		want = utf8_word_ref(p, 16, &want_leads);
		n = swar_utf8_16(p, &leads);
		if (n != want || (n > 0 && leads != want_leads))
			bad_utf8++;
		taken16[n]++;
		if (swar_count16(i & 0xffffu) !=
		    (unsigned)__builtin_popcount(i & 0xffffu))
			bad_count++;
	}
	is_int(bad_utf8, 0, "swar_utf8_16 agrees with the byte-by-byte check "
	    "on 200000 words");
	is_int(bad_count, 0, "swar_count16 counts the bits of every mask");
	ok(taken16[0] > 1000 && taken16[15] > 1000 && taken16[16] > 1000,
	    "the words cover rejects (%u), 15-byte (%u) and 16-byte (%u) "
	    "takes", taken16[0], taken16[15], taken16[16]);
#endif
}

/* JSON escaping by hand, for the differential test below. */
static void
json_ref(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, l;

	(void)buf_addc(b, '"');
	while (i < n) {
		if (p[i] >= 0x80) {
			for (l = 2; l <= 4 && l <= n - i; l++)
				if (utf8_valid((const char *)p + i, l))
					break;
			if (l > 4 || l > n - i) {
				(void)buf_adds(b, "\\ufffd");
				i++;
			} else {
				(void)buf_add(b, p + i, l);
				i += l;
			}
			continue;
		}
		if (p[i] == '"')
			(void)buf_adds(b, "\\\"");
		else if (p[i] == '\\')
			(void)buf_adds(b, "\\\\");
		else if (p[i] == '\n')
			(void)buf_adds(b, "\\n");
		else if (p[i] == '\r')
			(void)buf_adds(b, "\\r");
		else if (p[i] == '\t')
			(void)buf_adds(b, "\\t");
		else if (p[i] < 0x20 || p[i] == 0x7f)
			(void)buf_printf(b, "\\u%04x", p[i]);
		else
			(void)buf_addc(b, (char)p[i]);
		i++;
	}
	(void)buf_addc(b, '"');
}

/*
 * 3000 strings of up to max_pieces random pieces (only those that are
 * valid UTF-8 when valid), each added by add() and by json_ref(): how
 * many differ (the first is printed).
 */
static unsigned
json_differs(int (*add)(struct buf *, const char *), unsigned max_pieces,
    bool valid, uint64_t *x)
{
	static const char *const bits[] = {
		"Росатом ", "rare earth ", "\"", "\\", "\n", "\x01", "\x7f",
		"\xff", "\xd0", "\xe2\x80\x94", "«", "稀土", "\xf0\x9f\x98\x80",
		"\xc0\xaf", "\xed\xa0\x80", "a", "  ",
	};
	struct buf got, want;
	unsigned i, k, bad = 0;

	buf_init(&got, 0);
	buf_init(&want, 0);
	for (i = 0; i < 3000; i++) {
		char s[512];
		size_t n = 0;

		for (k = 0; k < max_pieces; k++) {
			const char *b = bits[xorshift(x) % ELEMENTSOF(bits)];

			if (valid && !utf8_valid(b, strlen(b)))
				continue;
			if (n + strlen(b) >= sizeof(s))
				break;
			memcpy(s + n, b, strlen(b));
			n += strlen(b);
		}
		s[n] = '\0';
		buf_reset(&got);
		buf_reset(&want);
		(void)add(&got, s);
		json_ref(&want, s);
		if (strcmp(got.data, want.data) != 0 && bad++ == 0)
			printf("#   got:  %s\n#   want: %s\n", got.data,
			    want.data);
	}
	buf_done(&got);
	buf_done(&want);
	return bad;
}

static void
test_json_words(void)
{
	uint64_t x = 88172645463325252u;

	is_int(json_differs(json_add_string, 12, false, &x), 0,
	    "JSON strings of mixed text agree with a byte loop "
	    "(3000 strings, every alignment)");
	/* json_add_text() on valid UTF-8, longer: 16 bytes at a time */
	is_int(json_differs(json_add_text, 40, true, &x), 0,
	    "json_add_text() agrees with a byte loop on valid "
	    "UTF-8 (3000 strings, every alignment)");
}

static void
test_mem_find(void)
{
	static const char s[] = "a]]]>b-->c]]>";
	size_t n = sizeof(s) - 1;

	ok(mem_find(s, n, "]]>", 3) == s + 2, "mem_find: after a false start");
	ok(mem_find(s, n, "-->", 3) == s + 6, "mem_find: in the middle");
	ok(mem_find(s + 8, n - 8, "]]>", 3) == s + 10, "mem_find: at the end");
	ok(mem_find(s, n - 1, "]]>", 3) == s + 2 &&
	    mem_find(s + 6, n - 7, "]]>", 3) == NULL,
	    "mem_find: not past n");
	ok(mem_find(s, 2, "]]>", 3) == NULL, "mem_find: pattern longer than s");
	ok(mem_find(s, n, "a", 1) == s && mem_find(s, n, "", 0) == s,
	    "mem_find: one byte, empty pattern");
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

/*
 * now_utc() is never behind a clock_gettime() taken before it: the poll
 * stamps deliveries with the one and the outbox asks for those due by
 * the other.  time() failed this (Linux's reads the clock of the last
 * tick) in the few milliseconds after a second begins; a tight loop
 * over 1.1 s crosses at least one such start.
 */
static void
test_now(void)
{
	struct timespec t0, t;
	unsigned long n = 0, behind = 0;

	(void)clock_gettime(CLOCK_REALTIME, &t0);
	do {
		int64_t u;

		(void)clock_gettime(CLOCK_REALTIME, &t);
		u = now_utc();
		if (u < (int64_t)t.tv_sec)
			behind++;
		n++;
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L +
	    (t.tv_nsec - t0.tv_nsec) < 1100000000L);
	ok(behind == 0, "now_utc() is never behind CLOCK_REALTIME (%lu of %lu behind)",
	    behind, n);
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
	test_json_words();
	test_swar();
	test_mem_find();
	test_utf8();
	test_strv();
	test_time();
	test_now();
	test_files();
	test_diag();
	return tap_done();
}
