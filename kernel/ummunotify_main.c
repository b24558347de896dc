// SPDX-License-Identifier: GPL-2.0
/*
 * ummunotify: relay MMU notifier invalidations to user space.
 *
 * A process opens /dev/ummunotify, registers address ranges with ioctl(),
 * reads an INVAL event for every registered range whose mapping changed and
 * maps a read-only page holding a generation counter, so that it can tell
 * without a system call that nothing changed.  The ABI is described in
 * include/uapi/linux/ummunotify.h and Documentation/ummunotify.rst.
 *
 * Why a plain mmu_notifier and not mmu_interval_notifier: the counter must
 * move exactly once per invalidation that hits at least one watched range,
 * whatever the number of ranges hit.  One mmu_notifier per file sees each
 * invalidation once, as a whole, and looks the range up in the file's own
 * range index (range_index.c); an interval notifier per range would call
 * us once per range hit, with nothing to tell which calls belong to the
 * same invalidation, and would put up to max_regions nodes per file into
 * the mm-wide tree that every other notifier user walks.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <linux/ummunotify.h>

#include "cookie_table.h"
#include "event_ring.h"
#include "range_index.h"

/*
 * The counter and the ring's head are __u64s user space loads while we store
 * them: single 64-bit stores with release semantics, which 32-bit kernels
 * do not have.
 */
#ifndef CONFIG_64BIT
#error "ummunotify needs a 64-bit kernel"
#endif

static unsigned int max_regions = 1U << 20;
module_param(max_regions, uint, 0644);
MODULE_PARM_DESC(max_regions,
		 "Maximum number of registered ranges per open file (default 1048576, about 120 bytes each)");

/* Feature bits of UMMUNOTIFY_EXCHANGE_FEATURES we implement. */
#define UMMUNOTIFY_KNOWN_FEATURES	(UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES | \
					 UMMUNOTIFY_FEATURE_REPORT_AT_END | \
					 UMMUNOTIFY_FEATURE_EVENT_RING)

/* Invalidations in progress whose ranges we remember, per file. */
#define UMMUNOTIFY_ACTIVE_SLOTS	16

/* Events copied to user space per round trip of the queue lock in read(). */
#define UMMUNOTIFY_READ_BATCH	128

/**
 * struct ummunotify_reg - one registered range
 * @range: the range [start, last] (last inclusive), in &ummunotify_file.regs
 * @key: the user's cookie, in &ummunotify_file.cookies
 * @list: entry in &ummunotify_file.invalid_list while an event is queued;
 *	empty otherwise
 * @hint_start: start of the invalidated part, valid while @hint_end is
 *	not 0
 * @hint_end: end (exclusive) of the invalidated part if the queued event
 *	was caused by a single invalidation; 0 otherwise (no range ends at 0)
 * @ring_seq: 1 + the sequence number of its last event in the event ring;
 *	0 if it never had one
 *
 * All fields are protected by &ummunotify_file.wqh.lock.  Every byte here
 * is paid per registration: 88 on 64-bit, 46 to a 4 KiB slab.
 */
struct ummunotify_reg {
	struct ridx_entry	range;
	struct ctab_entry	key;
	struct list_head	list;
	unsigned long		hint_start;
	unsigned long		hint_end;
	u64			ring_seq;
};

/**
 * struct ummunotify_active - an invalidation between its start and end
 * @range: the notifier's range, which identifies it until its end
 * @reads: &ummunotify_file.nr_reads when it started
 * @ring_tail: the event ring's consumed entries when it started
 *
 * If both are the same at its end, no event was read or consumed meanwhile
 * and none needs reporting again.
 */
struct ummunotify_active {
	const struct mmu_notifier_range	*range;
	u64				reads;
	u64				ring_tail;
};

struct ummunotify_read_batch;

/**
 * struct ummunotify_file - state of one open file
 * @mn: our MMU notifier, registered on the opener's mm at open()
 * @mm: the opener's mm; the only mm allowed to use this file (the
 *	notifier registration holds a reference on it until release)
 * @counter_page: page mapped read-only into user space by mmap()
 * @counter: the generation counter at offset 0 of @counter_page
 * @wqh: readers wait here; @wqh.lock protects all fields below it
 * @regs: registrations by address range
 * @cookies: the same registrations by cookie (cookie_table.c); its
 *	buckets are allocated with GFP_KERNEL_ACCOUNT by REGISTER before it
 *	takes the lock
 * @invalid_list: registrations with an event queued for read(), oldest
 *	first
 * @ring: the event ring (UMMUNOTIFY_FEATURE_EVENT_RING), once mapped
 * @nr_regions: number of registrations
 * @nr_queued: length of @invalid_list
 * @reported: value of *@counter carried by the last LAST event read
 * @used: an ioctl, read() or mmap() has been made; features are fixed
 * @features: the feature mask agreed by UMMUNOTIFY_EXCHANGE_FEATURES;
 *	written once, under the lock, before @used is set; read without it
 *	by ummunotify_ring_agreed()
 * @active: invalidations between their start and end callbacks, so that
 *	a range registered in that window is reported too: pages pinned
 *	then may be the very pages being thrown away
 * @nr_untracked: invalidations in progress that found @active full; while
 *	any, every new registration is reported at once
 * @nr_reads: INVAL events taken off @invalid_list by read(), ever
 * @nr_reported: invalidations that hit a registration and were reported
 * @nr_filtered: invalidations that hit a registration but were skipped
 *	(UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES)
 * @nr_reported_at_end: invalidations that reported registrations again at
 *	their end (UMMUNOTIFY_FEATURE_REPORT_AT_END)
 * @read_mutex: held by read() while events it took off @invalid_list are
 *	being copied out, so that they can be put back if the copy fails;
 *	unregistering takes it too, so a registration is never freed while a
 *	reader holds a pointer to it.  Taken before @wqh.lock.
 * @batch: read()'s staging buffer, allocated by the first read() that gets
 *	the mutex and kept until release; protected by @read_mutex
 * @async_queue: SIGIO subscribers
 *
 * The protocol: every invalidation of the opener's mm that intersects at
 * least one registration, unless ummunotify_skipped() says it keeps the
 * pages, queues an event for each registration hit (or merges into the one
 * already queued), bumps *@counter once and wakes the readers, all under
 * @wqh.lock and before the notifier returns, so before munmap() and friends
 * return.  read() takes events off the queue and adds
 * a LAST event carrying *@counter when it empties the queue.  The file is
 * readable while events are queued or *@counter differs from @reported.
 *
 * With an event ring, "queues an event" means: a registration already on
 * @invalid_list merges the hit there; any other gets a new ring entry if
 * the ring has room, and goes on @invalid_list (ring flag OVERFLOW) if
 * not.  A ring entry is never changed once written: user space may be
 * copying it.  Entries are written before the counter moves, and the
 * counter is stored with release (event_ring.h says why nothing is lost).
 * A registration is "queued" while it is on @invalid_list or its last ring
 * entry is not consumed yet.
 *
 * While an invalidation is in progress (in @active, or counted in
 * @nr_untracked), every registration it hits is queued or had its event
 * read or consumed since: its start queued one for each registration
 * there, and REGISTER queues one for a registration it adds meanwhile.  So
 * at its end a registration it hits that is not queued had its event read
 * while the pages were still being changed; with
 * UMMUNOTIFY_FEATURE_REPORT_AT_END the end callback queues it again and
 * bumps *@counter once more, so that whoever re-pinned it after that read
 * learns that the pages changed.
 *
 * @wqh.lock is only ever taken from process context (the notifier, system
 * calls and poll), never from interrupts, hence plain spin_lock().
 */
struct ummunotify_file {
	struct mmu_notifier	mn;
	struct mm_struct	*mm;
	struct page		*counter_page;
	u64			*counter;

	wait_queue_head_t	wqh;
	struct ridx		regs;
	struct ctab		cookies;
	struct list_head	invalid_list;
	struct evring		ring;
	unsigned int		nr_regions;
	unsigned int		nr_queued;
	u64			reported;
	bool			used;
	u32			features;
	struct ummunotify_active active[UMMUNOTIFY_ACTIVE_SLOTS];
	unsigned int		nr_untracked;
	u64			nr_reads;
	u64			nr_reported;
	u64			nr_filtered;
	u64			nr_reported_at_end;

	struct mutex		read_mutex;	/* see @read_mutex above */
	struct ummunotify_read_batch *batch;	/* under @read_mutex */
	struct fasync_struct	*async_queue;
};

static struct kmem_cache *ummunotify_reg_cache;

static bool ummunotify_readable(struct ummunotify_file *priv)
{
	lockdep_assert_held(&priv->wqh.lock);
	return priv->nr_queued || *priv->counter != priv->reported;
}

/*
 * Whether poll() reports the file readable: with a ring, while events are
 * queued for read() or ring entries are not consumed (the counter differs
 * from @reported for good once the ring is used, as its consumer reads no
 * LAST event).
 */
static bool ummunotify_poll_readable(struct ummunotify_file *priv)
{
	lockdep_assert_held(&priv->wqh.lock);
	if (!evring_active(&priv->ring))
		return ummunotify_readable(priv);
	return priv->nr_queued || evring_tail(&priv->ring) != priv->ring.head;
}

/* With a ring, its OVERFLOW flag says whether events wait for read(). */
static void ummunotify_sync_overflow(struct ummunotify_file *priv)
{
	lockdep_assert_held(&priv->wqh.lock);
	if (evring_active(&priv->ring))
		evring_set_flag(&priv->ring, UMMUNOTIFY_RING_OVERFLOW,
				priv->nr_queued);
}

/* Whether @reg has an event waiting: for read(), or unconsumed in the ring. */
static bool ummunotify_reg_queued(struct ummunotify_file *priv,
				  struct ummunotify_reg *reg)
{
	lockdep_assert_held(&priv->wqh.lock);
	if (!list_empty(&reg->list))
		return true;
	return reg->ring_seq && evring_active(&priv->ring) &&
	       !evring_consumed(&priv->ring, reg->ring_seq - 1);
}

/* Writes an event for @reg into the ring.  Returns false if it is full. */
static bool ummunotify_ring_event(struct ummunotify_file *priv,
				  struct ummunotify_reg *reg,
				  unsigned long hint_start,
				  unsigned long hint_end)
{
	struct ummunotify_event ev = {
		.type			= UMMUNOTIFY_EVENT_TYPE_INVAL,
		.flags			= UMMUNOTIFY_EVENT_FLAG_HINT,
		.hint_start		= hint_start,
		.hint_end		= hint_end,
		.user_cookie_counter	= reg->key.cookie,
	};
	u64 seq;

	if (!evring_push(&priv->ring, &ev, &seq))
		return false;
	reg->ring_seq = seq + 1;
	return true;
}

/*
 * Queues an event for @reg, hit by an invalidation of [start, end), or
 * merges the hit into the event already queued for read().  With a ring,
 * the event goes there if it has room (see struct ummunotify_file).
 */
static void ummunotify_queue(struct ummunotify_file *priv,
			     struct ummunotify_reg *reg,
			     unsigned long start, unsigned long end)
{
	unsigned long hint_start, hint_end;

	lockdep_assert_held(&priv->wqh.lock);
	/* Every caller passes a range that intersects the registration. */
	WARN_ON_ONCE(start >= end || start > reg->range.last ||
		     end <= reg->range.start);
	if (!list_empty(&reg->list)) {
		/* A second hit before the first was read. */
		reg->hint_end = 0;
		return;
	}
	hint_start = max(start, reg->range.start);
	hint_end = min(end - 1, reg->range.last) + 1;
	if (evring_active(&priv->ring) &&
	    ummunotify_ring_event(priv, reg, hint_start, hint_end))
		return;
	reg->hint_start = hint_start;
	reg->hint_end = hint_end;
	list_add_tail(&reg->list, &priv->invalid_list);
	priv->nr_queued++;
	ummunotify_sync_overflow(priv);
}

/* One invalidation hit at least one registration: tell the readers. */
static void ummunotify_bump_counter(struct ummunotify_file *priv)
{
	lockdep_assert_held(&priv->wqh.lock);
	/*
	 * Only we write the counter; user space reads it any time.  Release:
	 * a ring consumer that sees the new value sees the entries and the
	 * OVERFLOW flag written before it.
	 */
	smp_store_release(priv->counter, *priv->counter + 1);
	wake_up_locked_poll(&priv->wqh, EPOLLIN | EPOLLRDNORM);
}

/*
 * Records an invalidation of [start, end) in every registration it hits.
 * Returns whether it hit any: the caller then sends SIGIO, outside the lock.
 */
static bool ummunotify_invalidate_locked(struct ummunotify_file *priv,
					 unsigned long start, unsigned long end)
{
	struct ridx_entry *range;
	struct ridx_iter it;
	bool hit = false;

	for (range = ridx_iter_first(&priv->regs, &it, start, end - 1); range;
	     range = ridx_iter_next(&it)) {
		ummunotify_queue(priv, container_of(range, struct ummunotify_reg, range),
				 start, end);
		hit = true;
	}
	if (hit)
		ummunotify_bump_counter(priv);
	return hit;
}

static void ummunotify_signal(struct ummunotify_file *priv)
{
	kill_fasync(&priv->async_queue, SIGIO, POLL_IN);
}

/*
 * Whether @range is to be skipped: the file asked for
 * UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES and the kernel says the range maps the
 * same pages afterwards.  Any other event, including one added by a later
 * kernel, may replace or remove pages and is reported.
 */
static bool ummunotify_skipped(const struct ummunotify_file *priv,
			       const struct mmu_notifier_range *range)
{
	lockdep_assert_held(&priv->wqh.lock);
	if (!(priv->features & UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES))
		return false;
	switch (range->event) {
	case MMU_NOTIFY_PROTECTION_VMA:
	case MMU_NOTIFY_PROTECTION_PAGE:
	case MMU_NOTIFY_SOFT_DIRTY:
		return true;
	default:
		return false;
	}
}

/* Whether any registration intersects [start, end). */
static bool ummunotify_any_reg(struct ummunotify_file *priv,
			       unsigned long start, unsigned long end)
{
	struct ridx_iter it;

	lockdep_assert_held(&priv->wqh.lock);
	return ridx_iter_first(&priv->regs, &it, start, end - 1);
}

static int ummunotify_invalidate_range_start(struct mmu_notifier *mn,
					     const struct mmu_notifier_range *range)
{
	struct ummunotify_file *priv =
		container_of(mn, struct ummunotify_file, mn);
	unsigned int i;
	bool hit;

	/* Never sleeps, so it serves blockable and non-blockable callers. */
	spin_lock(&priv->wqh.lock);
	for (i = 0; i < UMMUNOTIFY_ACTIVE_SLOTS && priv->active[i].range; i++)
		;
	if (i < UMMUNOTIFY_ACTIVE_SLOTS) {
		priv->active[i].range = range;
		priv->active[i].reads = priv->nr_reads;
		priv->active[i].ring_tail = evring_active(&priv->ring) ?
					    evring_tail(&priv->ring) : 0;
	} else {
		priv->nr_untracked++;
	}
	if (ummunotify_skipped(priv, range)) {
		if (ummunotify_any_reg(priv, range->start, range->end))
			priv->nr_filtered++;
		hit = false;
	} else {
		hit = ummunotify_invalidate_locked(priv, range->start,
						   range->end);
		if (hit)
			priv->nr_reported++;
	}
	spin_unlock(&priv->wqh.lock);

	if (hit)
		ummunotify_signal(priv);
	return 0;
}

/*
 * UMMUNOTIFY_FEATURE_REPORT_AT_END: queues again each registration that
 * [start, end) hits and that is not queued, which means that its event was
 * read or consumed while this invalidation was in progress (see struct
 * ummunotify_file).  Returns whether it queued any.
 */
static bool ummunotify_report_at_end(struct ummunotify_file *priv,
				     unsigned long start, unsigned long end)
{
	struct ummunotify_reg *reg;
	struct ridx_entry *range;
	struct ridx_iter it;
	bool hit = false;

	lockdep_assert_held(&priv->wqh.lock);
	for (range = ridx_iter_first(&priv->regs, &it, start, end - 1); range;
	     range = ridx_iter_next(&it)) {
		reg = container_of(range, struct ummunotify_reg, range);
		if (ummunotify_reg_queued(priv, reg))
			continue;	/* its event is still to be read */
		ummunotify_queue(priv, reg, start, end);
		hit = true;
	}
	if (hit) {
		ummunotify_bump_counter(priv);
		priv->nr_reported_at_end++;
	}
	return hit;
}

/* Called once for every invalidate_range_start() that returned 0. */
static void ummunotify_invalidate_range_end(struct mmu_notifier *mn,
					    const struct mmu_notifier_range *range)
{
	struct ummunotify_file *priv =
		container_of(mn, struct ummunotify_file, mn);
	bool read_meanwhile = true;
	bool hit = false;
	unsigned int i;

	spin_lock(&priv->wqh.lock);
	/*
	 * A full barrier between the page table changes before this callback
	 * and the load of the ring's tail word below.  It pairs with the one
	 * a ring consumer makes between storing its tail and re-pinning the
	 * range (see "The event ring" in the documentation): either its pin
	 * sees the new page tables, or we see its tail and report again.
	 * Release/acquire alone would allow both to miss.
	 */
	smp_mb__after_spinlock();
	for (i = 0; i < UMMUNOTIFY_ACTIVE_SLOTS; i++) {
		if (priv->active[i].range == range) {
			read_meanwhile = priv->active[i].reads != priv->nr_reads ||
					 (evring_active(&priv->ring) &&
					  priv->active[i].ring_tail !=
					  evring_tail(&priv->ring));
			priv->active[i].range = NULL;
			break;
		}
	}
	/*
	 * Not found: a start that found the slots full (or, if the notifier
	 * was registered in between, one we never saw).  Either way we do not
	 * know what was read since, so read_meanwhile stays true.
	 */
	if (i == UMMUNOTIFY_ACTIVE_SLOTS && priv->nr_untracked)
		priv->nr_untracked--;
	if ((priv->features & UMMUNOTIFY_FEATURE_REPORT_AT_END) &&
	    read_meanwhile && !ummunotify_skipped(priv, range))
		hit = ummunotify_report_at_end(priv, range->start, range->end);
	spin_unlock(&priv->wqh.lock);

	if (hit)
		ummunotify_signal(priv);
}

/*
 * A new registration overlapping an invalidation in progress is reported
 * as hit by it, unless that invalidation is skipped.  Returns whether it was.
 */
static bool ummunotify_hit_by_active(struct ummunotify_file *priv,
				     struct ummunotify_reg *reg)
{
	const struct mmu_notifier_range *range;
	bool hit = false;
	unsigned int i;

	lockdep_assert_held(&priv->wqh.lock);
	if (priv->nr_untracked) {
		ummunotify_queue(priv, reg, reg->range.start, reg->range.last + 1);
		hit = true;
	}
	for (i = 0; i < UMMUNOTIFY_ACTIVE_SLOTS; i++) {
		range = priv->active[i].range;
		if (!range || range->end <= reg->range.start ||
		    range->start > reg->range.last ||
		    ummunotify_skipped(priv, range))
			continue;
		ummunotify_queue(priv, reg, range->start, range->end);
		hit = true;
	}
	if (hit)
		ummunotify_bump_counter(priv);
	return hit;
}

/*
 * The address space is going away (the opener exited while the file lives
 * on elsewhere, or the file is being released): every range is gone.
 */
static void ummunotify_mm_release(struct mmu_notifier *mn,
				  struct mm_struct *mm)
{
	struct ummunotify_file *priv =
		container_of(mn, struct ummunotify_file, mn);
	bool hit;

	spin_lock(&priv->wqh.lock);
	hit = ummunotify_invalidate_locked(priv, 0, ULONG_MAX);
	spin_unlock(&priv->wqh.lock);

	if (hit)
		ummunotify_signal(priv);
}

static const struct mmu_notifier_ops ummunotify_mmu_notifier_ops = {
	.release		= ummunotify_mm_release,
	.invalidate_range_start	= ummunotify_invalidate_range_start,
	.invalidate_range_end	= ummunotify_invalidate_range_end,
};

static bool ummunotify_foreign_mm(struct ummunotify_file *priv)
{
	return current->mm != priv->mm;
}

static void ummunotify_mark_used(struct ummunotify_file *priv)
{
	spin_lock(&priv->wqh.lock);
	priv->used = true;
	spin_unlock(&priv->wqh.lock);
}

/* The queued part of a read: the events and the registrations behind them. */
struct ummunotify_read_batch {
	struct ummunotify_event		ev[UMMUNOTIFY_READ_BATCH];
	struct ummunotify_reg		*reg[UMMUNOTIFY_READ_BATCH];
	unsigned int			n;
	bool				last;
	u64				old_reported;
};

/*
 * Takes up to @max events off the queue into @batch, ending with a LAST
 * event if the queue empties and there is room for it.
 */
static void ummunotify_fill_batch(struct ummunotify_file *priv,
				  struct ummunotify_read_batch *batch,
				  unsigned int max)
{
	struct ummunotify_event *ev;
	struct ummunotify_reg *reg;

	lockdep_assert_held(&priv->wqh.lock);
	batch->n = 0;
	batch->last = false;
	while (batch->n < max) {
		ev = &batch->ev[batch->n];
		memset(ev, 0, sizeof(*ev));
		if (list_empty(&priv->invalid_list)) {
			ev->type = UMMUNOTIFY_EVENT_TYPE_LAST;
			ev->user_cookie_counter = *priv->counter;
			batch->old_reported = priv->reported;
			priv->reported = *priv->counter;
			batch->last = true;
			batch->n++;
			return;
		}
		reg = list_first_entry(&priv->invalid_list,
				       struct ummunotify_reg, list);
		list_del_init(&reg->list);
		WARN_ON_ONCE(!priv->nr_queued);
		priv->nr_queued--;
		ummunotify_sync_overflow(priv);
		priv->nr_reads++;
		ev->type = UMMUNOTIFY_EVENT_TYPE_INVAL;
		if (reg->hint_end) {
			ev->flags = UMMUNOTIFY_EVENT_FLAG_HINT;
			ev->hint_start = reg->hint_start;
			ev->hint_end = reg->hint_end;
		} else {
			ev->hint_start = reg->range.start;
			ev->hint_end = (u64)reg->range.last + 1;
		}
		ev->user_cookie_counter = reg->key.cookie;
		batch->reg[batch->n++] = reg;
	}
}

/*
 * Puts back the events of @batch from index @from on, which did not reach
 * user space, in their original order at the head of the queue.  A
 * registration hit again meanwhile is queued already: its report now
 * covers two invalidations, so it loses its hint.
 */
static void ummunotify_unread_batch(struct ummunotify_file *priv,
				    struct ummunotify_read_batch *batch,
				    unsigned int from)
{
	struct ummunotify_reg *reg;
	unsigned int i = batch->n;

	spin_lock(&priv->wqh.lock);
	if (batch->last && from < batch->n) {
		priv->reported = batch->old_reported;
		i--;
	}
	while (i-- > from) {
		reg = batch->reg[i];
		if (!list_empty(&reg->list)) {
			reg->hint_end = 0;
			continue;
		}
		/* Not queued since: its hint, if any, is still in place. */
		list_add(&reg->list, &priv->invalid_list);
		priv->nr_queued++;
	}
	ummunotify_sync_overflow(priv);
	spin_unlock(&priv->wqh.lock);
}

/*
 * Copies out up to @count bytes of whole events.  Returns the number of
 * bytes copied, 0 if the file turned out not to be readable any more, or
 * -EFAULT if nothing could be copied.  Called with @read_mutex held.
 */
static ssize_t ummunotify_read_events(struct ummunotify_file *priv,
				      struct ummunotify_read_batch *batch,
				      char __user *buf, size_t count)
{
	size_t room = count / sizeof(struct ummunotify_event);
	size_t copied = 0;
	unsigned long left;
	size_t bytes;

	spin_lock(&priv->wqh.lock);
	while (room && ummunotify_readable(priv)) {
		ummunotify_fill_batch(priv, batch,
				      min_t(size_t, room, UMMUNOTIFY_READ_BATCH));
		spin_unlock(&priv->wqh.lock);
		/* Readable and room for one: an INVAL or a LAST was taken. */
		if (WARN_ON_ONCE(!batch->n))
			return copied;

		bytes = batch->n * sizeof(struct ummunotify_event);
		left = copy_to_user(buf + copied, batch->ev, bytes);
		if (left) {
			unsigned int done = (bytes - left) /
					    sizeof(struct ummunotify_event);

			ummunotify_unread_batch(priv, batch, done);
			copied += done * sizeof(struct ummunotify_event);
			return copied ? copied : -EFAULT;
		}
		copied += bytes;
		room -= batch->n;
		if (batch->last)
			return copied;
		spin_lock(&priv->wqh.lock);
	}
	spin_unlock(&priv->wqh.lock);
	return copied;
}

static ssize_t ummunotify_read(struct file *filp, char __user *buf,
			       size_t count, loff_t *pos)
{
	struct ummunotify_file *priv = filp->private_data;
	ssize_t ret;

	if (count < sizeof(struct ummunotify_event))
		return -EINVAL;
	if (ummunotify_foreign_mm(priv))
		return -EPERM;

	ummunotify_mark_used(priv);
	do {
		spin_lock(&priv->wqh.lock);
		if (!ummunotify_readable(priv) && (filp->f_flags & O_NONBLOCK))
			ret = -EAGAIN;
		else
			ret = wait_event_interruptible_locked(priv->wqh,
							      ummunotify_readable(priv));
		spin_unlock(&priv->wqh.lock);
		if (ret)
			break;

		/* Restarted after a handler, like the wait above. */
		if (mutex_lock_interruptible(&priv->read_mutex)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (!priv->batch)
			priv->batch = kmalloc(sizeof(*priv->batch),
					      GFP_KERNEL_ACCOUNT);
		/* 0 when another reader took the events first: wait again. */
		ret = priv->batch ? ummunotify_read_events(priv, priv->batch,
							   buf, count) : -ENOMEM;
		mutex_unlock(&priv->read_mutex);
	} while (!ret);

	return ret;
}

static __poll_t ummunotify_poll(struct file *filp, poll_table *wait)
{
	struct ummunotify_file *priv = filp->private_data;
	__poll_t events = 0;

	poll_wait(filp, &priv->wqh, wait);

	spin_lock(&priv->wqh.lock);
	if (ummunotify_poll_readable(priv))
		events = EPOLLIN | EPOLLRDNORM;
	spin_unlock(&priv->wqh.lock);

	return events;
}

/*
 * Whether UMMUNOTIFY_FEATURE_EVENT_RING was agreed.  Without it the ring's
 * ioctl and mmap offset are unknown, as in 2010: they fail as they did then
 * and leave the file unused.  A racing first EXCHANGE_FEATURES may or may
 * not be seen, as if the calls were made in either order.
 */
static bool ummunotify_ring_agreed(struct ummunotify_file *priv)
{
	return READ_ONCE(priv->features) & UMMUNOTIFY_FEATURE_EVENT_RING;
}

static long ummunotify_exchange_features(struct ummunotify_file *priv,
					 u32 __user *arg)
{
	u32 requested, agreed;
	long ret = 0;

	/*
	 * Fault before committing to anything, so that a bad pointer leaves
	 * the file unused: the request is written back unchanged to prove the
	 * answer can be stored.
	 */
	if (get_user(requested, arg) || put_user(requested, arg))
		return -EFAULT;
	agreed = requested & UMMUNOTIFY_KNOWN_FEATURES;

	spin_lock(&priv->wqh.lock);
	if (priv->used) {
		ret = -EINVAL;
	} else {
		priv->used = true;
		/* Read without the lock by ummunotify_ring_agreed(). */
		WRITE_ONCE(priv->features, agreed);
	}
	spin_unlock(&priv->wqh.lock);
	if (ret)
		return ret;

	return put_user(agreed, arg);
}

/**
 * enum ummunotify_add_outcome - what became of a new registration
 * @UMMUNOTIFY_ADDED: registered
 * @UMMUNOTIFY_ADDED_HIT: registered, and hit by an invalidation in
 *	progress: send SIGIO
 * @UMMUNOTIFY_ADD_NEED_NODES: a concurrent REGISTER took the spare index
 *	nodes: allocate more and try again
 * @UMMUNOTIFY_ADD_FULL: the file has max_regions registrations
 * @UMMUNOTIFY_ADD_COOKIE_IN_USE: another registration has the cookie
 * @UMMUNOTIFY_ADD_NO_MEMORY: index nodes or the first cookie table could
 *	not be allocated
 */
enum ummunotify_add_outcome {
	UMMUNOTIFY_ADDED,
	UMMUNOTIFY_ADDED_HIT,
	UMMUNOTIFY_ADD_NEED_NODES,
	UMMUNOTIFY_ADD_FULL,
	UMMUNOTIFY_ADD_COOKIE_IN_USE,
	UMMUNOTIFY_ADD_NO_MEMORY,
};

/*
 * Adds @reg, given the index nodes in the reserve and, in *@buckets if not
 * NULL, a bigger cookie table of @bits (*@buckets is set to NULL if the
 * table took it).  Old cookie buckets emptied meanwhile are left in
 * *@emptied.  Both are the caller's to free after dropping the lock.
 */
static enum ummunotify_add_outcome
ummunotify_add_locked(struct ummunotify_file *priv, struct ummunotify_reg *reg,
		      struct hlist_head **buckets, unsigned int bits,
		      struct hlist_head **emptied)
{
	int ret;

	lockdep_assert_held(&priv->wqh.lock);
	if (ridx_nodes_wanted(&priv->regs))
		return UMMUNOTIFY_ADD_NEED_NODES;
	if (priv->nr_regions >= READ_ONCE(max_regions))
		return UMMUNOTIFY_ADD_FULL;

	if (*buckets && ctab_install(&priv->cookies, *buckets, bits))
		*buckets = NULL;
	*emptied = ctab_rehash_step(&priv->cookies);
	ret = ctab_insert(&priv->cookies, &reg->key);
	if (ret == -EEXIST)
		return UMMUNOTIFY_ADD_COOKIE_IN_USE;
	if (ret)
		return UMMUNOTIFY_ADD_NO_MEMORY;

	ridx_insert(&priv->regs, &reg->range);
	priv->nr_regions++;
	if (ummunotify_hit_by_active(priv, reg))
		return UMMUNOTIFY_ADDED_HIT;
	return UMMUNOTIFY_ADDED;
}

static long ummunotify_register_region(struct ummunotify_file *priv,
				       void __user *arg)
{
	struct ummunotify_register_ioctl parm;
	struct hlist_head *buckets = NULL, *emptied = NULL;
	enum ummunotify_add_outcome outcome;
	struct ummunotify_reg *reg;
	struct ridx_node *nodes;
	unsigned int bits, wanted;
	long ret;

	if (copy_from_user(&parm, arg, sizeof(parm)))
		return -EFAULT;
	if (parm.flags || parm.reserved)
		return -EINVAL;
	if (parm.start >= parm.end || parm.end > TASK_SIZE)
		return -EINVAL;

	reg = kmem_cache_zalloc(ummunotify_reg_cache, GFP_KERNEL);
	if (!reg)
		return -ENOMEM;
	reg->range.start = parm.start;
	reg->range.last = parm.end - 1;
	reg->key.cookie = parm.user_cookie;
	INIT_LIST_HEAD(&reg->list);

	/*
	 * A bigger cookie table, allocated here where we may sleep.  Only the
	 * first one is a must: without a new one the current table just gets
	 * longer chains.
	 */
	bits = ctab_bits_wanted(&priv->cookies);
	if (bits)
		buckets = ctab_alloc_buckets(bits, GFP_KERNEL_ACCOUNT);

	do {
		/* The index nodes the insertion may need, likewise. */
		nodes = NULL;
		wanted = ridx_nodes_wanted(&priv->regs);
		if (wanted) {
			nodes = ridx_alloc_nodes(wanted, GFP_KERNEL_ACCOUNT);
			if (!nodes) {
				outcome = UMMUNOTIFY_ADD_NO_MEMORY;
				break;
			}
		}

		spin_lock(&priv->wqh.lock);
		priv->used = true;
		ridx_add_spares(&priv->regs, nodes);
		outcome = ummunotify_add_locked(priv, reg, &buckets, bits,
						&emptied);
		spin_unlock(&priv->wqh.lock);
	} while (outcome == UMMUNOTIFY_ADD_NEED_NODES);

	ctab_free_buckets(buckets);
	ctab_free_buckets(emptied);
	switch (outcome) {
	case UMMUNOTIFY_ADDED_HIT:
		ummunotify_signal(priv);
		fallthrough;
	case UMMUNOTIFY_ADDED:
		return 0;
	case UMMUNOTIFY_ADD_FULL:
		ret = -ENOSPC;
		break;
	case UMMUNOTIFY_ADD_COOKIE_IN_USE:
		ret = -EINVAL;
		break;
	default:
		ret = -ENOMEM;
		break;
	}
	kmem_cache_free(ummunotify_reg_cache, reg);
	return ret;
}

static long ummunotify_unregister_region(struct ummunotify_file *priv,
					 u64 __user *arg)
{
	struct ridx_node *freed = NULL;
	struct ummunotify_reg *reg = NULL;
	struct hlist_head *emptied;
	struct ctab_entry *key;
	u64 cookie;

	if (get_user(cookie, arg))
		return -EFAULT;

	/* A reader may hold the registration between dequeue and copy. */
	mutex_lock(&priv->read_mutex);
	spin_lock(&priv->wqh.lock);
	priv->used = true;
	emptied = ctab_rehash_step(&priv->cookies);
	key = ctab_find(&priv->cookies, cookie);
	if (key) {
		reg = container_of(key, struct ummunotify_reg, key);
		ctab_remove(&priv->cookies, key);
		freed = ridx_remove(&priv->regs, &reg->range);
		WARN_ON_ONCE(!priv->nr_regions);
		priv->nr_regions--;
		if (!list_empty(&reg->list)) {
			list_del(&reg->list);
			WARN_ON_ONCE(!priv->nr_queued);
			priv->nr_queued--;
			ummunotify_sync_overflow(priv);
		}
	}
	spin_unlock(&priv->wqh.lock);
	mutex_unlock(&priv->read_mutex);

	ctab_free_buckets(emptied);
	ridx_free_nodes(freed);
	if (!reg)
		return -EINVAL;
	kmem_cache_free(ummunotify_reg_cache, reg);
	return 0;
}

static long ummunotify_setup_ring(struct ummunotify_file *priv,
				  void __user *arg)
{
	struct ummunotify_ring_setup parm;
	struct evring ring;
	long ret = 0;

	if (copy_from_user(&parm, arg, sizeof(parm)))
		return -EFAULT;
	if (parm.reserved)
		return -EINVAL;
	spin_lock(&priv->wqh.lock);
	priv->used = true;
	if (evring_active(&priv->ring))
		ret = -EBUSY;
	spin_unlock(&priv->wqh.lock);
	if (ret)
		return ret;

	ret = evring_alloc(&ring, parm.entries, parm.tail);
	if (ret)
		return ret;
	/* Two calls racing: the first to get here makes the ring. */
	spin_lock(&priv->wqh.lock);
	if (evring_active(&priv->ring)) {
		ret = -EBUSY;
	} else {
		priv->ring = ring;
		/* Events queued before the ring existed wait for read(). */
		ummunotify_sync_overflow(priv);
	}
	spin_unlock(&priv->wqh.lock);
	if (ret)
		evring_free(&ring);
	return ret;
}

static long ummunotify_ioctl(struct file *filp, unsigned int cmd,
			     unsigned long arg)
{
	struct ummunotify_file *priv = filp->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case UMMUNOTIFY_EXCHANGE_FEATURES:
	case UMMUNOTIFY_REGISTER_REGION:
	case UMMUNOTIFY_UNREGISTER_REGION:
		break;
	case UMMUNOTIFY_SETUP_RING:
		/* Unknown, as in 2010, to a file that did not ask for a ring. */
		if (ummunotify_ring_agreed(priv))
			break;
		fallthrough;
	default:
		return -ENOTTY;
	}
	if (ummunotify_foreign_mm(priv))
		return -EPERM;

	switch (cmd) {
	case UMMUNOTIFY_EXCHANGE_FEATURES:
		return ummunotify_exchange_features(priv, argp);
	case UMMUNOTIFY_REGISTER_REGION:
		return ummunotify_register_region(priv, argp);
	case UMMUNOTIFY_SETUP_RING:
		return ummunotify_setup_ring(priv, argp);
	default:
		return ummunotify_unregister_region(priv, argp);
	}
}

/* vm_flags became read-only in 6.3; Kbuild tells which API we have. */
static void ummunotify_vma_mod_flags(struct vm_area_struct *vma,
				     vm_flags_t set, vm_flags_t clear)
{
#ifdef UMMUNOTIFY_HAVE_VM_FLAGS_MOD
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/*
 * The ring's pages do not change from UMMUNOTIFY_SETUP_RING to release(),
 * so they are mapped without the lock (vm_insert_page() may sleep).
 */
static int ummunotify_mmap_ring(struct ummunotify_file *priv,
				struct vm_area_struct *vma)
{
	bool active;

	spin_lock(&priv->wqh.lock);
	priv->used = true;
	active = evring_active(&priv->ring);
	spin_unlock(&priv->wqh.lock);
	return active ? evring_map(&priv->ring, vma) : -EINVAL;
}

static int ummunotify_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct ummunotify_file *priv = filp->private_data;
	bool ring = vma->vm_pgoff == UMMUNOTIFY_RING_OFFSET >> PAGE_SHIFT &&
		    ummunotify_ring_agreed(priv);

	if (ummunotify_foreign_mm(priv))
		return -EPERM;
	if (!ring && (vma->vm_pgoff != 0 || vma->vm_end - vma->vm_start != PAGE_SIZE))
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE)
		return -EPERM;

	/*
	 * Read-only for good (no mprotect to writable), never grown by
	 * mremap, not inherited by fork children (they have another mm),
	 * and not in core dumps.
	 */
	ummunotify_vma_mod_flags(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP,
				 VM_MAYWRITE);
	if (ring)
		return ummunotify_mmap_ring(priv, vma);

	ummunotify_mark_used(priv);
	return vm_insert_page(vma, vma->vm_start, priv->counter_page);
}

static int ummunotify_fasync(int fd, struct file *filp, int on)
{
	struct ummunotify_file *priv = filp->private_data;

	return fasync_helper(fd, filp, on, &priv->async_queue);
}

static void ummunotify_show_fdinfo(struct seq_file *m, struct file *filp)
{
	struct ummunotify_file *priv = filp->private_data;
	unsigned int nr_regions, nr_queued;
	u64 counter, nr_reported, nr_filtered, nr_reported_at_end;
	u64 ring_head = 0, ring_tail = 0;
	u32 features, ring_entries, ring_flags = 0;

	spin_lock(&priv->wqh.lock);
	nr_regions = priv->nr_regions;
	nr_queued = priv->nr_queued;
	counter = *priv->counter;
	features = priv->features;
	nr_reported = priv->nr_reported;
	nr_filtered = priv->nr_filtered;
	nr_reported_at_end = priv->nr_reported_at_end;
	ring_entries = priv->ring.entries;
	if (ring_entries) {
		ring_head = priv->ring.head;
		ring_tail = evring_tail(&priv->ring);
		ring_flags = priv->ring.flags;
	}
	spin_unlock(&priv->wqh.lock);

	seq_printf(m, "registrations:\t%u\n", nr_regions);
	seq_printf(m, "queued:\t%u\n", nr_queued);
	seq_printf(m, "counter:\t%llu\n", counter);
	seq_printf(m, "features:\t0x%x\n", features);
	seq_printf(m, "invalidations_reported:\t%llu\n", nr_reported);
	seq_printf(m, "invalidations_filtered:\t%llu\n", nr_filtered);
	seq_printf(m, "reported_at_end:\t%llu\n", nr_reported_at_end);
	seq_printf(m, "ring_entries:\t%u\n", ring_entries);
	seq_printf(m, "ring_head:\t%llu\n", ring_head);
	seq_printf(m, "ring_tail:\t%llu\n", ring_tail);
	seq_printf(m, "ring_flags:\t0x%x\n", ring_flags);
}

static int ummunotify_open(struct inode *inode, struct file *filp)
{
	struct ummunotify_file *priv;
	int ret;

	if (filp->f_mode & FMODE_WRITE)
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL_ACCOUNT);
	if (!priv)
		return -ENOMEM;

	priv->counter_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!priv->counter_page) {
		ret = -ENOMEM;
		goto out_free_priv;
	}
	priv->counter = page_address(priv->counter_page);

	init_waitqueue_head(&priv->wqh);
	ridx_init(&priv->regs);
	ctab_init(&priv->cookies);
	INIT_LIST_HEAD(&priv->invalid_list);
	mutex_init(&priv->read_mutex);
	priv->mm = current->mm;

	/* Last: callbacks may run as soon as the notifier is registered. */
	priv->mn.ops = &ummunotify_mmu_notifier_ops;
	ret = mmu_notifier_register(&priv->mn, priv->mm);
	if (ret == -EINTR)	/* mm_take_all_locks() saw a signal */
		ret = -ERESTARTSYS;
	if (ret)
		goto out_free_page;

	filp->private_data = priv;
	return stream_open(inode, filp);

out_free_page:
	__free_page(priv->counter_page);
out_free_priv:
	kfree(priv);
	return ret;
}

static void ummunotify_free_reg(struct ridx_entry *range)
{
	kmem_cache_free(ummunotify_reg_cache,
			container_of(range, struct ummunotify_reg, range));
}

static int ummunotify_release(struct inode *inode, struct file *filp)
{
	struct ummunotify_file *priv = filp->private_data;

	/* Waits for running callbacks; none can start afterwards. */
	mmu_notifier_unregister(&priv->mn, priv->mm);

	ridx_destroy(&priv->regs, ummunotify_free_reg);
	ctab_destroy(&priv->cookies);
	/* The mappings hold the file: none is left. */
	evring_free(&priv->ring);
	__free_page(priv->counter_page);
	mutex_destroy(&priv->read_mutex);
	kfree(priv->batch);
	kfree(priv);
	return 0;
}

static const struct file_operations ummunotify_fops = {
	.owner		= THIS_MODULE,
	.open		= ummunotify_open,
	.release	= ummunotify_release,
	.read		= ummunotify_read,
	.poll		= ummunotify_poll,
	.unlocked_ioctl	= ummunotify_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= ummunotify_mmap,
	.fasync		= ummunotify_fasync,
	.show_fdinfo	= ummunotify_show_fdinfo,
};

static struct miscdevice ummunotify_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ummunotify",
	.fops	= &ummunotify_fops,
};

static int __init ummunotify_init(void)
{
	int ret;

	ummunotify_reg_cache = KMEM_CACHE(ummunotify_reg, SLAB_ACCOUNT);
	if (!ummunotify_reg_cache)
		return -ENOMEM;
	ret = ridx_cache_create();
	if (ret)
		goto out_reg_cache;
	ret = misc_register(&ummunotify_misc);
	if (ret)
		goto out_ridx_cache;
	return 0;

out_ridx_cache:
	ridx_cache_destroy();
out_reg_cache:
	kmem_cache_destroy(ummunotify_reg_cache);
	return ret;
}

static void __exit ummunotify_exit(void)
{
	misc_deregister(&ummunotify_misc);
	ridx_cache_destroy();
	kmem_cache_destroy(ummunotify_reg_cache);
}

module_init(ummunotify_init);
module_exit(ummunotify_exit);

MODULE_DESCRIPTION("Relay MMU notifier invalidations to user space");
MODULE_AUTHOR("regcache developers");
MODULE_LICENSE("GPL");
