/*
 * test-fetch.c: fetch against tests/integration/hostile-server.py on
 * 127.0.0.1 (started here, stopped by PID): validators, gzip, caps, bombs,
 * timeouts, redirects, Retry-After, schemes, host caps.  No other network.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "tap.h"
#include "util.h"

#define MIB (1024 * 1024)

static pid_t server_pid = -1;
static char base[64];		/* "http://127.0.0.1:PORT" */

/* A copy of one fetch_result, taken in the callback. */
struct got {
	bool done;
	int err;
	char errmsg[ERRMSG_MAX];
	long status;
	bool not_modified;
	char *body;
	size_t len;
	char *content_type;
	char *etag;
	char *last_modified;
	char *effective_url;
	long retry_after_sec;
	long max_age_sec;
	bool permanent_redirect;
	char *req_url;
};

static void
got_done(struct got *g)
{
	free(g->body);
	free(g->content_type);
	free(g->etag);
	free(g->last_modified);
	free(g->effective_url);
	free(g->req_url);
	memset(g, 0, sizeof(*g));
}

static void
on_done(const struct fetch_req *req, struct fetch_result *res,
    void *ctx)
{
	struct got *g = req->userdata;
	unsigned *n_done = ctx;

	g->done = true;
	g->err = res->err;
	memcpy(g->errmsg, res->errmsg, sizeof(g->errmsg));
	g->status = res->status;
	g->not_modified = res->not_modified;
	g->body = xstrdup(res->body);
	g->len = res->len;
	g->content_type = xstrdup(res->content_type);
	g->etag = xstrdup(res->etag);
	g->last_modified = xstrdup(res->last_modified);
	g->effective_url = xstrdup(res->effective_url);
	g->retry_after_sec = res->retry_after_sec;
	g->max_age_sec = res->max_age_sec;
	g->permanent_redirect = res->permanent_redirect;
	g->req_url = xstrdup(req->url);
	if (n_done)
		(*n_done)++;
}

static double
now_sec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * One transfer from start to end.  Returns fetch_add()'s result; g is
 * filled when the transfer ran.
 */
static int
fetch_one_opts(const struct fetch_opts *o, const char *url, const char *etag,
    const char *last_modified, bool allow_file, struct got *g)
{
	struct fetch *f;
	struct fetch_req req = {
		.url = url,
		.etag = etag,
		.last_modified = last_modified,
		.allow_file = allow_file,
		.userdata = g,
	};
	int r;

	memset(g, 0, sizeof(*g));
	r = fetch_new(o, &f);
	if (r < 0)
		return r;
	r = fetch_add(f, &req);
	if (r == 0)
		(void)fetch_run(f, 20000, on_done, NULL);
	fetch_free(f);
	return r;
}

static int
fetch_one(const char *path, const char *etag, const char *last_modified,
    struct got *g)
{
	struct fetch_opts o = { .timeout_sec = 10 };
	_cleanup_free_ char *url = xasprintf("%s%s", base, path);

	return fetch_one_opts(&o, url, etag, last_modified, false, g);
}

static void
start_server(void)
{
	const char *py = getenv("PYTHON3");
	const char *top = getenv("top_srcdir");
	_cleanup_free_ char *script = NULL;
	char line[32] = "";
	struct pollfd pfd;
	int pfds[2];
	FILE *fp;
	size_t n = 0;

	if (!py || !*py)
		py = "python3";
	script = xasprintf("%s/tests/integration/hostile-server.py",
	    top && *top ? top : ".");
	if (pipe(pfds) < 0) {
		printf("Bail out! pipe: %s\n", strerror(errno));
		exit(1);
	}
	server_pid = fork();
	if (server_pid < 0) {
		printf("Bail out! fork: %s\n", strerror(errno));
		exit(1);
	}
	if (server_pid == 0) {
		/* Do not outlive the test, even when it crashes. */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		(void)dup2(pfds[1], STDOUT_FILENO);
		(void)close(pfds[0]);
		(void)close(pfds[1]);
		execlp(py, py, script, "0", (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", py, strerror(errno));
		_exit(127);
	}
	(void)close(pfds[1]);
	fp = fdopen(pfds[0], "r");
	pfd.fd = pfds[0];
	pfd.events = POLLIN;
	if (fp && poll(&pfd, 1, 15000) == 1 && fgets(line, sizeof(line), fp))
		n = strlen(line);
	if (fp)
		(void)fclose(fp);
	if (n < 2 || line[n - 1] != '\n') {
		printf("Bail out! %s did not start (python3: %s)\n", script,
		    py);
		(void)kill(server_pid, SIGTERM);
		(void)waitpid(server_pid, NULL, 0);
		exit(1);
	}
	line[n - 1] = '\0';
	(void)snprintf(base, sizeof(base), "http://127.0.0.1:%s", line);
}

static void
stop_server(void)
{
	int status;

	if (server_pid <= 0)
		return;
	(void)kill(server_pid, SIGTERM);
	(void)waitpid(server_pid, &status, 0);
	server_pid = -1;
}

/* A 127.0.0.1 port nobody listens on (bound, then closed). */
static int
closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd, port = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return port;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	(void)close(fd);
	return port;
}

static void
test_identity(void)
{
	struct got g;

	ok(startswith(fetch_user_agent(), "reewatch/" PACKAGE_VERSION " (+"),
	    "User-Agent names reewatch and its version: %s",
	    fetch_user_agent());
	fetch_one("/ua", NULL, NULL, &g);
	is_str(g.body, fetch_user_agent(), "the server sees our User-Agent");
	got_done(&g);

	fetch_one("/headers", NULL, NULL, &g);
	ok(g.body && strstr(g.body, "Accept: application/rss+xml, "
	    "application/atom+xml") != NULL,
	    "Accept prefers feed types");
	ok(g.body && strstr(g.body, "Accept-Encoding: ") != NULL &&
	    strstr(g.body, "gzip") != NULL, "gzip is offered");
	ok(g.body && strstr(g.body, "If-None-Match") == NULL &&
	    strstr(g.body, "If-Modified-Since") == NULL,
	    "no conditional headers without validators");
	got_done(&g);
}

static void
test_conditional(void)
{
	struct got g;
	_cleanup_free_ char *etag = NULL, *lm = NULL;

	is_int(fetch_one("/feed.xml", NULL, NULL, &g), 0, "feed queued");
	is_int(g.err, 0, "feed fetched");
	is_int(g.status, 200, "feed: 200");
	ok(!g.not_modified, "a 200 is not 'not modified'");
	is_str(g.etag, "\"abc\"", "ETag kept verbatim, quotes included");
	is_str(g.last_modified, "Sunday, 06-Nov-94 08:49:37 GMT",
	    "Last-Modified kept verbatim");
	is_str(g.content_type, "application/rss+xml; charset=utf-8",
	    "Content-Type reported");
	ok(g.body && strstr(g.body, "<rss version=\"2.0\">") != NULL &&
	    g.len == strlen(g.body), "body and length handed back");
	is_int(g.retry_after_sec, -1, "no Retry-After: -1");
	is_int(g.max_age_sec, -1, "no Cache-Control: -1");
	ok(!g.permanent_redirect, "no redirect, nothing permanent");
	ok(g.effective_url && endswith(g.effective_url, "/feed.xml"),
	    "effective URL is the URL itself");
	etag = TAKE_PTR(g.etag);
	lm = TAKE_PTR(g.last_modified);
	got_done(&g);

	fetch_one("/feed.xml", etag, lm, &g);
	is_int(g.err, 0, "conditional GET: no error");
	is_int(g.status, 304, "validators sent back verbatim: 304");
	ok(g.not_modified, "304 reported as not modified");
	is_int(g.len, 0, "304 has no body");
	got_done(&g);

	/* The server compares the RFC 850 date byte for byte. */
	fetch_one("/lm-only", NULL, lm, &g);
	is_int(g.status, 304, "If-Modified-Since alone, verbatim: 304");
	got_done(&g);

	fetch_one("/feed.xml", "\"stale\"", lm, &g);
	is_int(g.status, 200, "a stale ETag gets the feed again");
	ok(!g.not_modified, "...and it is not 'not modified'");
	got_done(&g);

	fetch_one("/feed.xml", "\"abc\"\r\nX-Evil: 1", NULL, &g);
	is_int(g.status, 200, "a validator with CR/LF is not sent");
	got_done(&g);
}

static void
test_encoding(void)
{
	struct got g;
	struct buf want;
	int i;

	buf_init(&want, 0);
	for (i = 0; i < 200; i++)
		(void)buf_adds(&want,
		    "Редкоземельные металлы / 稀土 / rare earths\n");
	fetch_one("/gzip", NULL, NULL, &g);
	is_int(g.err, 0, "gzip body fetched");
	ok(g.body && g.len == want.len && strcmp(g.body, want.data) == 0,
	    "gzip body decoded (%zu bytes, want %zu)", g.len, want.len);
	got_done(&g);
	buf_done(&want);

	fetch_one("/badgzip", NULL, NULL, &g);
	is_int(g.err, -EBADMSG, "broken gzip: -EBADMSG");
	ok(g.errmsg[0] != '\0', "broken gzip: curl's words kept: %s",
	    g.errmsg);
	got_done(&g);
}

static long
maxrss_kib(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return ru.ru_maxrss;
}

static void
test_caps(void)
{
	struct fetch_opts o = { .timeout_sec = 10, .max_body_bytes = MIB };
	_cleanup_free_ char *u1 = xasprintf("%s/big", base);
	_cleanup_free_ char *u2 = xasprintf("%s/big?cl=0", base);
	_cleanup_free_ char *u3 = xasprintf("%s/big?len=%d&cl=0", base, MIB);
	_cleanup_free_ char *u4 = xasprintf("%s/bomb", base);
	_cleanup_free_ char *u5 = xasprintf("%s/slow", base);
	struct got g;
	long rss0;
	double t0;

	fetch_one_opts(&o, u1, NULL, NULL, false, &g);
	is_int(g.err, -EFBIG, "4 MiB body with Content-Length, 1 MiB cap: "
	    "-EFBIG");
	is_str(g.errmsg, "body over 1048576 bytes", "cap named in errmsg");
	is_int(g.len, 0, "no partial body handed back");
	got_done(&g);

	fetch_one_opts(&o, u2, NULL, NULL, false, &g);
	is_int(g.err, -EFBIG, "4 MiB streamed without length: -EFBIG");
	got_done(&g);

	fetch_one_opts(&o, u3, NULL, NULL, false, &g);
	is_int(g.err, 0, "a body exactly at the cap is fine");
	is_int(g.len, MIB, "...and complete");
	got_done(&g);

	o.max_body_bytes = 16 * MIB;
	rss0 = maxrss_kib();
	t0 = now_sec();
	fetch_one_opts(&o, u4, NULL, NULL, false, &g);
	is_int(g.err, -EFBIG, "gzip bomb (1 GiB inflated): -EFBIG");
	ok(now_sec() - t0 < 10, "bomb stopped quickly (%.1fs)",
	    now_sec() - t0);
	ok(maxrss_kib() - rss0 < 200 * 1024,
	    "bomb did not inflate in memory (peak RSS +%ld KiB)",
	    maxrss_kib() - rss0);
	got_done(&g);

	o.timeout_sec = 2;
	t0 = now_sec();
	fetch_one_opts(&o, u5, NULL, NULL, false, &g);
	is_int(g.err, -ETIMEDOUT, "1 byte/s with a 2 s timeout: -ETIMEDOUT");
	ok(now_sec() - t0 < 5, "timed out on time (%.1fs)", now_sec() - t0);
	ok(g.errmsg[0] != '\0', "timeout has a message: %s", g.errmsg);
	got_done(&g);
}

static void
test_redirects(void)
{
	struct got g;

	fetch_one("/loop", NULL, NULL, &g);
	is_int(g.err, -ELOOP, "redirect loop: -ELOOP");
	got_done(&g);

	fetch_one("/tofile", NULL, NULL, &g);
	is_int(g.err, -EPROTONOSUPPORT, "redirect to file://: refused");
	ok(g.body && strstr(g.body, "root:") == NULL,
	    "no local file leaked through a redirect");
	got_done(&g);

	fetch_one("/perm", NULL, NULL, &g);
	is_int(g.status, 200, "301 followed");
	ok(g.permanent_redirect, "301: permanent");
	ok(g.effective_url && endswith(g.effective_url, "/feed.xml"),
	    "301: effective URL is the target: %s", g.effective_url);
	is_str(g.etag, "\"abc\"", "validators from the final response");
	got_done(&g);

	fetch_one("/perm308", NULL, NULL, &g);
	ok(g.permanent_redirect && g.status == 200,
	    "308 then 301: permanent");
	got_done(&g);

	fetch_one("/temp", NULL, NULL, &g);
	is_int(g.status, 200, "302 followed");
	ok(!g.permanent_redirect, "302: not permanent");
	ok(g.effective_url && endswith(g.effective_url, "/feed.xml"),
	    "302: effective URL is the target");
	got_done(&g);

	fetch_one("/temp2perm", NULL, NULL, &g);
	ok(!g.permanent_redirect && g.status == 200,
	    "302 then 301: not permanent");
	got_done(&g);

	fetch_one("/perm2temp", NULL, NULL, &g);
	ok(!g.permanent_redirect && g.status == 200,
	    "301 then 302: the final URL is not permanent");
	got_done(&g);
}

static void
test_statuses(void)
{
	struct got g;

	fetch_one("/retry", NULL, NULL, &g);
	is_int(g.err, 0, "429 is not a transfer error");
	is_int(g.status, 429, "429 reported");
	is_int(g.retry_after_sec, 120, "Retry-After: 120");
	got_done(&g);

	fetch_one("/retrydate", NULL, NULL, &g);
	is_int(g.status, 503, "503 reported");
	ok(g.retry_after_sec >= 3590 && g.retry_after_sec <= 3600,
	    "Retry-After as an HTTP date: %ld s", g.retry_after_sec);
	got_done(&g);

	fetch_one("/cache", NULL, NULL, &g);
	is_int(g.max_age_sec, 900, "Cache-Control max-age=900");
	got_done(&g);

	fetch_one("/500", NULL, NULL, &g);
	is_int(g.err, 0, "500: no transfer error");
	is_int(g.status, 500, "500 reported");
	got_done(&g);

	fetch_one("/nowhere", NULL, NULL, &g);
	is_int(g.status, 404, "404 reported");
	got_done(&g);
}

static void
test_schemes(void)
{
	struct fetch_opts o = { 0 };
	struct fetch *f = NULL;
	struct fetch_req req = { 0 };
	char path[] = "/tmp/test-fetch-XXXXXX";
	_cleanup_free_ char *url = NULL, *missing = NULL;
	const char *feed = "<rss version=\"2.0\"><channel/></rss>\n";
	struct got g;
	int fd;

	fd = mkstemp(path);
	ok(fd >= 0, "temporary feed file");
	if (fd >= 0) {
		ok(write(fd, feed, strlen(feed)) == (ssize_t)strlen(feed),
		    "feed file written");
		(void)close(fd);
	}
	url = xasprintf("file://%s", path);
	missing = xasprintf("file://%s.missing", path);

	is_int(fetch_one_opts(&o, url, NULL, NULL, true, &g), 0,
	    "file:// accepted for a file feed");
	is_int(g.err, 0, "file:// read");
	is_int(g.status, 200, "file:// reports 200");
	is_str(g.body, feed, "file:// body");
	got_done(&g);

	fetch_one_opts(&o, missing, NULL, NULL, true, &g);
	is_int(g.err, -ENOENT, "missing file: -ENOENT");
	got_done(&g);
	(void)unlink(path);

	is_int(fetch_new(&o, &f), 0, "fetch_new with defaults");
	req.url = url;
	is_int(fetch_add(f, &req), -EINVAL, "file:// refused for web feeds");
	req.url = "ftp://127.0.0.1/feed.xml";
	is_int(fetch_add(f, &req), -EINVAL, "ftp:// refused");
	req.allow_file = true;
	req.url = "gopher://127.0.0.1/feed.xml";
	is_int(fetch_add(f, &req), -EINVAL, "gopher:// refused, even for "
	    "file feeds");
	req.url = "127.0.0.1/feed.xml";
	is_int(fetch_add(f, &req), -EINVAL, "no scheme refused");
	is_int(fetch_pending(f), 0, "nothing queued by refused URLs");
	fetch_free(f);
}

static void
test_network_errors(void)
{
	struct fetch_opts o = { .timeout_sec = 10 };
	_cleanup_free_ char *refused = xasprintf("http://127.0.0.1:%d/",
	    closed_port());
	struct got g;

	fetch_one_opts(&o, "http://nonexistent.invalid/", NULL, NULL, false,
	    &g);
	ok(g.done && g.err < 0, "unresolvable host fails (%d)", g.err);
	ok(strstr(g.errmsg, "DNS") != NULL, "...and says DNS: %s", g.errmsg);
	got_done(&g);

	fetch_one_opts(&o, refused, NULL, NULL, false, &g);
	is_int(g.err, -ECONNREFUSED, "closed port: -ECONNREFUSED");
	ok(g.errmsg[0] != '\0', "...with curl's words: %s", g.errmsg);
	got_done(&g);
}

/* Queues a second transfer from inside the first one's callback. */
static void
on_done_chain(const struct fetch_req *req, struct fetch_result *res,
    void *ctx)
{
	struct fetch *f = ctx;
	struct got *g = req->userdata;
	struct fetch_req next = { .url = NULL, .userdata = g + 1 };
	_cleanup_free_ char *url = xasprintf("%s/cache", base);

	on_done(req, res, NULL);
	if (strstr(req->url, "/cache") != NULL)
		return;		/* the second one */
	next.url = url;
	(void)fetch_add(f, &next);
}

static void
test_concurrency(void)
{
	struct fetch_opts o = { .timeout_sec = 10, .max_per_host = 2 };
	struct got g[10], chain[2];
	struct fetch *f;
	_cleanup_free_ char *url = xasprintf("%s/sleepy?ms=300", base);
	unsigned i, n_done = 0, n_ok = 0, n_mine = 0;
	int r;
	double t0;
	struct got peak;

	memset(g, 0, sizeof(g));
	is_int(fetch_new(&o, &f), 0, "fetch_new");
	for (i = 0; i < ELEMENTSOF(g); i++) {
		struct fetch_req req = { .url = url, .userdata = &g[i] };

		r = fetch_add(f, &req);
		if (r < 0)
			break;
	}
	is_int(fetch_pending(f), 10, "10 transfers queued");
	t0 = now_sec();
	r = fetch_run(f, 0, on_done, &n_done);
	ok(r > 0 && now_sec() - t0 < 0.25,
	    "fetch_run(0) returns at once with work pending (%d)", r);
	r = fetch_run(f, 15000, on_done, &n_done);
	is_int(r, 0, "all transfers finished");
	is_int(n_done, 10, "10 callbacks");
	for (i = 0; i < ELEMENTSOF(g); i++) {
		n_ok += g[i].done && g[i].err == 0 && g[i].status == 200;
		n_mine += g[i].req_url && strcmp(g[i].req_url, url) == 0;
	}
	is_int(n_ok, 10, "10 feeds fetched");
	is_int(n_mine, 10, "each callback got its own request back");
	for (i = 0; i < ELEMENTSOF(g); i++)
		got_done(&g[i]);

	fetch_one("/peak", NULL, NULL, &peak);
	is_str(peak.body, "2", "never more than 2 connections to one host");
	got_done(&peak);

	/* A callback may queue more work. */
	memset(chain, 0, sizeof(chain));
	{
		_cleanup_free_ char *u = xasprintf("%s/feed.xml", base);
		struct fetch_req req = { .url = u, .userdata = &chain[0] };

		(void)fetch_add(f, &req);
		r = fetch_run(f, 15000, on_done_chain, f);
	}
	ok(r == 0 && chain[0].status == 200 && chain[1].max_age_sec == 900,
	    "a transfer queued from a callback runs in the same fetch_run");
	got_done(&chain[0]);
	got_done(&chain[1]);
	fetch_free(f);

	/* Freeing with work in flight: no callback, nothing leaked. */
	memset(g, 0, sizeof(g));
	is_int(fetch_new(&o, &f), 0, "fetch_new");
	{
		_cleanup_free_ char *u = xasprintf("%s/slow", base);
		struct fetch_req req = { .url = u, .userdata = &g[0] };

		(void)fetch_add(f, &req);
		r = fetch_run(f, 200, on_done, &n_done);
	}
	is_int(r, 1, "a slow transfer is still pending after 200 ms");
	fetch_free(f);
	ok(!g[0].done, "fetch_free drops it without a callback");
}

int
main(void)
{
	static const char *const proxies[] = {
		"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
		"all_proxy", "ALL_PROXY",
	};
	size_t i;

	/* Loopback and a failing DNS lookup only, never through a proxy. */
	for (i = 0; i < ELEMENTSOF(proxies); i++)
		(void)unsetenv(proxies[i]);
	(void)signal(SIGPIPE, SIG_IGN);

	start_server();
	test_identity();
	test_conditional();
	test_encoding();
	test_caps();
	test_redirects();
	test_statuses();
	test_schemes();
	test_network_errors();
	test_concurrency();
	stop_server();
	return tap_done();
}
