// SPDX-License-Identifier: GPL-2.0
/*
 * One fuzzer process's life: its signal handlers, the weighted random
 * choice of operations from the table it was given (P.ops: ops.c), the
 * racer thread, how a forked child takes over (the parent's files become
 * foreign, its mappings are gone) and ends, and how its own children are
 * reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

struct proc P;
unsigned int sigio_count;	/* see fuzz.h */

/* How often (in operations) the arena model is compared with the kernel's. */
#define MODEL_CHECK_INTERVAL	2048

static void on_sigio(int sig)
{
	(void)sig;
	__atomic_fetch_add(&sigio_count, 1, __ATOMIC_RELAXED);
}

static void on_sigalrm(int sig)
{
	(void)sig;
}

static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigio;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGIO, &sa, NULL);
	/* No SA_RESTART: a blocking read must come back with EINTR. */
	sa.sa_handler = on_sigalrm;
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void (*pick_op(void))(void)
{
	const struct op *ops = P.ops->ops;
	unsigned int i, total = 0, x;

	if (!fd_pick(true) && rng_percent(&P.rng, 90))
		return op_open;
	for (i = 0; i < P.ops->count; i++)
		if (!P.child || !ops[i].worker_only)
			total += ops[i].weight;
	x = rng_below(&P.rng, total);
	for (i = 0; i < P.ops->count; i++) {
		if (P.child && ops[i].worker_only)
			continue;
		if (x < ops[i].weight)
			return ops[i].fn;
		x -= ops[i].weight;
	}
	return op_open;
}

void run_process(unsigned long nops)
{
	unsigned long end = P.op + nops;

	if (!P.child && !P.op)
		install_handlers();
	while (P.op < end) {
		pick_op()();
		observe_all();
		P.op++;
		if (P.op % 1024 == 0)
			shared_flush();
		if (P.op % MODEL_CHECK_INTERVAL == 0)
			check_arena_model();
	}
	set_what("final drain");
	drain_all();
	set_what("wait for the children");
	reap_children(true);
}

/* A forked child: what was ours belongs to the parent's address space. */
void become_child(unsigned long serial)
{
	unsigned int i;

	snprintf(P.name, sizeof(P.name), "worker %u child %lu", P.worker, serial);
	P.child = true;
	P.op = 0;
	P.ops_flushed = 0;
	P.checks = 0;
	P.checks_flushed = 0;
	P.failures = 0;
	P.failures_flushed = 0;
	report_reset();
	P.nchildren = 0;
	P.nzombies = 0;
	P.forks = 0;
	__atomic_store_n(&sigio_count, 0, __ATOMIC_RELAXED);
	for (i = 0; i < MAX_FDS; i++) {
		P.fds[i].foreign = true;
		P.fds[i].nmaps = 0;	/* VM_DONTCOPY */
		P.fds[i].ring.nmaps = 0;
		P.fds[i].async = false;
	}
	memory_init_child();
	zap_forget();
}

/* Checks how a child ended: exit 0, or the SIGKILL it sent itself. */
void check_child_status(pid_t pid, int status)
{
	if (WIFEXITED(status))
		check(WEXITSTATUS(status) == 0, "child %d exited with status %d", pid,
		      WEXITSTATUS(status));
	else
		check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "child %d died of signal %d", pid,
		      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Reaps the children that ran on their own (all of them if @wait). */
void reap_children(bool wait)
{
	unsigned int i = 0;
	int status;
	pid_t got;

	while (i < P.nchildren) {
		do {
			got = waitpid(P.children[i], &status, wait ? 0 : WNOHANG);
		} while (got < 0 && errno == EINTR);
		if (got == 0) {
			i++;
			continue;
		}
		if (check(got == P.children[i], "waitpid(%d): %s", P.children[i], errname(errno)))
			check_child_status(got, status);
		P.children[i] = P.children[--P.nchildren];
	}
}

_Noreturn void child_exit(bool kill_self)
{
	if (!kill_self && rng_percent(&P.rng, 50)) {
		set_what("final drain");
		drain_all();
	}
	report_failure_counts();
	shared_flush();
	if (kill_self)
		kill(getpid(), SIGKILL);
	_exit(0);
}

/*
 * The racer: a thread that keeps invalidating the scratch pages next to
 * the arena (which wide registrations cover) while the main thread calls
 * into the driver, so that invalidations run concurrently with read(),
 * REGISTER, UNREGISTER, open and close.  It also opens, uses and closes a
 * file of its own in the same address space: registering a notifier
 * (mm_take_all_locks) while the main thread unmaps.  Nothing it does is
 * checked, only survived, but for its announced zaps of the zap region
 * (inprogress.c): an INVAL the main thread reads while one is in progress
 * is owed again (UMMUNOTIFY_FEATURE_REPORT_AT_END).  It only makes system
 * calls and touches its own pages, so forking with it running is safe.
 */
static void racer_file(struct rng *rng, int *fd, uint8_t *scratch)
{
	struct ummunotify_register_ioctl arg = { 0 };
	char events[4096];
	uint64_t cookie;
	ssize_t n;

	switch (rng_below(rng, 4)) {
	case 0:
		if (*fd >= 0)
			close(*fd);
		*fd = open("/dev/ummunotify", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		break;
	case 1:
		arg.start = (uintptr_t)scratch + rng_below(rng, SCRATCH_PAGES * P.page_size);
		arg.end = arg.start + rng_between(rng, 1, 8 * P.page_size);
		arg.user_cookie = rng_below(rng, 16);
		ioctl(*fd, UMMUNOTIFY_REGISTER_REGION, &arg);
		break;
	case 2:
		cookie = rng_below(rng, 16);
		ioctl(*fd, UMMUNOTIFY_UNREGISTER_REGION, &cookie);
		break;
	default:
		/* EAGAIN and EBADF (no file open) are as good as events here. */
		n = read(*fd, events, sizeof(events));
		(void)n;
		break;
	}
}

static pthread_t racer_thread;
/*
 * Set by the main thread to end the racer, which polls it between steps.
 * It carries nothing but "stop" (racer_stop() joins the thread, which
 * orders everything the racer did before whatever follows), so its
 * accesses are relaxed atomic ones: each poll loads it afresh.
 */
static bool racer_stopping;
static bool racer_running;

static void *racer(void *arg)
{
	struct rng rng = { derive_seed(opt.seed, 1000 + P.worker) };
	uint8_t *scratch = P.arena + ARENA_PAGES * P.page_size;
	long ps = P.page_size, first, n, i;
	bool mapped[SCRATCH_PAGES] = { false };
	sigset_t all;
	int fd = -1;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	while (!__atomic_load_n(&racer_stopping, __ATOMIC_RELAXED)) {
		first = rng_below(&rng, SCRATCH_PAGES);
		n = rng_between(&rng, 1, SCRATCH_PAGES - first < 8 ? SCRATCH_PAGES - first : 8);
		switch (rng_below(&rng, 5)) {
		case 4:
			racer_file(&rng, &fd, scratch);
			break;
		case 0:
			if (mmap(scratch + first * ps, n * ps, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED)
				for (i = first; i < first + n; i++)
					mapped[i] = true;
			break;
		case 1:
			munmap(scratch + first * ps, n * ps);
			for (i = first; i < first + n; i++)
				mapped[i] = false;
			break;
		case 2:
			for (i = first; i < first + n; i++)
				if (mapped[i])
					scratch[i * ps + rng_below(&rng, ps)]++;
			break;
		default:
			/* Half of them on the zap region, announced (inprogress.c). */
			if (!rng_percent(&rng, 50) || !zap_announced())
				madvise(scratch + first * ps, n * ps, MADV_DONTNEED);
			break;
		}
		sched_yield();
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

void racer_start(void)
{
	/* Before the thread exists: pthread_create() orders it before the racer. */
	__atomic_store_n(&racer_stopping, false, __ATOMIC_RELAXED);
	racer_running = pthread_create(&racer_thread, NULL, racer, NULL) == 0;
	check(racer_running, "pthread_create of the racer failed");
}

void racer_stop(void)
{
	if (!racer_running)
		return;
	__atomic_store_n(&racer_stopping, true, __ATOMIC_RELAXED);
	pthread_join(racer_thread, NULL);
	racer_running = false;
}
