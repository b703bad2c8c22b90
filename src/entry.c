// SPDX-License-Identifier: GPL-2.0
/*
 * ctlite entries: the slab caches they live in, one per address family and
 * each sized to the bytes that family needs, kept unmerged so that slabtop
 * names them.  The table's size from the parameters and RAM is size.c's.
 *
 * Locking: none.  The caches are made at load before any table exists and
 * destroyed at unload after every table; entries_allocated (KUnit's) is
 * an atomic.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/export.h>
#include <linux/mm.h>
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
 * ctlite_entry_alloc() - allocate an entry of one address family
 * @family: AF_INET or AF_INET6
 * @gfp: allocation flags (GFP_ATOMIC on the packet path); with __GFP_ZERO
 *	 the entry comes zeroed
 *
 * Not zeroed otherwise: the table's insert writes every field, and a new
 * flow should not pay for clearing 64 bytes it writes anyway (memset()
 * costs more than the few stores).
 *
 * Return: the entry with @family set in its flags (CTLITE_F_IPV6 or none),
 * or NULL when the allocation fails.
 */
struct ctlite_entry *ctlite_entry_alloc(int family, gfp_t gfp)
{
	struct kmem_cache *cache = family == AF_INET6 ? entry6_cache : entry4_cache;
	struct ctlite_entry *entry;

	entry = kmem_cache_alloc(cache, gfp);
	if (entry) {
		entry->flags = family == AF_INET6 ? CTLITE_F_IPV6 : 0;
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
	const unsigned int head = offsetof(struct ctlite_entry, addr);

	BUILD_BUG_ON(CTLITE_ENTRY4_SIZE > CTLITE_ENTRY4_BUDGET);
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
	entry4_cache = ctlite_cache_create("ctlite_entry4", CTLITE_ENTRY4_SIZE,
					   head, CTLITE_ENTRY4_SIZE - head);
	if (!entry4_cache)
		goto err_entry4;
	entry6_cache = ctlite_cache_create("ctlite_entry6", CTLITE_ENTRY6_SIZE,
					   head, CTLITE_ENTRY6_SIZE - head);
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
