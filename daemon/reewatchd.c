/*
 * reewatchd.c: the service.  Loads the setup (exit 78 with FILE:LINE when
 * it is broken), opens the store, and either polls every feed once
 * (--once) or runs the loop: one thread on curl_multi_poll() with a
 * signalfd (SIGHUP reload, SIGTERM/SIGINT stop, SIGUSR1 poll all now) and
 * each feed's next due time; sd_notify for systemd.  A thin main.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cycle.h"
#include "deliver.h"
#include "fetch.h"
#include "log.h"
#include "sdnotify.h"
#include "setup.h"
#include "store.h"

/* Longest sleep of the loop: STATUS= stays fresh, clock jumps are seen. */
#define LOOP_MAX_SLEEP_MS	60000
#define INTERVAL_WARN_SEC	60
/* The least time between two drains of the outbox for new hits: the hits
 * of a round's feeds go out together, not a run for each feed. */
#define LOOP_DELIVER_GAP_SEC	1
/* Entries added to the search index per turn of the loop between rounds
 * (~0.2 s of CPU with the trigram index): a signal waits at most that. */
#define LOOP_FTS_SLICE		((size_t)STORE_FTS_BATCH / 4)

/* --once only: the loop reads signals from a signalfd. */
static volatile sig_atomic_t got_stop;

static void
on_signal(int sig)
{
	(void)sig;
	got_stop = 1;
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: reewatchd [--once] [--config FILE] [-v]\n"
	    "\n"
	    "Poll news feeds, match them against watchlists and store the hits.\n"
	    "\n"
	    "  -c, --config FILE  the configuration (default: %s)\n"
	    "  -1, --once         run one poll cycle, print a line per feed, exit\n"
	    "  -v, --verbose      log debug messages\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version\n"
	    "\n"
	    "Exit status: 0 ok, 1 no feed could be polled or the store failed,\n"
	    "78 bad configuration (each problem printed as FILE:LINE).\n",
	    SYSCONFDIR "/reewatch/reewatch.conf");
}

/* Print each problem and say how many. */
static void
print_diag(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		log_err("%s", d->msgs[i]);
}

static void
report_stdout(const struct cycle_feed_report *r, void *ctx)
{
	_cleanup_free_ char *line = cycle_report_line(r);

	(void)ctx;
	printf("%s\n", line);
	fflush(stdout);
}

static int
open_store(const struct setup *su, struct store **ret)
{
	_cleanup_free_ char *path = NULL;
	char errbuf[ERRMSG_MAX] = "";
	int r;

	r = mkdir_p(su->conf->state_dir, 0700);
	if (r < 0) {
		log_err("cannot create state folder %s: %s",
		    su->conf->state_dir, strerror(-r));
		return r;
	}
	path = xasprintf("%s/%s", su->conf->state_dir, STORE_FILENAME);
	r = store_open(path, errbuf, ret);
	if (r < 0)
		log_err("cannot open the store %s: %s", path,
		    errbuf[0] ? errbuf : strerror(-r));
	return r;
}

/* Intervals under a minute are for tests: say so. */
static void
warn_intervals(const struct setup *su)
{
	size_t i;

	if (su->conf->interval_sec < INTERVAL_WARN_SEC)
		log_warn("%s: interval %us is under a minute; fine for tests, impolite to real servers",
		    su->conf->path, su->conf->interval_sec);
	for (i = 0; i < su->n_feeds; i++)
		if (su->feeds[i].interval_sec &&
		    su->feeds[i].interval_sec < INTERVAL_WARN_SEC)
			log_warn("%s:%u: feed '%s': interval %us is under a minute",
			    su->feeds[i].src_file, su->feeds[i].src_line,
			    su->feeds[i].name, su->feeds[i].interval_sec);
}

/* The running service. */
struct daemon {
	const char *config;		/* as given, NULL: the default */
	struct setup *su;
	struct store *st;
	struct cycle *cy;
	int sfd;			/* signalfd */
	bool stop;
	bool failed;			/* stopping for a failure: exit 1 */
	uint64_t watchdog_usec;
	uint64_t last_watchdog;		/* monotonic usec */
	struct cycle_stats last;	/* the last completed round of polls */
	bool round_open;		/* polls done since the last summary */
	bool indexing;			/* the search index is catching up */
	struct deliver *dl;		/* the outbox drainer, digests, Atom */
	int64_t deliver_due;		/* UTC seconds; 0: now */
	int64_t last_deliver;		/* UTC seconds */
	bool fault_kill_after_commit;	/* REEWATCH_FAULT=kill-after-commit */
};

static void
daemon_status(struct daemon *dm)
{
	size_t feeds, failing;
	int64_t wake = cycle_next_wake_ms(dm->cy), now = cycle_now_ms();
	char next[64] = "no feed due";

	cycle_health(dm->cy, &feeds, &failing);
	if (cycle_in_flight(dm->cy) > 0)
		(void)snprintf(next, sizeof(next), "polling %zu",
		    cycle_in_flight(dm->cy));
	else if (wake != INT64_MAX)
		(void)snprintf(next, sizeof(next), "next poll in %llds",
		    (long long)(wake > now ? (wake - now + 999) / 1000 : 0));
	(void)sdnotifyf("STATUS=%zu feeds, %zu failing; last round: %u ok, %u failed, %u new entries, %u new hits; %s",
	    feeds, failing, dm->last.ok, dm->last.failed,
	    dm->last.new_entries, dm->last.new_hits, next);
}

static void
report_daemon(const struct cycle_feed_report *r, void *ctx)
{
	struct daemon *dm = ctx;
	_cleanup_free_ char *line = cycle_report_line(r);

	if (r->err < 0)
		log_warn("%s (failure %u, next try in %llds)", line,
		    r->failures, (long long)(r->next_poll - now_utc()));
	else
		log_info("%s", line);
	if (r->moved_to)
		log_info("feed '%s': moved permanently to %s (now polled there; the feed list is not changed)",
		    r->feed->name, r->moved_to);
	dm->round_open = true;
	/* The feed's hits are committed: drain the outbox soon. */
	if (r->new_hits > 0) {
		int64_t now = now_utc();
		/* A second after the last drain; now if the clock went back. */
		int64_t t = dm->last_deliver > now ? now :
		    dm->last_deliver + LOOP_DELIVER_GAP_SEC;

		if (dm->deliver_due > t)
			dm->deliver_due = t;
		/*
		 * Fault injection for the tests (HACKING.md): die as kill -9
		 * would, after the commit and before the send.
		 */
		if (dm->fault_kill_after_commit)
			(void)raise(SIGKILL);
	}
}

static void
report_once(const struct cycle_feed_report *r, void *ctx)
{
	report_stdout(r, ctx);
	if (r->moved_to)
		log_info("feed '%s': moved permanently to %s (the feed list is not changed)",
		    r->feed->name, r->moved_to);
}

/* Before the daemon sleeps: SQLite's cache and malloc's free memory go
 * back, for a small idle RSS. */
static void
daemon_release(struct daemon *dm)
{
	store_release_memory(dm->st);
	(void)malloc_trim(0);
}

/* Drain the outbox and run due digests when their time has come. */
static void
daemon_deliver(struct daemon *dm)
{
	int64_t now = now_utc(), next = 0;

	if (!dm->dl || (dm->deliver_due && now < dm->deliver_due))
		return;
	dm->last_deliver = now;
	if (deliver_run(dm->dl, dm->st, now, &next) < 0) {
		log_warn("delivery: %s (retrying in %ds)", store_errmsg(dm->st),
		    DELIVER_RETRY_MIN_SEC);
		next = now + DELIVER_RETRY_MIN_SEC;
	}
	/* Nothing pending: look again within the retry period anyway. */
	dm->deliver_due = next ? next : now + DELIVER_RETRY_MAX_SEC;
	/*
	 * Between rounds this run is the last work before the daemon
	 * sleeps: its reads (hits.atom, the outbox) filled SQLite's page
	 * cache again after the round's trim.  Give that back too.
	 */
	if (!dm->round_open)
		daemon_release(dm);
}

/* Whether the search index may catch up now: between rounds. */
static bool
daemon_index_due(const struct daemon *dm)
{
	return dm->indexing && !dm->round_open && cycle_in_flight(dm->cy) == 0;
}

/*
 * Between rounds, one slice of the entries the saves left out of the
 * search index (store.c), so that the loop goes on handling signals and
 * timers while it catches up.  Once it has, the memory goes back.
 */
static void
daemon_index(struct daemon *dm)
{
	int n = store_fts_sync(dm->st, LOOP_FTS_SLICE);

	/* A search holding the lock: its own catch-up does the work. */
	if (n < 0)
		log_warn("search index: %s (caught up after the next round or by `reewatch search`)",
		    store_errmsg(dm->st));
	if (n < 0 || (size_t)n < LOOP_FTS_SLICE) {
		dm->indexing = false;
		daemon_release(dm);
	}
}

/* A drainer for the setup now in use (a reload replaces the setup). */
static int
daemon_deliver_new(struct daemon *dm)
{
	struct deliver *dl = NULL;
	int r = deliver_new(dm->su, &dl);

	if (r < 0) {
		log_err("cannot start deliveries: %s", strerror(-r));
		return r;
	}
	deliver_free(dm->dl);
	dm->dl = dl;
	dm->deliver_due = 0;
	return 0;
}

static void
daemon_reload(struct daemon *dm)
{
	struct setup *fresh = NULL;
	struct diag d;
	int r;

	(void)sdnotifyf("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)sdnotify_monotonic_usec());
	diag_init(&d);
	if (setup_load(dm->config, &fresh, &d) < 0) {
		print_diag(&d);
		log_err("reload failed (%zu problem%s): keeping the running configuration",
		    d.n, d.n == 1 ? "" : "s");
	} else {
		if (strcmp(fresh->conf->state_dir, dm->su->conf->state_dir) != 0)
			log_warn("state_dir changed to %s: it takes a restart; still using %s",
			    fresh->conf->state_dir, dm->su->conf->state_dir);
		r = cycle_set_setup(dm->cy, fresh);
		if (r < 0) {
			log_err("reload failed: %s; keeping the running configuration",
			    strerror(-r));
			r = cycle_set_setup(dm->cy, dm->su);
			setup_free(fresh);
			/*
			 * Half a setup cannot poll, nor tell its status (its
			 * slots may lack their feeds): out, for systemd to
			 * restart.
			 */
			if (r < 0) {
				log_err("cannot go back to the running configuration: %s; stopping",
				    strerror(-r));
				dm->stop = dm->failed = true;
				diag_done(&d);
				return;
			}
		} else {
			setup_free(dm->su);
			dm->su = fresh;
			(void)daemon_deliver_new(dm);
			warn_intervals(fresh);
			log_info("reloaded: %zu feeds, %zu watchlists (%zu terms, %zu alerts)",
			    fresh->n_feeds, watchset_size(fresh->watch),
			    fresh->n_terms, fresh->n_alerts);
		}
	}
	diag_done(&d);
	(void)sdnotify("READY=1");
	daemon_status(dm);
}

static void
daemon_signals(struct daemon *dm)
{
	struct signalfd_siginfo si;

	while (read(dm->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: reloading %s", dm->su->conf->path);
			daemon_reload(dm);
			break;
		case SIGUSR1:
			log_info("SIGUSR1: polling every feed now");
			cycle_poll_all(dm->cy);
			break;
		default:
			log_info("%s: stopping", strsignal((int)si.ssi_signo));
			dm->stop = true;
			break;
		}
	}
}

static void
daemon_watchdog(struct daemon *dm)
{
	uint64_t now;

	if (!dm->watchdog_usec)
		return;
	now = sdnotify_monotonic_usec();
	if (now - dm->last_watchdog >= dm->watchdog_usec / 2) {
		(void)sdnotify("WATCHDOG=1");
		dm->last_watchdog = now;
	}
}

/* The signals the loop reads from its signalfd. */
static void
loop_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGUSR1);
}

/* The loop; returns the exit status. */
static int
daemon_run(struct daemon *dm)
{
	sigset_t mask;
	int r;

	/* Blocked since the start of main(): none was lost meanwhile. */
	loop_signals(&mask);
	dm->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (dm->sfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return 1;
	}
	r = cycle_new(dm->su, dm->st, report_daemon, dm, &dm->cy);
	if (r < 0) {
		log_err("cannot read the feeds' schedules: %s (%s)",
		    strerror(-r), store_errmsg(dm->st));
		return 1;
	}
	if (cycle_threads(dm->cy) > 0)
		log_info("parsing and matching in up to %u worker thread%s",
		    cycle_threads(dm->cy),
		    cycle_threads(dm->cy) == 1 ? "" : "s");
	else
		log_info("parsing and matching in the main loop (threads = 0)");
	/* Deliveries left pending by the last run go out first. */
	if (daemon_deliver_new(dm) < 0)
		return 1;
	dm->watchdog_usec = sdnotify_watchdog_usec();
	dm->last_watchdog = sdnotify_monotonic_usec();
	if (dm->watchdog_usec)
		log_info("watchdog: pinging every %llu ms",
		    (unsigned long long)(dm->watchdog_usec / 2000));
	(void)sdnotify("READY=1");
	daemon_status(dm);
	/* What the last run left out of the search index. */
	dm->indexing = true;

	while (!dm->stop) {
		int64_t now, wake;
		long long wait;
		bool sig = false;

		now = cycle_now_ms();
		r = cycle_start_due(dm->cy, now);
		if (r < 0)
			break;
		if (r > 0)
			daemon_status(dm);
		daemon_deliver(dm);
		wake = cycle_next_wake_ms(dm->cy);
		wait = wake == INT64_MAX ? LOOP_MAX_SLEEP_MS : wake - now;
		if (dm->deliver_due &&
		    (dm->deliver_due - now_utc()) * 1000 < wait)
			wait = (dm->deliver_due - now_utc()) * 1000;
		if (wait > LOOP_MAX_SLEEP_MS)
			wait = LOOP_MAX_SLEEP_MS;
		if (wait < 0 || daemon_index_due(dm))
			wait = 0;
		if (dm->watchdog_usec) {
			uint64_t half = dm->watchdog_usec / 2000;
			uint64_t since = (sdnotify_monotonic_usec() -
			    dm->last_watchdog) / 1000;
			long long left = since >= half ? 0 :
			    (long long)(half - since);

			if (left < wait)
				wait = left;
		}
		r = cycle_wait(dm->cy, dm->sfd, (int)wait, &sig);
		if (r < 0)
			break;
		daemon_watchdog(dm);
		if (dm->round_open && !cycle_busy(dm->cy, cycle_now_ms())) {
			dm->last = cycle_take_stats(dm->cy);
			dm->round_open = false;
			log_info("polled %u feeds: %u ok (%u not modified), %u failed, %u new entries, %u new hits",
			    dm->last.feeds, dm->last.ok, dm->last.not_modified,
			    dm->last.failed, dm->last.new_entries,
			    dm->last.new_hits);
			daemon_status(dm);
			/*
			 * Give the round's memory back: a small idle RSS.  The
			 * index's catch-up comes next and ends in malloc_trim().
			 */
			r = cycle_trim(dm->cy);
			if (r < 0)
				break;
			dm->indexing = true;
		} else if (!sig && daemon_index_due(dm))
			daemon_index(dm);
		if (sig)
			daemon_signals(dm);
	}
	(void)sdnotify("STOPPING=1");
	if (r < 0) {
		log_err("polling failed: %s (%s)", strerror(-r),
		    store_errmsg(dm->st));
		return 1;
	}
	if (cycle_in_flight(dm->cy) > 0)
		log_info("stopping with %zu feeds in flight; they are polled again at the next start",
		    cycle_in_flight(dm->cy));
	return dm->failed ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, '1' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon dm = { .sfd = -1 };
	struct cycle_stats stats;
	struct sigaction sa;
	sigset_t mask;
	struct diag d;
	const char *fault;
	bool once = false;
	int c, r, status = 0;

	log_init("reewatchd", LOG_LEVEL_INFO);
	/*
	 * Block our signals at once: a SIGHUP or SIGUSR1 during start-up
	 * must not kill us (their default action); the loop reads them from
	 * a signalfd, --once unblocks TERM and INT with a handler.
	 */
	loop_signals(&mask);
	(void)sigprocmask(SIG_BLOCK, &mask, NULL);
	while ((c = getopt_long(argc, argv, "c:1vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			dm.config = optarg;
			break;
		case '1':
			once = true;
			break;
		case 'v':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("reewatchd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	fault = getenv("REEWATCH_FAULT");
	dm.fault_kill_after_commit = fault &&
	    strcmp(fault, "kill-after-commit") == 0;
	if (sdnotify_init() < 0)
		log_warn("NOTIFY_SOCKET is not a socket path; not notifying systemd");

	diag_init(&d);
	if (setup_load(dm.config, &dm.su, &d) < 0) {
		print_diag(&d);
		log_err("%zu problem%s in the configuration; not starting",
		    d.n, d.n == 1 ? "" : "s");
		diag_done(&d);
		return SETUP_EXIT_CONFIG;
	}
	diag_done(&d);
	if (open_store(dm.su, &dm.st) < 0) {
		setup_free(dm.su);
		return 1;
	}
	srandom((unsigned)(time(NULL) ^ getpid()));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);

	log_info("%s: %zu feeds, %zu watchlists (%zu terms, %zu alerts), store in %s",
	    dm.su->conf->path, dm.su->n_feeds, watchset_size(dm.su->watch),
	    dm.su->n_terms, dm.su->n_alerts, dm.su->conf->state_dir);
	if (once) {
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGTERM, &sa, NULL);
		(void)sigaction(SIGINT, &sa, NULL);
		sigemptyset(&mask);
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGINT);
		(void)sigprocmask(SIG_UNBLOCK, &mask, NULL);
		memset(&stats, 0, sizeof(stats));
		r = cycle_run(dm.su, dm.st, &got_stop, report_once, NULL,
		    &stats);
		if (r < 0) {
			log_err("poll cycle failed: %s", strerror(-r));
			status = 1;
		} else {
			log_info("cycle: %u feeds, %u ok (%u not modified), %u failed, %u new entries, %u new hits",
			    stats.feeds, stats.ok, stats.not_modified,
			    stats.failed, stats.new_entries, stats.new_hits);
			if (stats.feeds > 0 && stats.ok == 0)
				status = 1;
			/* One cycle includes handing its hits on. */
			if (daemon_deliver_new(&dm) == 0)
				daemon_deliver(&dm);
		}
	} else {
		/*
		 * The service: one malloc arena for every thread.  glibc
		 * gives each worker (and each of curl's resolver threads)
		 * an arena of its own, and malloc_trim() cannot hand back
		 * the free top of an arena that is not the main one, so
		 * what a round's workers freed stayed resident while the
		 * daemon slept: 18.3 to 24.4 MiB idle over five runs,
		 * against 18.2 to 18.4 with one arena, for a round 0-7 %
		 * slower (bench/RESULTS.md, session 7).  --once keeps the
		 * arenas: it exits after its cycle, and sharing one lock
		 * made that cycle 14-31 % slower.
		 */
		(void)mallopt(M_ARENA_MAX, 1);
		warn_intervals(dm.su);
		status = daemon_run(&dm);
	}
	deliver_free(dm.dl);
	cycle_free(dm.cy);
	if (dm.sfd >= 0)
		(void)close(dm.sfd);
	store_close(dm.st);
	setup_free(dm.su);
	sdnotify_done();
	return status;
}
