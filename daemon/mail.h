/*
 * mail.h: e-mail through libcurl's SMTP (smtp://, smtps://, STARTTLS,
 * AUTH) or a sendmail program: a multipart/alternative message (text and
 * HTML) with RFC 2047 subjects, a Date and a stable Message-ID.  No CR or
 * LF from the caller's text reaches a header.  Never logs; the password
 * never leaves this module (not even in error messages).
 */
#ifndef MAIL_H
#define MAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

#define MAIL_PASSWORD_MAX	4096
#define MAIL_CREDENTIAL_NAME	"smtp-password"	/* in $CREDENTIALS_DIRECTORY */
#define MAIL_LINE_MAX		76		/* folded header lines */

struct mail_msg {
	const char *subject;		/* UTF-8, any text: made safe here */
	const char *text;		/* the text/plain part */
	const char *html;		/* the text/html part, or NULL */
	int64_t date;			/* UTC seconds */
	const char *id_key;		/* stable left part of the Message-ID */
};

/* [mail] smtp_url or sendmail is set (with from and to). */
bool mail_configured(const struct config *c);
/* "smtp://host:25 (STARTTLS required)" or "sendmail: PROGRAM", malloc'd. */
char *mail_transport(const struct config *c);

/*
 * Send m to [mail] to.  0, or <0 with what failed in errbuf: curl's
 * message and the SMTP response code, or sendmail's exit status and
 * first line of its error output.
 */
int mail_send(const struct config *c, const struct mail_msg *m,
    char errbuf[ERRMSG_MAX]);

/* Header helpers, exposed for tests.  All malloc'd. */
/* Control characters (CR and LF among them) -> space, trimmed. */
char *mail_header_text(const char *s);
/* A header field "Name: value" with value RFC 2047 B-encoded (UTF-8) when
 * it is not plain ASCII, folded with CRLF SP, no line over 78 octets. */
char *mail_header_encoded(const char *name, const char *value);
/* RFC 5322 date: "Fri, 27 Nov 2026 15:08:23 +0000". */
char *mail_date(int64_t t);
/* "<KEY.HASH@DOMAIN>", DOMAIN from [mail] from or reewatch.invalid. */
char *mail_message_id(const struct config *c, const char *key);
/* The whole message (headers and MIME body, CRLF lines). */
char *mail_format(const struct config *c, const struct mail_msg *m);
/* The SMTP password: password_file, else $CREDENTIALS_DIRECTORY/
 * smtp-password; NULL in *ret when neither exists.  0 or <0. */
int mail_password(const struct config *c, char **ret,
    char errbuf[ERRMSG_MAX]);
/* Base64 of n bytes (no line breaks), malloc'd. */
char *mail_base64(const void *p, size_t n);

#endif
