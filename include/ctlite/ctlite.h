/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ctlite's files share beyond the table: the one live table, the
 * per-netns state (counters, /proc and sysctl handles), and the entry
 * points of each file.
 */
#ifndef _CTLITE_CTLITE_H
#define _CTLITE_CTLITE_H

#include <linux/percpu.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>

#include <ctlite/table.h>

/*
 * The live table: set before any netns hook is registered, cleared only
 * after every hook is gone (module unload)
 */
extern struct ctlite_table *ctlite_table;

/* Per-CPU counters of one netns, in /proc/net/stat/ctlite's column order */
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
	CTLITE_STAT_NUM
};

struct ctlite_stats {
	u32 count[CTLITE_STAT_NUM];
};

/**
 * struct ctlite_net - ctlite's state in one network namespace
 * @stats: per-CPU counters
 * @sysctl: the net.ctlite sysctl table registration
 */
struct ctlite_net {
	struct ctlite_stats __percpu *stats;
	struct ctl_table_header *sysctl;
};

struct ctlite_net *ctlite_pernet(const struct net *net);

static inline u32 ctlite_net_id(const struct net *net)
{
	return net->ns.inum;
}

static inline void ctlite_stat_add(struct ctlite_net *cn, enum ctlite_stat s,
				   u32 n)
{
	this_cpu_add(cn->stats->count[s], n);
}

/* tuple.c */
enum ctlite_parse {
	CTLITE_PARSE_OK,
	CTLITE_PARSE_INVALID,	/* malformed: truncated, bad lengths */
	CTLITE_PARSE_IGNORE,	/* well formed, but not a flow of its own */
};

enum ctlite_parse ctlite_parse_skb(const struct sk_buff *skb, u8 family,
				   u32 net_id, struct ctlite_key *key,
				   bool *src_is_1);

/* hooks.c */
int ctlite_hooks_register(struct net *net);
void ctlite_hooks_unregister(struct net *net);

/* procfs.c */
int ctlite_proc_init(struct net *net);
void ctlite_proc_exit(struct net *net);

/* sysctl.c */
int ctlite_sysctl_init(struct net *net);
void ctlite_sysctl_exit(struct net *net);

#endif /* _CTLITE_CTLITE_H */
