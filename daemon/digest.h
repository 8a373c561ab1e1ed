/*
 * digest.h: digests of a period's hits (HTML, Markdown, plain text), the
 * schedule that says which period is due, and the Atom feed of recent
 * hits.  Reads the store; writes files only in digest_write(); never
 * touches the network.  Everything from feeds is escaped for its format.
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "store.h"

#define DIGEST_MAX_HITS		2000	/* hits shown in one digest */
#define DIGEST_CHART_DAYS	30	/* the mentions chart's span */
#define DIGEST_SUBJECT_MAX	120	/* bytes of a subject's headline */
#define DIGEST_DIRNAME		"digests"	/* under the state folder */

enum digest_format {
	DIGEST_FORMAT_HTML,
	DIGEST_FORMAT_MD,
	DIGEST_FORMAT_TXT,
	DIGEST_FORMAT_MAX
};

/* "html", "md", "txt" (also the file name extension); -EINVAL. */
int digest_format_from_name(const char *name);
const char *digest_format_name(enum digest_format f);

/* A period's hits, grouped, with the chart's counts and feed health. */
struct digest;

/* Load [start, end) from the store.  0 or <0 (store failure). */
int digest_build(struct store *st, int64_t start, int64_t end,
    struct digest **ret);
void digest_free(struct digest *dg);
size_t digest_n_hits(const struct digest *dg);
size_t digest_n_stories(const struct digest *dg);

/* The digest as a document (malloc'd, NUL-terminated). */
char *digest_render(const struct digest *dg, enum digest_format f);
/* A one-line subject (UTF-8, no control characters), malloc'd. */
char *digest_subject(const struct digest *dg);

/* The folder digests go to: [digest] folder, else STATE/digests. */
char *digest_folder(const struct config *c);

/* digest_write()'s mail flags. */
#define DIGEST_MAIL		1u	/* queue its mail when it has hits */
#define DIGEST_MAIL_EMPTY	2u	/* queue it even without hits */

/*
 * Render [start, end) in the configured formats, write each file
 * atomically in the digest folder and record the period in the store
 * (with mail flags, queue its mail).  ret_files: newline-separated paths
 * (malloc'd, may be NULL).  0 or <0 with a message in errbuf.
 */
int digest_write(const struct config *c, struct store *st, int64_t start,
    int64_t end, int64_t now, unsigned mail, char **ret_files,
    size_t *ret_n_hits, char errbuf[ERRMSG_MAX]);

/* "yesterday" (local days), "24h", "7d" ending at now.  -EINVAL. */
int digest_period(const char *name, int64_t now, int64_t *ret_start,
    int64_t *ret_end);

/*
 * The schedule ("hourly", "daily HH:MM", "weekly DAY HH:MM", local
 * time): the latest period that ended at or before now, and when the
 * next one ends.  -EINVAL for a schedule that does not parse.
 */
int digest_schedule(const char *schedule, int64_t now, int64_t *ret_start,
    int64_t *ret_end, int64_t *ret_next);
/* Is DAY a weekday name ("mon", "Monday", ...)?  0..6 (Sunday 0) or -1. */
int digest_weekday(const char *day);

/* An Atom 1.0 feed of the newest max hits (malloc'd) in *ret.  0 or <0. */
int digest_atom(struct store *st, size_t max, int64_t now, char **ret);

#endif
