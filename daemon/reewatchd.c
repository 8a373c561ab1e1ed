/*
 * reewatchd.c: the service.  Loads the setup (exit 78 with FILE:LINE when
 * it is broken), opens the store, and runs poll cycles: once with --once,
 * else every interval until SIGTERM/SIGINT; SIGHUP reloads (a broken new
 * setup leaves the old one running).  A thin main over the library.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cycle.h"
#include "log.h"
#include "setup.h"
#include "store.h"

static volatile sig_atomic_t got_stop, got_reload, got_poll;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_reload = 1;
	else if (sig == SIGUSR1)
		got_poll = 1;
	else
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

static void
report_log(const struct cycle_feed_report *r, void *ctx)
{
	_cleanup_free_ char *line = cycle_report_line(r);

	(void)ctx;
	if (r->err < 0)
		log_warn("%s", line);
	else
		log_info("%s", line);
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

/* Wait up to sec seconds, returning early on any signal we handle. */
static void
sleep_interruptible(unsigned sec)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += sec;
	while (!got_stop && !got_reload && !got_poll) {
		long left_ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = (end.tv_sec - now.tv_sec) * 1000 +
		    (end.tv_nsec - now.tv_nsec) / 1000000;
		if (left_ms <= 0)
			break;
		(void)poll(NULL, 0, left_ms > 1000 ? 1000 : (int)left_ms);
	}
}

static void
try_reload(const char *config, struct setup **su)
{
	struct setup *fresh = NULL;
	struct diag d;

	diag_init(&d);
	if (setup_load(config, &fresh, &d) < 0) {
		print_diag(&d);
		log_err("reload failed: keeping the running configuration");
	} else {
		setup_free(*su);
		*su = fresh;
		log_info("reloaded: %zu feeds, %zu watchlists",
		    fresh->n_feeds, watchset_size(fresh->watch));
	}
	diag_done(&d);
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
	const char *config = NULL;
	struct setup *su = NULL;
	struct store *st = NULL;
	struct cycle_stats stats;
	struct sigaction sa;
	struct diag d;
	bool once = false;
	int c, r, status = 0;

	log_init("reewatchd", LOG_LEVEL_INFO);
	while ((c = getopt_long(argc, argv, "c:1vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
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

	diag_init(&d);
	if (setup_load(config, &su, &d) < 0) {
		print_diag(&d);
		log_err("%zu problem%s in the configuration; not starting",
		    d.n, d.n == 1 ? "" : "s");
		diag_done(&d);
		return SETUP_EXIT_CONFIG;
	}
	diag_done(&d);
	if (open_store(su, &st) < 0) {
		setup_free(su);
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);

	log_info("%s: %zu feeds, %zu watchlists (%zu terms, %zu alerts), store in %s",
	    su->conf->path, su->n_feeds, watchset_size(su->watch), su->n_terms,
	    su->n_alerts, su->conf->state_dir);
	for (;;) {
		memset(&stats, 0, sizeof(stats));
		r = cycle_run(su, st, &got_stop,
		    once ? report_stdout : report_log, NULL, &stats);
		if (r < 0) {
			log_err("poll cycle failed: %s", strerror(-r));
			status = 1;
			break;
		}
		log_info("cycle: %u feeds, %u ok (%u not modified), %u failed, %u new entries, %u new hits",
		    stats.feeds, stats.ok, stats.not_modified, stats.failed,
		    stats.new_entries, stats.new_hits);
		if (once) {
			if (stats.feeds > 0 && stats.ok == 0)
				status = 1;
			break;
		}
		got_poll = 0;
		sleep_interruptible(su->conf->interval_sec);
		if (got_stop)
			break;
		if (got_reload) {
			got_reload = 0;
			try_reload(config, &su);
		}
	}
	store_close(st);
	setup_free(su);
	return status;
}
