/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How long an entry lives without traffic: its namespace's timeout for
 * its protocol and state, bounded by the host's, shrunk as the table
 * fills (timeout.c has the defaults, the setters and the scaling).
 * Inline: every packet of a flow reads it, so it reads only what the
 * setters worked out: no host's ceiling, no percentage, per packet.
 *
 * Lockless: timeout.c's setters write with WRITE_ONCE(), packets read with
 * READ_ONCE().
 */
#ifndef _CTLITE_TIMEOUT_H
#define _CTLITE_TIMEOUT_H

#include <linux/in.h>
#include <linux/minmax.h>

#include <ctlite/ctlite.h>

/*
 * Timeout @i of a namespace, in jiffies, already bounded by the host's
 * (timeout.c keeps it so)
 */
static inline u32 ctlite_conf_timeout(const struct ctlite_conf *conf,
				      enum ctlite_timeout i)
{
	return READ_ONCE(conf->timeout_j[i]);
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
	unsigned int count;
	u32 j;

	/*
	 * UDP first: its packets read this on every packet, while TCP's
	 * state machine reads it only when a segment passes its checks
	 */
	if (likely(proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE)) {
		/* one question and its answer are not a stream yet */
		j = ctlite_conf_timeout(conf, flags & CTLITE_F_ASSURED ?
					CTLITE_TO_UDP_STREAM : CTLITE_TO_UDP);
	} else if (proto == IPPROTO_TCP) {
		j = ctlite_conf_timeout(conf, CTLITE_TO_TCP_SYN_SENT + state - 1);
		/* a flow never answered lives no longer than a lone SYN */
		if (!(flags & CTLITE_F_REPLIED))
			j = min(j, ctlite_conf_timeout(conf, CTLITE_TO_TCP_SYN_SENT));
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		j = ctlite_conf_timeout(conf, CTLITE_TO_ICMP);
	} else {
		j = ctlite_conf_timeout(conf, CTLITE_TO_GENERIC);
	}
	count = atomic_read(&table->count);
	/* the common case, inline: below where timeouts start to shrink */
	if (likely(count <= READ_ONCE(conf->adaptive_from)))
		return j;
	return ctlite_adaptive_scale(j, count, READ_ONCE(table->max),
				     READ_ONCE(conf->adaptive_start),
				     READ_ONCE(conf->adaptive_end));
}

#endif /* _CTLITE_TIMEOUT_H */
