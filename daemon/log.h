/*
 * log.h: one log line per message on stderr.  Under systemd (stderr is the
 * journal) each line carries an sd-daemon "<N>" priority prefix; in a
 * terminal it is plain text.  Stages log only at debug; callers that decide
 * log once, naming the feed.  Never log secrets or whole feed bodies.
 */
#ifndef LOG_H
#define LOG_H

#include "util.h"

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

void log_init(const char *progname, enum log_level max);
void log_set_level(enum log_level max);
bool log_debug_enabled(void);
void log_msg(enum log_level lvl, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_err(...)	log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(area, ...) do {				\
	if (log_debug_enabled())				\
		log_msg(LOG_LEVEL_DEBUG, area ": " __VA_ARGS__);	\
} while (0)

#endif
