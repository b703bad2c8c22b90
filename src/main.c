// SPDX-License-Identifier: GPL-2.0
/*
 * ctlite module entry: the hashsize and max parameters, load and unload.
 *
 * Parameters are parsed before ctlite_init() runs; the values and whether
 * the user gave them are only written there and by the parser, so they need
 * no lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/socket.h>

#include <ctlite/table.h>

static struct ctlite_size table_size;
static bool hashsize_given, max_given;

/*
 * Parse any unsigned number and remember that it was given: the range is
 * checked once in ctlite_init(), so a bad value gets one line naming the
 * range instead of the parser's generic "invalid for parameter" line.
 */
static int param_set_given(const char *val, const struct kernel_param *kp)
{
	unsigned int *value = kp->arg;
	unsigned int v;

	/* -ERANGE would reach the user as "Numerical result out of range" */
	if (kstrtouint(val, 0, &v))
		return -EINVAL;
	*value = v;
	if (value == &table_size.hashsize)
		hashsize_given = true;
	else
		max_given = true;
	return 0;
}

static const struct kernel_param_ops param_ops_given = {
	.set = param_set_given,
	.get = param_get_uint,
};

module_param_cb(hashsize, &param_ops_given, &table_size.hashsize, 0444);
MODULE_PARM_DESC(hashsize,
		 "number of hash buckets (16..16777216; default from RAM as nf_conntrack: 1 per 128 KiB, at least 1024, 65536 above 1 GiB, 262144 above 4 GiB)");
module_param_cb(max, &param_ops_given, &table_size.max, 0444);
MODULE_PARM_DESC(max,
		 "most entries in the table, all network namespaces together (1..1073741824 and within half of RAM; default hashsize, or 8 x hashsize when hashsize is given)");

static int __init ctlite_init(void)
{
	unsigned int entry_bytes;
	int err;

	err = ctlite_size_table(&table_size, hashsize_given, max_given,
				totalram_pages());
	if (err)
		return err;

	err = ctlite_cache_init();
	if (err)
		return err;

	entry_bytes = ctlite_entry_size(AF_INET);
	pr_info("%u buckets, %u max, %u bytes per entry (%llu MiB at max)\n",
		table_size.hashsize, table_size.max, entry_bytes,
		DIV_ROUND_UP_ULL((u64)entry_bytes * table_size.max, SZ_1M));
	return 0;
}

static void __exit ctlite_exit(void)
{
	ctlite_cache_exit();
	pr_info("unloaded, %u entries freed\n", 0);
}

module_init(ctlite_init);
module_exit(ctlite_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Lightweight hashed connection tracking for netfilter");
MODULE_AUTHOR("The ctlite developers");
