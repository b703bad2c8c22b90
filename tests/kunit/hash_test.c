// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for ctlite's keys and hash table: canonical keys, the keyed
 * hash and its spread over buckets, and insert/lookup/delete on private
 * tables (never the live one).
 */
#include <kunit/test.h>
#include <linux/bottom_half.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/in.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/socket.h>

#include <ctlite/table.h>

#include "check.h"
#include "threads.h"

#define NET_A	1001
#define NET_B	1002

/* An IPv4 TCP key for saddr:sport -> daddr:dport, canonicalized */
static bool key4(struct ctlite_key *k, u32 net_id, u32 saddr, u16 sport,
		 u32 daddr, u16 dport)
{
	ctlite_key_init(k, net_id, AF_INET, IPPROTO_TCP);
	k->addr.ip[0] = htonl(saddr);
	k->addr.ip[1] = htonl(daddr);
	k->port[0] = htons(sport);
	k->port[1] = htons(dport);
	return ctlite_key_canonicalize(k);
}

static void random_key4(struct ctlite_key *k, u32 net_id)
{
	key4(k, net_id, get_random_u32(), get_random_u32() & 0xffff,
	     get_random_u32(), get_random_u32() & 0xffff);
}

static struct ctlite_table *test_table(struct kunit *test, unsigned int size,
				       unsigned int max)
{
	struct ctlite_table *t = ctlite_table_create(size, max);

	KUNIT_ASSERT_NOT_NULL(test, t);
	return t;
}

/* Insert under RCU as the packet path does; returns the entry or ERR_PTR */
static struct ctlite_entry *insert(struct ctlite_table *t,
				   const struct ctlite_key *k, bool *created)
{
	/* time stands at 0 and entries live long: nothing expires here */
	struct ctlite_insert ins = { .deadline = 1U << 30 };
	struct ctlite_entry *e;

	/* as a packet's confirmation: RCU read lock, bottom halves off */
	rcu_read_lock();
	local_bh_disable();
	e = ctlite_table_insert(t, k, ctlite_table_hash(t, k), &ins);
	local_bh_enable();
	rcu_read_unlock();
	if (created)
		*created = ins.created;
	return e;
}

static struct ctlite_entry *lookup(struct ctlite_table *t,
				   const struct ctlite_key *k)
{
	unsigned int searched = 0;
	struct ctlite_entry *e;

	rcu_read_lock();
	e = ctlite_table_lookup(t, k, ctlite_table_hash(t, k), &searched);
	rcu_read_unlock();
	return e;
}

static void both_directions_reach_the_same_entry(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 1024, 100);
	struct ctlite_key out, back;
	struct ctlite_entry *e;
	bool out_swapped, back_swapped;

	out_swapped = key4(&out, NET_A, 0x0a000002, 40000, 0x0a000001, 80);
	back_swapped = key4(&back, NET_A, 0x0a000001, 80, 0x0a000002, 40000);
	KUNIT_EXPECT_NE(test, out_swapped, back_swapped);
	KUNIT_EXPECT_EQ(test, 0, memcmp(&out, &back, sizeof(out)));
	KUNIT_EXPECT_EQ(test, ctlite_table_hash(t, &out), ctlite_table_hash(t, &back));

	e = insert(t, &out, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	KUNIT_EXPECT_PTR_EQ(test, lookup(t, &back), e);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 1);
	ctlite_table_destroy(t);
}

/*
 * The parser leaves an IPv4 key's bytes after its two addresses as it
 * found them (ctlite_key_start()): nothing may read them.  A key with
 * them set hashes, orders and matches as the same key with them clear.
 */
static void an_ipv4_keys_unused_tail_is_never_read(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 1024, 100);
	struct ctlite_key clean, dirty;
	struct ctlite_entry *e;
	bool swapped;

	key4(&clean, NET_A, 0x0a000002, 40000, 0x0a000001, 80);
	memset(&dirty, 0xa5, sizeof(dirty));
	ctlite_key_start(&dirty, NET_A, AF_INET, IPPROTO_TCP);
	dirty.addr.ip[0] = htonl(0x0a000002);
	dirty.addr.ip[1] = htonl(0x0a000001);
	dirty.port[0] = htons(40000);
	dirty.port[1] = htons(80);
	swapped = ctlite_key_canonicalize(&dirty);
	KUNIT_EXPECT_TRUE(test, swapped);
	KUNIT_EXPECT_EQ(test, ntohl(dirty.addr.ip[0]), ntohl(clean.addr.ip[0]));
	KUNIT_EXPECT_EQ(test, ntohs(dirty.port[0]), ntohs(clean.port[0]));
	KUNIT_EXPECT_EQ(test, ctlite_table_hash(t, &dirty),
			ctlite_table_hash(t, &clean));

	e = insert(t, &dirty, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	KUNIT_EXPECT_PTR_EQ(test, lookup(t, &clean), e);
	ctlite_table_destroy(t);
}

static void different_netns_never_share_an_entry(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 1024, 100);
	struct ctlite_entry *ea, *eb;
	struct ctlite_key a, b;

	key4(&a, NET_A, 0x0a000001, 1234, 0x0a000002, 80);
	key4(&b, NET_B, 0x0a000001, 1234, 0x0a000002, 80);
	ea = insert(t, &a, NULL);
	eb = insert(t, &b, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ea));
	KUNIT_ASSERT_FALSE(test, IS_ERR(eb));
	KUNIT_EXPECT_PTR_NE(test, ea, eb);
	KUNIT_EXPECT_PTR_EQ(test, lookup(t, &a), ea);
	KUNIT_EXPECT_PTR_EQ(test, lookup(t, &b), eb);
	KUNIT_EXPECT_EQ(test, ctlite_table_count_net(t, NET_A), 1U);
	KUNIT_EXPECT_EQ(test, ctlite_table_count_net(t, NET_B), 1U);

	/* a namespace going away takes only its own entries */
	KUNIT_EXPECT_EQ(test, ctlite_table_flush_net(t, NET_A), 1U);
	KUNIT_EXPECT_NULL(test, lookup(t, &a));
	KUNIT_EXPECT_PTR_EQ(test, lookup(t, &b), eb);
	ctlite_table_destroy(t);
}

static void the_key_changes_the_bucket_mapping(struct kunit *test)
{
	struct ctlite_table *t1 = test_table(test, 1024, 1);
	struct ctlite_table *t2 = test_table(test, 1024, 1);
	unsigned int i, moved = 0;
	struct ctlite_key k;

	for (i = 0; i < 256; i++) {
		random_key4(&k, NET_A);
		moved += ctlite_table_bucket(t1, ctlite_table_hash(t1, &k)) !=
			 ctlite_table_bucket(t2, ctlite_table_hash(t2, &k));
	}
	/* two keys agree on a bucket 1 time in 1024 */
	KUNIT_EXPECT_GE(test, moved, 240U);
	ctlite_table_destroy(t1);
	ctlite_table_destroy(t2);
}

/*
 * Chi-square statistic of @n keys over @buckets buckets, keys made by
 * @make(i).  With buckets - 1 degrees of freedom the statistic has mean
 * buckets - 1 and standard deviation sqrt(2 (buckets - 1)).
 */
static u64 chi_square(struct kunit *test, struct ctlite_table *t,
		      unsigned int n, void (*make)(struct ctlite_key *, u32))
{
	unsigned int size = ctlite_table_size(t), *hits, i;
	u64 expected = n / size, sum = 0;
	struct ctlite_key k;

	hits = kunit_kcalloc(test, size, sizeof(*hits), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hits);
	for (i = 0; i < n; i++) {
		make(&k, i);
		/* as ctlite_table_bucket(), without an RCU section per key */
		hits[reciprocal_scale(ctlite_table_hash(t, &k), size)]++;
	}
	for (i = 0; i < size; i++) {
		s64 d = (s64)hits[i] - expected;

		sum += d * d;
	}
	return div64_u64(sum, expected);
}

static void make_random(struct ctlite_key *k, u32 i)
{
	random_key4(k, NET_A);
}

/* What a scan or a SYN flood looks like: one client, consecutive ports */
static void make_sequential(struct ctlite_key *k, u32 i)
{
	key4(k, NET_A, 0xc0a80001 + (i >> 16), i & 0xffff, 0x0a000001, 80);
}

static void buckets_pass_chi_square(struct kunit *test)
{
	/*
	 * 1024 buckets, 50 keys each (enough for the chi-square law; each
	 * key costs a siphash under KASAN): bound at mean + 6 sd = 1023 + 271
	 */
	struct ctlite_table *t = test_table(test, 1024, 1);
	const u64 bound = 1023 + 271;
	u64 random, sequential;

	random = chi_square(test, t, 1024 * 50, make_random);
	sequential = chi_square(test, t, 1024 * 50, make_sequential);
	kunit_info(test, "chi-square over 1023 dof: random %llu, sequential %llu (bound %llu)\n",
		   random, sequential, bound);
	KUNIT_EXPECT_LT(test, random, bound);
	KUNIT_EXPECT_LT(test, sequential, bound);
	ctlite_table_destroy(t);
}

static void ipv4_and_ipv6_keys_never_collide(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 16, 100);
	struct ctlite_key k4, mapped, prefix;
	struct ctlite_entry *e4;

	key4(&k4, NET_A, 0x0a000001, 1000, 0x0a000002, 80);
	/* ::ffff:10.0.0.1, and an address that starts with both v4 addresses */
	ctlite_key_init(&mapped, NET_A, AF_INET6, IPPROTO_TCP);
	mapped.addr.ip6[0].s6_addr32[2] = htonl(0xffff);
	mapped.addr.ip6[0].s6_addr32[3] = htonl(0x0a000001);
	mapped.addr.ip6[1].s6_addr32[2] = htonl(0xffff);
	mapped.addr.ip6[1].s6_addr32[3] = htonl(0x0a000002);
	mapped.port[0] = htons(1000);
	mapped.port[1] = htons(80);
	ctlite_key_canonicalize(&mapped);
	ctlite_key_init(&prefix, NET_A, AF_INET6, IPPROTO_TCP);
	prefix.addr.ip6[0].s6_addr32[0] = htonl(0x0a000001);
	prefix.addr.ip6[0].s6_addr32[1] = htonl(0x0a000002);
	prefix.port[0] = htons(1000);
	prefix.port[1] = htons(80);
	ctlite_key_canonicalize(&prefix);

	e4 = insert(t, &k4, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e4));
	KUNIT_EXPECT_NULL(test, lookup(t, &mapped));
	KUNIT_EXPECT_NULL(test, lookup(t, &prefix));
	KUNIT_ASSERT_FALSE(test, IS_ERR(insert(t, &mapped, NULL)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(insert(t, &prefix, NULL)));
	KUNIT_EXPECT_PTR_EQ(test, lookup(t, &k4), e4);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 3);
	ctlite_table_destroy(t);
}

/* What a growth rehashes by (ctlite_entry_hash()) is what lookups hash */
static void entries_hash_as_their_keys(struct kunit *test)
{
	static const u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_GRE };
	struct ctlite_table *t = test_table(test, 1024, 1000);
	struct ctlite_key k;
	struct ctlite_entry *e;
	unsigned int i;

	for (i = 0; i < 64; i++) {
		if (i % 2) {
			random_key4(&k, i % 3 ? NET_A : NET_B);
		} else {
			ctlite_key_init(&k, NET_A, AF_INET6, protos[i / 2 % 4]);
			get_random_bytes(&k.addr.ip6, sizeof(k.addr.ip6));
			k.port[0] = htons(i);
			k.port[1] = htons(443);
			ctlite_key_canonicalize(&k);
		}
		k.proto = protos[i / 2 % 4];
		e = insert(t, &k, NULL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(e));
		KUNIT_EXPECT_EQ_MSG(test, ctlite_entry_hash(t, e), ctlite_table_hash(t, &k),
				    "key %u", i);
	}
	ctlite_table_destroy(t);
}

static struct kunit_case hash_cases[] = {
	KUNIT_CASE(both_directions_reach_the_same_entry),
	KUNIT_CASE(an_ipv4_keys_unused_tail_is_never_read),
	KUNIT_CASE(different_netns_never_share_an_entry),
	KUNIT_CASE(the_key_changes_the_bucket_mapping),
	KUNIT_CASE(buckets_pass_chi_square),
	KUNIT_CASE(ipv4_and_ipv6_keys_never_collide),
	KUNIT_CASE(entries_hash_as_their_keys),
	{}
};

static struct kunit_suite hash_suite = {
	.name = "ctlite_hash",
	.test_cases = hash_cases,
};

static void insert_lookup_delete(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 64, 100);
	struct ctlite_entry *e;
	struct ctlite_key k;
	bool created;

	key4(&k, NET_A, 0x0a000001, 5000, 0x0a000002, 53);
	KUNIT_EXPECT_NULL(test, lookup(t, &k));
	e = insert(t, &k, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_PTR_EQ(test, insert(t, &k, &created), e);
	KUNIT_EXPECT_FALSE(test, created);
	KUNIT_EXPECT_PTR_EQ(test, lookup(t, &k), e);

	rcu_read_lock();
	KUNIT_EXPECT_TRUE(test, ctlite_table_delete(t, e, 0));
	/* a second delete of the same entry (a racing CPU) does nothing */
	KUNIT_EXPECT_FALSE(test, ctlite_table_delete(t, e, 0));
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, lookup(t, &k));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 0);
	ctlite_table_destroy(t);
}

static void count_and_slab_accounting_agree(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 256, 10000);
	long before = ctlite_entries_allocated();
	struct ctlite_key k;
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		key4(&k, NET_A + (i & 1), 0x0a000001, 1000 + i, 0x0a000002, 80);
		KUNIT_ASSERT_FALSE(test, IS_ERR(insert(t, &k, NULL)));
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 1000);
	KUNIT_EXPECT_EQ(test, ctlite_entries_allocated() - before, 1000L);
	KUNIT_EXPECT_EQ(test, ctlite_table_count_net(t, NET_A) +
			ctlite_table_count_net(t, NET_B), 1000U);

	KUNIT_EXPECT_EQ(test, ctlite_table_flush_net(t, NET_A), 500U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 500);
	KUNIT_EXPECT_EQ(test, ctlite_table_destroy(t), 500U);
	/* destroy waits for the RCU frees: nothing is left in the slab */
	KUNIT_EXPECT_EQ(test, ctlite_entries_allocated(), before);
}

/* delete_net()'s test: the entries whose port 0 (the lower) is odd */
static bool odd_port(const struct ctlite_entry *e, const void *arg)
{
	const unsigned int *calls = arg;

	/* called under the entry's bucket lock, with the entry live */
	WARN_ON(e->flags & CTLITE_F_DEAD);
	(*(unsigned int *)calls)++;
	return ntohs(e->port[0]) & 1;
}

static void delete_net_takes_what_passes_in_its_namespace(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 256, 10000);
	unsigned int i, calls = 0;
	struct ctlite_key k;

	for (i = 0; i < 200; i++) {
		key4(&k, NET_A + (i & 1), 0x0a000001, 1000 + i / 2, 0x0a000002, 80);
		KUNIT_ASSERT_FALSE(test, IS_ERR(insert(t, &k, NULL)));
	}
	/* NET_A's odd ports: half of its 100; the test sees only NET_A's */
	KUNIT_EXPECT_EQ(test, ctlite_table_delete_net(t, NET_A, odd_port, &calls), 50U);
	KUNIT_EXPECT_EQ(test, calls, 100U);
	KUNIT_EXPECT_EQ(test, ctlite_table_count_net(t, NET_A), 50U);
	KUNIT_EXPECT_EQ(test, ctlite_table_count_net(t, NET_B), 100U);
	for (i = 0; i < 100; i++) {
		key4(&k, NET_A, 0x0a000001, 1000 + i, 0x0a000002, 80);
		KUNIT_EXPECT_EQ(test, !lookup(t, &k), !!(i & 1));
	}
	/* nothing left to pass: nothing goes */
	KUNIT_EXPECT_EQ(test, ctlite_table_delete_net(t, NET_A, odd_port, &calls), 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 150);
	ctlite_table_destroy(t);
}

/* @n flows from 10.0.0.1 ports 1000.. to 10.0.0.2:80; the first's entry */
static struct ctlite_entry *insert_ports(struct kunit *test,
					 struct ctlite_table *t, unsigned int n)
{
	struct ctlite_entry *first = NULL, *e;
	struct ctlite_key k;
	unsigned int i;

	for (i = 0; i < n; i++) {
		key4(&k, NET_A, 0x0a000001, 1000 + i, 0x0a000002, 80);
		e = insert(t, &k, NULL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(e));
		if (!first)
			first = e;
	}
	return first;
}

static void max_is_enforced_exactly(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 16, 10);
	struct ctlite_entry *first;
	struct ctlite_key k;

	first = insert_ports(test, t, 10);
	key4(&k, NET_A, 0x0a000001, 2000, 0x0a000002, 80);
	KUNIT_EXPECT_PTR_EQ(test, insert(t, &k, NULL), ERR_PTR(-ENOSPC));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 10);

	/* a full table still finds the flows it has */
	key4(&k, NET_A, 0x0a000001, 1000, 0x0a000002, 80);
	KUNIT_EXPECT_PTR_EQ(test, insert(t, &k, NULL), first);

	/* and admits a new one once there is room */
	rcu_read_lock();
	ctlite_table_delete(t, first, 0);
	rcu_read_unlock();
	key4(&k, NET_A, 0x0a000001, 2000, 0x0a000002, 80);
	KUNIT_EXPECT_FALSE(test, IS_ERR(insert(t, &k, NULL)));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 10);
	ctlite_table_destroy(t);
}

static void chains_stop_at_64_entries(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 1, 1000);
	struct ctlite_entry *first;
	struct ctlite_key k;

	first = insert_ports(test, t, CTLITE_CHAIN_MAX);
	key4(&k, NET_A, 0x0a000001, 3000, 0x0a000002, 80);
	KUNIT_EXPECT_PTR_EQ(test, insert(t, &k, NULL), ERR_PTR(-EMLINK));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), CTLITE_CHAIN_MAX);
	/* the flows it has are still found, and one going makes room */
	key4(&k, NET_A, 0x0a000001, 1000, 0x0a000002, 80);
	KUNIT_EXPECT_PTR_EQ(test, insert(t, &k, NULL), first);
	rcu_read_lock();
	KUNIT_EXPECT_TRUE(test, ctlite_table_delete(t, first, 0));
	rcu_read_unlock();
	key4(&k, NET_A, 0x0a000001, 3000, 0x0a000002, 80);
	KUNIT_EXPECT_FALSE(test, IS_ERR(insert(t, &k, NULL)));
	KUNIT_EXPECT_EQ(test, ctlite_table_destroy(t), (unsigned int)CTLITE_CHAIN_MAX);
}

struct racer {
	struct ctlite_table *table;
	bool reverse;
	unsigned int created;
	int errors;
};

enum { RACE_FLOWS = 2000 };

static int race_inserts(void *data)
{
	struct racer *r = data;
	struct ctlite_key k;
	unsigned int i;
	bool created;

	/* opposite orders: the racers meet, and collide, in the middle */
	for (i = 0; i < RACE_FLOWS; i++) {
		unsigned int f = r->reverse ? RACE_FLOWS - 1 - i : i;

		key4(&k, NET_A, 0x0a000001 + f / 1000, f % 1000, 0x0a000002, 80);
		if (IS_ERR(insert(r->table, &k, &created)))
			r->errors++;
		r->created += created;
	}
	return 0;
}

static void concurrent_inserts_of_one_flow_make_one_entry(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 64, RACE_FLOWS);
	struct racer r[2] = {
		{ .table = t },
		{ .table = t, .reverse = true },
	};
	int (*const fn[])(void *) = { race_inserts, race_inserts };
	void *const data[] = { &r[0], &r[1] };
	struct test_threads threads;

	test_threads_start(test, &threads, 2, fn, data);
	test_threads_wait(&threads);

	/* every flow made exactly once, by one racer or the other */
	KUNIT_EXPECT_EQ(test, r[0].errors + r[1].errors, 0);
	KUNIT_EXPECT_EQ(test, r[0].created + r[1].created, (unsigned int)RACE_FLOWS);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), RACE_FLOWS);
	KUNIT_EXPECT_EQ(test, ctlite_table_count_net(t, NET_A), (unsigned int)RACE_FLOWS);
	kunit_info(test, "created by CPU0 %u, by CPU1 %u\n", r[0].created, r[1].created);
	ctlite_table_destroy(t);
}

static struct kunit_case table_cases[] = {
	KUNIT_CASE(insert_lookup_delete),
	KUNIT_CASE(count_and_slab_accounting_agree),
	KUNIT_CASE(delete_net_takes_what_passes_in_its_namespace),
	KUNIT_CASE(max_is_enforced_exactly),
	KUNIT_CASE(chains_stop_at_64_entries),
	KUNIT_CASE(concurrent_inserts_of_one_flow_make_one_entry),
	{}
};

static struct kunit_suite table_suite = {
	.name = "ctlite_table",
	.test_cases = table_cases,
};

/*
 * Resize: a set of flows, the entries they got, and checks that a resize
 * kept every one of them where a lookup finds it.
 */
struct flows {
	unsigned int n;
	struct ctlite_key *k;
	struct ctlite_entry **e;
};

static void random_key6(struct ctlite_key *k, u32 net_id)
{
	ctlite_key_init(k, net_id, AF_INET6, IPPROTO_UDP);
	get_random_bytes(&k->addr.ip6, sizeof(k->addr.ip6));
	k->port[0] = htons(get_random_u32() & 0xffff);
	k->port[1] = htons(get_random_u32() & 0xffff);
	ctlite_key_canonicalize(k);
}

/*
 * @n flows: one in 6 IPv6, every other one ASSURED, so both caches and
 * both kinds of index entry are moved
 */
static void make_flows(struct kunit *test, struct ctlite_table *t,
		       struct flows *f, unsigned int n)
{
	struct ctlite_insert ins = { .deadline = 1U << 30 };
	unsigned int i;

	f->n = n;
	f->k = kunit_kcalloc(test, n, sizeof(*f->k), GFP_KERNEL);
	f->e = kunit_kcalloc(test, n, sizeof(*f->e), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, f->k && f->e);
	for (i = 0; i < n; i++) {
		if (i % 6 == 5)
			random_key6(&f->k[i], NET_A);
		else
			random_key4(&f->k[i], NET_A);
		ins.flags = i & 1 ? CTLITE_F_ASSURED : 0;
		rcu_read_lock();
		local_bh_disable();
		f->e[i] = ctlite_table_insert(t, &f->k[i],
					      ctlite_table_hash(t, &f->k[i]), &ins);
		local_bh_enable();
		rcu_read_unlock();
		KUNIT_ASSERT_FALSE(test, IS_ERR(f->e[i]));
		/* a random key twice would make one entry for two flows */
		KUNIT_ASSERT_TRUE(test, ins.created);
	}
}

/* How many of @f a lookup does not find as the very entry it got */
static unsigned int flows_lost(struct ctlite_table *t, const struct flows *f)
{
	unsigned int i, lost = 0;

	for (i = 0; i < f->n; i++)
		lost += lookup(t, &f->k[i]) != f->e[i];
	return lost;
}

static void resize_keeps_every_entry_and_the_index(struct kunit *test)
{
	/* made in 1024 buckets: an insert never adds to a chain of 64 */
	static const unsigned int sizes[] = { 16, 1000, 65536, 4093, 64 };
	struct ctlite_table *t = test_table(test, 1024, 100000);
	struct ctlite_resize done;
	u64 longest = 0;
	struct flows f;
	unsigned int i;

	make_flows(test, t, &f, 6000);
	KUNIT_ASSERT_EQ(test, ctlite_table_check(t), 0U);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned int before = ctlite_table_size(t);

		KUNIT_ASSERT_EQ(test, ctlite_table_resize(t, sizes[i], &done), 0);
		KUNIT_EXPECT_EQ(test, ctlite_table_size(t), sizes[i]);
		KUNIT_EXPECT_EQ(test, done.old_size, before);
		KUNIT_EXPECT_EQ(test, done.moved, 6000U);
		KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 6000);
		/* on its right chain, counted, and the unassured index exact */
		KUNIT_EXPECT_EQ(test, ctlite_table_check(t), 0U);
		KUNIT_EXPECT_EQ(test, flows_lost(t, &f), 0U);
		longest = max(longest, done.pause_ns);
	}
	/* one line: a case keeps only 512 bytes of log in 6.1 */
	kunit_info(test, "%zu resizes of 6000 entries, longest pause %llu us\n",
		   ARRAY_SIZE(sizes), div_u64(longest, NSEC_PER_USEC));
	KUNIT_EXPECT_EQ(test, ctlite_table_count_net(t, NET_A), 6000U);
	KUNIT_EXPECT_EQ(test, ctlite_table_destroy(t), 6000U);
}

static void resize_refuses_bad_sizes_and_keeps_the_table(struct kunit *test)
{
	static const unsigned int bad[] = {
		0, CTLITE_HASHSIZE_MIN - 1, CTLITE_HASHSIZE_MAX + 1, UINT_MAX,
	};
	struct ctlite_table *t = test_table(test, 256, 1000);
	struct ctlite_resize done;
	struct flows f;
	unsigned int i;

	make_flows(test, t, &f, 500);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ(test, ctlite_table_resize(t, bad[i], NULL), -EINVAL);
	/* the same size again: nothing to do */
	KUNIT_EXPECT_EQ(test, ctlite_table_resize(t, 256, &done), 0);
	KUNIT_EXPECT_EQ(test, done.old_size, 256U);
	KUNIT_EXPECT_EQ(test, done.moved, 0U);
	KUNIT_EXPECT_EQ(test, ctlite_table_size(t), 256U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 500);
	KUNIT_EXPECT_EQ(test, ctlite_table_check(t), 0U);
	KUNIT_EXPECT_EQ(test, flows_lost(t, &f), 0U);
	/* the limits themselves are sizes */
	KUNIT_EXPECT_EQ(test, ctlite_table_resize(t, CTLITE_HASHSIZE_MIN, NULL), 0);
	KUNIT_EXPECT_EQ(test, flows_lost(t, &f), 0U);
	ctlite_table_destroy(t);
}

/* A table that may grow follows its entries: chains stay short */
static void auto_grow_follows_the_entries(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 64, 100000);
	struct ctlite_resize done;
	struct flows f;

	ctlite_table_set_auto_grow(t, true);
	/* 128 entries in 64 buckets: the load is 2, not above it */
	make_flows(test, t, &f, 128);
	flush_work(&t->grow_work);
	KUNIT_EXPECT_EQ(test, ctlite_table_size(t), 64U);
	KUNIT_EXPECT_EQ(test, ctlite_table_grow(t, &done), 0);
	KUNIT_EXPECT_EQ(test, done.moved, 0U);

	/* past it, the inserts have the work item grow the table */
	make_flows(test, t, &f, 5000);
	flush_work(&t->grow_work);
	/* the next growth may be queued by then: let it finish too */
	flush_work(&t->grow_work);
	KUNIT_EXPECT_GE(test, ctlite_table_size(t) * CTLITE_GROW_LOAD, 5128U);
	KUNIT_EXPECT_TRUE(test, is_power_of_2(ctlite_table_size(t)));
	KUNIT_EXPECT_EQ(test, ctlite_table_check(t), 0U);
	KUNIT_EXPECT_EQ(test, flows_lost(t, &f), 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 5128);

	/* a direct call grows to as many buckets as entries */
	ctlite_table_set_auto_grow(t, false);
	KUNIT_ASSERT_EQ(test, ctlite_table_resize(t, 16, NULL), 0);
	ctlite_table_set_auto_grow(t, true);
	KUNIT_EXPECT_EQ(test, ctlite_table_grow(t, &done), 0);
	KUNIT_EXPECT_EQ(test, done.old_size, 16U);
	KUNIT_EXPECT_EQ(test, done.moved, 5128U);
	KUNIT_EXPECT_EQ(test, ctlite_table_size(t), 8192U);
	KUNIT_EXPECT_EQ(test, ctlite_table_check(t), 0U);
	KUNIT_EXPECT_EQ(test, flows_lost(t, &f), 0U);
	KUNIT_EXPECT_EQ(test, ctlite_table_destroy(t), 5128U);
}

/* A size chosen by hand is kept, however long the chains */
static void no_growth_once_sized_by_hand(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 16, 100000);
	struct ctlite_resize done;
	struct flows f;

	/* tables start fixed: the module turns growth on for default sizes */
	make_flows(test, t, &f, 300);
	flush_work(&t->grow_work);
	KUNIT_EXPECT_EQ(test, ctlite_table_size(t), 16U);
	KUNIT_EXPECT_EQ(test, ctlite_table_grow(t, &done), 0);
	KUNIT_EXPECT_EQ(test, done.moved, 0U);
	KUNIT_EXPECT_EQ(test, ctlite_table_size(t), 16U);

	/* on, then off again (as a hashsize write does): still kept */
	ctlite_table_set_auto_grow(t, true);
	ctlite_table_set_auto_grow(t, false);
	make_flows(test, t, &f, 300);
	flush_work(&t->grow_work);
	KUNIT_EXPECT_EQ(test, ctlite_table_size(t), 16U);
	KUNIT_EXPECT_EQ(test, ctlite_table_check(t), 0U);
	KUNIT_EXPECT_EQ(test, ctlite_table_destroy(t), 600U);
}

static void early_drop_finds_victims_after_a_resize(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, 16, 100);
	unsigned int searched = 0, i;
	struct flows f;

	/* 50 unassured among 100 in 16 buckets, then spread over 65536 */
	make_flows(test, t, &f, 100);
	KUNIT_ASSERT_EQ(test, ctlite_table_resize(t, 65536, NULL), 0);
	KUNIT_ASSERT_EQ(test, ctlite_table_check(t), 0U);
	rcu_read_lock();
	for (i = 0; i < 50; i++)
		if (ctlite_table_evict(t, get_random_u32(), NET_A, 0,
				       &searched) != CTLITE_EVICT_UNASSURED)
			break;
	/* and then there is none left to take */
	KUNIT_EXPECT_EQ(test, ctlite_table_evict(t, get_random_u32(), NET_A, 0,
						 &searched),
			CTLITE_EVICT_NONE);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, i, 50U);
	/* evict hands the slots over: count still holds them */
	KUNIT_EXPECT_EQ(test, ctlite_table_check(t), 1U);
	atomic_sub(50, &t->count);
	KUNIT_EXPECT_EQ(test, ctlite_table_check(t), 0U);
	ctlite_table_destroy(t);
}

/*
 * The largest table: an unassured entry 2^23 buckets or more from the new
 * flow's (in search order) is still found, through the index's top level
 */
static void early_drop_reaches_any_bucket_of_2_24(struct kunit *test)
{
	struct ctlite_table *t = test_table(test, CTLITE_HASHSIZE_MAX, 10);
	struct ctlite_insert ins = { .deadline = 1U << 30 };
	unsigned int searched = 0;
	struct ctlite_entry *e;
	struct ctlite_key k;
	u32 hash;

	/* a victim in the first 2^20 buckets; the search starts at 2^23 */
	do {
		random_key4(&k, NET_A);
		hash = ctlite_table_hash(t, &k);
	} while (ctlite_table_bucket(t, hash) >= 1U << 20);
	rcu_read_lock();
	local_bh_disable();
	e = ctlite_table_insert(t, &k, hash, &ins);
	local_bh_enable();
	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	KUNIT_EXPECT_EQ(test, ctlite_table_evict(t, 1U << 31, NET_A, 0, &searched),
			CTLITE_EVICT_UNASSURED);
	KUNIT_EXPECT_EQ(test, searched, 1U);
	KUNIT_EXPECT_EQ(test, ctlite_table_evict(t, 1U << 31, NET_A, 0, &searched),
			CTLITE_EVICT_NONE);
	rcu_read_unlock();
	/* the slot went to the caller, as for a new flow */
	atomic_dec(&t->count);
	KUNIT_EXPECT_EQ(test, ctlite_table_check(t), 0U);
	KUNIT_EXPECT_EQ(test, ctlite_table_destroy(t), 0U);
}

/* A CPU that looks up known flows, and one that churns others, until told */
struct resize_racer {
	struct ctlite_table *t;
	const struct flows *f;
	bool *stop;
	unsigned long rounds;
	unsigned long lost;
	unsigned long churned;
	int errors;
};

static int look_up_known_flows(void *data)
{
	struct resize_racer *r = data;

	while (!READ_ONCE(*r->stop)) {
		r->lost += flows_lost(r->t, r->f);
		r->rounds++;
		cond_resched();
	}
	return 0;
}

static int churn_new_flows(void *data)
{
	struct resize_racer *r = data;
	struct ctlite_entry *e;
	struct ctlite_key k;

	while (!READ_ONCE(*r->stop)) {
		random_key4(&k, NET_B);
		e = insert(r->t, &k, NULL);
		if (IS_ERR(e)) {
			r->errors++;
		} else {
			/* what was just made is found, and goes */
			if (lookup(r->t, &k) != e)
				r->lost++;
			rcu_read_lock();
			if (!ctlite_table_delete(r->t, e, 0))
				r->errors++;
			rcu_read_unlock();
		}
		r->churned++;
		cond_resched();
	}
	return 0;
}

/*
 * Resize again and again while one CPU looks up 5000 known flows and the
 * other makes and deletes flows: no lookup of a known flow may miss, and
 * the table must come out whole.
 */
static void resizes_under_lookups_and_churn_lose_nothing(struct kunit *test)
{
	/* chains of 20 at most on average: the churn's inserts all fit */
	static const unsigned int sizes[] = { 256, 4096, 1000, 65536, 512 };
	struct ctlite_table *t = test_table(test, 1024, 100000);
	bool stop = false;
	struct resize_racer r[2] = {
		{ .t = t, .stop = &stop },
		{ .t = t, .stop = &stop },
	};
	int (*const fn[])(void *) = { look_up_known_flows, churn_new_flows };
	void *const data[] = { &r[0], &r[1] };
	struct test_threads threads;
	u64 longest = 0;
	struct ctlite_resize done;
	unsigned int i;
	struct flows f;

	make_flows(test, t, &f, 5000);
	r[0].f = &f;
	r[1].f = &f;
	test_threads_start(test, &threads, 2, fn, data);
	for (i = 0; i < 2 * ARRAY_SIZE(sizes); i++) {
		if (ctlite_table_resize(t, sizes[i % ARRAY_SIZE(sizes)], &done))
			break;
		longest = max(longest, done.pause_ns);
		msleep(20);
	}
	WRITE_ONCE(stop, true);
	test_threads_wait(&threads);

	KUNIT_EXPECT_EQ(test, i, 2U * ARRAY_SIZE(sizes));
	KUNIT_EXPECT_EQ(test, r[0].lost, 0UL);
	KUNIT_EXPECT_EQ(test, r[1].lost, 0UL);
	KUNIT_EXPECT_EQ(test, r[1].errors, 0);
	KUNIT_EXPECT_GT(test, r[0].rounds, 0UL);
	KUNIT_EXPECT_GT(test, r[1].churned, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 5000);
	KUNIT_EXPECT_EQ(test, ctlite_table_check(t), 0U);
	KUNIT_EXPECT_EQ(test, flows_lost(t, &f), 0U);
	kunit_info(test, "%u resizes of 5000+ entries: longest pause %llu us; %lu lookup rounds, %lu flows churned meanwhile\n",
		   i, div_u64(longest, NSEC_PER_USEC), r[0].rounds, r[1].churned);
	ctlite_table_destroy(t);
}

static struct kunit_case resize_cases[] = {
	KUNIT_CASE(resize_keeps_every_entry_and_the_index),
	KUNIT_CASE(resize_refuses_bad_sizes_and_keeps_the_table),
	KUNIT_CASE(auto_grow_follows_the_entries),
	KUNIT_CASE(no_growth_once_sized_by_hand),
	KUNIT_CASE(early_drop_finds_victims_after_a_resize),
	KUNIT_CASE(early_drop_reaches_any_bucket_of_2_24),
	KUNIT_CASE(resizes_under_lookups_and_churn_lose_nothing),
	{}
};

static struct kunit_suite resize_suite = {
	.name = "ctlite_resize",
	.test_cases = resize_cases,
};

kunit_test_suites(&hash_suite, &table_suite, &resize_suite);
