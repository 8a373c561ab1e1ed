/*
 * pool.h: a few threads that run CPU-bound jobs for the loop.  The loop
 * stays one thread: it submits a job, goes on with its transfers and
 * store, and takes the finished jobs back when it is woken.  A job is run
 * by exactly one thread and touches only what it was given; everything
 * else (the store, fetch, logging) stays on the loop's thread.
 */
#ifndef POOL_H
#define POOL_H

#include "reewatch.h"

/* Embed it first in a job of your own. */
struct pool_job {
	/* worker: 0 .. n-1 for the pool's threads, n when run inline */
	void (*run)(struct pool_job *j, unsigned worker);
	struct pool_job *next;		/* the pool's, and the lists' */
};

/*
 * Called each time a job is done (by its worker, or by pool_submit() for
 * a job run inline), with the pool's lock held: it must only wake the
 * loop (curl_multi_wakeup(), a write to an eventfd).
 */
typedef void (*pool_wake_fn)(void *ctx);

struct pool;

/*
 * A pool of up to n threads, started as jobs come and stopped by
 * pool_idle(); n = 0 runs every job inline, in pool_submit().
 */
struct pool *pool_new(unsigned n, pool_wake_fn wake, void *ctx);
/* Stops the threads; the pool must hold no job (see pool_drain()). */
void pool_free(struct pool *p);

/* The number of workers (n), also the worker index of an inline run. */
unsigned pool_size(const struct pool *p);

/*
 * Queue j.  When no thread can be started and none runs, j is run here
 * and now (as worker n).  Either way it comes back from pool_take_done().
 */
void pool_submit(struct pool *p, struct pool_job *j);

/* The jobs finished since the last call, in the order they finished
 * (a list through ->next), or NULL. */
struct pool_job *pool_take_done(struct pool *p);

/*
 * Take every job back: those not started (never run), then, after waiting
 * for the running ones, those finished.  For a reload or a stop.
 */
struct pool_job *pool_drain(struct pool *p);

/* Stop the threads when no job is queued or running (between rounds);
 * the next pool_submit() starts them again.  Returns how many stopped. */
unsigned pool_idle(struct pool *p);

/* Threads the pool may use by default: the CPUs this process may run on
 * (sched_getaffinity(), so CPUAffinity= and cpusets count), at most max. */
unsigned pool_default_size(unsigned max);

#endif
