/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of the tcgroup module, for what Rust cannot express over the
 * generated bindings (see helpers.c).
 */
#ifndef TCGROUP_HELPERS_H
#define TCGROUP_HELPERS_H

#include <linux/types.h>
#include <linux/workqueue_types.h>

struct cred;
struct delayed_work;
struct dentry;
struct file;
struct inode;
struct kmem_cache;
struct poll_table_struct;
struct task_struct;
struct wait_queue_head;
struct workqueue_struct;

unsigned int tcgroup_task_flags(struct task_struct *task);
unsigned int tcgroup_task_flags_mb(struct task_struct *task);
void tcgroup_smp_mb(void);
int tcgroup_nr_threads(struct task_struct *task);
void tcgroup_kill_process(struct task_struct *task);
unsigned long tcgroup_task_key(struct task_struct *task);
bool tcgroup_may_move(const struct cred *cred, struct task_struct *task);
bool tcgroup_task_started(struct task_struct *task);
struct task_struct *tcgroup_get_group_leader(struct task_struct *task);
typedef void (*tcgroup_thread_fn)(struct task_struct *task, unsigned long key,
				  unsigned int flags, bool started, void *data);
void tcgroup_walk_threads(tcgroup_thread_fn fn, void *data);
void tcgroup_walk_thread_group(struct task_struct *task, tcgroup_thread_fn fn, void *data);

struct workqueue_struct *tcgroup_alloc_workqueue(const char *name, int max_active);
struct workqueue_struct *tcgroup_alloc_percpu_workqueue(const char *name);
void tcgroup_init_delayed_work(struct delayed_work *dwork, work_func_t fn);
bool tcgroup_queue_delayed_work_ms(struct workqueue_struct *wq,
				   struct delayed_work *dwork, unsigned int msecs);
void tcgroup_rcu_read_lock(void);
void tcgroup_rcu_read_unlock(void);
const unsigned char *tcgroup_dentry_name(struct dentry *dentry, unsigned int *len);
void tcgroup_set_ino(struct inode *inode, u64 ino);
void tcgroup_poll_wait(struct file *file, struct wait_queue_head *wq,
		       struct poll_table_struct *pt);
bool tcgroup_wq_has_sleeper(struct wait_queue_head *wq);
int tcgroup_wait_event_interruptible(struct wait_queue_head *wq,
				     bool (*cond)(void *data), void *data);
struct kmem_cache *tcgroup_kmem_cache_create(const char *name, unsigned int size,
					     unsigned int align);
void *tcgroup_kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp);
bool tcgroup_kmem_cache_alloc_bulk(struct kmem_cache *cache, gfp_t gfp, size_t n, void **p);

#endif /* TCGROUP_HELPERS_H */
