/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels ctlite builds on (6.1 to 6.12) that
 * the code has to know about, in one place and keyed on the version, so
 * the rest of the code reads as if written for one kernel.
 */
#ifndef _CTLITE_COMPAT_H
#define _CTLITE_COMPAT_H

#include <linux/version.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/genetlink.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>

/*
 * Linux 6.11 made the table a sysctl handler is given const ("sysctl:
 * treewide: constify the ctl_table argument of proc_handlers").  Handlers
 * declare their table as ctlite_ctl_table.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define ctlite_ctl_table const struct ctl_table
#else
#define ctlite_ctl_table struct ctl_table
#endif

/**
 * ctlite_register_net_sysctl() - register_net_sysctl() on any kernel
 * @net: the namespace
 * @path: the directory, e.g. "net/ctlite"
 * @table: @n entries followed by an empty sentinel entry
 * @n: the number of entries, not counting the sentinel
 *
 * Linux 6.6 added register_net_sysctl_sz(), which takes the entry count,
 * and made register_net_sysctl() a macro taking ARRAY_SIZE() of its
 * argument, which a kmemdup()'d table is not.  Since 6.11 the count alone
 * ends the table and a sentinel inside it is refused ("procname is null");
 * before 6.6 the sentinel is what ends it.
 *
 * Return: the header to unregister, or NULL.
 */
static inline struct ctl_table_header *
ctlite_register_net_sysctl(struct net *net, const char *path,
			   struct ctl_table *table, size_t n)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/**
 * ctlite_cache_create() - a slab cache that slabtop shows by its name
 * @name: the cache's name
 * @size: its objects' size
 * @key: offset of a part of the object that readers of /proc/net/ctlite
 *	 see anyway (the flow's addresses)
 * @key_size: that part's size
 *
 * SLUB merges a new cache into an existing one of the same size and flags
 * (ctlite_entry4 into kmalloc-64 on a distribution kernel), and slabtop
 * then shows the entries under the other's name.  Linux 6.5 added
 * SLAB_NO_MERGE to keep a cache of its own.  Before it, a cache with a
 * usercopy region is neither merged into another nor merged with
 * (kmem_cache_create_usercopy(), slab_unmergeable()); a ctor would do too
 * but moves SLUB's free pointer out of the object, 8 bytes an entry more.
 * The region only lets hardened usercopy allow a copy of the addresses to
 * user space, which nothing makes and which would give away nothing.
 *
 * Return: the cache, or NULL.
 */
static inline struct kmem_cache *ctlite_cache_create(const char *name,
						     unsigned int size,
						     unsigned int key,
						     unsigned int key_size)
{
#ifdef SLAB_NO_MERGE
	return kmem_cache_create(name, size, 0, SLAB_NO_MERGE, NULL);
#else
	return kmem_cache_create_usercopy(name, size, 0, 0, key, key_size, NULL);
#endif
}

/*
 * Linux 6.7 tells a generic netlink family when a socket joins one of its
 * groups (struct genl_family's @bind); before, nothing does.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define CTLITE_GENL_HAS_BIND
#endif

/*
 * Linux 6.2 gave dumps a struct genl_info of their own ("genetlink: use
 * struct genl_info for dumps"), with the parsed attributes in it.
 */
static inline struct nlattr **
ctlite_genl_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	return genl_dumpit_info(cb)->info.attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * Whether an IPv4 socket asked that its packets not be reassembled
 * (IP_NODEFRAG, raw sockets).  Linux 6.6 moved the flag from a bit field
 * of struct inet_sock into its atomic inet_flags ("inet: move
 * inet->nodefrag to inet->inet_flags").
 */
static inline bool ctlite_sk_nodefrag(const struct sock *sk)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return inet_test_bit(NODEFRAG, sk);
#else
	return inet_sk(sk)->nodefrag;
#endif
}

/*
 * KUnit renamed KUNIT_ASSERT_FAILURE() to KUNIT_FAIL_AND_ABORT() between
 * 6.1 and 6.12 ("for readability"; 6.9, as far as we know).  Tested by name,
 * which is right on every kernel whatever the release: the KUnit suite
 * includes this after <kunit/test.h>.
 */
#if defined(KUNIT_ASSERT_FAILURE) && !defined(KUNIT_FAIL_AND_ABORT)
#define KUNIT_FAIL_AND_ABORT KUNIT_ASSERT_FAILURE
#endif

/*
 * Linux 6.10 added __uninitialized: a stack variable the code fills before
 * reading, which CONFIG_INIT_STACK_ALL_ZERO should not clear first.  The
 * packet path uses it where every packet would clear a buffer twice.
 */
#ifndef __uninitialized
#if __has_attribute(__uninitialized__)
#define __uninitialized __attribute__((__uninitialized__))
#else
#define __uninitialized
#endif
#endif

#endif /* _CTLITE_COMPAT_H */
