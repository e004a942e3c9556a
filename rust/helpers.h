/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of the tcgroup module, for what Rust cannot express over the
 * generated bindings (see helpers.c).
 */
#ifndef TCGROUP_HELPERS_H
#define TCGROUP_HELPERS_H

#include <linux/types.h>

struct cred;
struct task_struct;

unsigned int tcgroup_task_flags(struct task_struct *task);
unsigned long tcgroup_task_key(struct task_struct *task);
pid_t tcgroup_task_tgid(struct task_struct *task);
bool tcgroup_may_move(const struct cred *cred, struct task_struct *task);
typedef void (*tcgroup_thread_fn)(struct task_struct *task, void *data);
void tcgroup_walk_threads(tcgroup_thread_fn fn, void *data);

#endif /* TCGROUP_HELPERS_H */
