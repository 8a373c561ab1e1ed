/*
 * util.c: allocation, string vectors, bounded buffers, durations, time and
 * JSON formatting, diagnostics, whole-file reads and atomic writes.
 * Touches files only where a caller asks (read_file, write_file_atomic).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "swar.h"
#include "util.h"

static void
oom(void)
{
	static const char msg[] = "reewatch: out of memory\n";

	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom();
	return q;
}

char *
xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if (!s)
		return NULL;
	n = strnlen(s, n);
	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* vasprintf() that never fails; *ret_len (if not NULL) is strlen. */
static char *xvasprintf(size_t *ret_len, const char *fmt, va_list ap)
    PRINTF_LIKE(2, 0);

static char *
xvasprintf(size_t *ret_len, const char *fmt, va_list ap)
{
	char *s;
	int r;

	r = vasprintf(&s, fmt, ap);
	if (r < 0)
		oom();
	if (ret_len)
		*ret_len = (size_t)r;
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(NULL, fmt, ap);
	va_end(ap);
	return s;
}

size_t
strv_length(char *const *v)
{
	size_t n = 0;

	if (v)
		while (v[n])
			n++;
	return n;
}

int
strv_push(char ***v, char *s)
{
	size_t n = strv_length(*v);

	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
	return 0;
}

char **
strv_copy(char *const *v)
{
	size_t i, n = strv_length(v);
	char **c;

	if (!v)
		return NULL;
	c = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

void
strv_free(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

bool
strv_contains(char *const *v, const char *s)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

char **
strv_split(const char *s, const char *sep)
{
	char **v = xcalloc(1, sizeof(char *));
	const char *p = s;

	while (p && *p) {
		size_t n = strcspn(p, sep);
		char *item = strstrip(xstrndup(p, n));

		if (*item)
			strv_push(&v, item);
		else
			free(item);
		p += n;
		if (*p)
			p++;
	}
	return v;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

const char *
strip_span(const char *s, size_t n, size_t *ret_len)
{
	while (n > 0 && is_blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	*ret_len = n;
	return s;
}

char *
strstrip(char *s)
{
	size_t n;
	const char *p = strip_span(s, strlen(s), &n);

	if (p != s)
		memmove(s, p, n);
	s[n] = '\0';
	return s;
}

bool
startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap ? cap : SIZE_MAX / 2;
}

void
buf_done(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	size_t need;

	if (n > b->cap || b->len > b->cap - n)
		return -EFBIG;
	need = b->len + n + 1;
	if (need > b->alloc) {
		size_t a = b->alloc ? b->alloc : 64;

		while (a < need)
			a *= 2;
		b->data = xrealloc(b->data, a);
		b->alloc = a;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	char *s;
	int r;

	va_start(ap, fmt);
	s = xvasprintf(&n, fmt, ap);
	va_end(ap);
	r = buf_add(b, s, n);
	free(s);
	return r;
}

char *
buf_steal(struct buf *b)
{
	char *p = b->data;

	if (!p)
		p = xstrdup("");
	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}

int
parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int
parse_duration(const char *s, uint64_t *ret_sec)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1 }, { "s", 1 }, { "sec", 1 }, { "m", 60 }, { "min", 60 },
		{ "h", 3600 }, { "d", 86400 }, { "w", (uint64_t)7 * 86400 },
	};
	unsigned long long v;
	char *end;
	size_t i;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	while (*end == ' ')
		end++;
	for (i = 0; i < ELEMENTSOF(units); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v > UINT64_MAX / units[i].mult / 2)
			return -EINVAL;
		*ret_sec = v * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

int
parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

char *
format_rfc3339(int64_t t, char out[RFC3339_MAX])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, RFC3339_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, RFC3339_MAX, "1970-01-01T00:00:00Z");
	return out;
}

int64_t
now_utc(void)
{
	struct timespec ts;

	/*
	 * Not time(): Linux's reads the clock as of the last tick, up to a
	 * tick behind CLOCK_REALTIME, so a time the poll just took with
	 * clock_gettime() (a delivery due "now") could still be in its
	 * future.  One clock for both.
	 */
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

const char *
mem_find(const char *s, size_t n, const char *pat, size_t m)
{
	const char *end = s + n, *p = s;

	if (m == 0)
		return s;
	while ((size_t)(end - p) >= m) {
		p = memchr(p, pat[0], (size_t)(end - p) - m + 1);
		if (!p)
			return NULL;
		if (memcmp(p + 1, pat + 1, m - 1) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* How many bytes at s (n bytes) are ASCII; 8 at a time. */
size_t
ascii_span(const unsigned char *s, size_t n)
{
	size_t i = 0;
	uint64_t w;

	while (n - i >= 8) {
		memcpy(&w, s + i, 8);
		if (w & UINT64_C(0x8080808080808080))
			break;
		i += 8;
	}
	while (i < n && s[i] < 0x80)
		i++;
	return i;
}

bool
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;

	while (i < n) {
		if (p[i] < 0x80)
			i += ascii_span(p + i, n - i);
		if (i >= n)
			break;
		l = utf8_seq_len(p + i, n - i);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

/* Append ASCII c, which JSON strings cannot hold as it is, escaped. */
static int
json_escape(struct buf *b, unsigned char c)
{
	switch (c) {
	case '"':
		return buf_adds(b, "\\\"");
	case '\\':
		return buf_adds(b, "\\\\");
	case '\n':
		return buf_adds(b, "\\n");
	case '\r':
		return buf_adds(b, "\\r");
	case '\t':
		return buf_adds(b, "\\t");
	default:
		return buf_printf(b, "\\u%04x", c);
	}
}

/* Bytes that json_add_string() copies as they are (ASCII only). */
static bool
json_plain(unsigned char c)
{
	return c >= 0x20 && c != 0x7f && c != '"' && c != '\\';
}

int
json_add_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0, start, l, words_from = 0;
	int r = buf_addc(b, '"');

	while (r == 0 && i < n) {
		unsigned char c;

		/* Copy the run of plain ASCII and valid multibyte at once. */
		start = i;
		while (i < n) {
			uint64_t w, leads;

			if (i >= words_from && n - i >= 8) {
				w = swar_load(p + i);
				if (!swar_any_below(w, 0x20) &&
				    !swar_any_eq(w, '"') &&
				    !swar_any_eq(w, '\\') &&
				    !swar_any_eq(w, 0x7f) &&
				    ((w & SWAR_HIGH) == 0 ? (l = 8) :
				    (l = swar_utf8(w, &leads))) > 0) {
					i += l;
					continue;
				}
				words_from = i + 8;
			}
			c = p[i];
			if (c < 0x80) {
				if (!json_plain(c))
					break;
				i++;
				continue;
			}
			if (c >= 0xc2 && c <= 0xdf && i + 1 < n &&
			    (p[i + 1] & 0xc0) == 0x80) {
				i += 2;		/* two bytes, inline */
				continue;
			}
			l = utf8_seq_len(p + i, n - i);
			if (l == 0)
				break;
			i += l;
		}
		if (i > start)
			r = buf_add(b, p + start, i - start);
		if (r < 0 || i >= n)
			break;
		c = p[i++];
		if (c >= 0x80) {
			r = buf_adds(b, "\\ufffd");	/* invalid byte */
			continue;
		}
		r = json_escape(b, c);
	}
	return r ? r : buf_addc(b, '"');
}

/*
 * How many bytes from p (n of them) a JSON string holds as they are, for
 * text known to be valid UTF-8: all but C0 controls, DEL, '"' and '\\'.
 * Sixteen bytes at a time where SSE2 is (every x86-64), else eight.
 */
static size_t
json_text_run(const unsigned char *p, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'),
	    bslash = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7f);

	for (; n - i >= 16; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + i));
		/* bytes >= 0x20 (unsigned), then not one of the three */
		__m128i ok = _mm_cmpeq_epi8(_mm_max_epu8(v, sp), v);
		__m128i bad = _mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
		    _mm_cmpeq_epi8(v, del));
		unsigned m = (unsigned)_mm_movemask_epi8(
		    _mm_andnot_si128(bad, ok)) ^ 0xffffu;

		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; n - i >= 8; i += 8) {
		uint64_t w = swar_load(p + i);

		if (swar_any_below(w, 0x20) || swar_any_eq(w, 0x7f) ||
		    swar_any_eq(w, '"') || swar_any_eq(w, '\\'))
			break;
	}
	while (i < n && json_plain(p[i]))
		i++;
	return i;
}

int
json_add_text(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0, k;
	int r = buf_addc(b, '"');

	while (r == 0 && i < n) {
		k = json_text_run(p + i, n - i);
		if (k > 0)
			r = buf_add(b, p + i, k);
		i += k;
		if (r == 0 && i < n)
			r = json_escape(b, p[i++]);
	}
	return r ? r : buf_addc(b, '"');
}

int
json_add_strv(struct buf *b, char *const *v)
{
	size_t i;
	int r = buf_addc(b, '[');

	for (i = 0; r == 0 && v && v[i]; i++) {
		if (i)
			r = buf_addc(b, ',');
		if (r == 0)
			r = json_add_string(b, v[i]);
	}
	return r ? r : buf_addc(b, ']');
}

uint64_t
hash64(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
diag_init(struct diag *d)
{
	d->msgs = NULL;
	d->n = 0;
}

void
diag_done(struct diag *d)
{
	strv_free(d->msgs);
	diag_init(d);
}

void
diag_add(struct diag *d, const char *file, unsigned line, const char *fmt,
    ...)
{
	va_list ap;
	char *msg, *full;

	va_start(ap, fmt);
	msg = xvasprintf(NULL, fmt, ap);
	va_end(ap);
	if (line)
		full = xasprintf("%s:%u: %s", file ? file : "-", line, msg);
	else
		full = xasprintf("%s: %s", file ? file : "-", msg);
	free(msg);
	strv_push(&d->msgs, full);
	d->n++;
}

int
read_file(const char *path, size_t max, char **ret_data, size_t *ret_len)
{
	struct buf b;
	char chunk[65536];
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf_init(&b, max);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		r = buf_add(&b, chunk, (size_t)n);
		if (r < 0)
			break;
	}
	close(fd);
	if (r < 0) {
		buf_done(&b);
		return r;
	}
	*ret_len = b.len;
	*ret_data = buf_steal(&b);
	return 0;
}

int
map_file(const char *path, size_t max, char **ret_data, size_t *ret_len,
    bool *ret_mapped)
{
	struct stat st;
	void *m;
	int fd;

	*ret_mapped = false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return read_file(path, max, ret_data, ret_len);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return read_file(path, max, ret_data, ret_len);
	(void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
	*ret_data = m;
	*ret_len = (size_t)st.st_size;
	*ret_mapped = true;
	return 0;
}

void
unmap_file(char *data, size_t len, bool mapped)
{
	if (mapped)
		(void)munmap(data, len);
	else
		free(data);
}

int
write_file_atomic(const char *path, const void *data, size_t len)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, r = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int
mkdir_p(const char *path, unsigned mode)
{
	_cleanup_free_ char *p = xstrdup(path);
	char *s;

	for (s = p; *s; s++) {
		if (*s != '/' || s == p)
			continue;	/* cut at each '/' but a leading one */
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	/* the analyzer does not see p's cleanup free */
	return 0;	/* NOLINT(clang-analyzer-unix.Malloc) */
}
