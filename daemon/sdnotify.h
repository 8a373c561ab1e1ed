/*
 * sdnotify.h: the sd_notify(3) protocol by hand: one datagram per state
 * change to $NOTIFY_SOCKET (a path or an abstract "@name").  Does nothing
 * when the variable is unset.  Touches only that socket; never logs.
 */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/* Read $NOTIFY_SOCKET and $WATCHDOG_USEC/$WATCHDOG_PID once; 0 or -errno. */
int sdnotify_init(void);
void sdnotify_done(void);

bool sdnotify_enabled(void);

/* The watchdog period in microseconds for this process, 0 when none. */
uint64_t sdnotify_watchdog_usec(void);

/* Send one state string ("READY=1\nSTATUS=..."); 0, or -errno. */
int sdnotify(const char *state);
int sdnotifyf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* CLOCK_MONOTONIC in microseconds (for RELOADING=1 MONOTONIC_USEC=). */
uint64_t sdnotify_monotonic_usec(void);

#endif
