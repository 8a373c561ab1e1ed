/*
 * util.h: small helpers every module may use: cleanup attributes, string
 * vectors, bounded buffers, durations, time formatting, JSON strings and
 * the diagnostics list that names file:line for users' files.
 * No I/O besides what a caller asks for; no library headers.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

static inline void
freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)

/* Hand a pointer out of a _cleanup_ variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })

void *xmalloc(size_t n);		/* aborts only on allocation failure */
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);		/* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* NULL-terminated string vectors (systemd's strv). */
size_t strv_length(char *const *v);
int strv_push(char ***v, char *s);		/* takes s */
char **strv_copy(char *const *v);
void strv_free(char **v);
bool strv_contains(char *const *v, const char *s);
char **strv_split(const char *s, const char *sep);	/* trimmed, no empties */

/* Trim ASCII whitespace in place; returns s. */
char *strstrip(char *s);
/* Where s (n bytes) starts and how long it is without those blanks. */
const char *strip_span(const char *s, size_t n, size_t *ret_len);
bool startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/*
 * A growable byte buffer with a cap (curl's dynbuf).  The buffer owns its
 * memory; buf_steal() hands it to the caller (free()).  Appending past the
 * cap fails with -EFBIG and leaves the contents as they were.
 */
struct buf {
	char *data;		/* always NUL-terminated when non-NULL */
	size_t len;
	size_t alloc;
	size_t cap;
};

void buf_init(struct buf *b, size_t cap);
void buf_done(struct buf *b);
void buf_reset(struct buf *b);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addc(struct buf *b, char c);
int buf_adds(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
char *buf_steal(struct buf *b);		/* never NULL; "" when empty */

/* "90", "90s", "15m", "2h", "30d" -> seconds.  0 ok, -EINVAL. */
int parse_duration(const char *s, uint64_t *ret_sec);
/* "yes"/"no"/"true"/"false"/"on"/"off"/"1"/"0". */
int parse_bool(const char *s, bool *ret);
int parse_uint(const char *s, unsigned long max, unsigned long *ret);

/* UTC seconds -> "2026-11-27T15:08:23Z" into a buffer of RFC3339_MAX. */
#define RFC3339_MAX 32
char *format_rfc3339(int64_t t, char out[RFC3339_MAX]);
int64_t now_utc(void);

/* Append s as a JSON string literal (quotes included, valid UTF-8 out). */
int json_add_string(struct buf *b, const char *s);
int json_add_strv(struct buf *b, char *const *v);
/* The same for s known to be valid UTF-8 (text.h's display form): faster,
 * as it checks nothing but the bytes JSON escapes. */
int json_add_text(struct buf *b, const char *s);

/*
 * Where pat (m bytes) first occurs in s (n bytes), or NULL.  memmem() with
 * memchr()'s speed when pat's first byte is rare, as the ends of markup
 * ("]]>", "-->") are in text.
 */
const char *mem_find(const char *s, size_t n, const char *pat, size_t m);
/* Is s valid UTF-8 over n bytes? */
bool utf8_valid(const char *s, size_t n);
/* How many leading bytes of s (n bytes) are ASCII (< 0x80). */
size_t ascii_span(const unsigned char *s, size_t n);

/* FNV-1a 64-bit hash, for keys of entries without id or link. */
uint64_t hash64(const void *p, size_t n, uint64_t seed);

/*
 * Problems found in users' files, each "FILE:LINE: message".  Collected so
 * that `reewatch check` can print them all and reewatchd can log them.
 */
struct diag {
	char **msgs;		/* NULL-terminated */
	size_t n;
};

void diag_init(struct diag *d);
void diag_done(struct diag *d);
void diag_add(struct diag *d, const char *file, unsigned line,
    const char *fmt, ...) PRINTF_LIKE(4, 5);

/* Read a whole file, up to max bytes.  0 ok, -errno, -EFBIG. */
int read_file(const char *path, size_t max, char **ret_data, size_t *ret_len);
/*
 * A regular file mapped read-only (no copy of a big feed through read(),
 * no fresh pages to clear); anything else (a pipe, /dev/stdin) read as
 * read_file() does.  *ret_mapped says which: unmap_file() frees either.
 * A file truncated while mapped faults (SIGBUS): for one-shot commands.
 */
int map_file(const char *path, size_t max, char **ret_data, size_t *ret_len,
    bool *ret_mapped);
void unmap_file(char *data, size_t len, bool mapped);
/* Write a file atomically (temp + fsync + rename). */
int write_file_atomic(const char *path, const void *data, size_t len);
/* mkdir -p with mode. */
int mkdir_p(const char *path, unsigned mode);

#endif
