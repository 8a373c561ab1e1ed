/*
 * cmd-mail-test.c: `reewatch mail-test`: send one test message through
 * the configured [mail] transport and say exactly what failed (curl's
 * message and the SMTP response code, or sendmail's status).  Never
 * prints the password.  Touches SMTP or a sendmail program.
 */
#include "config.h"

#include <stdio.h>

#include "cmd.h"
#include "mail.h"

int
cmd_mail_test(int argc, char **argv)
{
	_cleanup_free_ char *transport = NULL, *key = NULL, *html = NULL;
	_cleanup_free_ char *text = NULL;
	struct setup *su = NULL;
	char errbuf[ERRMSG_MAX] = "";
	int64_t now = now_utc();
	struct mail_msg m;
	size_t i;
	int r;

	if (argc > 1) {
		fprintf(stderr, "usage: reewatch %s\n", argv[0]);
		return CMD_EXIT_USAGE;
	}
	r = cmd_load_setup(&su);
	if (r)
		return r;
	if (!mail_configured(su->conf)) {
		printf("FAILED: no [mail] smtp_url or sendmail (with from and "
		    "to) is configured\n");
		setup_free(su);
		return SETUP_EXIT_CONFIG;
	}
	transport = mail_transport(su->conf);
	printf("transport: %s\n", transport);
	for (i = 0; su->conf->mail_to[i]; i++)
		printf("to: %s\n", su->conf->mail_to[i]);
	text = xasprintf("This is a test message from reewatch mail-test.\n"
	    "If you read it, digests can reach you.\n");
	html = xasprintf("<!DOCTYPE html><html><body><p>This is a test "
	    "message from <b>reewatch mail-test</b>.</p><p>If you read it, "
	    "digests can reach you.</p></body></html>\n");
	key = xasprintf("mail-test-%lld", (long long)now);
	m = (struct mail_msg){ .subject = "reewatch: test message",
	    .text = text, .html = html, .date = now, .id_key = key };
	r = mail_send(su->conf, &m, errbuf);
	if (r < 0)
		printf("FAILED: %s\n", errbuf);
	else
		printf("ok: test message accepted for delivery\n");
	setup_free(su);
	return r < 0 ? 1 : 0;
}
