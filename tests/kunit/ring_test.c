// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the result ring (src/ring.h), on a ring of the test's
 * own: a packet finds its newest slot, never an older packet's at the same
 * address or another namespace's, also as one of a NIC's list of them;
 * and a slot is trusted only by the task that wrote it, never switched
 * out since, and only for CTLITE_RING_TTL.
 * The packets are never dereferenced: their addresses are the keys.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <ctlite/ctlite.h>

#include "../../src/ring.h"

/* Stand-ins for namespaces, as for skbs below: only addresses are read */
static const u8 nets[2];
#define NET_A	((const struct net *)&nets[0])
#define NET_B	((const struct net *)&nets[1])

/* net.core.gro_normal_batch's default: a NIC's list of received packets */
#define LIST_PKTS 8

/* Stand-ins for skbs: only their addresses are read */
static const u8 packets[2 * LIST_PKTS + CTLITE_RING_SLOTS];
#define SKB(i)	((const struct sk_buff *)&packets[i])

/* A result whose @flags tells which put made it */
static struct ctlite_res res_of(u8 tag, bool confirm)
{
	return (struct ctlite_res){
		.state = CTLITE_CT_ESTABLISHED,
		.confirm = confirm,
		.flags = tag,
	};
}

static void put(struct ctlite_ring *r, const struct sk_buff *skb,
		const struct net *net, u8 tag)
{
	struct ctlite_res res = res_of(tag, false);
	bool bh = ctlite_ring_enter();

	ctlite_ring_put(r, skb, net, &res, NULL, 0, NULL);
	ctlite_ring_leave(bh);
}

/* The tag of @skb's slot as this task finds it, or -1 for none */
static int get(struct ctlite_ring *r, const struct sk_buff *skb,
	       const struct net *net)
{
	struct ctlite_ring_slot *s;
	bool bh = ctlite_ring_enter();
	int tag = -1;

	if (ctlite_ring_find(r, skb, net, &s))
		tag = s->res.flags;
	ctlite_ring_leave(bh);
	return tag;
}

static struct ctlite_ring *new_ring(struct kunit *test)
{
	struct ctlite_ring *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	return r;
}

/*
 * The finds below run with bottom halves off from the first put to the
 * last get (the helpers' own ctlite_ring_enter() nests): a task that is
 * preempted between them is rightly refused its slots.  Expectations
 * are checked after, outside.
 */

/* A packet finds its own result; another address or namespace does not */
static void ring_finds_its_packet(struct kunit *test)
{
	struct ctlite_ring *r = new_ring(test);
	bool bh = ctlite_ring_enter();
	int got[6];

	put(r, SKB(0), NET_A, 1);
	put(r, SKB(1), NET_A, 2);
	got[0] = get(r, SKB(1), NET_A);
	/* an older slot, past the inline check of the newest */
	got[1] = get(r, SKB(0), NET_A);
	got[2] = get(r, SKB(2), NET_A);
	/* one skb handed over a veth pair into another namespace */
	got[3] = get(r, SKB(0), NET_B);
	put(r, SKB(0), NET_B, 3);
	got[4] = get(r, SKB(0), NET_B);
	got[5] = get(r, SKB(0), NET_A);
	ctlite_ring_leave(bh);
	KUNIT_EXPECT_EQ(test, got[0], 2);
	KUNIT_EXPECT_EQ(test, got[1], 1);
	KUNIT_EXPECT_EQ(test, got[2], -1);
	KUNIT_EXPECT_EQ(test, got[3], -1);
	KUNIT_EXPECT_EQ(test, got[4], 3);
	KUNIT_EXPECT_EQ(test, got[5], 1);
}

/*
 * An address reused by a later packet: its newest slot is found, and the
 * older one is evicted first, so it is never found in the newer's place
 */
static void ring_newest_first(struct kunit *test)
{
	struct ctlite_ring *r = new_ring(test);
	int got[CTLITE_RING_SLOTS + 3];
	unsigned int i, n = 0;
	bool bh = ctlite_ring_enter();

	put(r, SKB(0), NET_A, 1);
	put(r, SKB(0), NET_A, 2);
	got[n++] = get(r, SKB(0), NET_A);
	put(r, SKB(1), NET_A, 3);
	got[n++] = get(r, SKB(0), NET_A);
	/* fill the rest: tag 1's slot is the oldest and goes first */
	for (i = 0; i < CTLITE_RING_SLOTS - 2; i++) {
		put(r, SKB(2 + i), NET_A, 4 + i);
		got[n++] = get(r, SKB(0), NET_A);
	}
	/* tag 2's slot goes next: nothing of SKB(0) is left */
	put(r, SKB(CTLITE_RING_SLOTS), NET_A, 99);
	got[n++] = get(r, SKB(0), NET_A);
	got[n++] = get(r, SKB(CTLITE_RING_SLOTS), NET_A);
	ctlite_ring_leave(bh);
	for (i = 0; i < n - 2; i++)
		KUNIT_EXPECT_EQ_MSG(test, got[i], 2, "find %u", i);
	KUNIT_EXPECT_EQ(test, got[n - 2], -1);
	KUNIT_EXPECT_EQ(test, got[n - 1], 99);
}

/*
 * A NIC's list: every packet of it is tracked before the first is
 * filtered and confirmed (ip_sublist_rcv()), and each of them may cause
 * a packet of its own (an answer, tracked and confirmed at once) before
 * the next is confirmed.  Each still finds its own slot, not a slot an
 * earlier list left at its address.
 */
static void ring_holds_a_receive_list(struct kunit *test)
{
	struct ctlite_ring *r = new_ring(test);
	unsigned int i, lost = 0, answers_lost = 0;
	int got[2 * LIST_PKTS];
	bool bh = ctlite_ring_enter();

	/* the list before, at the same addresses */
	for (i = 0; i < LIST_PKTS; i++)
		put(r, SKB(i), NET_A, 100 + i);
	for (i = 0; i < LIST_PKTS; i++)
		put(r, SKB(i), NET_A, 1 + i);
	for (i = 0; i < LIST_PKTS; i++) {
		got[2 * i] = get(r, SKB(i), NET_A);
		put(r, SKB(LIST_PKTS + i), NET_A, 50 + i);
		got[2 * i + 1] = get(r, SKB(LIST_PKTS + i), NET_A);
	}
	ctlite_ring_leave(bh);
	/* one line for the whole list: a KUnit case keeps only 512 bytes */
	for (i = 0; i < LIST_PKTS; i++) {
		if (got[2 * i] != 1 + i)
			lost |= BIT(i);
		if (got[2 * i + 1] != 50 + i)
			answers_lost |= BIT(i);
	}
	KUNIT_EXPECT_EQ_MSG(test, lost, 0U, "packets not found (bit per packet)");
	KUNIT_EXPECT_EQ_MSG(test, answers_lost, 0U, "answers not found");
}

/* Only a new flow's first packet stores what confirmation needs */
static void ring_keeps_confirm_data(struct kunit *test)
{
	struct ctlite_ring *r = new_ring(test);
	struct ctlite_res res = res_of(7, true);
	struct ctlite_pkt pkt = { .src_is_1 = true };
	struct ctlite_ring_slot *s;
	struct ctlite_key key;
	bool bh, found;

	/* the key's own namespace id: any, the ring only copies the key */
	ctlite_key_init(&key, 501, AF_INET, IPPROTO_UDP);
	key.port[0] = htons(1234);
	bh = ctlite_ring_enter();
	ctlite_ring_put(r, SKB(0), NET_A, &res, &key, 0xabcd, &pkt);
	found = ctlite_ring_find(r, SKB(0), NET_A, &s);
	ctlite_ring_leave(bh);
	KUNIT_ASSERT_TRUE(test, found);
	/* the slot stays in the test's ring: read it now */
	KUNIT_EXPECT_TRUE(test, s->res.confirm);
	KUNIT_EXPECT_EQ(test, s->hash, 0xabcdU);
	KUNIT_EXPECT_EQ(test, memcmp(&s->key, &key, sizeof(key)), 0);
	KUNIT_EXPECT_TRUE(test, s->pkt.src_is_1);
}

/* A result older than CTLITE_RING_TTL belongs to a packet long gone */
static void ring_result_expires(struct kunit *test)
{
	struct ctlite_ring *r = new_ring(test);
	struct ctlite_ring_slot *s = &r->slot[r->next];
	bool bh = ctlite_ring_enter();
	int got[2];

	put(r, SKB(0), NET_A, 1);
	got[0] = get(r, SKB(0), NET_A);
	s->when -= CTLITE_RING_TTL;
	got[1] = get(r, SKB(0), NET_A);
	ctlite_ring_leave(bh);
	KUNIT_EXPECT_EQ(test, got[0], 1);
	KUNIT_EXPECT_EQ(test, got[1], -1);
}

/*
 * A task switched out since it wrote a slot may have moved CPU, and must
 * not trust the ring: here it sleeps, which switches it out
 */
static void ring_task_switched_out(struct kunit *test)
{
	struct ctlite_ring *r = new_ring(test);
	bool bh = ctlite_ring_enter();
	int found;

	put(r, SKB(0), NET_A, 1);
	found = get(r, SKB(0), NET_A);
	ctlite_ring_leave(bh);
	KUNIT_EXPECT_EQ(test, found, 1);
	usleep_range(1000, 2000);
	KUNIT_EXPECT_EQ(test, get(r, SKB(0), NET_A), -1);
}

struct other_put {
	struct work_struct work;
	struct ctlite_ring *ring;
};

static void other_put_fn(struct work_struct *work)
{
	struct other_put *op = container_of(work, struct other_put, work);

	put(op->ring, SKB(0), NET_A, 1);
}

/*
 * A slot another task wrote is never this task's packet, even where the
 * two tasks' switch counts happen to agree
 */
static void ring_other_task(struct kunit *test)
{
	struct ctlite_ring *r = new_ring(test);
	struct other_put op = { .ring = r };
	struct ctlite_ring_slot *s = &r->slot[r->next];
	int got[2];
	bool bh;

	INIT_WORK_ONSTACK(&op.work, other_put_fn);
	schedule_work(&op.work);
	flush_work(&op.work);
	destroy_work_on_stack(&op.work);
	KUNIT_ASSERT_PTR_EQ(test, s->skb, SKB(0));
	KUNIT_EXPECT_PTR_NE(test, s->task, (const struct task_struct *)current);
	bh = ctlite_ring_enter();
	/* all but the task as if this task had just written it */
	s->when = jiffies;
	s->switches = ctlite_task_switches();
	got[0] = get(r, SKB(0), NET_A);
	/* the task was all that kept it: as this task's, it is found */
	s->task = current;
	got[1] = get(r, SKB(0), NET_A);
	ctlite_ring_leave(bh);
	KUNIT_EXPECT_EQ(test, got[0], -1);
	KUNIT_EXPECT_EQ(test, got[1], 1);
}

static struct kunit_case ring_cases[] = {
	KUNIT_CASE(ring_finds_its_packet),
	KUNIT_CASE(ring_newest_first),
	KUNIT_CASE(ring_holds_a_receive_list),
	KUNIT_CASE(ring_keeps_confirm_data),
	KUNIT_CASE(ring_result_expires),
	KUNIT_CASE(ring_task_switched_out),
	KUNIT_CASE(ring_other_task),
	{}
};

static struct kunit_suite ring_suite = {
	.name = "ctlite_ring",
	.test_cases = ring_cases,
};

kunit_test_suites(&ring_suite);
