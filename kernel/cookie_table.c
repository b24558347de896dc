// SPDX-License-Identifier: GPL-2.0
/*
 * The cookie table of ummunotify: entries by cookie in chained buckets of
 * a hash table that doubles incrementally.  See cookie_table.h for the
 * rules of use.
 *
 * Invariants, restored before any call returns:
 * - an entry is in the chain of @buckets its hash picks, or, while the
 *   table doubles, in the chain of @old_buckets its hash picks if that
 *   chain is not below @rehash_next; every chain of @old_buckets below
 *   @rehash_next is empty;
 * - no two entries share a cookie; @nr counts the entries.
 */

#include <linux/compiler.h>
#include <linux/list.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "cookie_table.h"

void ctab_init(struct ctab *table)
{
	table->buckets = NULL;
	table->bits = 0;
	table->old_buckets = NULL;
	table->old_bits = 0;
	table->rehash_next = 0;
	table->nr = 0;
	get_random_bytes(&table->key, sizeof(table->key));
}

/**
 * ctab_destroy - free the buckets of a table
 * @table: the table; its entries are the user's to free
 */
void ctab_destroy(struct ctab *table)
{
	kvfree(table->buckets);
	kvfree(table->old_buckets);
	table->buckets = NULL;
	table->old_buckets = NULL;
}

static u32 ctab_hash(const struct ctab *table, u64 cookie)
{
	return hsiphash_2u32(lower_32_bits(cookie), upper_32_bits(cookie),
			     &table->key);
}

static struct hlist_head *ctab_bucket(struct hlist_head *buckets,
				      unsigned int bits, u32 hash)
{
	return &buckets[hash & (BIT(bits) - 1)];
}

/*
 * The chain that holds, or would hold, an entry with this hash: in the old
 * table while doubling if its chain there was not moved yet.  The table
 * has buckets.
 */
static struct hlist_head *ctab_chain(const struct ctab *table, u32 hash)
{
	if (table->old_buckets &&
	    (hash & (BIT(table->old_bits) - 1)) >= table->rehash_next)
		return ctab_bucket(table->old_buckets, table->old_bits, hash);
	return ctab_bucket(table->buckets, table->bits, hash);
}

static struct ctab_entry *ctab_chain_find(struct hlist_head *chain, u64 cookie)
{
	struct ctab_entry *entry;

	hlist_for_each_entry(entry, chain, node)
		if (entry->cookie == cookie)
			return entry;
	return NULL;
}

/**
 * ctab_find - look an entry up by its cookie
 * @table: the table
 * @cookie: the key
 *
 * Return: the entry with @cookie, or NULL.
 */
struct ctab_entry *ctab_find(const struct ctab *table, u64 cookie)
{
	if (!table->buckets)
		return NULL;
	return ctab_chain_find(ctab_chain(table, ctab_hash(table, cookie)),
			       cookie);
}

/**
 * ctab_insert - add an entry unless its cookie is in use
 * @table: the table
 * @entry: the entry, its cookie set; not in any table
 *
 * Return: 0, -ENOMEM if the table has no buckets yet (no ctab_install()
 * succeeded), or -EEXIST if an entry with the same cookie is in the table.
 */
int ctab_insert(struct ctab *table, struct ctab_entry *entry)
{
	struct hlist_head *chain;

	if (!table->buckets)
		return -ENOMEM;
	chain = ctab_chain(table, ctab_hash(table, entry->cookie));
	if (ctab_chain_find(chain, entry->cookie))
		return -EEXIST;
	hlist_add_head(&entry->node, chain);
	table->nr++;
	return 0;
}

/**
 * ctab_remove - take an entry out of its table
 * @table: the table holding @entry
 * @entry: the entry
 */
void ctab_remove(struct ctab *table, struct ctab_entry *entry)
{
	hlist_del(&entry->node);
	table->nr--;
}

/**
 * ctab_bits_wanted - whether one more entry calls for a bigger table
 * @table: the table
 *
 * Without the user's lock, a hint: ctab_install() checks again.
 *
 * Return: log2 of the number of buckets the table wants, or 0.
 */
unsigned int ctab_bits_wanted(const struct ctab *table)
{
	unsigned int bits = READ_ONCE(table->bits);

	if (!READ_ONCE(table->buckets))
		return CTAB_MIN_BITS;
	if (READ_ONCE(table->old_buckets) || bits >= CTAB_MAX_BITS ||
	    READ_ONCE(table->nr) < BIT(bits))
		return 0;
	return bits + 1;
}

/**
 * ctab_alloc_buckets - allocate the empty chains of a table
 * @bits: log2 of their number
 * @gfp: allocation flags; the caller may sleep if they allow it
 *
 * Return: the chains, or NULL.
 */
struct hlist_head *ctab_alloc_buckets(unsigned int bits, gfp_t gfp)
{
	return kvcalloc(BIT(bits), sizeof(struct hlist_head), gfp);
}

/**
 * ctab_free_buckets - free chains from ctab_alloc_buckets()
 * @buckets: the chains, empty, or NULL
 */
void ctab_free_buckets(struct hlist_head *buckets)
{
	kvfree(buckets);
}

/**
 * ctab_install - make new buckets the table's, if it still wants them
 * @table: the table
 * @buckets: 1 << @bits empty chains from ctab_alloc_buckets()
 * @bits: the value ctab_bits_wanted() returned
 *
 * If the table has buckets already, they become the old table, moved into
 * @buckets by later ctab_rehash_step() calls.
 *
 * Return: whether the table took @buckets; the caller frees them if not.
 */
bool ctab_install(struct ctab *table, struct hlist_head *buckets,
		  unsigned int bits)
{
	if (ctab_bits_wanted(table) != bits)
		return false;
	if (table->buckets) {
		table->old_buckets = table->buckets;
		table->old_bits = table->bits;
		table->rehash_next = 0;
	}
	table->buckets = buckets;
	table->bits = bits;
	return true;
}

/**
 * ctab_rehash_step - move part of the old table into the new one
 * @table: the table
 *
 * Moves up to %CTAB_REHASH_STEP chains of the old table, if any.
 *
 * Return: the old table's buckets once they are empty, for the caller to
 * free with ctab_free_buckets() after dropping its lock; NULL otherwise.
 */
struct hlist_head *ctab_rehash_step(struct ctab *table)
{
	struct hlist_head *emptied;
	unsigned int n;

	if (!table->old_buckets)
		return NULL;
	for (n = 0; n < CTAB_REHASH_STEP; n++) {
		struct hlist_head *head = &table->old_buckets[table->rehash_next];
		struct ctab_entry *entry;
		struct hlist_node *tmp;

		hlist_for_each_entry_safe(entry, tmp, head, node) {
			hlist_del(&entry->node);
			hlist_add_head(&entry->node,
				       ctab_bucket(table->buckets, table->bits,
						   ctab_hash(table, entry->cookie)));
		}
		if (++table->rehash_next == BIT(table->old_bits))
			break;
	}
	if (table->rehash_next < BIT(table->old_bits))
		return NULL;
	emptied = table->old_buckets;
	table->old_buckets = NULL;
	table->old_bits = 0;
	return emptied;
}
