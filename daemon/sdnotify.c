/*
 * sdnotify.c: sd_notify(3) without libsystemd: a SOCK_DGRAM AF_UNIX socket
 * sending to $NOTIFY_SOCKET ("@" = the abstract namespace).  Touches only
 * that socket and the environment; never logs, never blocks for long.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sdnotify.h"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static uint64_t watchdog_usec;

int
sdnotify_init(void)
{
	const char *e = getenv("NOTIFY_SOCKET");
	const char *w = getenv("WATCHDOG_USEC");
	const char *wp = getenv("WATCHDOG_PID");
	size_t n;

	sdnotify_done();
	if (w) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(w, &end, 10);
		if (!errno && *end == '\0' && v > 0 &&
		    (!wp || strtol(wp, NULL, 10) == (long)getpid()))
			watchdog_usec = v;
	}
	if (!e || !*e)
		return 0;
	n = strlen(e);
	if ((e[0] != '/' && e[0] != '@') || n >= sizeof(notify_addr.sun_path))
		return -EINVAL;
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, e, n);
	if (e[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (e[0] == '/' ? 1 : 0));
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0)
		return -errno;
	return 0;
}

void
sdnotify_done(void)
{
	if (notify_fd >= 0)
		(void)close(notify_fd);
	notify_fd = -1;
	watchdog_usec = 0;
}

bool
sdnotify_enabled(void)
{
	return notify_fd >= 0;
}

uint64_t
sdnotify_watchdog_usec(void)
{
	return watchdog_usec;
}

int
sdnotify(const char *state)
{
	ssize_t n;

	if (notify_fd < 0)
		return 0;
	do
		n = sendto(notify_fd, state, strlen(state), MSG_NOSIGNAL,
		    (const struct sockaddr *)&notify_addr, notify_len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

int
sdnotifyf(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (notify_fd < 0)
		return 0;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sdnotify(msg);
}

uint64_t
sdnotify_monotonic_usec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
