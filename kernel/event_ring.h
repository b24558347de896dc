/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An event ring: INVAL events written by the kernel into pages that user
 * space maps read-only, and consumed there without a system call; user
 * space publishes how far it consumed in a word of its own memory, whose
 * page the ring pins (UMMUNOTIFY_FEATURE_EVENT_RING; the layout is struct
 * ummunotify_ring in the uapi header).
 */
#ifndef _UMMUNOTIFY_EVENT_RING_H
#define _UMMUNOTIFY_EVENT_RING_H

#include <linux/mm_types.h>
#include <linux/types.h>

#include <linux/ummunotify.h>

/**
 * struct evring - the kernel's side of an event ring
 * @pages: @nr_pages pages: the control page (struct ummunotify_ring), then
 *	the entries
 * @nr_pages: 1 + the pages of entries; 0 while no ring exists
 * @ctl: the control page, as the kernel addresses it
 * @entries: number of entries, a power of two; 0 while no ring exists
 * @head: entries ever written, published to @ctl->head
 * @tail: the last valid value user space stored in its tail word (entries
 *	ever consumed); head - tail <= entries always holds
 * @flags: UMMUNOTIFY_RING_* bits, published to @ctl->flags
 * @tail_page: the pinned user page holding the tail word
 * @tail_offset: the tail word's offset in @tail_page
 *
 * The ring has no lock: its user serializes every call but evring_alloc()
 * and evring_free().  The only word read from user memory is the tail, and
 * it is trusted only within [@tail, @head]: user space can make its own
 * ring look full, no more.
 *
 * Memory ordering, writer (the kernel): an entry is written, then
 * @ctl->head is stored with release; whoever then moves the counter user
 * space checks stores it with release too.  Reader (user space): the
 * counter and @ctl->head are loaded with acquire, the entries copied, and
 * the tail stored with release; the kernel loads the tail with acquire
 * before it overwrites an entry, so it never overwrites one still being
 * copied.
 */
struct evring {
	struct page		**pages;
	unsigned int		nr_pages;
	struct ummunotify_ring	*ctl;
	u32			entries;
	u64			head;
	u64			tail;
	u32			flags;
	struct page		*tail_page;
	unsigned int		tail_offset;
};

int evring_alloc(struct evring *ring, u32 entries, u64 tail_addr);
void evring_free(struct evring *ring);
int evring_map(const struct evring *ring, struct vm_area_struct *vma);

/* Whether a ring exists; none of the calls below may be made otherwise. */
static inline bool evring_active(const struct evring *ring)
{
	return ring->entries;
}

u64 evring_tail(struct evring *ring);
bool evring_push(struct evring *ring, const struct ummunotify_event *ev,
		 u64 *seq);
void evring_set_flag(struct evring *ring, u32 flag, bool on);

/* Whether entry @seq, written by evring_push(), was consumed. */
static inline bool evring_consumed(struct evring *ring, u64 seq)
{
	return seq < evring_tail(ring);
}

#endif /* _UMMUNOTIFY_EVENT_RING_H */
