/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The generic netlink family "ctlite": what the `ctlite` command and
 * ctlite.ko say to each other.  Shared by both, so it uses only fixed-size
 * user-space types.
 *
 * The family is per network namespace: a request sees and changes the
 * entries of the namespace of the socket it came through.  Every command
 * but CTLITE_CMD_STATS needs CAP_NET_ADMIN in that namespace's user
 * namespace (as ctnetlink does); the counters are world-readable, as
 * /proc/net/stat/ctlite is.  So is joining the "events" group not:
 * CAP_NET_ADMIN again.
 *
 * Addresses are in network order, 4 or 16 bytes; ports are u16 in host
 * order.  A flow's "source" is the address that opened it (nf_conntrack's
 * original direction), as /proc/net/ctlite shows it.
 */
#ifndef _CTLITE_NETLINK_H
#define _CTLITE_NETLINK_H

#include <linux/types.h>

#define CTLITE_GENL_NAME	"ctlite"
#define CTLITE_GENL_VERSION	1
#define CTLITE_GENL_MCGRP	"events"

enum ctlite_cmd {
	CTLITE_CMD_UNSPEC,
	/*
	 * doit: the flow CTLITE_A_FLOW names (family, proto, src, dst and
	 * ports, either direction), or ENOENT.  dumpit: every flow that
	 * passes CTLITE_A_FILTER (all without one), resumable: a dump of a
	 * million entries costs one walk of the table
	 */
	CTLITE_CMD_GET,
	/* the flows that pass CTLITE_A_FILTER, which must not be empty */
	CTLITE_CMD_DEL,
	/* every flow of the namespace */
	CTLITE_CMD_FLUSH,
	/* the counters: summed, per CPU, and the counts against the limits */
	CTLITE_CMD_STATS,
	/* in the "events" group only: a flow was made, assured or destroyed */
	CTLITE_CMD_EVENT,
	__CTLITE_CMD_MAX,
};

#define CTLITE_CMD_MAX (__CTLITE_CMD_MAX - 1)

enum ctlite_attr {
	CTLITE_A_UNSPEC,
	CTLITE_A_FLOW,		/* nest: CTLITE_FLOW_* */
	CTLITE_A_FILTER,	/* nest: CTLITE_FILTER_* */
	CTLITE_A_DELETED,	/* u32: flows a DEL or FLUSH deleted */
	CTLITE_A_STATS,		/* nest: CTLITE_STATS_* */
	CTLITE_A_EVENT,		/* u8: enum ctlite_event */
	CTLITE_A_REASON,	/* u8: enum ctlite_reason, with CTLITE_EVENT_DESTROY */
	__CTLITE_A_MAX,
};

#define CTLITE_A_MAX (__CTLITE_A_MAX - 1)

enum ctlite_flow_attr {
	CTLITE_FLOW_UNSPEC,
	CTLITE_FLOW_FAMILY,	/* u8: AF_INET or AF_INET6 */
	CTLITE_FLOW_PROTO,	/* u8: IPPROTO_* */
	CTLITE_FLOW_SRC,	/* binary: the opener's address */
	CTLITE_FLOW_DST,	/* binary: the address it opened the flow to */
	CTLITE_FLOW_SPORT,	/* u16 (ICMP echo: the id, as both ports) */
	CTLITE_FLOW_DPORT,	/* u16 */
	CTLITE_FLOW_STATE,	/* u8: TCP only, enum ctlite_tcp_state */
	CTLITE_FLOW_STATUS,	/* u32: CTLITE_STATUS_* */
	CTLITE_FLOW_TIMEOUT,	/* u32: seconds until it expires */
	CTLITE_FLOW_NETNS,	/* u32: its namespace's inode number */
	__CTLITE_FLOW_MAX,
};

#define CTLITE_FLOW_MAX (__CTLITE_FLOW_MAX - 1)

/* CTLITE_FLOW_STATUS and CTLITE_FILTER_STATUS */
enum {
	CTLITE_STATUS_SEEN_REPLY = 1 << 0,
	CTLITE_STATUS_ASSURED = 1 << 1,
};

/* TCP states: nf_conntrack's names, in its order */
enum ctlite_tcp_state {
	CTLITE_TCP_NONE,
	CTLITE_TCP_SYN_SENT,
	CTLITE_TCP_SYN_RECV,
	CTLITE_TCP_ESTABLISHED,
	CTLITE_TCP_FIN_WAIT,
	CTLITE_TCP_CLOSE_WAIT,
	CTLITE_TCP_LAST_ACK,
	CTLITE_TCP_TIME_WAIT,
	CTLITE_TCP_CLOSE,
	CTLITE_TCP_NUM
};

/*
 * What a flow must be to pass a filter: each attribute given narrows it.
 * Addresses and ports are the opener's (src) and its peer's (dst), as a
 * listing shows them.
 */
enum ctlite_filter_attr {
	CTLITE_FILTER_UNSPEC,
	CTLITE_FILTER_FAMILY,	/* u8 */
	CTLITE_FILTER_PROTO,	/* u8 */
	CTLITE_FILTER_SRC,	/* binary, the family's length: needs FAMILY */
	CTLITE_FILTER_SRC_PREFIX, /* u8: bits of SRC compared (default all) */
	CTLITE_FILTER_DST,
	CTLITE_FILTER_DST_PREFIX,
	CTLITE_FILTER_SPORT,	/* u16 */
	CTLITE_FILTER_DPORT,	/* u16 */
	CTLITE_FILTER_STATE,	/* u32: 1 << TCP state, any of them; TCP only */
	CTLITE_FILTER_STATUS,	/* u32: these CTLITE_STATUS_* bits ... */
	CTLITE_FILTER_STATUS_MASK, /* u32: ... of these (default: STATUS) */
	/*
	 * u32: the namespace of this inode number, or 0 for every one (GET's
	 * dump only, from the initial namespace with CAP_NET_ADMIN there)
	 */
	CTLITE_FILTER_NETNS,
	__CTLITE_FILTER_MAX,
};

#define CTLITE_FILTER_MAX (__CTLITE_FILTER_MAX - 1)

/* The per-CPU counters of a namespace, in /proc/net/stat/ctlite's order */
enum ctlite_stat {
	CTLITE_STAT_FOUND,		/* packet of a known flow */
	CTLITE_STAT_NEW,		/* entry created */
	CTLITE_STAT_INVALID,		/* malformed packet, left untracked */
	CTLITE_STAT_IGNORE,		/* untrackable packet (fragment, ICMP error) */
	CTLITE_STAT_INSERT_FAILED,	/* lost an insert race; the winner's entry used */
	CTLITE_STAT_DROP,		/* new flow dropped: table full */
	CTLITE_STAT_ALLOC_FAILED,	/* new flow dropped: no memory for its entry */
	CTLITE_STAT_EARLY_DROP,
	CTLITE_STAT_RST_EVICT,
	CTLITE_STAT_EXPIRED,
	CTLITE_STAT_SEARCHED,		/* entries compared by lookups */
	CTLITE_STAT_GC_RUNS,
	CTLITE_STAT_CHAIN_TOO_LONG,	/* new flow dropped: its chain is full */
	/*
	 * first packets of new flows not yet past the filter: up at the
	 * tracking hook, down at confirmation; what stays was dropped by the
	 * firewall before it could make an entry
	 */
	CTLITE_STAT_UNCONFIRMED,
	CTLITE_STAT_RELATED,		/* ICMP error quoting a tracked flow */
	CTLITE_STAT_EVENTS_LOST,	/* events no listener could be sent */
	CTLITE_STAT_NUM
};

/* The counters' names, as /proc/net/stat/ctlite's header and `ctlite stats` */
#define CTLITE_STAT_NAMES {					\
	[CTLITE_STAT_FOUND] = "found",				\
	[CTLITE_STAT_NEW] = "new",				\
	[CTLITE_STAT_INVALID] = "invalid",			\
	[CTLITE_STAT_IGNORE] = "ignore",			\
	[CTLITE_STAT_INSERT_FAILED] = "insert_failed",		\
	[CTLITE_STAT_DROP] = "drop",				\
	[CTLITE_STAT_ALLOC_FAILED] = "alloc_failed",		\
	[CTLITE_STAT_EARLY_DROP] = "early_drop",		\
	[CTLITE_STAT_RST_EVICT] = "rst_evict",			\
	[CTLITE_STAT_EXPIRED] = "expired",			\
	[CTLITE_STAT_SEARCHED] = "searched",			\
	[CTLITE_STAT_GC_RUNS] = "gc_runs",			\
	[CTLITE_STAT_CHAIN_TOO_LONG] = "chaintoolong",		\
	[CTLITE_STAT_UNCONFIRMED] = "unconfirmed",		\
	[CTLITE_STAT_RELATED] = "related",			\
	[CTLITE_STAT_EVENTS_LOST] = "events_lost",		\
}

/*
 * The protocols' names, as /proc/net/ctlite and `ctlite list` print them
 * (nf_conntrack's): indexed by IP protocol number (numbers, not IPPROTO_*,
 * so that user space need not mix <linux/in.h> with <netinet/in.h>), NULL
 * for a protocol printed as "unknown"
 */
#define CTLITE_PROTO_NAMES {					\
	[1] = "icmp",						\
	[6] = "tcp",						\
	[17] = "udp",						\
	[58] = "icmpv6",					\
	[136] = "udplite",					\
}

enum ctlite_stats_attr {
	CTLITE_STATS_UNSPEC,
	CTLITE_STATS_COUNT,	/* u32: this namespace's entries */
	CTLITE_STATS_LIMIT,	/* u32: how many it may hold */
	CTLITE_STATS_TABLE_COUNT, /* u32: the table's entries, every namespace */
	CTLITE_STATS_TABLE_MAX,	/* u32: net.ctlite.max */
	CTLITE_STATS_BUCKETS,	/* u32: the table's buckets now */
	CTLITE_STATS_ENTRY4_BYTES, /* u32: slab object of an IPv4 entry */
	CTLITE_STATS_ENTRY6_BYTES, /* u32: of an IPv6 entry */
	/*
	 * nest: the counters summed over the CPUs, attribute type
	 * enum ctlite_stat + 1, each a u64
	 */
	CTLITE_STATS_TOTAL,
	/* nest, one per possible CPU: CTLITE_STATS_CPU_ID, then the counters */
	CTLITE_STATS_CPU,
	/*
	 * u64: new flows dropped in the last minute (to 5 s), for any cause:
	 * drop, chain_too_long, alloc_failed
	 */
	CTLITE_STATS_DROPS_LAST_MINUTE,
	CTLITE_STATS_PAD,	/* aligns the u64 above */
	__CTLITE_STATS_MAX,
};

#define CTLITE_STATS_MAX (__CTLITE_STATS_MAX - 1)

/* In a CTLITE_STATS_CPU nest, beside the counters: u32, the CPU */
#define CTLITE_STATS_CPU_ID	(CTLITE_STAT_NUM + 1)
/* In a counters nest: padding that aligns the u64 counters */
#define CTLITE_STATS_COUNTER_PAD (CTLITE_STAT_NUM + 2)

enum ctlite_event {
	CTLITE_EVENT_NEW = 1,		/* an entry was made (confirmed) */
	CTLITE_EVENT_ASSURED,		/* it became ASSURED */
	CTLITE_EVENT_DESTROY,		/* it was deleted: CTLITE_A_REASON says why */
};

enum ctlite_reason {
	CTLITE_REASON_EXPIRED = 1,	/* its timeout ran out */
	CTLITE_REASON_RST,		/* an in-window RST (net.ctlite.rst_evict) */
	CTLITE_REASON_EARLY_DROP,	/* evicted for a new flow in a full table */
	CTLITE_REASON_FLUSH,		/* CTLITE_CMD_FLUSH */
	CTLITE_REASON_DELETE,		/* CTLITE_CMD_DEL */
	CTLITE_REASON_REUSED,		/* TCP: a new SYN reused its closed flow's ports */
};

#endif /* _CTLITE_NETLINK_H */
