// SPDX-License-Identifier: GPL-2.0
/*
 * What a packet does to its flow's entry: creates it, moves its state on
 * (TCP: nf_conntrack's state machine), refreshes its deadline, or ends it
 * (an in-window TCP RST, a SYN reusing a closed flow's ports, expiry met on
 * lookup); and, for a new flow in a full table, makes room by early drop
 * or drops the packet.
 *
 * Runs under RCU read lock (netfilter's, around hooks).  An entry's state
 * and flags change under its bucket lock; packets of an established,
 * assured flow only refresh its deadline and sequence number, without it.
 * Timeouts and switches are the packet's namespace's (struct ctlite_conf).
 * Time is the caller's @now, in 32-bit jiffies, so tests can set the clock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/math64.h>
#include <linux/netfilter.h>
#include <linux/inet.h>
#include <linux/sizes.h>
#include <net/tcp.h>
#include <kunit/visibility.h>

#include <ctlite/ctlite.h>

/* DESIGN.md's defaults, in seconds: nf_conntrack's for TCP */
static const unsigned int default_timeout[CTLITE_TO_NUM] = {
	[CTLITE_TO_TCP_SYN_SENT] = 120,
	[CTLITE_TO_TCP_SYN_RECV] = 60,
	[CTLITE_TO_TCP_ESTABLISHED] = 432000,
	[CTLITE_TO_TCP_FIN_WAIT] = 120,
	[CTLITE_TO_TCP_CLOSE_WAIT] = 60,
	[CTLITE_TO_TCP_LAST_ACK] = 30,
	[CTLITE_TO_TCP_TIME_WAIT] = 120,
	[CTLITE_TO_TCP_CLOSE] = 10,
	[CTLITE_TO_UDP] = 30,
	[CTLITE_TO_UDP_STREAM] = 120,
	[CTLITE_TO_ICMP] = 30,
	[CTLITE_TO_GENERIC] = 600,
};

enum {
	DEFAULT_ADAPTIVE_START = 60,	/* percent of max, as pf */
	DEFAULT_ADAPTIVE_END = 120,
	/* a packet meets at most this many concurrent deletes or restarts */
	TRACK_TRIES = 4,
	/* a full table: evictions tried for one new flow */
	EVICT_TRIES = 2,
};

/*
 * How far (bytes of sequence space) a TCP segment may be from what its
 * sender was last acknowledged for and still count: a RST must be at most
 * this far ahead to end a flow, and only a segment at most this far either
 * way moves the other side's acknowledgment point.  8 MiB covers Linux's
 * default largest receive window (tcp_rmem, 6 MiB); an off-path host that
 * knows a flow's ports must still guess one in 512 sequence numbers.
 */
#define SEQ_WINDOW	SZ_8M

/**
 * ctlite_conf_init() - a namespace's timeouts and switches at their defaults
 * @conf: filled in
 */
void ctlite_conf_init(struct ctlite_conf *conf)
{
	memcpy(conf->timeout, default_timeout, sizeof(conf->timeout));
	conf->early_drop = 1;
	conf->rst_evict = 1;
	conf->adaptive_start = DEFAULT_ADAPTIVE_START;
	conf->adaptive_end = DEFAULT_ADAPTIVE_END;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_conf_init);

/**
 * ctlite_adaptive_scale() - shrink a timeout as the table fills (pf's rule)
 * @timeout: the timeout, any unit
 * @count: entries in the table
 * @max: the table's limit
 * @start: percent of @max where shrinking starts (0: never)
 * @end: percent of @max where the timeout reaches 0 (0: never)
 *
 * Return: @timeout up to @start, @timeout * (end - count) / (end - start)
 * between, 0 from @end on; @timeout unchanged when either bound is 0 or
 * @start is not below @end.
 */
u32 ctlite_adaptive_scale(u32 timeout, unsigned int count, unsigned int max,
			  unsigned int start, unsigned int end)
{
	u64 c = (u64)count * 100, lo = (u64)max * start, hi = (u64)max * end;

	if (!start || !end || start >= end || c <= lo)
		return timeout;
	if (c >= hi)
		return 0;
	return mul_u64_u64_div_u64(timeout, hi - c, hi - lo);
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_adaptive_scale);

/* Jiffies an entry of @proto in @state with @flags lives without traffic */
static u32 entry_timeout(const struct ctlite_table *table,
			 const struct ctlite_conf *conf, u8 proto, u8 state,
			 u8 flags)
{
	unsigned int secs;

	switch (proto) {
	case IPPROTO_TCP:
		secs = READ_ONCE(conf->timeout[CTLITE_TO_TCP_SYN_SENT + state - 1]);
		/* a flow never answered lives no longer than a lone SYN */
		if (!(flags & CTLITE_F_REPLIED))
			secs = min(secs, READ_ONCE(conf->timeout[CTLITE_TO_TCP_SYN_SENT]));
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		secs = READ_ONCE(conf->timeout[flags & CTLITE_F_REPLIED ?
					       CTLITE_TO_UDP_STREAM : CTLITE_TO_UDP]);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		secs = READ_ONCE(conf->timeout[CTLITE_TO_ICMP]);
		break;
	default:
		secs = READ_ONCE(conf->timeout[CTLITE_TO_GENERIC]);
		break;
	}
	return ctlite_adaptive_scale(secs * HZ, atomic_read(&table->count),
				     READ_ONCE(table->max),
				     READ_ONCE(conf->adaptive_start),
				     READ_ONCE(conf->adaptive_end));
}

/* TCP: which of nf_conntrack's flag classes a segment is in */
enum { TCP_SYN, TCP_SYNACK, TCP_FIN, TCP_ACK, TCP_RST, TCP_NONE, TCP_CLASSES };

static unsigned int tcp_class(u8 flags)
{
	if (flags & TCPHDR_RST)
		return TCP_RST;
	if (flags & TCPHDR_SYN)
		return flags & TCPHDR_ACK ? TCP_SYNACK : TCP_SYN;
	if (flags & TCPHDR_FIN)
		return TCP_FIN;
	if (flags & TCPHDR_ACK)
		return TCP_ACK;
	return TCP_NONE;
}

#define S_NO CTLITE_TCP_NONE
#define S_SS CTLITE_TCP_SYN_SENT
#define S_SR CTLITE_TCP_SYN_RECV
#define S_ES CTLITE_TCP_ESTABLISHED
#define S_FW CTLITE_TCP_FIN_WAIT
#define S_CW CTLITE_TCP_CLOSE_WAIT
#define S_LA CTLITE_TCP_LAST_ACK
#define S_TW CTLITE_TCP_TIME_WAIT
#define S_CL CTLITE_TCP_CLOSE
#define S_IV CTLITE_TCP_NUM		/* invalid: counted, nothing changes */
#define S_IG (CTLITE_TCP_NUM + 1)	/* ignored: nothing changes */

/*
 * nf_conntrack_proto_tcp.c's tcp_conntracks (Linux 6.1) without its
 * SYN_SENT2 (simultaneous open, ignored here).  RSTs, and SYNs on TIME_WAIT
 * and CLOSE, are handled before the table is read.  [0]: from the opener.
 */
static const u8 tcp_next[2][TCP_CLASSES][CTLITE_TCP_NUM] = {
	{
/*		     S_NO, S_SS, S_SR, S_ES, S_FW, S_CW, S_LA, S_TW, S_CL */
/* syn */	   { S_SS, S_SS, S_IG, S_IG, S_IG, S_IG, S_IG, S_SS, S_SS },
/* synack */	   { S_IV, S_IV, S_SR, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV },
/* fin */	   { S_IV, S_IV, S_FW, S_FW, S_LA, S_LA, S_LA, S_TW, S_CL },
/* ack */	   { S_ES, S_IV, S_ES, S_ES, S_CW, S_CW, S_TW, S_TW, S_CL },
/* rst */	   { S_IV, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL },
/* none */	   { S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV },
	}, {
/*		     S_NO, S_SS, S_SR, S_ES, S_FW, S_CW, S_LA, S_TW, S_CL */
/* syn */	   { S_IV, S_IG, S_IV, S_IV, S_IV, S_IV, S_IV, S_SS, S_IV },
/* synack */	   { S_IV, S_SR, S_IG, S_IG, S_IG, S_IG, S_IG, S_IG, S_IG },
/* fin */	   { S_IV, S_IV, S_FW, S_FW, S_LA, S_LA, S_LA, S_TW, S_CL },
/* ack */	   { S_IV, S_IG, S_SR, S_ES, S_CW, S_CW, S_TW, S_TW, S_CL },
/* rst */	   { S_IV, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL },
/* none */	   { S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV },
	},
};

static const char *const tcp_state_names[CTLITE_TCP_NUM] = {
	[CTLITE_TCP_NONE] = "NONE",
	[CTLITE_TCP_SYN_SENT] = "SYN_SENT",
	[CTLITE_TCP_SYN_RECV] = "SYN_RECV",
	[CTLITE_TCP_ESTABLISHED] = "ESTABLISHED",
	[CTLITE_TCP_FIN_WAIT] = "FIN_WAIT",
	[CTLITE_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[CTLITE_TCP_LAST_ACK] = "LAST_ACK",
	[CTLITE_TCP_TIME_WAIT] = "TIME_WAIT",
	[CTLITE_TCP_CLOSE] = "CLOSE",
};

/**
 * ctlite_tcp_state_name() - nf_conntrack's name of a TCP state
 * @state: enum ctlite_tcp_state
 *
 * Return: the name, as /proc/net/nf_conntrack shows it.
 */
const char *ctlite_tcp_state_name(u8 state)
{
	return state < CTLITE_TCP_NUM ? tcp_state_names[state] : "NONE";
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_tcp_state_name);

/* A segment from endpoint @s with @seq is near what @s is expected to send */
static bool seq_plausible(const struct ctlite_entry *e, u8 flags,
			  unsigned int s, u32 seq)
{
	if (!(flags & CTLITE_F_SEQ(s)))
		return true;
	return seq - READ_ONCE(e->next_seq[s]) + SEQ_WINDOW < 2 * SEQ_WINDOW;
}

/*
 * Whether an RST may end its flow: its sequence number is at most
 * SEQ_WINDOW ahead of what its sender was last acknowledged for, or it
 * acknowledges exactly the other side's next byte (the answer to a SYN).
 */
static bool rst_in_window(const struct ctlite_entry *e,
			  const struct ctlite_pkt *pkt)
{
	unsigned int s = pkt->src_is_1, o = !s;

	if ((e->flags & CTLITE_F_SEQ(s)) &&
	    pkt->seq - e->next_seq[s] < SEQ_WINDOW)
		return true;
	return (pkt->tcp_flags & TCPHDR_ACK) && (e->flags & CTLITE_F_SEQ(o)) &&
	       pkt->ack == e->next_seq[o];
}

/* The sequence numbers a valid segment of class @class tells */
static u8 tcp_note_seq(struct ctlite_entry *e, u8 flags,
		       const struct ctlite_pkt *pkt, unsigned int class)
{
	unsigned int s = pkt->src_is_1, o = !s;

	if (class == TCP_SYN || class == TCP_SYNACK) {
		WRITE_ONCE(e->next_seq[s], pkt->seq + 1);
		flags |= CTLITE_F_SEQ(s);
	} else if (!seq_plausible(e, flags, s, pkt->seq)) {
		return flags;
	}
	if (pkt->tcp_flags & TCPHDR_ACK) {
		WRITE_ONCE(e->next_seq[o], pkt->ack);
		flags |= CTLITE_F_SEQ(o);
	}
	return flags;
}

/* What entry_update() did */
enum update {
	UPDATE_OK,		/* state and deadline moved on */
	UPDATE_IGNORED,		/* a packet of the flow that changes nothing */
	UPDATE_INVALID,		/* does not fit the flow: counted, nothing changes */
	UPDATE_RST_EVICT,	/* an RST deleted the entry */
	UPDATE_RESTART,		/* a SYN reuses a closed flow: entry deleted */
	UPDATE_GONE,		/* someone else deleted the entry first */
};

/* TCP under the bucket lock: nf_conntrack's state machine */
static enum update tcp_update(struct ctlite_table *table,
			      const struct ctlite_conf *conf,
			      struct ctlite_entry *e,
			      const struct ctlite_locked *l,
			      const struct ctlite_pkt *pkt, u32 now)
{
	unsigned int class = tcp_class(pkt->tcp_flags);
	u8 flags = e->flags, old = e->state, new;
	bool reply = pkt->src_is_1 != !!(flags & CTLITE_F_OPENER1);

	lockdep_assert_held(l->lock);
	if (class == TCP_RST) {
		if (!rst_in_window(e, pkt))
			return UPDATE_INVALID;
		if (READ_ONCE(conf->rst_evict)) {
			ctlite_table_unlink(table, l, e);
			return UPDATE_RST_EVICT;
		}
		new = CTLITE_TCP_CLOSE;
		goto set;
	}
	if (class == TCP_SYN &&
	    (old == CTLITE_TCP_TIME_WAIT || old == CTLITE_TCP_CLOSE)) {
		ctlite_table_unlink(table, l, e);
		return UPDATE_RESTART;
	}
	new = tcp_next[reply][class][old];
	if (new == S_IV)
		return UPDATE_INVALID;
	if (new == S_IG)
		return UPDATE_IGNORED;

	flags = tcp_note_seq(e, flags, pkt, class);
	if (reply)
		flags |= CTLITE_F_REPLIED;
	/* the handshake's last ACK, or an answer to a picked-up flow */
	if ((flags & CTLITE_F_REPLIED) && new == CTLITE_TCP_ESTABLISHED &&
	    (old == CTLITE_TCP_SYN_RECV || old == CTLITE_TCP_ESTABLISHED))
		flags |= CTLITE_F_ASSURED;
set:
	WRITE_ONCE(e->flags, flags);
	WRITE_ONCE(e->state, new);
	/*
	 * The state before the deadline, with a full barrier, as the lockless
	 * refresh in entry_update() writes the deadline, then reads the state:
	 * either it sees our state and sets the deadline again under the lock,
	 * or our deadline is written after its own.
	 */
	smp_mb();
	WRITE_ONCE(e->deadline,
		   now + entry_timeout(table, conf, IPPROTO_TCP, new, flags));
	return UPDATE_OK;
}

/* A packet of the flow of @e (hashed to @hash) went by */
static enum update entry_update(struct ctlite_table *table,
				const struct ctlite_conf *conf,
				struct ctlite_entry *e, u32 hash,
				const struct ctlite_pkt *pkt, u32 now)
{
	u8 flags = READ_ONCE(e->flags), state = READ_ONCE(e->state);
	bool reply = pkt->src_is_1 != !!(flags & CTLITE_F_OPENER1);
	enum update ret = UPDATE_OK;
	struct ctlite_locked l;

	/* the common cases change no state: no lock */
	if (e->proto == IPPROTO_TCP) {
		if (state == CTLITE_TCP_ESTABLISHED && (flags & CTLITE_F_ASSURED) &&
		    !(pkt->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN | TCPHDR_RST))) {
			if ((pkt->tcp_flags & TCPHDR_ACK) &&
			    seq_plausible(e, flags, pkt->src_is_1, pkt->seq))
				WRITE_ONCE(e->next_seq[!pkt->src_is_1], pkt->ack);
			WRITE_ONCE(e->deadline,
				   now + entry_timeout(table, conf, IPPROTO_TCP,
						       state, flags));
			/*
			 * A FIN or RST that moved the state under the lock
			 * meanwhile may have had its shorter deadline
			 * overwritten by ours (pairs with smp_mb() in
			 * tcp_update()): then this packet goes through the
			 * state machine below, after it, and sets the deadline
			 * of the state it leaves.
			 */
			smp_mb();
			if (likely(READ_ONCE(e->state) == state))
				return UPDATE_OK;
		}
	} else if (!reply || (flags & CTLITE_F_REPLIED)) {
		WRITE_ONCE(e->deadline,
			   now + entry_timeout(table, conf, e->proto, 0, flags));
		return UPDATE_OK;
	}

	ctlite_table_lock(table, hash, &l);
	if (hlist_nulls_unhashed(&e->node)) {
		ret = UPDATE_GONE;
		goto out;
	}
	flags = e->flags;
	if (e->proto == IPPROTO_TCP) {
		ret = tcp_update(table, conf, e, &l, pkt, now);
	} else {
		/* the first answer: a UDP stream, or an answered ping */
		WRITE_ONCE(e->flags, flags | CTLITE_F_REPLIED | CTLITE_F_ASSURED);
		WRITE_ONCE(e->deadline,
			   now + entry_timeout(table, conf, e->proto, 0, e->flags));
	}
	if (ret == UPDATE_OK && !(flags & CTLITE_F_ASSURED) &&
	    (e->flags & CTLITE_F_ASSURED))
		ctlite_table_assured(table, &l);
out:
	ctlite_table_unlock(&l);
	return ret;
}

/*
 * TCP: whether a segment may start a flow, and its first state.  A SYN
 * does; so does a plain ACK, picking up a flow that was established before
 * we saw it (nf_conntrack's tcp_loose).  Anything else (SYN-ACK, FIN, RST)
 * without an entry is left untracked: an RST flood must not fill the table.
 */
static bool tcp_new(struct ctlite_insert *ins, const struct ctlite_pkt *pkt)
{
	unsigned int s = pkt->src_is_1, o = !s;

	switch (tcp_class(pkt->tcp_flags)) {
	case TCP_SYN:
		ins->state = CTLITE_TCP_SYN_SENT;
		ins->next_seq[s] = pkt->seq + 1;
		ins->flags |= CTLITE_F_SEQ(s);
		return true;
	case TCP_ACK:
		ins->state = CTLITE_TCP_ESTABLISHED;
		ins->next_seq[s] = pkt->seq;
		ins->next_seq[o] = pkt->ack;
		ins->flags |= CTLITE_F_SEQ(s) | CTLITE_F_SEQ(o);
		return true;
	default:
		return false;
	}
}

/*
 * A full table and a new flow: free a slot by early drop, unless it is
 * off, or max was lowered below count (then nothing new is admitted until
 * entries go by themselves).  On success the slot is the caller's.
 */
static bool make_room(struct ctlite_table *table, struct ctlite_net *cn,
		      u32 hash, u32 now, unsigned int *searched)
{
	if (!READ_ONCE(cn->conf.early_drop) ||
	    atomic_read(&table->count) > READ_ONCE(table->max))
		return false;
	switch (ctlite_table_evict(table, hash, now, searched)) {
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
 * Who filled the table, on the line after "table full": the sources with
 * most entries in a bounded sample around the new flow's bucket.
 */
static void log_top_sources(struct ctlite_table *table, u32 hash)
{
	struct ctlite_source top[CTLITE_TOP_SOURCES];
	unsigned int n, i, sampled, sources;
	char line[CTLITE_TOP_SOURCES * (INET6_ADDRSTRLEN + 16)];
	int len = 0;

	n = ctlite_table_top_sources(table, hash, top, &sampled, &sources);
	for (i = 0; i < n; i++) {
		if (top[i].family == AF_INET6)
			len += scnprintf(line + len, sizeof(line) - len, "%s%pI6c (%u)",
					 i ? ", " : "", &top[i].addr.ip6,
					 top[i].entries);
		else
			len += scnprintf(line + len, sizeof(line) - len, "%s%pI4 (%u)",
					 i ? ", " : "", &top[i].addr.ip,
					 top[i].entries);
	}
	pr_warn("table full: %u entries sampled near the new flow, from %u%s source%s; most: %s\n",
		sampled, sources, sources >= CTLITE_SOURCES_TALLIED ? " or more" : "",
		sources == 1 ? "" : "s", n ? line : "none");
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
	};
	struct ctlite_entry *e;
	unsigned int tries;

	if (key->proto == IPPROTO_TCP && !tcp_new(&ins, pkt)) {
		ctlite_stat_add(cn, CTLITE_STAT_INVALID, 1);
		return NULL;
	}
	ins.deadline = now + entry_timeout(table, &cn->conf, key->proto,
					   ins.state, ins.flags);
	for (tries = 0;; tries++) {
		e = ctlite_table_insert(table, key, hash, &ins);
		*searched += ins.searched;
		ins.searched = 0;
		ctlite_stat_add(cn, CTLITE_STAT_EXPIRED, ins.reaped);
		ins.reaped = 0;
		if (!IS_ERR(e))
			break;
		if (PTR_ERR(e) == -ENOMEM) {
			ctlite_stat_add(cn, CTLITE_STAT_ALLOC_FAILED, 1);
			if (net_ratelimit())
				pr_warn("no memory for a new entry, dropping packet\n");
			*verdict = NF_DROP;
			return NULL;
		}
		if (tries < EVICT_TRIES && make_room(table, cn, hash, now, searched)) {
			ins.have_slot = true;
			continue;
		}
		ctlite_stat_add(cn, CTLITE_STAT_DROP, 1);
		if (net_ratelimit()) {
			pr_warn("table full, dropping packet\n");
			log_top_sources(table, hash);
		}
		*verdict = NF_DROP;
		return NULL;
	}
	if (ins.created) {
		ctlite_stat_add(cn, CTLITE_STAT_NEW, 1);
		return NULL;
	}
	ctlite_stat_add(cn, CTLITE_STAT_INSERT_FAILED, 1);
	return e;
}

/**
 * ctlite_track() - account one packet to its flow
 * @table: the table
 * @cn: the packet's namespace: its counters and timeouts
 * @key: the packet's canonical flow key
 * @pkt: direction and TCP fields of the packet
 * @now: the time, 32-bit jiffies
 *
 * Finds or makes the flow's entry and moves it on.  An entry found expired
 * is deleted and the packet starts a new flow.  Call with RCU read lock.
 *
 * Return: NF_ACCEPT, or NF_DROP when the packet starts a flow for which no
 * entry can be made (table full with nothing to evict, or no memory): the
 * only reason ctlite drops a packet.
 */
unsigned int ctlite_track(struct ctlite_table *table, struct ctlite_net *cn,
			  const struct ctlite_key *key,
			  const struct ctlite_pkt *pkt, u32 now)
{
	u32 hash = ctlite_table_hash(table, key);
	unsigned int searched = 0, verdict = NF_ACCEPT, tries;
	struct ctlite_entry *e;

	for (tries = 0; tries < TRACK_TRIES; tries++) {
		e = ctlite_table_lookup(table, key, hash, &searched);
		if (e && ctlite_entry_expired(e, now)) {
			if (ctlite_table_delete(table, e))
				ctlite_stat_add(cn, CTLITE_STAT_EXPIRED, 1);
			e = NULL;
		}
		if (!e) {
			e = new_flow(table, cn, key, hash, pkt, now, &searched,
				     &verdict);
			if (!e)
				break;
		}
		switch (entry_update(table, &cn->conf, e, hash, pkt, now)) {
		case UPDATE_OK:
		case UPDATE_IGNORED:
			ctlite_stat_add(cn, CTLITE_STAT_FOUND, 1);
			goto out;
		case UPDATE_INVALID:
			ctlite_stat_add(cn, CTLITE_STAT_INVALID, 1);
			goto out;
		case UPDATE_RST_EVICT:
			ctlite_stat_add(cn, CTLITE_STAT_RST_EVICT, 1);
			goto out;
		case UPDATE_RESTART:
		case UPDATE_GONE:
			/* look again: this packet now starts a new flow */
			break;
		}
	}
out:
	ctlite_stat_add(cn, CTLITE_STAT_SEARCHED, searched);
	return verdict;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_track);
