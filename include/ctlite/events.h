/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow events for `ctlite events` (netlink.c): the table tells them as
 * they happen, under the entry's bucket lock, so that a flow's events
 * reach a listener in order.
 */
#ifndef _CTLITE_EVENTS_H
#define _CTLITE_EVENTS_H

#include <linux/jump_label.h>

#include <ctlite/ctlite_netlink.h>
#include <ctlite/table.h>

/*
 * Off until a socket first joins the events group, in any namespace:
 * until then an event costs a patched-out branch.  It stays on (netlink
 * tells a family of joins and leaves, but not reliably enough to count
 * them); then an event costs a look at whether its namespace has a
 * listener.
 */
DECLARE_STATIC_KEY_FALSE(ctlite_events_wanted);

void ctlite_event_send(struct ctlite_table *table, struct ctlite_tenant *t,
		       const struct ctlite_entry *entry, u8 event, u8 reason);

/**
 * ctlite_event() - tell listeners what happened to an entry
 * @table: the entry's table (only the live table's entries have listeners)
 * @t: the entry's namespace's share when the caller has it at hand, else
 *     NULL (looked up only if someone may listen)
 * @entry: the entry, its bucket locked
 * @event: enum ctlite_event
 * @reason: enum ctlite_reason, for CTLITE_EVENT_DESTROY; else 0
 */
static inline void ctlite_event(struct ctlite_table *table,
				struct ctlite_tenant *t,
				const struct ctlite_entry *entry, u8 event,
				u8 reason)
{
	if (static_branch_unlikely(&ctlite_events_wanted))
		ctlite_event_send(table, t, entry, event, reason);
}

#endif /* _CTLITE_EVENTS_H */
