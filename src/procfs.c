// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/ctlite: this netns's entries, one per line, in nf_conntrack's
 * format.  /proc/net/stat/ctlite: this netns's per-CPU counters, and its
 * entries (a counter, so a read costs the same whatever the table holds).
 * /proc/net/ctlite_netns: how the namespaces share the table.
 *
 * The entry dump walks the table under the RCU read lock (taken in start,
 * dropped in stop), so it never blocks packets; an entry deleted meanwhile
 * may still be printed once, and a dump that spans a resize may miss or
 * repeat entries, as nf_conntrack's does (while a resize moves entries a
 * dump walks the old array, then the new one).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/proc_fs.h>
#include <linux/rculist_nulls.h>
#include <linux/seq_file.h>

#include <ctlite/ctlite.h>

/*
 * Where a dump is: the entry last returned by start or next is this
 * netns's @skip'th in bucket @bucket, and the @pos'th of the dump.  A read
 * that stops there resumes from it, so a dump costs one walk of the table
 * however many reads it takes, not one walk per read.
 */
struct entry_iter {
	struct seq_net_private p;	/* first: seq_file_net() needs it */
	u32 net_id;
	unsigned int bucket;
	unsigned int skip;
	loff_t pos;
};

/* The first entry of this netns at or after @n, moving on through buckets */
static struct ctlite_entry *iter_from(struct entry_iter *it,
				      struct ctlite_buckets *b,
				      struct hlist_nulls_node *n)
{
	struct hlist_nulls_head *head;
	struct ctlite_entry *e;

	for (;;) {
		while (is_a_nulls(n)) {
			head = ctlite_buckets_chain(b, ++it->bucket);
			if (!head)
				return NULL;
			it->skip = 0;
			n = rcu_dereference(hlist_nulls_first_rcu(head));
		}
		e = hlist_nulls_entry(n, struct ctlite_entry, node);
		if (e->net_id == it->net_id)
			return e;
		n = rcu_dereference(hlist_nulls_next_rcu(n));
	}
}

/* The entry after @e, which is the iterator's current one */
static struct ctlite_entry *iter_next(struct entry_iter *it,
				      struct ctlite_buckets *b,
				      struct ctlite_entry *e)
{
	unsigned int bucket = it->bucket;

	e = iter_from(it, b, rcu_dereference(hlist_nulls_next_rcu(&e->node)));
	if (e && it->bucket == bucket)
		it->skip++;
	it->pos++;
	return e;
}

/*
 * The iterator's current entry again, found by its place in its bucket
 * (the entry itself may be gone since the last read: then its successor,
 * so an entry deleted between reads may make the dump skip one)
 */
static struct ctlite_entry *iter_again(struct entry_iter *it,
				       struct ctlite_buckets *b)
{
	struct hlist_nulls_head *head = ctlite_buckets_chain(b, it->bucket);
	unsigned int skip = it->skip;
	struct hlist_nulls_node *n;
	struct ctlite_entry *e;

	if (!head)
		return NULL;
	hlist_nulls_for_each_entry_rcu(e, n, head, node) {
		if (e->net_id == it->net_id && !skip--)
			return e;
	}
	/* fewer than before in that bucket: the next bucket's first */
	return iter_from(it, b, n);
}

static void *entry_seq_start(struct seq_file *s, loff_t *pos)
	__acquires(RCU)
{
	struct entry_iter *it = s->private;
	struct ctlite_buckets *b;
	struct ctlite_entry *e;

	rcu_read_lock();
	b = rcu_dereference(ctlite_table->b);
	/* the next read of a dump: go on from where the last one stopped */
	if (it->net_id && *pos && (*pos == it->pos || *pos == it->pos + 1)) {
		e = iter_again(it, b);
		if (e && *pos == it->pos + 1)
			e = iter_next(it, b, e);
		return e;
	}
	it->net_id = ctlite_net_id(ctlite_pernet(seq_file_net(s)));
	it->bucket = 0;
	it->skip = 0;
	it->pos = 0;
	e = iter_from(it, b, rcu_dereference(hlist_nulls_first_rcu(ctlite_buckets_chain(b, 0))));
	while (e && it->pos < *pos)
		e = iter_next(it, b, e);
	return e;
}

static void *entry_seq_next(struct seq_file *s, void *v, loff_t *pos)
{
	struct entry_iter *it = s->private;

	(*pos)++;
	return iter_next(it, rcu_dereference(ctlite_table->b), v);
}

static void entry_seq_stop(struct seq_file *s, void *v)
	__releases(RCU)
{
	rcu_read_unlock();
}

static const char *proto_name(u8 proto)
{
	static const char *const names[] = CTLITE_PROTO_NAMES;

	return proto < ARRAY_SIZE(names) && names[proto] ? names[proto] : "unknown";
}

static int entry_seq_show(struct seq_file *s, void *v)
{
	const struct ctlite_entry *e = v;
	u8 flags = READ_ONCE(e->flags);
	unsigned int o = !!(flags & CTLITE_F_OPENER1), r = !o;
	long left = (s32)(READ_ONCE(e->deadline) - (u32)jiffies);

	seq_printf(s, "%-8s %u %-8s %u %ld ",
		   ctlite_entry_family(e) == AF_INET6 ? "ipv6" : "ipv4",
		   ctlite_entry_family(e) == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4,
		   proto_name(e->proto), e->proto, max(left, 0L) / HZ);
	if (e->proto == IPPROTO_TCP)
		seq_printf(s, "%s ", ctlite_tcp_state_name(READ_ONCE(e->state)));

	if (ctlite_entry_family(e) == AF_INET6)
		seq_printf(s, "src=%pI6c dst=%pI6c ", &e->addr.ip6[o], &e->addr.ip6[r]);
	else
		seq_printf(s, "src=%pI4 dst=%pI4 ", &e->addr.ip[o], &e->addr.ip[r]);

	switch (e->proto) {
	case IPPROTO_ICMP:
		seq_printf(s, "type=8 code=0 id=%u ", ntohs(e->port[o]));
		break;
	case IPPROTO_ICMPV6:
		seq_printf(s, "type=128 code=0 id=%u ", ntohs(e->port[o]));
		break;
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		seq_printf(s, "sport=%u dport=%u ", ntohs(e->port[o]), ntohs(e->port[r]));
		break;
	}
	if (!(flags & CTLITE_F_REPLIED))
		seq_puts(s, "[UNREPLIED] ");
	if (flags & CTLITE_F_ASSURED)
		seq_puts(s, "[ASSURED] ");
	seq_puts(s, "\n");
	return 0;
}

static const struct seq_operations entry_seq_ops = {
	.start = entry_seq_start,
	.next = entry_seq_next,
	.stop = entry_seq_stop,
	.show = entry_seq_show,
};

static const char *const stat_names[CTLITE_STAT_NUM] = CTLITE_STAT_NAMES;

struct stat_iter {
	struct seq_net_private p;
	unsigned int entries;	/* counted once per read, not per row */
};

static void *stat_cpu(struct seq_file *s, loff_t *pos)
{
	struct ctlite_net *cn = ctlite_pernet(seq_file_net(s));
	int cpu;

	for (cpu = *pos - 1; cpu < nr_cpu_ids; cpu++) {
		if (!cpu_possible(cpu))
			continue;
		*pos = cpu + 1;
		return per_cpu_ptr(cn->stats, cpu);
	}
	*pos = nr_cpu_ids + 1;
	return NULL;
}

static void *stat_seq_start(struct seq_file *s, loff_t *pos)
{
	struct stat_iter *it = s->private;

	if (*pos == 0) {
		it->entries = atomic_read(&ctlite_pernet(seq_file_net(s))->tenant.count);
		return SEQ_START_TOKEN;
	}
	return stat_cpu(s, pos);
}

static void *stat_seq_next(struct seq_file *s, void *v, loff_t *pos)
{
	(*pos)++;
	return stat_cpu(s, pos);
}

static void stat_seq_stop(struct seq_file *s, void *v)
{
}

static int stat_seq_show(struct seq_file *s, void *v)
{
	const struct stat_iter *it = s->private;
	const struct ctlite_stats *st = v;
	unsigned int i;

	if (v == SEQ_START_TOKEN) {
		seq_puts(s, "entries");
		for (i = 0; i < CTLITE_STAT_NUM; i++)
			seq_printf(s, " %s", stat_names[i]);
		seq_puts(s, "\n");
		return 0;
	}
	seq_printf(s, "%08x", it->entries);
	for (i = 0; i < CTLITE_STAT_NUM; i++)
		seq_printf(s, " %08x", READ_ONCE(st->count[i]));
	seq_puts(s, "\n");
	return 0;
}

static const struct seq_operations stat_seq_ops = {
	.start = stat_seq_start,
	.next = stat_seq_next,
	.stop = stat_seq_stop,
	.show = stat_seq_show,
};

/*
 * /proc/net/ctlite_netns (initial netns only, root only: it names every
 * namespace): how the table is shared, a line per namespace with its
 * inode number (as `lsns -t net` shows it), entries and limit.  Tenants
 * are read under RCU: a namespace's state is freed a grace period after
 * its exit, and it leaves the xarray in its exit.
 */
static int netns_seq_show(struct seq_file *s, void *v)
{
	struct ctlite_tenant *t;
	unsigned long id;

	seq_printf(s, "%-12s %10s %10s\n", "netns", "entries", "limit");
	rcu_read_lock();
	xa_for_each(&ctlite_table->tenants, id, t)
		seq_printf(s, "%-12u %10u %10u\n", t->inum,
			   atomic_read(&t->count),
			   ctlite_table_tenant_limit(ctlite_table, t));
	rcu_read_unlock();
	seq_printf(s, "%-12s %10u %10u\n", "all",
		   atomic_read(&ctlite_table->count), READ_ONCE(ctlite_table->max));
	return 0;
}

/**
 * ctlite_proc_init() - create /proc/net/ctlite and /proc/net/stat/ctlite
 * @net: the namespace whose files they are
 *
 * In the initial namespace, /proc/net/ctlite_netns too.
 *
 * Return: 0 or -ENOMEM; on failure none of the files exists.
 */
int ctlite_proc_init(struct net *net)
{
	struct proc_dir_entry *entries, *stat;
	kuid_t root_uid = make_kuid(net->user_ns, 0);
	kgid_t root_gid = make_kgid(net->user_ns, 0);

	entries = proc_create_net("ctlite", 0440, net->proc_net, &entry_seq_ops,
				  sizeof(struct entry_iter));
	if (!entries)
		goto err_entries;
	stat = proc_create_net("ctlite", 0444, net->proc_net_stat, &stat_seq_ops,
			       sizeof(struct stat_iter));
	if (!stat)
		goto err_stat;
	if (net_eq(net, &init_net) &&
	    !proc_create_net_single("ctlite_netns", 0440, net->proc_net,
				    netns_seq_show, NULL))
		goto err_netns;

	/* owned by the namespace's root, as nf_conntrack's files are */
	if (uid_valid(root_uid) && gid_valid(root_gid)) {
		proc_set_user(entries, root_uid, root_gid);
		proc_set_user(stat, root_uid, root_gid);
	}
	return 0;

err_netns:
	remove_proc_entry("ctlite", net->proc_net_stat);
err_stat:
	remove_proc_entry("ctlite", net->proc_net);
err_entries:
	return -ENOMEM;
}

/**
 * ctlite_proc_exit() - remove the namespace's /proc files
 * @net: the namespace
 */
void ctlite_proc_exit(struct net *net)
{
	if (net_eq(net, &init_net))
		remove_proc_entry("ctlite_netns", net->proc_net);
	remove_proc_entry("ctlite", net->proc_net_stat);
	remove_proc_entry("ctlite", net->proc_net);
}
