// SPDX-License-Identifier: GPL-2.0
/*
 * Timeout garbage collection of the live table: a delayed work item that
 * frees expired entries a slice of buckets at a time (ctlite_table_gc()),
 * each run bounded in entries and time.  A pass that is not finished goes
 * on at once.
 *
 * Passes are spaced by deadlines, not by the clock.  After a pass the next
 * one is due when the soonest deadline it saw comes, at most
 * GC_INTERVAL_MAX later; and a deadline set before that (a new flow, a
 * TCP state with a short timeout) brings the next pass forward: the packet
 * path compares each deadline it sets with ctlite_gc_due, a word only the
 * GC and such rare deadlines write (ctlite_gc_note()).  An idle table so
 * costs a pass a minute, as nf_conntrack's, where it cost one a second.
 *
 * Passes never come sooner than GC_INTERVAL_MIN, nor than GC_REST times
 * the last one took after it: a pass of a large table is long (1,000,000
 * entries took most of a second in a TCG guest), and back to back they
 * kept a CPU a third busy finding nothing to free.  So the GC uses at most
 * 1 / (1 + GC_REST) of a CPU, and an entry is freed at most one pass after
 * the later of its deadline and that rest (lookups and a full table's
 * early drop reap sooner).
 *
 * Locking: gc_lock guards the schedule (ctlite_gc_due, gc_when, gc_idle,
 * gc_on) between the work item and the packets that hurry it; it is taken
 * a few times a pass.  The walk's own state is only touched by the work
 * item, which never runs twice at once.  The GC serves every namespace,
 * so what it counts (gc_runs, expired) goes to the initial namespace's
 * counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include <ctlite/ctlite.h>

#define GC_INTERVAL_MIN	(HZ / 10)
#define GC_INTERVAL_MAX	(60 * HZ)	/* nf_conntrack's GC_SCAN_INTERVAL_MAX */
#define GC_REST		4

/* Whether 32-bit jiffies @a come before @b */
#define gc_before(a, b)	((s32)((a) - (b)) < 0)

static struct delayed_work gc_work;
static unsigned int gc_next_bucket;
static u32 gc_soonest = U32_MAX;	/* over the pass so far, jiffies */
static unsigned long gc_pass_start;	/* jiffies */

static DEFINE_SPINLOCK(gc_lock);
/*
 * The next pass's start, or earlier: a deadline set before it must tell
 * the GC.  During a pass, the latest the next one may start, lowered by
 * the deadlines set meanwhile.  32-bit jiffies, as deadlines.
 */
u32 ctlite_gc_due;
static u32 gc_when;		/* idle: when the work item is queued for */
static u32 gc_floor;		/* idle: the rest's end, no pass before it */
static bool gc_idle;		/* between passes, the work item waiting */
static bool gc_on;		/* started and not stopped */

/* Queue the next pass for @when, not before the rest's end; gc_lock held */
static void gc_schedule(u32 when, u32 now)
{
	lockdep_assert_held(&gc_lock);
	if (gc_before(when, gc_floor))
		when = gc_floor;
	gc_when = when;
	mod_delayed_work(system_power_efficient_wq, &gc_work,
			 gc_before(now, when) ? when - now : 0);
}

/**
 * ctlite_gc_hurry() - bring the next pass forward to a deadline
 * @deadline: an entry's deadline, before ctlite_gc_due (32-bit jiffies)
 *
 * Called by ctlite_gc_note() only.  A deadline already past (KUnit's
 * clock) counts as now.
 */
void ctlite_gc_hurry(u32 deadline)
{
	u32 now = (u32)jiffies;
	unsigned long flags;

	if (gc_before(deadline, now))
		deadline = now;
	spin_lock_irqsave(&gc_lock, flags);
	if (gc_on && gc_before(deadline, ctlite_gc_due)) {
		WRITE_ONCE(ctlite_gc_due, deadline);
		if (gc_idle && gc_before(deadline, gc_when))
			gc_schedule(deadline, now);
	}
	spin_unlock_irqrestore(&gc_lock, flags);
}

static void gc_worker(struct work_struct *work)
{
	struct ctlite_net *cn = ctlite_pernet(&init_net);
	struct ctlite_gc_run run = {
		.next_bucket = gc_next_bucket,
		.budget_entries = CTLITE_GC_RUN_ENTRIES,
		.budget_ns = CTLITE_GC_RUN_NS,
	};
	u32 now = (u32)jiffies, when, rest;

	spin_lock_irq(&gc_lock);
	if (gc_idle) {
		/* a pass starts: deadlines set from here may come before its next */
		gc_idle = false;
		gc_pass_start = jiffies;
		WRITE_ONCE(ctlite_gc_due, now + GC_INTERVAL_MAX);
	}
	spin_unlock_irq(&gc_lock);

	run.now = (u32)jiffies;
	ctlite_table_gc(ctlite_table, &run);
	ctlite_stat_add(cn, CTLITE_STAT_GC_RUNS, 1);
	ctlite_stat_add(cn, CTLITE_STAT_EXPIRED, run.expired);

	gc_next_bucket = run.next_bucket;
	gc_soonest = min(gc_soonest, run.soonest);
	if (!run.pass_done) {
		queue_delayed_work(system_power_efficient_wq, &gc_work, 0);
		return;
	}

	now = (u32)jiffies;
	when = now + clamp_t(u32, gc_soonest, GC_INTERVAL_MIN, GC_INTERVAL_MAX);
	rest = max_t(unsigned long, GC_INTERVAL_MIN,
		     GC_REST * (jiffies - gc_pass_start));
	gc_soonest = U32_MAX;
	spin_lock_irq(&gc_lock);
	/* a deadline set during the pass, in a bucket it had passed */
	if (gc_before(ctlite_gc_due, when))
		when = ctlite_gc_due;
	WRITE_ONCE(ctlite_gc_due, when);
	gc_floor = now + min_t(unsigned long, rest, GC_INTERVAL_MAX);
	gc_idle = true;
	if (gc_on)
		gc_schedule(when, now);
	spin_unlock_irq(&gc_lock);
}

/**
 * ctlite_gc_start() - start collecting the live table
 *
 * Call once ctlite_table is set and the initial namespace's state exists.
 */
void ctlite_gc_start(void)
{
	u32 now = (u32)jiffies;

	gc_next_bucket = 0;
	gc_soonest = U32_MAX;
	INIT_DELAYED_WORK(&gc_work, gc_worker);
	spin_lock_irq(&gc_lock);
	gc_on = true;
	gc_idle = true;
	gc_floor = now;
	WRITE_ONCE(ctlite_gc_due, now + GC_INTERVAL_MAX);
	gc_schedule(now + GC_INTERVAL_MAX, now);
	spin_unlock_irq(&gc_lock);
}

/**
 * ctlite_gc_stop() - stop collecting; no run is active or queued on return
 */
void ctlite_gc_stop(void)
{
	/* no packet queues the work from here */
	spin_lock_irq(&gc_lock);
	gc_on = false;
	spin_unlock_irq(&gc_lock);
	/* waits for a running pass and defeats its re-queueing */
	cancel_delayed_work_sync(&gc_work);
}
