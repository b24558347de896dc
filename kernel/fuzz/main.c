// SPDX-License-Identifier: GPL-2.0
/*
 * umn-fuzz: an ABI fuzzer for /dev/ummunotify with an oracle (see fuzz.h).
 *
 *   umn-fuzz [--seed S] [--ops N] [--workers W] [--worker I] [--no-racer]
 *            [--hang-timeout S]
 *
 * Runs W worker processes (default 4) for N operations in all (default
 * 10^6), each with its own stream of random choices derived from the seed
 * (random unless given, printed first), forking children of its own on
 * the way.  --worker I runs worker I alone, with the operations it has in
 * the full run: a failure report names the worker, so that its sequence
 * can be replayed.  --no-racer leaves out the threads that invalidate
 * memory concurrently (their timing is the one thing a seed cannot fix).
 *
 * Prints TAP, one test per worker (it exited normally and did not hang),
 * the failures ("# FAIL ...") as they happen, and ends with
 *   fuzz: N passed, N failed
 * counting the oracle's checks, plus one failure per worker that crashed
 * or hung.  Exit status 0 if nothing failed, 1 otherwise, 2 for bad usage.
 * A worker that makes no progress for --hang-timeout seconds (default 120)
 * is reported with the operation it is stuck in and killed.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

struct options opt = {
	.ops = 1000000,
	.workers = 4,
	.only_worker = -1,
	.racer = true,
	.hang_seconds = 120,
};

static void print_usage(FILE *out)
{
	fprintf(out,
		"usage: umn-fuzz [--seed S] [--ops N] [--workers W] [--worker I] [--no-racer]\n"
		"                [--hang-timeout S]\n"
		"Random operations on /dev/ummunotify checked by an oracle; run in the test guest.\n"
		"  --seed S          64-bit seed (decimal or 0x...), random by default\n"
		"  --ops N           operations of all workers together (default 1000000)\n"
		"  --workers W       worker processes, 1..%d (default 4)\n"
		"  --worker I        run only worker I of W (replays its operations)\n"
		"  --no-racer        no thread invalidating memory concurrently\n"
		"  --hang-timeout S  a worker without progress for S s has hung (default 120)\n",
		MAX_WORKERS);
}

static bool parse_number(const char *text, unsigned long long *value)
{
	char *end;

	errno = 0;
	*value = strtoull(text, &end, 0);
	return !errno && end != text && !*end && text[0] != '-';
}

static void parse_options(int argc, char **argv)
{
	unsigned long long value;
	bool seeded = false;
	int i;

	for (i = 1; i < argc; i++) {
		const char *name = argv[i];

		if (!strcmp(name, "--no-racer")) {
			opt.racer = false;
			continue;
		}
		if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
			print_usage(stdout);
			exit(0);
		}
		if (i + 1 >= argc || !parse_number(argv[i + 1], &value)) {
			print_usage(stderr);
			exit(2);
		}
		i++;
		if (!strcmp(name, "--seed")) {
			opt.seed = value;
			seeded = true;
		} else if (!strcmp(name, "--ops") && value > 0) {
			opt.ops = value;
		} else if (!strcmp(name, "--workers") && value >= 1 && value <= MAX_WORKERS) {
			opt.workers = value;
		} else if (!strcmp(name, "--worker") && value < MAX_WORKERS) {
			opt.only_worker = (int)value;
		} else if (!strcmp(name, "--hang-timeout") && value > 0 && value < 86400) {
			opt.hang_seconds = value;
		} else {
			print_usage(stderr);
			exit(2);
		}
	}
	if (opt.only_worker >= (int)opt.workers) {
		fprintf(stderr, "umn-fuzz: --worker %d but only %u workers\n", opt.only_worker,
			opt.workers);
		exit(2);
	}
	if (!seeded && getrandom(&opt.seed, sizeof(opt.seed), 0) != sizeof(opt.seed))
		opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

static unsigned long worker_ops(unsigned int worker)
{
	return opt.ops / opt.workers + (worker < opt.ops % opt.workers ? 1 : 0);
}

static _Noreturn void worker_main(unsigned int worker)
{
	unsigned int i;

	memset(&P, 0, sizeof(P));
	P.ops = &fuzz_ops;
	P.worker = worker;
	snprintf(P.name, sizeof(P.name), "worker %u", worker);
	P.rng.state = derive_seed(opt.seed, worker);
	set_what("start");
	memory_init();
	if (opt.racer)
		racer_start();
	run_process(worker_ops(worker));
	racer_stop();
	zap_report();
	ring_report();
	/* Half the time everything is left for exit() to clean up. */
	if (rng_percent(&P.rng, 50)) {
		set_what("close everything");
		for (i = 0; i < MAX_FDS; i++)
			if (P.fds[i].open)
				close(P.fds[i].fd);
	}
	report_failure_counts();
	shared_flush();
	exit(0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct worker_state {
	pid_t pid;
	int status;
	bool done;
	bool hung;
	unsigned long progress;
	double progress_time;
};

/* Seconds between progress lines, for runs that take long (debug kernels). */
#define PROGRESS_INTERVAL 300

/* Waits for the workers; kills one that made no progress for too long. */
static void watch_workers(struct worker_state *w, unsigned int first, unsigned int last)
{
	unsigned int running = last - first, i;
	double start = now(), next_report = start + PROGRESS_INTERVAL;
	unsigned long progress;
	int status;
	pid_t pid;

	while (running) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			for (i = first; i < last; i++) {
				if (w[i].pid == pid && !w[i].done) {
					w[i].status = status;
					w[i].done = true;
					running--;
				}
			}
			continue;
		}
		if (pid < 0 && errno != EINTR)
			break;
		sleep(1);
		if (now() >= next_report) {
			say("# progress: %lu operations, %lu checks, %lu failures after %.0f s",
			    shared_ops(), shared_checks(), shared_failures(), now() - start);
			next_report += PROGRESS_INTERVAL;
		}
		for (i = first; i < last; i++) {
			if (w[i].done || w[i].hung)
				continue;
			progress = shared_worker_progress(i);
			if (progress != w[i].progress) {
				w[i].progress = progress;
				w[i].progress_time = now();
			} else if (now() - w[i].progress_time > opt.hang_seconds) {
				say("# HANG worker %u: no progress for %u s in: %s", i,
				    opt.hang_seconds, shared_worker_what(i));
				w[i].hung = true;
				kill(w[i].pid, SIGKILL);
			}
		}
	}
}

int main(int argc, char **argv)
{
	struct worker_state w[MAX_WORKERS];
	unsigned int first = 0, last, i, bad = 0;
	unsigned long passed, failed;
	struct stat st;
	double start;
	pid_t pid;

	parse_options(argc, argv);
	setvbuf(stdout, NULL, _IONBF, 0);
	last = opt.workers;
	if (opt.only_worker >= 0) {
		first = opt.only_worker;
		last = first + 1;
	}
	say("# umn-fuzz: seed %#" PRIx64 ", %lu operations, %u workers%s", opt.seed, opt.ops,
	    opt.workers, opt.racer ? ", racer threads" : "");
	say("# replay: %s --seed %#" PRIx64 " --ops %lu --workers %u%s", argv[0], opt.seed,
	    opt.ops, opt.workers, opt.racer ? "" : " --no-racer");
	say("1..%u", last - first);
	if (stat("/dev/ummunotify", &st) || !S_ISCHR(st.st_mode)) {
		say("# %s is missing: run inside the test guest (ummunotify.ko loaded)",
		    "/dev/ummunotify");
		say("fuzz: 0 passed, 1 failed");
		return 1;
	}
	shared_init(opt.workers);
	memset(w, 0, sizeof(w));
	start = now();
	for (i = first; i < last; i++) {
		pid = fork();
		if (pid == 0)
			worker_main(i);
		if (pid < 0) {
			perror("umn-fuzz: fork");
			return 1;
		}
		w[i].pid = pid;
		w[i].progress_time = now();
	}
	watch_workers(w, first, last);
	for (i = first; i < last; i++) {
		bool ok = w[i].done && !w[i].hung && WIFEXITED(w[i].status) &&
			  WEXITSTATUS(w[i].status) == 0;

		if (!ok)
			bad++;
		if (ok)
			say("ok %u - worker %u: %lu operations", i - first + 1, i, worker_ops(i));
		else if (w[i].hung)
			say("not ok %u - worker %u hung (see HANG above)", i - first + 1, i);
		else if (WIFSIGNALED(w[i].status))
			say("not ok %u - worker %u died of signal %d in: %s", i - first + 1, i,
			    WTERMSIG(w[i].status), shared_worker_what(i));
		else
			say("not ok %u - worker %u exited with status %d in: %s", i - first + 1, i,
			    WEXITSTATUS(w[i].status), shared_worker_what(i));
	}
	failed = shared_failures() + bad;
	passed = shared_checks() > shared_failures() ? shared_checks() - shared_failures() : 0;
	say("# %lu operations (%lu of them by %lu child processes), %lu checks, in %.0f s",
	    shared_ops(), shared_child_ops(), shared_children(), shared_checks(), now() - start);
	if (failed)
		say("# to replay: %s --seed %#" PRIx64 " --ops %lu --workers %u [--worker I]%s",
		    argv[0], opt.seed, opt.ops, opt.workers, opt.racer ? "" : " --no-racer");
	say("fuzz: %lu passed, %lu failed", passed, failed);
	return failed ? 1 : 0;
}
