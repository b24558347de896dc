/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A range index: possibly overlapping address ranges in a B+tree, for
 * "which ranges overlap [first, last]" in O(log n + k) node visits.
 */
#ifndef _UMMUNOTIFY_RANGE_INDEX_H
#define _UMMUNOTIFY_RANGE_INDEX_H

#include <linux/gfp.h>
#include <linux/types.h>

/* Slots per node; a node other than the root never has fewer than 1/4. */
#define RIDX_ORDER		32
#define RIDX_MIN		(RIDX_ORDER / 4)
/*
 * With at least RIDX_MIN slots per non-root node and two in an inner root,
 * 2^32 ranges need fewer than 12 levels.
 */
#define RIDX_MAX_HEIGHT		12

struct ridx_node;

/**
 * struct ridx_entry - a range kept in a &struct ridx, embedded by its user
 * @start: first address of the range
 * @last: last address of the range (inclusive); @start <= @last
 * @leaf: the leaf that holds the entry; maintained by the index
 *
 * @start and @last must not change while the entry is in an index.
 */
struct ridx_entry {
	unsigned long		start;
	unsigned long		last;
	struct ridx_node	*leaf;
};

/**
 * struct ridx - an index of ranges
 * @root: the root node, NULL when the index is empty
 * @height: levels of nodes, 0 when empty
 * @spare: nodes set aside for insertions, linked through their parent
 * @nr_spare: length of @spare
 * @nr_entries: number of entries
 * @nr_changes: with CONFIG_UMMUNOTIFY_DEBUG_RIDX, insertions and removals
 *	since the last full ridx_validate()
 *
 * A B+tree keyed by start address.  Each inner node keeps, per child, the
 * smallest start and the largest last address below it, so a lookup only
 * descends into children that can hold an overlapping range.  Nodes hold
 * up to %RIDX_ORDER slots in arrays, so a descent touches a few cache
 * lines per level and about log32(n) levels.
 *
 * The index has no lock: its user serializes every call.  No call sleeps
 * or allocates: an insertion takes its nodes from @spare, which the user
 * fills beforehand, where it may sleep, with ridx_alloc_nodes() and
 * ridx_add_spares() until ridx_nodes_wanted() is 0; a removal hands back
 * the nodes it frees beyond a small reserve, for the user to free with
 * ridx_free_nodes() after dropping its lock.
 *
 * ridx_validate() checks every invariant stated in range_index.c.  Built
 * with CONFIG_UMMUNOTIFY_DEBUG_RIDX=y (make -C kernel
 * CONFIG_UMMUNOTIFY_DEBUG_RIDX=y), every insertion and removal checks the
 * nodes it changed and, once the changes since the last full check reach
 * the number of entries, the whole tree (O(1) amortized per entry), and
 * warns at the first broken invariant.
 */
struct ridx {
	struct ridx_node	*root;
	unsigned int		height;
	struct ridx_node	*spare;
	unsigned int		nr_spare;
	unsigned long		nr_entries;
	unsigned long		nr_changes;
};

/**
 * struct ridx_iter - position of a lookup; valid while the index is unchanged
 * @first: first address of the query
 * @last: last address of the query (inclusive)
 * @depth: levels of @level in use
 * @level: per level, the node visited and the slot being looked at
 */
struct ridx_iter {
	unsigned long		first;
	unsigned long		last;
	unsigned int		depth;
	struct {
		struct ridx_node	*node;
		unsigned int		pos;
	} level[RIDX_MAX_HEIGHT];
};

int ridx_cache_create(void);
void ridx_cache_destroy(void);

void ridx_init(struct ridx *idx);
unsigned int ridx_nodes_wanted(const struct ridx *idx);
struct ridx_node *ridx_alloc_nodes(unsigned int count, gfp_t gfp);
void ridx_add_spares(struct ridx *idx, struct ridx_node *nodes);
void ridx_free_nodes(struct ridx_node *nodes);

void ridx_insert(struct ridx *idx, struct ridx_entry *entry);
struct ridx_node *ridx_remove(struct ridx *idx, struct ridx_entry *entry);
void ridx_destroy(struct ridx *idx, void (*free_entry)(struct ridx_entry *));
bool ridx_validate(const struct ridx *idx);

struct ridx_entry *ridx_iter_first(const struct ridx *idx, struct ridx_iter *it,
				   unsigned long first, unsigned long last);
struct ridx_entry *ridx_iter_next(struct ridx_iter *it);

#endif /* _UMMUNOTIFY_RANGE_INDEX_H */
