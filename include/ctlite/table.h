/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctlite's connection table: the entry every tracked flow costs, the key
 * that finds it, how the table is sized, and the few operations other files
 * call.  One table serves every network namespace; the netns is part of the
 * key.
 */
#ifndef _CTLITE_TABLE_H
#define _CTLITE_TABLE_H

#include <linux/in6.h>
#include <linux/list_nulls.h>
#include <linux/rcupdate.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/*
 * A flow's identity in canonical (direction-free) order: endpoint 0 is the
 * lower (address, port) pair, so both directions of a flow give the same
 * key.  ICMP echo uses the echo id as both ports; other protocols use 0.
 * Hashed from @net_id up to the end of the family's addresses, so padding
 * must be zero: build keys with ctlite_key_init().
 */
struct ctlite_key {
	u32 net_id;			/* net->ns.inum */
	u8 family;			/* AF_INET or AF_INET6 */
	u8 proto;			/* IPPROTO_* */
	u16 zero;
	__be16 port[2];
	union {
		__be32 ip[2];
		struct in6_addr ip6[2];
	} addr;
};

/*
 * One tracked flow, both directions.  Memory per flow is the product, so
 * the layout is counted in bytes: an IPv4 entry is exactly one 64-byte
 * cache line; an IPv6 entry is the same head with 32 bytes of addresses.
 * Each family has its own cache sized to offsetof(addr) + its addresses,
 * which is why @addr must stay last.  The key fields are the key's, spread
 * around the state to use every byte.
 *
 * The key fields never change once the entry is hashed.  @state and @flags
 * change under the entry's bucket lock; @deadline is refreshed by any
 * packet without a lock (a racing refresh writes an equally good value).
 */
struct ctlite_entry {
	struct hlist_nulls_node node;	/* bucket chain, walked under RCU */
	struct rcu_head rcu;		/* free after readers are done */
	u32 net_id;			/* key */
	u8 family;			/* key */
	u8 proto;			/* key */
	u8 state;			/* protocol state */
	u8 flags;			/* CTLITE_F_* */
	__be16 port[2];			/* key */
	u32 deadline;			/* expiry in jiffies (32-bit) */
	u32 last_ack[2];		/* per endpoint, for RST checks */
	union {
		__be32 ip[2];
		struct in6_addr ip6[2];
	} addr;				/* key; must be last */
};

/* @flags */
enum {
	CTLITE_F_OPENER1 = 1 << 0,	/* endpoint 1 sent the first packet */
	CTLITE_F_REPLIED = 1 << 1,	/* the other endpoint has answered */
	CTLITE_F_ASSURED = 1 << 2,	/* seen both ways (TCP: handshake) */
};

/* Largest IPv4 entry we accept: one cache line on x86-64 */
#define CTLITE_ENTRY4_BUDGET	64

/* Accepted ranges of the module parameters (inclusive) */
#define CTLITE_HASHSIZE_MIN	16U
#define CTLITE_HASHSIZE_MAX	16777216U	/* 2^24 */
#define CTLITE_MAX_MIN		1U
#define CTLITE_MAX_MAX		1073741824U	/* 2^30 */

/* Bucket locks, striped: a power of two, bucket i uses lock i % this */
#define CTLITE_LOCKS		1024

/**
 * struct ctlite_table - the hash table
 * @buckets: @size chains; the nulls value ending chain i is i
 * @size: number of buckets
 * @max: most entries; written by sysctl, read with READ_ONCE()
 * @count: entries now hashed, all netns together
 * @key: siphash key, random per table
 * @locks: bucket locks; lock i guards every chain j with j % CTLITE_LOCKS == i
 */
struct ctlite_table {
	struct hlist_nulls_head *buckets;
	unsigned int size;
	unsigned int max;
	atomic_t count;
	siphash_key_t key;
	spinlock_t locks[CTLITE_LOCKS];	/* see @locks above */
};

/**
 * struct ctlite_size - the table's dimensions as asked and as decided
 * @hashsize: buckets (read only when given)
 * @max: entry limit (read only when given)
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
long ctlite_entries_allocated(void);

void ctlite_key_init(struct ctlite_key *key, u32 net_id, u8 family, u8 proto);
bool ctlite_key_canonicalize(struct ctlite_key *key);
void ctlite_entry_key(const struct ctlite_entry *entry, struct ctlite_key *key);

struct ctlite_table *ctlite_table_create(unsigned int size, unsigned int max);
unsigned int ctlite_table_destroy(struct ctlite_table *table);
u32 ctlite_table_hash(const struct ctlite_table *table,
		      const struct ctlite_key *key);
unsigned int ctlite_table_bucket(const struct ctlite_table *table, u32 hash);
struct ctlite_entry *ctlite_table_lookup(struct ctlite_table *table,
					 const struct ctlite_key *key, u32 hash,
					 unsigned int *searched);
struct ctlite_entry *ctlite_table_insert(struct ctlite_table *table,
					 const struct ctlite_key *key, u32 hash,
					 u8 flags, u32 deadline, bool *created);
void ctlite_table_delete(struct ctlite_table *table,
			 struct ctlite_entry *entry);
unsigned int ctlite_table_flush_net(struct ctlite_table *table, u32 net_id);
unsigned int ctlite_table_count_net(struct ctlite_table *table, u32 net_id);
spinlock_t *ctlite_table_lock(struct ctlite_table *table, u32 hash);

#endif /* _CTLITE_TABLE_H */
