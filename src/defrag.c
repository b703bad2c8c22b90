// SPDX-License-Identifier: GPL-2.0
/*
 * Reassembly of fragments, at the tracking hook.  A flow's packet is a
 * whole datagram, so the tracking hook has a fragment reassembled before
 * it tracks it, as nf_conntrack has nf_defrag_ipv4/ipv6 do in hooks of
 * their own at priority -400.  ctlite registers no such hook: netfilter's
 * walk to one more hook cost every packet, fragment or not, about 30
 * instructions (make bench-tbprof), where the parser tells a fragment
 * from a datagram at no cost.  So the rules that run before ctlite's
 * tracking (raw, mangle and nat's DNAT at PREROUTING and OUTPUT) see
 * fragments as they came, as on a host without a tracker, unless
 * nf_conntrack is loaded too and its hooks reassemble first; the filter
 * table, after tracking, sees datagrams either way.
 *
 * The queues are the kernel's own, ip_defrag()'s and nf_defrag_ipv6's
 * (nf_ct_frag6_gather()), keyed as nf_defrag keys them, so their limits
 * and timeouts are the usual sysctls (net.ipv4.ipfrag_*,
 * net.netfilter.nf_conntrack_frag6_*).  Bottom halves are off
 * throughout: the tracking hook's, in softirq or for its ring.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter.h>
#include <linux/netfilter_bridge.h>
#include <net/ip.h>
#include <net/ipv6_frag.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include <ctlite/compat.h>
#include <ctlite/ctlite.h>

/*
 * The queue user a fragment joins, as nf_defrag picks it: a bridged
 * packet's (br_netfilter), a received one's, or a sent one's
 */
static u32 defrag_user(const struct sk_buff *skb,
		       const struct nf_hook_state *state, u32 bridge_in,
		       u32 in, u32 out)
{
	if (nf_bridge_in_prerouting(skb))
		return bridge_in;
	return state->hook == NF_INET_PRE_ROUTING ? in : out;
}

static unsigned int defrag_ipv4(struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct sock *sk = skb->sk;
	u32 user = defrag_user(skb, state, IP_DEFRAG_CONNTRACK_BRIDGE_IN,
			       IP_DEFRAG_CONNTRACK_IN, IP_DEFRAG_CONNTRACK_OUT);

	/* a raw socket's own fragments, left alone as nf_defrag leaves them */
	if (sk && sk_fullsock(sk) && sk->sk_family == PF_INET &&
	    ctlite_sk_nodefrag(sk))
		return NF_ACCEPT;
	/* queued for the rest, or freed (too many, a bad one): ours no more */
	if (ip_defrag(state->net, skb, user))
		return NF_STOLEN;
	/* forwarded whole, it may be fragmented again on its way out */
	skb->ignore_df = 1;
	return NF_ACCEPT;
}

static unsigned int defrag_ipv6(struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	u32 user = defrag_user(skb, state, IP6_DEFRAG_CONNTRACK_BRIDGE_IN,
			       IP6_DEFRAG_CONNTRACK_IN, IP6_DEFRAG_CONNTRACK_OUT);
	int err;

	err = nf_ct_frag6_gather(state->net, skb, user);
	if (err == -EINPROGRESS)
		return NF_STOLEN;
	/* as nf_defrag_ipv6: a fragment it could not queue is dropped */
	return err ? NF_DROP : NF_ACCEPT;
}

/**
 * ctlite_defrag() - reassemble a fragment the tracking hook met
 * @skb: the fragment, first or not, as ctlite_parse_skb() found it
 * @family: NFPROTO_IPV4 or NFPROTO_IPV6
 * @state: the tracking hook's state: its namespace and hook
 *
 * Call with bottom halves off.
 *
 * Return: NF_ACCEPT with @skb the whole datagram, or with @skb as it
 * came when it is not to be reassembled (IP_NODEFRAG, a first IPv6
 * fragment without all its headers, which the parser then ignores);
 * NF_STOLEN when @skb was queued to wait for the rest, or freed; NF_DROP
 * for an IPv6 fragment that could not be queued.
 */
unsigned int ctlite_defrag(struct sk_buff *skb, u8 family,
			   const struct nf_hook_state *state)
{
	lockdep_assert(in_softirq());
	if (family == NFPROTO_IPV4)
		return defrag_ipv4(skb, state);
	return defrag_ipv6(skb, state);
}
