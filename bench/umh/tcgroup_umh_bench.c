// SPDX-License-Identifier: GPL-2.0
/*
 * The limit of tcgroup's release path, for the benchmarks only: runs a
 * release agent N times with call_usermodehelper(UMH_WAIT_EXEC) from one work
 * item on an unbound workqueue of its own, one call after the other, as
 * tcgroup's release work does, but with no group logic at all (no locks, no
 * tree walk, no path building beyond a printf).
 *
 *	insmod tcgroup_umh_bench.ko agent=/bench/agent-umh
 *	echo 1000 >/sys/module/tcgroup_umh_bench/parameters/run
 *	cat /sys/module/tcgroup_umh_bench/parameters/done
 *
 * The agent is called as "AGENT /gI" for I = 0 .. N-1, with the environment
 * cgroup v1 gives its release agent. A write to "run" while a run is going
 * fails with EBUSY. "done" counts the calls of the current or last run,
 * "failed" its failed ones.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/umh.h>
#include <linux/workqueue.h>

static char *agent = "/bench/agent-umh";
module_param(agent, charp, 0444);
MODULE_PARM_DESC(agent, "Absolute path of the program to run");

static atomic_t done = ATOMIC_INIT(0);
static atomic_t failed = ATOMIC_INIT(0);
static unsigned int run_calls;
/* Set from a write to "run" until the work has finished. */
static atomic_t running = ATOMIC_INIT(0);
static struct workqueue_struct *umh_bench_wq;

static void umh_bench_work_fn(struct work_struct *work)
{
	char *argv[3], *envp[3];
	unsigned int i;
	char arg[16];

	/* As cgroup1_release_agent(): the path, one argument, a minimal environment. */
	argv[0] = agent;
	argv[1] = arg;
	argv[2] = NULL;
	envp[0] = "HOME=/";
	envp[1] = "PATH=/sbin:/bin:/usr/sbin:/usr/bin";
	envp[2] = NULL;

	for (i = 0; i < run_calls; i++) {
		snprintf(arg, sizeof(arg), "/g%u", i);
		if (call_usermodehelper(agent, argv, envp, UMH_WAIT_EXEC))
			atomic_inc(&failed);
		atomic_inc(&done);
	}
	atomic_set(&running, 0);
}

static DECLARE_WORK(umh_bench_work, umh_bench_work_fn);

static int run_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (atomic_cmpxchg(&running, 0, 1))
		return -EBUSY;
	run_calls = n;
	atomic_set(&done, 0);
	atomic_set(&failed, 0);
	queue_work(umh_bench_wq, &umh_bench_work);
	return 0;
}

static int run_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", run_calls);
}

static const struct kernel_param_ops run_ops = {
	.set = run_set,
	.get = run_get,
};
module_param_cb(run, &run_ops, NULL, 0644);
MODULE_PARM_DESC(run, "Write N to run the agent N times");

static int counter_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(kp->arg));
}

static const struct kernel_param_ops counter_ops = {
	.get = counter_get,
};
module_param_cb(done, &counter_ops, &done, 0444);
MODULE_PARM_DESC(done, "Calls made by the current or last run");
module_param_cb(failed, &counter_ops, &failed, 0444);
MODULE_PARM_DESC(failed, "Failed calls of the current or last run");

static int __init umh_bench_init(void)
{
	/* As tcgroup's release queue: unbound, one item at a time. */
	umh_bench_wq = alloc_workqueue("tcgroup_umh_bench", WQ_UNBOUND, 1);
	return umh_bench_wq ? 0 : -ENOMEM;
}

static void __exit umh_bench_exit(void)
{
	destroy_workqueue(umh_bench_wq);
}

module_init(umh_bench_init);
module_exit(umh_bench_exit);
MODULE_DESCRIPTION("tcgroup benchmarks: the usermode-helper limit of the release path");
MODULE_LICENSE("GPL");
