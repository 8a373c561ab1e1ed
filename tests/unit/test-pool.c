/*
 * test-pool.c: the worker pool.  Jobs run inline without threads; with
 * threads every job comes back exactly once, run by a worker whose index
 * is in range, with every signal blocked, two at a time when there are
 * two workers; the loop is woken for each; a drain returns queued jobs
 * unrun and waits for the running one, and with nothing queued returns
 * the finished ones; idle threads stop and start again.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"
#include "tap.h"
#include "util.h"

struct job {
	struct pool_job pj;
	unsigned id;
	uint64_t n;			/* sum 1..n */
	uint64_t sum;
	int worker;			/* -1: not run */
	int runs;
	bool signals_blocked;
	sem_t *started;			/* posted when it starts, or NULL */
	sem_t *partner;			/* waited for (with a bound), or NULL */
	bool met;			/* the partner's post came */
	unsigned hold_ms;		/* sleep this long after starting */
};

static void
job_run(struct pool_job *pj, unsigned worker)
{
	struct job *j = (struct job *)pj;
	sigset_t set;
	uint64_t i;

	j->worker = (int)worker;
	j->runs++;
	if (pthread_sigmask(SIG_BLOCK, NULL, &set) == 0)
		j->signals_blocked = sigismember(&set, SIGTERM) == 1 &&
		    sigismember(&set, SIGHUP) == 1 &&
		    sigismember(&set, SIGUSR1) == 1;
	if (j->started)
		(void)sem_post(j->started);
	if (j->partner) {
		struct timespec ts;

		(void)clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)tap_time_limit(10);
		j->met = sem_timedwait(j->partner, &ts) == 0;
	}
	if (j->hold_ms) {
		struct timespec d = { 0, (long)j->hold_ms * 1000000 };

		(void)nanosleep(&d, NULL);
	}
	for (i = 1; i <= j->n; i++)
		j->sum += i;
}

static struct job *
job_new(unsigned id, uint64_t n)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->pj.run = job_run;
	j->id = id;
	j->n = n;
	j->worker = -1;
	return j;
}

/* The wake callback: one byte down a pipe, as the loop would be woken. */
static int wake_pipe[2];
static unsigned n_wakes;

static void
on_wake(void *ctx)
{
	(void)ctx;
	n_wakes++;
	if (write(wake_pipe[1], "w", 1) < 0) {
		/* a full pipe is already a wake-up */
	}
}

/* Take done jobs until want have come back (or the bound passes). */
static size_t
collect(struct pool *p, struct job **back, size_t max, size_t want)
{
	double limit = tap_time_limit(20);
	struct timespec t0, t;
	size_t n = 0;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n < want) {
		struct pollfd pfd = { .fd = wake_pipe[0], .events = POLLIN };
		struct pool_job *l;
		char drain[64];

		(void)poll(&pfd, 1, 100);
		if (pfd.revents & POLLIN)
			(void)!read(wake_pipe[0], drain, sizeof(drain));
		for (l = pool_take_done(p); l; l = l->next)
			if (n < max)
				back[n++] = (struct job *)l;
		(void)clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)(t.tv_sec - t0.tv_sec) > limit)
			break;
	}
	return n;
}

static void
test_inline(void)
{
	struct pool *p = pool_new(0, on_wake, NULL);
	struct job *v[10], *back[10];
	struct pool_job *l;
	size_t i, n = 0;
	bool order = true, sums = true;

	is_int(pool_size(p), 0, "inline: size 0");
	for (i = 0; i < 10; i++) {
		v[i] = job_new((unsigned)i, 1000 + i);
		pool_submit(p, &v[i]->pj);
		/* done when pool_submit() returns */
		if (v[i]->runs != 1)
			sums = false;
	}
	for (l = pool_take_done(p); l && n < 10; l = l->next)
		back[n++] = (struct job *)l;
	is_int(n, 10, "inline: every job comes back");
	for (i = 0; i < n; i++) {
		if (back[i]->id != i)
			order = false;
		if (back[i]->worker != 0 ||
		    back[i]->sum != (1000 + i) * (1001 + i) / 2)
			sums = false;
	}
	ok(order, "inline: in the order submitted");
	ok(sums, "inline: run once each, in pool_submit(), as worker 0");
	ok(pool_take_done(p) == NULL, "inline: nothing left");
	is_int(n_wakes, 10, "inline: a wake-up per job, as from a worker");
	is_int(pool_idle(p), 0, "inline: no thread to stop");
	for (i = 0; i < 10; i++)
		free(v[i]);
	pool_free(p);
}

#define N_JOBS	300

static void
test_threads(void)
{
	struct pool *p = pool_new(2, on_wake, NULL);
	struct job **v = xcalloc(N_JOBS, sizeof(*v));
	struct job **back = xcalloc(N_JOBS + 1, sizeof(*back));
	unsigned *seen = xcalloc(N_JOBS, sizeof(*seen));
	size_t i, n;
	bool once = true, right = true, range = true, masked = true;
	unsigned stopped;

	n_wakes = 0;
	for (i = 0; i < N_JOBS; i++) {
		v[i] = job_new((unsigned)i, 20000 + 37 * i);
		pool_submit(p, &v[i]->pj);
	}
	n = collect(p, back, N_JOBS + 1, N_JOBS);
	is_int(n, N_JOBS, "threads: every job comes back");
	for (i = 0; i < n; i++) {
		struct job *j = back[i];

		seen[j->id]++;
		if (j->sum != j->n * (j->n + 1) / 2 || j->runs != 1)
			right = false;
		if (j->worker < 0 || j->worker > 1)
			range = false;
		if (!j->signals_blocked)
			masked = false;
	}
	for (i = 0; i < N_JOBS; i++)
		if (seen[i] != 1)
			once = false;
	ok(once, "threads: each job exactly once");
	ok(right, "threads: each run once, with the right result");
	ok(range, "threads: worker index 0 or 1");
	ok(masked, "threads: workers run with signals blocked");
	ok(n_wakes >= 1 && n_wakes <= N_JOBS,
	    "threads: the loop is woken (%u wake-ups)", n_wakes);
	stopped = pool_idle(p);
	ok(stopped >= 1 && stopped <= 2, "threads: idle stops the threads (%u)",
	    stopped);
	is_int(pool_idle(p), 0, "threads: idle again: none left");

	/* The next job starts a thread again. */
	memset(seen, 0, N_JOBS * sizeof(*seen));
	v[0]->runs = 0;
	v[0]->sum = 0;
	v[0]->worker = -1;
	v[0]->signals_blocked = false;
	pool_submit(p, &v[0]->pj);
	n = collect(p, back, N_JOBS + 1, 1);
	ok(n == 1 && back[0] == v[0] && v[0]->runs == 1 &&
	    v[0]->worker >= 0 && v[0]->worker <= 1 && v[0]->signals_blocked,
	    "threads: a job after idle runs in a new worker");
	is_int(pool_idle(p), 1, "threads: that one worker stops");
	for (i = 0; i < N_JOBS; i++)
		free(v[i]);
	free(v);
	free(back);
	free(seen);
	pool_free(p);
}

/* Two jobs that each wait for the other: only two workers at once pass. */
static void
test_parallel(void)
{
	struct pool *p = pool_new(2, on_wake, NULL);
	sem_t a, b;
	struct job *x = job_new(1, 10), *y = job_new(2, 10), *back[2];
	size_t n;

	(void)sem_init(&a, 0, 0);
	(void)sem_init(&b, 0, 0);
	x->started = &a;
	x->partner = &b;
	y->started = &b;
	y->partner = &a;
	pool_submit(p, &x->pj);
	pool_submit(p, &y->pj);
	n = collect(p, back, 2, 2);
	is_int(n, 2, "parallel: both jobs come back");
	ok(x->met && y->met && x->worker != y->worker,
	    "parallel: two workers ran them at the same time");
	(void)pool_idle(p);
	pool_free(p);
	(void)sem_destroy(&a);
	(void)sem_destroy(&b);
	free(x);
	free(y);
}

static void
test_drain(void)
{
	struct pool *p = pool_new(1, on_wake, NULL);
	struct job *first = job_new(0, 5), *v[5];
	struct pool_job *l;
	sem_t started;
	size_t i, n = 0, unrun = 0;
	bool queued_first = true;
	int last_runs = 0;

	(void)sem_init(&started, 0, 0);
	first->started = &started;
	first->hold_ms = 150;
	pool_submit(p, &first->pj);
	(void)sem_wait(&started);
	for (i = 0; i < 5; i++) {
		v[i] = job_new((unsigned)i + 1, 5);
		pool_submit(p, &v[i]->pj);
	}
	for (l = pool_drain(p); l; l = l->next) {
		struct job *j = (struct job *)l;

		n++;
		if (j->runs == 0)
			unrun++;
		if (j->runs < last_runs)
			queued_first = false;
		last_runs = j->runs;
	}
	is_int(n, 6, "drain: every job comes back");
	is_int(unrun, 5, "drain: the queued ones unrun");
	ok(first->runs == 1 && first->sum == 15,
	    "drain: the running one finished first");
	ok(queued_first, "drain: the unrun ones first");
	ok(pool_take_done(p) == NULL, "drain: nothing left");
	is_int(pool_idle(p), 1, "drain: the worker stops after");
	pool_free(p);
	(void)sem_destroy(&started);
	free(first);
	for (i = 0; i < 5; i++)
		free(v[i]);
}

/* A drain with nothing queued: the finished jobs come back, and the
 * threads can then stop (a reload right after the queue emptied). */
static void
test_drain_done(void)
{
	struct pool *p = pool_new(2, on_wake, NULL);
	struct job *a = job_new(1, 10), *b = job_new(2, 20), *back[2];
	struct pool_job *l;
	sem_t started;
	size_t n = 0;

	(void)sem_init(&started, 0, 0);
	b->started = &started;
	b->hold_ms = 100;
	pool_submit(p, &a->pj);
	is_int(collect(p, back, 2, 1), 1, "drain, empty queue: one job done");
	/* again: a finishes untaken while b still runs, nothing queued */
	a->runs = 0;
	a->started = NULL;
	pool_submit(p, &a->pj);
	pool_submit(p, &b->pj);
	(void)sem_wait(&started);
	for (l = pool_drain(p); l; l = l->next)
		n++;
	is_int(n, 2, "drain, empty queue: the finished and the running job come back");
	ok(a->runs == 1 && b->runs == 1 && b->sum == 210,
	    "drain, empty queue: both ran to the end");
	ok(pool_take_done(p) == NULL, "drain, empty queue: nothing left");
	ok(pool_idle(p) >= 1, "drain, empty queue: the threads stop after");
	pool_free(p);
	(void)sem_destroy(&started);
	free(a);
	free(b);
}

int
main(void)
{
	unsigned d;

	if (pipe(wake_pipe) < 0)
		return 99;
	test_inline();
	test_threads();
	test_parallel();
	test_drain();
	test_drain_done();
	d = pool_default_size(64);
	ok(d >= 1 && d <= 64, "default size: %u CPUs", d);
	is_int(pool_default_size(1), 1, "default size: at most max");
	close(wake_pipe[0]);
	close(wake_pipe[1]);
	return tap_done();
}
