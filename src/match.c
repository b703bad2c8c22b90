// SPDX-License-Identifier: GPL-2.0
/*
 * The xtables match `-m ctlite`: a rule reads what ctlite made of its
 * packet (from the ring, or res_again()), in xt_conntrack's terms: --ctstate,
 * --ctdir, --ctstatus.  Registered for IPv4 and IPv6 in every table; a
 * rule that names it has iptables load this module (its aliases).
 * Stateless: the rule's options are read only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/netfilter/x_tables.h>

#include <ctlite/ctlite.h>
#include <ctlite/xt_ctlite.h>

enum {
	STATE_ALL = XT_CTLITE_STATE_INVALID | XT_CTLITE_STATE_NEW |
		    XT_CTLITE_STATE_ESTABLISHED | XT_CTLITE_STATE_RELATED |
		    XT_CTLITE_STATE_UNTRACKED,
	STATUS_ALL = XT_CTLITE_STATUS_SEEN_REPLY | XT_CTLITE_STATUS_ASSURED |
		     XT_CTLITE_STATUS_CONFIRMED,
	FLAGS_ALL = XT_CTLITE_STATE | XT_CTLITE_DIRECTION | XT_CTLITE_STATUS,
};

static const u8 state_bit[] = {
	[CTLITE_CT_INVALID] = XT_CTLITE_STATE_INVALID,
	[CTLITE_CT_NEW] = XT_CTLITE_STATE_NEW,
	[CTLITE_CT_ESTABLISHED] = XT_CTLITE_STATE_ESTABLISHED,
	[CTLITE_CT_RELATED] = XT_CTLITE_STATE_RELATED,
	[CTLITE_CT_UNTRACKED] = XT_CTLITE_STATE_UNTRACKED,
};

static u8 status_of(const struct ctlite_res *res)
{
	u8 status = 0;

	if (res->flags & CTLITE_F_REPLIED)
		status |= XT_CTLITE_STATUS_SEEN_REPLY;
	if (res->flags & CTLITE_F_ASSURED)
		status |= XT_CTLITE_STATUS_ASSURED;
	/* a new flow's first packet has no entry until it is confirmed */
	if (!res->confirm && res->state != CTLITE_CT_INVALID &&
	    res->state != CTLITE_CT_UNTRACKED)
		status |= XT_CTLITE_STATUS_CONFIRMED;
	return status;
}

/* Whether option @flag of @info fails for a test that gave @hit */
static bool fails(const struct xt_ctlite_mtinfo *info, u8 flag, bool hit)
{
	return (info->match_flags & flag) &&
	       hit == !!(info->invert_flags & flag);
}

/* What a rule says of a packet in state @res */
static __always_inline bool mt_res(const struct xt_ctlite_mtinfo *info,
				   const struct ctlite_res *res)
{
	bool want_reply = info->direction == XT_CTLITE_DIR_REPLY;

	if (fails(info, XT_CTLITE_STATE, info->state_mask & state_bit[res->state]))
		return false;
	/* as xt_conntrack: a packet without a flow matches on state alone */
	if (res->state == CTLITE_CT_INVALID || res->state == CTLITE_CT_UNTRACKED)
		return info->match_flags & XT_CTLITE_STATE;
	/*
	 * the stateful ruleset's rules ask the state only: done, before the
	 * status is worked out (the compiler computes it ahead otherwise)
	 */
	if (!(info->match_flags & (XT_CTLITE_DIRECTION | XT_CTLITE_STATUS)))
		return true;
	if (fails(info, XT_CTLITE_DIRECTION, res->reply == want_reply))
		return false;
	return !fails(info, XT_CTLITE_STATUS, info->status_mask & status_of(res));
}

/*
 * A packet in a task (the host's own, at LOCAL_OUT or POST_ROUTING), or
 * one the ring no longer holds: read from the ring with bottom halves
 * turned off, or looked up in the table.  Out of line, so that the match
 * in softirq, where most packets meet it, saves no registers for the
 * calls this makes.
 */
static noinline bool ctlite_mt_slow(const struct sk_buff *skb,
				    const struct xt_action_param *par)
{
	struct ctlite_res res;

	/* in softirq, ctlite_mt() looked in the ring already */
	if (in_softirq() || !ctlite_skb_ring_res(skb, par->state, &res))
		res_again(skb, par->state->pf, ctlite_pernet(par->state->net),
			  &res);
	return mt_res(par->matchinfo, &res);
}

static bool ctlite_mt(const struct sk_buff *skb, struct xt_action_param *par)
{
	struct ctlite_res res;

	if (!in_softirq() || !__ctlite_skb_ring_res(skb, par->state, &res))
		return ctlite_mt_slow(skb, par);
	return mt_res(par->matchinfo, &res);
}

static int ctlite_mt_check(const struct xt_mtchk_param *par)
{
	const struct xt_ctlite_mtinfo *info = par->matchinfo;

	if (info->match_flags & ~FLAGS_ALL || info->invert_flags & ~FLAGS_ALL ||
	    info->state_mask & ~STATE_ALL || info->status_mask & ~STATUS_ALL ||
	    info->direction > XT_CTLITE_DIR_REPLY ||
	    memchr_inv(info->pad, 0, sizeof(info->pad))) {
		pr_info_ratelimited("unknown option bits in a ctlite match: a newer iptables extension?\n");
		return -EINVAL;
	}
	if (!info->match_flags) {
		pr_info_ratelimited("a ctlite match needs --ctstate, --ctdir or --ctstatus\n");
		return -EINVAL;
	}
	return 0;
}

static struct xt_match ctlite_mt_reg[] __read_mostly = {
	{
		.name = "ctlite",
		.revision = 0,
		.family = NFPROTO_IPV4,
		.match = ctlite_mt,
		.checkentry = ctlite_mt_check,
		.matchsize = sizeof(struct xt_ctlite_mtinfo),
		.me = THIS_MODULE,
	},
	{
		.name = "ctlite",
		.revision = 0,
		.family = NFPROTO_IPV6,
		.match = ctlite_mt,
		.checkentry = ctlite_mt_check,
		.matchsize = sizeof(struct xt_ctlite_mtinfo),
		.me = THIS_MODULE,
	},
};

/**
 * ctlite_match_init() - offer `-m ctlite` to iptables and ip6tables
 *
 * Return: 0 or a negative errno from x_tables.
 */
int ctlite_match_init(void)
{
	return xt_register_matches(ctlite_mt_reg, ARRAY_SIZE(ctlite_mt_reg));
}

/**
 * ctlite_match_exit() - withdraw the match; no rule holds it by then
 */
void ctlite_match_exit(void)
{
	xt_unregister_matches(ctlite_mt_reg, ARRAY_SIZE(ctlite_mt_reg));
}

/* iptables asks for "ipt_ctlite", ip6tables for "ip6t_ctlite" */
MODULE_ALIAS("ipt_ctlite");
MODULE_ALIAS("ip6t_ctlite");
