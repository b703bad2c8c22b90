// SPDX-License-Identifier: GPL-2.0
/*
 * The table's size: buckets and entry limit, decided from the module
 * parameters and the machine's RAM as nf_conntrack decides its own, and
 * checked against what the machine can hold.
 *
 * Locking: none; pure functions of their arguments, run at load.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/export.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <kunit/visibility.h>

#include <ctlite/table.h>

enum {
	/* nf_conntrack's rule: one bucket per 128 KiB of RAM ... */
	RAM_PER_BUCKET = 128 * 1024,
	/* ... at least this many ... */
	HASHSIZE_DEFAULT_MIN = 1024,
	/* ... and fixed sizes on large machines */
	HASHSIZE_ABOVE_1G = 65536,
	HASHSIZE_ABOVE_4G = 262144,
	/* a given hashsize gets this many entries per bucket by default */
	MAX_PER_GIVEN_BUCKET = 8,
};

static unsigned int default_hashsize(unsigned long ram_pages)
{
	u64 ram = (u64)ram_pages << PAGE_SHIFT;

	if (ram > 4ULL * SZ_1G)
		return HASHSIZE_ABOVE_4G;
	if (ram > SZ_1G)
		return HASHSIZE_ABOVE_1G;
	return max_t(u64, div_u64(ram, RAM_PER_BUCKET), HASHSIZE_DEFAULT_MIN);
}

/**
 * ctlite_max_fitting() - the largest max this much RAM allows
 * @ram_pages: RAM in pages
 *
 * A full table of the largest (IPv6) entries must leave half of RAM free.
 *
 * Return: the limit, which may exceed CTLITE_MAX_MAX on large machines.
 */
u64 ctlite_max_fitting(unsigned long ram_pages)
{
	return div_u64((u64)ram_pages << PAGE_SHIFT, 2 * CTLITE_ENTRY6_SIZE);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_max_fitting);

/**
 * ctlite_size_table() - decide buckets and entry limit from the parameters
 * @size: in: the values given; out: the values to use
 * @hashsize_given: the user set @size->hashsize
 * @max_given: the user set @size->max
 * @ram_pages: the machine's RAM in pages (totalram_pages() outside tests)
 *
 * Defaults follow nf_conntrack so an operator's habits carry over: hashsize
 * from RAM, max equal to hashsize when hashsize is defaulted and eight times
 * it when given (a derived max is kept within half of RAM).  A given value
 * out of range, or a given max whose entries could not fit in half of RAM,
 * is refused with one line naming the parameter, the value and what is
 * accepted.
 *
 * Return: 0 with @size filled in, or -EINVAL.
 */
int ctlite_size_table(struct ctlite_size *size, bool hashsize_given,
		      bool max_given, unsigned long ram_pages)
{
	u64 max_fitting = ctlite_max_fitting(ram_pages);

	if (hashsize_given &&
	    (size->hashsize < CTLITE_HASHSIZE_MIN ||
	     size->hashsize > CTLITE_HASHSIZE_MAX)) {
		pr_err("hashsize=%u out of range (%u..%u)\n", size->hashsize,
		       CTLITE_HASHSIZE_MIN, CTLITE_HASHSIZE_MAX);
		return -EINVAL;
	}
	if (max_given &&
	    (size->max < CTLITE_MAX_MIN || size->max > CTLITE_MAX_MAX)) {
		pr_err("max=%u out of range (%u..%u)\n", size->max,
		       CTLITE_MAX_MIN, CTLITE_MAX_MAX);
		return -EINVAL;
	}

	if (!hashsize_given)
		size->hashsize = default_hashsize(ram_pages);
	if (max_given && size->max > max_fitting) {
		pr_err("max=%u out of range for this machine's RAM (%u..%llu)\n",
		       size->max, CTLITE_MAX_MIN, max_fitting);
		return -EINVAL;
	}
	if (!max_given)
		size->max = hashsize_given ?
			size->hashsize * MAX_PER_GIVEN_BUCKET : size->hashsize;
	/* A derived limit is never refused, only kept within RAM */
	size->max = min_t(u64, size->max, max_t(u64, max_fitting, CTLITE_MAX_MIN));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_size_table);
