/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ctlite's files share beyond the table: the one live table, the
 * per-netns state (counters, /proc and sysctl handles), and the entry
 * points of each file.
 */
#ifndef _CTLITE_CTLITE_H
#define _CTLITE_CTLITE_H

#include <linux/percpu.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include <ctlite/ctlite_netlink.h>
#include <ctlite/table.h>

/* The release; dkms.conf's PACKAGE_VERSION and `make version` follow it */
#define CTLITE_VERSION "0.8.0"

/*
 * The live table: set before any netns hook is registered, cleared only
 * after every hook is gone (module unload)
 */
extern struct ctlite_table *ctlite_table;

/*
 * Drops of the last minute, for `ctlite status`: per CPU, a ring of
 * CTLITE_DROP_SLOTS slots of CTLITE_DROP_SLOT_SECS seconds, each the drops
 * counted while the clock was in its epoch (jiffies / slot length).  A
 * slot of an older epoch is cleared by its CPU's next drop there and
 * skipped by readers, so nothing runs while nothing drops.
 */
#define CTLITE_DROP_SLOT_SECS	5
#define CTLITE_DROP_SLOTS	12	/* 60 s: the current slot and 11 before */

struct ctlite_drop_slot {
	u32 epoch;
	u32 n;
};

/* Per-CPU counters of one netns (enum ctlite_stat) */
struct ctlite_stats {
	u32 count[CTLITE_STAT_NUM];
	struct ctlite_drop_slot drop_recent[CTLITE_DROP_SLOTS];
};

/* Timeouts, in net.ctlite's order; TCP's follow enum ctlite_tcp_state's */
enum ctlite_timeout {
	CTLITE_TO_TCP_SYN_SENT,
	CTLITE_TO_TCP_SYN_RECV,
	CTLITE_TO_TCP_ESTABLISHED,
	CTLITE_TO_TCP_FIN_WAIT,
	CTLITE_TO_TCP_CLOSE_WAIT,
	CTLITE_TO_TCP_LAST_ACK,
	CTLITE_TO_TCP_TIME_WAIT,
	CTLITE_TO_TCP_CLOSE,
	CTLITE_TO_UDP,
	CTLITE_TO_UDP_STREAM,
	CTLITE_TO_ICMP,
	CTLITE_TO_GENERIC,
	CTLITE_TO_NUM
};

/* Longest timeout, seconds: deadlines are compared as signed 32-bit jiffies */
#define CTLITE_TIMEOUT_MAX	2000000U
/* adaptive_start and adaptive_end: percent of max */
#define CTLITE_ADAPTIVE_MAX	1000U

/**
 * struct ctlite_conf - one namespace's lifetimes and switches (net.ctlite)
 * @timeout: seconds, by enum ctlite_timeout, as sysctl shows them
 * @timeout_j: what packets read: the same in jiffies, bounded by the
 *	       host's (@host); ctlite_conf_set_timeout() keeps it so
 * @adaptive_from: what packets read: the count above which timeouts
 *		   shrink (@adaptive_start percent of @table's max; U32_MAX
 *		   when off); kept so by ctlite_conf_set_adaptive() and
 *		   ctlite_conf_set_max()
 * @early_drop: when full, evict an entry that is not ASSURED
 * @rst_evict: an in-window TCP RST deletes its entry at once
 * @adaptive_start: percent of max where timeouts start shrinking (0: off)
 * @adaptive_end: percent of max where they reach zero (0: off)
 * @host: the initial namespace's, whose timeouts bound these (NULL there):
 *	  a container's root may shorten its lifetimes, never lengthen them
 * @table: the table whose max @adaptive_from follows
 * @node: in timeout.c's list of every namespace's, which a write to the
 *	  host's timeouts or to max updates
 *
 * Written by sysctl through timeout.c's setters, under its lock; read
 * with READ_ONCE() by the packet path.  The packet path reads only values
 * worked out here: a host's or max's write updates them all at once.
 */
struct ctlite_conf {
	unsigned int timeout[CTLITE_TO_NUM];
	u32 timeout_j[CTLITE_TO_NUM];
	unsigned int adaptive_from;
	unsigned int early_drop;
	unsigned int rst_evict;
	unsigned int adaptive_start;
	unsigned int adaptive_end;
	const struct ctlite_conf *host;
	const struct ctlite_table *table;
	struct list_head node;
};

/**
 * struct ctlite_net - ctlite's state in one network namespace
 * @stats: per-CPU counters
 * @conf: timeouts and switches
 * @sysctl: the net.ctlite sysctl table registration
 * @tenant: its share of the table: its entries' count, limit and id
 */
struct ctlite_net {
	struct ctlite_stats __percpu *stats;
	struct ctlite_conf conf;
	struct ctl_table_header *sysctl;
	struct ctlite_tenant tenant;
};

/**
 * struct ctlite_pkt - what the lifetime logic needs of a packet
 * @src_is_1: the packet comes from the key's endpoint 1
 * @tcp_flags: TCP: the flag byte (TCPHDR_*)
 * @wscale: TCP SYN: its window scale option (at most CTLITE_WSCALE_MAX), or
 *	    CTLITE_WSCALE_NONE
 * @win: TCP: the window field, unscaled
 * @seq: TCP: sequence number
 * @ack: TCP: acknowledgment number
 * @len: TCP: payload bytes
 */
struct ctlite_pkt {
	bool src_is_1;
	u8 tcp_flags;
	u8 wscale;
	u16 win;
	u32 seq;
	u32 ack;
	u32 len;
};

/* What a packet is to its flow, as a firewall rule sees it */
enum ctlite_ctstate {
	CTLITE_CT_INVALID,	/* does not fit its flow, or malformed */
	CTLITE_CT_NEW,		/* a flow's first packet, or more before an answer */
	CTLITE_CT_ESTABLISHED,	/* a flow that has been answered, either way */
	CTLITE_CT_RELATED,	/* an ICMP error about a tracked flow */
	CTLITE_CT_UNTRACKED,	/* exempted (notrack) or not a flow (ND, MLD) */
};

/**
 * struct ctlite_res - what tracking made of one packet
 * @state: enum ctlite_ctstate
 * @reply: the packet travels in its flow's reply direction
 * @confirm: the first packet of a flow without an entry: the entry is
 *	     made when the packet leaves the host's filter (confirmation)
 * @flags: the flow's CTLITE_F_* after the packet (0 without an entry)
 */
struct ctlite_res {
	u8 state;
	bool reply;
	bool confirm;
	u8 flags;
};

/* A packet without a flow: @state is INVALID or UNTRACKED, or NEW unmade */
static inline void ctlite_res_none(struct ctlite_res *res, u8 state)
{
	res->state = state;
	res->reply = false;
	res->confirm = false;
	res->flags = 0;
}

extern unsigned int ctlite_net_gen_id;

/**
 * ctlite_pernet() - ctlite's state in a network namespace
 * @net: the namespace
 *
 * Inline: every hook of every packet starts here.
 *
 * Return: the state; valid from the namespace's set-up to its tear-down.
 */
static inline struct ctlite_net *ctlite_pernet(const struct net *net)
{
	return net_generic(net, ctlite_net_gen_id);
}

int ctlite_resize_live(unsigned int size);

/* The namespace's id in keys: its tenant's, not its inode number */
static inline u32 ctlite_net_id(const struct ctlite_net *cn)
{
	return cn->tenant.id;
}

static __always_inline void ctlite_stat_add(struct ctlite_net *cn,
					    enum ctlite_stat s, u32 n)
{
	this_cpu_add(cn->stats->count[s], n);
}

/* defrag.c */
unsigned int ctlite_defrag(struct sk_buff *skb, u8 family,
			   const struct nf_hook_state *state);

/* drops.c */
void ctlite_drop_count(struct ctlite_net *cn, enum ctlite_stat why);
u64 ctlite_drops_recent(struct ctlite_net *cn);
void ctlite_drop_new_flow(struct ctlite_table *table, struct ctlite_net *cn,
			  u32 hash, long err);

/* tuple.c */
enum ctlite_parse {
	CTLITE_PARSE_OK,
	CTLITE_PARSE_INVALID,	/* malformed: truncated, bad lengths */
	CTLITE_PARSE_IGNORE,	/* well formed, but not a flow of its own */
	CTLITE_PARSE_FRAGMENT,	/* a fragment: reassemble it first */
};

enum ctlite_parse ctlite_parse_skb(const struct sk_buff *skb, u8 family,
				   u32 net_id, struct ctlite_key *key,
				   struct ctlite_pkt *pkt);

/* What a packet that is not a flow's own is instead */
enum ctlite_other {
	CTLITE_OTHER_NONE,	/* nothing: a fragment, an unknown ICMP type */
	CTLITE_OTHER_ERROR,	/* an ICMP error: the key is its quoted flow's */
	CTLITE_OTHER_NOCT,	/* neighbour discovery or MLD: never tracked */
};

enum ctlite_other ctlite_parse_other(const struct sk_buff *skb, u8 family,
				     u32 net_id, struct ctlite_key *key,
				     struct ctlite_pkt *pkt);

/* timeout.c */
void ctlite_conf_init(struct ctlite_conf *conf, const struct ctlite_table *table,
		      const struct ctlite_conf *host);
void ctlite_conf_exit(struct ctlite_conf *conf);
void ctlite_conf_set_timeout(struct ctlite_conf *conf, enum ctlite_timeout i,
			     unsigned int secs);
int ctlite_conf_set_adaptive(struct ctlite_conf *conf, bool end, unsigned int v);
void ctlite_conf_set_max(struct ctlite_table *table, unsigned int max);
u32 ctlite_adaptive_scale(u32 timeout, unsigned int count, unsigned int max,
			  unsigned int start, unsigned int end);

/* track.c */
unsigned int ctlite_track(struct ctlite_table *table, struct ctlite_net *cn,
			  const struct ctlite_key *key,
			  const struct ctlite_pkt *pkt, u32 now);
u32 ctlite_track_pkt(struct ctlite_table *table, struct ctlite_net *cn,
		     const struct ctlite_key *key, const struct ctlite_pkt *pkt,
		     u32 now, struct ctlite_res *res);
unsigned int ctlite_confirm(struct ctlite_table *table, struct ctlite_net *cn,
			    const struct ctlite_key *key,
			    const struct ctlite_pkt *pkt, u32 now);
unsigned int ctlite_confirm_hashed(struct ctlite_table *table,
				   struct ctlite_net *cn,
				   const struct ctlite_key *key, u32 hash,
				   const struct ctlite_pkt *pkt, u32 now);
void ctlite_classify(struct ctlite_table *table, const struct ctlite_key *key,
		     const struct ctlite_pkt *pkt, u32 now, struct ctlite_res *res);
void ctlite_related(struct ctlite_table *table, const struct ctlite_key *key,
		    const struct ctlite_pkt *pkt, u32 now, struct ctlite_res *res);
const char *ctlite_tcp_state_name(u8 state);

/* gc.c: a run's budget, in entries seen and in time */
#define CTLITE_GC_RUN_ENTRIES	8192
#define CTLITE_GC_RUN_NS	(2 * NSEC_PER_MSEC)	/* nf_conntrack: 10 ms */

extern u32 ctlite_gc_due;

void ctlite_gc_start(void);
void ctlite_gc_stop(void);
void ctlite_gc_hurry(u32 deadline);

/**
 * ctlite_gc_note() - tell the GC of a deadline just set
 * @deadline: the entry's new deadline, 32-bit jiffies
 *
 * The GC's next pass is due at ctlite_gc_due; a deadline before it brings
 * the pass forward.  Most deadlines come after it: one read of a word
 * the GC alone writes but for such deadlines, a few times a pass.
 */
static __always_inline void ctlite_gc_note(u32 deadline)
{
	if (unlikely((s32)(deadline - READ_ONCE(ctlite_gc_due)) < 0))
		ctlite_gc_hurry(deadline);
}

/* hooks.c */
int ctlite_hooks_register(struct net *net);
void ctlite_hooks_unregister(struct net *net);

/* match.c */
int ctlite_match_init(void);
void ctlite_match_exit(void);

/* netlink.c */
int ctlite_netlink_init(void);
void ctlite_netlink_exit(void);

/* procfs.c */
int ctlite_proc_init(struct net *net);
void ctlite_proc_exit(struct net *net);

/* sysctl.c */
int ctlite_sysctl_init(struct net *net);
void ctlite_sysctl_exit(struct net *net);

#endif /* _CTLITE_CTLITE_H */
