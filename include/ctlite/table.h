/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctlite's connection table: the entry every tracked flow costs, how the
 * table is sized from module parameters, and the slab caches entries come
 * from.  Only what other files call is declared here.
 */
#ifndef _CTLITE_TABLE_H
#define _CTLITE_TABLE_H

#include <linux/in6.h>
#include <linux/list_nulls.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

/*
 * One tracked flow, both directions.  Memory per flow is the product, so
 * the layout is counted in bytes: an IPv4 entry is exactly one 64-byte
 * cache line; an IPv6 entry is the same head with 32 bytes of addresses.
 * Each family has its own cache sized to offsetof(addr) + its addresses,
 * which is why @addr must stay last.
 */
struct ctlite_entry {
	struct hlist_nulls_node node;	/* bucket chain, walked under RCU */
	struct rcu_head rcu;		/* free after readers are done */
	u32 net_id;			/* owning netns: net->ns.inum */
	u32 deadline;			/* expiry in jiffies (32-bit) */
	u8 family;			/* AF_INET or AF_INET6 */
	u8 proto;			/* IPPROTO_* */
	u8 state;			/* protocol state */
	u8 flags;			/* CTLITE_F_* */
	__be16 port[2];			/* canonical order; ICMP echo id */
	u32 last_ack[2];		/* per direction, for RST checks */
	union {
		__be32 ip[2];
		struct in6_addr ip6[2];
	} addr;				/* canonical order; must be last */
};

/* Largest IPv4 entry we accept: one cache line on x86-64 */
#define CTLITE_ENTRY4_BUDGET	64

/* Accepted ranges of the module parameters (inclusive) */
#define CTLITE_HASHSIZE_MIN	16U
#define CTLITE_HASHSIZE_MAX	16777216U	/* 2^24 */
#define CTLITE_MAX_MIN		1U
#define CTLITE_MAX_MAX		1073741824U	/* 2^30 */

/**
 * struct ctlite_size - the table's dimensions as asked and as decided
 * @hashsize: buckets; 0 on input means "derive from RAM"
 * @max: entry limit; 0 on input means "derive from @hashsize"
 */
struct ctlite_size {
	unsigned int hashsize;
	unsigned int max;
};

int ctlite_size_table(struct ctlite_size *size, bool hashsize_given,
		      bool max_given, unsigned long ram_pages);
unsigned int ctlite_entry_size(int family);

int ctlite_cache_init(void);
void ctlite_cache_exit(void);
struct ctlite_entry *ctlite_entry_alloc(int family, gfp_t gfp);
void ctlite_entry_free(struct ctlite_entry *entry);

#endif /* _CTLITE_TABLE_H */
