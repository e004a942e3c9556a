// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of the tcgroup module.
 *
 * bindgen's layout of struct task_struct does not match the compiler's on
 * these kernels (the members after the cache-line aligned scheduling entities
 * are 48 bytes off on 7.3), so Rust must not read task_struct fields itself;
 * these accessors do it in C. for_each_process_thread() is a macro over RCU
 * lists, which Rust cannot call.
 *
 * The static inline functions, macros and fields below have no Rust binding of
 * the same shape on every supported kernel line (6.12's kernel crate has no
 * helper for them; alloc_workqueue() is a function there but a macro on 7.3;
 * i_ino is unsigned long there but u64 on 7.3, d_name is in a union on 7.3):
 * wrapping them here gives every line the same declarations, with no version
 * check.
 */

#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>

#include "helpers.h"

/* The task's PF_* flags. */
unsigned int tcgroup_task_flags(struct task_struct *task)
{
	return READ_ONCE(task->flags);
}

/* smp_mb() (a macro), then the task's PF_* flags. */
unsigned int tcgroup_task_flags_mb(struct task_struct *task)
{
	/*
	 * Orders a move's publication of the task's first task-map entry
	 * before its read of PF_EXITING; pairs with the barrier in
	 * tcgroup_smp_mb(), which the exit probe issues between PF_EXITING
	 * (set before it runs) and its look-up of the entry without the lock.
	 */
	smp_mb();
	return READ_ONCE(task->flags);
}

/*
 * Sends SIGKILL to @task's process unless a fatal signal is pending for
 * @task already (__fatal_signal_pending() reads its pending set): as v2's
 * __cgroup_kill() skips tasks that are dying. Any context; takes the
 * process's siglock.
 */
void tcgroup_kill_process(struct task_struct *task)
{
	if (!__fatal_signal_pending(task))
		send_sig(SIGKILL, task, 0);
}

/*
 * The number of threads of @task's process (get_nr_threads(), an inline); the
 * caller holds a reference on @task.
 */
int tcgroup_nr_threads(struct task_struct *task)
{
	return get_nr_threads(task);
}

/* smp_mb(), a macro. */
void tcgroup_smp_mb(void)
{
	/*
	 * The exit probe's: orders PF_EXITING before its look-up of the task's
	 * entry; pairs with the barrier in tcgroup_task_flags_mb().
	 */
	smp_mb();
}

/*
 * A unique key for @task while it lives: its address divided by a lower
 * bound of the space every task_struct takes (the starts of two live ones are
 * at least that far apart), so that the tasks of one slab have consecutive
 * keys, which the task map's multiplicative hash spreads over its buckets.
 *
 * The bound is not sizeof(*task): an architecture may size task_struct at
 * boot (arch_task_struct_size), and x86 on 6.12 allocates less than
 * sizeof, cutting the static FPU register buffer at the end of thread_struct
 * down to the CPU's xstate size, so that two live tasks can start less than
 * sizeof apart. Everything before the CPU state is always allocated.
 */
unsigned long tcgroup_task_key(struct task_struct *task)
{
	return (unsigned long)task / offsetof(struct task_struct, thread);
}

/*
 * Whether @task has started: it is no longer TASK_NEW, the state sched_fork()
 * gives it before copy_process() makes it visible, which wake_up_new_task()
 * ends after the task_newtask tracepoint (the fork probe) has run. __state is
 * read with acquire ordering: what the fork probe did is visible to a caller
 * that sees the task started.
 */
bool tcgroup_task_started(struct task_struct *task)
{
	/*
	 * Pairs with the unlock of the fork probe's CSS_SET_LOCK section,
	 * which comes before wake_up_new_task()'s store of TASK_RUNNING: a
	 * caller that then takes the lock finds what the probe stored.
	 */
	return smp_load_acquire(&task->__state) != TASK_NEW;
}

/*
 * Whether a file opened with @cred may move @task, as cgroup v1's
 * __cgroup1_procs_write() checks with the opener's credentials (against
 * inherited-descriptor attacks): the euid is root or @task's uid or suid.
 */
bool tcgroup_may_move(const struct cred *cred, struct task_struct *task)
{
	const struct cred *tcred;
	bool ok;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = uid_eq(cred->euid, GLOBAL_ROOT_UID) || uid_eq(cred->euid, tcred->uid) ||
	     uid_eq(cred->euid, tcred->suid);
	rcu_read_unlock();
	return ok;
}

/*
 * @task's thread-group leader with a reference, or NULL if @task has been
 * released: what a write to cgroup.procs moves and checks the credentials of,
 * as cgroup_procs_write_start() takes tsk->group_leader. The field changes in
 * exec's de_thread(); while @task is hashed (pid_alive(), read under RCU) the
 * leader it names is not freed before the grace period ends: a leader is
 * released after its other threads, and freed a grace period later.
 */
struct task_struct *tcgroup_get_group_leader(struct task_struct *task)
{
	struct task_struct *leader = NULL;

	rcu_read_lock();
	if (pid_alive(task))
		leader = get_task_struct(READ_ONCE(task->group_leader));
	rcu_read_unlock();
	return leader;
}

/*
 * Calls @fn for every thread of @task's thread group (for_each_thread(), a
 * macro), with the thread's key, PF_* flags and whether it has started, which
 * every caller reads: one call per thread rather than four (a process move
 * walks a thousand threads under a spinlock). The caller holds
 * rcu_read_lock() and a reference on @task.
 */
void tcgroup_walk_thread_group(struct task_struct *task, tcgroup_thread_fn fn, void *data)
{
	struct task_struct *t;

	for_each_thread(task, t)
		fn(t, tcgroup_task_key(t), READ_ONCE(t->flags), tcgroup_task_started(t), data);
}

/*
 * Calls @fn for every thread, with its key, PF_* flags and whether it has
 * started (as above); the caller holds rcu_read_lock().
 */
void tcgroup_walk_threads(tcgroup_thread_fn fn, void *data)
{
	struct task_struct *p, *t;

	for_each_process_thread(p, t)
		fn(t, tcgroup_task_key(t), READ_ONCE(t->flags), tcgroup_task_started(t), data);
}

/*
 * An unbound workqueue named @name (no format conversions) running up to
 * @max_active items at a time (0: the default). alloc_workqueue() is a macro.
 */
struct workqueue_struct *tcgroup_alloc_workqueue(const char *name, int max_active)
{
	return alloc_workqueue("%s", WQ_UNBOUND, max_active, name);
}

/*
 * A per-CPU workqueue named @name (no format conversions), as system_wq:
 * concurrency-managed, an item runs on the CPU that queued it, and the pool
 * wakes another worker when one sleeps. WQ_PERCPU (rust/Kbuild probes it)
 * says so from 6.17 on, where a workqueue with neither it nor WQ_UNBOUND warns.
 */
struct workqueue_struct *tcgroup_alloc_percpu_workqueue(const char *name)
{
#ifdef TCGROUP_WQ_PERCPU
	return alloc_workqueue("%s", WQ_PERCPU, 0, name);
#else
	return alloc_workqueue("%s", 0, 0, name);
#endif
}

/*
 * INIT_DELAYED_WORK() for @dwork running @fn; a macro (one lock class key for
 * every delayed work of the module: the groups' release work items).
 */
void tcgroup_init_delayed_work(struct delayed_work *dwork, work_func_t fn)
{
	INIT_DELAYED_WORK(dwork, fn);
}

/*
 * queue_delayed_work() of @dwork on @wq in @msecs milliseconds; the function
 * and msecs_to_jiffies() are static inline.
 */
bool tcgroup_queue_delayed_work_ms(struct workqueue_struct *wq,
				   struct delayed_work *dwork, unsigned int msecs)
{
	return queue_delayed_work(wq, dwork, msecs_to_jiffies(msecs));
}

/* rcu_read_lock() and rcu_read_unlock(), for kernels whose Rust has no helper. */
void tcgroup_rcu_read_lock(void)
{
	rcu_read_lock();
}

void tcgroup_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

/* The name of @dentry, of *@len bytes; stable while the caller keeps it so. */
const unsigned char *tcgroup_dentry_name(struct dentry *dentry, unsigned int *len)
{
	*len = dentry->d_name.len;
	return dentry->d_name.name;
}

/* Sets the inode number of @inode. */
void tcgroup_set_ino(struct inode *inode, u64 ino)
{
	inode->i_ino = ino;
}

/*
 * poll_wait(): queues the poller of @pt (if any) on @wq, then a full barrier,
 * as sock_poll_wait() does.
 */
void tcgroup_poll_wait(struct file *file, struct wait_queue_head *wq,
		       struct poll_table_struct *pt)
{
	poll_wait(file, wq, pt);
	/*
	 * Orders the queueing before the caller reads what it polls for; pairs
	 * with the barrier in wq_has_sleeper() (tcgroup_wq_has_sleeper()).
	 */
	smp_mb();
}

/*
 * wq_has_sleeper(): whether anyone waits on @wq, after a full barrier that
 * orders the caller's change of what pollers read before the check.
 */
bool tcgroup_wq_has_sleeper(struct wait_queue_head *wq)
{
	return wq_has_sleeper(wq);
}

/*
 * wait_event_interruptible() is a macro: a stream reader sleeps until cond(data)
 * holds (re-evaluated after each wake-up, with the task queued and its state
 * set), or a signal arrives (-ERESTARTSYS).
 */
int tcgroup_wait_event_interruptible(struct wait_queue_head *wq,
				     bool (*cond)(void *data), void *data)
{
	return wait_event_interruptible(*wq, cond(data));
}

/*
 * kmem_cache_create() is a _Generic macro on 7.3 and a function of another
 * shape on 6.12: a cache of @size-byte objects aligned to @align, merged with
 * a compatible cache where the allocator can.
 */
struct kmem_cache *tcgroup_kmem_cache_create(const char *name, unsigned int size,
					     unsigned int align)
{
	return kmem_cache_create(name, size, align, 0, NULL);
}

/* kmem_cache_alloc(), a macro (allocation tagging). */
void *tcgroup_kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp)
{
	return kmem_cache_alloc(cache, gfp);
}

/*
 * kmem_cache_alloc_bulk(), a macro, returning an int on 6.12 and a bool on
 * 7.3: whether all @n objects were allocated into @p (none is, otherwise).
 */
bool tcgroup_kmem_cache_alloc_bulk(struct kmem_cache *cache, gfp_t gfp, size_t n, void **p)
{
	return kmem_cache_alloc_bulk(cache, gfp, n, p);
}
