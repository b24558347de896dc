// SPDX-License-Identifier: GPL-2.0
/*
 * The range index of ummunotify: a B+tree of ranges by start address whose
 * inner nodes keep the smallest start and largest last address of each
 * child.  See range_index.h for the rules of use.
 *
 * Invariants, restored before any call returns:
 * - all leaves hold entries, sorted by start, and an in-order walk of the
 *   tree visits every entry by non-decreasing start;
 * - for child i of an inner node, start[i] and last[i] are exactly the
 *   smallest start and the largest last address of the entries below it;
 * - a node other than the root has at least RIDX_MIN slots; an inner root
 *   has at least two; nodes at the same depth are all leaves or all inner;
 * - the root has no parent; every other node is a slot of its parent, and
 *   every entry a slot of its leaf; the tree is @height levels deep;
 * - @nr_entries counts the entries and @nr_spare the nodes on @spare.
 *
 * ridx_validate() checks all of them.
 */

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/kconfig.h>
#include <linux/minmax.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "range_index.h"

/**
 * struct ridx_node - a node of the range index
 * @parent: the parent node, NULL for the root (links the spare list)
 * @nr: slots in use
 * @leaf: whether the slots hold entries rather than child nodes
 * @start: per slot, the entry's start, or the smallest start below the child
 * @last: per slot, the entry's last, or the largest last below the child
 * @slot: per slot, a &struct ridx_entry or a child &struct ridx_node
 */
struct ridx_node {
	struct ridx_node	*parent;
	unsigned int		nr;
	bool			leaf;
	unsigned long		start[RIDX_ORDER];
	unsigned long		last[RIDX_ORDER];
	void			*slot[RIDX_ORDER];
};

static struct kmem_cache *ridx_node_cache;

int ridx_cache_create(void)
{
	ridx_node_cache = KMEM_CACHE(ridx_node, SLAB_ACCOUNT);
	return ridx_node_cache ? 0 : -ENOMEM;
}

void ridx_cache_destroy(void)
{
	kmem_cache_destroy(ridx_node_cache);
}

void ridx_init(struct ridx *idx)
{
	idx->root = NULL;
	idx->height = 0;
	idx->spare = NULL;
	idx->nr_spare = 0;
	idx->nr_entries = 0;
	idx->nr_changes = 0;
}

/*
 * Nodes an insertion may take: one per level if every node on its path
 * splits, and one for a new root.  Without the user's lock, a hint.
 */
unsigned int ridx_nodes_wanted(const struct ridx *idx)
{
	unsigned int need = READ_ONCE(idx->height) + 1;
	unsigned int have = READ_ONCE(idx->nr_spare);

	return need > have ? need - have : 0;
}

/* @count nodes linked through their parent pointer, or NULL. */
struct ridx_node *ridx_alloc_nodes(unsigned int count, gfp_t gfp)
{
	struct ridx_node *list = NULL, *node;

	while (count--) {
		node = kmem_cache_alloc(ridx_node_cache, gfp);
		if (!node) {
			ridx_free_nodes(list);
			return NULL;
		}
		node->parent = list;
		list = node;
	}
	return list;
}

void ridx_free_nodes(struct ridx_node *nodes)
{
	struct ridx_node *next;

	for (; nodes; nodes = next) {
		next = nodes->parent;
		kmem_cache_free(ridx_node_cache, nodes);
	}
}

void ridx_add_spares(struct ridx *idx, struct ridx_node *nodes)
{
	struct ridx_node *next;

	for (; nodes; nodes = next) {
		next = nodes->parent;
		nodes->parent = idx->spare;
		idx->spare = nodes;
		idx->nr_spare++;
	}
}

static struct ridx_node *ridx_take_spare(struct ridx *idx, bool leaf)
{
	struct ridx_node *node = idx->spare;

	/* The user filled the reserve (ridx_nodes_wanted() == 0). */
	idx->spare = node->parent;
	idx->nr_spare--;
	node->parent = NULL;
	node->nr = 0;
	node->leaf = leaf;
	return node;
}

/* Keeps @node in the reserve, or adds it to *@freed if the reserve is full. */
static void ridx_put_spare(struct ridx *idx, struct ridx_node *node,
			   struct ridx_node **freed)
{
	if (idx->nr_spare <= RIDX_MAX_HEIGHT) {
		node->parent = idx->spare;
		idx->spare = node;
		idx->nr_spare++;
	} else {
		node->parent = *freed;
		*freed = node;
	}
}

static unsigned long ridx_max_last(const struct ridx_node *node)
{
	unsigned long last = node->last[0];
	unsigned int i;

	for (i = 1; i < node->nr; i++)
		last = max(last, node->last[i]);
	return last;
}

static unsigned int ridx_slot_of(const struct ridx_node *node, const void *ptr)
{
	unsigned int i;

	for (i = 0; i < node->nr; i++)
		if (node->slot[i] == ptr)
			return i;
	WARN_ON_ONCE(1);
	return 0;
}

/* Points what slot @i of @node holds back at @node. */
static void ridx_adopt(struct ridx_node *node, unsigned int i)
{
	if (node->leaf)
		((struct ridx_entry *)node->slot[i])->leaf = node;
	else
		((struct ridx_node *)node->slot[i])->parent = node;
}

/* Inserts a slot at @i of @node, which has room. */
static void ridx_insert_at(struct ridx_node *node, unsigned int i,
			   unsigned long start, unsigned long last, void *ptr)
{
	unsigned int tail = node->nr - i;

	memmove(&node->start[i + 1], &node->start[i], tail * sizeof(node->start[0]));
	memmove(&node->last[i + 1], &node->last[i], tail * sizeof(node->last[0]));
	memmove(&node->slot[i + 1], &node->slot[i], tail * sizeof(node->slot[0]));
	node->start[i] = start;
	node->last[i] = last;
	node->slot[i] = ptr;
	node->nr++;
	ridx_adopt(node, i);
}

static void ridx_remove_at(struct ridx_node *node, unsigned int i)
{
	unsigned int tail = node->nr - i - 1;

	memmove(&node->start[i], &node->start[i + 1], tail * sizeof(node->start[0]));
	memmove(&node->last[i], &node->last[i + 1], tail * sizeof(node->last[0]));
	memmove(&node->slot[i], &node->slot[i + 1], tail * sizeof(node->slot[0]));
	node->nr--;
}

/*
 * Moves @count slots from @src at @si to @dst at @di; @dst has room and
 * its slots from @di on, if any, move up to make it.  @src's slots after
 * the moved ones move down.
 */
static void ridx_move(struct ridx_node *dst, unsigned int di,
		      struct ridx_node *src, unsigned int si, unsigned int count)
{
	unsigned int dtail = dst->nr - di, stail = src->nr - si - count, i;

	memmove(&dst->start[di + count], &dst->start[di], dtail * sizeof(dst->start[0]));
	memmove(&dst->last[di + count], &dst->last[di], dtail * sizeof(dst->last[0]));
	memmove(&dst->slot[di + count], &dst->slot[di], dtail * sizeof(dst->slot[0]));
	memcpy(&dst->start[di], &src->start[si], count * sizeof(dst->start[0]));
	memcpy(&dst->last[di], &src->last[si], count * sizeof(dst->last[0]));
	memcpy(&dst->slot[di], &src->slot[si], count * sizeof(dst->slot[0]));
	dst->nr += count;
	for (i = di; i < di + count; i++)
		ridx_adopt(dst, i);

	memmove(&src->start[si], &src->start[si + count], stail * sizeof(src->start[0]));
	memmove(&src->last[si], &src->last[si + count], stail * sizeof(src->last[0]));
	memmove(&src->slot[si], &src->slot[si + count], stail * sizeof(src->slot[0]));
	src->nr -= count;
}

/* Sets the summary of @child (slot @i of @parent) from its slots. */
static void ridx_summarize(struct ridx_node *parent, unsigned int i,
			   const struct ridx_node *child)
{
	parent->start[i] = child->start[0];
	parent->last[i] = ridx_max_last(child);
}

/* Brings the summaries above @node up to date after its slots changed. */
static void ridx_fix_up(struct ridx_node *node)
{
	struct ridx_node *parent;

	while ((parent = node->parent)) {
		unsigned int i = ridx_slot_of(parent, node);
		unsigned long start = node->start[0], last = ridx_max_last(node);

		if (parent->start[i] == start && parent->last[i] == last)
			return;
		parent->start[i] = start;
		parent->last[i] = last;
		node = parent;
	}
}

/* The child of inner @node whose keys cover @start. */
static unsigned int ridx_child_for(const struct ridx_node *node,
				   unsigned long start)
{
	unsigned int lo = 0, hi = node->nr;

	/* The last child whose smallest start is <= @start, or the first. */
	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (node->start[mid] <= start)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The first slot of leaf @node whose start is > @start. */
static unsigned int ridx_leaf_pos(const struct ridx_node *node,
				  unsigned long start)
{
	unsigned int lo = 0, hi = node->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (node->start[mid] <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Inserts a slot at @i of @node, splitting full nodes on the way up.  The
 * summaries above @node already cover the new slot.
 */
static void ridx_insert_slot(struct ridx *idx, struct ridx_node *node,
			     unsigned int i, unsigned long start,
			     unsigned long last, void *ptr)
{
	struct ridx_node *right, *parent, *root;
	unsigned int pi, keep;

	while (node->nr == RIDX_ORDER) {
		/*
		 * Halves, unless a run of insertions by rising or falling
		 * start (registrations of buffers as mmap() hands them out)
		 * is growing the node at one end: at the last slot, or at
		 * slot 0 (slot 1 above the leaves, where the first child's
		 * new right half goes).  Then the node the run leaves behind
		 * keeps all but the RIDX_MIN - 1 slots the other needs, and
		 * such runs fill nodes to 25 of 32 slots instead of 16.
		 */
		if (i == RIDX_ORDER)
			keep = RIDX_ORDER - RIDX_MIN + 1;
		else if (i <= 1)
			keep = RIDX_MIN - 1;
		else
			keep = RIDX_ORDER / 2;
		right = ridx_take_spare(idx, node->leaf);
		ridx_move(right, 0, node, keep, RIDX_ORDER - keep);
		if (i > node->nr)
			ridx_insert_at(right, i - node->nr, start, last, ptr);
		else
			ridx_insert_at(node, i, start, last, ptr);

		parent = node->parent;
		if (!parent) {
			root = ridx_take_spare(idx, false);
			ridx_insert_at(root, 0, 0, 0, node);
			ridx_summarize(root, 0, node);
			ridx_insert_at(root, 1, 0, 0, right);
			ridx_summarize(root, 1, right);
			idx->root = root;
			idx->height++;
			return;
		}
		/* @node kept the lower half; @right goes after it. */
		pi = ridx_slot_of(parent, node);
		ridx_summarize(parent, pi, node);
		node = parent;
		i = pi + 1;
		start = right->start[0];
		last = ridx_max_last(right);
		ptr = right;
	}
	ridx_insert_at(node, i, start, last, ptr);
}

/* Reports a broken invariant at @node; evaluates to false. */
#define ridx_broken(node, fmt, ...)					\
	({								\
		pr_err("range index: node %p: " fmt "\n", (node), ##__VA_ARGS__); \
		false;							\
	})

/* Like ridx_slot_of(), but @node->nr if @ptr is not a slot of @node. */
static unsigned int ridx_find_slot(const struct ridx_node *node, const void *ptr)
{
	unsigned int i;

	for (i = 0; i < node->nr && node->slot[i] != ptr; i++)
		;
	return i;
}

/*
 * Checks what @node and its slots alone tell: its fill, the order of its
 * keys, that it is a slot of its parent and its slots point back at it,
 * and that each slot's start and last are those of the entry, or the
 * smallest start and largest last of the child's slots.
 */
static bool ridx_check_node(const struct ridx *idx, const struct ridx_node *node)
{
	unsigned int i, min = RIDX_MIN;

	if (!node->parent) {
		if (node != idx->root)
			return ridx_broken(node, "no parent, not the root");
		min = node->leaf ? 1 : 2;
	} else if (ridx_find_slot(node->parent, node) == node->parent->nr) {
		return ridx_broken(node, "not a slot of its parent %p", node->parent);
	}
	if (node->nr < min || node->nr > RIDX_ORDER)
		return ridx_broken(node, "%u slots, not %u to %u", node->nr, min,
				   RIDX_ORDER);
	for (i = 0; i < node->nr; i++) {
		if (i && node->start[i] < node->start[i - 1])
			return ridx_broken(node, "slot %u starts before slot %u", i, i - 1);
		if (node->leaf) {
			const struct ridx_entry *entry = node->slot[i];

			if (entry->leaf != node)
				return ridx_broken(node, "entry %u is in leaf %p", i, entry->leaf);
			if (entry->start > entry->last)
				return ridx_broken(node, "entry %u starts after its last", i);
			if (node->start[i] != entry->start || node->last[i] != entry->last)
				return ridx_broken(node, "slot %u [%lx, %lx], entry [%lx, %lx]",
						   i, node->start[i], node->last[i],
						   entry->start, entry->last);
		} else {
			const struct ridx_node *child = node->slot[i];

			if (child->parent != node)
				return ridx_broken(node, "child %u has parent %p",
						   i, child->parent);
			if (!child->nr)
				return ridx_broken(node, "child %u is empty", i);
			if (node->start[i] != child->start[0] ||
			    node->last[i] != ridx_max_last(child))
				return ridx_broken(node, "slot %u [%lx, %lx], child [%lx, %lx]",
						   i, node->start[i], node->last[i],
						   child->start[0], ridx_max_last(child));
		}
	}
	return true;
}

/*
 * Checks the subtree of @node, at @depth (the root is at 1): every node,
 * leaves exactly at the tree's height, entries by non-decreasing start
 * after *@prev_start, counted in *@count.  A summary equal to its child's
 * smallest start and largest last is, by induction, exact.
 */
static bool ridx_validate_subtree(const struct ridx *idx,
				  const struct ridx_node *node, unsigned int depth,
				  unsigned long *prev_start, unsigned long *count)
{
	bool deepest = depth == idx->height;
	unsigned int i;

	if (!ridx_check_node(idx, node))
		return false;
	if (node->leaf != deepest)
		return ridx_broken(node, "%s at depth %u of %u",
				   node->leaf ? "leaf" : "inner node", depth, idx->height);
	if (node->leaf) {
		if (node->start[0] < *prev_start)
			return ridx_broken(node, "starts before the leaf to its left");
		*prev_start = node->start[node->nr - 1];
		*count += node->nr;
		return true;
	}
	for (i = 0; i < node->nr; i++)
		if (!ridx_validate_subtree(idx, node->slot[i], depth + 1,
					   prev_start, count))
			return false;
	return true;
}

/**
 * ridx_validate - check every invariant of an index
 * @idx: the index, not changing during the call
 *
 * Walks the whole tree, O(n).  Reports the first broken invariant with
 * pr_err().
 *
 * Return: whether the index is sound.
 */
bool ridx_validate(const struct ridx *idx)
{
	unsigned long prev_start = 0, count = 0;
	const struct ridx_node *node;
	unsigned int spares = 0;

	for (node = idx->spare; node && spares <= idx->nr_spare; node = node->parent)
		spares++;
	if (spares != idx->nr_spare)
		return ridx_broken(idx->spare, "reserve of %u nodes, not %u", spares,
				   idx->nr_spare);
	if (!idx->root) {
		if (idx->height || idx->nr_entries)
			return ridx_broken(NULL, "no root, height %u, %lu entries",
					   idx->height, idx->nr_entries);
		return true;
	}
	if (!idx->height || idx->height > RIDX_MAX_HEIGHT)
		return ridx_broken(idx->root, "height %u", idx->height);
	if (!ridx_validate_subtree(idx, idx->root, 1, &prev_start, &count))
		return false;
	if (count != idx->nr_entries)
		return ridx_broken(idx->root, "%lu entries, counted %lu",
				   count, idx->nr_entries);
	return true;
}

/*
 * With CONFIG_UMMUNOTIFY_DEBUG_RIDX, after an insertion or removal whose
 * changes are all at or below @bottom and in its ancestors' slots (NULL
 * if the index emptied): checks @bottom, its children and its ancestors,
 * or the whole tree once the changes since its last full check reach the
 * number of entries.
 */
static void ridx_debug_check(struct ridx *idx, const struct ridx_node *bottom)
{
	const struct ridx_node *node;
	bool ok = true;
	unsigned int i;

	if (!IS_ENABLED(CONFIG_UMMUNOTIFY_DEBUG_RIDX))
		return;
	if (++idx->nr_changes >= idx->nr_entries) {
		idx->nr_changes = 0;
		ok = ridx_validate(idx);
	} else {
		for (i = 0; bottom && !bottom->leaf && ok && i < bottom->nr; i++)
			ok = ridx_check_node(idx, bottom->slot[i]);
		for (node = bottom; node && ok; node = node->parent)
			ok = ridx_check_node(idx, node);
	}
	WARN_ONCE(!ok, "range index: an invariant is broken (see above)");
}

/**
 * ridx_insert - add a range
 * @idx: the index, whose reserve holds ridx_nodes_wanted() nodes
 * @entry: the range, with @start and @last set; not in any index
 *
 * Ranges may overlap and share a start; an entry is found by its address.
 */
void ridx_insert(struct ridx *idx, struct ridx_entry *entry)
{
	struct ridx_node *node = idx->root;
	unsigned int i;

	if (!node) {
		node = ridx_take_spare(idx, true);
		idx->root = node;
		idx->height = 1;
	}
	while (!node->leaf) {
		i = ridx_child_for(node, entry->start);
		node->start[i] = min(node->start[i], entry->start);
		node->last[i] = max(node->last[i], entry->last);
		node = node->slot[i];
	}
	ridx_insert_slot(idx, node, ridx_leaf_pos(node, entry->start),
			 entry->start, entry->last, entry);
	idx->nr_entries++;
	ridx_debug_check(idx, entry->leaf->parent ?: entry->leaf);
}

/*
 * @node lost a slot: merge it with a sibling or even them out if it is
 * now underfull, shrink the tree if the root has a single child, and bring
 * the summaries up to date.  Returns the lowest node whose slots changed
 * beyond those of its ancestors, or NULL if the index emptied.
 */
static struct ridx_node *ridx_rebalance(struct ridx *idx,
					struct ridx_node *node,
					struct ridx_node **freed)
{
	struct ridx_node *parent, *left, *right;
	unsigned int li, count;

	for (;;) {
		parent = node->parent;
		if (!parent) {
			if (node->nr == 0) {
				idx->root = NULL;
				idx->height = 0;
				ridx_put_spare(idx, node, freed);
			} else if (!node->leaf && node->nr == 1) {
				idx->root = node->slot[0];
				idx->root->parent = NULL;
				idx->height--;
				ridx_put_spare(idx, node, freed);
			}
			return idx->root;
		}
		if (node->nr >= RIDX_MIN) {
			ridx_fix_up(node);
			return node;
		}

		li = ridx_slot_of(parent, node);
		if (li > 0)
			li--;
		left = parent->slot[li];
		right = parent->slot[li + 1];
		if (left->nr + right->nr <= RIDX_ORDER) {
			ridx_move(left, left->nr, right, 0, right->nr);
			ridx_summarize(parent, li, left);
			ridx_remove_at(parent, li + 1);
			ridx_put_spare(idx, right, freed);
			node = parent;
			continue;
		}
		if (left->nr < right->nr) {
			count = (right->nr - left->nr) / 2;
			ridx_move(left, left->nr, right, 0, count);
		} else {
			count = (left->nr - right->nr) / 2;
			ridx_move(right, 0, left, left->nr - count, count);
		}
		ridx_summarize(parent, li, left);
		ridx_summarize(parent, li + 1, right);
		ridx_fix_up(parent);
		return parent;
	}
}

/**
 * ridx_remove - take a range out of its index
 * @idx: the index holding @entry
 * @entry: the range
 *
 * Return: nodes no longer needed, linked through their parent pointer, for
 * ridx_free_nodes() once the user's lock is dropped; usually NULL.
 */
struct ridx_node *ridx_remove(struct ridx *idx, struct ridx_entry *entry)
{
	struct ridx_node *leaf = entry->leaf, *freed = NULL, *bottom;

	ridx_remove_at(leaf, ridx_slot_of(leaf, entry));
	entry->leaf = NULL;
	idx->nr_entries--;
	bottom = ridx_rebalance(idx, leaf, &freed);
	ridx_debug_check(idx, bottom);
	return freed;
}

/**
 * ridx_destroy - empty an index and free its nodes
 * @idx: the index
 * @free_entry: called once for each entry, which is no longer in the index
 */
void ridx_destroy(struct ridx *idx, void (*free_entry)(struct ridx_entry *))
{
	struct ridx_node *node = idx->root, *parent;
	unsigned int i;

	while (node) {
		if (!node->leaf && node->nr) {
			node = node->slot[node->nr - 1];
			continue;
		}
		if (node->leaf)
			for (i = 0; i < node->nr; i++)
				free_entry(node->slot[i]);
		/* Its parent's last slot: drop it and go back up. */
		parent = node->parent;
		if (parent)
			parent->nr--;
		kmem_cache_free(ridx_node_cache, node);
		node = parent;
	}
	ridx_free_nodes(idx->spare);
	ridx_init(idx);
}

static struct ridx_entry *ridx_iter_scan(struct ridx_iter *it)
{
	while (it->depth) {
		struct ridx_node *node = it->level[it->depth - 1].node;
		unsigned int i = it->level[it->depth - 1].pos;

		if (i >= node->nr || node->start[i] > it->last) {
			/* Nothing further right starts early enough. */
			if (--it->depth)
				it->level[it->depth - 1].pos++;
			continue;
		}
		if (node->last[i] < it->first) {
			it->level[it->depth - 1].pos++;
			continue;
		}
		if (node->leaf)
			return node->slot[i];
		if (WARN_ON_ONCE(it->depth == RIDX_MAX_HEIGHT))
			return NULL;
		it->level[it->depth].node = node->slot[i];
		it->level[it->depth].pos = 0;
		it->depth++;
	}
	return NULL;
}

/**
 * ridx_iter_first - first range overlapping [@first, @last]
 * @idx: the index, unchanged until the lookup is over
 * @it: the lookup's position
 * @first: first address of the query
 * @last: last address of the query (inclusive)
 *
 * Return: an entry with start <= @last and last >= @first, or NULL.
 */
struct ridx_entry *ridx_iter_first(const struct ridx *idx, struct ridx_iter *it,
				   unsigned long first, unsigned long last)
{
	it->first = first;
	it->last = last;
	it->depth = 0;
	if (!idx->root)
		return NULL;
	it->level[0].node = idx->root;
	it->level[0].pos = 0;
	it->depth = 1;
	return ridx_iter_scan(it);
}

/**
 * ridx_iter_next - next range overlapping the query of ridx_iter_first()
 * @it: the lookup's position
 *
 * Return: the next overlapping entry, in order of start, or NULL.
 */
struct ridx_entry *ridx_iter_next(struct ridx_iter *it)
{
	if (!it->depth)
		return NULL;
	it->level[it->depth - 1].pos++;
	return ridx_iter_scan(it);
}
