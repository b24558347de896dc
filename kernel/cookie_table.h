/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A cookie table: entries by a 64-bit key in a hash table that doubles
 * incrementally, for "which registration has this cookie" in O(1).
 */
#ifndef _UMMUNOTIFY_COOKIE_TABLE_H
#define _UMMUNOTIFY_COOKIE_TABLE_H

#include <linux/gfp.h>
#include <linux/siphash.h>
#include <linux/types.h>

/*
 * The table starts with 2^CTAB_MIN_BITS buckets and doubles when it holds
 * as many entries as buckets, up to 2^CTAB_MAX_BITS buckets (past that,
 * chains grow).  While it doubles, each ctab_rehash_step() moves
 * CTAB_REHASH_STEP buckets of the old table, so no call pays for the
 * whole move.
 */
#define CTAB_MIN_BITS		4
#define CTAB_MAX_BITS		28
#define CTAB_REHASH_STEP	2

/**
 * struct ctab_entry - an entry of a &struct ctab, embedded by its user
 * @node: link in the chain of a bucket
 * @cookie: the key, set by the user before ctab_insert()
 *
 * @cookie must not change while the entry is in a table.  The entry keeps
 * no hash of it: moving it to a doubled table computes it again, which
 * costs less than 8 bytes per entry for the life of the table.
 */
struct ctab_entry {
	struct hlist_node	node;
	u64			cookie;
};

/**
 * struct ctab - a hash table of entries by cookie
 * @buckets: 1 << @bits chains; new entries go here.  NULL until the first
 *	ctab_install()
 * @bits: log2 of the number of @buckets
 * @old_buckets: while @buckets is a doubled table being filled, the 1 <<
 *	@old_bits chains it replaces, whose chains below @rehash_next are
 *	already empty; NULL otherwise
 * @old_bits: log2 of the number of @old_buckets
 * @rehash_next: the next chain of @old_buckets to move into @buckets
 * @nr: number of entries
 * @key: random key of the hash, so that no caller can aim a whole table
 *	at one bucket
 *
 * The table has no lock: its user serializes every call but the
 * allocation calls.  No call sleeps or
 * allocates under the user's lock: where it may sleep, the user asks
 * ctab_bits_wanted() whether the table should grow, allocates the buckets
 * with ctab_alloc_buckets(), and under its lock hands them to
 * ctab_install(), which may find them no longer wanted.  Every insertion
 * and removal is accompanied by one ctab_rehash_step(), which returns the
 * old buckets once they are empty; the user frees them, and buckets
 * ctab_install() refused, with ctab_free_buckets() after dropping its lock.
 * The table never shrinks before ctab_destroy().
 *
 * Not <linux/rhashtable.h>: it grows from a workqueue, uncharged to the
 * caller's memory cgroup, and when that worker falls behind an insertion
 * allocates with GFP_ATOMIC, under our spinlock; here every allocation is
 * made by the caller where it may sleep, and its RCU-safe buckets and
 * per-bucket locks would buy nothing under the one lock that already
 * serializes every call.
 */
struct ctab {
	struct hlist_head	*buckets;
	unsigned int		bits;
	struct hlist_head	*old_buckets;
	unsigned int		old_bits;
	unsigned int		rehash_next;
	unsigned int		nr;
	hsiphash_key_t		key;
};

void ctab_init(struct ctab *table);
void ctab_destroy(struct ctab *table);

unsigned int ctab_bits_wanted(const struct ctab *table);
struct hlist_head *ctab_alloc_buckets(unsigned int bits, gfp_t gfp);
bool ctab_install(struct ctab *table, struct hlist_head *buckets,
		  unsigned int bits);
struct hlist_head *ctab_rehash_step(struct ctab *table);
void ctab_free_buckets(struct hlist_head *buckets);

int ctab_insert(struct ctab *table, struct ctab_entry *entry);
struct ctab_entry *ctab_find(const struct ctab *table, u64 cookie);
void ctab_remove(struct ctab *table, struct ctab_entry *entry);

#endif /* _UMMUNOTIFY_COOKIE_TABLE_H */
