/*
 * notify.c: desktop notifications through libnotify (see notify.h).  A
 * daemon cannot wait for a click: clicks are handled when the caller pumps
 * (notify_pump(), from deliver_run()); the default action then starts
 * xdg-open on the link.  Must not log above debug; touches D-Bus only.
 * libnotify (and GLib with it) is dlopen()ed by the first notify_open()
 * that finds a session bus, so a process that shows no notification never
 * maps it; the build needs its headers only.
 */
#include "config.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "notify.h"
#include "url.h"
#include "util.h"

#ifdef HAVE_LIBNOTIFY
#include <dlfcn.h>
#include <libnotify/notify.h>

/* The library loaded at run time (libnotify >= 0.7 has this soname). */
#define NOTIFY_SONAME		"libnotify.so.4"

/* Shown notifications kept for their click, at most this many, this long. */
#define NOTIFY_LIVE_MAX		32
#define NOTIFY_LIVE_SEC		((int64_t)10 * 60)

extern char **environ;

/*
 * The libnotify and GLib functions used here, typed by their headers and
 * filled by notify_load() from the one handle (dlsym() also searches the
 * library's dependencies, where GLib and GObject are).  Nothing below may
 * call a libnotify or GLib function by its own name: the binary is not
 * linked with them, so a direct call fails at link time.
 */
#define NOTIFY_SYM(f)		static __typeof__(f) *sym_##f
NOTIFY_SYM(notify_init);
NOTIFY_SYM(notify_is_initted);
NOTIFY_SYM(notify_uninit);
NOTIFY_SYM(notify_get_server_info);
NOTIFY_SYM(notify_get_server_caps);
NOTIFY_SYM(notify_notification_new);
NOTIFY_SYM(notify_notification_set_urgency);
NOTIFY_SYM(notify_notification_set_category);
NOTIFY_SYM(notify_notification_add_action);
NOTIFY_SYM(notify_notification_show);
NOTIFY_SYM(g_free);
NOTIFY_SYM(g_list_free_full);
NOTIFY_SYM(g_error_free);
NOTIFY_SYM(g_main_context_iteration);
NOTIFY_SYM(g_object_unref);
NOTIFY_SYM(g_signal_connect_data);
#undef NOTIFY_SYM

#define NOTIFY_SYM(f)		{ #f, (void **)&sym_##f }
static const struct notify_sym {
	const char *name;
	void **fn;
} notify_syms[] = {
	NOTIFY_SYM(notify_init),
	NOTIFY_SYM(notify_is_initted),
	NOTIFY_SYM(notify_uninit),
	NOTIFY_SYM(notify_get_server_info),
	NOTIFY_SYM(notify_get_server_caps),
	NOTIFY_SYM(notify_notification_new),
	NOTIFY_SYM(notify_notification_set_urgency),
	NOTIFY_SYM(notify_notification_set_category),
	NOTIFY_SYM(notify_notification_add_action),
	NOTIFY_SYM(notify_notification_show),
	NOTIFY_SYM(g_free),
	NOTIFY_SYM(g_list_free_full),
	NOTIFY_SYM(g_error_free),
	NOTIFY_SYM(g_main_context_iteration),
	NOTIFY_SYM(g_object_unref),
	NOTIFY_SYM(g_signal_connect_data),
};
#undef NOTIFY_SYM

/* The dlopen() handle once every symbol resolved; never closed (GLib
 * cannot be unloaded). */
static void *notify_dl;
static bool opened;
static char server[128];
static char **caps;
static struct live {
	NotifyNotification *n;
	int64_t shown;
} live[NOTIFY_LIVE_MAX];

/*
 * Load libnotify and fill the table, all or nothing (idempotent).  0, or
 * -ELIBACC with the reason.  REEWATCH_LIBNOTIFY names another file to
 * load, for the tests of a missing library.
 */
static int
notify_load(char errbuf[ERRMSG_MAX])
{
	const char *file = secure_getenv("REEWATCH_LIBNOTIFY");
	const char *e;
	void *dl;
	size_t i;

	if (notify_dl)
		return 0;
	if (!file || !*file)
		file = NOTIFY_SONAME;
	dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		e = dlerror();
		(void)snprintf(errbuf, ERRMSG_MAX, "cannot load libnotify (%s)",
		    e ? e : file);
		return -ELIBACC;
	}
	for (i = 0; i < ELEMENTSOF(notify_syms); i++) {
		*notify_syms[i].fn = dlsym(dl, notify_syms[i].name);
		if (!*notify_syms[i].fn)
			break;
	}
	if (i < ELEMENTSOF(notify_syms)) {
		(void)snprintf(errbuf, ERRMSG_MAX, "cannot load libnotify (%s "
		    "has no %s)", file, notify_syms[i].name);
		for (i = 0; i < ELEMENTSOF(notify_syms); i++)
			*notify_syms[i].fn = NULL;
		(void)dlclose(dl);
		return -ELIBACC;
	}
	notify_dl = dl;
	return 0;
}

static void
live_drop(size_t i)
{
	if (!live[i].n)
		return;
	sym_g_object_unref(live[i].n);
	live[i].n = NULL;
}

static void
on_closed(NotifyNotification *n, gpointer data)
{
	size_t i;

	(void)data;
	for (i = 0; i < NOTIFY_LIVE_MAX; i++)
		if (live[i].n == n)
			live_drop(i);
}

/* The default action: open the link (already checked to be http(s)). */
static void
on_action(NotifyNotification *n, char *action, gpointer data)
{
	char *argv[] = { (char *)"xdg-open", data, NULL };
	pid_t pid;

	(void)n;
	(void)action;
	if (posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, environ) == 0)
		(void)waitpid(pid, NULL, WNOHANG);
}

int
notify_open(char errbuf[ERRMSG_MAX])
{
	char *name = NULL, *vendor = NULL, *version = NULL, *spec = NULL;
	GList *l, *c;
	int r;

	if (opened)
		return 0;
	/* Before loading: with no bus there is nothing to load it for. */
	if (!getenv("DBUS_SESSION_BUS_ADDRESS") && !getenv("XDG_RUNTIME_DIR")) {
		(void)snprintf(errbuf, ERRMSG_MAX, "no session bus "
		    "(DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR are unset)");
		return -ENOTCONN;
	}
	r = notify_load(errbuf);
	if (r < 0)
		return r;
	if (!sym_notify_is_initted() && !sym_notify_init("reewatch")) {
		(void)snprintf(errbuf, ERRMSG_MAX, "cannot initialise libnotify");
		return -ENOTCONN;
	}
	if (!sym_notify_get_server_info(&name, &vendor, &version, &spec)) {
		(void)snprintf(errbuf, ERRMSG_MAX, "no notification server on "
		    "the session bus (org.freedesktop.Notifications)");
		return -ENOTCONN;
	}
	(void)snprintf(server, sizeof(server), "%s %s (%s, spec %s)",
	    name ? name : "?", version ? version : "?",
	    vendor ? vendor : "?", spec ? spec : "?");
	sym_g_free(name);
	sym_g_free(vendor);
	sym_g_free(version);
	sym_g_free(spec);
	strv_free(caps);
	caps = NULL;
	l = sym_notify_get_server_caps();
	for (c = l; c; c = c->next)
		(void)strv_push(&caps, xstrdup(c->data));
	sym_g_list_free_full(l, sym_g_free);
	opened = true;
	return 0;
}

const char *
notify_server(void)
{
	return opened ? server : "";
}

bool
notify_has_cap(const char *cap)
{
	return strv_contains(caps, cap);
}

int
notify_show(const struct notify_msg *m, char errbuf[ERRMSG_MAX])
{
	static const NotifyUrgency urgency[NOTIFY_PRIO_MAX] = {
		[NOTIFY_PRIO_LOW] = NOTIFY_URGENCY_LOW,
		[NOTIFY_PRIO_NORMAL] = NOTIFY_URGENCY_NORMAL,
		[NOTIFY_PRIO_CRITICAL] = NOTIFY_URGENCY_CRITICAL,
	};
	NotifyNotification *n;
	GError *error = NULL;
	const char *body;
	size_t i, slot = 0;
	int r;

	r = notify_open(errbuf);
	if (r < 0)
		return r;
	body = m->body_markup && notify_has_cap("body-markup") ?
	    m->body_markup : m->body;
	n = sym_notify_notification_new(m->summary, body, m->icon);
	sym_notify_notification_set_urgency(n, urgency[m->prio < NOTIFY_PRIO_MAX ?
	    m->prio : NOTIFY_PRIO_NORMAL]);
	if (m->category)
		sym_notify_notification_set_category(n, m->category);
	if (m->link && url_is_http(m->link) && notify_has_cap("actions"))
		sym_notify_notification_add_action(n, "default", "Open",
		    on_action, xstrdup(m->link), free);
	if (!sym_notify_notification_show(n, &error)) {
		(void)snprintf(errbuf, ERRMSG_MAX, "%s", error ? error->message :
		    "the notification server refused it");
		if (error)
			sym_g_error_free(error);
		sym_g_object_unref(n);
		/* The server may have gone: look again next time. */
		opened = false;
		return -ENOTCONN;
	}
	/* Keep it for its click; the oldest goes when all slots are used. */
	for (i = 0; i < NOTIFY_LIVE_MAX; i++) {
		if (!live[i].n) {
			slot = i;
			break;
		}
		if (live[i].shown < live[slot].shown)
			slot = i;
	}
	live_drop(slot);
	live[slot].n = n;
	live[slot].shown = now_utc();
	(void)sym_g_signal_connect_data(n, "closed", G_CALLBACK(on_closed),
	    NULL, NULL, (GConnectFlags)0);
	return 0;
}

bool
notify_pump(void)
{
	int64_t now = now_utc();
	bool any = false;
	size_t i;

	if (!notify_dl)
		return false;	/* nothing shown, nothing to pump */
	while (sym_g_main_context_iteration(NULL, FALSE))
		;
	for (i = 0; i < NOTIFY_LIVE_MAX; i++) {
		if (live[i].n && now - live[i].shown > NOTIFY_LIVE_SEC)
			live_drop(i);
		any |= live[i].n != NULL;
	}
	return any;
}

void
notify_close(void)
{
	size_t i;

	for (i = 0; i < NOTIFY_LIVE_MAX; i++)
		live_drop(i);
	strv_free(caps);
	caps = NULL;
	opened = false;
	/* The library stays loaded: GLib cannot be unloaded. */
	if (notify_dl && sym_notify_is_initted())
		sym_notify_uninit();
}

#else /* !HAVE_LIBNOTIFY */

int
notify_open(char errbuf[ERRMSG_MAX])
{
	(void)snprintf(errbuf, ERRMSG_MAX, "built without libnotify");
	return -ENOTSUP;
}

const char *
notify_server(void)
{
	return "";
}

bool
notify_has_cap(const char *cap)
{
	(void)cap;
	return false;
}

int
notify_show(const struct notify_msg *m, char errbuf[ERRMSG_MAX])
{
	(void)m;
	return notify_open(errbuf);
}

bool
notify_pump(void)
{
	return false;
}

void
notify_close(void)
{
}

#endif
