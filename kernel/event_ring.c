// SPDX-License-Identifier: GPL-2.0
/*
 * The event ring of UMMUNOTIFY_FEATURE_EVENT_RING (see event_ring.h).
 */

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "event_ring.h"

#define EVRING_PER_PAGE	(PAGE_SIZE / sizeof(struct ummunotify_event))

/**
 * evring_alloc() - make a ring
 * @ring: filled in on success
 * @entries: its size, checked here
 * @tail_addr: the user address of the tail word, in the current mm
 *
 * May sleep.  The pages are charged to the caller's memory cgroup.
 *
 * Return: 0, -EINVAL (a bad size, @tail_addr not aligned), -EFAULT
 * (@tail_addr not writable memory) or -ENOMEM.
 */
int evring_alloc(struct evring *ring, u32 entries, u64 tail_addr)
{
	unsigned int i, nr_pages;
	int ret;

	memset(ring, 0, sizeof(*ring));
	if (!is_power_of_2(entries) || entries < UMMUNOTIFY_RING_MIN_ENTRIES ||
	    entries > UMMUNOTIFY_RING_MAX_ENTRIES || !IS_ALIGNED(tail_addr, sizeof(u64)))
		return -EINVAL;
	ret = pin_user_pages_fast(tail_addr, 1, FOLL_WRITE | FOLL_LONGTERM,
				  &ring->tail_page);
	if (ret != 1) {
		ring->tail_page = NULL;
		return ret < 0 ? ret : -EFAULT;
	}
	ring->tail_offset = offset_in_page(tail_addr);

	nr_pages = 1 + DIV_ROUND_UP(entries, EVRING_PER_PAGE);
	ring->pages = kcalloc(nr_pages, sizeof(*ring->pages), GFP_KERNEL_ACCOUNT);
	if (!ring->pages)
		goto nomem;
	ring->nr_pages = nr_pages;
	for (i = 0; i < nr_pages; i++) {
		ring->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!ring->pages[i])
			goto nomem;
	}
	ring->ctl = page_address(ring->pages[0]);
	ring->ctl->entries = entries;
	ring->entries = entries;
	/* Both start at 0: a tail word holding anything else is ignored. */
	return 0;

nomem:
	evring_free(ring);
	return -ENOMEM;
}

/**
 * evring_free() - free a ring's pages and unpin the tail word's
 * @ring: the ring; inactive afterwards
 *
 * Only once no mapping of the ring is left (the file is being released).
 */
void evring_free(struct evring *ring)
{
	unsigned int i;

	if (ring->pages) {
		for (i = 0; i < ring->nr_pages; i++)
			if (ring->pages[i])
				__free_page(ring->pages[i]);
		kfree(ring->pages);
	}
	if (ring->tail_page)
		unpin_user_page(ring->tail_page);
	memset(ring, 0, sizeof(*ring));
}

/**
 * evring_map() - insert the ring's pages into @vma
 * @ring: an active ring
 * @vma: a read-only mapping exactly as long as the ring
 *
 * Return: 0, -EINVAL if @vma has another length, or vm_insert_page()'s
 * error.
 */
int evring_map(const struct evring *ring, struct vm_area_struct *vma)
{
	unsigned long len = PAGE_SIZE + ring->entries * sizeof(struct ummunotify_event);
	unsigned int i;
	int ret;

	if (vma->vm_end - vma->vm_start != PAGE_ALIGN(len))
		return -EINVAL;
	for (i = 0; i < ring->nr_pages; i++) {
		ret = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				     ring->pages[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * evring_tail() - the entries user space has consumed
 * @ring: an active ring
 *
 * Reads the tail word user space stores into; a value outside [the last
 * valid tail, head] is ignored.
 *
 * Return: the number of entries ever consumed.
 */
u64 evring_tail(struct evring *ring)
{
	u64 *word = kmap_local_page(ring->tail_page) + ring->tail_offset;
	/* Pairs with user space's release store after copying the entries. */
	u64 tail = smp_load_acquire(word);

	kunmap_local(word);

	if (tail - ring->tail <= ring->head - ring->tail)
		ring->tail = tail;
	return ring->tail;
}

/**
 * evring_push() - write an event, if there is room
 * @ring: an active ring
 * @ev: the event
 * @seq: set to the entry's sequence number (its position ever)
 *
 * Return: whether it was written; false if the ring is full.
 */
bool evring_push(struct evring *ring, const struct ummunotify_event *ev,
		 u64 *seq)
{
	struct ummunotify_event *slot;
	u64 index;

	if (ring->head - evring_tail(ring) >= ring->entries)
		return false;
	index = ring->head & (ring->entries - 1);
	slot = page_address(ring->pages[1 + index / EVRING_PER_PAGE]);
	slot[index % EVRING_PER_PAGE] = *ev;
	*seq = ring->head++;
	/* The entry before the head that reveals it. */
	smp_store_release(&ring->ctl->head, ring->head);
	return true;
}

/**
 * evring_set_flag() - set or clear a UMMUNOTIFY_RING_* flag
 * @ring: an active ring
 * @flag: the flag
 * @on: its new value
 */
void evring_set_flag(struct evring *ring, u32 flag, bool on)
{
	u32 flags = on ? ring->flags | flag : ring->flags & ~flag;

	if (flags != ring->flags) {
		ring->flags = flags;
		WRITE_ONCE(ring->ctl->flags, flags);
	}
}
