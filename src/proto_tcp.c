// SPDX-License-Identifier: GPL-2.0
/*
 * TCP as nf_conntrack tracks it: the state machine (nf_conntrack's
 * tcp_conntracks), the window check (its tcp_in_window(), on the 24 bytes
 * of struct ctlite_tcp_win), RFC 5961's exact RST, and which segments may
 * start a flow.
 *
 * No segment moves a state, a window or a deadline unless its sequence and
 * acknowledgment numbers are plausible; an RST ends a flow only at the
 * exact next sequence number.  So an off-path host that knows a flow's
 * addresses and ports must guess its sequence numbers.
 *
 * Locking: ctlite_tcp_update() runs under the entry's bucket lock (it
 * asserts it), which every segment of a tracked flow takes; ctlite_tcp_new()
 * fills an insert no one else sees yet.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/lockdep.h>
#include <net/tcp.h>
#include <kunit/visibility.h>

#include <ctlite/ctlite.h>
#include <ctlite/timeout.h>
#include <ctlite/track.h>

/*
 * nf_conntrack's MAXACKWINCONST: an acknowledgment may lag what it
 * acknowledges by the sender's window, and by at least this much
 */
#define TCP_ACK_WINDOW_MIN	66000

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

/* Endpoint @i's window scale, 0 until both sides have agreed on one */
static u8 wscale_of(u8 wscale, unsigned int i)
{
	u8 v = (wscale >> (4 * i)) & 0xf;

	return v == CTLITE_WSCALE_NONE ? 0 : v;
}

static u8 wscale_set(u8 wscale, unsigned int i, u8 v)
{
	return (wscale & ~(0xf << (4 * i))) | (v << (4 * i));
}

/* The sequence number after a segment: its data, SYN and FIN count */
static u32 seg_end(const struct ctlite_pkt *pkt)
{
	return pkt->seq + pkt->len + !!(pkt->tcp_flags & TCPHDR_SYN) +
	       !!(pkt->tcp_flags & TCPHDR_FIN);
}

/*
 * The window endpoint @i grants the other side now: how far beyond i's
 * acknowledgment the other may send.  nf_conntrack keeps the largest ever
 * (td_maxwin); the one granted now is no larger, so the bounds below are
 * as tight or tighter, and a segment they refuse for it is only ignored.
 */
static u32 granted(const struct ctlite_tcp_win *w, unsigned int i)
{
	return w->maxend[!i] - w->acked[!i];
}

/*
 * A SYN or SYN-ACK from endpoint @s starts its side of the window, as
 * nf_conntrack's tcp_init_sender(): nothing acknowledged, nothing granted
 * beyond the SYN.  Both sides must offer a window scale for either to
 * scale (RFC 7323): the SYN-ACK settles it.
 */
static void tcp_init_sender(struct ctlite_tcp_win *w, u8 *wscale, u8 *flags,
			    const struct ctlite_pkt *pkt, unsigned int s)
{
	unsigned int o = !s;
	u32 end = seg_end(pkt);

	w->end[s] = end;
	w->maxend[s] = end;
	w->acked[s] = end;
	*wscale = wscale_set(*wscale, s, pkt->wscale);
	if ((pkt->tcp_flags & TCPHDR_ACK) &&
	    (((*wscale >> (4 * o)) & 0xf) == CTLITE_WSCALE_NONE ||
	     pkt->wscale == CTLITE_WSCALE_NONE))
		*wscale = 0;
	*flags |= CTLITE_F_SEQ(s);
}

/* What tcp_in_window() makes of a segment */
enum win {
	WIN_ACCEPT,	/* in window: it may move the state */
	WIN_IGNORE,	/* plausible but stale: passes, changes nothing */
	WIN_INVALID,	/* not from this connection's endpoints: changes nothing */
};

/*
 * nf_conntrack's tcp_in_window() (Linux 6.1), on what struct
 * ctlite_tcp_win keeps: the segment from endpoint @s must start at or
 * below what the other side granted it (@maxend), end above what @s sent
 * less the window the other grants, and acknowledge no more than the
 * other sent, and no less than that less the window @s grants (at least
 * TCP_ACK_WINDOW_MIN).  A segment without ACK is checked on its sequence
 * number alone, as there.  What passes moves the windows on.
 *
 * So a segment an off-path host forges passes only if its sequence number
 * falls in a window of about twice the flow's (one chance in
 * 2^32 / (2 * window)), and, when it carries an ACK, its acknowledgment in
 * one of about the larger of the windows or 66000 (another chance in
 * 2^32 / 66000 at least).
 *
 * Picked-up flows (CTLITE_F_LIBERAL) never saw the SYNs that carry the
 * window scales, so, as in nf_conntrack, their windows move on but are
 * not checked.
 *
 * With !@commit (an RST) the segment is judged and nothing moves: an RST
 * that is in the window but not exact must not move the very numbers that
 * say what exact is.
 */
static __always_inline enum win
tcp_in_window(struct ctlite_entry *e, u8 *flags, const struct ctlite_pkt *pkt,
	      unsigned int s, u8 state, bool commit)
{
	struct ctlite_tcp_win *w = &e->tcp;
	bool syn = pkt->tcp_flags & TCPHDR_SYN;
	bool has_ack = pkt->tcp_flags & TCPHDR_ACK;
	u32 seq = pkt->seq, ack = pkt->ack, end = seg_end(pkt), win = pkt->win;
	unsigned int o = !s;
	bool receiver_known;
	u32 recv_win, ack_win;
	u8 wscale = e->wscale;

	if (!(*flags & CTLITE_F_SEQ(s))) {
		/* the answer to a SYN: its sender's side starts here */
		if (!syn)
			return WIN_IGNORE;
		tcp_init_sender(w, &wscale, flags, pkt, s);
	} else if (syn && after(end, w->end[s]) &&
		   (state == CTLITE_TCP_SYN_SENT || state == CTLITE_TCP_SYN_RECV)) {
		/* a SYN again, with a new initial sequence number: start over */
		tcp_init_sender(w, &wscale, flags, pkt, s);
	}
	receiver_known = *flags & CTLITE_F_SEQ(o);

	/* no ACK (or an RST's broken zero one): as if it acknowledged all */
	if (!has_ack || ((pkt->tcp_flags & TCPHDR_RST) && !ack))
		ack = w->end[o];

	if (*flags & CTLITE_F_LIBERAL)
		goto accept;

	recv_win = receiver_known ? granted(w, o) : 0;
	ack_win = max_t(u32, granted(w, s), TCP_ACK_WINDOW_MIN);

	if (after(seq, w->maxend[s])) {
		u32 overshot = end - w->maxend[s] + 1;

		/*
		 * A TCP that sends beyond the receive window: the data is
		 * still the connection's, so its end is noted (the answer's
		 * ACK must not be refused for it), but nothing moves
		 */
		if (receiver_known && recv_win &&
		    after(end, w->end[s] - recv_win - 1) &&
		    after(ack, w->end[o] - ack_win - 1) &&
		    !after(ack, w->end[o]) && overshot <= recv_win) {
			if (commit) {
				w->end[s] = end;
				e->wscale = wscale;
			}
			return WIN_IGNORE;
		}
		return WIN_INVALID;
	}
	if (receiver_known && after(ack, w->end[o]))
		return WIN_INVALID;	/* acknowledges what was never sent */
	if (receiver_known && recv_win && !after(end, w->end[s] - recv_win - 1))
		return WIN_IGNORE;	/* data acknowledged long ago, again */
	if (receiver_known && !after(ack, w->end[o] - ack_win - 1))
		return WIN_IGNORE;	/* an acknowledgment overtaken long ago */

accept:
	if (!commit)
		return WIN_ACCEPT;
	e->wscale = wscale;
	if (!syn)
		win <<= wscale_of(wscale, s);
	if (after(end, w->end[s]))
		w->end[s] = end;
	if (!receiver_known)
		return WIN_ACCEPT;
	if (has_ack && after(ack, w->acked[o]))
		w->acked[o] = ack;
	if (after(ack + win, w->maxend[o] - 1))
		w->maxend[o] = ack + win + !win;
	return WIN_ACCEPT;
}

/*
 * Whether an RST ends its flow (RFC 5961 section 3.2).  From endpoint @s
 * it must carry exactly the sequence number the other side expects next
 * (what the other acknowledged of @s), or the one @s would send next (an
 * RST right behind data not acknowledged yet).  An RST in the window but
 * not exact changes nothing: the endpoint answers it with a challenge ACK,
 * and a genuine peer then resets at the exact number.  Before the answer
 * to a SYN, the responder's RST must acknowledge exactly the SYN.
 *
 * Return: WIN_ACCEPT to end the flow, WIN_IGNORE to let it pass without
 * effect, WIN_INVALID when it is outside the window (or before what the
 * other side already acknowledged).
 */
static enum win tcp_rst(struct ctlite_entry *e, u8 *flags,
			const struct ctlite_pkt *pkt, unsigned int s, u8 state)
{
	const struct ctlite_tcp_win *w = &e->tcp;
	unsigned int o = !s;
	enum win ret;

	if (!(*flags & CTLITE_F_SEQ(s))) {
		/* a refused SYN: the RST acknowledges exactly the SYN */
		return (pkt->tcp_flags & TCPHDR_ACK) && (*flags & CTLITE_F_SEQ(o)) &&
		       pkt->ack == w->end[o] ? WIN_ACCEPT : WIN_INVALID;
	}
	if (!(*flags & CTLITE_F_LIBERAL) && before(pkt->seq, w->acked[s]))
		return WIN_INVALID;
	ret = tcp_in_window(e, flags, pkt, s, state, false);
	if (ret != WIN_ACCEPT)
		return ret == WIN_IGNORE ? WIN_IGNORE : WIN_INVALID;
	return pkt->seq == w->acked[s] || pkt->seq == w->end[s] ?
	       WIN_ACCEPT : WIN_IGNORE;
}

/*
 * A window verdict as an update: CTLITE_UPDATE_OK when the segment goes on to
 * move the state; otherwise it ends here, with the flags the window
 * check may have set (a side's window starting) kept
 */
static enum ctlite_update win_update(struct ctlite_entry *e, u8 flags, enum win w)
{
	switch (w) {
	case WIN_INVALID:
		return CTLITE_UPDATE_INVALID;
	case WIN_IGNORE:
		WRITE_ONCE(e->flags, flags);
		return CTLITE_UPDATE_IGNORED;
	default:
		return CTLITE_UPDATE_OK;
	}
}

/**
 * ctlite_tcp_update() - a segment of a tracked TCP flow, under its lock
 * @table: the entry's table
 * @conf: the packet's namespace's timeouts and switches
 * @e: the flow's entry
 * @l: @e's bucket, locked
 * @pkt: the segment
 * @now: the time, in 32-bit jiffies
 *
 * nf_conntrack's state machine, window-checked: an RST at the exact next
 * sequence number ends the flow (deletes the entry with rst_evict on), a
 * SYN on a closed flow restarts it, anything else moves the state, the
 * windows and the deadline only when its numbers are plausible.
 *
 * Return: what the segment did.
 */
__always_inline enum ctlite_update
ctlite_tcp_update(struct ctlite_table *table, const struct ctlite_conf *conf,
		  struct ctlite_entry *e, const struct ctlite_locked *l,
		  const struct ctlite_pkt *pkt, u32 now)
{
	unsigned int class = tcp_class(pkt->tcp_flags), s = pkt->src_is_1;
	u8 flags = e->flags, old = e->state, new;
	bool reply = s != !!(flags & CTLITE_F_OPENER1);
	enum ctlite_update ret;
	enum win w;

	lockdep_assert_held(l->lock);
	if (class == TCP_RST) {
		w = tcp_rst(e, &flags, pkt, s, old);
		ret = win_update(e, flags, w);
		if (ret != CTLITE_UPDATE_OK)
			return ret;
		if (READ_ONCE(conf->rst_evict)) {
			ctlite_table_unlink(table, l, e, CTLITE_REASON_RST);
			return CTLITE_UPDATE_RST_EVICT;
		}
		new = CTLITE_TCP_CLOSE;
		goto set;
	}
	/*
	 * A SYN on a flow that closed (FINs both ways, or an exact RST): the
	 * ports are reused, as nf_conntrack lets them be
	 */
	if (class == TCP_SYN &&
	    (old == CTLITE_TCP_TIME_WAIT || old == CTLITE_TCP_CLOSE)) {
		ctlite_table_unlink(table, l, e, CTLITE_REASON_REUSED);
		return CTLITE_UPDATE_RESTART;
	}
	new = tcp_next[reply][class][old];
	if (new == S_IV)
		return CTLITE_UPDATE_INVALID;
	if (new == S_IG)
		return CTLITE_UPDATE_IGNORED;

	w = tcp_in_window(e, &flags, pkt, s, old, true);
	ret = win_update(e, flags, w);
	if (ret != CTLITE_UPDATE_OK)
		return ret;
	if (reply)
		flags |= CTLITE_F_REPLIED;
	/* the handshake's last ACK, or an answer to a picked-up flow */
	if ((flags & CTLITE_F_REPLIED) && new == CTLITE_TCP_ESTABLISHED &&
	    (old == CTLITE_TCP_SYN_RECV || old == CTLITE_TCP_ESTABLISHED))
		flags |= CTLITE_F_ASSURED;
set:
	WRITE_ONCE(e->flags, flags);
	WRITE_ONCE(e->state, new);
	ctlite_set_deadline(e, now + ctlite_entry_timeout(table, conf, IPPROTO_TCP,
							  new, flags));
	return CTLITE_UPDATE_OK;
}

/**
 * ctlite_tcp_new() - whether a TCP segment may start a flow
 * @ins: the insert to fill in: the first state, windows and flags
 * @pkt: the segment
 *
 * Whether a segment may start a flow, and its first state.  A SYN
 * does; so does a plain ACK, picking up a flow that was established before
 * we saw it (nf_conntrack's tcp_loose), whose window is then not checked
 * (CTLITE_F_LIBERAL: its scales are unknown).  Anything else (SYN-ACK,
 * FIN, RST) without an entry is left untracked: an RST flood must not fill
 * the table.
 *
 * Return: true if it starts one, with @ins filled in.
 */
bool ctlite_tcp_new(struct ctlite_insert *ins, const struct ctlite_pkt *pkt)
{
	unsigned int s = pkt->src_is_1, o = !s;
	struct ctlite_tcp_win *w = &ins->tcp;
	u32 end = seg_end(pkt);

	switch (tcp_class(pkt->tcp_flags)) {
	case TCP_SYN:
		ins->state = CTLITE_TCP_SYN_SENT;
		ins->wscale = wscale_set(CTLITE_WSCALE_NONE << 4 | CTLITE_WSCALE_NONE,
					 s, pkt->wscale);
		w->end[s] = end;
		w->maxend[s] = end;
		w->acked[s] = end;
		ins->flags |= CTLITE_F_SEQ(s);
		return true;
	case TCP_ACK:
		ins->state = CTLITE_TCP_ESTABLISHED;
		w->end[s] = end;
		w->maxend[s] = end + pkt->win;
		w->acked[s] = pkt->seq;
		w->end[o] = pkt->ack;
		w->maxend[o] = pkt->ack;
		w->acked[o] = pkt->ack;
		ins->flags |= CTLITE_F_SEQ(s) | CTLITE_F_SEQ(o) | CTLITE_F_LIBERAL;
		return true;
	default:
		return false;
	}
}
