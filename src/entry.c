// SPDX-License-Identifier: GPL-2.0
/*
 * ctlite entries: the slab caches they live in, one per address family and
 * each sized to the bytes that family needs, kept unmerged so that slabtop
 * names them; and the table's size, decided from the module parameters and
 * RAM as nf_conntrack decides its own.
 *
 * Locking: none.  The caches are made at load before any table exists and
 * destroyed at unload after every table; entries_allocated (KUnit's) is
 * an atomic.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/export.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <kunit/visibility.h>

#include <ctlite/compat.h>
#include <ctlite/table.h>

static struct kmem_cache *entry4_cache;
static struct kmem_cache *entry6_cache;

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * Entries allocated and not yet freed, all tables: what the slab holds.
 * Only the tests read it, so only a kernel that can run them keeps it:
 * elsewhere every new and freed entry would write one more shared line.
 */
static atomic_long_t entries_allocated = ATOMIC_LONG_INIT(0);

static void count_allocated(long n)
{
	atomic_long_add(n, &entries_allocated);
}

/**
 * ctlite_entries_allocated() - entries the slab caches hold right now
 *
 * Counts entries between ctlite_entry_alloc() and ctlite_entry_free(),
 * including deleted ones still waiting for their RCU grace period.  For
 * the tests: built only with KUnit.
 *
 * Return: the number of entries.
 */
long ctlite_entries_allocated(void)
{
	return atomic_long_read(&entries_allocated);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_entries_allocated);
#else
static void count_allocated(long n)
{
}
#endif

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

#define ENTRY4_SIZE	(offsetof(struct ctlite_entry, addr) + 2 * sizeof(__be32))
#define ENTRY6_SIZE	(offsetof(struct ctlite_entry, addr) + \
			 2 * sizeof(struct in6_addr))

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
	return div_u64((u64)ram_pages << PAGE_SHIFT, 2 * ENTRY6_SIZE);
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

/**
 * ctlite_entry_size() - slab object size of one entry
 * @family: AF_INET or AF_INET6
 *
 * Return: bytes the slab allocator really spends per entry of @family
 * (what the load line reports), or 0 before ctlite_cache_init().
 */
unsigned int ctlite_entry_size(int family)
{
	struct kmem_cache *cache = family == AF_INET6 ? entry6_cache : entry4_cache;

	return cache ? kmem_cache_size(cache) : 0;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_entry_size);

/**
 * ctlite_entry_alloc() - allocate a zeroed entry of one address family
 * @family: AF_INET or AF_INET6
 * @gfp: allocation flags (GFP_ATOMIC on the packet path)
 *
 * Return: the entry with @family set (CTLITE_F_IPV6), or NULL when the
 * allocation fails.
 */
struct ctlite_entry *ctlite_entry_alloc(int family, gfp_t gfp)
{
	struct kmem_cache *cache = family == AF_INET6 ? entry6_cache : entry4_cache;
	struct ctlite_entry *entry;

	entry = kmem_cache_zalloc(cache, gfp);
	if (entry) {
		if (family == AF_INET6)
			entry->flags = CTLITE_F_IPV6;
		count_allocated(1);
	}
	return entry;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_entry_alloc);

/**
 * ctlite_entry_free() - return an entry no reader can see to its cache
 * @entry: entry from ctlite_entry_alloc(), never published or already
 *	   past an RCU grace period
 */
void ctlite_entry_free(struct ctlite_entry *entry)
{
	kmem_cache_free(entry->flags & CTLITE_F_IPV6 ? entry6_cache : entry4_cache,
			entry);
	count_allocated(-1);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_entry_free);

/**
 * ctlite_cache_init() - create the per-family entry caches
 *
 * Return: 0 or -ENOMEM; on failure nothing is left allocated.
 */
int ctlite_cache_init(void)
{
	BUILD_BUG_ON(ENTRY4_SIZE > CTLITE_ENTRY4_BUDGET);
	/* the free list's link must be the chain node's pprev, not its next */
	BUILD_BUG_ON(offsetof(struct ctlite_entry, dead) !=
		     offsetof(struct ctlite_entry, node.pprev));
	BUILD_BUG_ON(offsetof(struct ctlite_entry, chain_next) !=
		     offsetof(struct ctlite_entry, node.next));

	/*
	 * No SLAB_HWCACHE_ALIGN: it would round the 88-byte IPv6 entry up to
	 * 128.  The IPv4 entry is 64 bytes and so lands on cache lines anyway.
	 * Unmerged, so that slabtop names them.
	 */
	entry4_cache = ctlite_cache_create("ctlite_entry4", ENTRY4_SIZE,
					   offsetof(struct ctlite_entry, addr),
					   ENTRY4_SIZE - offsetof(struct ctlite_entry, addr));
	if (!entry4_cache)
		goto err_entry4;
	entry6_cache = ctlite_cache_create("ctlite_entry6", ENTRY6_SIZE,
					   offsetof(struct ctlite_entry, addr),
					   ENTRY6_SIZE - offsetof(struct ctlite_entry, addr));
	if (!entry6_cache)
		goto err_entry6;
	return 0;

err_entry6:
	kmem_cache_destroy(entry4_cache);
	entry4_cache = NULL;
err_entry4:
	return -ENOMEM;
}

/**
 * ctlite_cache_exit() - destroy the entry caches
 *
 * Every entry must have been freed (ctlite_table_destroy() of every table)
 * before this is called.
 */
void ctlite_cache_exit(void)
{
	kmem_cache_destroy(entry6_cache);
	entry6_cache = NULL;
	kmem_cache_destroy(entry4_cache);
	entry4_cache = NULL;
}
