/*
 * mail.c: e-mail (see mail.h).  SMTP through libcurl's MIME API (the
 * message's root is multipart/alternative: text, then HTML); a sendmail
 * program gets the same structure, built here, on its stdin.  Must not
 * log; touches the network (SMTP), a child process (sendmail) and the
 * password file.
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mail.h"
#include "util.h"

#define BASE64_RAW_PER_WORD	42	/* bytes in one encoded-word */
#define BODY_LINE_CHARS		76	/* base64 body lines */
#define SENDMAIL_ERR_MAX	512

bool
mail_configured(const struct config *c)
{
	return (c->mail_smtp_url || c->mail_sendmail) && c->mail_from &&
	    c->mail_to && c->mail_to[0];
}

char *
mail_transport(const struct config *c)
{
	if (c->mail_sendmail)
		return xasprintf("sendmail: %s", c->mail_sendmail);
	if (c->mail_smtp_url)
		return xasprintf("%s%s%s", c->mail_smtp_url,
		    c->mail_starttls ? " (STARTTLS required)" : "",
		    c->mail_user ? " with AUTH" : "");
	return xstrdup("none");
}

char *
mail_base64(const void *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = p;
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = tab[s[i] >> 2];
		*o++ = tab[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = tab[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		*o++ = tab[s[i + 2] & 63];
	}
	if (i < n) {
		*o++ = tab[s[i] >> 2];
		if (i + 1 < n) {
			*o++ = tab[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
			*o++ = tab[(s[i + 1] & 15) << 2];
		} else {
			*o++ = tab[(s[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

char *
mail_header_text(const char *s)
{
	char *t = xstrdup(s ? s : "");
	unsigned char *p;

	for (p = (unsigned char *)t; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (!utf8_valid(t, strlen(t)))
		for (p = (unsigned char *)t; *p; p++)
			if (*p >= 0x80)
				*p = '?';
	return strstrip(t);
}

static bool
plain_ascii(const char *s, size_t max_line)
{
	const unsigned char *p;

	if (strlen(s) > max_line || strstr(s, "=?"))
		return false;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80)
			return false;
	return true;
}

char *
mail_header_encoded(const char *name, const char *value)
{
	_cleanup_free_ char *v = mail_header_text(value);
	size_t n = strlen(v), i = 0, len;
	struct buf b;

	buf_init(&b, 0);
	(void)buf_printf(&b, "%s: ", name);
	if (plain_ascii(v, 78 - b.len)) {
		(void)buf_adds(&b, v);
		return buf_steal(&b);
	}
	/* encoded-words of whole UTF-8 characters, one per line */
	while (i < n) {
		_cleanup_free_ char *w = NULL;

		len = n - i < BASE64_RAW_PER_WORD ? n - i : BASE64_RAW_PER_WORD;
		while (len > 1 && i + len < n &&
		    ((unsigned char)v[i + len] & 0xc0) == 0x80)
			len--;
		w = mail_base64(v + i, len);
		(void)buf_printf(&b, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", w);
		i += len;
	}
	return buf_steal(&b);
}

char *
mail_date(int64_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		return xstrdup("Thu, 01 Jan 1970 00:00:00 +0000");
	return xasprintf("%s, %02d %s %d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The address in "Name <a@b>" or "a@b", malloc'd, without brackets. */
static char *
addr_spec(const char *s)
{
	const char *lt = strrchr(s, '<'), *gt;
	_cleanup_free_ char *t = NULL;

	if (lt && (gt = strchr(lt, '>')) != NULL)
		t = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	else
		t = xstrdup(s);
	return mail_header_text(t);
}

char *
mail_message_id(const struct config *c, const char *key)
{
	_cleanup_free_ char *from = c->mail_from ? addr_spec(c->mail_from) :
	    NULL;
	_cleanup_free_ char *k = mail_header_text(key);
	const char *at = from ? strrchr(from, '@') : NULL;
	struct buf dom, kb;
	const char *p;
	uint64_t h;

	buf_init(&dom, 256);
	for (p = at ? at + 1 : ""; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-')
			(void)buf_addc(&dom, *p);
	if (dom.len == 0)
		(void)buf_adds(&dom, "reewatch.invalid");
	buf_init(&kb, 256);
	for (p = k; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-')
			(void)buf_addc(&kb, *p);
	h = hash64(k, strlen(k), 0);
	{
		char *id = xasprintf("<%s.%016llx@%s>", kb.data ? kb.data :
		    "reewatch", (unsigned long long)h, dom.data);

		buf_done(&dom);
		buf_done(&kb);
		return id;
	}
}

int
mail_password(const struct config *c, char **ret, char errbuf[ERRMSG_MAX])
{
	_cleanup_free_ char *cred = NULL;
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	const char *path = c->mail_password_file;
	char *data = NULL;
	size_t len;
	int r;

	*ret = NULL;
	if (!path && dir && *dir) {
		cred = xasprintf("%s/%s", dir, MAIL_CREDENTIAL_NAME);
		if (access(cred, F_OK) != 0)
			return 0;
		path = cred;
	}
	if (!path)
		return 0;
	r = read_file(path, MAIL_PASSWORD_MAX, &data, &len);
	if (r < 0) {
		(void)snprintf(errbuf, ERRMSG_MAX, "cannot read the password "
		    "(%s): %s", path, strerror(-r));
		return r;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	*ret = data;
	return 0;
}

static void
add_headers(struct buf *b, const struct config *c, const struct mail_msg *m)
{
	_cleanup_free_ char *from = mail_header_text(c->mail_from);
	_cleanup_free_ char *subj = mail_header_encoded("Subject",
	    m->subject);
	_cleanup_free_ char *date = mail_date(m->date);
	_cleanup_free_ char *id = mail_message_id(c, m->id_key);
	size_t i;

	(void)buf_printf(b, "Date: %s\r\nFrom: %s\r\nTo: ", date, from);
	for (i = 0; c->mail_to && c->mail_to[i]; i++) {
		_cleanup_free_ char *to = mail_header_text(c->mail_to[i]);

		(void)buf_printf(b, "%s%s", i ? ",\r\n " : "", to);
	}
	(void)buf_printf(b, "\r\n%s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n",
	    subj, id);
}

static void
add_base64_body(struct buf *b, const char *s)
{
	_cleanup_free_ char *e = mail_base64(s, strlen(s));
	size_t n = strlen(e), i;

	for (i = 0; i < n; i += BODY_LINE_CHARS)
		(void)buf_printf(b, "%.*s\r\n", (int)(n - i < BODY_LINE_CHARS ?
		    n - i : BODY_LINE_CHARS), e + i);
}

char *
mail_format(const struct config *c, const struct mail_msg *m)
{
	_cleanup_free_ char *boundary = xasprintf("=_reewatch_%016llx",
	    (unsigned long long)hash64(m->text, strlen(m->text),
	    (uint64_t)m->date));
	struct buf b;

	buf_init(&b, 0);
	add_headers(&b, c, m);
	if (!m->html) {
		(void)buf_adds(&b, "Content-Type: text/plain; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n");
		add_base64_body(&b, m->text);
		return buf_steal(&b);
	}
	(void)buf_printf(&b, "Content-Type: multipart/alternative; "
	    "boundary=\"%s\"\r\n\r\nThis is a MIME message.\r\n", boundary);
	(void)buf_printf(&b, "--%s\r\nContent-Type: text/plain; charset=UTF-8"
	    "\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary);
	add_base64_body(&b, m->text);
	(void)buf_printf(&b, "--%s\r\nContent-Type: text/html; charset=UTF-8"
	    "\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary);
	add_base64_body(&b, m->html);
	(void)buf_printf(&b, "--%s--\r\n", boundary);
	return buf_steal(&b);
}

/* ---- sendmail ---- */

static int
send_sendmail(const struct config *c, const struct mail_msg *m,
    char errbuf[ERRMSG_MAX])
{
	_cleanup_free_ char *msg = mail_format(c, m);
	char **argv = strv_split(c->mail_sendmail, " ");
	char err[SENDMAIL_ERR_MAX];
	int in[2] = { -1, -1 }, er[2] = { -1, -1 };
	size_t off = 0, len, n_err = 0;
	ssize_t k;
	pid_t pid;
	int status, r = 0;
	char *p;

	if (!argv || !argv[0]) {
		strv_free(argv);
		(void)snprintf(errbuf, ERRMSG_MAX, "[mail] sendmail is empty");
		return -EINVAL;
	}
	/* a socket for stdin: a sendmail that exits early is EPIPE, not
	 * SIGPIPE (MSG_NOSIGNAL) */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
	    pipe2(er, O_CLOEXEC) < 0) {
		r = -errno;
		(void)snprintf(errbuf, ERRMSG_MAX, "sendmail: %s",
		    strerror(-r));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		(void)snprintf(errbuf, ERRMSG_MAX, "sendmail: fork: %s",
		    strerror(-r));
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (dup2(in[1], 0) < 0 || dup2(er[1], 2) < 0 ||
		    (devnull >= 0 && dup2(devnull, 1) < 0))
			_exit(127);
		execv(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	(void)close(in[1]);
	(void)close(er[1]);
	in[1] = er[1] = -1;
	len = strlen(msg);
	/* sendmail reads lines ending in LF */
	for (p = msg; (p = strstr(p, "\r\n")) != NULL;) {
		memmove(p, p + 1, strlen(p + 1) + 1);
		len--;
	}
	while (off < len) {
		k = send(in[0], msg + off, len - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	(void)close(in[0]);
	in[0] = -1;
	while (n_err < sizeof(err) - 1 &&
	    (k = read(er[0], err + n_err, sizeof(err) - 1 - n_err)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		n_err += (size_t)k;
	}
	err[n_err] = '\0';
	err[strcspn(err, "\n")] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(void)snprintf(errbuf, ERRMSG_MAX,
		    "sendmail %.60s %s %d%s%.120s",
		    argv[0], status != -1 && WIFSIGNALED(status) ?
		    "killed by signal" : "exited with status", status != -1 &&
		    WIFSIGNALED(status) ? WTERMSIG(status) : status == -1 ?
		    -1 : WEXITSTATUS(status), err[0] ? ": " : "", err);
		r = -EIO;
	} else if (off < len) {
		(void)snprintf(errbuf, ERRMSG_MAX,
		    "sendmail %.60s did not read the whole message", argv[0]);
		r = -EIO;
	}
out:
	if (in[0] >= 0)
		(void)close(in[0]);
	if (in[1] >= 0)
		(void)close(in[1]);
	if (er[0] >= 0)
		(void)close(er[0]);
	if (er[1] >= 0)
		(void)close(er[1]);
	strv_free(argv);
	return r;
}

/* ---- SMTP (libcurl) ---- */

static int
curl_error(CURL *h, CURLcode rc, const char *detail, char errbuf[ERRMSG_MAX])
{
	long code = 0;
	const char *msg = *detail ? detail : curl_easy_strerror(rc);

	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code)
		(void)snprintf(errbuf, ERRMSG_MAX, "SMTP: %s (SMTP response "
		    "%ld)", msg, code);
	else
		(void)snprintf(errbuf, ERRMSG_MAX, "SMTP: %s", msg);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_LOGIN_DENIED:
		return -EACCES;
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
		return -EPROTO;
	default:
		return -EIO;
	}
}

static int
send_smtp(const struct config *c, const struct mail_msg *m,
    char errbuf[ERRMSG_MAX])
{
	char detail[CURL_ERROR_SIZE] = "";
	_cleanup_free_ char *from = addr_spec(c->mail_from);
	_cleanup_free_ char *mail_from = xasprintf("<%s>", from);
	_cleanup_free_ char *password = NULL;
	struct curl_slist *rcpt = NULL, *hdr = NULL;
	curl_mime *mime = NULL;
	curl_mimepart *part;
	struct buf hb;
	char *line, *next;
	CURLcode rc;
	CURL *h;
	size_t i;
	int r;

	r = mail_password(c, &password, errbuf);
	if (r < 0)
		return r;
	if (c->mail_user && !password) {
		(void)snprintf(errbuf, ERRMSG_MAX, "[mail] user is set but "
		    "there is no password (password_file, or the credential "
		    "%s)", MAIL_CREDENTIAL_NAME);
		return -EINVAL;
	}
	h = curl_easy_init();
	if (!h) {
		(void)snprintf(errbuf, ERRMSG_MAX,
		    "SMTP: curl_easy_init failed");
		return -ENOMEM;
	}
	for (i = 0; c->mail_to[i]; i++) {
		_cleanup_free_ char *a = addr_spec(c->mail_to[i]);
		_cleanup_free_ char *s = xasprintf("<%s>", a);

		rcpt = curl_slist_append(rcpt, s);
	}
	/* the header fields, one slist item each (folds stay inside) */
	buf_init(&hb, 0);
	add_headers(&hb, c, m);
	for (line = hb.data; line && *line; line = next) {
		next = strstr(line, "\r\n");
		while (next && (next[2] == ' ' || next[2] == '\t'))
			next = strstr(next + 2, "\r\n");
		if (!next)
			break;
		*next = '\0';
		if (strncasecmp(line, "MIME-Version:", 13) != 0)
			hdr = curl_slist_append(hdr, line);
		next += 2;
	}
	buf_done(&hb);

	/*
	 * The message itself is multipart/alternative: the parts sit at the
	 * top of the MIME tree, and a Content-Type among the header fields
	 * names the root's type (curl adds the boundary).
	 */
	hdr = curl_slist_append(hdr, "Content-Type: multipart/alternative");
	mime = curl_mime_init(h);
	part = curl_mime_addpart(mime);
	(void)curl_mime_data(part, m->text, CURL_ZERO_TERMINATED);
	(void)curl_mime_type(part, "text/plain; charset=UTF-8");
	(void)curl_mime_encoder(part, "base64");
	if (m->html) {
		part = curl_mime_addpart(mime);
		(void)curl_mime_data(part, m->html, CURL_ZERO_TERMINATED);
		(void)curl_mime_type(part, "text/html; charset=UTF-8");
		(void)curl_mime_encoder(part, "base64");
	}

	(void)curl_easy_setopt(h, CURLOPT_URL, c->mail_smtp_url);
	(void)curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	(void)curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
	(void)curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
	    (long)c->connect_timeout_sec);
	(void)curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)c->timeout_sec);
	if (c->mail_starttls)
		(void)curl_easy_setopt(h, CURLOPT_USE_SSL,
		    (long)CURLUSESSL_ALL);
	/* A server with its own or an internal CA: trust exactly that. */
	if (c->mail_ca_file)
		(void)curl_easy_setopt(h, CURLOPT_CAINFO, c->mail_ca_file);
	if (c->mail_user) {
		(void)curl_easy_setopt(h, CURLOPT_USERNAME, c->mail_user);
		(void)curl_easy_setopt(h, CURLOPT_PASSWORD, password);
	}
	(void)curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from);
	(void)curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	(void)curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	(void)curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
	rc = curl_easy_perform(h);
	r = rc == CURLE_OK ? 0 : curl_error(h, rc, detail, errbuf);
	curl_easy_cleanup(h);
	curl_mime_free(mime);
	curl_slist_free_all(rcpt);
	curl_slist_free_all(hdr);
	if (password)
		explicit_bzero(password, strlen(password));
	return r;
}

int
mail_send(const struct config *c, const struct mail_msg *m,
    char errbuf[ERRMSG_MAX])
{
	if (!mail_configured(c)) {
		(void)snprintf(errbuf, ERRMSG_MAX, "no [mail] smtp_url or "
		    "sendmail (with from and to) is configured");
		return -EINVAL;
	}
	if (c->mail_sendmail)
		return send_sendmail(c, m, errbuf);
	return send_smtp(c, m, errbuf);
}
