// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of the tcgroup module.
 *
 * bindgen's layout of struct task_struct does not match the compiler's on
 * these kernels (the members after the cache-line aligned scheduling entities
 * are 48 bytes off on 7.3), so Rust must not read task_struct fields itself;
 * these accessors do it in C. for_each_process_thread() is a macro over RCU
 * lists, which Rust cannot call.
 */

#include <linux/cred.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uidgid.h>

#include "helpers.h"

/* The task's PF_* flags. */
unsigned int tcgroup_task_flags(struct task_struct *task)
{
	return READ_ONCE(task->flags);
}

/*
 * A dense, unique key for @task while it lives: its address divided by the
 * size of a task_struct (the starts of two live ones are at least that far
 * apart), so that the tasks of one slab have neighbouring keys and share
 * XArray nodes instead of each needing its own.
 */
unsigned long tcgroup_task_key(struct task_struct *task)
{
	return (unsigned long)task / sizeof(*task);
}

/* The global thread-group id of @task. */
pid_t tcgroup_task_tgid(struct task_struct *task)
{
	return task->tgid;
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

/* Calls @fn for every thread; the caller holds rcu_read_lock(). */
void tcgroup_walk_threads(tcgroup_thread_fn fn, void *data)
{
	struct task_struct *p, *t;

	for_each_process_thread(p, t)
		fn(t, data);
}
