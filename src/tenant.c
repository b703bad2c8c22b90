// SPDX-License-Identifier: GPL-2.0
/*
 * Who may hold how many entries: the table's count against max, each
 * network namespace's share of it (struct ctlite_tenant), and the
 * warnings as the table fills.
 *
 * Namespaces are tenants, found by the key's net_id in table->tenants:
 * each counts its entries in an atomic of its own, taken and given back
 * with table->count when an entry is made or freed, and every one but the
 * initial namespace may hold only table->share percent of max.  A tenant
 * is added before its namespace's first packet and removed after its last
 * entry is gone.
 *
 * Locking: the counts are atomics, never passed even for a moment (a
 * compare-and-exchange loop); the fill warnings' bits are atomic bit
 * operations.  table->tenants is an xarray, whose own lock guards adding
 * and removing tenants; packets read it under RCU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/export.h>
#include <linux/math64.h>
#include <linux/xarray.h>
#include <kunit/visibility.h>

#include "table_impl.h"

/*
 * Warnings as the table fills, in percent of max, ascending: each is
 * logged once when count reaches it and re-armed only when count falls 5
 * points below it, so a count hovering at a level does not log a line per
 * entry.
 */
static const struct {
	unsigned int warn;
	unsigned int rearm;
} fill_levels[] = {
	{ 80, 75 },
	{ 95, 90 },
};

/* count just rose to @count of @max */
static void fill_rose(struct ctlite_table *table, unsigned int count,
		      unsigned int max)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fill_levels); i++) {
		if ((u64)count * 100 < (u64)max * fill_levels[i].warn)
			break;
		if (!test_bit(i, &table->fill_warned) &&
		    !test_and_set_bit(i, &table->fill_warned))
			pr_warn("table %u%% full (%u of %u entries)\n",
				fill_levels[i].warn, count, max);
	}
}

/* count just fell to @count */
static void fill_fell(struct ctlite_table *table, unsigned int count)
{
	unsigned int max = READ_ONCE(table->max), i;

	for (i = 0; i < ARRAY_SIZE(fill_levels); i++)
		if (test_bit(i, &table->fill_warned) &&
		    (u64)count * 100 < (u64)max * fill_levels[i].rearm)
			clear_bit(i, &table->fill_warned);
}

/**
 * ctlite_table_tenant_limit() - most entries a namespace may hold
 * @table: the table
 * @tenant: the namespace's share
 *
 * Return: max for the initial namespace, else share percent of max, at
 * least 1.
 */
unsigned int ctlite_table_tenant_limit(const struct ctlite_table *table,
				       const struct ctlite_tenant *tenant)
{
	unsigned int max = READ_ONCE(table->max);

	if (!tenant->capped)
		return max;
	return max_t(u32, 1, div_u64((u64)max * READ_ONCE(table->share), 100));
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_tenant_limit);

/* Take one from @count if below @limit; never passes it, even for a moment */
static bool count_below(atomic_t *count, unsigned int limit, int *was)
{
	int c = atomic_read(count);

	do {
		if ((unsigned int)c >= limit)
			return false;
	} while (!atomic_try_cmpxchg(count, &c, c + 1));
	*was = c;
	return true;
}

/**
 * ctlite_slot_take() - count one more entry of a namespace, if it may
 * @table: the table
 * @t: the namespace's share (tenant_of()), or NULL for a made-up id
 *
 * Taken if the namespace is below its limit and the table below max.
 * Never lets a count pass its limit, even for a moment: a count above it
 * means the limit was lowered, and early drop then stands aside, so a
 * transient overshoot would drop a packet for nothing.
 *
 * Return: 0, -EDQUOT (the namespace holds its limit) or -ENOSPC (the
 * table holds max).
 */
int ctlite_slot_take(struct ctlite_table *table, struct ctlite_tenant *t)
{
	unsigned int max = READ_ONCE(table->max);
	int count;

	/* the initial namespace is bounded by max alone, just below */
	if (t && t->capped) {
		if (!count_below(&t->count, ctlite_table_tenant_limit(table, t),
				 &count))
			return -EDQUOT;
	} else if (t) {
		atomic_inc(&t->count);
	}
	if (!count_below(&table->count, max, &count)) {
		if (t)
			atomic_dec(&t->count);
		return -ENOSPC;
	}
	fill_rose(table, count + 1, max);
	return 0;
}

/**
 * ctlite_slot_give() - give back the slot an entry held
 * @table: the table
 * @t: the entry's namespace's share (tenant_of()), or NULL when it is
 *     gone or made up
 */
void ctlite_slot_give(struct ctlite_table *table, struct ctlite_tenant *t)
{
	if (t)
		atomic_dec(&t->count);
	fill_fell(table, atomic_dec_return(&table->count));
}

/**
 * ctlite_slot_unlikely() - whether a new entry surely finds no slot
 * @table: the table
 * @t: its namespace's share (tenant_of()), or NULL for a made-up id
 *
 * Checked before allocating, so a flood into a full table allocates
 * nothing.  A hint: ctlite_slot_take() decides.
 *
 * Return: 0, or what ctlite_slot_take() would most likely say.
 */
int ctlite_slot_unlikely(struct ctlite_table *table, struct ctlite_tenant *t)
{
	if (t && t->capped && (unsigned int)atomic_read(&t->count) >=
	    ctlite_table_tenant_limit(table, t))
		return -EDQUOT;
	if ((unsigned int)atomic_read(&table->count) >= READ_ONCE(table->max))
		return -ENOSPC;
	return 0;
}

/**
 * ctlite_table_tenant_add() - give a network namespace its share
 * @table: the table
 * @tenant: the namespace's share, which must stay until
 *	    ctlite_table_tenant_del(); its @id is set here
 * @inum: the namespace's net->ns.inum, for operators
 * @capped: it may hold only the table's share of max (any namespace but
 *	    the initial one)
 *
 * Sleeps.  Return: 0, or -ENOMEM.
 */
int ctlite_table_tenant_add(struct ctlite_table *table,
			    struct ctlite_tenant *tenant, u32 inum, bool capped)
{
	atomic_set(&tenant->count, 0);
	tenant->inum = inum;
	tenant->capped = capped;
	tenant->leaving = false;
	tenant->net = NULL;
	/* ids from 1, below 2^31: 0 and U32_MAX mean more to ctlite_table_walk() */
	return xa_alloc(&table->tenants, &tenant->id, tenant, xa_limit_31b,
			GFP_KERNEL);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_tenant_add);

/**
 * ctlite_table_tenant_leave() - mark a namespace's share for the next flush
 * @table: the table
 * @tenant: the namespace's share, from ctlite_table_tenant_add()
 *
 * Call once no packet of the namespace can reach the table any more (its
 * hooks are gone); ctlite_table_tenants_flush() then deletes its entries
 * and its share, with those of every other namespace that left meanwhile,
 * in one walk of the table.
 */
void ctlite_table_tenant_leave(struct ctlite_table *table,
			       struct ctlite_tenant *tenant)
{
	WRITE_ONCE(tenant->leaving, true);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_tenant_leave);

/**
 * ctlite_table_tenants_flush() - delete the entries of leaving namespaces
 * @table: the table
 *
 * One walk deletes the entries of every namespace marked by
 * ctlite_table_tenant_leave() (nf_conntrack walks its table once per
 * namespace), then their shares go.  Namespaces leave and are flushed by
 * the core's clean-up, one batch at a time (or by the module's unload,
 * which excludes it), so no share is marked during a flush.  A share's id
 * may then be given to a new namespace: no entry carries it, and a lookup
 * that started before the flush cannot be in the new namespace.  Sleeps.
 *
 * Return: how many entries were deleted.
 */
unsigned int ctlite_table_tenants_flush(struct ctlite_table *table)
{
	/* no event: a namespace that leaves has no listener left */
	unsigned int freed = ctlite_table_walk(table, WALK_LEAVING, NULL, NULL, true, 0);
	struct ctlite_tenant *t;
	unsigned long id;

	xa_for_each(&table->tenants, id, t) {
		if (!t->leaving)
			continue;
		WARN_ON_ONCE(atomic_read(&t->count));
		xa_erase(&table->tenants, id);
	}
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_tenants_flush);

/**
 * ctlite_table_tenant_del() - delete one namespace's entries and its share
 * @table: the table
 * @tenant: the namespace's share, from ctlite_table_tenant_add()
 *
 * For a namespace whose set-up failed (and KUnit): no packet of it can
 * reach the table any more.  Leaves the shares of leaving namespaces to
 * their flush, which may run at the same time (a namespace's set-up and
 * another's clean-up may).  Sleeps.
 *
 * Return: how many entries were deleted.
 */
unsigned int ctlite_table_tenant_del(struct ctlite_table *table,
				     struct ctlite_tenant *tenant)
{
	unsigned int freed = ctlite_table_walk(table, tenant->id, NULL, NULL, true, 0);

	WARN_ON_ONCE(atomic_read(&tenant->count));
	xa_erase(&table->tenants, tenant->id);
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_table_tenant_del);
