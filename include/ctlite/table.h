/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctlite's connection table: the entry every tracked flow costs, the key
 * that finds it, how the table is sized, and the few operations other files
 * call.  One table serves every network namespace; the netns is part of the
 * key.
 */
#ifndef _CTLITE_TABLE_H
#define _CTLITE_TABLE_H

#include <linux/cache.h>
#include <linux/in6.h>
#include <linux/list_nulls.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/seqlock.h>
#include <linux/siphash.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/ipv6.h>

/*
 * A flow's identity in canonical (direction-free) order: endpoint 0 is the
 * lower (address, port) pair, so both directions of a flow give the same
 * key.  ICMP echo uses the echo id as both ports; other protocols use 0.
 * An IPv6 key is hashed from @net_id up to the end of its addresses, so
 * padding must be zero: build keys with ctlite_key_init() (or, writing
 * both addresses, ctlite_key_start()).  An IPv4 key is read up to its
 * second address only.
 */
struct ctlite_key {
	u32 net_id;			/* the netns's struct ctlite_tenant @id */
	u8 family;			/* AF_INET or AF_INET6 */
	u8 proto;			/* IPPROTO_* */
	u16 zero;
	__be16 port[2];
	union {
		__be32 ip[2];
		struct in6_addr ip6[2];
	} addr;
};

/**
 * struct ctlite_tcp_win - what a TCP entry knows of each endpoint's window
 * @end: highest sequence number endpoint i has sent, plus its length and
 *	 SYN/FIN (nf_conntrack's td_end)
 * @maxend: highest sequence number endpoint i may send: the other side's
 *	    acknowledgment plus its window (td_maxend)
 * @acked: highest acknowledgment of endpoint i's data the other side has
 *	   sent: where it expects i's next byte (the other side's td_maxack)
 *
 * Valid for endpoint i once CTLITE_F_SEQ(i) is set.  nf_conntrack's
 * tcp_in_window() keeps the same per direction, plus the largest window
 * each side advertised (td_maxwin), which ctlite reads off these as the
 * window granted now, @maxend[i] - @acked[i]: 24 bytes for both sides,
 * where nf_conntrack's struct ip_ct_tcp takes 60.
 */
struct ctlite_tcp_win {
	u32 end[2];
	u32 maxend[2];
	u32 acked[2];
};

/*
 * One tracked flow, both directions.  Memory per flow is the product, so
 * the layout is counted in bytes: an IPv4 entry is exactly one 64-byte
 * cache line; an IPv6 entry is the same head with 32 bytes of addresses.
 * Each family has its own cache sized to offsetof(addr) + its addresses,
 * which is why @addr must stay last.  The key fields are the key's, spread
 * around the state to use every byte; the family is a flag.
 *
 * There is no rcu_head: an unlinked entry waits for its grace period on a
 * per-CPU free list linked through @dead, which overlays @node's pprev,
 * the half of the chain node lockless readers never follow (they may
 * still follow @node.next).  CTLITE_F_DEAD marks it unlinked.
 *
 * The key fields never change once the entry is hashed.  @state, @flags,
 * @wscale and @tcp change under the entry's bucket lock.  @deadline of a
 * UDP, ICMP or other flow is refreshed by any packet without a lock: a
 * racing refresh writes an equally good value.
 */
struct ctlite_entry {
	union {
		struct hlist_nulls_node node;	/* bucket chain, walked under RCU */
		struct {
			void *chain_next;	/* node.next, left to readers */
			struct llist_node dead;	/* free list, once unlinked */
		};
	};
	u32 net_id;			/* key */
	u8 wscale;			/* TCP: window scale, a nibble each */
	u8 proto;			/* key */
	u8 state;			/* protocol state */
	u8 flags;			/* CTLITE_F_*; the key's family */
	__be16 port[2];			/* key */
	u32 deadline;			/* expiry in jiffies (32-bit) */
	union {
		struct ctlite_tcp_win tcp;	/* TCP */
		u32 born;		/* UDP: jiffies of the first packet */
	};
	union {
		__be32 ip[2];
		struct in6_addr ip6[2];
	} addr;				/* key; must be last */
};

/* @flags */
enum {
	CTLITE_F_OPENER1 = 1 << 0,	/* endpoint 1 sent the first packet */
	CTLITE_F_REPLIED = 1 << 1,	/* the other endpoint has answered */
	CTLITE_F_ASSURED = 1 << 2,	/* early drop spares it (TCP: handshake) */
	CTLITE_F_SEQ0 = 1 << 3,		/* TCP: endpoint 0's window is known */
	CTLITE_F_SEQ1 = 1 << 4,		/* TCP: endpoint 1's window is known */
	CTLITE_F_LIBERAL = 1 << 5,	/* TCP: picked up mid-stream: no window check */
	CTLITE_F_IPV6 = 1 << 6,		/* key: AF_INET6 (else AF_INET) */
	CTLITE_F_DEAD = 1 << 7,		/* unlinked, waiting to be freed */
};

#define CTLITE_F_SEQ(i)		(CTLITE_F_SEQ0 << (i))

/* @wscale: endpoint i's window scale is nibble i; this one when it sent none */
#define CTLITE_WSCALE_NONE	0xf
#define CTLITE_WSCALE_MAX	14	/* RFC 7323 */

/**
 * ctlite_entry_family() - the address family of an entry
 * @e: the entry
 *
 * Return: AF_INET or AF_INET6.
 */
static inline u8 ctlite_entry_family(const struct ctlite_entry *e)
{
	return e->flags & CTLITE_F_IPV6 ? AF_INET6 : AF_INET;
}

/**
 * ctlite_entry_expired() - whether an entry's deadline has come
 * @e: the entry
 * @now: the time, in jiffies (32-bit)
 *
 * An entry lives while @now is before its deadline and is dead from the
 * deadline on, as nf_conntrack's nf_ct_is_expired().
 *
 * Return: true when expired.
 */
static inline bool ctlite_entry_expired(const struct ctlite_entry *e, u32 now)
{
	return (s32)(READ_ONCE(e->deadline) - now) <= 0;
}

/* Bytes an entry of each family needs: the head, then its two addresses */
#define CTLITE_ENTRY4_SIZE	(offsetof(struct ctlite_entry, addr) + \
				 2 * sizeof(__be32))
#define CTLITE_ENTRY6_SIZE	(offsetof(struct ctlite_entry, addr) + \
				 2 * sizeof(struct in6_addr))

/* Largest IPv4 entry we accept: one cache line on x86-64 */
#define CTLITE_ENTRY4_BUDGET	64

/* Accepted ranges of the module parameters (inclusive) */
#define CTLITE_HASHSIZE_MIN	16U
#define CTLITE_HASHSIZE_MAX	16777216U	/* 2^24 */
#define CTLITE_MAX_MIN		1U
#define CTLITE_MAX_MAX		1073741824U	/* 2^30 */

/*
 * A table that may grow does so once it holds more than this many entries
 * per bucket, to the power of two of buckets at or above its entries
 */
#define CTLITE_GROW_LOAD	2

/*
 * Longest chain an insert adds to, as nf_conntrack's MAX_CHAINLEN: a table
 * sized by hand far below its entries, or a hash flood, costs a dropped
 * new flow rather than every lookup of that chain
 */
#define CTLITE_CHAIN_MAX	64

/* Bucket locks, striped: a power of two, bucket i uses lock i % this */
#define CTLITE_LOCKS		1024

/* Default percent of max that any one namespace but the initial may hold */
#define CTLITE_NETNS_SHARE	50

/**
 * struct ctlite_tenant - one network namespace's share of the table
 * @count: its entries now hashed
 * @id: its number in keys (struct ctlite_key's @net_id), given by
 *	ctlite_table_tenant_add(): small, never 0, reused once it is gone
 * @inum: its net->ns.inum, the number `lsns` and /proc/PID/ns/net show
 * @capped: it may hold only @share percent of max (struct ctlite_table);
 *	    the initial namespace is bounded by max alone
 * @leaving: its namespace is going: the next flush deletes its entries
 * @net: the namespace, where its entries' events go (NULL: KUnit's)
 */
struct ctlite_tenant {
	atomic_t count;
	u32 id;
	u32 inum;
	bool capped;
	bool leaving;
	struct net *net;
};

/* The bucket arrays are the table's own (src/table_impl.h) */
struct ctlite_buckets;

/**
 * struct ctlite_table - the hash table
 * @b: the bucket array, replaced by ctlite_table_resize(); read under RCU,
 *     or with @resize_lock held.  While a resize runs, @b->next is where
 *     it moves the entries to.
 * @max: most entries; written by sysctl, read with READ_ONCE()
 * @count: entries now hashed, all netns together
 * @share: percent of @max any capped tenant may hold; written by sysctl
 * @tenants: the namespaces' shares by @id (struct ctlite_tenant); entries
 *	     of an id not in it (KUnit's) count against @max only
 * @key: siphash key of IPv6 keys, random per table (a resize keeps it)
 * @hkey: hsiphash key of IPv4 keys, likewise
 * @fill_warned: bit i set once the fill warning of level i was logged, until
 *		 count falls back below that level's re-arm point
 * @moving: odd while a resize moves a bucket's entries; a lookup that
 *	    missed during the move looks again
 * @resize_lock: serializes resizes with whole-table walks (GC, flushes)
 * @auto_grow: the table adds buckets on its own when chains grow
 *	       long (ctlite_table_grow()); false once a size was chosen by
 *	       hand.  Changed under @resize_lock, read anywhere with READ_ONCE()
 * @grow_after: jiffies before which no growth is tried (after one failed)
 * @grow_work: runs ctlite_table_grow() outside the packet path
 * @dead: per CPU, entries unlinked since @free_work last ran, linked
 *	  through their @dead
 * @free_work: frees what @dead holds once a grace period has passed
 * @locks: bucket locks; lock i guards every chain j with j % CTLITE_LOCKS == i
 *	   of @b, and of @b->next during a resize
 */
struct ctlite_table {
	struct ctlite_buckets __rcu *b;
	unsigned int max;
	unsigned int share;
	struct xarray tenants;
	siphash_key_t key;
	hsiphash_key_t hkey;
	unsigned long fill_warned;
	seqcount_mutex_t moving;
	struct mutex resize_lock;	/* see @resize_lock above */
	bool auto_grow;
	unsigned long grow_after;
	struct work_struct grow_work;
	struct llist_head __percpu *dead;
	struct work_struct free_work;
	/* every new and every freed entry writes it: off what lookups read */
	atomic_t count ____cacheline_aligned_in_smp;
	spinlock_t locks[CTLITE_LOCKS] ____cacheline_aligned_in_smp;	/* see @locks above */
};

/**
 * struct ctlite_locked - a flow's bucket, locked by ctlite_table_lock()
 * @b: the bucket array the bucket is in; stays current while locked
 * @bucket: index in @b
 * @lock: the bucket's lock, held
 */
struct ctlite_locked {
	struct ctlite_buckets *b;
	unsigned int bucket;
	spinlock_t *lock;	/* the bucket's lock, held */
};

/**
 * struct ctlite_resize - what ctlite_table_resize() did
 * @old_size: buckets before
 * @moved: entries rehashed
 * @pause_ns: the longest a bucket was held while its entries moved: what
 *	      a new flow (or a lookup that missed) waited at most
 */
struct ctlite_resize {
	unsigned int old_size;
	unsigned int moved;
	u64 pause_ns;
};

/**
 * struct ctlite_insert - what ctlite_table_insert() needs and tells
 * @state: protocol state of a new entry
 * @flags: CTLITE_F_* of a new entry (the family's is set from the key)
 * @wscale: TCP: window scales of a new entry
 * @deadline: expiry (jiffies) of a new entry
 * @tcp: TCP: windows of a new entry
 * @born: UDP: the first packet's time
 * @now: the time; expired entries met on the way are reaped
 * @tenant: the key's namespace's share, when the caller has it at hand
 *	    (spares a lookup by the key's net_id); NULL: looked up
 * @have_slot: in: the caller owns a count slot from ctlite_table_evict();
 *	       out: false (the slot was used or given back)
 * @created: out: a new entry was made
 * @reaped: out: expired entries deleted on the way
 * @searched: out: entries compared
 */
struct ctlite_insert {
	u8 state;
	u8 flags;
	u8 wscale;
	u32 deadline;
	union {
		struct ctlite_tcp_win tcp;
		u32 born;
	};
	u32 now;
	struct ctlite_tenant *tenant;
	bool have_slot;
	bool created;
	unsigned int reaped;
	unsigned int searched;
};

/**
 * struct ctlite_source - an address that opened entries, and how many
 * @family: AF_INET or AF_INET6
 * @addr: the address
 * @entries: entries it opened among those sampled
 */
struct ctlite_source {
	u8 family;
	union {
		__be32 ip;
		struct in6_addr ip6;
	} addr;
	unsigned int entries;
};

/* Most sources ctlite_table_top_sources() tallies, and how many it returns */
#define CTLITE_SOURCES_TALLIED	16
#define CTLITE_TOP_SOURCES	3

/* What ctlite_table_evict() took to make room */
enum ctlite_evict {
	CTLITE_EVICT_NONE,	/* nothing could go */
	CTLITE_EVICT_EXPIRED,	/* an entry past its deadline */
	CTLITE_EVICT_UNASSURED,	/* a live entry that was not ASSURED */
};

/**
 * struct ctlite_gc_run - one slice of a garbage collection pass
 * @next_bucket: in: where to start; out: where the next run starts
 * @now: the time expiry is judged against
 * @budget_entries: stop after the bucket where this many were examined
 * @budget_ns: stop after the bucket where this much time has gone
 * @scanned: out: entries examined
 * @expired: out: entries freed
 * @buckets: out: buckets visited
 * @soonest: out: fewest jiffies until a live entry seen expires (U32_MAX: none)
 * @pass_done: out: the run reached the last bucket (@next_bucket is 0)
 */
struct ctlite_gc_run {
	unsigned int next_bucket;
	u32 now;
	unsigned int budget_entries;
	u64 budget_ns;
	unsigned int scanned;
	unsigned int expired;
	unsigned int buckets;
	u32 soonest;
	bool pass_done;
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

u64 ctlite_max_fitting(unsigned long ram_pages);
int ctlite_size_table(struct ctlite_size *size, bool hashsize_given,
		      bool max_given, unsigned long ram_pages);
unsigned int ctlite_entry_size(int family);

int ctlite_cache_init(void);
void ctlite_cache_exit(void);
struct ctlite_entry *ctlite_entry_alloc(int family, gfp_t gfp);
void ctlite_entry_free(struct ctlite_entry *entry);
/* for the tests: a count kept only in a kernel with KUnit */
long ctlite_entries_allocated(void);

/**
 * ctlite_key_start() - start a key whose addresses the caller writes
 * @key: the key
 * @net_id: owning network namespace (net->ns.inum)
 * @family: AF_INET or AF_INET6
 * @proto: IPPROTO_*
 *
 * ctlite_key_init() without clearing the addresses, for the parser, which
 * writes both of them.  An IPv4 key's bytes after its two addresses are
 * left as they were: nothing reads them (the hash, the match against an
 * entry, the insert's copy and the canonical order read an IPv4 key's
 * @addr.ip[0] and [1] only), and clearing them cost every IPv4 packet
 * six instructions.
 */
static __always_inline void ctlite_key_start(struct ctlite_key *key,
					     u32 net_id, u8 family, u8 proto)
{
	key->net_id = net_id;
	key->family = family;
	key->proto = proto;
	key->zero = 0;
	key->port[0] = 0;
	key->port[1] = 0;
}

/**
 * ctlite_key_init() - start a key: zero it and set what is not an endpoint
 * @key: the key
 * @net_id: owning network namespace (net->ns.inum)
 * @family: AF_INET or AF_INET6
 * @proto: IPPROTO_*
 *
 * The caller then fills the addresses and ports in packet order (source as
 * endpoint 0) and calls ctlite_key_canonicalize().  Inline, and field by
 * field: the compiler clears a whole struct (or a memset() of its
 * addresses) with a string instruction, where these stores are fewer:
 * those the caller overwrites are dropped.
 */
static __always_inline void ctlite_key_init(struct ctlite_key *key, u32 net_id,
					    u8 family, u8 proto)
{
	ctlite_key_start(key, net_id, family, proto);
	key->addr.ip6[0].s6_addr32[0] = 0;
	key->addr.ip6[0].s6_addr32[1] = 0;
	key->addr.ip6[0].s6_addr32[2] = 0;
	key->addr.ip6[0].s6_addr32[3] = 0;
	key->addr.ip6[1].s6_addr32[0] = 0;
	key->addr.ip6[1].s6_addr32[1] = 0;
	key->addr.ip6[1].s6_addr32[2] = 0;
	key->addr.ip6[1].s6_addr32[3] = 0;
}

/**
 * ctlite_key_canonicalize() - put a key's endpoints in canonical order
 * @key: key with the packet's source as endpoint 0
 *
 * The lower (address, port) pair is endpoint 0; addresses compare as
 * numbers in network order (memcmp's order, without its byte loop).
 * Inline: every packet's key goes through it.
 *
 * Return: true if the endpoints were swapped, i.e. the packet's source is
 * endpoint 1 of the flow.
 */
static __always_inline bool ctlite_key_canonicalize(struct ctlite_key *key)
{
	int cmp;

	if (key->family == AF_INET6) {
		cmp = ipv6_addr_cmp(&key->addr.ip6[0], &key->addr.ip6[1]);
	} else {
		u32 a0 = ntohl(key->addr.ip[0]), a1 = ntohl(key->addr.ip[1]);

		cmp = a0 < a1 ? -1 : a0 > a1;
	}
	if (cmp < 0 || (!cmp && ntohs(key->port[0]) <= ntohs(key->port[1])))
		return false;
	if (key->family == AF_INET6)
		swap(key->addr.ip6[0], key->addr.ip6[1]);
	else
		swap(key->addr.ip[0], key->addr.ip[1]);
	swap(key->port[0], key->port[1]);
	return true;
}

/*
 * The IPv4 hash of ctlite_table_hash() (see there), from the key's fields,
 * wherever they are kept: a key, or an entry (ctlite_entry_hash())
 */
static __always_inline u32 ctlite_hash4(const struct ctlite_table *table,
					u32 net_id, u8 proto, __be16 port0,
					__be16 port1, __be32 addr0, __be32 addr1)
{
	u32 ports = (u32)(__force u16)port1 << 16 | (__force u16)port0;

	return hsiphash_4u32(net_id, ports ^ proto, (__force u32)addr0,
			     (__force u32)addr1, &table->hkey);
}

/**
 * ctlite_table_hash() - keyed hash of a flow key
 * @table: whose keys to use
 * @key: canonical key
 *
 * IPv4, the common case, takes hsiphash over four fixed words, the cheap
 * keyed hash meant for hash tables (as inet's ephemeral ports and
 * WireGuard's ratelimiter use it): namespace, ports, both addresses.  The
 * protocol is folded into the ports word: a bijection within a protocol,
 * so for one input an attacker can make at most one key per protocol
 * collide, and only those few that have ports (TCP, UDP, UDP-Lite, ICMP's
 * echo id) are free; the rest have ports 0.  IPv6 keys, 44 bytes, take
 * siphash over the key up to their addresses.  Inline: every packet is
 * hashed, and a call of its own saved and restored registers each time.
 *
 * Return: 32 bits of the hash.
 */
static __always_inline u32 ctlite_table_hash(const struct ctlite_table *table,
					     const struct ctlite_key *key)
{
	if (key->family != AF_INET6)
		return ctlite_hash4(table, key->net_id, key->proto, key->port[0],
				    key->port[1], key->addr.ip[0],
				    key->addr.ip[1]);
	return (u32)siphash(key, offsetof(struct ctlite_key, addr) +
			    sizeof(key->addr.ip6), &table->key);
}

void ctlite_entry_key(const struct ctlite_entry *entry, struct ctlite_key *key);
u32 ctlite_entry_hash6(const struct ctlite_table *table,
		       const struct ctlite_entry *entry);

/**
 * ctlite_entry_hash() - the hash an entry is filed under
 * @table: its table
 * @entry: the entry
 *
 * ctlite_table_hash() of its key.  An IPv4 entry is hashed from its own
 * fields, with no key built first, and inline: a growth hashes every
 * entry it moves, and a call of its own cost 18 instructions a move.
 *
 * Return: 32 bits of the hash.
 */
static __always_inline u32 ctlite_entry_hash(const struct ctlite_table *table,
					     const struct ctlite_entry *entry)
{
	if (entry->flags & CTLITE_F_IPV6)
		return ctlite_entry_hash6(table, entry);
	return ctlite_hash4(table, entry->net_id, entry->proto,
			    entry->port[0], entry->port[1],
			    entry->addr.ip[0], entry->addr.ip[1]);
}

struct ctlite_table *ctlite_table_create(unsigned int size, unsigned int max);
unsigned int ctlite_table_destroy(struct ctlite_table *table);
unsigned int ctlite_table_size(struct ctlite_table *table);
unsigned int ctlite_table_bucket(struct ctlite_table *table, u32 hash);
struct ctlite_entry *ctlite_table_lookup(struct ctlite_table *table,
					 const struct ctlite_key *key, u32 hash,
					 unsigned int *searched);
struct ctlite_entry *ctlite_table_insert(struct ctlite_table *table,
					 const struct ctlite_key *key, u32 hash,
					 struct ctlite_insert *ins);
bool ctlite_table_delete(struct ctlite_table *table,
			 struct ctlite_entry *entry, u8 reason);
void ctlite_table_unlink(struct ctlite_table *table,
			 const struct ctlite_locked *l,
			 struct ctlite_entry *entry, u8 reason);
void ctlite_table_assured(struct ctlite_table *table,
			  const struct ctlite_locked *l,
			  const struct ctlite_entry *entry);
enum ctlite_evict ctlite_table_evict(struct ctlite_table *table, u32 hash,
				     u32 net_id, u32 now,
				     unsigned int *searched);
void ctlite_table_gc(struct ctlite_table *table, struct ctlite_gc_run *run);
unsigned int ctlite_table_top_sources(struct ctlite_table *table, u32 hash,
				      struct ctlite_source *top,
				      unsigned int *sampled,
				      unsigned int *sources);
struct hlist_nulls_head *ctlite_buckets_chain(struct ctlite_buckets *b,
					      unsigned int bucket);
unsigned int ctlite_table_flush_net(struct ctlite_table *table, u32 net_id);
unsigned int ctlite_table_delete_net(struct ctlite_table *table, u32 net_id,
				     bool (*pass)(const struct ctlite_entry *e,
						  const void *arg),
				     const void *arg);
int ctlite_table_tenant_add(struct ctlite_table *table,
			    struct ctlite_tenant *tenant, u32 inum, bool capped);
void ctlite_table_tenant_leave(struct ctlite_table *table,
			       struct ctlite_tenant *tenant);
unsigned int ctlite_table_tenants_flush(struct ctlite_table *table);
unsigned int ctlite_table_tenant_del(struct ctlite_table *table,
				     struct ctlite_tenant *tenant);
unsigned int ctlite_table_tenant_limit(const struct ctlite_table *table,
				       const struct ctlite_tenant *tenant);
unsigned int ctlite_table_count_net(struct ctlite_table *table, u32 net_id);
void ctlite_table_lock(struct ctlite_table *table, u32 hash,
		       struct ctlite_locked *l);
void ctlite_table_unlock(struct ctlite_locked *l);
int ctlite_table_resize(struct ctlite_table *table, unsigned int size,
			struct ctlite_resize *done);
void ctlite_table_set_auto_grow(struct ctlite_table *table, bool on);
int ctlite_table_grow(struct ctlite_table *table, struct ctlite_resize *done);

#endif /* _CTLITE_TABLE_H */
