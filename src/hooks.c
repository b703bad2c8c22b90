// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks: every IPv4 and IPv6 packet of every network namespace
 * passes ctlite_track() once per direction, at PRE_ROUTING (received and
 * forwarded) or LOCAL_OUT (sent by this host).  Looped-back packets are
 * counted at LOCAL_OUT only.
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

/*
 * Seconds an entry lives without traffic, before and after the reply
 * (DESIGN.md's defaults: SYN_SENT vs ESTABLISHED for TCP).
 */
static unsigned int entry_timeout(u8 proto, bool replied)
{
	switch (proto) {
	case IPPROTO_TCP:
		return replied ? 432000 : 120;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return replied ? 120 : 30;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 30;
	default:
		return 600;
	}
}

static u32 deadline_in(unsigned int seconds)
{
	return (u32)jiffies + seconds * HZ;
}

/*
 * A packet of the flow of @e (hashed to @hash) went by; @src_is_1: it came
 * from endpoint 1
 */
static void entry_seen(struct ctlite_entry *e, u32 hash, bool src_is_1)
{
	u8 flags = READ_ONCE(e->flags);
	bool reply = src_is_1 != !!(flags & CTLITE_F_OPENER1);

	if (reply && !(flags & CTLITE_F_REPLIED)) {
		spinlock_t *lock = ctlite_table_lock(ctlite_table, hash);

		/* LOCAL_OUT may run with BHs on; PRE_ROUTING runs in softirq */
		spin_lock_bh(lock);
		WRITE_ONCE(e->flags, e->flags | CTLITE_F_REPLIED | CTLITE_F_ASSURED);
		spin_unlock_bh(lock);
		flags |= CTLITE_F_REPLIED;
	}
	WRITE_ONCE(e->deadline,
		   deadline_in(entry_timeout(e->proto, flags & CTLITE_F_REPLIED)));
}

static unsigned int ctlite_track(struct sk_buff *skb, u8 family,
				 const struct nf_hook_state *state)
{
	struct ctlite_net *cn = ctlite_pernet(state->net);
	struct ctlite_table *table = ctlite_table;
	unsigned int searched = 0;
	struct ctlite_entry *e;
	struct ctlite_key key;
	bool src_is_1, created;
	u32 hash;

	if (state->hook == NF_INET_PRE_ROUTING && state->in &&
	    (state->in->flags & IFF_LOOPBACK))
		return NF_ACCEPT;

	switch (ctlite_parse_skb(skb, family, ctlite_net_id(state->net), &key,
				 &src_is_1)) {
	case CTLITE_PARSE_OK:
		break;
	case CTLITE_PARSE_INVALID:
		ctlite_stat_add(cn, CTLITE_STAT_INVALID, 1);
		return NF_ACCEPT;
	case CTLITE_PARSE_IGNORE:
		ctlite_stat_add(cn, CTLITE_STAT_IGNORE, 1);
		return NF_ACCEPT;
	}

	hash = ctlite_table_hash(table, &key);
	e = ctlite_table_lookup(table, &key, hash, &searched);
	if (e) {
		ctlite_stat_add(cn, CTLITE_STAT_SEARCHED, searched);
		ctlite_stat_add(cn, CTLITE_STAT_FOUND, 1);
		goto seen;
	}

	e = ctlite_table_insert(table, &key, hash,
				src_is_1 ? CTLITE_F_OPENER1 : 0,
				deadline_in(entry_timeout(key.proto, false)),
				&created);
	ctlite_stat_add(cn, CTLITE_STAT_SEARCHED, searched);
	if (IS_ERR(e)) {
		if (PTR_ERR(e) == -ENOSPC) {
			ctlite_stat_add(cn, CTLITE_STAT_DROP, 1);
			if (net_ratelimit())
				pr_warn("table full, dropping packet\n");
		} else {
			ctlite_stat_add(cn, CTLITE_STAT_ALLOC_FAILED, 1);
			if (net_ratelimit())
				pr_warn("no memory for a new entry, dropping packet\n");
		}
		return NF_DROP;
	}
	if (created) {
		ctlite_stat_add(cn, CTLITE_STAT_NEW, 1);
		return NF_ACCEPT;
	}
	/* another CPU made this flow's entry first */
	ctlite_stat_add(cn, CTLITE_STAT_INSERT_FAILED, 1);
seen:
	entry_seen(e, hash, src_is_1);
	return NF_ACCEPT;
}

static unsigned int ctlite_hook_ipv4(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return ctlite_track(skb, NFPROTO_IPV4, state);
}

static unsigned int ctlite_hook_ipv6(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return ctlite_track(skb, NFPROTO_IPV6, state);
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
