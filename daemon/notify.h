/*
 * notify.h: desktop notifications over the session bus (libnotify).  The
 * only module that includes <libnotify/notify.h>; built without it, every
 * call fails with -ENOTSUP and "built without libnotify".  libnotify is
 * loaded at run time by the first notify_open() that finds a session bus
 * (see HACKING.md).  Touches D-Bus and, when an alert is clicked, starts
 * xdg-open on its http(s) link.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "reewatch.h"

/* Urgency (libnotify's names are taken by the library itself). */
enum notify_prio {
	NOTIFY_PRIO_LOW,
	NOTIFY_PRIO_NORMAL,
	NOTIFY_PRIO_CRITICAL,
	NOTIFY_PRIO_MAX
};

/* One notification (borrowed strings). */
struct notify_msg {
	const char *summary;		/* plain text */
	const char *body;		/* plain text */
	const char *body_markup;	/* used where the server has body-markup */
	const char *link;		/* opened by the default action, or NULL */
	enum notify_prio prio;
	const char *category;		/* "im.received", ... or NULL */
	const char *icon;		/* icon name or NULL */
};

/*
 * Connect to the notification server (idempotent).  0, or -ENOTSUP (built
 * without libnotify), -ENOTCONN (no session bus or no server), -ELIBACC
 * (libnotify.so.4 cannot be loaded), with the reason in errbuf.
 */
int notify_open(char errbuf[ERRMSG_MAX]);
/* The server's name, vendor, version (after notify_open()), or "". */
const char *notify_server(void);
bool notify_has_cap(const char *cap);
/* Show one notification.  0, or -ENOTCONN etc. with the reason. */
int notify_show(const struct notify_msg *m, char errbuf[ERRMSG_MAX]);
/* Run pending D-Bus callbacks (clicks, closes) without blocking; true
 * while shown notifications may still be clicked. */
bool notify_pump(void);
void notify_close(void);

#endif
