// SPDX-License-Identifier: GPL-2.0
/*
 * Operations on the files themselves: open (also for writing, refused),
 * close (with mappings left behind), EXCHANGE_FEATURES, unknown ioctls,
 * fdinfo, O_ASYNC.  Files with an event ring: op_ring.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

#define DEVICE "/dev/ummunotify"

static void exchange(struct ufd *u);

/* Opens a file into the free slot there must be (@nonblock: O_NONBLOCK); NULL if it failed. */
struct ufd *fd_open(bool nonblock)
{
	struct ufd *u = fd_slot_free();
	int fd;

	set_what("open%s", nonblock ? " O_NONBLOCK" : "");
	fd = open(DEVICE, O_RDONLY | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	if (!check(fd >= 0, "open " DEVICE ": %s", errname(errno)))
		return NULL;
	fd_forget(u);
	u->open = true;
	u->fd = fd;
	u->id = P.next_id++;
	u->nonblock = nonblock;
	u->used = UNUSED;
	return u;
}

void op_open(void)
{
	struct ufd *u;
	int fd;

	if (!fd_slot_free()) {
		op_close();
		return;
	}
	if (rng_percent(&P.rng, 4)) {
		int flags = rng_percent(&P.rng, 50) ? O_WRONLY : O_RDWR;

		set_what("open %s", flags == O_WRONLY ? "O_WRONLY" : "O_RDWR");
		fd = open(DEVICE, flags | O_CLOEXEC);
		check_errno(fd, EINVAL, "open for writing");
		if (fd >= 0)
			close(fd);
		return;
	}
	u = fd_open(rng_percent(&P.rng, 75));
	/* A fresh file is where EXCHANGE_FEATURES has something to say. */
	if (u && rng_percent(&P.rng, 25))
		exchange(u);
}

/* Keeps a closed file's counter mapping (it holds the file open). */
static void keep_as_zombie(struct ufd *u, struct counter_map *m)
{
	struct zombie *z;

	if (P.nzombies == MAX_ZOMBIES) {
		check_errno(munmap((void *)m->addr, P.page_size), 0, "munmap of a counter page");
		return;
	}
	z = &P.zombies[P.nzombies++];
	z->addr = m->addr;
	z->readable = m->readable;
	z->zapped = m->zapped;
	z->seen = u->seen;
	z->id = u->id;
}

void op_close(void)
{
	struct ufd *u = fd_pick(false);
	unsigned int i;

	if (!u)
		return;
	set_what("close fd#%u (%u registrations, %u mappings%s)", u->id, u->nregs, u->nmaps,
		 u->foreign ? ", foreign" : "");
	for (i = 0; i < u->nmaps; i++)
		keep_as_zombie(u, &u->maps[i]);
	check_errno(close(u->fd), 0, "close");
	ring_close(u);
	fd_forget(u);
}

void op_exchange(void)
{
	struct ufd *u = fd_pick(false);

	if (u)
		exchange(u);
}

static void exchange(struct ufd *u)
{
	size_t readable = sizeof(uint32_t), writable = sizeof(uint32_t);
	const char *kind = "a good pointer";
	uint32_t value, asked, *arg = &value;
	long ret;
	int want;

	switch (rng_below(&P.rng, 6)) {
	case 0:
		value = UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES;
		break;
	case 1:
		value = UMMUNOTIFY_FEATURE_REPORT_AT_END;
		break;
	case 2:
		value = KNOWN_FEATURES;
		break;
	case 3:
		value = UMMUNOTIFY_FEATURE_EVENT_RING;
		break;
	default:
		value = (uint32_t)rng_next(&P.rng);
		break;
	}
	asked = value;
	if (rng_percent(&P.rng, 25))
		arg = bad_pointer(sizeof(value), &readable, &writable, &kind);
	set_what("EXCHANGE_FEATURES fd#%u %#x through %s", u->id, value, kind);
	ret = ioctl(u->fd, UMMUNOTIFY_EXCHANGE_FEATURES, arg);
	if (u->foreign) {
		check_errno(ret, EPERM, "EXCHANGE_FEATURES from another mm");
		return;
	}
	if (readable < sizeof(value)) {
		/* "EFAULT ... the file stays unused, so the call may be retried" */
		check_errno(ret, EFAULT, "EXCHANGE_FEATURES with a bad pointer");
		return;
	}
	if (writable < sizeof(value)) {
		/* Readable, not writable: EFAULT, or EINVAL if the file was used. */
		check_errno(ret, u->used != UNUSED && ret < 0 && errno == EINVAL ? EINVAL : EFAULT,
			    "EXCHANGE_FEATURES with a read-only pointer");
		return;
	}
	if (u->used == MAYBE_USED)
		want = ret == 0 ? 0 : EINVAL;
	else
		want = u->used == USED ? EINVAL : 0;
	if (check_errno(ret, want, u->used == USED ? "EXCHANGE_FEATURES after use" :
			"EXCHANGE_FEATURES first") && ret == 0)
		if (check(value == (asked & KNOWN_FEATURES),
			  "EXCHANGE_FEATURES answered %#x to %#x, not %#x", value, asked,
			  asked & KNOWN_FEATURES))
			u->features = value;
	u->used = USED;
}

/* An ioctl command no file of ours implements, nor the VFS in front of it. */
static unsigned long bad_command(void)
{
	static const unsigned char magics[] = { 'U', 'U', 'U', 'Q', 'z', 0xee };
	unsigned long cmd;

	switch (rng_below(&P.rng, 4)) {
	case 0:
		/* the right numbers with the wrong direction or size */
		switch (rng_below(&P.rng, 5)) {
		case 0: return _IO('U', 1);
		case 1: return _IOR('U', 2, struct ummunotify_register_ioctl);
		case 2: return _IOW('U', 3, uint32_t);
		case 3: return _IOR('U', 4, struct ummunotify_ring_setup);
		default: return _IOWR('U', 2, struct ummunotify_register_ioctl);
		}
	case 1:
		return _IO('U', rng_between(&P.rng, 4, 255));
	default:
		do {
			cmd = _IOC(rng_below(&P.rng, 4), magics[rng_below(&P.rng, sizeof(magics))],
				   rng_below(&P.rng, 256), rng_below(&P.rng, 1 << 14));
		} while (cmd == UMMUNOTIFY_EXCHANGE_FEATURES || cmd == UMMUNOTIFY_REGISTER_REGION ||
			 cmd == UMMUNOTIFY_UNREGISTER_REGION || cmd == UMMUNOTIFY_SETUP_RING);
		return cmd;
	}
}

void op_bad_ioctl(void)
{
	struct ufd *u = fd_pick(false);
	unsigned long cmd = bad_command();
	uint64_t scratch[8] = { 0 };
	void *arg = rng_percent(&P.rng, 50) ? (void *)scratch : (void *)(uintptr_t)rng_next(&P.rng);
	long ret;

	if (!u)
		return;
	set_what("ioctl fd#%u %#lx", u->id, cmd);
	ret = ioctl(u->fd, cmd, arg);
	check_errno(ret, ENOTTY, "unknown ioctl");
	if (!u->foreign)
		mark_used(u, false);
}

void op_fdinfo(void)
{
	struct ufd *u = fd_pick(false);

	if (!u)
		return;
	set_what("fdinfo fd#%u", u->id);
	check_fdinfo(u);
}

/*
 * O_ASYNC on or off, with us as the owner.  Only for our own files: the
 * flags of an inherited file are its opener's too.
 */
void op_async(void)
{
	struct ufd *u = fd_pick(true);
	int flags;
	bool on;

	if (!u)
		return;
	on = !u->async;
	set_what("fd#%u O_ASYNC %s", u->id, on ? "on" : "off");
	if (!check_errno(fcntl(u->fd, F_SETOWN, getpid()), 0, "F_SETOWN"))
		return;
	flags = fcntl(u->fd, F_GETFL);
	if (!check(flags >= 0, "F_GETFL: %s", errname(errno)))
		return;
	flags = on ? flags | O_ASYNC : flags & ~O_ASYNC;
	if (check_errno(fcntl(u->fd, F_SETFL, flags), 0, "F_SETFL O_ASYNC"))
		u->async = on;
}
