/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Between the tracker (track.c: lookups, new flows, lifetimes) and its TCP
 * state machine (proto_tcp.c): what one calls of the other.
 */
#ifndef _CTLITE_TRACK_H
#define _CTLITE_TRACK_H

#include <ctlite/ctlite.h>

/* What a packet did to its flow's entry (track.c's entry_update()) */
enum ctlite_update {
	CTLITE_UPDATE_OK,	/* state and deadline moved on */
	CTLITE_UPDATE_IGNORED,	/* a packet of the flow that changes nothing */
	CTLITE_UPDATE_INVALID,	/* does not fit the flow: counted, no change */
	CTLITE_UPDATE_RST_EVICT, /* an RST deleted the entry */
	CTLITE_UPDATE_RESTART,	/* a SYN reuses a closed flow: entry deleted */
	CTLITE_UPDATE_GONE,	/* someone else deleted the entry first */
};

/*
 * Move an entry's deadline to @deadline.  Stored only when it moves:
 * the packets of one jiffy leave the entry's cache line clean, as a
 * flow's packets on several CPUs otherwise pass it back and forth.  A
 * deadline the GC's schedule does not cover yet brings its pass forward.
 */
static inline void ctlite_set_deadline(struct ctlite_entry *e, u32 deadline)
{
	if (READ_ONCE(e->deadline) != deadline) {
		WRITE_ONCE(e->deadline, deadline);
		ctlite_gc_note(deadline);
	}
}

enum ctlite_update ctlite_tcp_update(struct ctlite_table *table,
				     const struct ctlite_conf *conf,
				     struct ctlite_entry *e,
				     const struct ctlite_locked *l,
				     const struct ctlite_pkt *pkt, u32 now);
bool ctlite_tcp_new(struct ctlite_insert *ins, const struct ctlite_pkt *pkt);

#endif /* _CTLITE_TRACK_H */
