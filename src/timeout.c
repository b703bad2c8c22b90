// SPDX-License-Identifier: GPL-2.0
/*
 * A namespace's lifetimes (struct ctlite_conf): their defaults, the
 * setter the sysctl handlers call, which keeps them in jiffies for the
 * packets, and pf's adaptive rule, which shrinks them as the table fills.
 * What a packet reads of them is inline, in include/ctlite/timeout.h.
 *
 * No lock: sysctl writes each value with WRITE_ONCE(), packets read it
 * with READ_ONCE().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/math64.h>
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

/**
 * ctlite_conf_init() - a namespace's timeouts and switches at their defaults
 * @conf: filled in
 */
void ctlite_conf_init(struct ctlite_conf *conf)
{
	unsigned int i;

	for (i = 0; i < CTLITE_TO_NUM; i++)
		ctlite_conf_set_timeout(conf, i, default_timeout[i]);
	conf->early_drop = 1;
	conf->rst_evict = 1;
	conf->adaptive_start = DEFAULT_ADAPTIVE_START;
	conf->adaptive_end = DEFAULT_ADAPTIVE_END;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_conf_init);

/**
 * ctlite_conf_set_timeout() - set one of a namespace's timeouts
 * @conf: the namespace's
 * @i: which
 * @secs: seconds, 1..CTLITE_TIMEOUT_MAX
 *
 * Converted to jiffies here, once, for the packets that read it.  A
 * packet may meet the new seconds with the old jiffies for a moment,
 * which it never reads.
 */
void ctlite_conf_set_timeout(struct ctlite_conf *conf, enum ctlite_timeout i,
			     unsigned int secs)
{
	WRITE_ONCE(conf->timeout[i], secs);
	WRITE_ONCE(conf->timeout_j[i], secs * HZ);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_conf_set_timeout);

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
