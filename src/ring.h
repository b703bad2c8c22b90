/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The result ring: what tracking made of the last few packets a CPU saw,
 * kept for their confirmation and the rules that ask, without a field in
 * the skb (skb->_nfct is nf_conntrack's).  hooks.c keeps one ring per
 * CPU; the KUnit suite (tests/kunit/ring_test.c) tests these functions on
 * a ring of its own.
 *
 * A slot is keyed by the skb's address and the namespace (its struct net,
 * which the hooks have at hand without a look into the namespace's
 * state): a veth pair hands one skb from namespace to namespace, and an
 * skb's address comes back soon after it is freed.  It is written at the
 * oldest slot and searched newest first, so an older slot at the same
 * address is evicted before a newer one and never found while the newer
 * is there.
 *
 * A packet sent from process context is tracked at LOCAL_OUT and
 * confirmed at POST_ROUTING by the sending task, which may move to
 * another CPU between the two, where a slot of an older packet at the
 * same address may wait.  So a slot also holds the task that was running
 * (in softirq context, the one interrupted) and how many times it had
 * been switched out: a task never switched out since never left the CPU,
 * so the slot was written on this very pass, for this very packet.  A
 * softirq run, which ends before its task is switched out, passes too.
 *
 * Locking: a ring is used with bottom halves off (ctlite_ring_enter()),
 * so no other packet runs on its CPU meanwhile.
 */
#ifndef _CTLITE_RING_H
#define _CTLITE_RING_H

#include <linux/bottom_half.h>
#include <linux/cache.h>
#include <linux/jiffies.h>
#include <linux/preempt.h>
#include <linux/sched.h>

#include <ctlite/ctlite.h>

enum {
	/*
	 * packets whose results a CPU keeps; a power of 2, so that an index
	 * counted down wraps right.  A NIC's driver hands the stack its
	 * packets in lists (GRO's, net.core.gro_normal_batch: 8 by
	 * default), and each list is tracked whole at PRE_ROUTING before
	 * its first packet is filtered and confirmed (ip_sublist_rcv()):
	 * 16 (2 KB a CPU) holds such a list and the packets its packets
	 * cause (an ACK, an ICMP error) meanwhile.  Four slots, enough for
	 * one packet and those it causes, had half of each list of 8 looked
	 * up again.
	 */
	CTLITE_RING_SLOTS = 16,
	/* a result older than this (jiffies) belongs to a packet long gone */
	CTLITE_RING_TTL = 2,
};

/*
 * One packet's result.  @key, its @hash and @pkt only when @res.confirm:
 * a new flow's first packet, which confirmation needs.  @task and
 * @switches: the task that was running when it was written (in softirq
 * context, the one interrupted) and how many times it had been switched
 * out.  Aligned to cache lines, which makes it 128 bytes (112 used): a
 * slot's address is then its index shifted, where 112 took three
 * instructions on every packet, and a slot never shares a line.
 */
struct ctlite_ring_slot {
	const struct sk_buff *skb;
	const struct net *net;
	unsigned long when;
	const struct task_struct *task;
	unsigned long switches;
	struct ctlite_res res;
	u32 hash;
	struct ctlite_key key;
	struct ctlite_pkt pkt;
} ____cacheline_aligned;

struct ctlite_ring {
	unsigned int next;	/* the slot to write next: the oldest */
	struct ctlite_ring_slot slot[CTLITE_RING_SLOTS];
};

static_assert(!(CTLITE_RING_SLOTS & (CTLITE_RING_SLOTS - 1)));

/*
 * Turn bottom halves off for the ring, unless they are (softirq, or a
 * caller's): return whether ctlite_ring_leave() must turn them back on
 */
static __always_inline bool ctlite_ring_enter(void)
{
	bool bh = !in_softirq();

	if (bh)
		local_bh_disable();
	return bh;
}

static __always_inline void ctlite_ring_leave(bool bh)
{
	if (bh)
		local_bh_enable();
}

/* Times the current task was switched out: it can change CPU only then */
static inline unsigned long ctlite_task_switches(void)
{
	return current->nvcsw + current->nivcsw;
}

/*
 * The newest slot of @skb in namespace @net among the older ones, or
 * NULL: ctlite_ring_find() checked the newest.  Newest first, so an older
 * slot at the same address (a packet freed since) is never found while a
 * newer one is there.  Bottom halves off.
 */
static noinline struct ctlite_ring_slot *
ctlite_ring_find_older(struct ctlite_ring *r, const struct sk_buff *skb,
		       const struct net *net)
{
	unsigned int i;

	for (i = 2; i <= CTLITE_RING_SLOTS; i++) {
		struct ctlite_ring_slot *s =
			&r->slot[(r->next - i) % CTLITE_RING_SLOTS];

		if (s->skb == skb && s->net == net)
			return s;
	}
	return NULL;
}

/*
 * Whether this packet's result in namespace @net is at hand: its slot in
 * *@sp.  A slot is this packet's only if the task that was running when
 * it was written still runs here and was never switched out since (see
 * the top of this file).  Inline, the newest slot first: a packet's
 * confirmation and rules come right after its tracking.  A test, not a
 * pointer that may be NULL: the newest slot's address is one the compiler
 * cannot prove non-NULL, so a caller's NULL check cost every packet a
 * test and a branch.  Bottom halves off.
 */
static __always_inline bool ctlite_ring_find(struct ctlite_ring *r,
					     const struct sk_buff *skb,
					     const struct net *net,
					     struct ctlite_ring_slot **sp)
{
	struct ctlite_ring_slot *s =
		&r->slot[(r->next - 1) % CTLITE_RING_SLOTS];

	if (unlikely(s->skb != skb || s->net != net)) {
		s = ctlite_ring_find_older(r, skb, net);
		if (!s)
			return false;
	}
	*sp = s;
	/*
	 * time_before() without its typecheck(), whose dummy variables
	 * CONFIG_INIT_STACK_ALL_ZERO cleared on the stack for every packet
	 */
	return (long)(jiffies - (s->when + CTLITE_RING_TTL)) < 0 &&
	       s->task == current && s->switches == ctlite_task_switches();
}

/*
 * Keep @skb's result in namespace @net, in the oldest slot; @key,
 * @hash and @pkt only when @res->confirm.  Bottom halves off.
 */
static __always_inline void ctlite_ring_put(struct ctlite_ring *r,
					    const struct sk_buff *skb,
					    const struct net *net,
					    const struct ctlite_res *res,
					    const struct ctlite_key *key,
					    u32 hash,
					    const struct ctlite_pkt *pkt)
{
	struct ctlite_ring_slot *s = &r->slot[r->next];

	r->next = (r->next + 1) % CTLITE_RING_SLOTS;
	s->skb = skb;
	s->net = net;
	s->when = jiffies;
	s->task = current;
	s->switches = ctlite_task_switches();
	s->res = *res;
	if (res->confirm) {
		s->key = *key;
		s->hash = hash;
		s->pkt = *pkt;
	}
}

#endif /* _CTLITE_RING_H */
