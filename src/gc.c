// SPDX-License-Identifier: GPL-2.0
/*
 * Timeout garbage collection of the live table: a delayed work item that
 * frees expired entries a slice of buckets at a time (ctlite_table_gc()),
 * each run bounded in entries and time.  A pass that is not finished goes
 * on at once; after a full pass the next one starts when the soonest
 * deadline it saw comes, kept between GC_INTERVAL_MIN and GC_INTERVAL_MAX,
 * and never sooner than GC_REST times the pass took: a pass of a large
 * table is long (1,000,000 entries took most of a second in a TCG guest),
 * and back to back they kept a CPU a third busy finding nothing to free.
 * So the GC uses at most 1 / (1 + GC_REST) of a CPU, an entry is freed at
 * most max(GC_INTERVAL_MAX, GC_REST passes) plus one pass after its
 * deadline (lookups and a full table's early drop reap sooner), and an
 * idle table costs one quick pass a second.
 *
 * The GC's state is only touched by the work item itself, which never runs
 * twice at once, hence no lock.  It serves every namespace, so what it
 * counts (gc_runs, expired) goes to the initial namespace's counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/workqueue.h>

#include <ctlite/ctlite.h>

#define GC_INTERVAL_MIN	(HZ / 10)
#define GC_INTERVAL_MAX	(HZ)
#define GC_REST		4

static struct delayed_work gc_work;
static unsigned int gc_next_bucket;
static u32 gc_soonest = U32_MAX;	/* over the pass so far, jiffies */
static unsigned long gc_pass_start;	/* jiffies */

static void gc_worker(struct work_struct *work)
{
	struct ctlite_net *cn = ctlite_pernet(&init_net);
	struct ctlite_gc_run run = {
		.next_bucket = gc_next_bucket,
		.now = (u32)jiffies,
		.budget_entries = CTLITE_GC_RUN_ENTRIES,
		.budget_ns = CTLITE_GC_RUN_NS,
	};
	unsigned long delay = 0;

	ctlite_table_gc(ctlite_table, &run);
	ctlite_stat_add(cn, CTLITE_STAT_GC_RUNS, 1);
	ctlite_stat_add(cn, CTLITE_STAT_EXPIRED, run.expired);

	gc_next_bucket = run.next_bucket;
	gc_soonest = min(gc_soonest, run.soonest);
	if (run.pass_done) {
		delay = clamp_t(unsigned long, gc_soonest, GC_INTERVAL_MIN,
				GC_INTERVAL_MAX);
		delay = max(delay, GC_REST * (jiffies - gc_pass_start));
		gc_soonest = U32_MAX;
		gc_pass_start = jiffies + delay;
	}
	queue_delayed_work(system_power_efficient_wq, &gc_work, delay);
}

/**
 * ctlite_gc_start() - start collecting the live table
 *
 * Call once ctlite_table is set and the initial namespace's state exists.
 */
void ctlite_gc_start(void)
{
	gc_next_bucket = 0;
	gc_soonest = U32_MAX;
	gc_pass_start = jiffies + GC_INTERVAL_MAX;
	INIT_DELAYED_WORK(&gc_work, gc_worker);
	queue_delayed_work(system_power_efficient_wq, &gc_work, GC_INTERVAL_MAX);
}

/**
 * ctlite_gc_stop() - stop collecting; no run is active or queued on return
 */
void ctlite_gc_stop(void)
{
	/* waits for a running pass and defeats its re-queueing */
	cancel_delayed_work_sync(&gc_work);
}
