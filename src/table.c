// SPDX-License-Identifier: GPL-2.0
/*
 * ctlite table: the hash table itself: keys and hashing, chains and their
 * locks, lookup, insert and delete.  Its entries' caches and its size from
 * RAM are in entry.c, who may hold how many entries (the count, the
 * namespaces' shares, the fill warnings) in tenant.c, early drop's search
 * in early_drop.c, resizing and growing in resize.c, the GC's and other
 * whole-table walks in walk.c; what those share of its insides is in
 * table_impl.h.
 *
 * Locking: lookups walk a chain under rcu_read_lock() only.  Inserting or
 * deleting an entry, or changing its state or flags, takes the bucket's
 * lock, table->locks[bucket % CTLITE_LOCKS], with bottom halves off
 * (packets take it in softirq): ctlite_table_lock() turns them off, and a
 * packet's own path, which has them off already, locks without
 * (table_lock_bh_off()).  Entries are freed after an RCU grace period,
 * so a reader may still hold one that was just deleted; deleted entries
 * are marked CTLITE_F_DEAD.  They wait on a per-CPU free list
 * (table->dead, linked through the chain node's pprev, which readers
 * never follow) for table->free_work, which frees each batch after one
 * synchronize_rcu(): no rcu_head in the entry.  table->count is an
 * atomic, changed only on insert and delete, never on lookup.
 *
 * Every entry holds a slot of table->count and of its namespace's share
 * (tenant.c), taken on insert and given back on delete.  Early drop takes
 * only the new flow's own namespace's entries.
 *
 * Entries die by deadline: nothing frees them on time but ctlite_table_gc()
 * (walk.c: a slice of buckets per call), and inserts reap the expired
 * entries of the chain they walk.  When the table is full,
 * ctlite_table_evict() (early_drop.c) finds a victim through the
 * unassured index, three bitmaps kept beside the buckets.
 *
 * Resize (ctlite_table_resize(), in resize.c) builds a new bucket array,
 * points the live one's @next at it, and moves the entries a bucket at a
 * time, each under its old bucket's lock, advancing a frontier (@moved);
 * then it publishes the new array.  A flow whose old bucket is behind the frontier
 * lives in the new array, the others where they were, so a resize never
 * holds more than one bucket still: no new flow waits for more than one
 * bucket's move, however large the table (nf_conntrack's resize holds
 * every bucket for the whole move).  Bucket lock takers lock through
 * ctlite_table_lock(), which checks, once it holds the lock, that the
 * bucket is still where its flows live.  Lookups take no lock: one that
 * missed while a bucket moved (table->moving) waits and looks again, so no
 * packet of a tracked flow is taken for a new flow because of a resize.
 * Whole-table walks (GC, flushes) hold table->resize_lock, which a resize
 * holds throughout, so they never see one half done.
 *
 * A table whose size was not chosen by hand also grows on its own
 * (ctlite_table_grow(), from a work item the insert path queues once the
 * chains average more than CTLITE_GROW_LOAD entries): the same move, to as
 * many buckets as entries.  It never shrinks, as nf_conntrack's never does.
 *
 * Lock order: kernel_param_lock (a hashsize write) before
 * table->resize_lock, before a bucket lock.  Only a resize holds two
 * bucket locks (the old bucket's, then the new one's).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/random.h>
#include <linux/rculist_nulls.h>
#include <linux/sched/clock.h>
#include <linux/sched.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/in.h>
#include <net/ipv6.h>
#include <kunit/visibility.h>

#include <ctlite/events.h>
#include <ctlite/table.h>

#include "table_impl.h"

static unsigned int key_addr_len(const struct ctlite_key *key)
{
	return key->family == AF_INET6 ? sizeof(struct in6_addr) : sizeof(__be32);
}

/**
 * ctlite_entry_key() - the key an entry is hashed under
 * @entry: a hashed entry
 * @key: filled in
 */
void ctlite_entry_key(const struct ctlite_entry *entry, struct ctlite_key *key)
{
	ctlite_key_init(key, entry->net_id, ctlite_entry_family(entry), entry->proto);
	key->port[0] = entry->port[0];
	key->port[1] = entry->port[1];
	if (key->family == AF_INET6) {
		key->addr.ip6[0] = entry->addr.ip6[0];
		key->addr.ip6[1] = entry->addr.ip6[1];
	} else {
		key->addr.ip[0] = entry->addr.ip[0];
		key->addr.ip[1] = entry->addr.ip[1];
	}
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_entry_key);

/**
 * ctlite_entry_hash6() - the hash an IPv6 entry is filed under
 * @table: its table
 * @entry: an IPv6 entry
 *
 * ctlite_entry_hash()'s IPv6 half, out of line: it builds a key first.
 *
 * Return: 32 bits of the hash.
 */
u32 ctlite_entry_hash6(const struct ctlite_table *table,
		       const struct ctlite_entry *entry)
{
	struct ctlite_key key;

	ctlite_entry_key(entry, &key);
	return ctlite_table_hash(table, &key);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_entry_hash6);

/* Field by field: memcmp() is a byte loop, and this runs per entry walked */
static __always_inline bool entry_matches(const struct ctlite_entry *e,
					  const struct ctlite_key *key)
{
	if (e->net_id != key->net_id || e->proto != key->proto ||
	    e->port[0] != key->port[0] || e->port[1] != key->port[1] ||
	    !(READ_ONCE(e->flags) & CTLITE_F_IPV6) != !(key->family == AF_INET6))
		return false;
	if (key->family == AF_INET6)
		return ipv6_addr_equal(&e->addr.ip6[0], &key->addr.ip6[0]) &&
		       ipv6_addr_equal(&e->addr.ip6[1], &key->addr.ip6[1]);
	return e->addr.ip[0] == key->addr.ip[0] && e->addr.ip[1] == key->addr.ip[1];
}

/**
 * ctlite_table_size() - number of buckets now
 * @table: the table
 *
 * Return: the size of the live bucket array.
 */
unsigned int ctlite_table_size(struct ctlite_table *table)
{
	unsigned int size;

	rcu_read_lock();
	size = live(table)->size;
	rcu_read_unlock();
	return size;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_size);

/**
 * ctlite_table_bucket() - bucket index of a hash in the live array
 * @table: the table
 * @hash: from ctlite_table_hash()
 *
 * Return: index in [0, ctlite_table_size()); valid until the next resize.
 */
unsigned int ctlite_table_bucket(struct ctlite_table *table, u32 hash)
{
	return reciprocal_scale(hash, ctlite_table_size(table));
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_bucket);

/*
 * Whether bucket @bucket of @b is where its flows live now: @b is the live
 * array or the one a resize fills, and a resize has not emptied the
 * bucket.  Stable while the bucket's lock is held: the frontier passes a
 * bucket only under its lock, and the live array changes only once every
 * bucket of it is passed.
 */
static bool bucket_live(struct ctlite_table *table, struct ctlite_buckets *b,
			unsigned int bucket)
{
	struct ctlite_buckets *cur = rcu_dereference_check(table->b,
				lockdep_is_held(&table->resize_lock));

	if (b != cur && b != rcu_access_pointer(cur->next))
		return false;
	/* under the bucket's lock, which the frontier passes under: stable */
	return !rcu_access_pointer(b->next) || bucket >= READ_ONCE(b->moved);
}

/*
 * The array and bucket where the flows of @hash live now: the live
 * array's bucket, or, once a resize has moved that bucket, the new
 * array's.  Call with RCU read lock (or table->resize_lock).
 */
static struct ctlite_buckets *home(struct ctlite_table *table, u32 hash,
				   unsigned int *bucket)
{
	struct ctlite_buckets *b = rcu_dereference_check(table->b,
				lockdep_is_held(&table->resize_lock));
	struct ctlite_buckets *next = rcu_dereference_check(b->next,
				lockdep_is_held(&table->resize_lock));
	unsigned int i = reciprocal_scale(hash, b->size);

	/* acquire: the moved entries are in @next's chains before this */
	if (next && i < smp_load_acquire(&b->moved)) {
		b = next;
		i = reciprocal_scale(hash, next->size);
	}
	*bucket = i;
	return b;
}

/*
 * Lock bucket @bucket of @b into @l, turning bottom halves off with it if
 * @bh (a constant at every call: each caller inlines one way), and say if
 * the bucket is live.  See ctlite_lock_in().
 */
static __always_inline bool lock_in(struct ctlite_table *table,
				    struct ctlite_buckets *b,
				    unsigned int bucket, struct ctlite_locked *l,
				    bool bh)
	__acquires(l->lock)
{
	l->b = b;
	l->bucket = bucket;
	l->lock = bucket_lock(table, bucket);
	if (bh)
		spin_lock_bh(l->lock);
	else
		spin_lock(l->lock);
	return bucket_live(table, b, bucket);
}

static __always_inline void unlock_in(struct ctlite_locked *l, bool bh)
	__releases(l->lock)
{
	if (bh)
		spin_unlock_bh(l->lock);
	else
		spin_unlock(l->lock);
}

/*
 * Lock the bucket where the flows of @hash live: pick it, lock it, and
 * pick again if a resize moved it meanwhile.  @bh as for lock_in().
 */
static __always_inline void lock_home(struct ctlite_table *table, u32 hash,
				      struct ctlite_locked *l, bool bh)
	__acquires(l->lock)
{
	struct ctlite_buckets *b;
	unsigned int bucket;

	for (;;) {
		b = home(table, hash, &bucket);
		if (likely(lock_in(table, b, bucket, l, bh)))
			return;
		unlock_in(l, bh);
	}
}

/**
 * ctlite_lock_in() - lock a bucket of an array, and say if it is live
 * @table: the table
 * @b: the bucket array
 * @bucket: the bucket's index in @b
 * @l: filled with the bucket, its array and its lock
 *
 * Lock bucket @bucket of @b into @l.  The lock is held on return either
 * way; the answer says whether the bucket is still where its flows live
 * (a resize may have moved it between the caller's pick and the lock).
 * Under RCU an array is not freed, so no reuse of its address can fool the
 * comparison.
 *
 * Return: true if the bucket is where its flows live.
 */
__always_inline bool
ctlite_lock_in(struct ctlite_table *table, struct ctlite_buckets *b,
	       unsigned int bucket, struct ctlite_locked *l)
	__acquires(l->lock)
{
	return lock_in(table, b, bucket, l, true);
}

/**
 * ctlite_table_lock() - lock a flow's bucket in the live array
 * @table: the table
 * @hash: the flow's ctlite_table_hash()
 * @l: filled with the bucket, its array and its lock
 *
 * The lock guards the chain and the state of its entries; BHs are off
 * while it is held.  The bucket in @l stays where the flow lives until
 * ctlite_table_unlock(): a resize moving it waits for the lock.  Call with
 * RCU read lock.
 */
__always_inline void ctlite_table_lock(struct ctlite_table *table, u32 hash,
					struct ctlite_locked *l)
	__acquires(l->lock)
{
	lock_home(table, hash, l, true);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_lock);

/**
 * ctlite_table_unlock() - release what ctlite_table_lock() took
 * @l: the locked bucket
 */
__always_inline void ctlite_table_unlock(struct ctlite_locked *l)
	__releases(l->lock)
{
	unlock_in(l, true);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_unlock);

/*
 * ctlite_table_lock() and _unlock() for a packet: its hooks run with
 * bottom halves off already (softirq, or ctlite_ring_enter() in a task),
 * so the lock need not turn them off and on again, which cost a TCP
 * segment some 17 instructions a tracking.  In this unit only (the
 * tracker and the insert), whose callers outside the hooks (KUnit) turn
 * them off themselves.
 */
static __always_inline void
table_lock_bh_off(struct ctlite_table *table, u32 hash, struct ctlite_locked *l)
	__acquires(l->lock)
{
	lockdep_assert(in_softirq());
	lock_home(table, hash, l, false);
}

static __always_inline void table_unlock_bh_off(struct ctlite_locked *l)
	__releases(l->lock)
{
	unlock_in(l, false);
}

/* Walk one chain for @key.  Call with RCU read lock or the bucket lock. */
static __always_inline struct ctlite_entry *
chain_find(struct ctlite_buckets *b, unsigned int bucket,
	   const struct ctlite_key *key, unsigned int *searched)
{
	struct hlist_nulls_node *n;
	struct ctlite_entry *e;

restart:
	hlist_nulls_for_each_entry_rcu(e, n, &b->heads[bucket], node) {
		(*searched)++;
		if (entry_matches(e, key))
			return e;
	}
	/*
	 * The walk ended on another chain's nulls value: the entry we were
	 * on moved (a resize), so this chain may not have been seen whole.
	 */
	if (get_nulls_value(n) != bucket)
		goto restart;
	return NULL;
}

/**
 * ctlite_table_lookup() - find a flow's entry
 * @table: the table
 * @key: canonical key
 * @hash: ctlite_table_hash(@table, @key)
 * @searched: incremented by the number of entries compared
 *
 * Takes no lock.  A hit is returned at once, even while a resize moves
 * entries; a miss while one was moving a bucket waits for that bucket to
 * be done and looks again, so a tracked flow is always found.
 *
 * Call with RCU read lock; the entry stays valid (not freed) until it is
 * dropped, though it may be deleted from the table meanwhile.
 *
 * Inline into the tracking hook (one unit with it: fastpath.c).
 *
 * Return: the entry, or NULL.
 */
__always_inline struct ctlite_entry *
ctlite_table_lookup(struct ctlite_table *table, const struct ctlite_key *key,
		    u32 hash, unsigned int *searched)
{
	unsigned int seq = raw_read_seqcount(&table->moving), bucket;
	struct ctlite_buckets *b;
	struct ctlite_entry *e;

	for (;;) {
		b = home(table, hash, &bucket);
		e = chain_find(b, bucket, key, searched);
		if (e)
			return e;
		if (!(seq & 1) && !read_seqcount_retry(&table->moving, seq))
			return NULL;
		/* a bucket moved under us: wait until its entries are in place */
		seq = read_seqcount_begin(&table->moving);
	}
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_lookup);

/* Whether a locked bucket still holds an entry that is not ASSURED */
static bool bucket_has_unassured(const struct ctlite_locked *l)
{
	struct hlist_nulls_node *n;
	struct ctlite_entry *e;

	lockdep_assert_held(l->lock);
	hlist_nulls_for_each_entry(e, n, &l->b->heads[l->bucket], node)
		if (!(e->flags & CTLITE_F_ASSURED))
			return true;
	return false;
}

/* Give back a slot ctlite_table_evict() handed over and nobody used */
static void release_slot(struct ctlite_table *table, struct ctlite_insert *ins,
			 struct ctlite_tenant *t)
{
	if (ins->have_slot) {
		ctlite_slot_give(table, t);
		ins->have_slot = false;
	}
}

/**
 * ctlite_unlink_entry() - unhash an entry and free it after a grace period
 * @table: the table
 * @l: the entry's bucket, locked
 * @e: the entry
 * @how: UNLINK_* flags
 * @reason: enum ctlite_reason, told to event listeners; 0 tells no one (a
 *	    namespace that leaves has none)
 *
 * Keeps the unassured index exact: the bucket's bit goes with its last
 * unassured entry.
 */
void ctlite_unlink_entry(struct ctlite_table *table,
			 const struct ctlite_locked *l, struct ctlite_entry *e,
			 unsigned int how, u8 reason)
{
	struct ctlite_tenant *t = NULL;

	lockdep_assert_held(l->lock);
	if (!(how & UNLINK_KEEP_SLOT))
		t = tenant_of(table, e->net_id);
	/* while its bucket is held, so that no event follows its DESTROY */
	if (reason)
		ctlite_event(table, t, e, CTLITE_EVENT_DESTROY, reason);
	hlist_nulls_del_rcu(&e->node);
	/* a racing delete or update, under this lock, sees it gone */
	WRITE_ONCE(e->flags, e->flags | CTLITE_F_DEAD);
	if (!(how & UNLINK_KEEP_SLOT))
		ctlite_slot_give(table, t);
	if (!(e->flags & CTLITE_F_ASSURED) && !bucket_has_unassured(l))
		clear_unassured(l);
	/*
	 * Readers may still be on it and follow node.next, never node.pprev,
	 * which becomes the free list's link.  The first entry on this CPU's
	 * empty list calls the freer; the others ride along.
	 */
	if (llist_add(&e->dead, this_cpu_ptr(table->dead)))
		queue_work(system_unbound_wq, &table->free_work);
}

/*
 * table->free_work: free every entry unlinked before it ran, after a grace
 * period.  Entries unlinked meanwhile find their list empty and queue it
 * again, for their own grace period.
 */
static void free_worker(struct work_struct *work)
{
	struct ctlite_table *table = container_of(work, struct ctlite_table,
						  free_work);
	struct llist_node *all = NULL, *n, *next;
	unsigned int freed = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		for (n = llist_del_all(per_cpu_ptr(table->dead, cpu)); n; n = next) {
			next = n->next;
			n->next = all;
			all = n;
		}
	}
	if (!all)
		return;
	synchronize_rcu();
	for (n = all; n; n = next) {
		next = n->next;
		ctlite_entry_free(container_of(n, struct ctlite_entry, dead));
		if (!(++freed % 1024))
			cond_resched();
	}
}

/**
 * ctlite_table_unlink() - unhash an entry and free it after a grace period
 * @table: the table
 * @l: the entry's bucket, locked by ctlite_table_lock()
 * @entry: a hashed entry
 * @reason: why it goes, for event listeners (enum ctlite_reason)
 */
void ctlite_table_unlink(struct ctlite_table *table,
			 const struct ctlite_locked *l,
			 struct ctlite_entry *entry, u8 reason)
{
	ctlite_unlink_entry(table, l, entry, 0, reason);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_unlink);

/*
 * Walk a chain under its lock for @key, unlinking expired entries met on
 * the way (lookups reap what they meet); *@len is the live entries walked
 */
static struct ctlite_entry *chain_find_reap(struct ctlite_table *table,
					    const struct ctlite_locked *l,
					    const struct ctlite_key *key,
					    struct ctlite_insert *ins,
					    unsigned int *len)
{
	struct hlist_nulls_node *n;
	struct ctlite_entry *e;

	lockdep_assert_held(l->lock);
	*len = 0;
	hlist_nulls_for_each_entry_safe(e, n, &l->b->heads[l->bucket], node) {
		ins->searched++;
		if (ctlite_entry_expired(e, ins->now)) {
			ctlite_unlink_entry(table, l, e, 0, CTLITE_REASON_EXPIRED);
			ins->reaped++;
			continue;
		}
		if (entry_matches(e, key))
			return e;
		(*len)++;
	}
	return NULL;
}

/*
 * Chains are getting long: have the table grow, if it may.  Costs two reads
 * while the load is fine; past it, a pending work item makes queue_work()
 * one atomic test until the growth is done.
 */
static void maybe_grow(struct ctlite_table *table,
		       const struct ctlite_buckets *b)
{
	if (READ_ONCE(table->auto_grow) &&
	    overloaded(atomic_read(&table->count), b->size) &&
	    time_after_eq(jiffies, READ_ONCE(table->grow_after)))
		queue_work(system_unbound_wq, &table->grow_work);
}

/**
 * ctlite_table_insert() - find or create a flow's entry
 * @table: the table
 * @key: canonical key
 * @hash: ctlite_table_hash(@table, @key)
 * @ins: the new entry's state and the time; filled with what happened
 *
 * If another CPU inserted the same flow first, its entry is returned: a
 * flow never gets two entries.  Expired entries of the chain are deleted
 * on the way and counted in @ins->reaped.  The limit is exact: a slot is
 * taken from @table->count only under the bucket lock, once the flow is
 * known to be missing, so neither a lost race nor a duplicate ever holds
 * one; the same holds for the key's namespace's own count and limit.
 * With @ins->have_slot (a slot handed over by ctlite_table_evict()) the
 * insert cannot find the table full; the slot is used or given back, and
 * @ins->have_slot is false on return.
 *
 * Call with RCU read lock (the returned entry is protected by it) and
 * bottom halves off, as a packet's hooks have them.
 *
 * Return: the entry; ERR_PTR(-ENOSPC) when the table holds max entries;
 * ERR_PTR(-EDQUOT) when the key's namespace holds its limit;
 * ERR_PTR(-EMLINK) when the flow's chain holds CTLITE_CHAIN_MAX entries;
 * ERR_PTR(-ENOMEM) when no entry could be allocated.
 */
struct ctlite_entry *ctlite_table_insert(struct ctlite_table *table,
					 const struct ctlite_key *key, u32 hash,
					 struct ctlite_insert *ins)
{
	unsigned int addr_len = key_addr_len(key), len;
	struct ctlite_tenant *t = ins->tenant ?: tenant_of(table, key->net_id);
	struct ctlite_entry *e, *found;
	struct ctlite_locked l;
	int err;

	ins->created = false;
	/* Full: do not allocate for nothing (a flood meets this path) */
	err = ins->have_slot ? 0 : ctlite_slot_unlikely(table, t);
	if (err) {
		table_lock_bh_off(table, hash, &l);
		found = chain_find_reap(table, &l, key, ins, &len);
		table_unlock_bh_off(&l);
		if (found || !ins->reaped)
			return found ?: ERR_PTR(err);
		/* reaping made room: go on */
	}
	e = ctlite_entry_alloc(key->family, GFP_ATOMIC);
	if (!e) {
		release_slot(table, ins, t);
		return ERR_PTR(-ENOMEM);
	}
	/* every field: the entry is not zeroed (@node when it is linked) */
	e->net_id = key->net_id;
	e->proto = key->proto;
	e->state = ins->state;
	e->flags |= ins->flags & ~(CTLITE_F_IPV6 | CTLITE_F_DEAD);
	e->wscale = ins->wscale;
	e->deadline = ins->deadline;
	if (key->proto == IPPROTO_TCP) {
		e->tcp = ins->tcp;
	} else {
		e->tcp = (struct ctlite_tcp_win){};
		e->born = ins->born;
	}
	e->port[0] = key->port[0];
	e->port[1] = key->port[1];
	memcpy(&e->addr, &key->addr, 2 * addr_len);

	table_lock_bh_off(table, hash, &l);
	found = chain_find_reap(table, &l, key, ins, &len);
	if (!found) {
		if (len >= CTLITE_CHAIN_MAX)
			err = -EMLINK;
		else
			err = ins->have_slot ? 0 : ctlite_slot_take(table, t);
		if (!err) {
			ins->have_slot = false;
			hlist_nulls_add_head_rcu(&e->node, &l.b->heads[l.bucket]);
			if (!(e->flags & CTLITE_F_ASSURED))
				mark_unassured(&l);
			ins->created = true;
			ctlite_event(table, t, e, CTLITE_EVENT_NEW, 0);
			maybe_grow(table, l.b);
		} else {
			found = ERR_PTR(err);
		}
	}
	table_unlock_bh_off(&l);

	if (ins->created)
		return e;
	/* lost the race, or no room: nobody saw @e */
	release_slot(table, ins, t);
	ctlite_entry_free(e);
	return found;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_insert);

/**
 * ctlite_table_delete() - remove an entry, if no one else removed it first
 * @table: the table
 * @entry: an entry found under RCU read lock, which the caller still holds
 * @reason: why it goes, for event listeners (enum ctlite_reason)
 *
 * Return: true if this call removed it.
 */
bool ctlite_table_delete(struct ctlite_table *table, struct ctlite_entry *entry,
			 u8 reason)
{
	struct ctlite_locked l;
	bool removed = false;

	ctlite_table_lock(table, ctlite_entry_hash(table, entry), &l);
	if (!(entry->flags & CTLITE_F_DEAD)) {
		ctlite_unlink_entry(table, &l, entry, 0, reason);
		removed = true;
	}
	ctlite_table_unlock(&l);
	return removed;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_delete);

/**
 * ctlite_table_assured() - note that an entry just became ASSURED
 * @table: the table
 * @l: the entry's bucket, locked by ctlite_table_lock()
 * @entry: the entry
 *
 * Takes the bucket out of the unassured index when nothing in it is left
 * unassured, so early drop does not visit it for nothing.
 */
void ctlite_table_assured(struct ctlite_table *table,
			  const struct ctlite_locked *l,
			  const struct ctlite_entry *entry)
{
	ctlite_event(table, NULL, entry, CTLITE_EVENT_ASSURED, 0);
	if (!bucket_has_unassured(l))
		clear_unassured(l);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_assured);

/**
 * ctlite_table_create() - allocate an empty table
 * @size: number of buckets
 * @max: most entries
 *
 * Return: the table, or NULL when memory is short.
 */
struct ctlite_table *ctlite_table_create(unsigned int size, unsigned int max)
{
	struct ctlite_table *table;
	struct ctlite_buckets *b;
	unsigned int i;

	table = kvzalloc(sizeof(*table), GFP_KERNEL);
	if (!table)
		return NULL;
	table->dead = alloc_percpu(struct llist_head);
	if (!table->dead)
		goto err_dead;
	b = ctlite_buckets_alloc(size);
	if (!b)
		goto err_buckets;
	RCU_INIT_POINTER(table->b, b);
	for (i = 0; i < CTLITE_LOCKS; i++)
		spin_lock_init(&table->locks[i]);
	mutex_init(&table->resize_lock);
	seqcount_mutex_init(&table->moving, &table->resize_lock);
	INIT_WORK(&table->grow_work, ctlite_grow_worker);
	for_each_possible_cpu(i)
		init_llist_head(per_cpu_ptr(table->dead, i));
	INIT_WORK(&table->free_work, free_worker);
	table->grow_after = jiffies;
	table->max = max;
	atomic_set(&table->count, 0);
	table->share = CTLITE_NETNS_SHARE;
	xa_init_flags(&table->tenants, XA_FLAGS_ALLOC1);
	get_random_bytes(&table->key, sizeof(table->key));
	get_random_bytes(&table->hkey, sizeof(table->hkey));
	return table;

err_buckets:
	free_percpu(table->dead);
err_dead:
	kvfree(table);
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_create);

/**
 * ctlite_table_destroy() - free a table and every entry still in it
 * @table: the table; nothing may use it any more
 *
 * Sleeps (waits a grace period for the last entries).
 *
 * Return: how many entries were freed.
 */
unsigned int ctlite_table_destroy(struct ctlite_table *table)
{
	unsigned int freed;

	cancel_work_sync(&table->grow_work);
	freed = ctlite_table_walk(table, WALK_ALL, NULL, NULL, true, 0);

	/* whatever is queued or waits on the lists: freed now, here */
	cancel_work_sync(&table->free_work);
	free_worker(&table->free_work);
	free_percpu(table->dead);
	ctlite_buckets_free(rcu_dereference_protected(table->b, true));
	/* every namespace left first (KUnit's tenants too) */
	WARN_ON_ONCE(!xa_empty(&table->tenants));
	xa_destroy(&table->tenants);
	mutex_destroy(&table->resize_lock);
	kvfree(table);
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_destroy);
