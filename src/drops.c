// SPDX-License-Identifier: GPL-2.0
/*
 * A new flow dropped, and saying so: the counter of its cause, the
 * minute's tally that `ctlite status` and the metrics read, and the log
 * lines ("table full, dropping packet" and who filled the table, a chain
 * too long, no memory, a namespace at its limit), rate-limited.
 *
 * Each CPU tallies its own drops in its namespace's per-CPU counters,
 * with bottom halves off; readers sum them without a lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/net.h>
#include <linux/percpu.h>
#include <linux/socket.h>

#include <ctlite/ctlite.h>

static u32 drop_epoch(void)
{
	return (u32)(jiffies / (CTLITE_DROP_SLOT_SECS * HZ));
}

/**
 * ctlite_drop_count() - count a new flow dropped
 * @cn: its namespace
 * @why: the counter of its cause: drop (no room), chain_too_long or
 *	 alloc_failed
 *
 * In that counter, and in this CPU's slot of the last minute's ring.
 * The slot's epoch and count change together with softirqs off, since a
 * locally sent packet is tracked with them on.
 */
void ctlite_drop_count(struct ctlite_net *cn, enum ctlite_stat why)
{
	u32 epoch = drop_epoch();
	struct ctlite_drop_slot *slot;

	ctlite_stat_add(cn, why, 1);
	local_bh_disable();
	slot = this_cpu_ptr(&cn->stats->drop_recent[epoch % CTLITE_DROP_SLOTS]);
	if (slot->epoch != epoch) {
		WRITE_ONCE(slot->n, 0);
		WRITE_ONCE(slot->epoch, epoch);
	}
	WRITE_ONCE(slot->n, slot->n + 1);
	local_bh_enable();
}

/**
 * ctlite_drops_recent() - new flows dropped in the last minute, for any cause
 * @cn: the namespace
 *
 * The slots of the current epoch and the CTLITE_DROP_SLOTS - 1 before it,
 * on every CPU: the last 55 to 60 seconds.  Lockless: a slot a CPU is
 * clearing at that moment may count as its old or its new value.
 *
 * Return: the number of drops.
 */
u64 ctlite_drops_recent(struct ctlite_net *cn)
{
	u32 now = drop_epoch();
	u64 sum = 0;
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct ctlite_stats *st = per_cpu_ptr(cn->stats, cpu);

		for (i = 0; i < CTLITE_DROP_SLOTS; i++) {
			if (now - READ_ONCE(st->drop_recent[i].epoch) < CTLITE_DROP_SLOTS)
				sum += READ_ONCE(st->drop_recent[i].n);
		}
	}
	return sum;
}

/*
 * Who filled the table, on the line after "table full": the sources with
 * most entries in a bounded sample around the new flow's bucket.
 */
static void log_top_sources(struct ctlite_table *table, u32 hash)
{
	struct ctlite_source top[CTLITE_TOP_SOURCES];
	unsigned int n, i, sampled, sources;
	char line[CTLITE_TOP_SOURCES * (INET6_ADDRSTRLEN + 16)];
	int len = 0;

	n = ctlite_table_top_sources(table, hash, top, &sampled, &sources);
	for (i = 0; i < n; i++) {
		if (top[i].family == AF_INET6)
			len += scnprintf(line + len, sizeof(line) - len, "%s%pI6c (%u)",
					 i ? ", " : "", &top[i].addr.ip6,
					 top[i].entries);
		else
			len += scnprintf(line + len, sizeof(line) - len, "%s%pI4 (%u)",
					 i ? ", " : "", &top[i].addr.ip,
					 top[i].entries);
	}
	pr_warn("table full: %u entries sampled near the new flow, from %u%s source%s; most: %s\n",
		sampled, sources, sources >= CTLITE_SOURCES_TALLIED ? " or more" : "",
		sources == 1 ? "" : "s", n ? line : "none");
}

/**
 * ctlite_drop_new_flow() - count and log a new flow the table refused
 * @table: the table
 * @cn: the flow's namespace
 * @hash: its key's hash: where to sample who filled the table
 * @err: why, as ctlite_table_insert() said: -ENOSPC (the table is full),
 *	 -EDQUOT (the namespace's limit), -EMLINK (a chain too long) or
 *	 -ENOMEM
 *
 * The caller drops the packet.
 */
void ctlite_drop_new_flow(struct ctlite_table *table, struct ctlite_net *cn,
			  u32 hash, long err)
{
	switch (err) {
	case -EMLINK:
		ctlite_drop_count(cn, CTLITE_STAT_CHAIN_TOO_LONG);
		if (net_ratelimit())
			pr_warn("a chain holds %u entries, dropping packet: hashsize %u is too small\n",
				CTLITE_CHAIN_MAX, ctlite_table_size(table));
		return;
	case -ENOMEM:
		ctlite_drop_count(cn, CTLITE_STAT_ALLOC_FAILED);
		if (net_ratelimit())
			pr_warn("no memory for a new entry, dropping packet\n");
		return;
	case -EDQUOT:
		ctlite_drop_count(cn, CTLITE_STAT_DROP);
		if (net_ratelimit())
			pr_warn("netns %u full (%u entries, its limit), dropping packet\n",
				cn->tenant.inum,
				ctlite_table_tenant_limit(table, &cn->tenant));
		return;
	default:
		ctlite_drop_count(cn, CTLITE_STAT_DROP);
		if (net_ratelimit()) {
			pr_warn("table full, dropping packet\n");
			log_top_sources(table, hash);
		}
		return;
	}
}
