/*
 * log.c: one line per message on stderr; an sd-daemon "<N>" prefix when
 * stderr is the journal ($JOURNAL_STREAM names our stderr), plain text
 * with the program name in a terminal.  Touches only stderr.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "reewatch";
static enum log_level log_max = LOG_LEVEL_INFO;
static bool log_journal;

/* Is stderr the stream systemd told us about in $JOURNAL_STREAM? */
static bool
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, enum log_level max)
{
	log_prog = progname;
	log_max = max;
	log_journal = stderr_is_journal();
}

void
log_set_level(enum log_level max)
{
	log_max = max;
}

bool
log_debug_enabled(void)
{
	return log_max >= LOG_LEVEL_DEBUG;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	size_t i;

	if (lvl > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One message, one line: never let feed text break the log. */
	for (i = 0; line[i]; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", (int)lvl, line);
	else if (lvl <= LOG_LEVEL_WARN)
		fprintf(stderr, "%s: %s: %s\n", log_prog,
		    lvl == LOG_LEVEL_ERR ? "error" : "warning", line);
	else
		fprintf(stderr, "%s: %s\n", log_prog, line);
}
