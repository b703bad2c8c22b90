// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks, in each network namespace:
 *
 * - tracking, at PRE_ROUTING (received and forwarded) and LOCAL_OUT (sent
 *   by this host), just after nf_nat's destination NAT: every IPv4 and
 *   IPv6 packet is parsed and moves its flow on (ctlite_track_pkt());
 * - confirmation, at LOCAL_IN and POST_ROUTING, just before nf_nat's
 *   source NAT: the first packet of a new flow makes its entry only here,
 *   once the host's filter has let it through (ctlite_confirm()).
 *
 * Between the two, NAT has changed nothing a key holds: a flow's original
 * direction is keyed after DNAT, its replies before their reverse SNAT,
 * so a translated connection keeps one entry that sees both directions.
 * Looped-back packets are tracked and confirmed on their way out only.
 * Packets the raw table exempted (CT --notrack, nft notrack) are left
 * alone.  A fragment is reassembled at the tracking hook, and the whole
 * datagram tracked (defrag.c).
 *
 * What tracking made of a packet is kept for the rules that ask
 * (__ctlite_skb_ring_res()) and for confirmation in a small ring per CPU
 * (ring.h): a packet's slot is trusted only by the task that wrote it,
 * never switched out since.  Otherwise, and for a rule at PRE_ROUTING
 * (before tracking), the packet's state is looked up again.
 *
 * Runs under the RCU read lock netfilter holds around hooks; entries
 * found under it stay valid until we return.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/lockdep.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>

#include <ctlite/compat.h>
#include <ctlite/ctlite.h>

#include "ring.h"

static DEFINE_PER_CPU(struct ctlite_ring, ctlite_ring);

/* Exempted from tracking in the raw table: nf_conntrack's mark, read only */
static bool skb_untracked(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	return skb->_nfct == IP_CT_UNTRACKED;
#else
	return false;
#endif
}

/* Looped back: tracked and confirmed when it left */
static bool looped(const struct nf_hook_state *state)
{
	return state->in && (state->in->flags & IFF_LOOPBACK);
}

/*
 * What a packet is, at the tracking hook (@track, which also gives the
 * key's @hash when @res->confirm is set) or, read only, for a rule that
 * has no result at hand.  Inline: the tracking hook runs it for every
 * packet; the others call it out of line, through confirm_again() and
 * the match's ctlite_mt_slow() (res_again()).
 *
 * Return: false, with nothing filled in, for a fragment when @defrag:
 * the tracking hook's first look, which has it reassembled and looks
 * again (track_fragment()).  Otherwise true; a fragment is then one not
 * reassembled, ignored.
 */
static __always_inline bool
skb_state(const struct sk_buff *skb, u8 family, struct ctlite_net *cn,
	  bool track, bool defrag, struct ctlite_res *res,
	  struct ctlite_key *key, u32 *hash, struct ctlite_pkt *pkt)
{
	u32 now = (u32)jiffies;

	if (skb_untracked(skb)) {
		ctlite_res_none(res, CTLITE_CT_UNTRACKED);
		return true;
	}
	switch (ctlite_parse_skb(skb, family, ctlite_net_id(cn), key, pkt)) {
	case CTLITE_PARSE_OK:
		if (track)
			*hash = ctlite_track_pkt(ctlite_table, cn, key, pkt,
						 now, res);
		else
			ctlite_classify(ctlite_table, key, pkt, now, res);
		return true;
	case CTLITE_PARSE_INVALID:
		if (track)
			ctlite_stat_add(cn, CTLITE_STAT_INVALID, 1);
		ctlite_res_none(res, CTLITE_CT_INVALID);
		return true;
	case CTLITE_PARSE_FRAGMENT:
		if (defrag)
			return false;
		break;
	case CTLITE_PARSE_IGNORE:
		break;
	}
	switch (ctlite_parse_other(skb, family, ctlite_net_id(cn), key, pkt)) {
	case CTLITE_OTHER_ERROR:
		ctlite_related(ctlite_table, key, pkt, now, res);
		if (track)
			ctlite_stat_add(cn, res->state == CTLITE_CT_RELATED ?
					CTLITE_STAT_RELATED : CTLITE_STAT_IGNORE, 1);
		return true;
	case CTLITE_OTHER_NOCT:
		ctlite_res_none(res, CTLITE_CT_UNTRACKED);
		break;
	case CTLITE_OTHER_NONE:
		/* as nf_conntrack: what it cannot place is INVALID */
		ctlite_res_none(res, CTLITE_CT_INVALID);
		break;
	}
	if (track)
		ctlite_stat_add(cn, CTLITE_STAT_IGNORE, 1);
	return true;
}

/*
 * A fragment at the tracking hook: reassembled, the datagram is tracked
 * as any packet; kept to wait for the rest, the fragment goes no further.
 * Out of line, with a frame of its own: fragments are rare.
 */
static noinline unsigned int track_fragment(struct sk_buff *skb, u8 family,
					    const struct nf_hook_state *state,
					    struct ctlite_net *cn)
{
	struct ctlite_key key;
	struct ctlite_pkt pkt;
	struct ctlite_res res;
	unsigned int verdict;
	u32 hash = 0;

	verdict = ctlite_defrag(skb, family, state);
	if (verdict != NF_ACCEPT)
		return verdict;
	skb_state(skb, family, cn, true, false, &res, &key, &hash, &pkt);
	ctlite_ring_put(this_cpu_ptr(&ctlite_ring), skb, state->net, &res, &key,
			hash, &pkt);
	return NF_ACCEPT;
}

static __always_inline unsigned int
track_skb(struct sk_buff *skb, u8 family, const struct nf_hook_state *state)
{
	struct ctlite_net *cn = ctlite_pernet(state->net);
	/* filled by parsing before any read: no clearing for every packet */
	struct ctlite_key key __uninitialized;
	struct ctlite_pkt pkt __uninitialized;
	struct ctlite_res res;
	u32 hash = 0;
	bool bh;

	if (looped(state))
		return NF_ACCEPT;
	/*
	 * for the ring, and for the tracking too: a bucket lock taken with
	 * bottom halves off already need not turn them off again
	 */
	bh = ctlite_ring_enter();
	if (unlikely(!skb_state(skb, family, cn, true, true, &res, &key, &hash,
				&pkt))) {
		unsigned int verdict = track_fragment(skb, family, state, cn);

		ctlite_ring_leave(bh);
		return verdict;
	}
	ctlite_ring_put(this_cpu_ptr(&ctlite_ring), skb, state->net, &res, &key,
			hash, &pkt);
	ctlite_ring_leave(bh);
	return NF_ACCEPT;
}

/*
 * A packet whose result the ring does not hold: look again.  Out of line,
 * so the common case does not clear this stack frame.
 */
static noinline unsigned int confirm_again(struct sk_buff *skb, u8 family,
					   struct ctlite_net *cn)
{
	struct ctlite_key key;
	struct ctlite_pkt pkt;
	struct ctlite_res res;

	skb_state(skb, family, cn, false, false, &res, &key, NULL, &pkt);
	if (!res.confirm)
		return NF_ACCEPT;
	return ctlite_confirm(ctlite_table, cn, &key, &pkt, (u32)jiffies);
}

/*
 * confirm_skb() with bottom halves off.  The namespace's state is looked
 * up only for a packet that makes or looks up an entry, not for the
 * established packet the ring says is done.
 */
static __always_inline unsigned int
confirm_bh(struct sk_buff *skb, u8 family, const struct nf_hook_state *state)
{
	struct ctlite_ring_slot *s;

	if (!ctlite_ring_find(this_cpu_ptr(&ctlite_ring), skb, state->net, &s))
		return confirm_again(skb, family, ctlite_pernet(state->net));
	if (!s->res.confirm)
		return NF_ACCEPT;
	/* confirmed once: a second pass (a nested hook) finds it so */
	s->res.confirm = false;
	return ctlite_confirm_hashed(ctlite_table, ctlite_pernet(state->net),
				     &s->key, s->hash, &s->pkt, (u32)jiffies);
}

/*
 * confirm_skb() in a task, a packet this host sends (nf_conntrack
 * confirms there too): bottom halves off for the ring.  Out of line, so
 * the softirq's packet, nearly every one, needs no frame to turn them on
 * again after: its calls are its last word.
 */
static noinline unsigned int confirm_task(struct sk_buff *skb, u8 family,
					  const struct nf_hook_state *state)
{
	unsigned int verdict;
	bool bh = ctlite_ring_enter();

	verdict = confirm_bh(skb, family, state);
	ctlite_ring_leave(bh);
	return verdict;
}

static __always_inline unsigned int
confirm_skb(struct sk_buff *skb, u8 family, const struct nf_hook_state *state)
{
	if (looped(state))
		return NF_ACCEPT;
	if (likely(in_softirq()))
		return confirm_bh(skb, family, state);
	return confirm_task(skb, family, state);
}

/*
 * A rule's packet whose result the ring does not hold
 * (__ctlite_skb_ring_res()): its flow as the table has it now, as
 * confirm_again().  Call with RCU read lock (a netfilter hook's).
 */
static void res_again(const struct sk_buff *skb, u8 family,
		      struct ctlite_net *cn, struct ctlite_res *res)
{
	struct ctlite_key key;
	struct ctlite_pkt pkt;

	skb_state(skb, family, cn, false, false, res, &key, NULL, &pkt);
}

/*
 * What tracking made of a packet, for a rule, if this CPU still holds it:
 * the tracking hook's result for this very packet, from the ring, into
 * @res; false when it is not there.  A rule at PRE_ROUTING runs before
 * tracking (raw, mangle, nat: no table has a filter chain there), where
 * a slot at the packet's address can only be an older packet's, one the
 * filter dropped: a received packet's rule there always reads the table.
 * At LOCAL_OUT the filter runs after tracking; a raw or mangle rule there
 * may meet a slot of the same task's previous packet at that address
 * (one its OUTPUT rules dropped), the host's own.  Call with bottom halves
 * off: ctlite_skb_ring_res() turns them off.  Inline in the match
 * (match.c, built in this unit), which every rule that names it calls for
 * every packet.
 */
static __always_inline bool
__ctlite_skb_ring_res(const struct sk_buff *skb,
		      const struct nf_hook_state *state, struct ctlite_res *res)
{
	struct ctlite_ring_slot *s;

	lockdep_assert(in_softirq());
	if (state->hook == NF_INET_PRE_ROUTING ||
	    !ctlite_ring_find(this_cpu_ptr(&ctlite_ring), skb, state->net, &s))
		return false;
	*res = s->res;
	return true;
}

/* __ctlite_skb_ring_res() in any context */
static __always_inline bool
ctlite_skb_ring_res(const struct sk_buff *skb, const struct nf_hook_state *state,
		    struct ctlite_res *res)
{
	bool bh = ctlite_ring_enter(), found;

	found = __ctlite_skb_ring_res(skb, state, res);
	ctlite_ring_leave(bh);
	return found;
}

static unsigned int ctlite_track_ipv4(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return track_skb(skb, NFPROTO_IPV4, state);
}

static unsigned int ctlite_track_ipv6(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return track_skb(skb, NFPROTO_IPV6, state);
}

static unsigned int ctlite_confirm_ipv4(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	return confirm_skb(skb, NFPROTO_IPV4, state);
}

static unsigned int ctlite_confirm_ipv6(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	return confirm_skb(skb, NFPROTO_IPV6, state);
}

/*
 * Tracking just after destination NAT, confirmation just before source
 * NAT: see the top of this file.  The filter table (priority 0) runs
 * between them.
 */
static const struct nf_hook_ops ctlite_hook_ops[] = {
	{
		.hook = ctlite_track_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_NAT_DST + 1,
	},
	{
		.hook = ctlite_track_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_NAT_DST + 1,
	},
	{
		.hook = ctlite_confirm_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_NAT_SRC - 1,
	},
	{
		.hook = ctlite_confirm_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_NAT_SRC - 1,
	},
	{
		.hook = ctlite_track_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_NAT_DST + 1,
	},
	{
		.hook = ctlite_track_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_NAT_DST + 1,
	},
	{
		.hook = ctlite_confirm_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP6_PRI_NAT_SRC - 1,
	},
	{
		.hook = ctlite_confirm_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_NAT_SRC - 1,
	},
};

/**
 * ctlite_hooks_register() - start tracking a network namespace's packets
 * @net: the namespace
 *
 * Return: 0 or a negative errno from netfilter.
 */
int ctlite_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, ctlite_hook_ops,
				     ARRAY_SIZE(ctlite_hook_ops));
}

/**
 * ctlite_hooks_unregister() - stop tracking; no hook runs once this returns
 * @net: the namespace
 */
void ctlite_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, ctlite_hook_ops, ARRAY_SIZE(ctlite_hook_ops));
}
