// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "ctlite" (include/ctlite/ctlite_netlink.h):
 * list, get, delete and flush flows, read the counters, and the events
 * group.  Each request works on the namespace of the socket it came from.
 *
 * Dumps walk the table under RCU, a bucket at a time, and resume at the
 * bucket and the place in it where the last message filled up, as
 * /proc/net/ctlite does: one walk of the table whatever its size.  An
 * entry deleted or moved by a resize between two parts of a dump may be
 * missed or told twice, as with nf_conntrack's dumps.
 *
 * Deletes and flushes walk the table bucket by bucket under each bucket's
 * lock (ctlite_table_delete_net()); they sleep, so the family runs its
 * operations in parallel, outside genetlink's global mutex.
 *
 * Events are built and sent under the entry's bucket lock, in whatever
 * context changed the entry (a packet's softirq, the GC's work item, a
 * delete), with GFP_ATOMIC; one that cannot be built, or that a listener
 * with NETLINK_BROADCAST_ERROR had no room for, is counted in events_lost
 * of the entry's namespace.  (Netlink tells a broadcast's sender of a full
 * socket only when that socket asked for it; `ctlite events` does.)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/rculist.h>
#include <linux/rculist_nulls.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netlink.h>

#include <ctlite/compat.h>
#include <ctlite/ctlite.h>
#include <ctlite/events.h>

DEFINE_STATIC_KEY_FALSE(ctlite_events_wanted);

/* Every namespace, in a dump's filter (tenant ids start at 1) */
#define ALL_NETNS	0

/* Dumps let other CPUs and RCU run every this many buckets */
#define DUMP_RESCHED_BUCKETS	1024

static struct genl_family ctlite_genl;

/*
 * The family is registered: events may be sent.  Cleared before it goes,
 * then a grace period lets every sender (all run under a bucket lock, with
 * bottom halves off) finish
 */
static bool genl_up;

/* A parsed CTLITE_A_FILTER */
struct flow_filter {
	u32 net_id;		/* the namespace's tenant id, or ALL_NETNS */
	u32 now;		/* expired entries never pass */
	u8 family;		/* 0: any */
	u8 proto;		/* 0: any */
	u8 src_bits;		/* 0: any source */
	u8 dst_bits;
	struct in6_addr src;	/* IPv4: the first 4 bytes */
	struct in6_addr dst;
	int sport;		/* -1: any */
	int dport;
	u32 states;		/* 1 << TCP state; 0: any */
	u32 status;
	u32 status_mask;	/* 0: any */
};

static const struct nla_policy flow_policy[CTLITE_FLOW_MAX + 1] = {
	[CTLITE_FLOW_FAMILY] = { .type = NLA_U8 },
	[CTLITE_FLOW_PROTO] = { .type = NLA_U8 },
	[CTLITE_FLOW_SRC] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[CTLITE_FLOW_DST] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[CTLITE_FLOW_SPORT] = { .type = NLA_U16 },
	[CTLITE_FLOW_DPORT] = { .type = NLA_U16 },
};

static const struct nla_policy filter_policy[CTLITE_FILTER_MAX + 1] = {
	[CTLITE_FILTER_FAMILY] = { .type = NLA_U8 },
	[CTLITE_FILTER_PROTO] = { .type = NLA_U8 },
	[CTLITE_FILTER_SRC] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[CTLITE_FILTER_SRC_PREFIX] = NLA_POLICY_MAX(NLA_U8, 128),
	[CTLITE_FILTER_DST] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[CTLITE_FILTER_DST_PREFIX] = NLA_POLICY_MAX(NLA_U8, 128),
	[CTLITE_FILTER_SPORT] = { .type = NLA_U16 },
	[CTLITE_FILTER_DPORT] = { .type = NLA_U16 },
	[CTLITE_FILTER_STATE] = NLA_POLICY_MASK(NLA_U32, BIT(CTLITE_TCP_NUM) - 1),
	[CTLITE_FILTER_STATUS] = NLA_POLICY_MASK(NLA_U32, CTLITE_STATUS_SEEN_REPLY |
						 CTLITE_STATUS_ASSURED),
	[CTLITE_FILTER_STATUS_MASK] = NLA_POLICY_MASK(NLA_U32, CTLITE_STATUS_SEEN_REPLY |
						      CTLITE_STATUS_ASSURED),
	[CTLITE_FILTER_NETNS] = { .type = NLA_U32 },
};

static const struct nla_policy ctlite_policy[CTLITE_A_MAX + 1] = {
	[CTLITE_A_FLOW] = NLA_POLICY_NESTED(flow_policy),
	[CTLITE_A_FILTER] = NLA_POLICY_NESTED(filter_policy),
};

static unsigned int family_addr_len(u8 family)
{
	return family == AF_INET6 ? sizeof(struct in6_addr) : sizeof(__be32);
}

/* A family attribute's value, or -EINVAL with a message */
static int parse_family(const struct nlattr *attr,
			struct netlink_ext_ack *extack)
{
	u8 family = nla_get_u8(attr);

	if (family != AF_INET && family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "family is AF_INET or AF_INET6");
		return -EINVAL;
	}
	return family;
}

/* An address attribute of @family into @addr */
static int parse_addr(const struct nlattr *attr, u8 family, void *addr,
		      struct netlink_ext_ack *extack)
{
	if (!family) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "an address needs a family");
		return -EINVAL;
	}
	if (nla_len(attr) != family_addr_len(family)) {
		if (family == AF_INET)
			NL_SET_ERR_MSG_ATTR(extack, attr, "not an IPv4 address");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr, "not an IPv6 address");
		return -EINVAL;
	}
	memcpy(addr, nla_data(attr), nla_len(attr));
	return 0;
}

/* The prefix length attribute @attr, checked against @family, or all bits */
static int parse_prefix(const struct nlattr *attr, u8 family,
			struct netlink_ext_ack *extack)
{
	unsigned int bits = family_addr_len(family) * 8;

	if (!attr)
		return bits;
	if (nla_get_u8(attr) > bits || !nla_get_u8(attr)) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "prefix length out of range");
		return -EINVAL;
	}
	return nla_get_u8(attr);
}

/*
 * Look up the tenant id of the namespace with inode @inum, for a dump of
 * another namespace; ALL_NETNS for 0
 */
static int netns_id_of(u32 inum, u32 *net_id)
{
	struct ctlite_tenant *t;
	unsigned long id;
	int err = -ENOENT;

	if (!inum) {
		*net_id = ALL_NETNS;
		return 0;
	}
	rcu_read_lock();
	xa_for_each(&ctlite_table->tenants, id, t) {
		if (t->inum == inum && !READ_ONCE(t->leaving)) {
			*net_id = t->id;
			err = 0;
			break;
		}
	}
	rcu_read_unlock();
	return err;
}

/*
 * Parse CTLITE_A_FILTER (@attr, may be NULL: everything of this
 * namespace).  CTLITE_FILTER_NETNS only if @other_netns allows it.
 */
/*
 * An address filter: attribute @addr_type of @tb and its prefix length
 * @prefix_type (all of it when absent).  Returns the prefix length, 0 when
 * no address is given, or an error.
 */
static int parse_prefix_filter(struct nlattr **tb, int addr_type,
			       int prefix_type, u8 family,
			       struct in6_addr *addr,
			       struct netlink_ext_ack *extack)
{
	int err;

	if (!tb[addr_type]) {
		if (!tb[prefix_type])
			return 0;
		NL_SET_ERR_MSG_ATTR(extack, tb[prefix_type],
				    "a prefix length needs an address");
		return -EINVAL;
	}
	err = parse_addr(tb[addr_type], family, addr, extack);
	if (err)
		return err;
	return parse_prefix(tb[prefix_type], family, extack);
}

static int parse_filter(const struct nlattr *attr, struct net *net,
			bool other_netns, struct flow_filter *f,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[CTLITE_FILTER_MAX + 1];
	int err;

	memset(f, 0, sizeof(*f));
	f->net_id = ctlite_net_id(ctlite_pernet(net));
	f->now = jiffies;
	f->sport = -1;
	f->dport = -1;
	if (!attr)
		return 0;
	err = nla_parse_nested(tb, CTLITE_FILTER_MAX, attr, filter_policy, extack);
	if (err)
		return err;
	if (tb[CTLITE_FILTER_FAMILY]) {
		err = parse_family(tb[CTLITE_FILTER_FAMILY], extack);
		if (err < 0)
			return err;
		f->family = err;
	}
	if (tb[CTLITE_FILTER_PROTO])
		f->proto = nla_get_u8(tb[CTLITE_FILTER_PROTO]);
	err = parse_prefix_filter(tb, CTLITE_FILTER_SRC, CTLITE_FILTER_SRC_PREFIX,
				  f->family, &f->src, extack);
	if (err < 0)
		return err;
	f->src_bits = err;
	err = parse_prefix_filter(tb, CTLITE_FILTER_DST, CTLITE_FILTER_DST_PREFIX,
				  f->family, &f->dst, extack);
	if (err < 0)
		return err;
	f->dst_bits = err;
	if (tb[CTLITE_FILTER_SPORT])
		f->sport = nla_get_u16(tb[CTLITE_FILTER_SPORT]);
	if (tb[CTLITE_FILTER_DPORT])
		f->dport = nla_get_u16(tb[CTLITE_FILTER_DPORT]);
	if (tb[CTLITE_FILTER_STATE]) {
		f->states = nla_get_u32(tb[CTLITE_FILTER_STATE]);
		if (f->proto && f->proto != IPPROTO_TCP) {
			NL_SET_ERR_MSG_ATTR(extack, tb[CTLITE_FILTER_STATE],
					    "only TCP flows have a state");
			return -EINVAL;
		}
	}
	if (tb[CTLITE_FILTER_STATUS]) {
		f->status = nla_get_u32(tb[CTLITE_FILTER_STATUS]);
		f->status_mask = tb[CTLITE_FILTER_STATUS_MASK] ?
			nla_get_u32(tb[CTLITE_FILTER_STATUS_MASK]) : f->status;
	}
	if (tb[CTLITE_FILTER_NETNS]) {
		if (!other_netns) {
			NL_SET_ERR_MSG_ATTR(extack, tb[CTLITE_FILTER_NETNS],
					    "other namespaces are listed only from the initial one, with CAP_NET_ADMIN");
			return -EPERM;
		}
		err = netns_id_of(nla_get_u32(tb[CTLITE_FILTER_NETNS]), &f->net_id);
		if (err) {
			NL_SET_ERR_MSG_ATTR(extack, tb[CTLITE_FILTER_NETNS],
					    "no namespace with that inode number");
			return err;
		}
	}
	return 0;
}

/* Whether a filter asks for anything narrower than its namespace */
static bool filter_narrows(const struct flow_filter *f)
{
	return f->family || f->proto || f->src_bits || f->dst_bits ||
	       f->sport >= 0 || f->dport >= 0 || f->states || f->status_mask;
}

static bool addr_in(const struct ctlite_entry *e, unsigned int i,
		    const struct in6_addr *want, unsigned int bits)
{
	if (e->flags & CTLITE_F_IPV6)
		return ipv6_prefix_equal(&e->addr.ip6[i], want, bits);
	return !((e->addr.ip[i] ^ want->s6_addr32[0]) &
		 htonl(~0U << (32 - bits)));
}

/* Whether @e passes @arg, a struct flow_filter; its namespace is not checked */
static bool filter_passes(const struct ctlite_entry *e, const void *arg)
{
	const struct flow_filter *f = arg;
	u8 flags = READ_ONCE(e->flags);
	unsigned int o = !!(flags & CTLITE_F_OPENER1), r = !o;
	u32 status = 0;

	if (ctlite_entry_expired(e, f->now))
		return false;
	if (f->family && ctlite_entry_family(e) != f->family)
		return false;
	if (f->proto && e->proto != f->proto)
		return false;
	if (f->src_bits && !addr_in(e, o, &f->src, f->src_bits))
		return false;
	if (f->dst_bits && !addr_in(e, r, &f->dst, f->dst_bits))
		return false;
	if (f->sport >= 0 && ntohs(e->port[o]) != f->sport)
		return false;
	if (f->dport >= 0 && ntohs(e->port[r]) != f->dport)
		return false;
	if (f->states && (e->proto != IPPROTO_TCP ||
			  !(f->states & BIT(READ_ONCE(e->state)))))
		return false;
	if (flags & CTLITE_F_REPLIED)
		status |= CTLITE_STATUS_SEEN_REPLY;
	if (flags & CTLITE_F_ASSURED)
		status |= CTLITE_STATUS_ASSURED;
	return (status & f->status_mask) == f->status;
}

/* The inode number of @e's namespace (0 if it is going) */
static u32 entry_netns(const struct ctlite_entry *e)
{
	struct ctlite_tenant *t = xa_load(&ctlite_table->tenants, e->net_id);

	return t ? t->inum : 0;
}

/* Room for one CTLITE_A_FLOW nest */
static size_t flow_size(void)
{
	return nla_total_size(0) +			/* nest */
	       2 * nla_total_size(sizeof(u8)) +		/* family, proto */
	       2 * nla_total_size(sizeof(struct in6_addr)) +
	       2 * nla_total_size(sizeof(u16)) +	/* ports */
	       nla_total_size(sizeof(u8)) +		/* state */
	       3 * nla_total_size(sizeof(u32));		/* status, timeout, netns */
}

/* Put @e as a CTLITE_A_FLOW nest; with its namespace if @netns */
static int put_flow(struct sk_buff *skb, const struct ctlite_entry *e,
		    u32 now, bool netns)
{
	u8 flags = READ_ONCE(e->flags);
	unsigned int o = !!(flags & CTLITE_F_OPENER1), r = !o;
	long left = (s32)(READ_ONCE(e->deadline) - now);
	unsigned int alen = family_addr_len(ctlite_entry_family(e));
	const void *src = &e->addr.ip[o], *dst = &e->addr.ip[r];
	struct nlattr *nest;
	u32 status = 0;

	if (flags & CTLITE_F_IPV6) {
		src = &e->addr.ip6[o];
		dst = &e->addr.ip6[r];
	}
	if (flags & CTLITE_F_REPLIED)
		status |= CTLITE_STATUS_SEEN_REPLY;
	if (flags & CTLITE_F_ASSURED)
		status |= CTLITE_STATUS_ASSURED;

	nest = nla_nest_start(skb, CTLITE_A_FLOW);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, CTLITE_FLOW_FAMILY, ctlite_entry_family(e)) ||
	    nla_put_u8(skb, CTLITE_FLOW_PROTO, e->proto) ||
	    nla_put(skb, CTLITE_FLOW_SRC, alen, src) ||
	    nla_put(skb, CTLITE_FLOW_DST, alen, dst) ||
	    nla_put_u16(skb, CTLITE_FLOW_SPORT, ntohs(e->port[o])) ||
	    nla_put_u16(skb, CTLITE_FLOW_DPORT, ntohs(e->port[r])) ||
	    nla_put_u32(skb, CTLITE_FLOW_STATUS, status) ||
	    nla_put_u32(skb, CTLITE_FLOW_TIMEOUT, max(left, 0L) / HZ))
		goto cancel;
	if (e->proto == IPPROTO_TCP &&
	    nla_put_u8(skb, CTLITE_FLOW_STATE, READ_ONCE(e->state)))
		goto cancel;
	if (netns && nla_put_u32(skb, CTLITE_FLOW_NETNS, entry_netns(e)))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* --- CTLITE_CMD_GET ------------------------------------------------------ */

static int get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct nlattr *tb[CTLITE_FLOW_MAX + 1];
	struct ctlite_entry *e;
	struct ctlite_key key;
	struct sk_buff *msg;
	unsigned int unused;
	void *hdr;
	u8 family;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, CTLITE_A_FLOW))
		return -EINVAL;
	err = nla_parse_nested(tb, CTLITE_FLOW_MAX, info->attrs[CTLITE_A_FLOW],
			       flow_policy, info->extack);
	if (err)
		return err;
	if (!tb[CTLITE_FLOW_FAMILY] || !tb[CTLITE_FLOW_PROTO] ||
	    !tb[CTLITE_FLOW_SRC] || !tb[CTLITE_FLOW_DST]) {
		NL_SET_ERR_MSG(info->extack,
			       "a flow is its family, protocol, source and destination (and ports)");
		return -EINVAL;
	}
	err = parse_family(tb[CTLITE_FLOW_FAMILY], info->extack);
	if (err < 0)
		return err;
	family = err;
	ctlite_key_init(&key, ctlite_net_id(ctlite_pernet(net)), family,
			nla_get_u8(tb[CTLITE_FLOW_PROTO]));
	err = parse_addr(tb[CTLITE_FLOW_SRC], family, &key.addr.ip6[0], info->extack);
	if (err)
		return err;
	err = parse_addr(tb[CTLITE_FLOW_DST], family,
			 family == AF_INET6 ? (void *)&key.addr.ip6[1] :
			 (void *)&key.addr.ip[1], info->extack);
	if (err)
		return err;
	if (tb[CTLITE_FLOW_SPORT])
		key.port[0] = htons(nla_get_u16(tb[CTLITE_FLOW_SPORT]));
	if (tb[CTLITE_FLOW_DPORT])
		key.port[1] = htons(nla_get_u16(tb[CTLITE_FLOW_DPORT]));
	ctlite_key_canonicalize(&key);

	msg = genlmsg_new(flow_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ctlite_genl, 0, CTLITE_CMD_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	rcu_read_lock();
	e = ctlite_table_lookup(ctlite_table, &key,
				ctlite_table_hash(ctlite_table, &key), &unused);
	if (!e || ctlite_entry_expired(e, jiffies))
		err = -ENOENT;
	else
		err = put_flow(msg, e, jiffies, false);
	rcu_read_unlock();
	if (err) {
		if (err == -ENOENT)
			NL_SET_ERR_MSG(info->extack, "no such flow");
		goto err_free;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

/* A dump's state, in cb->ctx */
struct dump_ctx {
	struct flow_filter *filter;
	unsigned int bucket;	/* the bucket to go on in */
	unsigned int done;	/* entries of it already sent */
};

static int get_start(struct netlink_callback *cb)
{
	struct dump_ctx *ctx = (struct dump_ctx *)cb->ctx;
	struct net *net = sock_net(cb->skb->sk);
	struct flow_filter *f;
	int err;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	f = kmalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	/* the host's admin may list every namespace: see netns_id_of() */
	err = parse_filter(ctlite_genl_dump_attrs(cb)[CTLITE_A_FILTER], net,
			   net_eq(net, &init_net) &&
			   netlink_capable(cb->skb, CAP_NET_ADMIN),
			   f, cb->extack);
	if (err) {
		kfree(f);
		return err;
	}
	ctx->filter = f;
	ctx->bucket = 0;
	ctx->done = 0;
	return 0;
}

static int get_done(struct netlink_callback *cb)
{
	struct dump_ctx *ctx = (struct dump_ctx *)cb->ctx;

	kfree(ctx->filter);
	return 0;
}

/* Put one entry of a dump; -EMSGSIZE when the message is full */
static int dump_one(struct sk_buff *skb, struct netlink_callback *cb,
		    const struct ctlite_entry *e, bool netns)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &ctlite_genl, NLM_F_MULTI, CTLITE_CMD_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (put_flow(skb, e, jiffies, netns)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dump_ctx *ctx = (struct dump_ctx *)cb->ctx;
	const struct flow_filter *f = ctx->filter;
	bool netns = f->net_id != ctlite_net_id(ctlite_pernet(sock_net(skb->sk)));
	struct hlist_nulls_head *head;
	struct hlist_nulls_node *n;
	struct ctlite_buckets *b;
	struct ctlite_entry *e;
	unsigned int i, walked = 0;
	int err = 0;

	rcu_read_lock();
	b = rcu_dereference(ctlite_table->b);
	for (; (head = ctlite_buckets_chain(b, ctx->bucket)); ctx->bucket++) {
		i = 0;
		hlist_nulls_for_each_entry_rcu(e, n, head, node) {
			if ((f->net_id != ALL_NETNS && e->net_id != f->net_id) ||
			    !filter_passes(e, f))
				continue;
			if (i++ < ctx->done)
				continue;
			err = dump_one(skb, cb, e, netns);
			if (err)
				goto full;
			ctx->done++;
		}
		ctx->done = 0;
		/* a long walk through empty or filtered buckets */
		if (!(++walked % DUMP_RESCHED_BUCKETS)) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
			b = rcu_dereference(ctlite_table->b);
		}
	}
full:
	rcu_read_unlock();
	/* one entry that does not fit an empty message would loop forever */
	if (err && !skb->len)
		return err;
	return skb->len;
}

/* --- CTLITE_CMD_DEL, CTLITE_CMD_FLUSH ------------------------------------ */

static int reply_deleted(struct genl_info *info, u8 cmd, unsigned int n)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ctlite_genl, 0, cmd);
	if (!hdr || nla_put_u32(msg, CTLITE_A_DELETED, n)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flow_filter f;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, CTLITE_A_FILTER))
		return -EINVAL;
	err = parse_filter(info->attrs[CTLITE_A_FILTER], genl_info_net(info),
			   false, &f, info->extack);
	if (err)
		return err;
	/* deleting everything is a flush, and says so */
	if (!filter_narrows(&f)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CTLITE_A_FILTER],
				    "an empty filter would delete every flow: flush does that");
		return -EINVAL;
	}
	return reply_deleted(info, CTLITE_CMD_DEL,
			     ctlite_table_delete_net(ctlite_table, f.net_id,
						     filter_passes, &f));
}

static int flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ctlite_net *cn = ctlite_pernet(genl_info_net(info));

	return reply_deleted(info, CTLITE_CMD_FLUSH,
			     ctlite_table_flush_net(ctlite_table,
						    ctlite_net_id(cn)));
}

/* --- CTLITE_CMD_STATS ---------------------------------------------------- */

static size_t stats_size(void)
{
	size_t counters = CTLITE_STAT_NUM * nla_total_size_64bit(sizeof(u64));

	return nla_total_size(0) + 7 * nla_total_size(sizeof(u32)) +
	       nla_total_size_64bit(sizeof(u64)) +
	       (num_possible_cpus() + 1) *
	       (nla_total_size(0) + nla_total_size(sizeof(u32)) + counters);
}

/* One counters nest of @type: @cpu's (and its id), or the sum (cpu < 0) */
static int put_counters(struct sk_buff *skb, struct ctlite_net *cn, int type,
			int cpu)
{
	const struct ctlite_stats *st;
	struct nlattr *nest;
	unsigned int i;
	u64 v;
	int c;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (cpu >= 0 && nla_put_u32(skb, CTLITE_STATS_CPU_ID, cpu))
		goto cancel;
	for (i = 0; i < CTLITE_STAT_NUM; i++) {
		if (cpu >= 0) {
			v = READ_ONCE(per_cpu_ptr(cn->stats, cpu)->count[i]);
		} else {
			v = 0;
			for_each_possible_cpu(c) {
				st = per_cpu_ptr(cn->stats, c);
				/* unconfirmed goes up and down on any CPU */
				if (i == CTLITE_STAT_UNCONFIRMED)
					v = (u32)(v + READ_ONCE(st->count[i]));
				else
					v += READ_ONCE(st->count[i]);
			}
		}
		if (nla_put_u64_64bit(skb, i + 1, v, CTLITE_STATS_COUNTER_PAD))
			goto cancel;
	}
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int stats_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ctlite_net *cn = ctlite_pernet(genl_info_net(info));
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;
	int cpu;

	msg = genlmsg_new(stats_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ctlite_genl, 0, CTLITE_CMD_STATS);
	if (!hdr)
		goto err_size;
	nest = nla_nest_start(msg, CTLITE_A_STATS);
	if (!nest ||
	    nla_put_u32(msg, CTLITE_STATS_COUNT, atomic_read(&cn->tenant.count)) ||
	    nla_put_u32(msg, CTLITE_STATS_LIMIT,
			ctlite_table_tenant_limit(ctlite_table, &cn->tenant)) ||
	    nla_put_u32(msg, CTLITE_STATS_TABLE_COUNT,
			atomic_read(&ctlite_table->count)) ||
	    nla_put_u32(msg, CTLITE_STATS_TABLE_MAX, READ_ONCE(ctlite_table->max)) ||
	    nla_put_u32(msg, CTLITE_STATS_BUCKETS, ctlite_table_size(ctlite_table)) ||
	    nla_put_u32(msg, CTLITE_STATS_ENTRY4_BYTES, ctlite_entry_size(AF_INET)) ||
	    nla_put_u32(msg, CTLITE_STATS_ENTRY6_BYTES, ctlite_entry_size(AF_INET6)) ||
	    nla_put_u64_64bit(msg, CTLITE_STATS_DROPS_LAST_MINUTE,
			      ctlite_drops_recent(cn), CTLITE_STATS_PAD) ||
	    put_counters(msg, cn, CTLITE_STATS_TOTAL, -1))
		goto err_size;
	for_each_possible_cpu(cpu) {
		if (put_counters(msg, cn, CTLITE_STATS_CPU, cpu))
			goto err_size;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_size:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* --- events -------------------------------------------------------------- */

/*
 * Build @entry's event and multicast it in @net; out of line, so that an
 * event nobody listens to does not pay for this frame
 */
static noinline void event_build_send(struct net *net,
				      const struct ctlite_entry *entry,
				      u8 event, u8 reason)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(2 * nla_total_size(sizeof(u8)) + flow_size(), GFP_ATOMIC);
	if (!msg)
		goto lost;
	hdr = genlmsg_put(msg, 0, 0, &ctlite_genl, 0, CTLITE_CMD_EVENT);
	if (!hdr || nla_put_u8(msg, CTLITE_A_EVENT, event) ||
	    (reason && nla_put_u8(msg, CTLITE_A_REASON, reason)) ||
	    put_flow(msg, entry, jiffies, false)) {
		nlmsg_free(msg);
		goto lost;
	}
	genlmsg_end(msg, hdr);
	err = genlmsg_multicast_netns(&ctlite_genl, net, msg, 0, 0, GFP_ATOMIC);
	/* -ESRCH: the last listener left meanwhile */
	if (err && err != -ESRCH)
		goto lost;
	return;

lost:
	ctlite_stat_add(ctlite_pernet(net), CTLITE_STAT_EVENTS_LOST, 1);
}

/**
 * ctlite_event_send() - send an entry's event to its namespace's listeners
 * @table: the entry's table; KUnit's tables have no listeners
 * @t: the entry's namespace's share, or NULL to look it up
 * @entry: the entry, its bucket locked (so its events go out in order)
 * @event: enum ctlite_event
 * @reason: enum ctlite_reason for CTLITE_EVENT_DESTROY, else 0
 *
 * Call through ctlite_event(), which costs nothing until someone listens.
 * Where the kernel does not say when a socket joins (before 6.7), every
 * event comes here, and most find no listener: that look is all this
 * function does, the message is built elsewhere.  Any context; an event
 * that cannot be built, or not delivered to a listener that set
 * NETLINK_BROADCAST_ERROR, is counted in the namespace's events_lost (a
 * listener also sees ENOBUFS on its socket when its buffer was full).
 */
void ctlite_event_send(struct ctlite_table *table, struct ctlite_tenant *t,
		       const struct ctlite_entry *entry, u8 event, u8 reason)
{
	struct net *net;

	if (table != ctlite_table || !READ_ONCE(genl_up))
		return;
	/* the entry is hashed, so its namespace and tenant are alive */
	if (!t)
		t = xa_load(&table->tenants, entry->net_id);
	net = t ? READ_ONCE(t->net) : NULL;
	if (net && genl_has_listeners(&ctlite_genl, net, 0))
		event_build_send(net, entry, event, reason);
}

#ifdef CTLITE_GENL_HAS_BIND
/* A socket joins the events group: events are worth building from now on */
static int events_bind(int group)
{
	static_branch_enable(&ctlite_events_wanted);
	return 0;
}
#endif

/* --- the family ---------------------------------------------------------- */

static const struct genl_ops ctlite_ops[] = {
	{
		.cmd = CTLITE_CMD_GET,
		.flags = GENL_UNS_ADMIN_PERM,
		.doit = get_doit,
		.start = get_start,
		.dumpit = get_dumpit,
		.done = get_done,
	},
	{
		.cmd = CTLITE_CMD_DEL,
		.flags = GENL_UNS_ADMIN_PERM,
		.doit = del_doit,
	},
	{
		.cmd = CTLITE_CMD_FLUSH,
		.flags = GENL_UNS_ADMIN_PERM,
		.doit = flush_doit,
	},
	{
		/* world-readable, as /proc/net/stat/ctlite is */
		.cmd = CTLITE_CMD_STATS,
		.doit = stats_doit,
	},
};

static const struct genl_multicast_group ctlite_mcgrps[] = {
	{ .name = CTLITE_GENL_MCGRP, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family ctlite_genl __ro_after_init = {
	.name = CTLITE_GENL_NAME,
	.version = CTLITE_GENL_VERSION,
	.maxattr = CTLITE_A_MAX,
	.policy = ctlite_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = ctlite_ops,
	.n_ops = ARRAY_SIZE(ctlite_ops),
	.resv_start_op = CTLITE_CMD_MAX + 1,
	.mcgrps = ctlite_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ctlite_mcgrps),
#ifdef CTLITE_GENL_HAS_BIND
	.bind = events_bind,
#endif
};

/**
 * ctlite_netlink_init() - register the "ctlite" generic netlink family
 *
 * Call once the table and every namespace's state exist: requests may
 * come as soon as it returns.
 *
 * Return: 0 or a negative errno from genl_register_family().
 */
int ctlite_netlink_init(void)
{
	int err;

	err = genl_register_family(&ctlite_genl);
	if (err)
		return err;
	WRITE_ONCE(genl_up, true);
#ifndef CTLITE_GENL_HAS_BIND
	/* no word of a socket joining: look for listeners at every event */
	static_branch_enable(&ctlite_events_wanted);
#endif
	return 0;
}

/**
 * ctlite_netlink_exit() - unregister the family
 *
 * Returns once no request is running; dumps under way hold the module.
 */
void ctlite_netlink_exit(void)
{
	WRITE_ONCE(genl_up, false);
	synchronize_rcu();
	genl_unregister_family(&ctlite_genl);
}
