// SPDX-License-Identifier: GPL-2.0
/*
 * net.ctlite.* sysctls, registered in every network namespace.  The table
 * is shared, so what sizes it (max) is writable from the initial netns only
 * and read-only elsewhere; count is per netns.  Every write is
 * range-checked; a refused one changes nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include <ctlite/ctlite.h>

static unsigned int max_min = CTLITE_MAX_MIN;
static unsigned int max_max = CTLITE_MAX_MAX;

/* proc_douintvec_minmax(), but out of range is -EINVAL as for any bad value */
static int uint_minmax(struct ctl_table *ctl, int write, void *buffer,
		       size_t *lenp, loff_t *ppos)
{
	int err = proc_douintvec_minmax(ctl, write, buffer, lenp, ppos);

	return err == -ERANGE ? -EINVAL : err;
}

/* count is this netns's share of the table, counted when read */
static int count_handler(struct ctl_table *ctl, int write, void *buffer,
			 size_t *lenp, loff_t *ppos)
{
	const struct net *net = ctl->extra1;
	struct ctl_table tmp = *ctl;
	unsigned int count;

	count = ctlite_table_count_net(ctlite_table, ctlite_net_id(net));
	tmp.data = &count;
	return proc_douintvec(&tmp, write, buffer, lenp, ppos);
}

enum { SYSCTL_MAX, SYSCTL_COUNT, SYSCTL_BUCKETS };

static struct ctl_table ctlite_sysctl_template[] = {
	[SYSCTL_MAX] = {
		.procname = "max",
		.maxlen = sizeof(unsigned int),
		.mode = 0644,
		.proc_handler = uint_minmax,
		.extra1 = &max_min,
		.extra2 = &max_max,
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
		.mode = 0444,
		.proc_handler = proc_douintvec,
	},
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

	table = kmemdup(ctlite_sysctl_template, sizeof(ctlite_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[SYSCTL_MAX].data = &ctlite_table->max;
	table[SYSCTL_COUNT].extra1 = net;
	table[SYSCTL_BUCKETS].data = &ctlite_table->size;
	if (!net_eq(net, &init_net))
		table[SYSCTL_MAX].mode = 0444;

	cn->sysctl = register_net_sysctl(net, "net/ctlite", table);
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
	struct ctl_table *table = cn->sysctl->ctl_table_arg;

	unregister_net_sysctl_table(cn->sysctl);
	kfree(table);
}
