/*
 * deliver.h: drains the delivery outbox (desktop notifications) after the
 * store committed, runs due digests (files, then mail) and keeps the Atom
 * file of recent hits.  Called by reewatchd's loop and `reewatch deliver`.
 * Marks a delivery done only after it succeeded; failures retry with
 * back-off.  Logs what it decides (once per change), never secrets.
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "setup.h"
#include "store.h"

#define DELIVER_BATCH_MAX		200	/* deliveries per run */
#define DELIVER_RETRY_MIN_SEC		60
#define DELIVER_RETRY_MAX_SEC		3600
#define DELIVER_ATOM_FILENAME		"hits.atom"
#define DELIVER_ATOM_MAX_HITS		100

struct deliver;

/* su is borrowed and must outlive d (a reload makes a new one). */
int deliver_new(const struct setup *su, struct deliver **ret);
void deliver_free(struct deliver *d);

/* What the last run did, for `reewatch deliver` and the status line. */
struct deliver_stats {
	unsigned sent;			/* notifications shown */
	unsigned folded;		/* hits folded into "N more hits" */
	unsigned skipped;		/* below min_score, same story, off */
	unsigned waiting;		/* failed this run, will retry */
	unsigned digests;		/* digests written */
	unsigned mails;			/* digest mails sent */
	unsigned mail_waiting;
	char desktop_error[ERRMSG_MAX];	/* why desktop deliveries wait */
	char mail_error[ERRMSG_MAX];
};

/*
 * Send what is due at now (UTC seconds).  Sets *ret_next_due to the time
 * the next run is needed (0: nothing pending).  Returns 0, or <0 when the
 * store failed (deliveries stay pending; nothing is lost).
 */
int deliver_run(struct deliver *d, struct store *st, int64_t now,
    int64_t *ret_next_due);
const struct deliver_stats *deliver_stats(const struct deliver *d);

/*
 * Mail the digests whose mail is due at now (force: also those still
 * waiting for their back-off).  A failure stays queued with back-off;
 * counts and the error go to the stats.  0, or <0 when the store failed.
 */
int deliver_mail_digests(struct deliver *d, struct store *st, int64_t now,
    bool force);

/* Back-off after attempts failures: 60 s doubling, at most an hour. */
int64_t deliver_backoff(unsigned attempts);

#endif
