/*
 * pool.c: worker threads for the loop's CPU-bound jobs.  One lock guards
 * the two lists (queued, done) and the counts; a worker takes the oldest
 * queued job, runs it unlocked, files it as done and wakes the loop.
 * Threads start when a job finds no idle worker and stop in pool_idle(),
 * so an idle daemon is one thread.  Signals stay blocked in workers: the
 * loop's signalfd gets them all.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"
#include "util.h"

struct pool_thread {
	struct pool *p;
	pthread_t tid;
	unsigned index;
	bool live;			/* started, not yet joined */
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a job was queued, or quit */
	pthread_cond_t finished;	/* a job is done */
	struct pool_job *queue, **queue_tail;
	struct pool_job *done, **done_tail;
	size_t n_queued;
	unsigned n_running;		/* jobs being run */
	unsigned n_waiting;		/* threads waiting for a job */
	unsigned n_live;
	bool quit;
	unsigned n;
	struct pool_thread *threads;
	pool_wake_fn wake;
	void *ctx;
};

static void
list_append(struct pool_job ***tail, struct pool_job *j)
{
	j->next = NULL;
	**tail = j;
	*tail = &j->next;
}

static void *
pool_worker(void *arg)
{
	struct pool_thread *t = arg;
	struct pool *p = t->p;

	(void)pthread_mutex_lock(&p->lock);
	for (;;) {
		struct pool_job *j;

		while (!p->queue && !p->quit) {
			p->n_waiting++;
			(void)pthread_cond_wait(&p->work, &p->lock);
			p->n_waiting--;
		}
		if (p->quit)
			break;
		j = p->queue;
		p->queue = j->next;
		if (!p->queue)
			p->queue_tail = &p->queue;
		p->n_queued--;
		p->n_running++;
		(void)pthread_mutex_unlock(&p->lock);

		j->run(j, t->index);

		(void)pthread_mutex_lock(&p->lock);
		p->n_running--;
		list_append(&p->done_tail, j);
		if (p->wake)
			p->wake(p->ctx);
		(void)pthread_cond_broadcast(&p->finished);
	}
	(void)pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct pool *
pool_new(unsigned n, pool_wake_fn wake, void *ctx)
{
	struct pool *p = xcalloc(1, sizeof(*p));

	(void)pthread_mutex_init(&p->lock, NULL);
	(void)pthread_cond_init(&p->work, NULL);
	(void)pthread_cond_init(&p->finished, NULL);
	p->queue_tail = &p->queue;
	p->done_tail = &p->done;
	p->n = n;
	p->threads = xcalloc(n + 1, sizeof(*p->threads));
	p->wake = wake;
	p->ctx = ctx;
	return p;
}

void
pool_free(struct pool *p)
{
	if (!p)
		return;
	(void)pool_idle(p);
	(void)pthread_cond_destroy(&p->finished);
	(void)pthread_cond_destroy(&p->work);
	(void)pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}

unsigned
pool_size(const struct pool *p)
{
	return p->n;
}

/* Start one more worker (lock held).  0 or -errno. */
static int
pool_start(struct pool *p)
{
	sigset_t all, old;
	unsigned i;
	int r;

	for (i = 0; i < p->n && p->threads[i].live; i++)
		;
	if (i == p->n)
		return -EAGAIN;
	p->threads[i].p = p;
	p->threads[i].index = i;
	/* The worker inherits a mask with every signal blocked. */
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&p->threads[i].tid, NULL, pool_worker,
	    &p->threads[i]);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -r;
	p->threads[i].live = true;
	p->n_live++;
	return 0;
}

void
pool_submit(struct pool *p, struct pool_job *j)
{
	(void)pthread_mutex_lock(&p->lock);
	if (p->n > 0 && p->n_queued + 1 > p->n_waiting && p->n_live < p->n) {
		int r = pool_start(p);

		if (r < 0 && p->n_live == 0) {
			static bool told;

			if (!told)
				log_warn("cannot start a worker thread (%s): the loop parses and matches itself",
				    strerror(-r));
			told = true;
		}
	}
	if (p->n_live == 0) {
		(void)pthread_mutex_unlock(&p->lock);
		j->run(j, p->n);
		(void)pthread_mutex_lock(&p->lock);
		list_append(&p->done_tail, j);
		/* As from a worker: the loop takes one batch per wake-up. */
		if (p->wake)
			p->wake(p->ctx);
		(void)pthread_mutex_unlock(&p->lock);
		return;
	}
	list_append(&p->queue_tail, j);
	p->n_queued++;
	(void)pthread_cond_signal(&p->work);
	(void)pthread_mutex_unlock(&p->lock);
}

struct pool_job *
pool_take_done(struct pool *p)
{
	struct pool_job *l;

	(void)pthread_mutex_lock(&p->lock);
	l = p->done;
	p->done = NULL;
	p->done_tail = &p->done;
	(void)pthread_mutex_unlock(&p->lock);
	return l;
}

struct pool_job *
pool_drain(struct pool *p)
{
	struct pool_job *l, **tail;

	(void)pthread_mutex_lock(&p->lock);
	l = p->queue;
	/* the finished ones follow the queued ones, or are the list */
	tail = l ? p->queue_tail : &l;
	p->queue = NULL;
	p->queue_tail = &p->queue;
	p->n_queued = 0;
	while (p->n_running > 0)
		(void)pthread_cond_wait(&p->finished, &p->lock);
	*tail = p->done;
	p->done = NULL;
	p->done_tail = &p->done;
	(void)pthread_mutex_unlock(&p->lock);
	return l;
}

unsigned
pool_idle(struct pool *p)
{
	unsigned i, n;

	(void)pthread_mutex_lock(&p->lock);
	if (p->queue || p->n_running > 0 || p->n_live == 0) {
		(void)pthread_mutex_unlock(&p->lock);
		return 0;
	}
	p->quit = true;
	(void)pthread_cond_broadcast(&p->work);
	(void)pthread_mutex_unlock(&p->lock);

	n = 0;
	for (i = 0; i < p->n; i++)
		if (p->threads[i].live) {
			(void)pthread_join(p->threads[i].tid, NULL);
			p->threads[i].live = false;
			n++;
		}
	(void)pthread_mutex_lock(&p->lock);
	p->n_live = 0;
	p->quit = false;
	(void)pthread_mutex_unlock(&p->lock);
	return n;
}

unsigned
pool_default_size(unsigned max)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return (unsigned)n < max ? (unsigned)n : max;
}
