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
#include <linux/bottom_half.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <net/tcp.h>

#include <ctlite/ctlite.h>

#include "check.h"
#include "threads.h"

#define CLIENT		0x0a000002	/* 10.0.0.2:40000, opens the flows */
#define SERVER		0x0a000001	/* 10.0.0.1:80 */
#define SERVER_PORT	80
#define T0		(0U - 1000U * HZ)	/* 1000 s before the wrap */
#define SECS(s)		((u32)(s) * HZ)

/*
 * A table, the namespace the tests send in (@cn, the initial namespace's
 * kind) and, when a test adds it, a container's (@guest); @ns is the one
 * packets go to now
 */
struct fixture {
	struct ctlite_table *t;
	struct ctlite_net cn;
	struct ctlite_net guest;
	struct ctlite_net *ns;
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
	f->ns = &f->cn;
	f->now = T0;
	test->priv = f;
	return 0;
}

static void lifetime_exit(struct kunit *test)
{
	struct fixture *f = test->priv;

	if (f->guest.conf.table)
		ctlite_conf_exit(&f->guest.conf);
	if (f->t) {
		ctlite_conf_exit(&f->cn.conf);
		if (f->guest.tenant.id)
			ctlite_table_tenant_del(f->t, &f->guest.tenant);
		if (f->cn.tenant.id)
			ctlite_table_tenant_del(f->t, &f->cn.tenant);
		ctlite_table_destroy(f->t);
	}
	free_percpu(f->guest.stats);
	free_percpu(f->cn.stats);
}

static struct fixture *fixture(struct kunit *test, unsigned int buckets,
			       unsigned int max)
{
	struct fixture *f = test->priv;

	f->t = ctlite_table_create(buckets, max);
	KUNIT_ASSERT_NOT_NULL(test, f->t);
	ctlite_conf_init(&f->cn.conf, f->t, NULL);
	/* the initial namespace's kind: bounded by max alone */
	KUNIT_ASSERT_EQ(test, ctlite_table_tenant_add(f->t, &f->cn.tenant, 4026531840U,
						      false), 0);
	return f;
}

static u32 ns_stat(struct ctlite_net *cn, enum ctlite_stat s)
{
	u32 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(cn->stats, cpu)->count[s];
	return sum;
}

static u32 stat(struct fixture *f, enum ctlite_stat s)
{
	return ns_stat(&f->cn, s);
}

/* The key of flow @i (client port 40000 + i) of @proto, as sent by one side */
static bool flow_key(struct ctlite_key *k, u32 net, u8 proto, unsigned int i,
		     bool from_client)
{
	u32 c = CLIENT + (i >> 16);
	u16 cport = 40000 + (i & 0xffff);

	ctlite_key_init(k, net, AF_INET, proto);
	k->addr.ip[0] = htonl(from_client ? c : SERVER);
	k->addr.ip[1] = htonl(from_client ? SERVER : c);
	k->port[0] = htons(from_client ? cport : SERVER_PORT);
	k->port[1] = htons(from_client ? SERVER_PORT : cport);
	return ctlite_key_canonicalize(k);
}

/* Packet @pkt of flow @i, from the client or the server */
static unsigned int send_pkt(struct fixture *f, u8 proto, unsigned int i,
			     bool from_client, struct ctlite_pkt *pkt)
{
	struct ctlite_key k;
	unsigned int verdict;

	pkt->src_is_1 = flow_key(&k, ctlite_net_id(f->ns), proto, i, from_client);
	/* as a hook: RCU read lock, bottom halves off */
	rcu_read_lock();
	local_bh_disable();
	verdict = ctlite_track(f->t, f->ns, &k, pkt, f->now);
	local_bh_enable();
	rcu_read_unlock();
	return verdict;
}

/* Window every test segment advertises, unscaled, unless it says otherwise */
#define WIN	65535

static unsigned int send(struct fixture *f, u8 proto, unsigned int i,
			 bool from_client, u8 tcp_flags, u32 seq, u32 ack)
{
	struct ctlite_pkt pkt = {
		.tcp_flags = tcp_flags, .seq = seq, .ack = ack, .win = WIN,
		.wscale = CTLITE_WSCALE_NONE,
	};

	return send_pkt(f, proto, i, from_client, &pkt);
}

static unsigned int tcp(struct fixture *f, bool from_client, u8 flags,
			u32 seq, u32 ack)
{
	return send(f, IPPROTO_TCP, 0, from_client, flags, seq, ack);
}

/* A segment of flow 0 carrying @len bytes of data */
static unsigned int tcp_data(struct fixture *f, bool from_client, u8 flags,
			     u32 seq, u32 ack, u32 len)
{
	struct ctlite_pkt pkt = {
		.tcp_flags = flags, .seq = seq, .ack = ack, .win = WIN,
		.len = len, .wscale = CTLITE_WSCALE_NONE,
	};

	return send_pkt(f, IPPROTO_TCP, 0, from_client, &pkt);
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

	flow_key(&k, ctlite_net_id(f->ns), proto, i, true);
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
	/* 10 bytes from the client, and the server's acknowledgment */
	tcp_data(f, true, ACK, 101, 501, 10);
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
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_FOUND), 8U);
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

/* Flow 0's state, flags and windows, to see that nothing moved */
struct snapshot {
	u8 state;
	u8 flags;
	u8 wscale;
	u32 deadline;
	struct ctlite_tcp_win tcp;
};

static void snap(struct fixture *f, struct snapshot *s)
{
	struct ctlite_entry *e = entry(f, IPPROTO_TCP, 0);

	memset(s, 0, sizeof(*s));
	if (!e)
		return;
	s->state = e->state;
	s->flags = e->flags;
	s->wscale = e->wscale;
	s->deadline = e->deadline;
	s->tcp = e->tcp;
}

static void expect_unmoved(struct kunit *test, struct fixture *f,
			   const struct snapshot *before)
{
	struct snapshot now;

	snap(f, &now);
	KUNIT_EXPECT_STREQ(test, ctlite_tcp_state_name(now.state),
			   ctlite_tcp_state_name(before->state));
	KUNIT_EXPECT_EQ(test, now.flags, before->flags);
	KUNIT_EXPECT_EQ(test, now.deadline, before->deadline);
	KUNIT_EXPECT_EQ(test, now.tcp.end[0], before->tcp.end[0]);
	KUNIT_EXPECT_EQ(test, now.tcp.end[1], before->tcp.end[1]);
	KUNIT_EXPECT_EQ(test, now.tcp.maxend[0], before->tcp.maxend[0]);
	KUNIT_EXPECT_EQ(test, now.tcp.maxend[1], before->tcp.maxend[1]);
	KUNIT_EXPECT_EQ(test, now.tcp.acked[0], before->tcp.acked[0]);
	KUNIT_EXPECT_EQ(test, now.tcp.acked[1], before->tcp.acked[1]);
}

/*
 * RFC 5961 3.2: an RST ends the flow only at the exact sequence number the
 * other side expects.  Out of the window, or behind what the other side
 * acknowledged, it is invalid; in the window but not exact, it passes
 * (for the endpoint's challenge ACK) and changes nothing.
 */
static void rst_ends_a_flow_only_at_the_exact_sequence_number(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct snapshot before;

	handshake(test, f);
	f->now += SECS(1);
	snap(f, &before);
	/* 8 MiB ahead, one behind the acknowledged point, a wild ACK */
	tcp(f, true, RST, 101 + (1U << 23), 0);
	tcp(f, true, RST, 100, 0);
	tcp(f, true, RSTACK, 0x80000000U, 502);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_INVALID), 3U);
	/* in the window, not exact: passes, changes nothing */
	tcp(f, true, RST, 102, 0);
	tcp(f, true, RST, 101 + WIN - 1, 0);
	tcp(f, false, RSTACK, 502, 101);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_INVALID), 3U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_RST_EVICT), 0U);
	expect_unmoved(test, f, &before);

	/* exactly the next sequence number: the flow ends */
	tcp(f, false, RST, 501, 0);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_TCP, 0));
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_RST_EVICT), 1U);
}

/* An RST right behind data not yet acknowledged carries the data's end */
static void rst_after_unacknowledged_data_is_exact(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);

	handshake(test, f);
	tcp_data(f, false, ACK, 501, 101, 1000);
	tcp(f, false, RST, 1501, 0);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_TCP, 0));
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_RST_EVICT), 1U);
}

/*
 * The sweep ctlite's fixed 8 MiB window fell to: 512 RSTs 8 MiB apart, from
 * either side.  Only one sequence number (two right behind unacknowledged
 * data) ends the flow; a sweep that skips it ends nothing.
 */
static void rst_sweeps_in_8mib_steps_end_nothing(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct snapshot before;
	unsigned int i;

	handshake(test, f);
	f->now += SECS(1);
	snap(f, &before);
	for (i = 0; i < 512; i++) {
		tcp(f, true, RST, 101 + 1 + (i << 23), 0);
		tcp(f, false, RST, 501 + 7 + (i << 23), 0);
		tcp(f, false, RSTACK, 501 + 7 + (i << 23), 101);
	}
	expect_unmoved(test, f, &before);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_RST_EVICT), 0U);
	/* all but the few that fell in the 64 KiB window are invalid */
	KUNIT_EXPECT_GE(test, stat(f, CTLITE_STAT_INVALID), 3U * 510U);
	/* and the connection goes on */
	tcp_data(f, true, ACK, 101, 501, 100);
	KUNIT_EXPECT_EQ(test, entry(f, IPPROTO_TCP, 0)->tcp.end[1], 201U);
}

/*
 * The ACK sweep: acknowledgments across the whole sequence space with an
 * in-window sequence number, trying to set the point an RST must hit.  An
 * acknowledgment of what the server never sent is invalid, so the point
 * stays the genuine one, and no RST at any of the swept values ends the
 * flow.
 */
static void ack_sweeps_cannot_set_the_rst_point(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_entry *e;
	unsigned int i, server_end;

	handshake(test, f);
	e = entry(f, IPPROTO_TCP, 0);
	server_end = e->tcp.end[0];
	for (i = 0; i < 65536; i++)
		tcp(f, true, ACK, 101, 501 + 7 + (i << 16));
	/* acknowledgments of the server's data never pass what it sent */
	KUNIT_EXPECT_EQ(test, e->tcp.acked[0], 501U);
	KUNIT_EXPECT_EQ(test, e->tcp.end[0], server_end);
	for (i = 0; i < 65536; i += 97)
		tcp(f, false, RST, 501 + 7 + (i << 16), 0);
	KUNIT_EXPECT_NOT_NULL(test, entry(f, IPPROTO_TCP, 0));
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_RST_EVICT), 0U);
	KUNIT_EXPECT_STREQ(test, ctlite_tcp_state_name(e->state), "ESTABLISHED");
}

/* xorshift32, for forged segments the same on every run */
static u32 next_rand(u32 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/*
 * What an off-path host that knows the addresses and ports sends: FINs,
 * ACKs, SYNs and RSTs with random sequence and acknowledgment numbers,
 * from either side.  One FIN used to take an established flow to
 * FIN_WAIT, and FIN, FIN, ACK, SYN replaced the entry.  Now none of
 * 40,000 moves the state, the windows or the deadline.
 */
static void forged_segments_move_nothing(struct kunit *test)
{
	static const u8 kinds[] = { FINACK, ACK, SYN, RST, RSTACK, SYNACK };
	struct fixture *f = fixture(test, 64, 100);
	struct snapshot before;
	u32 rnd = 2024;
	unsigned int i;

	handshake(test, f);
	tcp_data(f, true, ACK, 101, 501, 100);
	tcp(f, false, ACK, 501, 201);
	f->now += SECS(1);
	snap(f, &before);
	for (i = 0; i < 40000; i++) {
		struct ctlite_pkt pkt = {
			.tcp_flags = kinds[i % ARRAY_SIZE(kinds)],
			.seq = next_rand(&rnd),
			.ack = next_rand(&rnd),
			.win = next_rand(&rnd),
			.len = next_rand(&rnd) % 1461,
			.wscale = CTLITE_WSCALE_NONE,
		};

		send_pkt(f, IPPROTO_TCP, 0, (i / ARRAY_SIZE(kinds)) & 1, &pkt);
	}
	expect_unmoved(test, f, &before);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_RST_EVICT), 0U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_NEW), 1U);
	/* the genuine endpoints carry on */
	tcp(f, true, FINACK, 201, 501);
	KUNIT_EXPECT_STREQ(test, ctlite_tcp_state_name(entry(f, IPPROTO_TCP, 0)->state),
			   "FIN_WAIT");
}

/*
 * The window moves with data and acknowledgments, scaled as both SYNs
 * agreed: what the server's window allows is accepted, beyond it invalid.
 */
static void window_scaling_bounds_what_a_side_may_send(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_pkt syn = { .tcp_flags = SYN, .seq = 100, .win = WIN, .wscale = 7 };
	struct ctlite_pkt synack = { .tcp_flags = SYNACK, .seq = 500, .ack = 101,
				     .win = 1000, .wscale = 7 };
	struct ctlite_pkt ack = { .tcp_flags = ACK, .seq = 501, .ack = 101, .win = 1000 };
	struct ctlite_entry *e;

	send_pkt(f, IPPROTO_TCP, 0, true, &syn);
	send_pkt(f, IPPROTO_TCP, 0, false, &synack);
	e = entry(f, IPPROTO_TCP, 0);
	KUNIT_ASSERT_NOT_NULL(test, e);
	/* a SYN-ACK's window is never scaled */
	KUNIT_EXPECT_EQ(test, e->tcp.maxend[1], 101U + 1000U);
	tcp(f, true, ACK, 101, 501);
	/* the server grants 1000 << 7 */
	send_pkt(f, IPPROTO_TCP, 0, false, &ack);
	KUNIT_EXPECT_EQ(test, e->tcp.maxend[1], 101U + (1000U << 7));
	/* the client fills the window to its last byte: accepted */
	tcp_data(f, true, ACK, 101 + (1000U << 7) - 1460, 501, 1460);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_INVALID), 0U);
	/* a segment that starts past it is refused */
	tcp_data(f, true, ACK, 101 + (1000U << 7) + 1460 * 100, 501, 1460);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_INVALID), 1U);
}

/* Without a window scale from both sides, neither window is scaled */
static void one_sided_window_scale_scales_nothing(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_pkt syn = { .tcp_flags = SYN, .seq = 100, .win = WIN, .wscale = 7 };
	struct ctlite_pkt synack = { .tcp_flags = SYNACK, .seq = 500, .ack = 101,
				     .win = 1000, .wscale = CTLITE_WSCALE_NONE };
	struct ctlite_pkt ack = { .tcp_flags = ACK, .seq = 501, .ack = 101, .win = 1000 };
	struct ctlite_entry *e;

	send_pkt(f, IPPROTO_TCP, 0, true, &syn);
	send_pkt(f, IPPROTO_TCP, 0, false, &synack);
	tcp(f, true, ACK, 101, 501);
	send_pkt(f, IPPROTO_TCP, 0, false, &ack);
	e = entry(f, IPPROTO_TCP, 0);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->wscale, (u8)0);
	KUNIT_EXPECT_EQ(test, e->tcp.maxend[1], 101U + 1000U);
}

/*
 * Data acknowledged long ago, sent again (a retransmission from far
 * behind), is let through without effect, as nf_conntrack ignores it; an
 * acknowledgment of data the other side never sent is invalid.
 */
static void stale_segments_are_ignored_and_bogus_acks_invalid(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct snapshot before;
	u32 seq = 101;
	unsigned int i;

	handshake(test, f);
	/* 200 KB from the client, each acknowledged */
	for (i = 0; i < 200; i++, seq += 1000) {
		tcp_data(f, true, ACK, seq, 501, 1000);
		tcp(f, false, ACK, 501, seq + 1000);
	}
	f->now += SECS(1);
	snap(f, &before);
	tcp_data(f, true, ACK, 101, 501, 1000);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_INVALID), 0U);
	tcp(f, false, ACK, 501, seq + 5000);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_INVALID), 1U);
	expect_unmoved(test, f, &before);
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
	/* its window scales were never seen: windows move, unchecked */
	KUNIT_EXPECT_TRUE(test, e->flags & CTLITE_F_LIBERAL);
	tcp(f, false, ACK, 6000, 5000);
	expect_state(test, f, CTLITE_TCP_ESTABLISHED, 432000);
	KUNIT_EXPECT_TRUE(test, e->flags & CTLITE_F_ASSURED);
	/* an RST must still be exact */
	tcp(f, true, RST, 5001, 0);
	KUNIT_EXPECT_NOT_NULL(test, entry(f, IPPROTO_TCP, 0));
	tcp(f, true, RST, 5000, 0);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_TCP, 0));
}

/*
 * nf_conntrack's UDP: answered, a flow is a stream (ASSURED, with the
 * stream timeout) only if still active 2 s after its first packet
 */
static void udp_is_a_stream_only_when_active_after_2s(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_entry *e;

	udp(f, 0, true);
	e = entry(f, IPPROTO_UDP, 0);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->deadline, f->now + SECS(30));
	KUNIT_EXPECT_FALSE(test, e->flags & CTLITE_F_ASSURED);
	/* a DNS answer: replied, but early drop may still take it */
	f->now += SECS(1);
	udp(f, 0, false);
	KUNIT_EXPECT_TRUE(test, e->flags & CTLITE_F_REPLIED);
	KUNIT_EXPECT_FALSE(test, e->flags & CTLITE_F_ASSURED);
	KUNIT_EXPECT_EQ(test, e->deadline, f->now + SECS(30));
	/* its packets until then change no flag, but move the deadline on */
	f->now += SECS(1) - 1;
	udp(f, 0, true);
	KUNIT_EXPECT_FALSE(test, e->flags & CTLITE_F_ASSURED);
	KUNIT_EXPECT_EQ(test, e->deadline, f->now + SECS(30));
	/* 2 s after the first packet, still going: a stream */
	f->now += 1;
	udp(f, 0, true);
	KUNIT_EXPECT_TRUE(test, e->flags & CTLITE_F_ASSURED);
	KUNIT_EXPECT_EQ(test, e->deadline, f->now + SECS(120));
	ctlite_conf_set_timeout(&f->cn.conf, CTLITE_TO_UDP_STREAM, 7);
	udp(f, 0, true);
	KUNIT_EXPECT_EQ(test, e->deadline, f->now + SECS(7));
	KUNIT_EXPECT_EQ(test, ctlite_table_check(f->t), 0U);
}

static void icmp_echo_is_never_assured(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_entry *e;
	unsigned int i;

	for (i = 0; i < 5; i++) {
		send(f, IPPROTO_ICMP, 0, true, 0, 0, 0);
		send(f, IPPROTO_ICMP, 0, false, 0, 0, 0);
		f->now += SECS(1);
	}
	e = entry(f, IPPROTO_ICMP, 0);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_TRUE(test, e->flags & CTLITE_F_REPLIED);
	KUNIT_EXPECT_FALSE(test, e->flags & CTLITE_F_ASSURED);
	KUNIT_EXPECT_EQ(test, ctlite_table_check(f->t), 0U);
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

/*
 * With a time budget already spent, a run looks at the clock every
 * GC_CLOCK_EVERY (32) buckets and stops there
 */
static void gc_run_stops_at_its_time_budget(struct kunit *test)
{
	struct fixture *f = fixture(test, 1024, 1000);
	struct ctlite_gc_run run = {
		.budget_entries = UINT_MAX,
		.budget_ns = 1,
	};
	unsigned int runs = 0;

	run.now = f->now;
	do {
		ctlite_table_gc(f->t, &run);
		KUNIT_EXPECT_EQ(test, run.buckets, 32U);
		runs++;
	} while (!run.pass_done && runs < 100);
	KUNIT_EXPECT_EQ(test, runs, 1024U / 32U);
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

/*
 * Fill a table with @n UDP flows, the first @assured of them streams:
 * answered 2 s after their first packet (the clock moves on by 2 s then)
 */
static void fill(struct kunit *test, struct fixture *f, unsigned int n,
		 unsigned int assured)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, udp(f, i, true), (unsigned int)NF_ACCEPT);
	if (assured)
		f->now += SECS(2);
	for (i = 0; i < assured; i++) {
		udp(f, i, false);
		KUNIT_ASSERT_TRUE(test, entry(f, IPPROTO_UDP, i)->flags & CTLITE_F_ASSURED);
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

	flow_key(&k, ctlite_net_id(f->ns), IPPROTO_UDP, i, true);
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

static void a_full_chain_drops_the_new_flow(struct kunit *test)
{
	/* one bucket sized by hand far below its entries */
	struct fixture *f = fixture(test, 1, 1000);
	unsigned int i;

	for (i = 0; i < CTLITE_CHAIN_MAX; i++)
		KUNIT_ASSERT_EQ(test, udp(f, i, true), (unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, udp(f, 100, true), (unsigned int)NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_CHAIN_TOO_LONG), 1U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_EARLY_DROP), 0U);
	/* its flows still pass */
	KUNIT_EXPECT_EQ(test, udp(f, 5, false), (unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), CTLITE_CHAIN_MAX);
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
	ctlite_conf_set_max(f->t, 5);
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
 * One CPU's ACKs refresh an established flow's deadline while another's
 * FIN moves its state.  Whatever the interleaving, the deadline must be
 * the one of the state the flow ends in, never ESTABLISHED's 5 days left
 * on a closing flow.  (ACKs took no lock once; every TCP segment does
 * now, for its window, and this pins that no shortcut comes back wrong.)
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
	kunit_info(test, "%u flows: %u refreshes raced a FIN, %u ended in FIN_WAIT",
		   RACE_FLOWS, r.refreshes, fin_wait);
}

static void forget(struct kunit *test, struct fixture *f, unsigned int i)
{
	struct ctlite_entry *e = entry(f, IPPROTO_UDP, i);

	KUNIT_ASSERT_NOT_NULL(test, e);
	rcu_read_lock();
	ctlite_table_delete(f->t, e, 0);
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
	KUNIT_ASSERT_EQ(test, ctlite_conf_set_adaptive(&f->cn.conf, false, 0), 0);
	udp(f, 501, true);
	KUNIT_EXPECT_EQ(test, entry(f, IPPROTO_UDP, 501)->deadline, f->now + SECS(30));
}

/* What a new UDP flow @i gets to live, in jiffies: it is made with it */
static u32 new_udp_life(struct kunit *test, struct fixture *f, unsigned int i)
{
	struct ctlite_entry *e;

	KUNIT_EXPECT_EQ(test, udp(f, i, true), (unsigned int)NF_ACCEPT);
	e = entry(f, IPPROTO_UDP, i);
	KUNIT_ASSERT_NOT_NULL(test, e);
	return e->deadline - f->now;
}

/*
 * Packets compare the count with a threshold worked out when max or
 * adaptive_start is written: it must be exactly pf's rule, and move with
 * both at once
 */
static void adaptive_threshold_follows_max_and_start(struct kunit *test)
{
	/* 60% of 33 is 19.8: at 19 entries the full 30 s, at 20 less */
	struct fixture *f = fixture(test, 64, 33);

	fill(test, f, 19, 0);
	KUNIT_EXPECT_EQ(test, f->cn.conf.adaptive_from, 19U);
	KUNIT_EXPECT_EQ(test, new_udp_life(test, f, 100), SECS(30));
	KUNIT_EXPECT_EQ(test, new_udp_life(test, f, 101),
			ctlite_adaptive_scale(SECS(30), 20, 33, 60, 120));
	KUNIT_EXPECT_LT(test, ctlite_adaptive_scale(SECS(30), 20, 33, 60, 120),
			SECS(30));

	/* max raised: 21 entries are far below 60% of it */
	ctlite_conf_set_max(f->t, 1000);
	KUNIT_EXPECT_EQ(test, f->cn.conf.adaptive_from, 600U);
	KUNIT_EXPECT_EQ(test, new_udp_life(test, f, 102), SECS(30));
	/* and lowered again: 22 entries shrink lifetimes at once */
	ctlite_conf_set_max(f->t, 33);
	KUNIT_EXPECT_EQ(test, f->cn.conf.adaptive_from, 19U);
	KUNIT_EXPECT_EQ(test, new_udp_life(test, f, 103),
			ctlite_adaptive_scale(SECS(30), 22, 33, 60, 120));

	/* adaptive_start at 70%: 23.1 entries, so 23 keep the full 30 s */
	KUNIT_ASSERT_EQ(test, ctlite_conf_set_adaptive(&f->cn.conf, false, 70), 0);
	KUNIT_EXPECT_EQ(test, new_udp_life(test, f, 104), SECS(30));
	KUNIT_EXPECT_EQ(test, new_udp_life(test, f, 105),
			ctlite_adaptive_scale(SECS(30), 24, 33, 70, 120));

	/* a start not below the end is refused, and changes nothing */
	KUNIT_EXPECT_EQ(test, ctlite_conf_set_adaptive(&f->cn.conf, false, 120),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ctlite_conf_set_adaptive(&f->cn.conf, true, 70),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, f->cn.conf.adaptive_start, 70U);
	KUNIT_EXPECT_EQ(test, f->cn.conf.adaptive_end, 120U);
	KUNIT_EXPECT_EQ(test, f->cn.conf.adaptive_from, 23U);

	/* end off: nothing shrinks, however full */
	KUNIT_ASSERT_EQ(test, ctlite_conf_set_adaptive(&f->cn.conf, true, 0), 0);
	KUNIT_EXPECT_EQ(test, f->cn.conf.adaptive_from, U32_MAX);
	KUNIT_EXPECT_EQ(test, new_udp_life(test, f, 106), SECS(30));
}

/* Flows @first.. @first + @n - 1 of UDP, inserted directly as @ins says */
static void insert_udp_flows(struct fixture *f, unsigned int first,
			     unsigned int n, struct ctlite_insert *ins)
{
	struct ctlite_key k;
	unsigned int i;

	rcu_read_lock();
	local_bh_disable();
	for (i = first; i < first + n; i++) {
		flow_key(&k, ctlite_net_id(f->ns), IPPROTO_UDP, i, true);
		ctlite_table_insert(f->t, &k, ctlite_table_hash(f->t, &k), ins);
	}
	local_bh_enable();
	rcu_read_unlock();
}

/*
 * Entries of the GC's large-table case: enough for hundreds of runs, each
 * ended by its 2 ms budget in a debug guest.  It was 100,000, and a
 * minute of the guest's time went to allocating and freeing them.
 */
#define GC_MANY 20000U

static void gc_frees_20k_expired_entries(struct kunit *test)
{
	struct fixture *f = fixture(test, 16384, GC_MANY);
	struct ctlite_gc_run run = {
		.budget_entries = CTLITE_GC_RUN_ENTRIES,
		.budget_ns = CTLITE_GC_RUN_NS,
	};
	u64 start, took, longest = 0, total;
	unsigned int i, runs = 0, expired = 0;
	struct ctlite_insert ins = { .deadline = T0 + SECS(30), .now = T0 };

	/*
	 * The read lock in slices: held over 100,000 inserts it made
	 * "rcu_sched self-detected stall" in one run of two in a debug guest
	 */
	for (i = 0; i < GC_MANY; i += 1000) {
		insert_udp_flows(f, i, 1000, &ins);
		cond_resched();
	}
	KUNIT_ASSERT_EQ(test, atomic_read(&f->t->count), GC_MANY);

	run.now = T0 + SECS(30);
	total = ktime_get_ns();
	do {
		start = ktime_get_ns();
		ctlite_table_gc(f->t, &run);
		took = ktime_get_ns() - start;
		longest = max(longest, took);
		expired += run.expired;
		runs++;
		/* a run ends with the bucket that reached its entry budget */
		KUNIT_EXPECT_LT(test, run.scanned, CTLITE_GC_RUN_ENTRIES + 32U);
	} while (!run.pass_done);
	total = ktime_get_ns() - total;
	KUNIT_EXPECT_EQ(test, expired, GC_MANY);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 0);
	KUNIT_EXPECT_GE(test, runs, GC_MANY / (CTLITE_GC_RUN_ENTRIES + 32U));
	/*
	 * Wall clock in a debug guest under TCG: a run is a few times its
	 * 2 ms budget at most; 100 times is a run that ignored it
	 */
	KUNIT_EXPECT_LT(test, longest, 100ULL * CTLITE_GC_RUN_NS);
	kunit_info(test, "GC freed %u expired entries in %llu us over %u runs; longest run %llu us\n",
		   GC_MANY, div_u64(total, NSEC_PER_USEC), runs,
		   div_u64(longest, NSEC_PER_USEC));
}

/* Give the fixture a container: a namespace capped at the table's share */
static void add_guest(struct kunit *test, struct fixture *f)
{
	f->guest.stats = alloc_percpu(struct ctlite_stats);
	/* a __percpu pointer: sparse forbids comparing it with NULL */
	KUNIT_ASSERT_FALSE(test, !f->guest.stats);
	ctlite_conf_init(&f->guest.conf, f->t, &f->cn.conf);
	KUNIT_ASSERT_EQ(test, ctlite_table_tenant_add(f->t, &f->guest.tenant,
						      4026532000U, true), 0);
	KUNIT_ASSERT_NE(test, f->guest.tenant.id, f->cn.tenant.id);
}

/* Entries of namespace @cn: its own count, which a walk must confirm */
static unsigned int ns_count(struct kunit *test, struct fixture *f,
			     struct ctlite_net *cn)
{
	unsigned int n = atomic_read(&cn->tenant.count);

	KUNIT_EXPECT_EQ(test, ctlite_table_count_net(f->t, ctlite_net_id(cn)), n);
	return n;
}

static void a_container_holds_only_its_share(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	unsigned int i;

	add_guest(test, f);
	KUNIT_EXPECT_EQ(test, ctlite_table_tenant_limit(f->t, &f->guest.tenant), 50U);
	KUNIT_EXPECT_EQ(test, ctlite_table_tenant_limit(f->t, &f->cn.tenant), 100U);

	/* the container fills its half, answered flows it keeps (no early drop) */
	f->ns = &f->guest;
	f->guest.conf.early_drop = 0;
	for (i = 0; i < 50; i++)
		KUNIT_ASSERT_EQ(test, udp(f, i, true), (unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, udp(f, 50, true), (unsigned int)NF_DROP);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_UDP, 50));
	KUNIT_EXPECT_EQ(test, ns_stat(&f->guest, CTLITE_STAT_DROP), 1U);
	KUNIT_EXPECT_EQ(test, ns_count(test, f, &f->guest), 50U);

	/* the host still has the other half, to the last entry */
	f->ns = &f->cn;
	for (i = 0; i < 50; i++)
		KUNIT_ASSERT_EQ(test, udp(f, i, true), (unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ns_count(test, f, &f->cn), 50U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 100);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_DROP), 0U);

	/* a share written lower admits nothing new and evicts nothing */
	WRITE_ONCE(f->t->share, 10);
	f->ns = &f->guest;
	f->guest.conf.early_drop = 1;
	KUNIT_EXPECT_EQ(test, udp(f, 60, true), (unsigned int)NF_DROP);
	KUNIT_EXPECT_EQ(test, ns_stat(&f->guest, CTLITE_STAT_EARLY_DROP), 0U);
	KUNIT_EXPECT_EQ(test, ns_count(test, f, &f->guest), 50U);

	/* the container goes: its entries with it, the host's stay */
	KUNIT_EXPECT_EQ(test, ctlite_table_tenant_del(f->t, &f->guest.tenant), 50U);
	f->guest.tenant.id = 0;
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 50);
	KUNIT_EXPECT_EQ(test, ns_count(test, f, &f->cn), 50U);
}

static void early_drop_never_takes_another_namespaces_entry(struct kunit *test)
{
	/* one chain: every candidate bucket holds both namespaces' entries */
	struct fixture *f = fixture(test, 1, 20);
	unsigned int i;

	add_guest(test, f);
	fill(test, f, 10, 0);
	f->ns = &f->guest;
	for (i = 0; i < 10; i++)
		KUNIT_ASSERT_EQ(test, udp(f, i, true), (unsigned int)NF_ACCEPT);
	KUNIT_ASSERT_EQ(test, atomic_read(&f->t->count), 20);

	/* a full table: each namespace makes room with its own entries */
	for (i = 100; i < 110; i++)
		KUNIT_EXPECT_EQ(test, udp(f, i, true), (unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ns_stat(&f->guest, CTLITE_STAT_EARLY_DROP), 10U);
	KUNIT_EXPECT_EQ(test, ns_count(test, f, &f->guest), 10U);
	f->ns = &f->cn;
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_NOT_NULL(test, entry(f, IPPROTO_UDP, i));

	/* the host's own entries are all ASSURED: nothing of its may go ... */
	f->now += SECS(2);
	for (i = 0; i < 10; i++)
		udp(f, i, false);
	KUNIT_EXPECT_EQ(test, udp(f, 200, true), (unsigned int)NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_EARLY_DROP), 0U);
	/* ... and the container's unassured ones are not the host's to take */
	KUNIT_EXPECT_EQ(test, ns_count(test, f, &f->guest), 10U);
	KUNIT_EXPECT_EQ(test, ns_count(test, f, &f->cn), 10U);

	/* expired entries a walk reaps give back their owners' counts */
	f->now += SECS(300);
	f->ns = &f->guest;
	KUNIT_EXPECT_EQ(test, udp(f, 300, true), (unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ns_count(test, f, &f->guest), 1U);
	KUNIT_EXPECT_EQ(test, ns_count(test, f, &f->cn), 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 1);
}

static void leaving_namespaces_are_flushed_in_one_walk(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	unsigned int i;

	add_guest(test, f);
	for (i = 0; i < 10; i++)
		udp(f, i, true);
	f->ns = &f->guest;
	for (i = 0; i < 20; i++)
		udp(f, i, true);
	/* marking alone deletes nothing: the namespace's exit does that */
	ctlite_table_tenant_leave(f->t, &f->guest.tenant);
	KUNIT_EXPECT_EQ(test, ns_count(test, f, &f->guest), 20U);
	KUNIT_EXPECT_EQ(test, ctlite_table_tenants_flush(f->t), 20U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 10);
	KUNIT_EXPECT_EQ(test, ns_count(test, f, &f->cn), 10U);
	/* its id is free: a new namespace gets it, with nothing in it */
	KUNIT_EXPECT_EQ(test, ctlite_table_count_net(f->t, f->guest.tenant.id), 0U);
	f->guest.tenant.id = 0;
	KUNIT_EXPECT_EQ(test, ctlite_table_check(f->t), 0U);
}

static void a_container_cannot_outlive_the_hosts_timeouts(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_entry *e;

	add_guest(test, f);
	f->ns = &f->guest;
	/* raised past the host's (a sysctl write refuses it; say it got in) */
	ctlite_conf_set_timeout(&f->guest.conf, CTLITE_TO_UDP, 3000);
	udp(f, 1, true);
	e = entry(f, IPPROTO_UDP, 1);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->deadline - f->now, SECS(30));

	/* lower than the host's: its own */
	ctlite_conf_set_timeout(&f->guest.conf, CTLITE_TO_UDP, 5);
	udp(f, 1, true);
	KUNIT_EXPECT_EQ(test, e->deadline - f->now, SECS(5));

	/* the host lowers its own below: that bounds the container at once */
	ctlite_conf_set_timeout(&f->guest.conf, CTLITE_TO_UDP, 30);
	ctlite_conf_set_timeout(&f->cn.conf, CTLITE_TO_UDP, 3);
	udp(f, 1, true);
	KUNIT_EXPECT_EQ(test, e->deadline - f->now, SECS(3));

	/* and raises it again: the container's own 30 s are back */
	ctlite_conf_set_timeout(&f->cn.conf, CTLITE_TO_UDP, 300);
	udp(f, 1, true);
	KUNIT_EXPECT_EQ(test, e->deadline - f->now, SECS(30));
	KUNIT_EXPECT_EQ(test, f->guest.conf.timeout[CTLITE_TO_UDP], 30U);
}

/* What the tracking hook makes of a segment of flow 0; nothing confirmed */
static struct ctlite_res track_only(struct fixture *f, bool from_client, u8 flags,
				    u32 seq, u32 ack)
{
	struct ctlite_pkt pkt = {
		.tcp_flags = flags, .seq = seq, .ack = ack, .win = WIN,
		.wscale = CTLITE_WSCALE_NONE,
	};
	struct ctlite_res res;
	struct ctlite_key k;

	pkt.src_is_1 = flow_key(&k, ctlite_net_id(f->ns), IPPROTO_TCP, 0, from_client);
	rcu_read_lock();
	local_bh_disable();
	ctlite_track_pkt(f->t, f->ns, &k, &pkt, f->now, &res);
	local_bh_enable();
	rcu_read_unlock();
	return res;
}

static void expect_res(struct kunit *test, struct ctlite_res res, u8 state,
		       bool reply)
{
	KUNIT_EXPECT_EQ(test, res.state, state);
	KUNIT_EXPECT_EQ(test, res.reply, reply);
}

/*
 * The states a rule sees, on nf_conntrack's terms: NEW until answered,
 * then ESTABLISHED both ways; what does not fit the flow is INVALID
 */
static void rule_states_follow_nf_conntrack(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_res res;

	/* a SYN-ACK or a FIN without an entry: INVALID, nothing made */
	expect_res(test, track_only(f, false, SYNACK, 500, 101), CTLITE_CT_INVALID, false);
	expect_res(test, track_only(f, true, FINACK, 100, 1), CTLITE_CT_INVALID, false);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_TCP, 0));

	res = track_only(f, true, SYN, 100, 0);
	expect_res(test, res, CTLITE_CT_NEW, false);
	KUNIT_EXPECT_TRUE(test, res.confirm);
	tcp(f, true, SYN, 100, 0);
	/* a retransmitted SYN: still NEW, and its entry is there */
	res = track_only(f, true, SYN, 100, 0);
	expect_res(test, res, CTLITE_CT_NEW, false);
	KUNIT_EXPECT_FALSE(test, res.confirm);

	res = track_only(f, false, SYNACK, 500, 101);
	expect_res(test, res, CTLITE_CT_ESTABLISHED, true);
	KUNIT_EXPECT_TRUE(test, res.flags & CTLITE_F_REPLIED);
	KUNIT_EXPECT_FALSE(test, res.flags & CTLITE_F_ASSURED);
	res = track_only(f, true, ACK, 101, 501);
	expect_res(test, res, CTLITE_CT_ESTABLISHED, false);
	KUNIT_EXPECT_TRUE(test, res.flags & CTLITE_F_ASSURED);

	/* out of the window, and an ACK of what was never sent */
	expect_res(test, track_only(f, true, RST, 101 + (1U << 30), 0),
		   CTLITE_CT_INVALID, false);
	expect_res(test, track_only(f, false, ACK, 501, 101 + (1U << 20)),
		   CTLITE_CT_INVALID, false);
	/* the exact RST ends the flow, and belongs to it */
	expect_res(test, track_only(f, false, RST, 501, 0), CTLITE_CT_ESTABLISHED, true);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_TCP, 0));
}

/*
 * A first packet the firewall drops never reaches confirmation: it makes
 * no entry, and is counted as unconfirmed until one does
 */
static void a_filtered_first_packet_leaves_no_entry(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_pkt pkt = {
		.tcp_flags = SYN, .seq = 100, .win = WIN,
		.wscale = CTLITE_WSCALE_NONE,
	};
	unsigned int i, verdict;
	struct ctlite_key k;

	for (i = 0; i < 3; i++)
		expect_res(test, track_only(f, true, SYN, 100, 0), CTLITE_CT_NEW, false);
	KUNIT_EXPECT_NULL(test, entry(f, IPPROTO_TCP, 0));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->t->count), 0);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_UNCONFIRMED), 3U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_NEW), 0U);

	/* the fourth gets through */
	expect_res(test, track_only(f, true, SYN, 100, 0), CTLITE_CT_NEW, false);
	pkt.src_is_1 = flow_key(&k, ctlite_net_id(f->ns), IPPROTO_TCP, 0, true);
	rcu_read_lock();
	local_bh_disable();
	verdict = ctlite_confirm(f->t, f->ns, &k, &pkt, f->now);
	local_bh_enable();
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, verdict, (unsigned int)NF_ACCEPT);
	KUNIT_ASSERT_NOT_NULL(test, entry(f, IPPROTO_TCP, 0));
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_NEW), 1U);
	KUNIT_EXPECT_EQ(test, stat(f, CTLITE_STAT_UNCONFIRMED), 3U);
	expect_state(test, f, CTLITE_TCP_SYN_SENT, 120);
}

/* An ICMP error quoting a packet of a tracked flow is RELATED to it */
static void icmp_error_is_related_to_the_flow_it_quotes(struct kunit *test)
{
	struct fixture *f = fixture(test, 64, 100);
	struct ctlite_pkt quoted = {};
	struct ctlite_res res;
	struct ctlite_key k;

	/* the client's SYN, quoted by an error on its way back to the client */
	quoted.src_is_1 = flow_key(&k, ctlite_net_id(f->ns), IPPROTO_TCP, 0, true);
	rcu_read_lock();
	ctlite_related(f->t, &k, &quoted, f->now, &res);
	rcu_read_unlock();
	expect_res(test, res, CTLITE_CT_INVALID, false);

	tcp(f, true, SYN, 100, 0);
	rcu_read_lock();
	ctlite_related(f->t, &k, &quoted, f->now, &res);
	rcu_read_unlock();
	expect_res(test, res, CTLITE_CT_RELATED, true);

	/* the server's SYN-ACK quoted on its way back to the server */
	tcp(f, false, SYNACK, 500, 101);
	quoted.src_is_1 = flow_key(&k, ctlite_net_id(f->ns), IPPROTO_TCP, 0, false);
	rcu_read_lock();
	ctlite_related(f->t, &k, &quoted, f->now, &res);
	rcu_read_unlock();
	expect_res(test, res, CTLITE_CT_RELATED, false);

	/* the flow gone by: nothing to be related to */
	f->now += SECS(61);
	rcu_read_lock();
	ctlite_related(f->t, &k, &quoted, f->now, &res);
	rcu_read_unlock();
	expect_res(test, res, CTLITE_CT_INVALID, false);
}

static struct kunit_case lifetime_cases[] = {
	KUNIT_CASE(tcp_follows_nf_conntrack_states_and_timeouts),
	KUNIT_CASE(rst_evicts_entry_at_once),
	KUNIT_CASE(rst_evict_off_closes_entry_for_timeout_tcp_close),
	KUNIT_CASE(rst_ends_a_flow_only_at_the_exact_sequence_number),
	KUNIT_CASE(rst_after_unacknowledged_data_is_exact),
	KUNIT_CASE(rst_sweeps_in_8mib_steps_end_nothing),
	KUNIT_CASE(ack_sweeps_cannot_set_the_rst_point),
	KUNIT_CASE(forged_segments_move_nothing),
	KUNIT_CASE(window_scaling_bounds_what_a_side_may_send),
	KUNIT_CASE(one_sided_window_scale_scales_nothing),
	KUNIT_CASE(stale_segments_are_ignored_and_bogus_acks_invalid),
	KUNIT_CASE(refused_connection_rst_evicts),
	KUNIT_CASE(syn_on_time_wait_starts_fresh_flow),
	KUNIT_CASE(stray_segments_make_no_entry),
	KUNIT_CASE(picked_up_flow_is_assured_by_an_answer),
	KUNIT_CASE(udp_is_a_stream_only_when_active_after_2s),
	KUNIT_CASE(icmp_echo_is_never_assured),
	KUNIT_CASE(entry_expires_exactly_at_its_deadline),
	KUNIT_CASE(lookup_reaps_expired_entry_and_starts_anew),
	KUNIT_CASE(gc_frees_only_expired_entries),
	KUNIT_CASE(gc_run_stops_at_its_entry_budget),
	KUNIT_CASE(gc_run_stops_at_its_time_budget),
	KUNIT_CASE(early_drop_takes_unassured_entry_in_sparse_table),
	KUNIT_CASE(early_drop_finds_victims_behind_the_new_flow),
	KUNIT_CASE(early_drop_spares_assured_entries),
	KUNIT_CASE(early_drop_off_drops_new_flows),
	KUNIT_CASE(full_table_reaps_expired_entries_before_dropping),
	KUNIT_CASE(a_full_chain_drops_the_new_flow),
	KUNIT_CASE(lowered_max_admits_nothing_and_evicts_nothing),
	KUNIT_CASE(early_drop_keeps_admitting_under_concurrent_floods),
	KUNIT_CASE(closing_flow_never_keeps_established_deadline),
	KUNIT_CASE(fill_warnings_fire_once_per_crossing_and_rearm),
	KUNIT_CASE(top_sources_name_who_filled_the_table),
	KUNIT_CASE(adaptive_timeouts_scale_like_pf),
	KUNIT_CASE(adaptive_timeouts_apply_to_new_entries),
	KUNIT_CASE(adaptive_threshold_follows_max_and_start),
	KUNIT_CASE(a_container_holds_only_its_share),
	KUNIT_CASE(early_drop_never_takes_another_namespaces_entry),
	KUNIT_CASE(a_container_cannot_outlive_the_hosts_timeouts),
	KUNIT_CASE(leaving_namespaces_are_flushed_in_one_walk),
	KUNIT_CASE(rule_states_follow_nf_conntrack),
	KUNIT_CASE(a_filtered_first_packet_leaves_no_entry),
	KUNIT_CASE(icmp_error_is_related_to_the_flow_it_quotes),
	KUNIT_CASE(gc_frees_20k_expired_entries),
	{}
};

static struct kunit_suite lifetime_suite = {
	.name = "ctlite_lifetime",
	.init = lifetime_init,
	.exit = lifetime_exit,
	.test_cases = lifetime_cases,
};

kunit_test_suites(&lifetime_suite);
