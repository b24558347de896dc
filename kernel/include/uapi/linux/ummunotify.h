/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ummunotify: relay MMU notifier invalidations to user space.
 *
 * The ABI below is the one proposed by Roland Dreier and Eric B Munson in
 * 2010 ("ummunotify: Userspace support for MMU notifications"), kept byte
 * for byte: the structure layouts, the ioctl numbers and the event types
 * are unchanged, so programs written against that patch run unmodified.
 *
 * A process opens /dev/ummunotify read-only.  The file descriptor is bound
 * to the opener's address space (current->mm) for its whole life:
 *
 * - ioctl(UMMUNOTIFY_REGISTER_REGION) starts watching an address range,
 *   ioctl(UMMUNOTIFY_UNREGISTER_REGION) stops watching it;
 * - read() returns struct ummunotify_event records, one INVAL per watched
 *   range that was invalidated since it was last reported, then one LAST
 *   record when the queue has been emptied;
 * - mmap() of one page at offset 0, read-only, exposes a 64-bit generation
 *   counter (at offset 0 of the page) that the kernel increments once for
 *   every MMU notifier invalidation that hits at least one watched range.
 *   When the mapped counter equals the counter carried by the last LAST
 *   event read, no event is pending and no system call is needed.
 *
 * See Documentation/ummunotify.rst for the full contract, including the
 * error codes of every call.
 */

#ifndef _UAPI_LINUX_UMMUNOTIFY_H
#define _UAPI_LINUX_UMMUNOTIFY_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * struct ummunotify_register_ioctl - argument of UMMUNOTIFY_REGISTER_REGION
 * @start: first user virtual address of the range (inclusive)
 * @end: end of the range (exclusive); must be greater than @start and
 *	not beyond the top of the user address space
 * @user_cookie: opaque value returned in the INVAL events of this range
 *	and used to unregister it; distinct for every live registration
 *	of the file descriptor
 * @flags: must be 0
 * @reserved: must be 0
 *
 * Ranges may overlap or even be identical, as long as each registration
 * uses its own @user_cookie.  The range need not be mapped, nor page
 * aligned: an invalidation is reported when it intersects [@start, @end).
 */
struct ummunotify_register_ioctl {
	__u64	start;
	__u64	end;
	__u64	user_cookie;
	__u32	flags;
	__u32	reserved;
};

/*
 * The ioctl letter is the 2010 ABI's and cannot change.  The kernel's
 * Documentation/userspace-api/ioctl/ioctl-number.rst (6.1 and 6.12) already
 * lists 'U' for sound/asound.h, linux/uinput.h, linux/usbdevice_fs.h and
 * drivers/bluetooth/hci_uart.h, with numbers that include ours (1 to 4).
 * The full request numbers differ in direction or size, and a driver only
 * sees the requests made on its own files; a request meant for another
 * driver that reaches ours fails with ENOTTY.
 */
#define UMMUNOTIFY_MAGIC		'U'

/**
 * enum ummunotify_feature - bits of the UMMUNOTIFY_EXCHANGE_FEATURES mask
 * @UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES: do not report invalidations after
 *	which the range still maps the same pages: those the kernel makes
 *	only to change page protections (mprotect() either way, NUMA
 *	balancing's scan, the write-protection of a private mapping by
 *	fork(), userfaultfd write-protection) or to reset soft-dirty bits
 *	(clear_refs).  Such an invalidation neither moves the counter nor
 *	queues an event.  Every other invalidation is reported as before,
 *	including any kind this kernel does not know: unmapping, zapping
 *	(MADV_DONTNEED, MADV_FREE, MADV_PAGEOUT), mremap(), MAP_FIXED, page
 *	migration, huge page splits and collapses, KSM, and the copy made
 *	when a write breaks copy-on-write after fork().  A registration made
 *	while a skipped invalidation is in progress is not reported for it.
 *	A protection reduction is not reported either: the pages, and every
 *	registration pinning them, stay as they were (an RDMA registration
 *	made before mprotect(PROT_READ) keeps its write access; only a new
 *	one asking for write access would be refused).
 * @UMMUNOTIFY_FEATURE_REPORT_AT_END: an invalidation that finds, when it
 *	ends (invalidate_range_end), a registration it hit with no event
 *	queued -- its event was read while the invalidation was still in
 *	progress -- queues an INVAL for it again, hint the part it
 *	invalidated, and moves the counter once more.  So an INVAL read
 *	before the pages actually changed is always followed by another one
 *	after they changed, before the invalidating call returns: user space
 *	may keep using (re-pin) a registration whose event it has read,
 *	without a REGISTER call, and still learn of an invalidation that was
 *	in progress meanwhile.  Invalidations skipped by
 *	UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES are not reported at their end
 *	either.  Without this feature the 2010 behaviour holds: one event per
 *	registration per invalidation, queued at its start.
 * @UMMUNOTIFY_FEATURE_EVENT_RING: UMMUNOTIFY_SETUP_RING may make a ring
 *	of INVAL events, mapped at %UMMUNOTIFY_RING_OFFSET (struct
 *	ummunotify_ring), so that they are consumed without a system call.
 *	Until it is made, and while it is full, events are queued for read()
 *	as before.
 */
enum ummunotify_feature {
	UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES	= 1 << 0,
	UMMUNOTIFY_FEATURE_REPORT_AT_END	= 1 << 1,
	UMMUNOTIFY_FEATURE_EVENT_RING		= 1 << 2,
};

/*
 * UMMUNOTIFY_EXCHANGE_FEATURES - negotiate extensions.
 *
 * In: a 32-bit mask of the features (enum ummunotify_feature) user space
 * wishes to use.  Out: the subset the kernel implements; from then on both
 * sides behave as the returned mask says.  Without this call the feature
 * mask is 0, which is the 2010 behaviour.  Bits the kernel does not know
 * are cleared in the answer, not refused.  It must be the first call made
 * on the file descriptor: once any other ioctl, read() or mmap() has been
 * made, or after it has been used once, it fails with EINVAL.
 */
#define UMMUNOTIFY_EXCHANGE_FEATURES	_IOWR(UMMUNOTIFY_MAGIC, 1, __u32)

/*
 * UMMUNOTIFY_REGISTER_REGION - start watching a range.
 *
 * In: struct ummunotify_register_ioctl.  Errors: EINVAL (start >= end,
 * end beyond user space, non-zero flags or reserved, or the cookie is
 * already registered on this file descriptor), ENOSPC (the per-file
 * registration limit, module parameter max_regions, is reached), ENOMEM,
 * EFAULT, EPERM (called from a process other than the opener's address
 * space).
 */
#define UMMUNOTIFY_REGISTER_REGION	_IOW(UMMUNOTIFY_MAGIC, 2, \
					     struct ummunotify_register_ioctl)

/*
 * UMMUNOTIFY_UNREGISTER_REGION - stop watching a range.
 *
 * In: the __u64 user_cookie of the registration.  Once the call returns,
 * no event is delivered for that registration by read(), not even one that
 * was already queued (entries already written to the event ring stay
 * there: see struct ummunotify_ring).  Errors: EINVAL (no such cookie),
 * EFAULT, EPERM.
 */
#define UMMUNOTIFY_UNREGISTER_REGION	_IOW(UMMUNOTIFY_MAGIC, 3, __u64)

/**
 * enum ummunotify_event_type - values of &struct ummunotify_event.type
 * @UMMUNOTIFY_EVENT_TYPE_INVAL: a watched range was invalidated;
 *	user_cookie_counter holds the registration's cookie
 * @UMMUNOTIFY_EVENT_TYPE_LAST: the read emptied the queue;
 *	user_cookie_counter holds the generation counter at that moment,
 *	flags, hint_start and hint_end are 0
 */
enum ummunotify_event_type {
	UMMUNOTIFY_EVENT_TYPE_INVAL	= 0,
	UMMUNOTIFY_EVENT_TYPE_LAST	= 1,
};

/**
 * enum ummunotify_event_flag - bits of &struct ummunotify_event.flags
 * @UMMUNOTIFY_EVENT_FLAG_HINT: the range was hit by a single invalidation
 *	since it was last reported, and hint_start/hint_end hold exactly the
 *	part of the registered range that it invalidated.  Without this
 *	flag, hint_start/hint_end are the whole registered range.
 */
enum ummunotify_event_flag {
	UMMUNOTIFY_EVENT_FLAG_HINT	= 1 << 0,
};

/**
 * struct ummunotify_event - one record returned by read()
 * @type: UMMUNOTIFY_EVENT_TYPE_INVAL or UMMUNOTIFY_EVENT_TYPE_LAST
 * @flags: UMMUNOTIFY_EVENT_FLAG_* bits (INVAL only)
 * @hint_start: start of the invalidated part (see FLAG_HINT)
 * @hint_end: end (exclusive) of the invalidated part
 * @user_cookie_counter: INVAL: the registration's cookie;
 *	LAST: the generation counter when the queue became empty
 *
 * read() reports a registration at most once between two reads however
 * often it is hit (the event ring has an entry per hit); read() fills the
 * buffer with as many whole records as fit and are available, and fails
 * with EINVAL if the buffer cannot hold one.
 */
struct ummunotify_event {
	__u32	type;
	__u32	flags;
	__u64	hint_start;
	__u64	hint_end;
	__u64	user_cookie_counter;
};

/**
 * struct ummunotify_ring_setup - argument of UMMUNOTIFY_SETUP_RING
 * @tail: address, in the caller's memory, of the __u64 where user space
 *	stores the number of ring entries it has consumed (initially 0);
 *	8-byte aligned.  The kernel pins that page for the file's life and
 *	reads the value from it, so it must stay mapped: if it is unmapped
 *	or replaced, the ring looks full and events go to read().
 * @entries: the ring's size in entries, a power of two between
 *	UMMUNOTIFY_RING_MIN_ENTRIES and UMMUNOTIFY_RING_MAX_ENTRIES
 * @reserved: must be 0
 */
struct ummunotify_ring_setup {
	__u64	tail;
	__u32	entries;
	__u32	reserved;
};

/*
 * UMMUNOTIFY_SETUP_RING - make the event ring (UMMUNOTIFY_FEATURE_EVENT_RING).
 *
 * In: struct ummunotify_ring_setup.  From then on an INVAL event is
 * written into the ring when it has room, and queued for read() as before
 * when it has not.  The ring is then mapped read-only, one page of struct
 * ummunotify_ring followed by the entries (struct ummunotify_event), with
 * mmap(NULL, UMMUNOTIFY_RING_LEN(page_size, entries), PROT_READ,
 * MAP_SHARED, fd, UMMUNOTIFY_RING_OFFSET).  Its pages are charged to the
 * caller's memory cgroup; fork() children do not inherit the mapping.
 * Errors: ENOTTY (the feature was not agreed: the request is unknown, as
 * in 2010, and the file stays unused), EINVAL (a bad size, @tail not
 * aligned, reserved not 0), EBUSY (the file has a ring), EFAULT (@tail is
 * not writable memory) or another error of pinning its page (EOPNOTSUPP
 * for a DAX file's page), ENOMEM, EPERM (another process).
 */
#define UMMUNOTIFY_SETUP_RING		_IOW(UMMUNOTIFY_MAGIC, 4, \
					     struct ummunotify_ring_setup)

#define UMMUNOTIFY_RING_OFFSET		(1ULL << 20)
#define UMMUNOTIFY_RING_MIN_ENTRIES	128
#define UMMUNOTIFY_RING_MAX_ENTRIES	65536
#define UMMUNOTIFY_RING_LEN(page_size, entries) \
	((page_size) + (entries) * sizeof(struct ummunotify_event))

/**
 * enum ummunotify_ring_flag - bits of &struct ummunotify_ring.flags
 * @UMMUNOTIFY_RING_OVERFLOW: events are queued for read(), because the
 *	ring was full when they were due (or they were queued before the
 *	ring existed); cleared by the read() that empties that queue.
 *	Nothing is lost: every INVAL is in the ring or in that queue.
 */
enum ummunotify_ring_flag {
	UMMUNOTIFY_RING_OVERFLOW	= 1 << 0,
};

/**
 * struct ummunotify_ring - the first page of the ring mapping, read-only
 * @head: the number of entries ever written; entry n is at index
 *	n % @entries.  Stored with release semantics after the entry, so
 *	that an acquire load of @head makes the entries before it readable.
 * @entries: the number of entries
 * @flags: UMMUNOTIFY_RING_* bits
 *
 * The ring holds INVAL events only: the generation counter stays the one
 * "something changed" signal.  To consume: load the counter (acquire); if
 * it differs from the last value seen, load @head (acquire), copy the
 * entries from the tail to @head, store @head into the tail (release: the
 * kernel may overwrite an entry once the tail has passed it), make a full
 * fence, and only then act on the copies (an entry is consumed when the
 * tail has passed it: a registration re-pinned before that store may miss
 * UMMUNOTIFY_FEATURE_REPORT_AT_END's report).  If @flags has
 * UMMUNOTIFY_RING_OVERFLOW, read() until a LAST event.  Then remember the
 * counter loaded first, not the one of the LAST event: an entry written
 * after @head was loaded is behind a later counter value.
 *
 * One entry is written for every hit of a registration that has no event
 * queued for read(), with its own hint; an entry is never changed once
 * written.  UNREGISTER does not take back a registration's entries:
 * ignore cookies you no longer know.  A tail outside [its last value,
 * @head] is ignored (the ring then looks full; nothing is lost).
 */
struct ummunotify_ring {
	__u64	head;
	__u32	entries;
	__u32	flags;
};

#endif /* _UAPI_LINUX_UMMUNOTIFY_H */
