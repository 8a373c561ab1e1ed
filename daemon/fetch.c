/*
 * fetch.c: HTTP(S) and file:// transfers through libcurl's multi interface:
 * conditional GET, redirect, time, speed and body-size limits, host caps.
 * Never parses, stores or logs above debug; touches the network, and the
 * file system only for feeds whose own URL is file://.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "fetch.h"
#include "log.h"
#include "util.h"

/* Used when struct fetch_opts leaves a field at 0 (as conf.h's defaults). */
#define FETCH_DEFAULT_MAX_CONNECTIONS		16
#define FETCH_DEFAULT_MAX_PER_HOST		2
#define FETCH_DEFAULT_TIMEOUT_SEC		60
#define FETCH_DEFAULT_CONNECT_TIMEOUT_SEC	15
#define FETCH_DEFAULT_MAX_BODY_BYTES		((size_t)16 * 1024 * 1024)

/* Longest single wait in curl_multi_poll() when fetch_run has no limit. */
#define FETCH_POLL_MAX_MS			1000
/* fetch_perform() hands back control after finishing transfers for this
 * long, so its caller's loop sees signals and the watchdog in time. */
#define FETCH_PERFORM_BUDGET_MS			250

#define FETCH_ACCEPT "Accept: application/rss+xml, application/atom+xml, " \
	"application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, " \
	"*/*;q=0.8"

/* Statuses of the responses of one transfer, redirects first. */
#define FETCH_MAX_HOPS		(FETCH_MAX_REDIRECTS + 2)

struct transfer {
	struct fetch *f;
	struct transfer *prev, *next;
	CURL *easy;
	struct fetch_req req;		/* its strings point to the copies */
	char *url;
	char *etag;
	char *last_modified;
	char *username;
	char *password;			/* wiped before it is freed */
	bool is_file;
	struct curl_slist *headers;
	struct buf body;		/* capped at max_body_bytes */
	bool over_cap;			/* body or its length over the cap */
	long hop_status[FETCH_MAX_HOPS];	/* final (non-1xx) statuses */
	unsigned n_hops;
	long cur_status;		/* response now sending headers */
	curl_off_t cur_length;		/* its Content-Length, -1: none */
	bool cur_encoded;		/* it has a Content-Encoding */
	char errbuf[CURL_ERROR_SIZE];
};

struct fetch {
	CURLM *multi;
	struct fetch_opts o;
	char *user_agent;
	struct transfer *transfers;	/* owned, doubly linked */
	size_t n_pending;
	bool backlog;			/* finished transfers not handed out */
};

const char *
fetch_user_agent(void)
{
	return "reewatch/" PACKAGE_VERSION " (+" PACKAGE_URL ")";
}

int
fetch_new(const struct fetch_opts *o, struct fetch **ret)
{
	struct fetch *f;

	if (!o || !ret)
		return -EINVAL;
	/* libcurl counts these; fetch_free() gives ours back. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;

	f = xcalloc(1, sizeof(*f));
	f->o = *o;
	if (!f->o.max_connections)
		f->o.max_connections = FETCH_DEFAULT_MAX_CONNECTIONS;
	if (!f->o.max_per_host)
		f->o.max_per_host = FETCH_DEFAULT_MAX_PER_HOST;
	if (!f->o.timeout_sec)
		f->o.timeout_sec = FETCH_DEFAULT_TIMEOUT_SEC;
	if (!f->o.connect_timeout_sec)
		f->o.connect_timeout_sec = FETCH_DEFAULT_CONNECT_TIMEOUT_SEC;
	if (!f->o.max_body_bytes)
		f->o.max_body_bytes = FETCH_DEFAULT_MAX_BODY_BYTES;
	f->user_agent = xstrdup(o->user_agent ? o->user_agent :
	    fetch_user_agent());
	f->o.user_agent = f->user_agent;

	f->multi = curl_multi_init();
	if (!f->multi) {
		fetch_free(f);
		return -ENOMEM;
	}
	if (curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)f->o.max_connections) != CURLM_OK ||
	    curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)f->o.max_per_host) != CURLM_OK) {
		fetch_free(f);
		return -EINVAL;
	}
	*ret = f;
	return 0;
}

static void
transfer_free(struct transfer *t)
{
	if (!t)
		return;
	if (t->easy)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	buf_done(&t->body);
	free(t->username);
	if (t->password) {
#ifdef HAVE_EXPLICIT_BZERO
		explicit_bzero(t->password, strlen(t->password));
#else
		memset(t->password, 0, strlen(t->password));
#endif
		free(t->password);
	}
	free(t->url);
	free(t->etag);
	free(t->last_modified);
	free(t);
}

/* Take t off f's list (and out of the multi handle). */
static void
transfer_unlink(struct fetch *f, struct transfer *t)
{
	(void)curl_multi_remove_handle(f->multi, t->easy);
	if (t->prev)
		t->prev->next = t->next;
	else
		f->transfers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
	f->n_pending--;
}

void
fetch_free(struct fetch *f)
{
	struct transfer *t, *next;

	if (!f)
		return;
	for (t = f->transfers; t; t = next) {
		next = t->next;
		transfer_unlink(f, t);
		transfer_free(t);
	}
	if (f->multi)
		(void)curl_multi_cleanup(f->multi);
	free(f->user_agent);
	free(f);
	curl_global_cleanup();
}

size_t
fetch_pending(const struct fetch *f)
{
	return f ? f->n_pending : 0;
}

/* Does url start with "scheme://" (scheme in any case)? */
static bool
has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return strncasecmp(url, scheme, n) == 0 &&
	    strncmp(url + n, "://", 3) == 0;
}

/* A header value we may send: no CR, LF or other control characters. */
static bool
header_value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false;
	return true;
}

static int
add_header(struct curl_slist **list, const char *name, const char *value)
{
	_cleanup_free_ char *line = NULL;
	struct curl_slist *l;

	if (!value || !*value || !header_value_ok(value))
		return 0;
	line = xasprintf("%s: %s", name, value);
	l = curl_slist_append(*list, line);
	if (!l)
		return -ENOMEM;
	*list = l;
	return 0;
}

static size_t
write_cb(char *p, size_t size, size_t n, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * n;

	/* libcurl hands us decoded bytes, so the cap is on inflated size. */
	if (buf_add(&t->body, p, len) < 0) {
		t->over_cap = true;
		return 0;	/* CURLE_WRITE_ERROR */
	}
	return len;
}

/* "HTTP/1.1 301 Moved" or "HTTP/2 200" -> 301, 200; -1 when not one. */
static long
parse_status_line(const char *p, size_t len)
{
	size_t i = 5;
	long code = 0;
	unsigned digits = 0;

	while (i < len && p[i] != ' ')
		i++;
	while (i < len && p[i] == ' ')
		i++;
	for (; i < len && p[i] >= '0' && p[i] <= '9' && digits < 3; i++) {
		code = code * 10 + (p[i] - '0');
		digits++;
	}
	return digits == 3 ? code : -1;
}

/*
 * Every header line of every response (redirects included) passes here.
 * We note each response's status for the redirect chain, and refuse a
 * body whose announced length is already over the cap.  The validators
 * themselves are read after the transfer with curl_easy_header().
 */
static size_t
header_cb(char *p, size_t size, size_t n, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * n;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		t->cur_status = parse_status_line(p, len);
		t->cur_length = -1;
		t->cur_encoded = false;
		return len;
	}
	if (len >= 1 && len <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		long st = t->cur_status;

		/* The end of one response's headers. */
		if (st < 200)
			return len;	/* 1xx, or not HTTP at all */
		if (t->n_hops < ELEMENTSOF(t->hop_status))
			t->hop_status[t->n_hops++] = st;
		buf_reset(&t->body);
		if (st < 300 && !t->cur_encoded && t->cur_length >= 0 &&
		    (uint64_t)t->cur_length > t->f->o.max_body_bytes) {
			t->over_cap = true;
			return 0;	/* CURLE_WRITE_ERROR */
		}
		return len;
	}
	if (len > 15 && strncasecmp(p, "Content-Length:", 15) == 0) {
		char tmp[32];
		size_t l = len - 15 < sizeof(tmp) - 1 ? len - 15 :
		    sizeof(tmp) - 1;
		char *end;
		long long v;

		memcpy(tmp, p + 15, l);
		tmp[l] = '\0';
		errno = 0;
		v = strtoll(tmp, &end, 10);
		if (errno == 0 && end != tmp && v >= 0)
			t->cur_length = v;
	} else if (len > 17 && strncasecmp(p, "Content-Encoding:", 17) == 0) {
		const char *v = p + 17;
		const char *e = p + len;

		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		if (v < e && *v != '\r' && *v != '\n' &&
		    !(e - v >= 8 && strncasecmp(v, "identity", 8) == 0))
			t->cur_encoded = true;
	}
	return len;
}

#define SETOPT(e, opt, val) do {					\
	if (curl_easy_setopt((e), (opt), (val)) != CURLE_OK)		\
		goto fail;						\
} while (0)

int
fetch_add(struct fetch *f, const struct fetch_req *req)
{
	struct transfer *t;
	CURL *e;
	bool is_file;
	int r = -EINVAL;

	if (!f || !req || !req->url)
		return -EINVAL;
	is_file = has_scheme(req->url, "file");
	if (!has_scheme(req->url, "http") && !has_scheme(req->url, "https") &&
	    !(is_file && req->allow_file))
		return -EINVAL;
	if (!header_value_ok(req->url))
		return -EINVAL;

	t = xcalloc(1, sizeof(*t));
	t->f = f;
	t->is_file = is_file;
	t->url = xstrdup(req->url);
	t->etag = xstrdup(req->etag);
	t->last_modified = xstrdup(req->last_modified);
	t->req = *req;
	t->req.url = t->url;
	t->req.etag = t->etag;
	t->req.last_modified = t->last_modified;
	t->cur_status = -1;
	t->cur_length = -1;
	buf_init(&t->body, f->o.max_body_bytes);

	t->easy = e = curl_easy_init();
	if (!e) {
		r = -ENOMEM;
		goto fail;
	}
	if (!is_file) {
		if (add_header(&t->headers, "If-None-Match", t->etag) < 0 ||
		    add_header(&t->headers, "If-Modified-Since",
		    t->last_modified) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		t->headers = curl_slist_append(t->headers, FETCH_ACCEPT);
		if (!t->headers) {
			r = -ENOMEM;
			goto fail;
		}
		for (size_t i = 0; req->headers && req->headers[i]; i++) {
			struct curl_slist *l;

			if (!header_value_ok(req->headers[i]) ||
			    !strchr(req->headers[i], ':'))
				continue;
			l = curl_slist_append(t->headers, req->headers[i]);
			if (!l) {
				r = -ENOMEM;
				goto fail;
			}
			t->headers = l;
		}
	}
	t->req.headers = NULL;	/* not kept past fetch_add() */
	t->req.username = t->req.password = NULL;

	SETOPT(e, CURLOPT_URL, t->url);
	SETOPT(e, CURLOPT_PRIVATE, (void *)t);
	SETOPT(e, CURLOPT_ERRORBUFFER, t->errbuf);
	SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	SETOPT(e, CURLOPT_PROTOCOLS_STR, is_file ? "file" : "http,https");
	SETOPT(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SETOPT(e, CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(e, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS);
	SETOPT(e, CURLOPT_CONNECTTIMEOUT, (long)f->o.connect_timeout_sec);
	SETOPT(e, CURLOPT_TIMEOUT, (long)f->o.timeout_sec);
	SETOPT(e, CURLOPT_LOW_SPEED_LIMIT, (long)FETCH_LOW_SPEED_BYTES);
	SETOPT(e, CURLOPT_LOW_SPEED_TIME, (long)FETCH_LOW_SPEED_SEC);
	SETOPT(e, CURLOPT_ACCEPT_ENCODING, "");
	SETOPT(e, CURLOPT_USERAGENT, f->user_agent);
	SETOPT(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	if (t->headers)
		SETOPT(e, CURLOPT_HTTPHEADER, t->headers);
	if (!is_file && req->username) {
		t->username = xstrdup(req->username);
		t->password = xstrdup(req->password ? req->password : "");
		SETOPT(e, CURLOPT_USERNAME, t->username);
		SETOPT(e, CURLOPT_PASSWORD, t->password);
		SETOPT(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC |
		    CURLAUTH_DIGEST);
		/* Credentials go to the feed's host, never a redirect's. */
		SETOPT(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	}
	SETOPT(e, CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(e, CURLOPT_WRITEDATA, (void *)t);
	SETOPT(e, CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(e, CURLOPT_HEADERDATA, (void *)t);

	if (curl_multi_add_handle(f->multi, e) != CURLM_OK) {
		r = -ENOMEM;
		goto fail;
	}
	t->next = f->transfers;
	if (f->transfers)
		f->transfers->prev = t;
	f->transfers = t;
	f->n_pending++;
	log_debug("fetch", "queued %s", t->url);
	return 0;

fail:
	transfer_free(t);
	return r;
}

/* The last response's header name, as sent (trimmed by libcurl), or NULL. */
static const char *
last_header(CURL *e, const char *name, size_t index)
{
	struct curl_header *h;

	if (curl_easy_header(e, name, index, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return h->value;
}

/* Retry-After: delta-seconds or an HTTP date; -1 when neither. */
static long
parse_retry_after(const char *v)
{
	const char *p;
	time_t t, now;

	if (!v)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	for (p = v; *p >= '0' && *p <= '9'; p++)
		;
	if (p != v && (*p == '\0' || *p == ' ' || *p == '\t')) {
		unsigned long long s;

		errno = 0;
		s = strtoull(v, NULL, 10);
		if (errno || s > LONG_MAX)
			return LONG_MAX;
		return (long)s;
	}
	t = curl_getdate(v, NULL);
	if (t == -1)
		return -1;
	now = now_utc();
	return t > now ? (long)(t - now) : 0;
}

/* max-age from every Cache-Control header of the last response; -1. */
static long
parse_max_age(CURL *e)
{
	struct curl_header *h;
	long best = -1;
	size_t i, amount = 1;

	for (i = 0; i < amount; i++) {
		const char *p;

		if (curl_easy_header(e, "Cache-Control", i, CURLH_HEADER, -1,
		    &h) != CURLHE_OK)
			break;
		amount = h->amount;
		for (p = h->value; *p; ) {
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			if (strncasecmp(p, "max-age", 7) == 0) {
				const char *q = p + 7;

				while (*q == ' ')
					q++;
				if (*q == '=') {
					q++;
					while (*q == ' ' || *q == '"')
						q++;
					if (*q >= '0' && *q <= '9') {
						unsigned long long v;

						v = strtoull(q, NULL, 10);
						best = v > LONG_MAX ? LONG_MAX :
						    (long)v;
					}
				}
			}
			while (*p && *p != ',')
				p++;
		}
	}
	return best;
}

/* CURLcode -> -errno, with libcurl's own words in errmsg. */
static int
translate_error(const struct transfer *t, CURLcode rc, char *errmsg)
{
	const char *msg = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
	const char *prefix = "";
	size_t n;
	int r;

	switch (rc) {
	case CURLE_OK:
		return 0;
	case CURLE_WRITE_ERROR:
		if (t->over_cap) {
			(void)snprintf(errmsg, ERRMSG_MAX,
			    "body over %zu bytes", t->f->o.max_body_bytes);
			return -EFBIG;
		}
		r = -EIO;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		r = -ETIMEDOUT;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		prefix = "DNS lookup failed: ";
		r = -EHOSTUNREACH;
		break;
	case CURLE_COULDNT_CONNECT:
		r = -ECONNREFUSED;
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		r = -ELOOP;
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		r = -EPROTONOSUPPORT;
		break;
	case CURLE_URL_MALFORMAT:
		r = -EINVAL;
		break;
	case CURLE_BAD_CONTENT_ENCODING:
		r = -EBADMSG;
		break;
	case CURLE_FILE_COULDNT_READ_FILE:
		r = -ENOENT;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
		r = -EPROTO;
		break;
	case CURLE_OUT_OF_MEMORY:
		r = -ENOMEM;
		break;
	default:
		r = -EIO;
		break;
	}
	(void)snprintf(errmsg, ERRMSG_MAX, "%s", prefix);
	n = strlen(errmsg);
	(void)snprintf(errmsg + n, ERRMSG_MAX - n, "%s", msg);
	return r;
}

/* Was every redirect we followed permanent (301/308)?  false: none. */
static bool
chain_permanent(const struct transfer *t, long n_redirects)
{
	long i;

	if (n_redirects <= 0 || (unsigned long)n_redirects > t->n_hops)
		return false;
	for (i = 0; i < n_redirects; i++)
		if (t->hop_status[i] != 301 && t->hop_status[i] != 308)
			return false;
	return true;
}

static void
finish(struct fetch *f, struct transfer *t, CURLcode rc, fetch_done_fn done,
    void *ctx)
{
	struct fetch_result res;
	char *eff = NULL;
	long n_redirects = 0;

	transfer_unlink(f, t);

	memset(&res, 0, sizeof(res));
	res.retry_after_sec = -1;
	res.max_age_sec = -1;
	res.expires = 0;
	(void)curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &res.status);
	(void)curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME, &res.total_sec);
	(void)curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_COUNT,
	    &n_redirects);
	if (curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &eff) ==
	    CURLE_OK && eff)
		res.effective_url = xstrdup(eff);
	else
		res.effective_url = xstrdup(t->url);

	res.err = translate_error(t, rc, res.errmsg);
	if (t->is_file && res.status == 0 && res.err == 0)
		res.status = 200;
	res.not_modified = res.err == 0 && res.status == 304;
	res.permanent_redirect = chain_permanent(t, n_redirects);
	if (!t->is_file && res.status > 0) {
		res.etag = xstrdup(last_header(t->easy, "ETag", 0));
		res.last_modified = xstrdup(last_header(t->easy,
		    "Last-Modified", 0));
		res.content_type = xstrdup(last_header(t->easy,
		    "Content-Type", 0));
		res.retry_after_sec = parse_retry_after(last_header(t->easy,
		    "Retry-After", 0));
		res.max_age_sec = parse_max_age(t->easy);
		{
			const char *ex = last_header(t->easy, "Expires", 0);
			time_t et = ex ? curl_getdate(ex, NULL) : -1;

			res.expires = et > 0 ? (int64_t)et : 0;
		}
	}
	if (res.err == 0) {
		res.len = t->body.len;
		res.body = buf_steal(&t->body);
	} else {
		/* A cut-off body is no body at all. */
		buf_done(&t->body);
		res.body = xstrdup("");
	}

	log_debug("fetch", "%s: err %d status %ld %zu bytes in %.3fs",
	    t->url, res.err, res.status, res.len, res.total_sec);
	if (done)
		done(&t->req, &res, ctx);

	fetch_result_done(&res);
	transfer_free(t);
}

void
fetch_result_done(struct fetch_result *res)
{
	free(res->body);
	free(res->content_type);
	free(res->etag);
	free(res->last_modified);
	free(res->effective_url);
	res->body = res->content_type = res->etag = res->last_modified =
	    res->effective_url = NULL;
}

void
fetch_result_move(struct fetch_result *dst, struct fetch_result *src)
{
	*dst = *src;
	src->body = src->content_type = src->etag = src->last_modified =
	    src->effective_url = NULL;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Move transfers on; finish those that are done.  Pending, or <0. */
int
fetch_perform(struct fetch *f, fetch_done_fn done, void *ctx)
{
	CURLMsg *msg;
	int running, left;
	int64_t until;

	if (!f)
		return -EINVAL;
	if (curl_multi_perform(f->multi, &running) != CURLM_OK)
		return -EIO;
	until = now_ms() + FETCH_PERFORM_BUDGET_MS;
	f->backlog = false;
	for (;;) {
		CURLcode rc;
		void *priv = NULL;

		if (now_ms() >= until) {
			/* The rest wait in libcurl's queue for next time. */
			f->backlog = true;
			break;
		}
		msg = curl_multi_info_read(f->multi, &left);
		if (!msg)
			break;
		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		(void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    &priv);
		if (priv)
			finish(f, priv, rc, done, ctx);
	}
	return f->n_pending > INT_MAX ? INT_MAX : (int)f->n_pending;
}

int
fetch_wait(struct fetch *f, int fd, int timeout_ms, bool *ret_fd_ready)
{
	struct curl_waitfd w = { .fd = fd, .events = CURL_WAIT_POLLIN };

	if (ret_fd_ready)
		*ret_fd_ready = false;
	if (!f)
		return -EINVAL;
	if (timeout_ms < 0 || f->backlog)
		timeout_ms = 0;
	if (curl_multi_poll(f->multi, fd >= 0 ? &w : NULL, fd >= 0 ? 1 : 0,
	    timeout_ms, NULL) != CURLM_OK)
		return -EIO;
	if (ret_fd_ready && fd >= 0 && (w.revents & CURL_WAIT_POLLIN))
		*ret_fd_ready = true;
	return 0;
}

void
fetch_wakeup(struct fetch *f)
{
	if (f)
		(void)curl_multi_wakeup(f->multi);
}

bool
fetch_has_encoding(const char *name)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	if (strcmp(name, "gzip") == 0 || strcmp(name, "deflate") == 0)
		return (v->features & CURL_VERSION_LIBZ) != 0;
	if (strcmp(name, "br") == 0)
		return (v->features & CURL_VERSION_BROTLI) != 0;
	if (strcmp(name, "zstd") == 0)
		return (v->features & CURL_VERSION_ZSTD) != 0;
	return false;
}

int
fetch_run(struct fetch *f, int timeout_ms, fetch_done_fn done, void *ctx)
{
	int64_t deadline;
	int r;

	if (!f)
		return -EINVAL;
	deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	for (;;) {
		int wait_ms;

		r = fetch_perform(f, done, ctx);
		if (r <= 0)
			return r;
		if (timeout_ms < 0) {
			wait_ms = FETCH_POLL_MAX_MS;
		} else {
			int64_t rest = deadline - now_ms();

			if (rest <= 0)
				return r;
			wait_ms = rest > FETCH_POLL_MAX_MS ? FETCH_POLL_MAX_MS :
			    (int)rest;
		}
		r = fetch_wait(f, -1, wait_ms, NULL);
		if (r < 0)
			return r;
	}
}
