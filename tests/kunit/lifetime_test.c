// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for entry lifetimes: the TCP state machine, RST eviction,
 * expiry and the GC, early drop and adaptive timeouts.  Packets go through
 * the real ctlite_track() of the loaded module, into private tables, with
 * a private namespace state (counters, timeouts) and a clock the test sets:
 * nothing sleeps.  The clock starts just before the 32-bit jiffies wrap,
 * so every deadline comparison also crosses it.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <net/tcp.h>

#include <ctlite/ctlite.h>

#include "threads.h"

#define NET		2001
#define CLIENT		0x0a000002	/* 10.0.0.2:40000, opens the flows */
#define SERVER		0x0a000001	/* 10.0.0.1:80 */
#define SERVER_PORT	80
#define T0		(0U - 1000U * HZ)	/* 1000 s before the wrap */
#define SECS(s)		((u32)(s) * HZ)

struct fixture {
	struct ctlite_table *t;
	struct ctlite_net cn;
	u32 now;
};

static int lifetime_init(struct kunit *test)
{
	struct fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->cn.stats = alloc_percpu(struct ctlite_stats);
	if (!f->cn.stats)
		return -ENOMEM;
	ctlite_conf_init(&f->cn.conf);
	f->now = T0;
	test->priv = f;
	return 0;
}

static void lifetime_exit(struct kunit *test)
{
	struct fixture *f = test->priv;

	if (f->t)
		ctlite_table_destroy(f->t);
	free_percpu(f->cn.stats);
}

static struct fixture *fixture(struct kunit *test, unsigned int buckets,
			       unsigned int max)
{
	struct fixture *f = test->priv;

	f->t = ctlite_table_create(buckets, max);
	KUNIT_ASSERT_NOT_NULL(test, f->t);
	return f;
}

static u32 stat(struct fixture *f, enum ctlite_stat s)
{
	u32 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(f->cn.stats, cpu)->count[s];
	return sum;
}

/* The key of flow @i (client port 40000 + i) of @proto, as sent by one side */
static bool flow_key(struct ctlite_key *k, u8 proto, unsigned int i,
		     bool from_client)
{
	u32 c = CLIENT + (i >> 16);
	u16 cport = 40000 + (i & 0xffff);

	ctlite_key_init(k, NET, AF_INET, proto);
	k->addr.ip[0] = htonl(from_client ? c : SERVER);
	k->addr.ip[1] = htonl(from_client ? SERVER : c);
	k->port[0] = htons(from_client ? cport : SERVER_PORT);
	k->port[1] = htons(from_client ? SERVER_PORT : cport);
	return ctlite_key_canonicalize(k);
}

static unsigned int send(struct fixture *f, u8 proto, unsigned int i,
			 bool from_client, u8 tcp_flags, u32 seq, u32 ack)
{
	struct ctlite_pkt pkt = { .tcp_flags = tcp_flags, .seq = seq, .ack = ack };
	struct ctlite_key k;
	unsigned int verdict;

	pkt.src_is_1 = flow_key(&k, proto, i, from_client);
	rcu_read_lock();
	verdict = ctlite_track(f->t, &f->cn, &k, &pkt, f->now);
	rcu_read_unlock();
	return verdict;
}

static unsigned int tcp(struct fixture *f, bool from_client, u8 flags,
			u32 seq, u32 ack)
{
	return send(f, IPPROTO_TCP, 0, from_client, flags, seq, ack);
}

static unsigned int udp(struct fixture *f, unsigned int i, bool from_client)
{
	return send(f, IPPROTO_UDP, i, from_client, 0, 0, 0);
}

/*
 * The entry of flow @i, or NULL.  Only the test changes its tables, so an
 * entry found stays valid until the test deletes it.
 */
static struct ctlite_entry *entry(struct fixture *f, u8 proto, unsigned int i)
{
	unsigned int searched = 0;
	struct ctlite_entry *e;
	struct ctlite_key k;

	flow_key(&k, proto, i, true);
	rcu_read_lock();
	e = ctlite_table_lookup(f->t, &k, ctlite_table_hash(f->t, &k), &searched);
	rcu_read_unlock();
	return e;
}

/* Flow 0 is a TCP flow in @state with @secs to live from now */
static void expect_state(struct kunit *test, struct fixture *f, u8 state,
			 u32 secs)
{
	struct ctlite_entry *e = entry(f, IPPROTO_TCP, 0);

	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_STREQ(test, ctlite_tcp_state_name(e->state),
			   ctlite_tcp_state_name(state));
	KUNIT_EXPECT_EQ(test, e->deadline, f->now + SECS(secs));
}

#define SYN	TCPHDR_SYN
#define SYNACK	(TCPHDR_SYN | TCPHDR_ACK)
#define ACK	TCPHDR_ACK
#define FINACK	(TCPHDR_FIN | TCPHDR_ACK)
#define RST	TCPHDR_RST
#define RSTACK	(TCPHDR_RST | TCPHDR_ACK)

/* Client ISN 100, server ISN 500: after this both sides are at ISN + 1 */
static void handshake(struct kunit *test, struct fixture *f)
{
	KUNIT_ASSERT_EQ(test, tcp(f, true, SYN, 100, 0), (unsigned int)NF_ACCEPT);
	KUNIT_ASSERT_EQ(test, tcp(f, false, SYNACK, 500, 101), (unsigned int)NF_ACCEPT);
	KUNIT_ASSERT_EQ(test, tcp(f, true, ACK, 101, 501), (unsigned int)NF_ACCEPT);
}

static void tcp_follows_nf_conntrack_states_and_timeouts(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_entry *e;

	KUNIT_ASSERT_EQ(test, tcp(f, true, SYN, 100, 0), (unsigned int)NF_ACCEPT);
	expect_state(test, f, CTLITE_TCP_SYN_SENT, 120);
	e = entry(f, IPPROTO_TCP, 0);
	KUNIT_EXPECT_FALSE(test, e->flags & (CTLITE_F_REPLIED | CTLITE_F_ASSURED));

	f->now += SECS(1);
	tcp(f, false, SYNACK, 500, 101);
	expect_state(test, f, CTLITE_TCP_SYN_RECV, 60);
	KUNIT_EXPECT_TRUE(test, e->flags & CTLITE_F_REPLIED);
	KUNIT_EXPECT_FALSE(test, e->flags & CTLITE_F_ASSURED);

	/* the handshake's last ACK assures the flow */
	tcp(f, true, ACK, 101, 501);
	expect_state(test, f, CTLITE_TCP_ESTABLISHED, 432000);
	KUNIT_EXPECT_TRUE(test, e->flags & CTLITE_F_ASSURED);
	tcp(f, false, ACK, 501, 111);
	expect_state(test, f, CTLITE_TCP_ESTABLISHED, 432000);

	/* the client closes first */
	tcp(f, true, FINACK, 111, 501);
	expect_state(test, f, CTLITE_TCP_FIN_WAIT, 120);
	tcp(f, false, ACK, 501, 112);
	expect_state(test, f, CTLITE_TCP_CLOSE_WAIT, 60);
	tcp(f, false, FINACK, 501, 112);
	expect_state(test, f, CTLITE_TCP_LAST_ACK, 30);
	tcp(f, true, ACK, 112, 502);
	expect_state(test, f, CTLITE_TCP_TIME_WAIT, 120);

	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_NEW), 1U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_FOUND), 7U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_INVALID), 0U);
}

static void rst_evicts_entry_at_once(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);

	handshake(test, f);
	KUNIT_ASSERT_NOT_NULL(test, entry(f, IPPROTO_TCP, 0));
	KUNIT_EXPECT_EQ(test, tcp(f, true, RSTACK, 101, 501), (unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_TCP, 0));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 0);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_RST_EVICT), 1U);
}

static void rst_evict_off_closes_entry_for_timeout_tcp_close(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);

	f->cn.conf.rst_evict = 0;
	handshake(test, f);
	tcp(f, false, RST, 501, 0);
	expect_state(test, f, CTLITE_TCP_CLOSE, 10);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_RST_EVICT), 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 1);
}

static void out_of_window_rst_changes_nothing(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);

	handshake(test, f);
	/* 8 MiB ahead of the client's acknowledged point, and one behind */
	tcp(f, true, RST, 101 + (1U << 23), 0);
	tcp(f, true, RST, 100, 0);
	/* a wrong acknowledgment does not help */
	tcp(f, true, RSTACK, 0x80000000U, 502);
	expect_state(test, f, CTLITE_TCP_ESTABLISHED, 432000);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_INVALID), 3U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_RST_EVICT), 0U);

	/* the edge of the window still counts */
	tcp(f, true, RST, 101 + (1U << 23) - 1, 0);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_TCP, 0));
}

static void spoofed_ack_cannot_move_the_window(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);

	handshake(test, f);
	/* an off-path ACK with a wild seq tries to move the server's point */
	tcp(f, true, ACK, 0x90000000U, 0x40000000U);
	tcp(f, false, RST, 0x40000000U, 0);
	expect_state(test, f, CTLITE_TCP_ESTABLISHED, 432000);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_INVALID), 1U);
}

static void refused_connection_rst_evicts(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);

	tcp(f, true, SYN, 100, 0);
	/* an RST that does not answer this SYN is out of window */
	tcp(f, false, RSTACK, 0, 777);
	KUNIT_EXPECT_NOT_NULL(test, entry(f, IPPROTO_TCP, 0));
	/* the server's answer to the SYN: ACK = ISN + 1 */
	tcp(f, false, RSTACK, 0, 101);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_TCP, 0));
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_RST_EVICT), 1U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_INVALID), 1U);
}

static void syn_on_time_wait_starts_fresh_flow(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_entry *e;

	handshake(test, f);
	tcp(f, true, FINACK, 101, 501);
	tcp(f, false, FINACK, 501, 102);
	tcp(f, true, ACK, 102, 502);
	expect_state(test, f, CTLITE_TCP_TIME_WAIT, 120);

	tcp(f, true, SYN, 9000, 0);
	expect_state(test, f, CTLITE_TCP_SYN_SENT, 120);
	e = entry(f, IPPROTO_TCP, 0);
	KUNIT_EXPECT_FALSE(test, e->flags & (CTLITE_F_REPLIED | CTLITE_F_ASSURED));
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_NEW), 2U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 1);
	/* and the new flow's handshake works */
	tcp(f, false, SYNACK, 7000, 9001);
	tcp(f, true, ACK, 9001, 7001);
	expect_state(test, f, CTLITE_TCP_ESTABLISHED, 432000);
}

static void stray_segments_make_no_entry(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);

	/* RST, SYN-ACK, FIN and no flags at all never start a flow */
	tcp(f, true, RST, 1, 0);
	tcp(f, false, SYNACK, 1, 1);
	tcp(f, true, FINACK, 1, 1);
	tcp(f, true, 0, 1, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 0);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_INVALID), 4U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_NEW), 0U);
}

static void picked_up_flow_is_assured_by_an_answer(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_entry *e;

	/* no SYN seen: an ACK picks the flow up, capped at the SYN timeout */
	tcp(f, true, ACK, 5000, 6000);
	expect_state(test, f, CTLITE_TCP_ESTABLISHED, 120);
	e = entry(f, IPPROTO_TCP, 0);
	KUNIT_EXPECT_FALSE(test, e->flags & CTLITE_F_ASSURED);
	tcp(f, false, ACK, 6000, 5000);
	expect_state(test, f, CTLITE_TCP_ESTABLISHED, 432000);
	KUNIT_EXPECT_TRUE(test, e->flags & CTLITE_F_ASSURED);
}

static void udp_answer_assures_and_switches_to_stream_timeout(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_entry *e;

	udp(f, 0, true);
	e = entry(f, IPPROTO_UDP, 0);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->deadline, f->now + SECS(30));
	KUNIT_EXPECT_FALSE(test, e->flags & CTLITE_F_ASSURED);
	f->now += SECS(5);
	udp(f, 0, false);
	KUNIT_EXPECT_EQ(test, e->deadline, f->now + SECS(120));
	KUNIT_EXPECT_TRUE(test, e->flags & (CTLITE_F_REPLIED | CTLITE_F_ASSURED));
	f->cn.conf.timeout[CTLITE_TO_UDP_STREAM] = 7;
	udp(f, 0, true);
	KUNIT_EXPECT_EQ(test, e->deadline, f->now + SECS(7));
}

static void entry_expires_exactly_at_its_deadline(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_gc_run run = {
		.budget_entries = 1000,
		.budget_ns = NSEC_PER_SEC,
	};
	struct ctlite_entry *e;
	u32 deadline;

	udp(f, 0, true);
	e = entry(f, IPPROTO_UDP, 0);
	KUNIT_ASSERT_NOT_NULL(test, e);
	deadline = e->deadline;
	KUNIT_EXPECT_FALSE(test, ctlite_entry_expired(e, deadline - 1));
	KUNIT_EXPECT_TRUE(test, ctlite_entry_expired(e, deadline));

	/* the GC leaves it one jiffy before ... */
	run.now = deadline - 1;
	ctlite_table_gc(f->t, &run);
	KUNIT_EXPECT_TRUE(test, run.pass_done);
	KUNIT_EXPECT_EQ(test, run.expired, 0U);
	KUNIT_EXPECT_EQ(test, run.soonest, 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 1);
	/* ... and frees it at the deadline */
	run.now = deadline;
	ctlite_table_gc(f->t, &run);
	KUNIT_EXPECT_EQ(test, run.expired, 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 0);
}

static void lookup_reaps_expired_entry_and_starts_anew(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_entry *e;

	udp(f, 0, true);
	udp(f, 0, false);
	f->now += SECS(120);
	/* the reply after the deadline: the old flow is gone, this is new */
	udp(f, 0, false);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_EXPIRED), 1U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_NEW), 2U);
	e = entry(f, IPPROTO_UDP, 0);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_FALSE(test, e->flags & CTLITE_F_ASSURED);
	/* the server's packet opened it this time */
	KUNIT_EXPECT_EQ(test, e->deadline, f->now + SECS(30));
}

static void gc_frees_only_expired_entries(struct kunit *test)
{
	struct fixture *f = fixture(test, 128, 1000);
	struct ctlite_gc_run run = {
		.budget_entries = 1000,
		.budget_ns = NSEC_PER_SEC,
	};
	unsigned int i, expired = 0;

	/* flow i is made at T0 + i jiffies and lives 30 s */
	for (i = 0; i < 200; i++) {
		f->now = T0 + i;
		udp(f, i, true);
	}
	KUNIT_ASSERT_EQ(test, atomic_read(&f->t->count), 200);

	run.now = T0 + SECS(30) + 100;
	do {
		ctlite_table_gc(f->t, &run);
		expired += run.expired;
	} while (!run.pass_done);
	KUNIT_EXPECT_EQ(test, expired, 101U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 99);
	for (i = 0; i < 200; i++)
		KUNIT_EXPECT_EQ_MSG(test, !!entry(f, IPPROTO_UDP, i), i > 100,
				    "flow %u", i);
}

static void gc_run_stops_at_its_entry_budget(struct kunit *test)
{
	struct fixture *f = fixture(test, 256, 1000);
	struct ctlite_gc_run run = {
		.budget_entries = 50,
		.budget_ns = NSEC_PER_SEC,
	};
	unsigned int i, runs = 0, expired = 0;

	for (i = 0; i < 500; i++)
		udp(f, i, true);
	run.now = f->now + SECS(30);
	do {
		ctlite_table_gc(f->t, &run);
		/* a run ends after the bucket that reached the budget */
		KUNIT_EXPECT_LT(test, run.scanned, 50U + 30U);
		expired += run.expired;
		runs++;
	} while (!run.pass_done && runs < 1000);
	KUNIT_EXPECT_TRUE(test, run.pass_done);
	KUNIT_EXPECT_EQ(test, run.next_bucket, 0U);
	KUNIT_EXPECT_GE(test, runs, 7U);
	KUNIT_EXPECT_EQ(test, expired, 500U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 0);
}

/* Fill a table with @n UDP flows, the first @assured of them answered */
static void fill(struct kunit *test, struct fixture *f, unsigned int n,
		 unsigned int assured)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, udp(f, i, true), (unsigned int)NF_ACCEPT);
		if (i < assured)
			udp(f, i, false);
	}
	KUNIT_ASSERT_EQ(test, atomic_read(&f->t->count), (int)n);
}

static void early_drop_takes_unassured_entry_in_sparse_table(struct kunit *test)
{
	/* 65536 buckets for 10 entries: a scan of nearby buckets finds none */
	struct fixture *f = fixture(test, 65536, 10);
	unsigned int i;

	fill(test, f, 10, 9);
	KUNIT_EXPECT_EQ(test, udp(f, 100, true), (unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_NOT_NULL(test, entry(f, IPPROTO_UDP, 100));
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_UDP, 9));
	for (i = 0; i < 9; i++)
		KUNIT_EXPECT_NOT_NULL(test, entry(f, IPPROTO_UDP, i));
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_EARLY_DROP), 1U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_DROP), 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 10);
}

static unsigned int bucket_of(struct fixture *f, unsigned int i)
{
	struct ctlite_key k;

	flow_key(&k, IPPROTO_UDP, i, true);
	return ctlite_table_bucket(f->t, ctlite_table_hash(f->t, &k));
}

static void early_drop_finds_victims_behind_the_new_flow(struct kunit *test)
{
	struct fixture *f = fixture(test, 65536, 2);
	unsigned int victim, newcomer, j;

	fill(test, f, 1, 1);
	/* an unassured victim in the first half, a new flow well after it */
	for (victim = 1; bucket_of(f, victim) >= 32768; victim++)
		;
	for (newcomer = 1000; bucket_of(f, newcomer) <= bucket_of(f, victim) + 8;
	     newcomer++)
		;
	udp(f, victim, true);
	/* the search runs from the newcomer's bucket to the end, then wraps */
	KUNIT_EXPECT_EQ(test, udp(f, newcomer, true), (unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_UDP, victim));
	KUNIT_EXPECT_NOT_NULL(test, entry(f, IPPROTO_UDP, 0));
	/* every further flow takes the previous newcomer's place */
	for (j = 0; j < 20; j++)
		KUNIT_EXPECT_EQ(test, udp(f, 2000 + j, true), (unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_NOT_NULL(test, entry(f, IPPROTO_UDP, 0));
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_EARLY_DROP), 21U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_DROP), 0U);
}

static void early_drop_spares_assured_entries(struct kunit *test)
{
	struct fixture *f = fixture(test, 16, 10);
	unsigned int i;

	fill(test, f, 10, 10);
	KUNIT_EXPECT_EQ(test, udp(f, 100, true), (unsigned int)NF_DROP);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_UDP, 100));
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_NOT_NULL(test, entry(f, IPPROTO_UDP, i));
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_DROP), 1U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_EARLY_DROP), 0U);
	/* a known flow still passes */
	KUNIT_EXPECT_EQ(test, udp(f, 3, false), (unsigned int)NF_ACCEPT);
}

static void early_drop_off_drops_new_flows(struct kunit *test)
{
	struct fixture *f = fixture(test, 16, 10);

	f->cn.conf.early_drop = 0;
	fill(test, f, 10, 0);
	KUNIT_EXPECT_EQ(test, udp(f, 100, true), (unsigned int)NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_DROP), 1U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_EARLY_DROP), 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 10);
}

static void full_table_reaps_expired_entries_before_dropping(struct kunit *test)
{
	/* one chain: the new flow's insert walks every entry */
	struct fixture *f = fixture(test, 1, 10);

	f->cn.conf.early_drop = 0;
	fill(test, f, 10, 10);
	KUNIT_EXPECT_EQ(test, udp(f, 100, true), (unsigned int)NF_DROP);
	f->now += SECS(120);
	KUNIT_EXPECT_EQ(test, udp(f, 100, true), (unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_EXPIRED), 10U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_EARLY_DROP), 0U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_DROP), 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 1);
}

static void lowered_max_admits_nothing_and_evicts_nothing(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 10);

	fill(test, f, 10, 0);
	WRITE_ONCE(f->t->max, 5);
	KUNIT_EXPECT_EQ(test, udp(f, 100, true), (unsigned int)NF_DROP);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 10);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_EARLY_DROP), 0U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_DROP), 1U);
	/* known flows still pass */
	KUNIT_EXPECT_EQ(test, udp(f, 4, false), (unsigned int)NF_ACCEPT);
}

struct flooder {
	struct fixture *f;
	unsigned int first;
	unsigned int dropped;
};

enum { FLOOD_FLOWS = 3000 };

static int flood_new_flows(void *data)
{
	struct flooder *fl = data;
	unsigned int i;

	for (i = 0; i < FLOOD_FLOWS; i++)
		if (udp(fl->f, fl->first + i, true) == NF_DROP)
			fl->dropped++;
	return 0;
}

/*
 * Two CPUs push new flows into a full table of unassured entries: each
 * insert needs an eviction, and none may fail for want of a slot the
 * other CPU only held for a moment.
 */
static void early_drop_keeps_admitting_under_concurrent_floods(struct kunit *test)
{
	struct fixture *f = fixture(test, 1024, 64);
	struct flooder fl[2] = {
		{ .f = f, .first = 100000 },
		{ .f = f, .first = 200000 },
	};
	int (*const fn[])(void *) = { flood_new_flows, flood_new_flows };
	void *const data[] = { &fl[0], &fl[1] };
	struct test_threads threads;

	fill(test, f, 64, 0);
	test_threads_start(test, &threads, 2, fn, data);
	test_threads_wait(&threads);
	KUNIT_EXPECT_EQ(test, fl[0].dropped + fl[1].dropped, 0U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_DROP), 0U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_EARLY_DROP), 2U * FLOOD_FLOWS);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 64);
}

enum { RACE_FLOWS = 2000 };

struct closing_race {
	struct fixture *f;
	atomic_t turn;		/* both threads at flow i: 2 * (i + 1) */
	unsigned int refreshes;
};

static void race_meet(struct closing_race *r, unsigned int i)
{
	atomic_inc(&r->turn);
	while (atomic_read(&r->turn) < 2 * (i + 1))
		cpu_relax();
}

/* ACKs of the client on each established flow until its state moves on */
static int ack_until_closing(void *data)
{
	struct closing_race *r = data;
	unsigned int i, n;

	for (i = 0; i < RACE_FLOWS; i++) {
		struct ctlite_entry *e = entry(r->f, IPPROTO_TCP, i);

		race_meet(r, i);
		for (n = 0; n < 10000 && READ_ONCE(e->state) == CTLITE_TCP_ESTABLISHED; n++)
			send(r->f, IPPROTO_TCP, i, true, ACK, 101, 501);
		r->refreshes += n;
	}
	return 0;
}

/* The client's FIN on each flow, after a delay that varies */
static int fin_each_flow(void *data)
{
	struct closing_race *r = data;
	unsigned int i;

	for (i = 0; i < RACE_FLOWS; i++) {
		race_meet(r, i);
		ndelay((i * 37) % 2000);
		send(r->f, IPPROTO_TCP, i, true, FINACK, 101, 501);
	}
	return 0;
}

/*
 * An established flow's ACKs refresh its deadline without the lock; a FIN
 * moves its state under it.  Whatever the interleaving, the deadline must
 * be the one of the state the flow ends in, never ESTABLISHED's 5 days
 * left on a closing flow.
 */
static void closing_flow_never_keeps_established_deadline(struct kunit *test)
{
	int (*const fn[])(void *) = { ack_until_closing, fin_each_flow };
	struct fixture *f = fixture(test, 4096, 10000);
	struct closing_race r = { .f = f };	/* turn 0 */
	void *const data[] = { &r, &r };
	struct test_threads threads;
	unsigned int i, wrong = 0, fin_wait = 0;

	for (i = 0; i < RACE_FLOWS; i++) {
		send(f, IPPROTO_TCP, i, true, SYN, 100, 0);
		send(f, IPPROTO_TCP, i, false, SYNACK, 500, 101);
		send(f, IPPROTO_TCP, i, true, ACK, 101, 501);
	}
	test_threads_start(test, &threads, 2, fn, data);
	test_threads_wait(&threads);

	for (i = 0; i < RACE_FLOWS; i++) {
		struct ctlite_entry *e = entry(f, IPPROTO_TCP, i);
		u32 want;

		KUNIT_ASSERT_NOT_NULL(test, e);
		/* the FIN came last (FIN_WAIT), or an ACK after it (CLOSE_WAIT) */
		if (e->state == CTLITE_TCP_FIN_WAIT) {
			want = SECS(120);
			fin_wait++;
		} else {
			KUNIT_EXPECT_EQ(test, e->state, (u8)CTLITE_TCP_CLOSE_WAIT);
			want = SECS(60);
		}
		if (e->deadline != f->now + want)
			wrong++;
	}
	KUNIT_EXPECT_EQ_MSG(test, wrong, 0U,
			    "%u of %u closing flows kept another state's deadline",
			    wrong, RACE_FLOWS);
	kunit_info(test, "%u flows: %u lockless refreshes, %u ended in FIN_WAIT",
		   RACE_FLOWS, r.refreshes, fin_wait);
}

static void forget(struct kunit *test, struct fixture *f, unsigned int i)
{
	struct ctlite_entry *e = entry(f, IPPROTO_UDP, i);

	KUNIT_ASSERT_NOT_NULL(test, e);
	rcu_read_lock();
	ctlite_table_delete(f->t, e);
	rcu_read_unlock();
}

static void fill_warnings_fire_once_per_crossing_and_rearm(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	unsigned int i;

	fill(test, f, 79, 0);
	KUNIT_EXPECT_EQ(test, f->t->fill_warned, 0UL);
	udp(f, 79, true);			/* 80% */
	KUNIT_EXPECT_EQ(test, f->t->fill_warned, 1UL);
	for (i = 80; i < 94; i++)
		udp(f, i, true);
	KUNIT_EXPECT_EQ(test, f->t->fill_warned, 1UL);
	udp(f, 94, true);			/* 95% */
	KUNIT_EXPECT_EQ(test, f->t->fill_warned, 3UL);

	/* back down: 95% re-arms below 90%, 80% below 75% */
	for (i = 94; i >= 90; i--)
		forget(test, f, i);		/* 90 left */
	KUNIT_EXPECT_EQ(test, f->t->fill_warned, 3UL);
	forget(test, f, 89);			/* 89 */
	KUNIT_EXPECT_EQ(test, f->t->fill_warned, 1UL);
	for (i = 88; i >= 75; i--)
		forget(test, f, i);		/* 75 */
	KUNIT_EXPECT_EQ(test, f->t->fill_warned, 1UL);
	forget(test, f, 74);			/* 74 */
	KUNIT_EXPECT_EQ(test, f->t->fill_warned, 0UL);
	/* and warns again on the next crossing */
	for (i = 74; i < 80; i++)
		udp(f, i, true);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 80);
	KUNIT_EXPECT_EQ(test, f->t->fill_warned, 1UL);
}

static void top_sources_name_who_filled_the_table(struct kunit *test)
{
	struct fixture *f = fixture(test, 16, 1000);
	struct ctlite_source top[CTLITE_TOP_SOURCES];
	unsigned int i, n, sampled, sources;

	/* flow i comes from CLIENT + (i >> 16) */
	for (i = 0; i < 30; i++)
		udp(f, i, true);
	for (i = 0; i < 5; i++)
		udp(f, 1 << 16 | i, true);
	udp(f, 2 << 16, true);
	/* a flow the server opened counts for the server */
	udp(f, 3 << 16, false);

	rcu_read_lock();
	n = ctlite_table_top_sources(f->t, 0, top, &sampled, &sources);
	rcu_read_unlock();
	KUNIT_ASSERT_EQ(test, n, 3U);
	KUNIT_EXPECT_EQ(test, sampled, 37U);
	KUNIT_EXPECT_EQ(test, sources, 4U);
	KUNIT_EXPECT_EQ(test, top[0].family, (u8)AF_INET);
	KUNIT_EXPECT_EQ(test, ntohl(top[0].addr.ip), (u32)CLIENT);
	KUNIT_EXPECT_EQ(test, top[0].entries, 30U);
	KUNIT_EXPECT_EQ(test, ntohl(top[1].addr.ip), (u32)CLIENT + 1);
	KUNIT_EXPECT_EQ(test, top[1].entries, 5U);
	KUNIT_EXPECT_EQ(test, top[2].entries, 1U);

	/* many sources: counted up to the tally's size, never beyond */
	for (i = 4; i < 40; i++)
		udp(f, i << 16, true);
	rcu_read_lock();
	n = ctlite_table_top_sources(f->t, 0, top, &sampled, &sources);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, sources, (unsigned int)CTLITE_SOURCES_TALLIED);
	KUNIT_EXPECT_EQ(test, sampled, 73U);
	KUNIT_EXPECT_EQ(test, top[0].entries, 30U);
}

static void adaptive_timeouts_scale_like_pf(struct kunit *test)
{
	static const struct {
		unsigned int count, start, end;
		u32 expect;
	} cases[] = {
		{  500, 60, 120, 3000 },	/* 50%: untouched */
		{  600, 60, 120, 3000 },	/* 60%: start */
		{  900, 60, 120, 1500 },	/* 90%: (120 - 90) / (120 - 60) */
		{ 1200, 60, 120,    0 },	/* 120%: end */
		{ 1500, 60, 120,    0 },	/* beyond */
		{  900,  0, 120, 3000 },	/* start 0: off */
		{  900, 60,   0, 3000 },	/* end 0: off */
		{  900, 90,  90, 3000 },	/* empty range: off */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, ctlite_adaptive_scale(3000, cases[i].count,
								1000, cases[i].start,
								cases[i].end),
				    cases[i].expect, "case %u", i);
	/* no overflow at the largest values */
	KUNIT_EXPECT_EQ(test, ctlite_adaptive_scale(CTLITE_TIMEOUT_MAX * 1000U,
						    3U << 29, 1U << 30, 1, 1000),
			(u32)mul_u64_u64_div_u64(CTLITE_TIMEOUT_MAX * 1000ULL,
						 1000ULL * (1 << 30) - 300ULL * (1 << 29),
						 999ULL * (1 << 30)));
}

static void adaptive_timeouts_apply_to_new_entries(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_entry *e;

	/* 90 entries of 100: a new flow gets half its 30 s */
	fill(test, f, 90, 90);
	udp(f, 500, true);
	e = entry(f, IPPROTO_UDP, 500);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->deadline, f->now + SECS(15));
	/* and the full 30 s with adaptive timeouts off */
	f->cn.conf.adaptive_start = 0;
	udp(f, 501, true);
	KUNIT_EXPECT_EQ(test, entry(f, IPPROTO_UDP, 501)->deadline, f->now + SECS(30));
}

static void gc_frees_100k_expired_entries(struct kunit *test)
{
	struct fixture *f = fixture(test, 65536, 100000);
	struct ctlite_gc_run run = {
		.budget_entries = CTLITE_GC_RUN_ENTRIES,
		.budget_ns = CTLITE_GC_RUN_NS,
	};
	u64 start, took, longest = 0, total;
	unsigned int i, runs = 0, expired = 0;
	struct ctlite_insert ins = { .deadline = T0 + SECS(30), .now = T0 };
	struct ctlite_key k;

	rcu_read_lock();
	for (i = 0; i < 100000; i++) {
		flow_key(&k, IPPROTO_UDP, i, true);
		ctlite_table_insert(f->t, &k, ctlite_table_hash(f->t, &k), &ins);
	}
	rcu_read_unlock();
	KUNIT_ASSERT_EQ(test, atomic_read(&f->t->count), 100000);

	run.now = T0 + SECS(30);
	total = ktime_get_ns();
	do {
		start = ktime_get_ns();
		ctlite_table_gc(f->t, &run);
		took = ktime_get_ns() - start;
		longest = max(longest, took);
		expired += run.expired;
		runs++;
	} while (!run.pass_done);
	total = ktime_get_ns() - total;
	KUNIT_EXPECT_EQ(test, expired, 100000U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 0);
	kunit_info(test, "GC freed 100000 expired entries in %llu us over %u runs; longest run %llu us\n",
		   div_u64(total, NSEC_PER_USEC), runs,
		   div_u64(longest, NSEC_PER_USEC));
}

static struct kunit_case lifetime_cases[] = {
	KUNIT_CASE(tcp_follows_nf_conntrack_states_and_timeouts),
	KUNIT_CASE(rst_evicts_entry_at_once),
	KUNIT_CASE(rst_evict_off_closes_entry_for_timeout_tcp_close),
	KUNIT_CASE(out_of_window_rst_changes_nothing),
	KUNIT_CASE(spoofed_ack_cannot_move_the_window),
	KUNIT_CASE(refused_connection_rst_evicts),
	KUNIT_CASE(syn_on_time_wait_starts_fresh_flow),
	KUNIT_CASE(stray_segments_make_no_entry),
	KUNIT_CASE(picked_up_flow_is_assured_by_an_answer),
	KUNIT_CASE(udp_answer_assures_and_switches_to_stream_timeout),
	KUNIT_CASE(entry_expires_exactly_at_its_deadline),
	KUNIT_CASE(lookup_reaps_expired_entry_and_starts_anew),
	KUNIT_CASE(gc_frees_only_expired_entries),
	KUNIT_CASE(gc_run_stops_at_its_entry_budget),
	KUNIT_CASE(early_drop_takes_unassured_entry_in_sparse_table),
	KUNIT_CASE(early_drop_finds_victims_behind_the_new_flow),
	KUNIT_CASE(early_drop_spares_assured_entries),
	KUNIT_CASE(early_drop_off_drops_new_flows),
	KUNIT_CASE(full_table_reaps_expired_entries_before_dropping),
	KUNIT_CASE(lowered_max_admits_nothing_and_evicts_nothing),
	KUNIT_CASE(early_drop_keeps_admitting_under_concurrent_floods),
	KUNIT_CASE(closing_flow_never_keeps_established_deadline),
	KUNIT_CASE(fill_warnings_fire_once_per_crossing_and_rearm),
	KUNIT_CASE(top_sources_name_who_filled_the_table),
	KUNIT_CASE(adaptive_timeouts_scale_like_pf),
	KUNIT_CASE(adaptive_timeouts_apply_to_new_entries),
	KUNIT_CASE(gc_frees_100k_expired_entries),
	{}
};

static struct kunit_suite lifetime_suite = {
	.name = "ctlite_lifetime",
	.init = lifetime_init,
	.exit = lifetime_exit,
	.test_cases = lifetime_cases,
};

kunit_test_suites(&lifetime_suite);
