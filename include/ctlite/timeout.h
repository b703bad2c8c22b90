/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How long an entry lives without traffic: its namespace's timeout for
 * its protocol and state, bounded by the host's, shrunk as the table
 * fills (timeout.c has the defaults, the sysctl's setter and the
 * scaling).  Inline: every packet of a flow reads it.
 *
 * Lockless: the timeouts are written by sysctl and read with READ_ONCE().
 */
#ifndef _CTLITE_TIMEOUT_H
#define _CTLITE_TIMEOUT_H

#include <linux/in.h>
#include <linux/minmax.h>

#include <ctlite/ctlite.h>

/*
 * Timeout @i of a namespace, in jiffies: its own, but never above the
 * host's, which the host may have lowered since
 */
static inline u32 ctlite_conf_timeout(const struct ctlite_conf *conf,
				      enum ctlite_timeout i)
{
	u32 j = READ_ONCE(conf->timeout_j[i]);

	if (conf->host)
		j = min(j, READ_ONCE(conf->host->timeout_j[i]));
	return j;
}

/**
 * ctlite_entry_timeout() - how long an entry lives without traffic
 * @table: its table (the adaptive scaling reads its fill)
 * @conf: its namespace's timeouts and switches
 * @proto: its protocol
 * @state: TCP: its state; else 0
 * @flags: its CTLITE_F_* flags
 *
 * Return: the lifetime, in jiffies.
 */
static inline u32 ctlite_entry_timeout(const struct ctlite_table *table,
				       const struct ctlite_conf *conf,
				       u8 proto, u8 state, u8 flags)
{
	unsigned int count, start;
	u32 j;

	/*
	 * UDP tested first: its packets read this on every packet (TCP's
	 * state machine calls it with its own constant), and the switch
	 * below tried three other protocols before it
	 */
	if (likely(proto == IPPROTO_UDP))
		goto udp;
	switch (proto) {
	case IPPROTO_TCP:
		j = ctlite_conf_timeout(conf, CTLITE_TO_TCP_SYN_SENT + state - 1);
		/* a flow never answered lives no longer than a lone SYN */
		if (!(flags & CTLITE_F_REPLIED))
			j = min(j, ctlite_conf_timeout(conf, CTLITE_TO_TCP_SYN_SENT));
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
udp:
		/* one question and its answer are not a stream yet */
		j = ctlite_conf_timeout(conf, flags & CTLITE_F_ASSURED ?
				 CTLITE_TO_UDP_STREAM : CTLITE_TO_UDP);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		j = ctlite_conf_timeout(conf, CTLITE_TO_ICMP);
		break;
	default:
		j = ctlite_conf_timeout(conf, CTLITE_TO_GENERIC);
		break;
	}
	count = atomic_read(&table->count);
	start = READ_ONCE(conf->adaptive_start);
	/* the common case, inline: below where timeouts start to shrink */
	if ((u64)count * 100 <= (u64)READ_ONCE(table->max) * start)
		return j;
	return ctlite_adaptive_scale(j, count, READ_ONCE(table->max), start,
				     READ_ONCE(conf->adaptive_end));
}

#endif /* _CTLITE_TIMEOUT_H */
