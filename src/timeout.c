// SPDX-License-Identifier: GPL-2.0
/*
 * A namespace's lifetimes (struct ctlite_conf): their defaults, the
 * setters the sysctl handlers call, and pf's adaptive rule, which shrinks
 * them as the table fills.  What a packet reads of them is inline, in
 * include/ctlite/timeout.h, and reads only what the setters work out
 * here: a timeout in jiffies already bounded by the host's, and the count
 * at which shrinking starts.  So a write to a host's timeout updates its
 * containers' too, and a write to max every namespace's count.
 *
 * Locking: conf_lock serializes the setters and guards conf_list, every
 * namespace's conf; the setters store with WRITE_ONCE(), packets read
 * with READ_ONCE().  A packet may meet a value a moment old.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/lockdep.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <kunit/visibility.h>

#include <ctlite/ctlite.h>

/* DESIGN.md's defaults, in seconds: nf_conntrack's for TCP */
static const unsigned int default_timeout[CTLITE_TO_NUM] = {
	[CTLITE_TO_TCP_SYN_SENT] = 120,
	[CTLITE_TO_TCP_SYN_RECV] = 60,
	[CTLITE_TO_TCP_ESTABLISHED] = 432000,
	[CTLITE_TO_TCP_FIN_WAIT] = 120,
	[CTLITE_TO_TCP_CLOSE_WAIT] = 60,
	[CTLITE_TO_TCP_LAST_ACK] = 30,
	[CTLITE_TO_TCP_TIME_WAIT] = 120,
	[CTLITE_TO_TCP_CLOSE] = 10,
	[CTLITE_TO_UDP] = 30,
	[CTLITE_TO_UDP_STREAM] = 120,
	[CTLITE_TO_ICMP] = 30,
	[CTLITE_TO_GENERIC] = 600,
};

enum {
	DEFAULT_ADAPTIVE_START = 60,	/* percent of max, as pf */
	DEFAULT_ADAPTIVE_END = 120,
};

static LIST_HEAD(conf_list);
static DEFINE_MUTEX(conf_lock);

/* Timeout @i in jiffies, for the packets: the host's bounds it */
static void update_timeout(struct ctlite_conf *conf, enum ctlite_timeout i)
{
	unsigned int secs = conf->timeout[i];

	lockdep_assert_held(&conf_lock);
	if (conf->host)
		secs = min(secs, conf->host->timeout[i]);
	WRITE_ONCE(conf->timeout_j[i], secs * HZ);
}

/*
 * The count above which timeouts shrink, for the packets: count * 100 >
 * max * start, as ctlite_adaptive_scale() has it, is count > this
 */
static void update_adaptive(struct ctlite_conf *conf)
{
	unsigned int start = conf->adaptive_start, end = conf->adaptive_end;
	u64 from = U32_MAX;

	lockdep_assert_held(&conf_lock);
	if (start && end && start < end)
		from = div_u64((u64)READ_ONCE(conf->table->max) * start, 100);
	WRITE_ONCE(conf->adaptive_from, min_t(u64, from, U32_MAX));
}

/**
 * ctlite_conf_init() - a namespace's timeouts and switches at their start
 * @conf: filled in, and listed for the writes that reach every namespace
 * @table: the table the namespace's entries live in
 * @host: the initial namespace's, for a container: it starts with the
 *	  host's timeouts, which bound its own from then on; NULL for the
 *	  initial namespace, which starts from the defaults
 *
 * Undo with ctlite_conf_exit().
 */
void ctlite_conf_init(struct ctlite_conf *conf, const struct ctlite_table *table,
		      const struct ctlite_conf *host)
{
	unsigned int i;

	mutex_lock(&conf_lock);
	conf->host = host;
	conf->table = table;
	for (i = 0; i < CTLITE_TO_NUM; i++) {
		conf->timeout[i] = host ? host->timeout[i] : default_timeout[i];
		update_timeout(conf, i);
	}
	conf->early_drop = 1;
	conf->rst_evict = 1;
	conf->adaptive_start = DEFAULT_ADAPTIVE_START;
	conf->adaptive_end = DEFAULT_ADAPTIVE_END;
	update_adaptive(conf);
	list_add(&conf->node, &conf_list);
	mutex_unlock(&conf_lock);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_conf_init);

/**
 * ctlite_conf_exit() - unlist a namespace's conf
 * @conf: from ctlite_conf_init(), no longer written (its sysctls are gone)
 *
 * Its memory must outlive its containers' exits, as a pernet's does.
 */
void ctlite_conf_exit(struct ctlite_conf *conf)
{
	mutex_lock(&conf_lock);
	list_del(&conf->node);
	mutex_unlock(&conf_lock);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_conf_exit);

/**
 * ctlite_conf_set_timeout() - set one of a namespace's timeouts
 * @conf: the namespace's
 * @i: which
 * @secs: seconds, 1..CTLITE_TIMEOUT_MAX
 *
 * Converted to jiffies here, once, for the packets that read it, and
 * bounded by the host's.  A host's bounds its containers' from now on.
 * The sysctl handler refuses a container's above the host's; one that got
 * in anyway is still bounded.
 */
void ctlite_conf_set_timeout(struct ctlite_conf *conf, enum ctlite_timeout i,
			     unsigned int secs)
{
	struct ctlite_conf *c;

	mutex_lock(&conf_lock);
	WRITE_ONCE(conf->timeout[i], secs);
	update_timeout(conf, i);
	list_for_each_entry(c, &conf_list, node)
		if (c->host == conf)
			update_timeout(c, i);
	mutex_unlock(&conf_lock);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_conf_set_timeout);

/**
 * ctlite_conf_set_adaptive() - set adaptive_start or adaptive_end
 * @conf: the namespace's
 * @end: set adaptive_end, not adaptive_start
 * @v: percent of max, 0 (off) .. CTLITE_ADAPTIVE_MAX
 *
 * Return: 0, or -EINVAL when both bounds would be on and start not below
 * end (nothing changes then).
 */
int ctlite_conf_set_adaptive(struct ctlite_conf *conf, bool end, unsigned int v)
{
	unsigned int start, stop;
	int err = 0;

	mutex_lock(&conf_lock);
	start = end ? conf->adaptive_start : v;
	stop = end ? v : conf->adaptive_end;
	if (start && stop && start >= stop) {
		err = -EINVAL;
	} else {
		WRITE_ONCE(conf->adaptive_start, start);
		WRITE_ONCE(conf->adaptive_end, stop);
		update_adaptive(conf);
	}
	mutex_unlock(&conf_lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_conf_set_adaptive);

/**
 * ctlite_conf_set_max() - set a table's max
 * @table: the table
 * @max: its new limit, checked by the caller
 *
 * Every namespace's count where timeouts start shrinking follows it.
 */
void ctlite_conf_set_max(struct ctlite_table *table, unsigned int max)
{
	struct ctlite_conf *c;

	mutex_lock(&conf_lock);
	WRITE_ONCE(table->max, max);
	list_for_each_entry(c, &conf_list, node)
		if (c->table == table)
			update_adaptive(c);
	mutex_unlock(&conf_lock);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_conf_set_max);

/**
 * ctlite_adaptive_scale() - shrink a timeout as the table fills (pf's rule)
 * @timeout: the timeout, any unit
 * @count: entries in the table
 * @max: the table's limit
 * @start: percent of @max where shrinking starts (0: never)
 * @end: percent of @max where the timeout reaches 0 (0: never)
 *
 * Return: @timeout up to @start, @timeout * (end - count) / (end - start)
 * between, 0 from @end on; @timeout unchanged when either bound is 0 or
 * @start is not below @end.
 */
u32 ctlite_adaptive_scale(u32 timeout, unsigned int count, unsigned int max,
			  unsigned int start, unsigned int end)
{
	u64 c = (u64)count * 100, lo = (u64)max * start, hi = (u64)max * end;

	if (!start || !end || start >= end || c <= lo)
		return timeout;
	if (c >= hi)
		return 0;
	return mul_u64_u64_div_u64(timeout, hi - c, hi - lo);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_adaptive_scale);
