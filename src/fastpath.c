// SPDX-License-Identifier: GPL-2.0
/*
 * The per-packet path, built as one compilation unit: the packet parser,
 * the table (its lockless lookup and its bucket lock), TCP's state
 * machine, the tracker, the netfilter hooks and the match that rules
 * call.
 * Each file keeps its own concern; built together, the compiler can
 * inline a function of one into the others (those marked
 * __always_inline at their definition), as link-time optimization would,
 * which an out-of-tree module cannot count on.  The kernel builds its
 * scheduler the same way (kernel/sched/build_policy.c).
 *
 * Measured under -icount (make bench-icount), an established UDP packet
 * crossed four calls between these files, each saving and restoring
 * registers and passing its arguments through the stack; counted by
 * function (make bench-tbprof), a TCP segment crossed four more: the
 * bucket lock, the state machine and its window check.
 */
#include "tuple.c"
#include "table.c"
#include "proto_tcp.c"
#include "track.c"
#include "hooks.c"
#include "match.c"
