// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks: every IPv4 and IPv6 packet of every network namespace
 * is parsed here and passed to ctlite_track() once, at PRE_ROUTING
 * (received and forwarded) or LOCAL_OUT (sent by this host).  Looped-back
 * packets are counted at LOCAL_OUT only.
 *
 * Runs in softirq or process context under the RCU read lock netfilter
 * holds around hooks; entries found under it stay valid until we return.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>

#include <ctlite/ctlite.h>

static unsigned int track_skb(struct sk_buff *skb, u8 family,
			      const struct nf_hook_state *state)
{
	struct ctlite_net *cn = ctlite_pernet(state->net);
	struct ctlite_key key;
	struct ctlite_pkt pkt;

	if (state->hook == NF_INET_PRE_ROUTING && state->in &&
	    (state->in->flags & IFF_LOOPBACK))
		return NF_ACCEPT;

	switch (ctlite_parse_skb(skb, family, ctlite_net_id(cn), &key,
				 &pkt)) {
	case CTLITE_PARSE_OK:
		break;
	case CTLITE_PARSE_INVALID:
		ctlite_stat_add(cn, CTLITE_STAT_INVALID, 1);
		return NF_ACCEPT;
	case CTLITE_PARSE_IGNORE:
		ctlite_stat_add(cn, CTLITE_STAT_IGNORE, 1);
		return NF_ACCEPT;
	}
	return ctlite_track(ctlite_table, cn, &key, &pkt, (u32)jiffies);
}

static unsigned int ctlite_hook_ipv4(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return track_skb(skb, NFPROTO_IPV4, state);
}

static unsigned int ctlite_hook_ipv6(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return track_skb(skb, NFPROTO_IPV6, state);
}

/* nf_conntrack's priority, so both see the same packets when both run */
static const struct nf_hook_ops ctlite_hook_ops[] = {
	{
		.hook = ctlite_hook_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK,
	},
	{
		.hook = ctlite_hook_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_CONNTRACK,
	},
	{
		.hook = ctlite_hook_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK,
	},
	{
		.hook = ctlite_hook_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_CONNTRACK,
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
