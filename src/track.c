// SPDX-License-Identifier: GPL-2.0
/*
 * What a packet does to its flow's entry: creates it, moves its state on
 * (TCP: nf_conntrack's state machine, in proto_tcp.c), refreshes its
 * deadline, or ends it (an exact TCP RST, a SYN reusing a closed flow's
 * ports, expiry met on lookup); and, for a new flow in a full table, makes
 * room by early drop or drops the packet.
 *
 * Runs under RCU read lock (netfilter's, around hooks).  An entry's state,
 * flags and windows change under its bucket lock, which every TCP segment
 * takes; packets of other protocols that change none of its flags refresh the
 * deadline, without it.  Timeouts and switches are the packet's
 * namespace's (struct ctlite_conf, read through timeout.h); a drop is
 * counted and logged by drops.c.  Time is the caller's @now, in 32-bit
 * jiffies, so tests can set the clock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter.h>
#include <net/tcp.h>
#include <kunit/visibility.h>

#include <ctlite/compat.h>
#include <ctlite/ctlite.h>
#include <ctlite/timeout.h>
#include <ctlite/track.h>

enum {
	/* a packet meets at most this many concurrent deletes or restarts */
	TRACK_TRIES = 4,
	/* a full table: evictions tried for one new flow */
	EVICT_TRIES = 2,
	/* UDP: a flow answered and still active this long after its first
	 * packet is a stream, ASSURED (nf_conntrack's stream_ts)
	 */
	UDP_STREAM_AFTER = 2 * HZ,
};

/*
 * The flags a packet of a flow of another protocol than TCP leaves its
 * entry @e (now @flags) with: an answer marks the flow REPLIED; a UDP flow
 * answered and still active UDP_STREAM_AFTER after its first packet
 * becomes ASSURED (a stream), as in nf_conntrack; ICMP never does.  Other
 * protocols are ASSURED once answered.  entry_update() asks it of a
 * packet whose flow is answered but not ASSURED (or that answers it), and
 * takes the lock only when the flags would change.  Out of line: inlined,
 * it cost the lookup every packet shares registers, 5 instructions an
 * unanswered UDP packet and 9 each time a TCP segment is tracked
 * (make bench-tbprof).
 */
static noinline u8 other_flags(const struct ctlite_entry *e, u8 flags,
			       bool reply, u32 now)
{
	if (reply)
		flags |= CTLITE_F_REPLIED;
	if (!(flags & CTLITE_F_REPLIED) || (flags & CTLITE_F_ASSURED))
		return flags;
	/* UDP first: an answered flow's packets ask until it is a stream */
	if (likely(e->proto == IPPROTO_UDP || e->proto == IPPROTO_UDPLITE)) {
		if ((s32)(now - e->born - UDP_STREAM_AFTER) >= 0)
			flags |= CTLITE_F_ASSURED;
	} else if (e->proto != IPPROTO_ICMP && e->proto != IPPROTO_ICMPV6) {
		flags |= CTLITE_F_ASSURED;
	}
	return flags;
}

/* Another protocol than TCP, under the bucket lock: other_flags() */
static void other_update(struct ctlite_table *table,
			 const struct ctlite_conf *conf,
			 struct ctlite_entry *e, const struct ctlite_pkt *pkt,
			 u32 now)
{
	bool reply = pkt->src_is_1 != !!(e->flags & CTLITE_F_OPENER1);
	u8 flags = other_flags(e, e->flags, reply, now);

	WRITE_ONCE(e->flags, flags);
	ctlite_set_deadline(e, now + ctlite_entry_timeout(table, conf, e->proto, 0, flags));
}

/* A packet of the flow of @e went by, and may change more than its deadline */
static noinline enum ctlite_update
entry_update_locked(struct ctlite_table *table, const struct ctlite_conf *conf,
		    struct ctlite_entry *e, u32 hash, const struct ctlite_pkt *pkt,
		    u32 now)
{
	enum ctlite_update ret = CTLITE_UPDATE_OK;
	struct ctlite_locked l;
	u8 flags;

	table_lock_bh_off(table, hash, &l);
	if (e->flags & CTLITE_F_DEAD) {
		ret = CTLITE_UPDATE_GONE;
		goto out;
	}
	flags = e->flags;
	if (e->proto == IPPROTO_TCP)
		ret = ctlite_tcp_update(table, conf, e, &l, pkt, now);
	else
		other_update(table, conf, e, pkt, now);
	if (ret == CTLITE_UPDATE_OK && !(flags & CTLITE_F_ASSURED) &&
	    (e->flags & CTLITE_F_ASSURED))
		ctlite_table_assured(table, &l, e);
out:
	table_unlock_bh_off(&l);
	return ret;
}

/* A packet of the flow of @e (hashed to @hash) went by */
static __always_inline enum ctlite_update
entry_update(struct ctlite_table *table, const struct ctlite_conf *conf,
	     struct ctlite_entry *e, u32 hash, const struct ctlite_pkt *pkt,
	     u32 now)
{
	u8 flags = READ_ONCE(e->flags);
	bool reply = pkt->src_is_1 != !!(flags & CTLITE_F_OPENER1);

	/*
	 * A packet of another protocol than TCP that leaves the flags as
	 * they are changes nothing but the deadline: no lock.  That is the
	 * common case: a stream's packets, a question's before its answer,
	 * and an answered UDP flow's in the seconds before it becomes a
	 * stream (most of a short exchange's life).  A packet that changes
	 * the flags (the answer, the one that makes a stream) goes under the
	 * lock, in a function of its own: its locked bucket is not cleared
	 * on the stack of every packet.  A lockless deadline may cross a
	 * locked update's: the flow's next packet sets it again.
	 */
	if (e->proto != IPPROTO_TCP && !(flags & CTLITE_F_DEAD) &&
	    (flags & CTLITE_F_ASSURED || (!reply && !(flags & CTLITE_F_REPLIED)) ||
	     other_flags(e, flags, reply, now) == flags)) {
		ctlite_set_deadline(e, now + ctlite_entry_timeout(table, conf,
								  e->proto, 0, flags));
		return CTLITE_UPDATE_OK;
	}
	return entry_update_locked(table, conf, e, hash, pkt, now);
}

/*
 * A full table (or a namespace at its limit) and a new flow: free a slot
 * by early drop among the namespace's own entries, unless it is off, or
 * max or the namespace's limit was lowered below its count (then nothing
 * new is admitted until entries go by themselves).  On success the slot
 * is the caller's.
 */
static bool make_room(struct ctlite_table *table, struct ctlite_net *cn,
		      u32 hash, u32 now, unsigned int *searched)
{
	if (!READ_ONCE(cn->conf.early_drop) ||
	    atomic_read(&table->count) > READ_ONCE(table->max) ||
	    atomic_read(&cn->tenant.count) >
	    ctlite_table_tenant_limit(table, &cn->tenant))
		return false;
	switch (ctlite_table_evict(table, hash, ctlite_net_id(cn), now,
				   searched)) {
	case CTLITE_EVICT_EXPIRED:
		ctlite_stat_add(cn, CTLITE_STAT_EXPIRED, 1);
		return true;
	case CTLITE_EVICT_UNASSURED:
		ctlite_stat_add(cn, CTLITE_STAT_EARLY_DROP, 1);
		return true;
	default:
		return false;
	}
}

/*
 * A packet of a flow without an entry: make one.  Return NULL when the
 * packet is done with (entry made, or none possible: *@verdict says what
 * to do with it), or the entry another CPU made first, for the caller to
 * update.
 */
static struct ctlite_entry *new_flow(struct ctlite_table *table,
				     struct ctlite_net *cn,
				     const struct ctlite_key *key, u32 hash,
				     const struct ctlite_pkt *pkt, u32 now,
				     unsigned int *searched,
				     unsigned int *verdict)
{
	struct ctlite_insert ins = {
		.now = now,
		.flags = pkt->src_is_1 ? CTLITE_F_OPENER1 : 0,
		.tenant = &cn->tenant,
	};
	struct ctlite_entry *e;
	unsigned int tries;

	if (key->proto == IPPROTO_TCP) {
		/* the caller checked it may (can_start()) */
		if (!ctlite_tcp_new(&ins, pkt))
			return NULL;
	} else {
		ins.born = now;
	}
	ins.deadline = now + ctlite_entry_timeout(table, &cn->conf, key->proto,
					   ins.state, ins.flags);
	for (tries = 0;; tries++) {
		e = ctlite_table_insert(table, key, hash, &ins);
		*searched += ins.searched;
		ins.searched = 0;
		ctlite_stat_add(cn, CTLITE_STAT_EXPIRED, ins.reaped);
		ins.reaped = 0;
		if (!IS_ERR(e))
			break;
		/* room elsewhere would not shorten a chain, nor find memory */
		if (tries < EVICT_TRIES && PTR_ERR(e) != -EMLINK &&
		    PTR_ERR(e) != -ENOMEM &&
		    make_room(table, cn, hash, now, searched)) {
			ins.have_slot = true;
			continue;
		}
		ctlite_drop_new_flow(table, cn, hash, PTR_ERR(e));
		*verdict = NF_DROP;
		return NULL;
	}
	if (ins.created) {
		ctlite_stat_add(cn, CTLITE_STAT_NEW, 1);
		ctlite_gc_note(ins.deadline);
		return NULL;
	}
	ctlite_stat_add(cn, CTLITE_STAT_INSERT_FAILED, 1);
	return e;
}

/*
 * Whether a packet without an entry may start a flow: TCP's SYN or ACK.
 * Any other protocol's may, and is not made to clear a TCP insert first.
 */
static bool can_start(const struct ctlite_key *key, const struct ctlite_pkt *pkt)
{
	struct ctlite_insert ins;

	if (key->proto != IPPROTO_TCP)
		return true;
	memset(&ins, 0, sizeof(ins));
	return ctlite_tcp_new(&ins, pkt);
}

/* What a packet of the flow of an entry with @flags is */
static __always_inline void res_found(struct ctlite_res *res, u8 flags,
				      const struct ctlite_pkt *pkt)
{
	res->reply = pkt->src_is_1 != !!(flags & CTLITE_F_OPENER1);
	res->flags = flags & ~CTLITE_F_DEAD;
	res->confirm = false;
	/* as nf_conntrack: NEW in the opening direction until answered */
	res->state = res->reply || (flags & CTLITE_F_REPLIED) ?
		     CTLITE_CT_ESTABLISHED : CTLITE_CT_NEW;
}

/*
 * Find the flow's entry and move it on with @pkt, filling @res.  For a
 * flow without one, @make says which hook this is: confirmation makes the
 * entry (new_flow()); tracking only judges whether the packet may start
 * a flow (NEW, to be confirmed).  Inline in each of the two, so that
 * @make is a constant there.  Return: new_flow()'s verdict, or NF_ACCEPT.
 */
static __always_inline unsigned int track(struct ctlite_table *table,
					  struct ctlite_net *cn,
					  const struct ctlite_key *key,
					  u32 hash,
					  const struct ctlite_pkt *pkt,
					  u32 now, bool make,
					  struct ctlite_res *res)
{
	unsigned int searched = 0, verdict = NF_ACCEPT, tries;
	struct ctlite_entry *e;

	ctlite_res_none(res, CTLITE_CT_INVALID);
	for (tries = 0; tries < TRACK_TRIES; tries++) {
		/*
		 * Confirmation found no entry at tracking: the insert walks
		 * the chain under its lock anyway, and finds the entry if
		 * another CPU made it since (an insert race, so counted).
		 */
		e = make && !tries ? NULL :
		    ctlite_table_lookup(table, key, hash, &searched);
		if (e && ctlite_entry_expired(e, now)) {
			if (ctlite_table_delete(table, e, CTLITE_REASON_EXPIRED))
				ctlite_stat_add(cn, CTLITE_STAT_EXPIRED, 1);
			e = NULL;
		}
		if (!e && !make) {
			if (!can_start(key, pkt)) {
				ctlite_stat_add(cn, CTLITE_STAT_INVALID, 1);
				break;
			}
			res->state = CTLITE_CT_NEW;
			res->confirm = true;
			ctlite_stat_add(cn, CTLITE_STAT_UNCONFIRMED, 1);
			break;
		}
		if (!e) {
			/* made, or none can be: done; or another CPU's to update */
			e = new_flow(table, cn, key, hash, pkt, now, &searched,
				     &verdict);
			if (!e)
				break;
		}
		switch (entry_update(table, &cn->conf, e, hash, pkt, now)) {
		case CTLITE_UPDATE_OK:
		case CTLITE_UPDATE_IGNORED:
			ctlite_stat_add(cn, CTLITE_STAT_FOUND, 1);
			res_found(res, READ_ONCE(e->flags), pkt);
			goto out;
		case CTLITE_UPDATE_INVALID:
			ctlite_stat_add(cn, CTLITE_STAT_INVALID, 1);
			goto out;
		case CTLITE_UPDATE_RST_EVICT:
			/* the RST itself belongs to the flow it ends */
			ctlite_stat_add(cn, CTLITE_STAT_RST_EVICT, 1);
			res_found(res, READ_ONCE(e->flags), pkt);
			goto out;
		case CTLITE_UPDATE_RESTART:
		case CTLITE_UPDATE_GONE:
			/* look again: this packet now starts a new flow */
			break;
		}
	}
out:
	ctlite_stat_add(cn, CTLITE_STAT_SEARCHED, searched);
	return verdict;
}

/**
 * ctlite_track_pkt() - move a packet's flow on, at the tracking hook
 * @table: the table
 * @cn: the packet's namespace: its counters and timeouts
 * @key: the packet's canonical flow key
 * @pkt: direction and TCP fields of the packet
 * @now: the time, 32-bit jiffies
 * @res: filled in with what the packet is to its flow
 *
 * A packet of a tracked flow updates its entry here.  A packet that may
 * start a flow makes no entry yet: it is NEW with @res->confirm set, and
 * ctlite_confirm() makes the entry once the packet has passed the host's
 * filter, so a packet the firewall drops leaves nothing behind.  Never
 * drops.  Call with RCU read lock and bottom halves off, as a netfilter
 * hook in softirq has them (in a task, ctlite_ring_enter()).
 *
 * Return: the key's hash, which ctlite_confirm_hashed() takes so that a
 * new flow's key is hashed once.  Inline into the tracking hook (one
 * unit with it: fastpath.c), as the lookup and the parser are.
 */
__always_inline u32
ctlite_track_pkt(struct ctlite_table *table, struct ctlite_net *cn,
		 const struct ctlite_key *key, const struct ctlite_pkt *pkt,
		 u32 now, struct ctlite_res *res)
{
	u32 hash = ctlite_table_hash(table, key);

	track(table, cn, key, hash, pkt, now, false, res);
	return hash;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_track_pkt);

/**
 * ctlite_confirm() - make the entry of a new flow whose packet passed
 * @table: the table
 * @cn: the packet's namespace: its counters and timeouts
 * @key: the packet's canonical flow key, as ctlite_track_pkt() had it
 * @pkt: direction and TCP fields of the packet
 * @now: the time, 32-bit jiffies
 *
 * For a packet ctlite_track_pkt() found NEW with confirm set, once it has
 * left the filter (POST_ROUTING or LOCAL_IN).  Makes the flow's entry,
 * or, if another packet of the flow made it meanwhile, moves that one on.
 * A full table is met here: early drop, or the packet is dropped.  Call
 * with RCU read lock and bottom halves off, as ctlite_track_pkt().
 *
 * Return: NF_ACCEPT, or NF_DROP when no entry can be made (table or
 * namespace full with nothing to evict, a full chain, or no memory): the
 * only reason ctlite drops a packet.
 */
unsigned int ctlite_confirm(struct ctlite_table *table, struct ctlite_net *cn,
			    const struct ctlite_key *key,
			    const struct ctlite_pkt *pkt, u32 now)
{
	return ctlite_confirm_hashed(table, cn, key,
				     ctlite_table_hash(table, key), pkt, now);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_confirm);

/**
 * ctlite_confirm_hashed() - ctlite_confirm() with the key's hash at hand
 * @table: the table
 * @cn: the packet's namespace: its counters and timeouts
 * @key: the packet's canonical flow key, as ctlite_track_pkt() had it
 * @hash: what ctlite_track_pkt() returned for it (the table's hash key
 *	  never changes, a resize included)
 * @pkt: direction and TCP fields of the packet
 * @now: the time, 32-bit jiffies
 *
 * Return: as ctlite_confirm().
 */
unsigned int ctlite_confirm_hashed(struct ctlite_table *table,
				   struct ctlite_net *cn,
				   const struct ctlite_key *key, u32 hash,
				   const struct ctlite_pkt *pkt, u32 now)
{
	struct ctlite_res res;

	this_cpu_sub(cn->stats->count[CTLITE_STAT_UNCONFIRMED], 1);
	return track(table, cn, key, hash, pkt, now, true, &res);
}

/**
 * ctlite_track() - track a packet and confirm its flow at once
 * @table: the table
 * @cn: the packet's namespace: its counters and timeouts
 * @key: the packet's canonical flow key
 * @pkt: direction and TCP fields of the packet
 * @now: the time, 32-bit jiffies
 *
 * ctlite_track_pkt(), then ctlite_confirm() when the packet starts a
 * flow: what the two hooks do to a packet no rule drops.  Call with RCU
 * read lock and bottom halves off, as ctlite_track_pkt().
 *
 * Return: ctlite_confirm()'s verdict, or NF_ACCEPT.
 */
unsigned int ctlite_track(struct ctlite_table *table, struct ctlite_net *cn,
			  const struct ctlite_key *key,
			  const struct ctlite_pkt *pkt, u32 now)
{
	struct ctlite_res res;
	u32 hash;

	hash = ctlite_track_pkt(table, cn, key, pkt, now, &res);
	return res.confirm ?
	       ctlite_confirm_hashed(table, cn, key, hash, pkt, now) : NF_ACCEPT;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_track);

/* The flow's entry if it is live, or NULL: a read, which changes nothing */
static struct ctlite_entry *live_entry(struct ctlite_table *table,
				       const struct ctlite_key *key, u32 now)
{
	unsigned int searched = 0;
	struct ctlite_entry *e;

	e = ctlite_table_lookup(table, key, ctlite_table_hash(table, key),
				&searched);
	return e && !ctlite_entry_expired(e, now) ? e : NULL;
}

/**
 * ctlite_classify() - what a packet is to its flow, without moving it on
 * @table: the table
 * @key: the packet's canonical flow key
 * @pkt: direction and TCP fields of the packet
 * @now: the time, 32-bit jiffies
 * @res: filled in
 *
 * For a rule that meets a packet whose tracking result is not at hand (a
 * packet sent from process context, or a rule in a table before ctlite's
 * hook): the flow's entry as it is now.  A segment the tracking hook
 * found out of window reads as its flow's here.  Call with RCU read lock.
 */
void ctlite_classify(struct ctlite_table *table, const struct ctlite_key *key,
		     const struct ctlite_pkt *pkt, u32 now, struct ctlite_res *res)
{
	struct ctlite_entry *e = live_entry(table, key, now);

	if (e) {
		res_found(res, READ_ONCE(e->flags), pkt);
		return;
	}
	/* a flow's first packet, not confirmed yet, or one that cannot be */
	ctlite_res_none(res, CTLITE_CT_INVALID);
	if (can_start(key, pkt)) {
		res->state = CTLITE_CT_NEW;
		res->confirm = true;
	}
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_classify);

/**
 * ctlite_related() - what an ICMP error is to the flow it quotes
 * @table: the table
 * @key: the quoted packet's canonical flow key
 * @pkt: the quoted packet's direction
 * @now: the time, 32-bit jiffies
 * @res: filled in: RELATED to a live entry, else INVALID
 *
 * The error travels against the packet it quotes: it is in the reply
 * direction when the quoted packet was in the original one, as in
 * nf_conntrack.  Changes nothing.  Call with RCU read lock.
 */
void ctlite_related(struct ctlite_table *table, const struct ctlite_key *key,
		    const struct ctlite_pkt *pkt, u32 now, struct ctlite_res *res)
{
	struct ctlite_entry *e = live_entry(table, key, now);

	if (!e) {
		ctlite_res_none(res, CTLITE_CT_INVALID);
		return;
	}
	res_found(res, READ_ONCE(e->flags), pkt);
	res->reply = !res->reply;
	res->state = CTLITE_CT_RELATED;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_related);
