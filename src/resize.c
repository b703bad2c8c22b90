// SPDX-License-Identifier: GPL-2.0
/*
 * Resizing and growing the hash table: a new bucket array is allocated,
 * the live one's @next points at it, and the entries move a bucket at a
 * time under their old bucket's lock (and the new one's), advancing a
 * frontier (@moved); then the new array is published under RCU and the
 * old one freed after a grace period.  So no packet waits for more than
 * one bucket's move, however large the table (nf_conntrack's resize holds
 * every bucket for the whole move).  The rules readers and lock takers
 * follow meanwhile are at the top of table.c.
 *
 * Locking: a resize or growth holds table->resize_lock throughout, so
 * there is a single mover, and whole-table walks (which take it too) never
 * see half a move.  It is the only path that holds two bucket locks: the
 * old bucket's, then the new one's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/rculist_nulls.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "table_impl.h"

/**
 * ctlite_buckets_free() - free a bucket array no reader can see
 * @b: from ctlite_buckets_alloc(); its chains must be empty or moved
 */
void ctlite_buckets_free(struct ctlite_buckets *b)
{
	unsigned int level;

	for (level = 0; level < CTLITE_INDEX_LEVELS; level++)
		kvfree(b->unassured[level]);
	kvfree(b->heads);
	kfree(b);
}

/**
 * ctlite_buckets_alloc() - an empty bucket array, with its early-drop index
 * @size: the number of buckets
 *
 * Sleeps.
 *
 * Return: the array, or NULL.
 */
struct ctlite_buckets *ctlite_buckets_alloc(unsigned int size)
{
	struct ctlite_buckets *b;
	unsigned int i, level;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return NULL;
	b->size = size;
	b->heads = kvmalloc_array(size, sizeof(*b->heads), GFP_KERNEL);
	if (!b->heads)
		goto err;
	for (level = 0; level < CTLITE_INDEX_LEVELS; level++) {
		b->unassured[level] = kvcalloc(BITS_TO_LONGS(index_bits(b, level)),
					       sizeof(long), GFP_KERNEL);
		if (!b->unassured[level])
			goto err;
	}
	for (i = 0; i < size; i++)
		INIT_HLIST_NULLS_HEAD(&b->heads[i], i);
	return b;

err:
	ctlite_buckets_free(b);
	return NULL;
}

/* A resize reschedules after this many buckets */
#define MOVE_BATCH	256

/* Lock @to's bucket too, unless @from's lock covers it already */
static void lock_second(const struct ctlite_locked *from,
			const struct ctlite_locked *to)
	__acquires(to->lock)
{
	if (to->lock != from->lock)
		spin_lock_nested(to->lock, SINGLE_DEPTH_NESTING);
	else
		__acquire(to->lock);
}

static void unlock_second(const struct ctlite_locked *from,
			  const struct ctlite_locked *to)
	__releases(to->lock)
{
	if (to->lock != from->lock)
		spin_unlock(to->lock);
	else
		__release(to->lock);
}

/*
 * Move the entries of bucket @i of @old into @new, each under its new
 * bucket's lock as well, then mark the bucket moved.  The only place that
 * holds two bucket locks: old before new, and a single mover (it holds
 * table->resize_lock), so no path waits for a lock in the other order.
 * *@held_ns is how long the old bucket was held: what a packet of it, or a
 * lookup that missed, may have waited.
 *
 * Return: the entries moved.
 */
static unsigned int move_bucket(struct ctlite_table *table,
				struct ctlite_buckets *old,
				struct ctlite_buckets *new, unsigned int i,
				u64 *held_ns)
{
	struct ctlite_locked from = {
		.b = old, .bucket = i, .lock = bucket_lock(table, i),
	};
	struct ctlite_locked to = { .b = new };
	unsigned int moved = 0;
	struct ctlite_entry *e;
	u64 start;

	spin_lock_bh(from.lock);
	start = local_clock();
	/* lookups that miss meanwhile look again once the bucket is done */
	write_seqcount_begin(&table->moving);
	while (!hlist_nulls_empty(&old->heads[i])) {
		e = hlist_nulls_entry(old->heads[i].first, struct ctlite_entry,
				      node);
		to.bucket = reciprocal_scale(ctlite_entry_hash(table, e),
					     new->size);
		to.lock = bucket_lock(table, to.bucket);
		lock_second(&from, &to);
		hlist_nulls_del_rcu(&e->node);
		hlist_nulls_add_head_rcu(&e->node, &new->heads[to.bucket]);
		if (!(e->flags & CTLITE_F_ASSURED))
			mark_unassured(&to);
		unlock_second(&from, &to);
		moved++;
	}
	clear_unassured(&from);
	/* release: whoever sees the frontier past @i finds the entries in @new */
	smp_store_release(&old->moved, i + 1);
	write_seqcount_end(&table->moving);
	*held_ns = local_clock() - start;
	spin_unlock_bh(from.lock);
	return moved;
}

/*
 * Move every entry of the live array into @new, a bucket at a time, and
 * publish @new; the caller frees the array it returns (the old one) after
 * an RCU grace period.  From the first bucket on, flows whose bucket has
 * moved are looked up, locked and inserted in @new, the others where they
 * were, so nothing waits for more than one bucket's move.
 */
static struct ctlite_buckets *migrate(struct ctlite_table *table,
				      struct ctlite_buckets *new,
				      struct ctlite_resize *r)
{
	struct ctlite_buckets *old = live(table);
	unsigned int i;
	u64 held;

	lockdep_assert_held(&table->resize_lock);
	r->old_size = old->size;
	r->moved = 0;
	r->pause_ns = 0;
	rcu_assign_pointer(old->next, new);
	for (i = 0; i < old->size; i++) {
		r->moved += move_bucket(table, old, new, i, &held);
		r->pause_ns = max(r->pause_ns, held);
		if (!(i % MOVE_BATCH))
			cond_resched();
	}
	/* every bucket moved: lock takers that still read @old go to @new */
	rcu_assign_pointer(table->b, new);
	return old;
}

/**
 * ctlite_table_resize() - rehash every entry into a new bucket array
 * @table: the table
 * @size: the new number of buckets, CTLITE_HASHSIZE_MIN..CTLITE_HASHSIZE_MAX
 * @done: if not NULL, filled with what was done
 *
 * The new array is allocated first, then the entries move a bucket at a
 * time (see the top of this file) and the new array is published.  No
 * entry is lost and the count is unchanged.  Lookups that hit go on
 * throughout; a lookup that misses, or a packet of a flow, waits only
 * while its own bucket moves: @done->pause_ns, the longest such move,
 * does not grow with the table.  The GC waits for the whole resize.
 * Resizing to the current size does nothing.  Sleeps.
 *
 * Return: 0, -EINVAL for a size out of range (nothing changed) or -ENOMEM
 * (nothing changed).
 */
int ctlite_table_resize(struct ctlite_table *table, unsigned int size,
			struct ctlite_resize *done)
{
	struct ctlite_buckets *old, *new;
	struct ctlite_resize r = { };

	if (size < CTLITE_HASHSIZE_MIN || size > CTLITE_HASHSIZE_MAX)
		return -EINVAL;
	new = ctlite_buckets_alloc(size);
	if (!new)
		return -ENOMEM;

	mutex_lock(&table->resize_lock);
	old = live(table);
	r.old_size = old->size;
	if (old->size == size) {
		mutex_unlock(&table->resize_lock);
		ctlite_buckets_free(new);
		goto out;
	}
	old = migrate(table, new, &r);
	mutex_unlock(&table->resize_lock);

	/* readers that still walk @old are done after a grace period */
	synchronize_rcu();
	ctlite_buckets_free(old);
out:
	if (done)
		*done = r;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_resize);

/**
 * ctlite_table_set_auto_grow() - let the table grow on its own, or not
 * @table: the table
 * @on: grow when chains average more than CTLITE_GROW_LOAD entries
 *
 * Off is for a size chosen by hand (the hashsize parameter, or a resize
 * asked for later): the table then keeps the size it is given.  A growth
 * already under way when this turns it off either finished before or
 * does nothing.  Sleeps.
 */
void ctlite_table_set_auto_grow(struct ctlite_table *table, bool on)
{
	mutex_lock(&table->resize_lock);
	WRITE_ONCE(table->auto_grow, on);
	mutex_unlock(&table->resize_lock);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_set_auto_grow);

/**
 * ctlite_table_grow() - give a table that may grow the buckets it needs
 * @table: the table
 * @done: filled with what was done; @done->moved is 0 and @done->old_size
 *	  the size when nothing was
 *
 * The table grows when it may (ctlite_table_set_auto_grow()) and holds
 * more than CTLITE_GROW_LOAD entries per bucket, to the power of two of
 * buckets at or above its entries (at most CTLITE_HASHSIZE_MAX): chains
 * then average one entry or fewer, whatever the entries, so the cost of a
 * packet does not grow with the table.  The buckets cost 8 bytes each,
 * at most 16 bytes per entry of max.  The entries move as in a resize, a
 * bucket at a time.  Sleeps.
 *
 * Return: 0 (grown, or no need), or -ENOMEM (nothing changed; no growth is
 * tried for a while).
 */
int ctlite_table_grow(struct ctlite_table *table, struct ctlite_resize *done)
{
	unsigned int count = atomic_read(&table->count);
	unsigned int size = ctlite_table_size(table);
	struct ctlite_buckets *old, *new;
	unsigned int target;

	*done = (struct ctlite_resize){ .old_size = size };
	if (!READ_ONCE(table->auto_grow) || !overloaded(count, size))
		return 0;
	/* above size, since count > 2 * size and size < the largest */
	target = min_t(unsigned long, roundup_pow_of_two(count),
		       CTLITE_HASHSIZE_MAX);
	new = ctlite_buckets_alloc(target);
	if (!new) {
		WRITE_ONCE(table->grow_after, jiffies + GROW_RETRY);
		return -ENOMEM;
	}
	mutex_lock(&table->resize_lock);
	/* turned off, or resized by hand, meanwhile: the hand wins */
	if (!table->auto_grow || live(table)->size >= target) {
		mutex_unlock(&table->resize_lock);
		ctlite_buckets_free(new);
		return 0;
	}
	old = migrate(table, new, done);
	mutex_unlock(&table->resize_lock);
	synchronize_rcu();
	ctlite_buckets_free(old);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_grow);

/**
 * ctlite_grow_worker() - the table's growth work item: grow, and say so
 * @work: the table's @grow_work, queued by the insert path
 */
void ctlite_grow_worker(struct work_struct *work)
{
	struct ctlite_table *table = container_of(work, struct ctlite_table,
						  grow_work);
	struct ctlite_resize done;

	if (ctlite_table_grow(table, &done))
		pr_warn_ratelimited("no memory to grow the table past %u buckets; chains grow longer\n",
				    done.old_size);
	else if (done.moved)
		pr_info("grew from %u to %u buckets for %u entries, new flows waited %llu us\n",
			done.old_size, ctlite_table_size(table), done.moved,
			div_u64(done.pause_ns, NSEC_PER_USEC));
}
