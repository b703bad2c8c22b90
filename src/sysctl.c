// SPDX-License-Identifier: GPL-2.0
/*
 * net.ctlite.* sysctls, registered in every network namespace.  The table
 * is shared, so what sizes and shares it (max, buckets, netns_share) is
 * writable from the initial netns only and read-only elsewhere; count,
 * netns_limit, the timeouts and the switches are per netns (struct
 * ctlite_conf, struct ctlite_tenant).  A namespace other than the initial
 * one may lower its timeouts, never raise them above the host's.  Every
 * write is range-checked; a refused one changes nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include <ctlite/compat.h>
#include <ctlite/ctlite.h>

static unsigned int max_min = CTLITE_MAX_MIN;
static unsigned int timeout_min = 1;
static unsigned int timeout_max = CTLITE_TIMEOUT_MAX;
static unsigned int adaptive_max = CTLITE_ADAPTIVE_MAX;
static unsigned int share_max = 100;

/* proc_douintvec_minmax(), but out of range is -EINVAL as for any bad value */
static int uint_minmax(ctlite_ctl_table *ctl, int write, void *buffer,
		       size_t *lenp, loff_t *ppos)
{
	int err = proc_douintvec_minmax(ctl, write, buffer, lenp, ppos);

	return err == -ERANGE ? -EINVAL : err;
}

/*
 * adaptive_start and adaptive_end: 0..CTLITE_ADAPTIVE_MAX each, and when
 * both are on, start must stay below end.  extra1 is the namespace's
 * struct ctlite_conf; extra2 is non-NULL for adaptive_end.
 */
static int adaptive_handler(ctlite_ctl_table *ctl, int write, void *buffer,
			    size_t *lenp, loff_t *ppos)
{
	struct ctl_table tmp = *ctl;
	unsigned int v;
	int err;

	if (!write)
		return proc_douintvec(ctl, write, buffer, lenp, ppos);

	v = READ_ONCE(*(unsigned int *)ctl->data);
	tmp.data = &v;
	tmp.extra1 = SYSCTL_ZERO;
	tmp.extra2 = &adaptive_max;
	err = uint_minmax(&tmp, write, buffer, lenp, ppos);
	if (err)
		return err;
	return ctlite_conf_set_adaptive(ctl->extra1, ctl->extra2, v);
}

/*
 * max: 1..2^30 and, as for the module parameter, no more entries than fit
 * in half of RAM at the IPv6 entry's size.  Every namespace's adaptive
 * timeouts follow it.
 */
static int max_handler(ctlite_ctl_table *ctl, int write, void *buffer,
		       size_t *lenp, loff_t *ppos)
{
	unsigned int cap = min_t(u64, CTLITE_MAX_MAX,
				 max_t(u64, CTLITE_MAX_MIN,
				       ctlite_max_fitting(totalram_pages())));
	unsigned int v = READ_ONCE(ctlite_table->max);
	struct ctl_table tmp = *ctl;
	int err;

	tmp.data = &v;
	tmp.extra2 = &cap;
	err = uint_minmax(&tmp, write, buffer, lenp, ppos);
	if (!err && write)
		ctlite_conf_set_max(ctlite_table, v);
	return err;
}

/*
 * buckets: the live table's size; writing it (initial netns only) resizes
 * the table, as writing the hashsize parameter does
 */
static int buckets_handler(ctlite_ctl_table *ctl, int write, void *buffer,
			   size_t *lenp, loff_t *ppos)
{
	unsigned int size = ctlite_table_size(ctlite_table);
	struct ctl_table tmp = *ctl;
	int err;

	tmp.data = &size;
	err = proc_douintvec(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	return ctlite_resize_live(size);
}

/* A read-only value computed when read */
static int show_uint(ctlite_ctl_table *ctl, unsigned int v, int write,
		     void *buffer, size_t *lenp, loff_t *ppos)
{
	struct ctl_table tmp = *ctl;

	tmp.data = &v;
	return proc_douintvec(&tmp, write, buffer, lenp, ppos);
}

/* count: this netns's entries (extra1: its tenant) */
static int count_handler(ctlite_ctl_table *ctl, int write, void *buffer,
			 size_t *lenp, loff_t *ppos)
{
	const struct ctlite_tenant *tenant = ctl->extra1;

	return show_uint(ctl, atomic_read(&tenant->count), write, buffer,
			 lenp, ppos);
}

/* netns_limit: how many entries this netns may hold (extra1: its tenant) */
static int limit_handler(ctlite_ctl_table *ctl, int write, void *buffer,
			 size_t *lenp, loff_t *ppos)
{
	return show_uint(ctl, ctlite_table_tenant_limit(ctlite_table, ctl->extra1),
			 write, buffer, lenp, ppos);
}

/*
 * A timeout: 1..CTLITE_TIMEOUT_MAX seconds and, outside the initial netns,
 * no more than the host's (extra2 points at it there): -EPERM, since the
 * value is fine but not this namespace's to give.  extra1 is the
 * namespace's struct ctlite_conf, which keeps it in jiffies too.
 */
static int timeout_handler(ctlite_ctl_table *ctl, int write, void *buffer,
			   size_t *lenp, loff_t *ppos)
{
	const unsigned int *host = ctl->extra2;
	struct ctlite_conf *conf = ctl->extra1;
	unsigned int *value = ctl->data;
	struct ctl_table tmp = *ctl;
	unsigned int v;
	int err;

	if (!write)
		return proc_douintvec(ctl, write, buffer, lenp, ppos);
	v = READ_ONCE(*value);
	tmp.data = &v;
	tmp.extra1 = &timeout_min;
	tmp.extra2 = &timeout_max;
	err = uint_minmax(&tmp, write, buffer, lenp, ppos);
	if (err)
		return err;
	if (host && v > READ_ONCE(*host))
		return -EPERM;
	ctlite_conf_set_timeout(conf, value - conf->timeout, v);
	return 0;
}

enum {
	SYSCTL_MAX,
	SYSCTL_COUNT,
	SYSCTL_BUCKETS,
	SYSCTL_EARLY_DROP,
	SYSCTL_RST_EVICT,
	SYSCTL_ADAPTIVE_START,
	SYSCTL_ADAPTIVE_END,
	SYSCTL_NETNS_SHARE,
	SYSCTL_NETNS_LIMIT,
	SYSCTL_TIMEOUT,		/* CTLITE_TO_NUM of them, in enum order */
	SYSCTL_NUM = SYSCTL_TIMEOUT + CTLITE_TO_NUM,
};

#define SWITCH(name) {							\
	.procname = name,						\
	.maxlen = sizeof(unsigned int),					\
	.mode = 0644,							\
	.proc_handler = uint_minmax,					\
	.extra1 = SYSCTL_ZERO,						\
	.extra2 = SYSCTL_ONE,						\
}

#define TIMEOUT(name) {							\
	.procname = "timeout_" name,					\
	.maxlen = sizeof(unsigned int),					\
	.mode = 0644,							\
	.proc_handler = timeout_handler,				\
}

static struct ctl_table ctlite_sysctl_template[SYSCTL_NUM + 1] = {
	[SYSCTL_MAX] = {
		.procname = "max",
		.maxlen = sizeof(unsigned int),
		.mode = 0644,
		.proc_handler = max_handler,
		.extra1 = &max_min,
	},
	[SYSCTL_COUNT] = {
		.procname = "count",
		.maxlen = sizeof(unsigned int),
		.mode = 0444,
		.proc_handler = count_handler,
	},
	[SYSCTL_BUCKETS] = {
		.procname = "buckets",
		.maxlen = sizeof(unsigned int),
		.mode = 0644,
		.proc_handler = buckets_handler,
	},
	[SYSCTL_EARLY_DROP] = SWITCH("early_drop"),
	[SYSCTL_RST_EVICT] = SWITCH("rst_evict"),
	[SYSCTL_ADAPTIVE_START] = {
		.procname = "adaptive_start",
		.maxlen = sizeof(unsigned int),
		.mode = 0644,
		.proc_handler = adaptive_handler,
	},
	[SYSCTL_ADAPTIVE_END] = {
		.procname = "adaptive_end",
		.maxlen = sizeof(unsigned int),
		.mode = 0644,
		.proc_handler = adaptive_handler,
	},
	[SYSCTL_NETNS_SHARE] = {
		.procname = "netns_share",
		.maxlen = sizeof(unsigned int),
		.mode = 0644,
		.proc_handler = uint_minmax,
		.extra1 = SYSCTL_ONE,
		.extra2 = &share_max,
	},
	[SYSCTL_NETNS_LIMIT] = {
		.procname = "netns_limit",
		.maxlen = sizeof(unsigned int),
		.mode = 0444,
		.proc_handler = limit_handler,
	},
	[SYSCTL_TIMEOUT + CTLITE_TO_TCP_SYN_SENT] = TIMEOUT("tcp_syn_sent"),
	[SYSCTL_TIMEOUT + CTLITE_TO_TCP_SYN_RECV] = TIMEOUT("tcp_syn_recv"),
	[SYSCTL_TIMEOUT + CTLITE_TO_TCP_ESTABLISHED] = TIMEOUT("tcp_established"),
	[SYSCTL_TIMEOUT + CTLITE_TO_TCP_FIN_WAIT] = TIMEOUT("tcp_fin_wait"),
	[SYSCTL_TIMEOUT + CTLITE_TO_TCP_CLOSE_WAIT] = TIMEOUT("tcp_close_wait"),
	[SYSCTL_TIMEOUT + CTLITE_TO_TCP_LAST_ACK] = TIMEOUT("tcp_last_ack"),
	[SYSCTL_TIMEOUT + CTLITE_TO_TCP_TIME_WAIT] = TIMEOUT("tcp_time_wait"),
	[SYSCTL_TIMEOUT + CTLITE_TO_TCP_CLOSE] = TIMEOUT("tcp_close"),
	[SYSCTL_TIMEOUT + CTLITE_TO_UDP] = TIMEOUT("udp"),
	[SYSCTL_TIMEOUT + CTLITE_TO_UDP_STREAM] = TIMEOUT("udp_stream"),
	[SYSCTL_TIMEOUT + CTLITE_TO_ICMP] = TIMEOUT("icmp"),
	[SYSCTL_TIMEOUT + CTLITE_TO_GENERIC] = TIMEOUT("generic"),
	{ }
};

/**
 * ctlite_sysctl_init() - register net.ctlite.* in a namespace
 * @net: the namespace
 *
 * Return: 0 or -ENOMEM.
 */
int ctlite_sysctl_init(struct net *net)
{
	struct ctlite_net *cn = ctlite_pernet(net);
	struct ctl_table *table;
	unsigned int i;

	table = kmemdup(ctlite_sysctl_template, sizeof(ctlite_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[SYSCTL_COUNT].extra1 = &cn->tenant;
	table[SYSCTL_NETNS_SHARE].data = &ctlite_table->share;
	table[SYSCTL_NETNS_LIMIT].extra1 = &cn->tenant;
	table[SYSCTL_EARLY_DROP].data = &cn->conf.early_drop;
	table[SYSCTL_RST_EVICT].data = &cn->conf.rst_evict;
	/* extra2 NULL marks start, non-NULL end */
	table[SYSCTL_ADAPTIVE_START].data = &cn->conf.adaptive_start;
	table[SYSCTL_ADAPTIVE_START].extra1 = &cn->conf;
	table[SYSCTL_ADAPTIVE_END].data = &cn->conf.adaptive_end;
	table[SYSCTL_ADAPTIVE_END].extra1 = &cn->conf;
	table[SYSCTL_ADAPTIVE_END].extra2 = &cn->conf;
	for (i = 0; i < CTLITE_TO_NUM; i++) {
		table[SYSCTL_TIMEOUT + i].data = &cn->conf.timeout[i];
		table[SYSCTL_TIMEOUT + i].extra1 = &cn->conf;
		/* the host's timeout bounds this one (none in init_net) */
		if (cn->conf.host)
			table[SYSCTL_TIMEOUT + i].extra2 =
				(void *)&cn->conf.host->timeout[i];
	}
	if (!net_eq(net, &init_net)) {
		table[SYSCTL_MAX].mode = 0444;
		table[SYSCTL_BUCKETS].mode = 0444;
		table[SYSCTL_NETNS_SHARE].mode = 0444;
	}

	cn->sysctl = ctlite_register_net_sysctl(net, "net/ctlite", table,
						SYSCTL_NUM);
	if (!cn->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

/**
 * ctlite_sysctl_exit() - unregister net.ctlite.* in a namespace
 * @net: the namespace
 */
void ctlite_sysctl_exit(struct net *net)
{
	struct ctlite_net *cn = ctlite_pernet(net);
	const struct ctl_table *table = cn->sysctl->ctl_table_arg;

	unregister_net_sysctl_table(cn->sysctl);
	kfree(table);
}
