/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hash table's insides, shared by the files that make it up (table.c:
 * chains, locks, insert and delete, the early-drop index's upkeep;
 * tenant.c: the counts and the namespaces' shares; early_drop.c: its
 * search for a victim; resize.c: resizing and growing; walk.c: the GC's
 * and other whole-table walks) and by no one else: other files call what
 * include/ctlite/table.h declares.  The locking rules are at the top of
 * table.c.
 */
#ifndef _CTLITE_TABLE_IMPL_H
#define _CTLITE_TABLE_IMPL_H

#include <linux/bitops.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <ctlite/table.h>

/*
 * Levels of early drop's index: bit i of level 0 is bucket i, bit i of
 * level l + 1 is word i of level l.  Three levels find any bucket of a
 * 2^24-bucket table in 64 reads of the top level.
 */
#define CTLITE_INDEX_LEVELS	3

/**
 * struct ctlite_buckets - one generation of the bucket array
 * @size: number of buckets
 * @heads: @size chains; the nulls value ending chain i is i
 * @unassured: early drop's index, CTLITE_INDEX_LEVELS bitmaps.  Level 0
 *	       has one bit per bucket, set while the bucket holds an entry
 *	       that is not ASSURED: exact under the bucket's lock, changed
 *	       only by inserts, unlinks and assuring.  A bit of level l + 1
 *	       is set while word i of level l may be non-zero.
 *
 * @next: while a resize moves this array's entries, the array they go to
 * @moved: buckets [0, @moved) of this array are empty and stay so: their
 *	   entries, and any new ones hashing there, are in @next.  Advanced
 *	   under the bucket's lock, read with acquire.
 *
 * A resize builds a new one, points @next at it, moves the entries a
 * bucket at a time and publishes it; the old one is freed after an RCU
 * grace period.
 */
struct ctlite_buckets {
	unsigned int size;
	struct hlist_nulls_head *heads;
	unsigned long *unassured[CTLITE_INDEX_LEVELS];
	struct ctlite_buckets __rcu *next;
	unsigned int moved;
};

/* After a growth found no memory, the next try waits this long */
#define GROW_RETRY	(10 * HZ)

/* The live bucket array; call with RCU read lock or table->resize_lock */
static inline struct ctlite_buckets *live(struct ctlite_table *table)
{
	return rcu_dereference_check(table->b,
				     lockdep_is_held(&table->resize_lock));
}

static inline spinlock_t *bucket_lock(struct ctlite_table *table,
				      unsigned int bucket)
{
	return &table->locks[bucket % CTLITE_LOCKS];
}

/* Chains average more than CTLITE_GROW_LOAD entries, and may be shortened */
static inline bool overloaded(unsigned int count, unsigned int size)
{
	return count > CTLITE_GROW_LOAD * size && size < CTLITE_HASHSIZE_MAX;
}

/*
 * Early drop's index of buckets that hold an entry that is not ASSURED.
 * Level 0 is exact under each bucket's lock: only an insert makes an
 * unassured entry, and sets the bit; unlink_entry() and
 * ctlite_table_assured() clear it when the bucket's last unassured entry
 * goes or gets assured.  Lockless readers may see a bit a moment late, so a
 * candidate is checked under its lock.  A bit of the level above is set
 * after the word's bit and re-set by a clearer that finds the word non-zero
 * again: with a full barrier on both sides one of the two always sees the
 * other's store.  Different buckets of a word are under different locks,
 * hence atomic bit operations.
 */
static inline void mark_unassured(const struct ctlite_locked *l)
{
	unsigned int bit = l->bucket, level;

	lockdep_assert_held(l->lock);
	for (level = 0; level < CTLITE_INDEX_LEVELS; level++) {
		if (!test_bit(bit, l->b->unassured[level])) {
			set_bit(bit, l->b->unassured[level]);
			/* the bit before the next level's test: pairs with clear */
			smp_mb__after_atomic();
		}
		bit /= BITS_PER_LONG;
	}
}

/* Call after a walk under the lock found no unassured entry left */
static inline void clear_unassured(const struct ctlite_locked *l)
{
	unsigned int bit = l->bucket, level;
	unsigned long *map;

	lockdep_assert_held(l->lock);
	if (!test_bit(bit, l->b->unassured[0]))
		return;
	clear_bit(bit, l->b->unassured[0]);
	for (level = 0; level + 1 < CTLITE_INDEX_LEVELS; level++) {
		map = l->b->unassured[level];
		bit /= BITS_PER_LONG;
		/* the word still has a bit: the level above stays set */
		if (READ_ONCE(map[bit]))
			return;
		clear_bit(bit, l->b->unassured[level + 1]);
		/* the clear before the word's re-read: pairs with mark */
		smp_mb__after_atomic();
		if (READ_ONCE(map[bit])) {
			set_bit(bit, l->b->unassured[level + 1]);
			return;
		}
	}
}

/* Bits in level @level of the index of @b */
static inline unsigned int index_bits(const struct ctlite_buckets *b,
				      unsigned int level)
{
	unsigned int n = b->size;

	while (level--)
		n = BITS_TO_LONGS(n);
	return n;
}

/* The tenant of namespace @net_id, or NULL (an id KUnit made up) */
static inline struct ctlite_tenant *tenant_of(struct ctlite_table *table,
					      u32 net_id)
{
	return xa_load(&table->tenants, net_id);
}

/* ctlite_table_walk() @net_id: every entry, and the entries of leaving tenants */
#define WALK_ALL	0
#define WALK_LEAVING	U32_MAX		/* ids stay below 2^31 */
/* ctlite_unlink_entry() flags */
enum {
	UNLINK_KEEP_SLOT = 1 << 0,	/* the caller takes over the count slot */
};

void ctlite_unlink_entry(struct ctlite_table *table,
			 const struct ctlite_locked *l, struct ctlite_entry *e,
			 unsigned int how, u8 reason);
bool ctlite_lock_in(struct ctlite_table *table, struct ctlite_buckets *b,
		    unsigned int bucket, struct ctlite_locked *l)
	__acquires(l->lock);
unsigned int ctlite_table_walk(struct ctlite_table *table, u32 net_id,
			       bool (*pass)(const struct ctlite_entry *e,
					    const void *arg),
			       const void *arg, bool unlink, u8 reason);
int ctlite_slot_take(struct ctlite_table *table, struct ctlite_tenant *t);
void ctlite_slot_give(struct ctlite_table *table, struct ctlite_tenant *t);
int ctlite_slot_unlikely(struct ctlite_table *table, struct ctlite_tenant *t);
struct ctlite_buckets *ctlite_buckets_alloc(unsigned int size);
void ctlite_buckets_free(struct ctlite_buckets *b);
void ctlite_grow_worker(struct work_struct *work);

#endif /* _CTLITE_TABLE_IMPL_H */
