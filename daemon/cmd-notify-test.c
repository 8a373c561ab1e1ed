/*
 * cmd-notify-test.c: `reewatch notify-test`: check desktop notifications
 * end to end (session bus, notification server, its capabilities) and
 * show one test notification; say exactly what failed.  Touches D-Bus.
 */
#include "config.h"

#include <string.h>

#include "cmd.h"
#include "notify.h"

int
cmd_notify_test(int argc, char **argv)
{
	static const char *const caps[] = { "body", "body-markup", "actions",
	    "body-hyperlinks", "persistence" };
	struct notify_msg m = {
		.summary = "reewatch: test notification",
		.body = "Desktop notifications work.",
		.body_markup = "Desktop notifications <b>work</b>.",
		.prio = NOTIFY_PRIO_NORMAL,
		.category = "im.received",
		.icon = "dialog-information",
	};
	struct setup *su = NULL;
	char errbuf[ERRMSG_MAX] = "";
	size_t i;
	int r;

	if (argc > 1) {
		fprintf(stderr, "usage: reewatch %s\n", argv[0]);
		return CMD_EXIT_USAGE;
	}
	r = cmd_load_setup(&su);
	if (r)
		return r;
	if (!su->conf->notify_desktop)
		printf("note: [notify] desktop = no in %s: reewatchd sends "
		    "none\n", su->conf->path ? su->conf->path : "the config");
	setup_free(su);
	r = notify_open(errbuf);
	if (r < 0) {
		printf("FAILED: %s\n", errbuf);
		notify_close();
		return 1;
	}
	printf("server: %s\ncapabilities:", notify_server());
	for (i = 0; i < ELEMENTSOF(caps); i++)
		printf(" %s=%s", caps[i], notify_has_cap(caps[i]) ? "yes" :
		    "no");
	printf("\n");
	r = notify_show(&m, errbuf);
	if (r < 0)
		printf("FAILED: the server refused the notification: %s\n",
		    errbuf);
	else
		printf("ok: test notification shown\n");
	notify_close();
	return r < 0 ? 1 : 0;
}
