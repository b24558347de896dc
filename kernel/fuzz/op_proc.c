// SPDX-License-Identifier: GPL-2.0
/*
 * Processes: fork (the child fuzzes on, with the parent's files now
 * foreign to it, and exits or is killed with everything open), and a
 * child that opens a file, registers ranges, passes the file to its
 * parent over a Unix socket and exits: the parent then holds a file
 * whose address space is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

/* How long a parent waits for a child's file (the watchdog is longer). */
#define PASS_TIMEOUT_MS	120000

/* What a passing child tells its parent along with the file. */
struct pass_note {
	uint64_t counter;
	uint32_t nregs;
};

static void wait_child(pid_t pid)
{
	int status;
	pid_t got;

	do {
		got = waitpid(pid, &status, 0);
	} while (got < 0 && errno == EINTR);
	if (check(got == pid, "waitpid(%d): %s", pid, errname(errno)))
		check_child_status(pid, status);
}

void op_reap(void)
{
	set_what("reap children (%u running)", P.nchildren);
	reap_children(false);
}

void op_fork(void)
{
	uint64_t seed = rng_next(&P.rng);
	unsigned long serial = P.forks++;
	unsigned long nops = rng_between(&P.rng, 20, 400);
	bool wait_now = P.nchildren == MAX_CHILDREN || rng_percent(&P.rng, 50);
	pid_t pid;

	set_what("fork child %lu (%lu operations, %s)", serial, nops,
		 wait_now ? "waited for" : "runs on its own");
	shared_flush();
	pid = fork();
	if (pid == 0) {
		become_child(serial);
		P.rng.state = seed;
		run_process(nops);
		child_exit(rng_percent(&P.rng, 25));
	}
	if (!check(pid > 0, "fork: %s", errname(errno)))
		return;
	shared_count_child();
	if (wait_now)
		wait_child(pid);
	else
		P.children[P.nchildren++] = pid;
}

static void send_file(int sock, int fd, struct pass_note *note)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = note, .iov_len = sizeof(*note) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	ssize_t sent = sendmsg(sock, &msg, 0);

	check(sent == sizeof(*note), "sendmsg of fd %d on socket %d: %zd, %s", fd, sock, sent,
	      errname(errno));
}

/* The child's side: a fresh file with @nregs registrations, sent away. */
static _Noreturn void passing_child(int sock, unsigned long serial, uint64_t seed,
				    unsigned int nregs, bool kill_self)
{
	struct ummunotify_register_ioctl arg = { 0 };
	struct pass_note note = { 0 };
	uint64_t ps = P.page_size;
	struct ufd *u;
	unsigned int i;

	become_child(serial);
	P.rng.state = seed;
	run_process(rng_below(&P.rng, 100));
	u = fd_slot_free();
	if (!u) {
		op_close();
		u = fd_slot_free();
	}
	set_what("open a file to pass");
	fd_forget(u);
	u->fd = open("/dev/ummunotify", O_RDONLY | O_CLOEXEC);
	if (!check(u->fd >= 0, "open: %s", errname(errno)))
		child_exit(false);
	u->open = true;
	u->id = P.next_id++;
	set_what("register %u ranges on fd#%u to pass", nregs, u->id);
	for (i = 0; i < nregs; i++) {
		arg.start = (uintptr_t)P.arena + rng_below(&P.rng, ARENA_PAGES) * ps;
		arg.end = arg.start + rng_between(&P.rng, 1, 4 * ps);
		arg.user_cookie = i;
		if (check_errno(ioctl(u->fd, UMMUNOTIFY_REGISTER_REGION, &arg), 0, "REGISTER"))
			reg_add(u, i, arg.start, arg.end);
	}
	if (rng_percent(&P.rng, 50)) {
		void *p = mmap(NULL, ps, PROT_READ, MAP_SHARED, u->fd, 0);

		if (check(p != MAP_FAILED, "mmap of the counter page: %s", errname(errno))) {
			u->maps[0].addr = p;
			u->maps[0].readable = true;
			u->nmaps = 1;
		}
	}
	set_what("pass fd#%u to the parent and %s", u->id, kill_self ? "die" : "exit");
	note.counter = observe(u);
	note.nregs = u->nregs;
	send_file(sock, u->fd, &note);
	child_exit(kill_self);
}

/*
 * The file @pid sends, or -1 if it exits (or PASS_TIMEOUT_MS pass)
 * without sending one; the child is reaped either way.
 */
static int receive_file(int sock, pid_t pid, struct pass_note *note)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = note, .iov_len = sizeof(*note) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct cmsghdr *cmsg;
	bool exited = false;
	int waited, fd, status;
	ssize_t n;

	/* In slices: SIGIO interrupts poll(), and a datagram peer's exit wakes nothing. */
	for (waited = 0; waited < PASS_TIMEOUT_MS && !exited; waited += 100) {
		if (poll(&p, 1, 100) == 1)
			break;
		exited = waitpid(pid, &status, WNOHANG) == pid;
	}
	if (exited)
		check_child_status(pid, status);
	else
		wait_child(pid);
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	cmsg = CMSG_FIRSTHDR(&msg);
	if (n != sizeof(*note) || !cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/*
 * The file of an exited process: its registrations were all reported by
 * the teardown (one counter step), and nothing but close works on it.
 */
static void check_orphan(int fd, const struct pass_note *note)
{
	struct ummunotify_register_ioctl arg = { .start = 4096, .end = 8192 };
	struct fdinfo fi = { 0 };
	uint64_t cookie = 0;
	void *p;

	if (!check(read_fdinfo(fd, &fi), "fdinfo of a passed file"))
		return;
	check(fi.regs == note->nregs && fi.queued == note->nregs,
	      "file of an exited process: %" PRIu64 " registrations, %" PRIu64
	      " queued; want %u and %u",
	      fi.regs, fi.queued, note->nregs, note->nregs);
	check(fi.counter >= note->counter + (note->nregs ? 1 : 0),
	      "file of an exited process: counter %" PRIu64 ", was %" PRIu64
	      " before the exit with %u registrations",
	      fi.counter, note->counter, note->nregs);
	check_errno(ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &arg), EPERM,
		    "REGISTER on a dead mm's file");
	check_errno(ioctl(fd, UMMUNOTIFY_UNREGISTER_REGION, &cookie), EPERM,
		    "UNREGISTER on a dead mm's file");
	check_errno(read(fd, P.rbuf, 4096), EPERM, "read of a dead mm's file");
	p = mmap(NULL, P.page_size, PROT_READ, MAP_SHARED, fd, 0);
	check_errno(p == MAP_FAILED ? -1 : 0, EPERM, "mmap of a dead mm's file");
	if (p != MAP_FAILED)
		munmap(p, P.page_size);
}

void op_pass_fd(void)
{
	uint64_t seed = rng_next(&P.rng);
	unsigned long serial = P.forks++;
	unsigned int nregs = rng_below(&P.rng, 9);
	bool kill_self = rng_percent(&P.rng, 30);
	struct pass_note note;
	struct ufd *u;
	int sv[2], fd;
	pid_t pid;

	set_what("fork child %lu to pass a file with %u registrations", serial, nregs);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		fail("socketpair: %s", errname(errno));
		return;
	}
	shared_flush();
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		passing_child(sv[1], serial, seed, nregs, kill_self);
	}
	close(sv[1]);
	if (!check(pid > 0, "fork: %s", errname(errno))) {
		close(sv[0]);
		return;
	}
	shared_count_child();
	fd = receive_file(sv[0], pid, &note);
	close(sv[0]);
	if (!check(fd >= 0, "no file from child %d", pid))
		return;
	set_what("check the file child %lu passed (%u registrations)", serial, note.nregs);
	check_orphan(fd, &note);
	u = fd_slot_free();
	if (!u || rng_percent(&P.rng, 30)) {
		check_errno(close(fd), 0, "close of a dead mm's file");
		return;
	}
	fd_forget(u);
	u->open = true;
	u->foreign = true;
	u->orphan = true;
	u->fd = fd;
	u->id = P.next_id++;
}
