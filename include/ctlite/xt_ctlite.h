/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The ctlite xtables match: what iptables' libxt_ctlite.so hands the
 * kernel for `-m ctlite`.  Shared by the module and the extension, so it
 * uses only fixed-size user-space types.  Option names follow
 * xt_conntrack's (--ctstate, --ctdir, --ctstatus); the bits do not.
 */
#ifndef _XT_CTLITE_H
#define _XT_CTLITE_H

#include <linux/types.h>

/* @match_flags and @invert_flags: which options a rule gave, and negated */
enum {
	XT_CTLITE_STATE = 1 << 0,
	XT_CTLITE_DIRECTION = 1 << 1,
	XT_CTLITE_STATUS = 1 << 2,
};

/* @state_mask: what a packet is to ctlite, one bit each */
enum {
	XT_CTLITE_STATE_INVALID = 1 << 0,
	XT_CTLITE_STATE_NEW = 1 << 1,
	XT_CTLITE_STATE_ESTABLISHED = 1 << 2,
	XT_CTLITE_STATE_RELATED = 1 << 3,
	XT_CTLITE_STATE_UNTRACKED = 1 << 4,
};

/* @status_mask: what ctlite knows of the packet's flow */
enum {
	XT_CTLITE_STATUS_SEEN_REPLY = 1 << 0,	/* the other side has answered */
	XT_CTLITE_STATUS_ASSURED = 1 << 1,	/* early drop spares it */
	XT_CTLITE_STATUS_CONFIRMED = 1 << 2,	/* it has an entry in the table */
};

/* @direction, when XT_CTLITE_DIRECTION is given */
enum {
	XT_CTLITE_DIR_ORIGINAL,
	XT_CTLITE_DIR_REPLY,
};

/**
 * struct xt_ctlite_mtinfo - one `-m ctlite` in a rule
 * @match_flags: XT_CTLITE_STATE, _DIRECTION, _STATUS: the options given
 * @invert_flags: the same bits, for options given with `!`
 * @state_mask: XT_CTLITE_STATE_* bits: a packet in any of them matches
 * @status_mask: XT_CTLITE_STATUS_* bits: a flow with any of them matches
 *		 (0, NONE, matches none: `! --ctstatus NONE` matches all)
 * @direction: XT_CTLITE_DIR_*
 * @pad: zero
 */
struct xt_ctlite_mtinfo {
	__u8 match_flags;
	__u8 invert_flags;
	__u8 state_mask;
	__u8 status_mask;
	__u8 direction;
	__u8 pad[3];
};

#endif /* _XT_CTLITE_H */
