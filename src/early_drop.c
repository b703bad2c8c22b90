// SPDX-License-Identifier: GPL-2.0
/*
 * Early drop: when the table (or a namespace's share) is full, a new flow
 * takes the place of an entry that is not ASSURED (half-open TCP, UDP never
 * answered), found through the unassured index kept beside the buckets
 * (table_impl.h: three levels of bitmaps, a bucket's bit set while it
 * holds such an entry).  The search starts at the new flow's bucket, reads
 * a bounded number of index words and walks a bounded number of chains,
 * so it costs the same in a table of 1,000 or 16,000,000 buckets.
 *
 * Locking: the index is read without locks; each candidate bucket is then
 * locked and walked, and only what is found under its lock is evicted.
 * Call under RCU read lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/rculist.h>
#include <linux/rculist_nulls.h>
#include <kunit/visibility.h>

#include <ctlite/ctlite_netlink.h>

#include "table_impl.h"

/*
 * The first bucket at or after @from, wrapping, whose unassured bit is set;
 * @b->size if none was found before @budget index words were read.  Looks
 * in the rest of a word, then one level up for the next non-empty word,
 * and down again; a stale bit above (its word emptied since) only costs a
 * read.  Lockless: the answer is a candidate, checked under its lock.
 */
static unsigned int next_unassured(const struct ctlite_buckets *b,
				   unsigned int from, unsigned int *budget)
{
	unsigned int level = 0, pos = from, wraps = 0, i;
	unsigned long bits;

	while (*budget) {
		if (pos >= index_bits(b, level)) {
			/* past the end: start again from the top's first word */
			if (wraps++)
				break;
			level = CTLITE_INDEX_LEVELS - 1;
			pos = 0;
		}
		(*budget)--;
		bits = READ_ONCE(b->unassured[level][pos / BITS_PER_LONG]) &
		       BITMAP_FIRST_WORD_MASK(pos);
		if (bits) {
			i = round_down(pos, BITS_PER_LONG) + __ffs(bits);
			if (!level)
				return i;
			/* down: word i of the level below, from its first bit */
			level--;
			pos = i * BITS_PER_LONG;
		} else if (level + 1 < CTLITE_INDEX_LEVELS) {
			/* up: the next word of this level is a bit up there */
			pos = pos / BITS_PER_LONG + 1;
			level++;
		} else {
			/* the top: its next word */
			pos = round_down(pos, BITS_PER_LONG) + BITS_PER_LONG;
		}
	}
	return b->size;
}

enum {
	/* early drop: candidate buckets locked and walked per new flow ... */
	EVICT_BUCKETS = 8,
	/* ... and index words read to find them (64 top words: 2^24 buckets) */
	EVICT_INDEX_WORDS = 128,
};

/* What one early drop has left to spend, across the arrays it searches */
struct evict_search {
	u32 hash;
	u32 net_id;
	u32 now;
	unsigned int *searched;
	unsigned int budget;	/* index words */
	unsigned int tries;	/* chains walked */
};

/* Early drop in one bucket array: see ctlite_table_evict() */
static enum ctlite_evict evict_in(struct ctlite_table *table,
				  struct ctlite_buckets *b,
				  struct evict_search *es)
{
	unsigned int bucket = reciprocal_scale(es->hash, b->size);
	struct hlist_nulls_node *n;
	struct ctlite_entry *e, *victim;
	enum ctlite_evict what;
	struct ctlite_locked l;

	for (; es->tries < EVICT_BUCKETS; es->tries++) {
		bucket = next_unassured(b, bucket, &es->budget);
		if (bucket >= b->size)
			break;
		victim = NULL;
		what = CTLITE_EVICT_NONE;
		/* moved by a resize since the pick: its entries are elsewhere */
		if (unlikely(!ctlite_lock_in(table, b, bucket, &l)))
			goto next;
		hlist_nulls_for_each_entry_safe(e, n, &b->heads[bucket], node) {
			(*es->searched)++;
			if (e->net_id != es->net_id) {
				if (ctlite_entry_expired(e, es->now))
					ctlite_unlink_entry(table, &l, e, 0,
							    CTLITE_REASON_EXPIRED);
				continue;
			}
			if (ctlite_entry_expired(e, es->now)) {
				victim = e;
				what = CTLITE_EVICT_EXPIRED;
				break;
			}
			if (!victim && !(e->flags & CTLITE_F_ASSURED)) {
				victim = e;
				what = CTLITE_EVICT_UNASSURED;
			}
		}
		/* none: the candidate changed since the lockless pick */
		if (victim)
			ctlite_unlink_entry(table, &l, victim, UNLINK_KEEP_SLOT,
					    what == CTLITE_EVICT_EXPIRED ?
					    CTLITE_REASON_EXPIRED :
					    CTLITE_REASON_EARLY_DROP);
next:
		spin_unlock_bh(l.lock);
		if (victim)
			return what;
		if (++bucket >= b->size)
			bucket = 0;
	}
	return CTLITE_EVICT_NONE;
}

/**
 * ctlite_table_evict() - make room for a new flow in a full table
 * @table: the table
 * @hash: the new flow's hash; the search starts at its bucket
 * @net_id: the new flow's namespace: only its entries may go
 * @now: the time
 * @searched: incremented by the number of entries compared
 *
 * Deletes one entry of namespace @net_id: an expired one if a candidate
 * bucket holds one, else one that is not ASSURED (half-open TCP,
 * unanswered UDP).  ASSURED entries are never taken, nor another
 * namespace's live entries: a tenant that fills the table cannot make
 * room for itself with its neighbours' flows.  Expired entries of other
 * namespaces met on the way are deleted as any walk deletes them.
 * Candidates come from the unassured index, so a victim is found however
 * sparse the table is, in bounded work: at most EVICT_BUCKETS chains
 * walked and EVICT_INDEX_WORDS index words read (in both arrays together
 * while a resize moves entries from one to the other).
 *
 * The victim's slot in @table->count (and in its namespace's count) is not
 * given back but handed to the caller, for its insert (struct
 * ctlite_insert's @have_slot): another CPU cannot take the room made for
 * this flow.
 *
 * Call with RCU read lock.
 *
 * Return: what was deleted (the caller then owns a slot), or
 * CTLITE_EVICT_NONE.
 */
enum ctlite_evict ctlite_table_evict(struct ctlite_table *table, u32 hash,
				     u32 net_id, u32 now,
				     unsigned int *searched)
{
	struct evict_search es = {
		.hash = hash, .net_id = net_id, .now = now,
		.searched = searched, .budget = EVICT_INDEX_WORDS,
	};
	struct ctlite_buckets *b = rcu_dereference(table->b), *next;
	enum ctlite_evict what;

	what = evict_in(table, b, &es);
	/* a resize under way: the entries it moved are in the new array */
	next = rcu_dereference(b->next);
	if (what == CTLITE_EVICT_NONE && next)
		what = evict_in(table, next, &es);
	return what;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_evict);
