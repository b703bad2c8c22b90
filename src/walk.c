// SPDX-License-Identifier: GPL-2.0
/*
 * Whole-table walks and what reads the table for people rather than
 * packets: the GC's slices of buckets (ctlite_table_gc(), run by gc.c's
 * work item), the flushes and deletes of a namespace's entries and the
 * count of them, the dumps' chains, who filled the table (top sources, for
 * the "table full" line) and the self-check the tests call.
 *
 * Locking: a walk holds table->resize_lock, so no resize runs under it,
 * and each bucket's lock only while it walks that bucket (walk_lock()),
 * rescheduling between buckets.  Top sources and dump chains read under
 * RCU alone: a sample, not a snapshot.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/export.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/rculist.h>
#include <linux/rculist_nulls.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include <ctlite/events.h>

#include "table_impl.h"

/* GC: look at the clock, and let others run, every this many buckets */
#define GC_CLOCK_EVERY	32

/*
 * Lock bucket @bucket of @b for a whole-table walk, which holds
 * table->resize_lock: @b stays live throughout.
 */
static void walk_lock(struct ctlite_table *table, struct ctlite_buckets *b,
		      unsigned int bucket, struct ctlite_locked *l)
	__acquires(l->lock)
{
	lockdep_assert_held(&table->resize_lock);
	/* no resize can run: @b is live */
	WARN_ON_ONCE(!ctlite_lock_in(table, b, bucket, l));
}

/* Free one bucket's expired entries; note what is left */
static void gc_bucket(struct ctlite_table *table, struct ctlite_buckets *b,
		      unsigned int bucket, struct ctlite_gc_run *run)
{
	struct hlist_nulls_node *n;
	struct ctlite_entry *e;
	struct ctlite_locked l;

	/* nothing to free: no lock needed */
	if (hlist_nulls_empty(&b->heads[bucket]))
		return;

	walk_lock(table, b, bucket, &l);
	hlist_nulls_for_each_entry_safe(e, n, &b->heads[bucket], node) {
		run->scanned++;
		if (ctlite_entry_expired(e, run->now)) {
			ctlite_table_unlink(table, &l, e, CTLITE_REASON_EXPIRED);
			run->expired++;
			continue;
		}
		run->soonest = min(run->soonest, e->deadline - run->now);
	}
	spin_unlock_bh(l.lock);
}

/**
 * ctlite_table_gc() - free expired entries in a slice of buckets
 * @table: the table
 * @run: where to start, the time and the budget; filled with the results
 *
 * Visits buckets from @run->next_bucket until the end of the table or the
 * bucket where the entry or time budget ran out, holding each bucket's
 * lock only while walking it and rescheduling between buckets.  A resize
 * waits for the run (and a cursor past a shrunk table ends the pass).
 * Sleeps.
 */
void ctlite_table_gc(struct ctlite_table *table, struct ctlite_gc_run *run)
{
	unsigned int bucket = run->next_bucket;
	u64 start = ktime_get_ns();
	struct ctlite_buckets *b;

	mutex_lock(&table->resize_lock);
	b = live(table);
	run->scanned = 0;
	run->expired = 0;
	run->buckets = 0;
	run->soonest = U32_MAX;
	run->pass_done = false;
	while (bucket < b->size) {
		gc_bucket(table, b, bucket, run);
		bucket++;
		run->buckets++;
		if (run->scanned >= run->budget_entries)
			break;
		if (!(run->buckets % GC_CLOCK_EVERY)) {
			cond_resched();
			if (ktime_get_ns() - start >= run->budget_ns)
				break;
		}
	}
	if (bucket >= b->size) {
		bucket = 0;
		run->pass_done = true;
	}
	mutex_unlock(&table->resize_lock);
	run->next_bucket = bucket;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_gc);

enum {
	/* who filled the table: buckets and entries sampled per look */
	TOP_SAMPLE_BUCKETS = 1024,
	TOP_SAMPLE_ENTRIES = 256,
};

/* The address of the side that opened @e */
static void entry_source(const struct ctlite_entry *e, struct ctlite_source *s)
{
	unsigned int o = !!(READ_ONCE(e->flags) & CTLITE_F_OPENER1);

	memset(s, 0, sizeof(*s));
	s->family = ctlite_entry_family(e);
	if (s->family == AF_INET6)
		s->addr.ip6 = e->addr.ip6[o];
	else
		s->addr.ip = e->addr.ip[o];
}

/**
 * ctlite_table_top_sources() - who opened the entries around a bucket
 * @table: the table
 * @hash: a flow's hash; the sample starts at its bucket
 * @top: filled with up to CTLITE_TOP_SOURCES sources, most entries first
 * @sampled: set to the number of entries looked at
 * @sources: set to the number of distinct sources among them (at most
 *	     CTLITE_SOURCES_TALLIED: more are not told apart)
 *
 * A bounded, cheap look for the table-full log line: at most
 * TOP_SAMPLE_ENTRIES entries in at most TOP_SAMPLE_BUCKETS buckets from
 * @hash's, without locks.  A flood from few addresses shows as one source
 * with most entries; a spoofed one as many sources with one entry each.
 * Call with RCU read lock.
 *
 * Return: how many of @top were filled.
 */
unsigned int ctlite_table_top_sources(struct ctlite_table *table, u32 hash,
				      struct ctlite_source *top,
				      unsigned int *sampled,
				      unsigned int *sources)
{
	struct ctlite_buckets *b = rcu_dereference(table->b);
	struct ctlite_source tally[CTLITE_SOURCES_TALLIED], s;
	unsigned int buckets = min_t(unsigned int, TOP_SAMPLE_BUCKETS, b->size);
	unsigned int bucket = reciprocal_scale(hash, b->size);
	unsigned int i, j, n = 0, seen = 0;
	struct hlist_nulls_node *node;
	struct ctlite_entry *e;

	/* at most one lap: a small table is sampled whole, each entry once */
	for (i = 0; i < buckets && seen < TOP_SAMPLE_ENTRIES; i++) {
		hlist_nulls_for_each_entry_rcu(e, node, &b->heads[bucket], node) {
			if (seen == TOP_SAMPLE_ENTRIES)
				break;
			seen++;
			entry_source(e, &s);
			for (j = 0; j < n; j++)
				if (!memcmp(&tally[j], &s,
					    offsetof(struct ctlite_source, entries)))
					break;
			if (j == n) {
				if (n == ARRAY_SIZE(tally))
					continue;
				tally[n++] = s;
			}
			tally[j].entries++;
		}
		if (++bucket >= b->size)
			bucket = 0;
	}
	*sampled = seen;
	*sources = n;
	/* a few passes of selection: n is at most 16 */
	for (i = 0; i < n && i < CTLITE_TOP_SOURCES; i++) {
		for (j = i + 1; j < n; j++)
			if (tally[j].entries > tally[i].entries)
				swap(tally[i], tally[j]);
		top[i] = tally[i];
	}
	return i;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_top_sources);

/**
 * ctlite_buckets_chain() - chain @bucket of a dump that walks by index
 * @b: the live bucket array, under rcu_read_lock()
 * @bucket: index: @b's buckets first, then those of the array a resize
 *	    is moving entries to
 *
 * A dump walks the live array, then, while a resize moves entries out of
 * it, the new array's: an entry moved meanwhile may be met twice or not
 * at all, as in nf_conntrack's dumps.
 *
 * Return: the chain, or NULL past the end.
 */
struct hlist_nulls_head *ctlite_buckets_chain(struct ctlite_buckets *b,
					      unsigned int bucket)
{
	struct ctlite_buckets *next;

	if (bucket < b->size)
		return &b->heads[bucket];
	next = rcu_dereference(b->next);
	bucket -= b->size;
	return next && bucket < next->size ? &next->heads[bucket] : NULL;
}

/* Whether a walk for @net_id visits @e */
static bool walk_visits(struct ctlite_table *table,
			const struct ctlite_entry *e, u32 net_id)
{
	const struct ctlite_tenant *t;

	switch (net_id) {
	case WALK_ALL:
		return true;
	case WALK_LEAVING:
		t = tenant_of(table, e->net_id);
		return t && READ_ONCE(t->leaving);
	default:
		return e->net_id == net_id;
	}
}

/**
 * ctlite_table_walk() - visit, and maybe delete, entries of the whole table
 * @table: the table
 * @net_id: whose entries: a tenant's id, WALK_ALL or WALK_LEAVING
 * @pass: called under the entry's bucket lock; NULL visits every entry
 * @arg: handed to @pass
 * @unlink: delete the entries visited
 * @reason: enum ctlite_reason told to listeners of what is deleted, or 0
 *
 * Visit every bucket, and in each every entry of @net_id (or WALK_ALL, or
 * WALK_LEAVING) that @pass passes (all without it), under the bucket lock;
 * delete the visited entries if @unlink, telling listeners @reason.  Empty
 * buckets are skipped without their lock: a walk is not atomic, and a
 * flow made in a bucket behind it is one made after it.  A resize cannot
 * run meanwhile.  Sleeps.
 *
 * Return: how many entries were visited.
 */
unsigned int ctlite_table_walk(struct ctlite_table *table, u32 net_id,
			       bool (*pass)(const struct ctlite_entry *e,
					    const void *arg),
			       const void *arg, bool unlink, u8 reason)
{
	struct hlist_nulls_node *n;
	unsigned int i, seen = 0;
	struct ctlite_buckets *b;
	struct ctlite_entry *e;
	struct ctlite_locked l;

	mutex_lock(&table->resize_lock);
	b = live(table);
	for (i = 0; i < b->size; i++) {
		if (!(i % 1024))
			cond_resched();
		if (hlist_nulls_empty(&b->heads[i]))
			continue;
		walk_lock(table, b, i, &l);
		hlist_nulls_for_each_entry_safe(e, n, &b->heads[i], node) {
			if (!walk_visits(table, e, net_id) ||
			    (pass && !pass(e, arg)))
				continue;
			seen++;
			if (unlink)
				ctlite_table_unlink(table, &l, e, reason);
		}
		spin_unlock_bh(l.lock);
	}
	mutex_unlock(&table->resize_lock);
	return seen;
}

/**
 * ctlite_table_flush_net() - delete every entry of one network namespace
 * @table: the table
 * @net_id: the namespace's id (struct ctlite_tenant's @id)
 *
 * Sleeps.  Return: how many entries were deleted.
 */
unsigned int ctlite_table_flush_net(struct ctlite_table *table, u32 net_id)
{
	return ctlite_table_walk(table, net_id, NULL, NULL, true,
				 CTLITE_REASON_FLUSH);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_flush_net);

/**
 * ctlite_table_delete_net() - delete the entries of a namespace a test passes
 * @table: the table
 * @net_id: the namespace's id (struct ctlite_tenant's @id)
 * @pass: called under the entry's bucket lock; true deletes it
 * @arg: handed to @pass
 *
 * One walk of the table, each bucket under its lock; an entry made in a
 * bucket the walk has passed stays.  Sleeps.
 *
 * Return: how many entries were deleted.
 */
unsigned int ctlite_table_delete_net(struct ctlite_table *table, u32 net_id,
				     bool (*pass)(const struct ctlite_entry *e,
						  const void *arg),
				     const void *arg)
{
	return ctlite_table_walk(table, net_id, pass, arg, true,
				 CTLITE_REASON_DELETE);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_delete_net);

/**
 * ctlite_table_count_net() - count one network namespace's entries, slowly
 * @table: the table
 * @net_id: the namespace's id (struct ctlite_tenant's @id)
 *
 * Walks the whole table: for self-checks of the tenants' counts, never for
 * readers, who read struct ctlite_tenant's @count.  Sleeps.
 *
 * Return: the number of entries.
 */
unsigned int ctlite_table_count_net(struct ctlite_table *table, u32 net_id)
{
	return ctlite_table_walk(table, net_id, NULL, NULL, false, 0);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_count_net);
