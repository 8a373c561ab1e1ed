/*
 * test-mail.c: the message mail.c builds: RFC 2047 subjects (Cyrillic,
 * Chinese) folded within the line limits and decoding back to the text,
 * no CR or LF from feed text in any header, an RFC 5322 Date, a stable
 * Message-ID, the MIME structure, the password from a file or a systemd
 * credential.  No network; files under /tmp.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "mail.h"
#include "tap.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-mail.XXXXXX";

static int
b64val(char c)
{
	const char *tab =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(tab, c);

	return c && p ? (int)(p - tab) : -1;
}

/* Decode a folded header value of B encoded-words back to UTF-8. */
static char *
decode_words(const char *v, bool *ret_ok)
{
	struct buf b;
	const char *p = v;

	buf_init(&b, 0);
	*ret_ok = true;
	while (*p) {
		const char *e;
		unsigned acc = 0;
		int bits = 0, x;

		while (*p == ' ' || *p == '\r' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (!startswith(p, "=?UTF-8?B?") ||
		    (e = strstr(p + 10, "?=")) == NULL) {
			*ret_ok = false;
			break;
		}
		if (e + 2 - p > 75)
			*ret_ok = false;
		for (p += 10; p < e; p++) {
			if (*p == '=')
				continue;
			x = b64val(*p);
			if (x < 0) {
				*ret_ok = false;
				break;
			}
			acc = (acc << 6) | (unsigned)x;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				(void)buf_addc(&b,
				    (char)((acc >> bits) & 0xff));
			}
		}
		p = e + 2;
	}
	return buf_steal(&b);
}

static bool
lines_within(const char *s, size_t max)
{
	const char *p = s, *e;

	for (;;) {
		e = strstr(p, "\r\n");
		if ((e ? (size_t)(e - p) : strlen(p)) > max)
			return false;
		if (!e)
			return true;
		p = e + 2;
	}
}

static void
test_subjects(void)
{
	static const char *const texts[] = {
		"Росатом и редкоземельные металлы: новый завод в Долине "
		    "Менделеева открылся сегодня",
		"中国稀土集团与北方稀土签署战略合作协议，推动稀土产业高质量发展",
		"Mixed: Lynas «Долина» 稀土 ok",
	};
	size_t i;
	char *h, *dec;
	bool good;

	for (i = 0; i < ELEMENTSOF(texts); i++) {
		h = mail_header_encoded("Subject", texts[i]);
		ok(startswith(h, "Subject: =?UTF-8?B?"), "B-encoded: %.40s", h);
		ok(lines_within(h, 78), "folded: no line over 78 octets");
		ok(strstr(h, "\r\n") == NULL || strstr(h, "\r\n =?UTF-8?B?"),
		    "folds are CRLF SP before an encoded-word");
		dec = decode_words(h + 9, &good);
		ok(good, "every encoded-word is well-formed and at most 75");
		is_str(dec, texts[i], "decodes back to the text");
		free(dec);
		free(h);
	}
	h = mail_header_encoded("Subject", "reewatch: test message");
	is_str(h, "Subject: reewatch: test message", "plain ASCII stays "
	    "plain");
	free(h);
	h = mail_header_encoded("Subject", "Lynas\r\nBcc: victim@evil.test");
	ok(strchr(h, '\n') == NULL && strchr(h, '\r') == NULL,
	    "CR LF in feed text never reach the header");
	is_str(h, "Subject: Lynas  Bcc: victim@evil.test", "they become "
	    "spaces");
	free(h);
	h = mail_header_encoded("Subject", "=?UTF-8?B?Ym9vbQ==?= fake");
	ok(startswith(h, "Subject: =?UTF-8?B?") && strstr(h, "Ym9vbQ") ==
	    NULL, "text that looks like an encoded-word is encoded");
	free(h);
	h = mail_header_text("a\tb\x01\x7f" "c\n");
	is_str(h, "a b  c", "controls become spaces, trimmed");
	free(h);
	h = mail_header_encoded("Subject", "Росатом\r\n\r\nX: y");
	dec = decode_words(h + 9, &good);
	ok(good && strchr(dec, '\n') == NULL, "CR LF in non-ASCII text: "
	    "gone before encoding");
	free(dec);
	free(h);
}

static void
test_message(void)
{
	struct config *c = conf_new_default();
	struct mail_msg m = {
		.subject = "Долина Менделеева\nBcc: x@evil.test",
		.text = "plain text body\n",
		.html = "<p>html body</p>\n",
		.date = INT64_C(1795791600),
		.id_key = "digest-100-200",
	};
	char *s, *id1, *id2, *dec;
	bool good;

	c->mail_from = xstrdup("reewatch <alerts@Example.test>");
	c->mail_to = strv_split("a@example.test, b@example.test", ",");
	s = mail_date(m.date);
	is_str(s, "Fri, 27 Nov 2026 15:00:00 +0000", "RFC 5322 date");
	free(s);
	id1 = mail_message_id(c, "digest-100-200");
	id2 = mail_message_id(c, "digest-100-200");
	is_str(id1, id2, "the Message-ID is stable for a digest");
	ok(startswith(id1, "<digest-100-200.") && endswith(id1,
	    "@Example.test>"), "from the key and the from-domain: %s", id1);
	free(id2);
	id2 = mail_message_id(c, "digest-100-300");
	ok(strcmp(id1, id2) != 0, "another period, another Message-ID");
	free(id1);
	free(id2);

	s = mail_format(c, &m);
	ok(strstr(s, "\r\nContent-Type: multipart/alternative; boundary=\"")
	    != NULL, "multipart/alternative");
	ok(strstr(s, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64") &&
	    strstr(s, "Content-Type: text/html; charset=UTF-8"),
	    "text and html parts");
	ok(strstr(s, "\r\nTo: a@example.test,\r\n b@example.test\r\n") !=
	    NULL, "To: every recipient");
	ok(strstr(s, "\r\nMIME-Version: 1.0\r\n") != NULL, "MIME-Version");
	ok(strstr(s, "\nBcc:") == NULL, "no Bcc header from the subject");
	{
		const char *p = strstr(s, "Subject: "), *e;
		char *v;

		e = p ? strstr(p, "\r\nMessage-ID") : NULL;
		v = p && e ? xstrndup(p + 9, (size_t)(e - p - 9)) : xstrdup("");
		dec = decode_words(v, &good);
		ok(good && strcmp(dec, "Долина Менделеева Bcc: x@evil.test") ==
		    0, "the subject decodes, LF made a space: %s", dec);
		free(dec);
		free(v);
	}
	free(s);
	m.html = NULL;
	s = mail_format(c, &m);
	ok(strstr(s, "multipart") == NULL && strstr(s, "Content-Type: "
	    "text/plain; charset=UTF-8"), "text only without html");
	free(s);
	is_int(mail_configured(c), 0, "no smtp_url nor sendmail: not "
	    "configured");
	c->mail_smtp_url = xstrdup("smtp://127.0.0.1:1");
	is_int(mail_configured(c), 1, "smtp_url, from, to: configured");
	s = mail_transport(c);
	is_str(s, "smtp://127.0.0.1:1", "transport named");
	free(s);
	conf_free(c);
}

static void
test_password(void)
{
	struct config *c = conf_new_default();
	char errbuf[ERRMSG_MAX] = "";
	char *pw = NULL, *p;
	FILE *f;

	(void)unsetenv("CREDENTIALS_DIRECTORY");
	ok(mail_password(c, &pw, errbuf) == 0 && pw == NULL,
	    "no file, no credential: no password");
	p = xasprintf("%s/smtp-password", tmpdir);
	f = fopen(p, "w");
	fputs("cred-secret\n", f);
	fclose(f);
	(void)setenv("CREDENTIALS_DIRECTORY", tmpdir, 1);
	ok(mail_password(c, &pw, errbuf) == 0 && pw &&
	    strcmp(pw, "cred-secret") == 0, "the systemd credential, "
	    "newline dropped");
	free(pw);
	pw = NULL;
	free(p);
	p = xasprintf("%s/pw", tmpdir);
	f = fopen(p, "w");
	fputs("file-secret\r\n", f);
	fclose(f);
	c->mail_password_file = xstrdup(p);
	ok(mail_password(c, &pw, errbuf) == 0 && pw &&
	    strcmp(pw, "file-secret") == 0, "password_file wins");
	free(pw);
	pw = NULL;
	(void)unlink(p);
	ok(mail_password(c, &pw, errbuf) == -ENOENT && pw == NULL,
	    "a missing password file is an error");
	ok(strstr(errbuf, p) != NULL && strstr(errbuf, "secret") == NULL,
	    "naming the file, not the secret: %s", errbuf);
	(void)unsetenv("CREDENTIALS_DIRECTORY");
	free(p);
	conf_free(c);
}

static void
test_base64(void)
{
	char *s;

	s = mail_base64("", 0);
	is_str(s, "", "base64 of nothing");
	free(s);
	s = mail_base64("f", 1);
	is_str(s, "Zg==", "base64 f");
	free(s);
	s = mail_base64("fo", 2);
	is_str(s, "Zm8=", "base64 fo");
	free(s);
	s = mail_base64("foobar", 6);
	is_str(s, "Zm9vYmFy", "base64 foobar");
	free(s);
}

int
main(void)
{

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 99;
	}
	test_base64();
	test_subjects();
	test_message();
	test_password();
	tap_rmtree(tmpdir);
	return tap_done();
}
