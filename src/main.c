// SPDX-License-Identifier: GPL-2.0
/*
 * ctlite module entry: the hashsize and max parameters, the live table and
 * its GC, per-netns set-up and tear-down, load and unload.
 *
 * Parameters are parsed before ctlite_init() runs; the values and whether
 * the user gave them are only written there and by the parser, so they need
 * no lock.  Once loaded, reading a parameter shows the live table's value,
 * and writing hashsize resizes the table; ctlite_table is published and
 * retired under kernel_param_lock(), which both run under.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nsproxy.h>
#include <linux/socket.h>

#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include <ctlite/ctlite.h>

struct ctlite_table *ctlite_table __read_mostly;

static struct ctlite_size table_size;
static bool hashsize_given, max_given;
/*
 * Set when ctlite_init() starts, under kernel_param_lock(): the parameter
 * files exist while the module loads and unloads, and a write then must
 * neither change the values being read nor be taken and ignored.
 */
static bool params_frozen;
unsigned int ctlite_net_gen_id __read_mostly;
/*
 * Entries freed as namespaces went away during unload (pernet ops are
 * serialized by the core, hence not atomic)
 */
static unsigned int freed_by_netns_exit;

/**
 * ctlite_resize_live() - resize the live table, as an operator asked
 * @size: the new number of buckets
 *
 * Logs what was done, or why nothing was.
 *
 * Return: 0, -EINVAL for a size out of range, or -ENOMEM; the table is
 * unchanged on error.
 */
int ctlite_resize_live(unsigned int size)
{
	struct ctlite_resize done;
	int err;

	/* a size chosen by hand is kept: the table no longer grows alone */
	if (size >= CTLITE_HASHSIZE_MIN && size <= CTLITE_HASHSIZE_MAX)
		ctlite_table_set_auto_grow(ctlite_table, false);
	err = ctlite_table_resize(ctlite_table, size, &done);
	if (err == -EINVAL)
		pr_warn("hashsize %u refused: out of range (%u..%u)\n", size,
			CTLITE_HASHSIZE_MIN, CTLITE_HASHSIZE_MAX);
	else if (err)
		pr_warn("hashsize %u refused: no memory for the buckets, table unchanged\n",
			size);
	else if (done.old_size != size)
		pr_info("resized from %u to %u buckets: %u entries moved, new flows waited %llu us\n",
			done.old_size, size, done.moved,
			div_u64(done.pause_ns, NSEC_PER_USEC));
	return err;
}

/*
 * Parse any unsigned number and remember that it was given: the range is
 * checked once in ctlite_init(), so a bad value gets one line naming the
 * range instead of the parser's generic "invalid for parameter" line.
 * Once loaded, a hashsize written resizes the table.  Runs under
 * kernel_param_lock().
 */
static int param_set_given(const char *val, const struct kernel_param *kp)
{
	unsigned int *value = kp->arg;
	unsigned int v;

	/* -ERANGE would reach the user as "Numerical result out of range" */
	if (kstrtouint(val, 0, &v))
		return -EINVAL;
	if (ctlite_table) {
		/*
		 * Only hashsize is writable once loaded (max is a sysctl), and,
		 * like net.ctlite.buckets, only by an admin of the initial netns:
		 * the table is shared by all.
		 */
		if (!capable(CAP_NET_ADMIN) ||
		    !net_eq(current->nsproxy->net_ns, &init_net))
			return -EPERM;
		return ctlite_resize_live(v);
	}
	/* loading or unloading: no table to resize, and too late to set */
	if (params_frozen)
		return -EBUSY;
	*value = v;
	if (value == &table_size.hashsize)
		hashsize_given = true;
	else
		max_given = true;
	return 0;
}

/*
 * Once loaded, the live table's value (max can change through sysctl).
 * Runs under kernel_param_lock(), like set_live_table().
 */
static int param_get_live(char *buffer, const struct kernel_param *kp)
{
	const unsigned int *value = kp->arg;
	unsigned int v = *value;

	if (ctlite_table)
		v = value == &table_size.hashsize ? ctlite_table_size(ctlite_table) :
			READ_ONCE(ctlite_table->max);
	return sysfs_emit(buffer, "%u\n", v);
}

static const struct kernel_param_ops param_ops_given = {
	.set = param_set_given,
	.get = param_get_live,
};

module_param_cb(hashsize, &param_ops_given, &table_size.hashsize, 0644);
MODULE_PARM_DESC(hashsize,
		 "number of hash buckets (16..16777216; default from RAM as nf_conntrack: 1 per 128 KiB, at least 1024, 65536 above 1 GiB, 262144 above 4 GiB); writing it once loaded resizes the table");
module_param_cb(max, &param_ops_given, &table_size.max, 0444);
MODULE_PARM_DESC(max,
		 "most entries in the table, all network namespaces together (1..1073741824 and within half of RAM; default hashsize, or 8 x hashsize when hashsize is given)");

static int __net_init ctlite_net_init(struct net *net)
{
	struct ctlite_net *cn = ctlite_pernet(net);
	int err;

	cn->stats = alloc_percpu(struct ctlite_stats);
	if (!cn->stats)
		return -ENOMEM;
	/*
	 * a container starts with the host's lifetimes, its ceiling; the
	 * initial namespace is set up first and freed after every exit
	 */
	ctlite_conf_init(&cn->conf, ctlite_table, net_eq(net, &init_net) ? NULL :
			 &ctlite_pernet(&init_net)->conf);
	err = ctlite_table_tenant_add(ctlite_table, &cn->tenant, net->ns.inum,
				      !net_eq(net, &init_net));
	if (err)
		goto err_tenant;
	/* before the hooks: no entry of it, and no event, comes earlier */
	cn->tenant.net = net;
	err = ctlite_proc_init(net);
	if (err)
		goto err_proc;
	err = ctlite_sysctl_init(net);
	if (err)
		goto err_sysctl;
	/* last: packets may come as soon as the hooks are in */
	err = ctlite_hooks_register(net);
	if (err)
		goto err_hooks;
	return 0;

err_hooks:
	ctlite_sysctl_exit(net);
err_sysctl:
	ctlite_proc_exit(net);
err_proc:
	ctlite_table_tenant_del(ctlite_table, &cn->tenant);
err_tenant:
	ctlite_conf_exit(&cn->conf);
	free_percpu(cn->stats);
	return err;
}

static void __net_exit ctlite_net_exit(struct net *net)
{
	struct ctlite_net *cn = ctlite_pernet(net);

	/* no hook runs for this netns once this returns: nothing new comes */
	ctlite_hooks_unregister(net);
	ctlite_sysctl_exit(net);
	ctlite_conf_exit(&cn->conf);
	ctlite_proc_exit(net);
	ctlite_table_tenant_leave(ctlite_table, &cn->tenant);
}

/*
 * After every exiting namespace's exit: one walk of the table frees the
 * entries of them all (a batch of namespaces, or all of them at unload)
 */
static void __net_exit ctlite_net_exit_batch(struct list_head *net_exit_list)
{
	struct net *net;

	freed_by_netns_exit += ctlite_table_tenants_flush(ctlite_table);
	list_for_each_entry(net, net_exit_list, exit_list)
		free_percpu(ctlite_pernet(net)->stats);
}

static struct pernet_operations ctlite_net_ops = {
	.init = ctlite_net_init,
	.exit = ctlite_net_exit,
	.exit_batch = ctlite_net_exit_batch,
	.id = &ctlite_net_gen_id,
	.size = sizeof(struct ctlite_net),
};

/*
 * Publish or retire the live table under the parameters' lock, which
 * param_get_live() runs under: a read of /sys/module/ctlite/parameters/
 * never sees a table being freed.
 */
static void set_live_table(struct ctlite_table *table)
{
	kernel_param_lock(THIS_MODULE);
	ctlite_table = table;
	kernel_param_unlock(THIS_MODULE);
}

static int __init ctlite_init(void)
{
	struct ctlite_table *table;
	unsigned int entry_bytes;
	int err;

	kernel_param_lock(THIS_MODULE);
	params_frozen = true;
	kernel_param_unlock(THIS_MODULE);
	err = ctlite_size_table(&table_size, hashsize_given, max_given,
				totalram_pages());
	if (err)
		return err;

	err = ctlite_cache_init();
	if (err)
		return err;
	table = ctlite_table_create(table_size.hashsize, table_size.max);
	if (!table) {
		err = -ENOMEM;
		goto err_table;
	}
	/* a default size follows the entries; a given one is kept */
	ctlite_table_set_auto_grow(table, !hashsize_given);
	set_live_table(table);
	err = register_pernet_subsys(&ctlite_net_ops);
	if (err)
		goto err_pernet;
	/* counts in the initial namespace's state, which exists from here */
	ctlite_gc_start();
	err = ctlite_netlink_init();
	if (err)
		goto err_netlink;
	/* last: a rule may use the match, and the table, from here */
	err = ctlite_match_init();
	if (err)
		goto err_match;

	entry_bytes = ctlite_entry_size(AF_INET);
	pr_info("%u buckets, %u max, %u bytes per entry (%llu MiB at max)\n",
		table_size.hashsize, table_size.max, entry_bytes,
		DIV_ROUND_UP_ULL((u64)entry_bytes * table_size.max, SZ_1M));
	return 0;

err_match:
	ctlite_netlink_exit();
err_netlink:
	ctlite_gc_stop();
	unregister_pernet_subsys(&ctlite_net_ops);
err_pernet:
	set_live_table(NULL);
	ctlite_table_destroy(table);
err_table:
	ctlite_cache_exit();
	return err;
}

static void __exit ctlite_exit(void)
{
	struct ctlite_table *table;
	unsigned int freed;

	ctlite_match_exit();
	ctlite_netlink_exit();
	ctlite_gc_stop();
	freed_by_netns_exit = 0;
	unregister_pernet_subsys(&ctlite_net_ops);
	/* every netns flushed its entries; destroy frees any straggler */
	table = ctlite_table;
	set_live_table(NULL);
	freed = freed_by_netns_exit + ctlite_table_destroy(table);
	ctlite_cache_exit();
	pr_info("unloaded, %u entries freed\n", freed);
}

module_init(ctlite_init);
module_exit(ctlite_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Lightweight hashed connection tracking for netfilter");
MODULE_AUTHOR("The ctlite developers");
MODULE_VERSION(CTLITE_VERSION);
