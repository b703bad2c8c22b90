/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit helper: run functions on several CPUs at once, for the tests that
 * race CPUs against each other.  Each function gets its own kthread bound
 * to one CPU; all start together (a spinning barrier), so they really
 * overlap, and the test waits for every one of them.
 */
#ifndef _CTLITE_TEST_THREADS_H
#define _CTLITE_TEST_THREADS_H

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>

#include <ctlite/compat.h>

#define TEST_THREADS_MAX	4

struct test_thread {
	int (*fn)(void *data);
	void *data;
	struct test_threads *set;
	struct task_struct *task;
	struct completion done;
};

/**
 * struct test_threads - functions run on CPUs 0..n-1 together
 * @n: how many run
 * @ready: threads at the starting line
 * @t: one per CPU
 */
struct test_threads {
	unsigned int n;
	atomic_t ready;
	struct test_thread t[TEST_THREADS_MAX];
};

static int test_thread_main(void *arg)
{
	struct test_thread *t = arg;

	atomic_inc(&t->set->ready);
	while (atomic_read(&t->set->ready) < READ_ONCE(t->set->n))
		cpu_relax();
	t->fn(t->data);
	complete(&t->done);
	return 0;
}

/* Wait until every thread test_threads_start() started has finished */
static void test_threads_wait(struct test_threads *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++) {
		/* kthread_stop() before the thread ran would skip it */
		wait_for_completion(&set->t[i].done);
		kthread_stop(set->t[i].task);
		put_task_struct(set->t[i].task);
	}
}

/*
 * Start @fn[i](@data[i]) on CPU i for i < @n; skips the test when fewer
 * CPUs are online.  Every started thread must be waited for with
 * test_threads_wait().
 */
static void test_threads_start(struct kunit *test, struct test_threads *set,
			       unsigned int n, int (*const fn[])(void *),
			       void *const data[])
{
	unsigned int i;

	if (num_online_cpus() < n)
		kunit_skip(test, "needs %u CPUs", n);
	KUNIT_ASSERT_LE(test, n, (unsigned int)TEST_THREADS_MAX);
	set->n = n;
	atomic_set(&set->ready, 0);
	for (i = 0; i < n; i++) {
		struct test_thread *t = &set->t[i];

		t->fn = fn[i];
		t->data = data[i];
		t->set = set;
		init_completion(&t->done);
		t->task = kthread_create(test_thread_main, t, "ctlite_test/%u", i);
		if (IS_ERR(t->task)) {
			/* the others need not wait for this one */
			WRITE_ONCE(set->n, i);
			test_threads_wait(set);
			KUNIT_FAIL_AND_ABORT(test, "kthread_create: %ld",
					     PTR_ERR(t->task));
		}
		kthread_bind(t->task, i);
		get_task_struct(t->task);
		wake_up_process(t->task);
	}
}

#endif /* _CTLITE_TEST_THREADS_H */
