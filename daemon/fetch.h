/*
 * fetch.h: HTTP(S) and file:// transfers through libcurl's multi
 * interface.  Owns libcurl (besides the URL API in url.c and mail).
 * A transfer ends in exactly one callback with the finished body, status
 * and validators; fetch never parses, stores or logs above debug.
 */
#ifndef FETCH_H
#define FETCH_H

#include "reewatch.h"
#include "util.h"

#define FETCH_MAX_REDIRECTS		5
#define FETCH_LOW_SPEED_BYTES		64	/* below this per second ... */
#define FETCH_LOW_SPEED_SEC		30	/* ... for this long: cut off */

struct fetch_opts {
	unsigned max_connections;	/* global cap */
	unsigned max_per_host;
	unsigned timeout_sec;
	unsigned connect_timeout_sec;
	size_t max_body_bytes;		/* after decompression */
	const char *user_agent;		/* NULL: built-in */
};

struct fetch_req {
	const char *url;
	const char *etag;		/* validators from the last 200, or NULL */
	const char *last_modified;
	bool allow_file;		/* only for feeds whose url is file:// */
	char *const *headers;		/* extra "Name: value" lines, or NULL */
	const char *username;		/* HTTP credentials, or NULL */
	const char *password;
	void *userdata;
};

struct fetch_result {
	int err;			/* 0, or -errno (-EFBIG, -ETIMEDOUT, ...) */
	char errmsg[ERRMSG_MAX];	/* curl's words when err != 0 */
	long status;			/* HTTP status; 200 for file:// */
	bool not_modified;		/* 304 */
	char *body;			/* NUL-terminated, owned by the result */
	size_t len;
	char *content_type;
	char *etag;
	char *last_modified;
	char *effective_url;		/* after redirects */
	long retry_after_sec;		/* from Retry-After, -1 when absent */
	long max_age_sec;		/* Cache-Control max-age, -1 when absent */
	int64_t expires;		/* Expires (UTC seconds), 0 when absent */
	bool permanent_redirect;	/* a 301/308 was followed */
	double total_sec;
};

struct fetch;

/*
 * What res points to is freed after the callback returns, but the callback
 * may take any of it (the body, say) and leave NULL in its place.
 */
typedef void (*fetch_done_fn)(const struct fetch_req *req,
    struct fetch_result *res, void *ctx);

/* Free what a result owns (for a callback that kept the whole of it). */
void fetch_result_done(struct fetch_result *res);

/* Take all of *src into *dst, leaving src owning nothing. */
void fetch_result_move(struct fetch_result *dst, struct fetch_result *src);

int fetch_new(const struct fetch_opts *o, struct fetch **ret);
void fetch_free(struct fetch *f);

/* Queue one transfer (req is copied).  0, -EINVAL (scheme not allowed). */
int fetch_add(struct fetch *f, const struct fetch_req *req);

/* Transfers not yet finished. */
size_t fetch_pending(const struct fetch *f);

/*
 * Run transfers for up to timeout_ms (or until all are done), calling done
 * for each one that finished.  Returns the number still pending, or <0.
 */
int fetch_run(struct fetch *f, int timeout_ms, fetch_done_fn done, void *ctx);

/*
 * The pieces of fetch_run() for a caller with a loop of its own:
 * fetch_perform() moves transfers on and calls done for each finished one
 * (returns how many are pending, or <0); fetch_wait() sleeps in
 * curl_multi_poll() until a transfer has work, fd (when >= 0) is
 * readable, fetch_wakeup() is called or timeout_ms passes.
 */
int fetch_perform(struct fetch *f, fetch_done_fn done, void *ctx);
int fetch_wait(struct fetch *f, int fd, int timeout_ms, bool *ret_fd_ready);
void fetch_wakeup(struct fetch *f);

/* Does this libcurl decode the Content-Encoding (gzip, deflate, br)? */
bool fetch_has_encoding(const char *name);

/* The User-Agent we send. */
const char *fetch_user_agent(void);

#endif
