// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of `make bench`: one workload per call, on one mounted
 * hierarchy (tcgroup or a named cgroup v1 one), each printing one line
 * "BENCH {json}" on standard output for bench/report.py. bench/guest/bench.sh
 * calls it for both filesystems in alternating order.
 *
 *   tcgroup-bench fork LABEL M [TASKS]      fork+exit and thread create+exit, M each
 *   tcgroup-bench forkbg FS MNT K M         fork, from a group, with K other css_sets
 *   tcgroup-bench attach FS MNT K           K single moves; 1000 threads moved;
 *                                           the process by cgroup.procs
 *   tcgroup-bench memory FS MNT K           kernel memory of K groups, K css_sets
 *   tcgroup-bench release FS MNT N          N groups released at once, via the agent
 *   tcgroup-bench exits FS MNT N            N threads in N groups exit at once, no agent
 *   tcgroup-bench events FS MNT N           N groups emptied at once, via cgroup.events
 *   tcgroup-bench umh FS MNT N              as release, the limit module runs the agent
 *   tcgroup-bench depth FS MNT D R          release and attach at depth D, R times
 *   tcgroup-bench idle NS R FS MNT [FS MNT] one group released beside N idle ones
 *   tcgroup-bench kill FS MNT P G           cgroup.kill of P processes in G groups,
 *                                           each group's fork loop running
 *   tcgroup-bench listing FS MNT T,.. R     tasks, cgroup.procs of a 1-member group, T others,
 *                                           each T in turn in one process, up and down
 *   tcgroup-bench lookup FS MNT G R DEPTHS  a task's groups at each depth, G other groups
 *   tcgroup-bench rootmove FS MNT R         1001 threads root -> group -> root, cgroup.procs;
 *                                           a just-started process's, (R + 4) / 5 times
 *   tcgroup-bench stream FS MNT N           as release, observed by a release.stream reader
 *   tcgroup-bench inotify FS MNT N          as release on cgroup v2 (MNT), observed by
 *                                           inotify on every group's cgroup.events
 *   tcgroup-bench burst VIA MNT N           N groups emptied by one cgroup.procs write,
 *                                           observed by VIA: stream, agent or inotify
 *
 * The fork loops, attach and the moves of depth run pinned to one vCPU
 * (pin_sequential()) unless TCGROUP_BENCH_PIN=0.
 *
 * FS names the agent's log (/run/bench/FS.log, see tcgroup_bench_agent.c);
 * MNT is the hierarchy's mount point. Every wait is a bounded poll. Times are
 * CLOCK_MONOTONIC, as the agent's.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PATH_BUF 256
/* Worker threads need little stack: they wait on a futex and exit. */
#define WORKER_STACK (64 * 1024)
/* Bounded polls: 5 ms steps; give up after 60 s without progress. */
#define POLL_STEP_NS 5000000L
#define POLL_STALL_NS 60000000000LL
/* Threads moved at once by the attach workload. */
#define ATTACH_TASKS 1000
/* Whole-process moves through `cgroup.procs` files held open, per attach run. */
#define PROCS_MOVES 25
/* Moves root <-> deepest group per depth run, each way of writing. */
#define DEPTH_MOVES 1000
/* Slab caches listed per memory figure. */
#define TOP_CACHES 6
#define MAX_CACHES 512
#define UMH_PARAM "/sys/module/tcgroup_umh_bench/parameters/"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "tcgroup-bench: ");
	vfprintf(stderr, fmt, ap);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The sequential workloads (the fork loops, attach, and the moves of depth)
 * run on one vCPU, the last one allowed: under TCG a wake-up on the other
 * vCPU (a thread's creator waking for its join, a parent for its child's
 * exit) costs more than the work measured, and how many land there varies
 * from run to run. In one boot, two identical conditions measured apart
 * differed by 13% unpinned. TCGROUP_BENCH_PIN=0 leaves them unpinned.
 */
static void pin_sequential(void)
{
	const char *e = getenv("TCGROUP_BENCH_PIN");
	cpu_set_t set;
	int cpu;

	if (e && !strcmp(e, "0"))
		return;
	if (sched_getaffinity(0, sizeof(set), &set))
		die("sched_getaffinity");
	for (cpu = CPU_SETSIZE - 1; cpu > 0 && !CPU_ISSET(cpu, &set); cpu--)
		;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity %d", cpu);
}

static void nap(long ns)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ns };

	nanosleep(&ts, NULL);
}

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		die("open %s", path);
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die("write %s to %s", val, path);
	close(fd);
}

/* Writes @val at offset 0 of the open control file @fd. */
static void pwrite_str(int fd, const char *val, const char *what)
{
	if (pwrite(fd, val, strlen(val), 0) != (ssize_t)strlen(val))
		die("write %s to %s", val, what);
}

static void group_path(char *buf, const char *mnt, int i, const char *file)
{
	snprintf(buf, PATH_BUF, "%s/g%d%s%s", mnt, i, file ? "/" : "", file ? file : "");
}

static void make_groups(const char *mnt, int n)
{
	char p[PATH_BUF];
	int i;

	for (i = 0; i < n; i++) {
		group_path(p, mnt, i, NULL);
		if (mkdir(p, 0755))
			die("mkdir %s", p);
	}
}

/* Removes groups g0..g(n-1), retrying (bounded) while one is still busy. */
static void remove_groups(const char *mnt, int n)
{
	long long last = now_ns();
	char p[PATH_BUF];
	int i;

	for (i = 0; i < n; i++) {
		group_path(p, mnt, i, NULL);
		while (rmdir(p)) {
			if (errno != EBUSY || now_ns() - last > POLL_STALL_NS)
				die("rmdir %s", p);
			nap(POLL_STEP_NS);
		}
		last = now_ns();
	}
}

/*
 * Worker threads: each reports its tid, waits for its start word (the one of
 * start_workers(), or a set's own: start_workers_on()), then exits.
 */
struct worker {
	pthread_t thread;
	pid_t tid;
	long long exit_ns;
	int *word;
};

static int start_word;
static int ready_count;

static void futex_wait(int *word, int val)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	int *word = w->word ? w->word : &start_word;

	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	__atomic_add_fetch(&ready_count, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(word, __ATOMIC_ACQUIRE))
		futex_wait(word, 0);
	w->exit_ns = now_ns();
	return NULL;
}

/* @n workers waiting on @word (NULL: the common start word). */
static struct worker *start_workers_on(int n, int *word)
{
	struct worker *w = calloc(n, sizeof(*w));
	pthread_attr_t attr;
	long long last;
	int i;

	if (!w)
		die("calloc");
	*(word ? word : &start_word) = 0;
	ready_count = 0;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	for (i = 0; i < n; i++) {
		w[i].word = word;
		errno = pthread_create(&w[i].thread, &attr, worker_fn, &w[i]);
		if (errno)
			die("pthread_create %d", i);
	}
	pthread_attr_destroy(&attr);
	last = now_ns();
	while (__atomic_load_n(&ready_count, __ATOMIC_SEQ_CST) < n) {
		if (now_ns() - last > POLL_STALL_NS)
			die("workers not ready");
		nap(POLL_STEP_NS);
	}
	return w;
}

static struct worker *start_workers(int n)
{
	return start_workers_on(n, NULL);
}

/* Lets the workers waiting on @word exit. */
static void release_word(int *word)
{
	__atomic_store_n(word, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Lets every worker exit; returns the time just before the wake-up. */
static long long release_workers(void)
{
	long long t0 = now_ns();

	release_word(&start_word);
	return t0;
}

/* Joins every worker; their exit times stay readable until free(). */
static void join_workers(struct worker *w, int n)
{
	int i;

	for (i = 0; i < n; i++)
		pthread_join(w[i].thread, NULL);
}

/* Moves worker i into group gi (tasks file), for every worker. */
static void place_workers(const char *mnt, struct worker *w, int n)
{
	char p[PATH_BUF], v[16];
	int i, fd;

	for (i = 0; i < n; i++) {
		group_path(p, mnt, i, "tasks");
		fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			die("open %s", p);
		snprintf(v, sizeof(v), "%d", w[i].tid);
		pwrite_str(fd, v, p);
		close(fd);
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* JSON output: one line "BENCH {...}" per result. */
static void json_begin(const char *kind)
{
	printf("BENCH {\"kind\": \"%s\"", kind);
}

/* Prints @v as a JSON string: quotes, backslashes and control bytes escaped. */
static void json_quote(const char *v)
{
	const unsigned char *c;

	putchar('"');
	for (c = (const unsigned char *)v; *c; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			printf("\\u%04x", *c);
		else
			putchar(*c);
	}
	putchar('"');
}

static void json_str(const char *k, const char *v)
{
	printf(", ");
	json_quote(k);
	printf(": ");
	json_quote(v);
}

static void json_num(const char *k, double v)
{
	/* A rate over no time, say: a broken run, not a figure. */
	if (!isfinite(v)) {
		errno = 0;
		die("%s is not a finite number", k);
	}
	printf(", \"%s\": %.6g", k, v);
}

static void json_int(const char *k, long long v)
{
	printf(", \"%s\": %lld", k, v);
}

static void json_end(void)
{
	printf("}\n");
	fflush(stdout);
}

/* Latencies in microseconds, as a JSON array. */
static void json_us_array(const char *k, const long long *ns, int n)
{
	int i;

	printf(", \"%s\": [", k);
	for (i = 0; i < n; i++)
		printf("%s%lld", i ? "," : "", ns[i] / 1000);
	printf("]");
}

/*
 * Prints @k: the times @ns, sorted in place, in microseconds; bench/report.py
 * computes every statistic from them.
 */
static void json_sorted_us(const char *k, long long *ns, int n)
{
	qsort(ns, n, sizeof(*ns), cmp_ll);
	json_us_array(k, ns, n);
}

static struct worker *populate(const char *mnt, int n, long long *t_mkdir, long long *t_place);

/*
 * A loop of operations timed in BATCHES equal batches. The run's figure is its
 * median batch: under TCG the host preempting a vCPU, or a burst of timer
 * work, stops the guest for milliseconds, which slows one batch by as much as
 * it slows the whole loop, and leaves the median alone. The mean of the whole
 * loop is printed beside it.
 */
#define BATCHES 20

struct batches {
	int per, done;
	long long t0, last, ns[BATCHES];
};

/* Starts timing @ops operations, a multiple of BATCHES. */
static void batches_start(struct batches *b, int ops)
{
	if (ops < BATCHES || ops % BATCHES)
		die("%d operations are not %d equal batches", ops, BATCHES);
	b->per = ops / BATCHES;
	b->done = 0;
	b->t0 = now_ns();
	b->last = b->t0;
}

/* Counts operation @i (from 0) as done. */
static void batches_tick(struct batches *b, int i)
{
	long long t;

	if ((i + 1) % b->per)
		return;
	t = now_ns();
	b->ns[b->done++] = t - b->last;
	b->last = t;
}

/* The whole loop, in ns. */
static long long batches_total(const struct batches *b)
{
	return b->last - b->t0;
}

/* The median batch, in ns per operation. */
static double batches_median(const struct batches *b)
{
	long long ns[BATCHES];

	if (b->done != BATCHES)
		die("%d batches timed, not %d", b->done, BATCHES);
	memcpy(ns, b->ns, sizeof(ns));
	qsort(ns, BATCHES, sizeof(*ns), cmp_ll);
	return (ns[BATCHES / 2 - 1] + ns[BATCHES / 2]) / 2.0 / b->per;
}

/* fork LABEL M [TASKS]: ns per fork+exit+wait and per thread create+exit+join. */
static void *empty_thread(void *arg)
{
	return arg;
}

static int cmd_fork(int argc, char **argv)
{
	int m = atoi(argv[1]), i, status;
	struct batches fork_b, thread_b;
	pthread_t t;
	pid_t pid;

	pin_sequential();
	if (argc > 2)
		write_file(argv[2], "0");
	batches_start(&fork_b, m);
	for (i = 0; i < m; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
		batches_tick(&fork_b, i);
	}
	batches_start(&thread_b, m);
	for (i = 0; i < m; i++) {
		errno = pthread_create(&t, NULL, empty_thread, NULL);
		if (errno)
			die("pthread_create");
		pthread_join(t, NULL);
		batches_tick(&thread_b, i);
	}
	json_begin("fork");
	json_str("label", argv[0]);
	json_int("m", m);
	json_int("batches", BATCHES);
	json_int("fork_ns", batches_total(&fork_b) / m);
	json_num("fork_ns_batch", batches_median(&fork_b));
	json_int("thread_ns", batches_total(&thread_b) / m);
	json_num("thread_ns_batch", batches_median(&thread_b));
	json_end();
	return 0;
}

/*
 * forkbg FS MNT K M: the fork workload from a child group while K other
 * groups have one thread each, so that the hierarchy has K + 1 css_sets.
 */
static int cmd_forkbg(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int k = atoi(argv[2]), pid, status;
	long long t_mkdir, t_place;
	char p[PATH_BUF], label[64], m[16], *args[6];
	struct worker *w;

	w = populate(mnt, k, &t_mkdir, &t_place);
	snprintf(p, sizeof(p), "%s/bg", mnt);
	if (mkdir(p, 0755))
		die("mkdir %s", p);
	snprintf(p, sizeof(p), "%s/bg/tasks", mnt);
	snprintf(label, sizeof(label), "%s-group-%dcsets", fs, k);
	snprintf(m, sizeof(m), "%s", argv[3]);
	/*
	 * In a new program: the workers stay where they are, and the loop forks
	 * a small process, not one with K thread stacks to copy.
	 */
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		args[0] = "tcgroup-bench";
		args[1] = "fork";
		args[2] = label;
		args[3] = m;
		args[4] = p;
		args[5] = NULL;
		execv("/proc/self/exe", args);
		die("exec /proc/self/exe");
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("fork workload");
	release_workers();
	join_workers(w, k);
	free(w);
	remove_groups(mnt, k);
	snprintf(p, sizeof(p), "%s/bg", mnt);
	if (rmdir(p))
		die("rmdir %s", p);
	return 0;
}

/*
 * attach FS MNT K: moves, each measured both ways: through a control file
 * held open and written again and again (as a supervisor that keeps it open:
 * the move path alone), and with an open, write and close per move (path
 * lookup and file set-up included).
 * - K moves of one thread back and forth between two groups;
 * - 1000 threads moved into a group with one `tasks` write each (held open);
 * - the whole process (1000 threads and the main one) moved by one
 *   `cgroup.procs` write: PROCS_MOVES times back and forth through files held
 *   open (the median write), and once with open, write and close.
 */
static int cmd_attach(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int k = atoi(argv[2]), i, fd[2];
	long long t0, held[PROCS_MOVES], procs_reopen[PROCS_MOVES];
	struct batches single, reopen, each;
	char p[2][PATH_BUF], root[PATH_BUF], v[16];
	struct worker *w;

	pin_sequential();
	make_groups(mnt, 2);
	w = start_workers(1);
	for (i = 0; i < 2; i++) {
		group_path(p[i], mnt, i, "tasks");
		fd[i] = open(p[i], O_WRONLY | O_CLOEXEC);
		if (fd[i] < 0)
			die("open %s", p[i]);
	}
	snprintf(v, sizeof(v), "%d", w[0].tid);
	batches_start(&single, k);
	for (i = 0; i < k; i++) {
		pwrite_str(fd[i & 1], v, "tasks");
		batches_tick(&single, i);
	}
	batches_start(&reopen, k);
	for (i = 0; i < k; i++) {
		write_file(p[i & 1], v);
		batches_tick(&reopen, i);
	}
	release_workers();
	join_workers(w, 1);
	free(w);

	/* 1000 threads, one write each into g0. */
	w = start_workers(ATTACH_TASKS);
	batches_start(&each, ATTACH_TASKS);
	for (i = 0; i < ATTACH_TASKS; i++) {
		snprintf(v, sizeof(v), "%d", w[i].tid);
		pwrite_str(fd[0], v, "tasks");
		batches_tick(&each, i);
	}
	close(fd[0]);
	close(fd[1]);

	/*
	 * The whole process into g1 by its main thread, with open, write and
	 * close, PROCS_MOVES times from the state the writes above left: the
	 * 1000 threads in g0, the main thread in the root. In between, the
	 * process goes back to g0 and the main thread alone to the root.
	 */
	group_path(p[0], mnt, 0, "cgroup.procs");
	group_path(p[1], mnt, 1, "cgroup.procs");
	snprintf(root, sizeof(root), "%s/tasks", mnt);
	snprintf(v, sizeof(v), "%d", getpid());
	for (i = 0; i < PROCS_MOVES; i++) {
		if (i) {
			write_file(p[0], v);
			write_file(root, v);
		}
		t0 = now_ns();
		write_file(p[1], v);
		procs_reopen[i] = now_ns() - t0;
	}
	/* Then back and forth, g0 and g1, through the same files held open. */
	for (i = 0; i < 2; i++) {
		fd[i] = open(p[i], O_WRONLY | O_CLOEXEC);
		if (fd[i] < 0)
			die("open %s", p[i]);
	}
	for (i = 0; i < PROCS_MOVES; i++) {
		t0 = now_ns();
		pwrite_str(fd[i & 1 ? 1 : 0], v, "cgroup.procs");
		held[i] = now_ns() - t0;
	}
	close(fd[0]);
	close(fd[1]);
	/* Back to the root before the groups go. */
	snprintf(p[0], sizeof(p[0]), "%s/cgroup.procs", mnt);
	write_file(p[0], v);
	release_workers();
	join_workers(w, ATTACH_TASKS);
	free(w);
	remove_groups(mnt, 2);

	json_begin("attach");
	json_str("fs", fs);
	json_int("k", k);
	json_int("batches", BATCHES);
	json_num("single_moves_per_s", k * 1e9 / batches_total(&single));
	json_num("single_moves_per_s_batch", 1e9 / batches_median(&single));
	json_num("single_reopen_moves_per_s", k * 1e9 / batches_total(&reopen));
	json_num("single_reopen_moves_per_s_batch", 1e9 / batches_median(&reopen));
	json_int("tasks", ATTACH_TASKS);
	json_num("tasks_moves_per_s", ATTACH_TASKS * 1e9 / batches_total(&each));
	json_num("tasks_moves_per_s_batch", 1e9 / batches_median(&each));
	json_int("procs_threads", ATTACH_TASKS + 1);
	/* The first move, as one write per run gave before. */
	json_num("procs_total_ms", procs_reopen[0] / 1e6);
	json_sorted_us("procs_reopen_us", procs_reopen, PROCS_MOVES);
	json_sorted_us("procs_held_us", held, PROCS_MOVES);
	json_end();
	return 0;
}

/* Kernel memory, from /proc/meminfo and /proc/slabinfo. */
struct slab_cache {
	char name[64];
	long long bytes;
};

struct mem_snap {
	long long slab_kb, percpu_kb, avail_kb, stack_kb;
	long long slab_bytes;
	int ncaches;
	struct slab_cache caches[MAX_CACHES];
};

/* Sets *@v to the value of @key if @line is its /proc/meminfo line. */
static void meminfo_field(const char *line, const char *key, long long *v)
{
	size_t n = strlen(key);

	if (!strncmp(line, key, n) && line[n] == ':')
		*v = atoll(line + n + 1);
}

static void snap(struct mem_snap *s)
{
	char line[512], name[64];
	long long active, num, size;
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen("/proc/meminfo", "re");
	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f)) {
		meminfo_field(line, "Slab", &s->slab_kb);
		meminfo_field(line, "Percpu", &s->percpu_kb);
		meminfo_field(line, "MemAvailable", &s->avail_kb);
		meminfo_field(line, "KernelStack", &s->stack_kb);
	}
	fclose(f);
	f = fopen("/proc/slabinfo", "re");
	if (!f)
		die("/proc/slabinfo");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld %lld %lld", name, &active, &num, &size) != 4)
			continue;
		s->slab_bytes += active * size;
		if (s->ncaches < MAX_CACHES) {
			snprintf(s->caches[s->ncaches].name, sizeof(s->caches[0].name), "%s", name);
			s->caches[s->ncaches++].bytes = active * size;
		}
	}
	fclose(f);
}

/*
 * Shrinks every slab cache: SLUB's counts of active objects leave out only
 * the free objects of the per-node partial lists, so free objects in per-CPU
 * slabs would count as used until they are flushed there.
 */
static void shrink_slabs(void)
{
	char line[512], name[64], p[PATH_BUF];
	FILE *f = fopen("/proc/slabinfo", "re");
	int fd;

	if (!f)
		die("/proc/slabinfo");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s", name) != 1 || name[0] == '#')
			continue;
		snprintf(p, sizeof(p), "/sys/kernel/slab/%s/shrink", name);
		fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (write(fd, "1", 1) != 1)
			die("write %s", p);
		close(fd);
	}
	fclose(f);
	errno = 0;
}

/*
 * Shrinks and snapshots until two snapshots in a row agree on the slab total
 * within a page, so that the frees RCU defers have happened (bounded: 100
 * tries, 20 ms apart).
 */
static void settled_snap(struct mem_snap *s)
{
	static struct mem_snap prev;
	int i;

	shrink_slabs();
	snap(&prev);
	for (i = 0; i < 100; i++) {
		nap(20 * 1000 * 1000);
		shrink_slabs();
		snap(s);
		if (llabs(s->slab_bytes - prev.slab_bytes) < 4096)
			return;
		prev = *s;
	}
}

/* Prints the memory figures of going from @a to @b, per object of @n. */
static void json_mem(const char *k, const struct mem_snap *a, const struct mem_snap *b, int n)
{
	long long d[MAX_CACHES];
	int i, j, best, shown = 0;

	printf(", \"%s\": {\"slabinfo_bytes\": %.1f, \"meminfo_slab_bytes\": %.1f", k,
	       (double)(b->slab_bytes - a->slab_bytes) / n,
	       (double)(b->slab_kb - a->slab_kb) * 1024 / n);
	printf(", \"percpu_bytes\": %.1f, \"memavailable_bytes\": %.1f",
	       (double)(b->percpu_kb - a->percpu_kb) * 1024 / n,
	       (double)(a->avail_kb - b->avail_kb) * 1024 / n);
	for (i = 0; i < b->ncaches; i++) {
		d[i] = b->caches[i].bytes;
		for (j = 0; j < a->ncaches; j++)
			if (!strcmp(a->caches[j].name, b->caches[i].name)) {
				d[i] -= a->caches[j].bytes;
				break;
			}
	}
	printf(", \"caches\": {");
	while (shown < TOP_CACHES) {
		best = -1;
		for (i = 0; i < b->ncaches; i++)
			if (d[i] > 0 && (best < 0 || d[i] > d[best]))
				best = i;
		if (best < 0)
			break;
		printf("%s\"%s\": %.1f", shown ? ", " : "", b->caches[best].name,
		       (double)d[best] / n);
		d[best] = 0;
		shown++;
	}
	printf("}}");
}

static int cmd_memory(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int k = atoi(argv[2]);
	struct mem_snap *s = calloc(7, sizeof(*s));
	char p[PATH_BUF], v[16];
	struct worker *w;
	struct stat st;
	int i;

	if (!s)
		die("calloc");
	/* Before the tasks exist, for what is left once they exited. */
	settled_snap(&s[5]);
	w = start_workers(k);
	settled_snap(&s[0]);
	make_groups(mnt, k);
	settled_snap(&s[1]);
	/*
	 * Both filesystems make a file's inode and dentry at its first lookup:
	 * look the tasks files up first, so the moves count only membership.
	 */
	for (i = 0; i < k; i++) {
		group_path(p, mnt, i, "tasks");
		if (stat(p, &st))
			die("stat %s", p);
	}
	settled_snap(&s[2]);
	place_workers(mnt, w, k);
	settled_snap(&s[3]);
	/* The workers back to the root, for the removal. */
	snprintf(p, sizeof(p), "%s/cgroup.procs", mnt);
	snprintf(v, sizeof(v), "%d", getpid());
	write_file(p, v);
	remove_groups(mnt, k);
	settled_snap(&s[4]);
	release_workers();
	join_workers(w, k);
	free(w);
	/* tcgroup keeps a task's entry, parked, until its exit. */
	settled_snap(&s[6]);

	json_begin("memory");
	json_str("fs", fs);
	json_int("k", k);
	json_mem("per_group", &s[0], &s[1], k);
	json_mem("per_file_lookup", &s[1], &s[2], k);
	json_mem("per_css_set", &s[2], &s[3], k);
	json_mem("left_after_rmdir", &s[0], &s[4], k);
	json_mem("left_after_exit", &s[5], &s[6], k);
	json_end();
	free(s);
	return 0;
}

/* Lines of the agent log /run/bench/FS.log: "/gI NS". */
static char *read_log(const char *fs, size_t *len)
{
	char path[PATH_BUF];
	struct stat st;
	char *buf;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/run/bench/%s.log", fs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*len = 0;
		return NULL;
	}
	if (fstat(fd, &st))
		die("stat %s", path);
	buf = malloc(st.st_size + 1);
	if (!buf)
		die("malloc");
	r = read(fd, buf, st.st_size);
	if (r < 0)
		die("read %s", path);
	buf[r] = 0;
	*len = r;
	close(fd);
	return buf;
}

static void clear_log(const char *fs)
{
	char path[PATH_BUF];

	snprintf(path, sizeof(path), "/run/bench/%s.log", fs);
	if (unlink(path) && errno != ENOENT)
		die("unlink %s", path);
	errno = 0;
}

static int count_lines(const char *buf, size_t len)
{
	int n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* Polls the agent log until it has @n lines; returns them. */
static char *wait_log(const char *fs, int n, size_t *len)
{
	long long last = now_ns();
	int seen = 0, c;
	char *buf;

	for (;;) {
		buf = read_log(fs, len);
		c = buf ? count_lines(buf, *len) : 0;
		if (c >= n)
			return buf;
		free(buf);
		if (c > seen) {
			seen = c;
			last = now_ns();
		} else if (now_ns() - last > POLL_STALL_NS) {
			errno = 0;
			die("%s: %d of %d agent calls, none for 60 s", fs, c, n);
		}
		nap(POLL_STEP_NS * 4);
	}
}

/* Parses the log into agent[i] = time of the call for /gI; returns the last. */
static long long parse_log(char *buf, long long *agent, int n)
{
	long long last = 0, ts;
	char *line, *save;
	int i;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "/g%d %lld", &i, &ts) != 2 || i < 0 || i >= n)
			die("bad agent line '%s'", line);
		agent[i] = ts;
		if (ts > last)
			last = ts;
	}
	return last;
}

static long long stats_file_launched(const char *mnt)
{
	char p[PATH_BUF], line[128];
	long long v = -1;
	FILE *f;

	snprintf(p, sizeof(p), "%s/release_agent.stats", mnt);
	f = fopen(p, "re");
	if (!f) {
		errno = 0;
		return -1;
	}
	while (fgets(line, sizeof(line), f))
		sscanf(line, "launched %lld", &v);
	fclose(f);
	return v;
}

/* Groups g0..g(n-1) of @mnt, with a worker thread each, ready to exit. */
static struct worker *populate(const char *mnt, int n, long long *t_mkdir, long long *t_place)
{
	struct worker *w;
	long long t0;

	t0 = now_ns();
	make_groups(mnt, n);
	*t_mkdir = now_ns() - t0;
	w = start_workers(n);
	t0 = now_ns();
	place_workers(mnt, w, n);
	*t_place = now_ns() - t0;
	return w;
}

/* release FS MNT N: N groups with notify_on_release, one thread each, all exit. */
static int cmd_release(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int n = atoi(argv[2]), i;
	long long t0, t_mkdir, t_place, t_rmdir, last_agent, last_exit = 0, first_agent = LLONG_MAX;
	long long *agent = calloc(n, sizeof(*agent)), *lat = calloc(n, sizeof(*lat));
	long long launched0 = stats_file_launched(mnt);
	char p[PATH_BUF];
	struct worker *w;
	size_t len;
	char *log;

	if (!agent || !lat)
		die("calloc");
	/* Children inherit it; the root itself is never released. */
	snprintf(p, sizeof(p), "%s/notify_on_release", mnt);
	write_file(p, "1");
	clear_log(fs);
	w = populate(mnt, n, &t_mkdir, &t_place);

	t0 = release_workers();
	log = wait_log(fs, n, &len);
	last_agent = parse_log(log, agent, n);
	free(log);
	join_workers(w, n);
	for (i = 0; i < n; i++) {
		if (!agent[i])
			die("no agent call for /g%d", i);
		lat[i] = agent[i] - w[i].exit_ns;
		if (w[i].exit_ns > last_exit)
			last_exit = w[i].exit_ns;
		if (agent[i] < first_agent)
			first_agent = agent[i];
	}
	free(w);
	snprintf(p, sizeof(p), "%s/notify_on_release", mnt);
	write_file(p, "0");
	t_rmdir = now_ns();
	remove_groups(mnt, n);
	t_rmdir = now_ns() - t_rmdir;

	json_begin("release");
	json_str("fs", fs);
	json_int("n", n);
	json_num("total_ms", (last_agent - t0) / 1e6);
	json_num("rate_per_s", n * 1e9 / (last_agent - t0));
	json_num("exits_ms", (last_exit - t0) / 1e6);
	json_num("first_call_ms", (first_agent - t0) / 1e6);
	json_num("mkdir_per_s", n * 1e9 / t_mkdir);
	json_num("place_per_s", n * 1e9 / t_place);
	json_num("rmdir_per_s", n * 1e9 / t_rmdir);
	if (launched0 >= 0)
		json_int("launched", stats_file_launched(mnt) - launched0);
	json_sorted_us("lat_us", lat, n);
	for (i = 0; i < n; i++)
		agent[i] -= t0;
	json_sorted_us("agent_us", agent, n);
	json_end();
	free(agent);
	free(lat);
	return 0;
}

/*
 * exits FS MNT N: as release, without notify_on_release: N threads, each in a
 * group of its own, exit at once, and no agent runs meanwhile. The time to
 * the last thread's exit is then the exit path's alone; in the release
 * workload the agents' execs share the CPUs with the exiting threads.
 */
static int cmd_exits(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int n = atoi(argv[2]), i;
	long long t0, t_mkdir, t_place, t_join, last_exit = 0;
	char p[PATH_BUF];
	struct worker *w;

	snprintf(p, sizeof(p), "%s/notify_on_release", mnt);
	write_file(p, "0");
	w = populate(mnt, n, &t_mkdir, &t_place);
	t0 = release_workers();
	join_workers(w, n);
	t_join = now_ns();
	for (i = 0; i < n; i++)
		if (w[i].exit_ns > last_exit)
			last_exit = w[i].exit_ns;
	free(w);
	remove_groups(mnt, n);

	json_begin("exits");
	json_str("fs", fs);
	json_int("n", n);
	json_num("exits_ms", (last_exit - t0) / 1e6);
	json_num("joined_ms", (t_join - t0) / 1e6);
	json_end();
	return 0;
}

/* events FS MNT N: as release, but observed through cgroup.events and epoll. */
static int cmd_events(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int n = atoi(argv[2]), i, ep, got = 0, wakeups = 0, nev, j;
	long long t0, t_mkdir, t_place, last = 0, *seen = calloc(n, sizeof(*seen));
	long long *lat = calloc(n, sizeof(*lat));
	struct epoll_event ev, *evs = calloc(64, sizeof(*evs));
	struct rlimit rl = { .rlim_cur = n + 64, .rlim_max = n + 64 };
	int *fds = calloc(n, sizeof(*fds));
	char p[PATH_BUF], buf[64];
	struct worker *w;
	ssize_t r;

	if (!seen || !lat || !evs || !fds)
		die("calloc");
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	snprintf(p, sizeof(p), "%s/notify_on_release", mnt);
	write_file(p, "0");
	w = populate(mnt, n, &t_mkdir, &t_place);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	for (i = 0; i < n; i++) {
		group_path(p, mnt, i, "cgroup.events");
		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			die("open %s", p);
		if (pread(fds[i], buf, sizeof(buf) - 1, 0) < 0)
			die("read %s", p);
		ev.events = EPOLLPRI;
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			die("epoll_ctl");
	}

	t0 = release_workers();
	while (got < n) {
		nev = epoll_wait(ep, evs, 64, POLL_STALL_NS / 1000000);
		if (nev <= 0)
			die("epoll_wait: %d of %d groups emptied", got, n);
		wakeups++;
		for (j = 0; j < nev; j++) {
			i = evs[j].data.u32;
			r = pread(fds[i], buf, sizeof(buf) - 1, 0);
			if (r < 0)
				die("read cgroup.events");
			buf[r] = 0;
			if (!seen[i] && strstr(buf, "populated 0")) {
				seen[i] = now_ns();
				last = seen[i];
				got++;
			}
		}
	}
	join_workers(w, n);
	for (i = 0; i < n; i++) {
		lat[i] = seen[i] - w[i].exit_ns;
		close(fds[i]);
	}
	close(ep);
	free(w);
	remove_groups(mnt, n);

	json_begin("events");
	json_str("fs", fs);
	json_int("n", n);
	json_num("total_ms", (last - t0) / 1e6);
	json_num("rate_per_s", n * 1e9 / (last - t0));
	json_int("epoll_wakeups", wakeups);
	json_sorted_us("lat_us", lat, n);
	json_end();
	free(seen);
	free(lat);
	free(evs);
	free(fds);
	return 0;
}

/*
 * Polls the agent log of @fs for a call made at or after @since (v1 may make
 * a late second call for an earlier release); returns its time.
 */
static long long wait_call_after(const char *fs, long long since)
{
	long long last = now_ns(), ts;
	char *buf, *line, *save;
	size_t len;

	for (;;) {
		buf = read_log(fs, &len);
		for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save)) {
			line = strrchr(line, ' ');
			ts = line ? atoll(line + 1) : 0;
			if (ts >= since) {
				free(buf);
				return ts;
			}
		}
		free(buf);
		if (now_ns() - last > POLL_STALL_NS) {
			errno = 0;
			die("%s: no agent call for 60 s", fs);
		}
		nap(POLL_STEP_NS);
	}
}

/*
 * depth FS MNT D R: a chain of D nested groups d/d/...; R times a thread in the
 * deepest one exits, each time timed from its exit to the agent call. Then
 * DEPTH_MOVES moves of one thread between the root and the deepest group,
 * with notify_on_release cleared there, through the two `tasks` files held
 * open, and as many with an open, write and close per move (v1 and tcgroup
 * both build the agent's path walking up the chain; a move needs no walk
 * where no semantics ask for one).
 */
static int cmd_depth(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int d = atoi(argv[2]), reps = atoi(argv[3]), i, fd_deep, fd_root;
	long long *lat = calloc(reps, sizeof(*lat));
	struct batches move_b, reopen_b;
	size_t size = PATH_BUF + 2 * d, plen;
	char *p = malloc(size), *root = malloc(size), v[16];
	struct worker *w;

	if (!lat || !p || !root)
		die("malloc");
	snprintf(p, size, "%s/notify_on_release", mnt);
	write_file(p, "1");
	plen = snprintf(p, size, "%s", mnt);
	for (i = 0; i < d; i++) {
		plen += snprintf(p + plen, size - plen, "/d");
		if (mkdir(p, 0755))
			die("mkdir %s", p);
	}
	snprintf(p + plen, size - plen, "/tasks");
	snprintf(root, size, "%s/tasks", mnt);
	for (i = 0; i < reps; i++) {
		clear_log(fs);
		w = start_workers(1);
		snprintf(v, sizeof(v), "%d", w[0].tid);
		write_file(p, v);
		release_workers();
		join_workers(w, 1);
		lat[i] = wait_call_after(fs, w[0].exit_ns) - w[0].exit_ns;
		free(w);
	}
	/*
	 * The deepest group empties on every other move: with notify_on_release
	 * each emptying may call the agent (12 to 26 calls per 1000 moves in a
	 * scratch run at depth 10, as many as the releases did not coalesce),
	 * and the agents' execs would share the vCPU with the moves. The moves
	 * measure the move path; the releases were measured above.
	 */
	snprintf(p + plen, size - plen, "/notify_on_release");
	write_file(p, "0");
	snprintf(p + plen, size - plen, "/tasks");
	pin_sequential();
	w = start_workers(1);
	fd_deep = open(p, O_WRONLY | O_CLOEXEC);
	fd_root = open(root, O_WRONLY | O_CLOEXEC);
	if (fd_deep < 0 || fd_root < 0)
		die("open tasks");
	snprintf(v, sizeof(v), "%d", w[0].tid);
	batches_start(&move_b, DEPTH_MOVES);
	for (i = 0; i < DEPTH_MOVES; i++) {
		pwrite_str(i & 1 ? fd_root : fd_deep, v, "tasks");
		batches_tick(&move_b, i);
	}
	close(fd_deep);
	close(fd_root);
	batches_start(&reopen_b, DEPTH_MOVES);
	for (i = 0; i < DEPTH_MOVES; i++) {
		write_file(i & 1 ? root : p, v);
		batches_tick(&reopen_b, i);
	}
	release_workers();
	join_workers(w, 1);
	free(w);
	snprintf(p, size, "%s/notify_on_release", mnt);
	write_file(p, "0");
	for (i = d; i > 0; i--) {
		plen = snprintf(p, size, "%s", mnt);
		for (int j = 0; j < i; j++)
			plen += snprintf(p + plen, size - plen, "/d");
		if (rmdir(p))
			die("rmdir %s", p);
	}

	json_begin("depth");
	json_str("fs", fs);
	json_int("depth", d);
	json_int("moves", DEPTH_MOVES);
	json_int("moves_notify_on_release", 0);
	json_int("batches", BATCHES);
	json_num("moves_per_s", DEPTH_MOVES * 1e9 / batches_total(&move_b));
	json_num("moves_per_s_batch", 1e9 / batches_median(&move_b));
	json_num("reopen_moves_per_s", DEPTH_MOVES * 1e9 / batches_total(&reopen_b));
	json_num("reopen_moves_per_s_batch", 1e9 / batches_median(&reopen_b));
	json_sorted_us("lat_us", lat, reps);
	json_end();
	free(lat);
	free(root);
	free(p);
	return 0;
}

/* The probe group of the idle workload. */
#define IDLE_PROBE "probe"
#define MAX_IDLE_FS 2
#define MAX_IDLE_NS 8

/* Groups i<from>..i<to - 1> of @mnt, idle; returns the time it took. */
static long long make_idle(const char *mnt, int from, int to)
{
	long long t0 = now_ns();
	char p[PATH_BUF];
	int i;

	for (i = from; i < to; i++) {
		snprintf(p, sizeof(p), "%s/i%d", mnt, i);
		if (mkdir(p, 0755))
			die("mkdir %s", p);
	}
	return now_ns() - t0;
}

/* One release of @mnt's probe group: exit to agent call, in ns. */
static long long probe_release(const char *fs, const char *mnt)
{
	char p[PATH_BUF], v[16];
	struct worker *w;
	long long lat;

	clear_log(fs);
	w = start_workers(1);
	snprintf(p, sizeof(p), "%s/" IDLE_PROBE "/tasks", mnt);
	snprintf(v, sizeof(v), "%d", w[0].tid);
	write_file(p, v);
	release_workers();
	join_workers(w, 1);
	lat = wait_call_after(fs, w[0].exit_ns) - w[0].exit_ns;
	free(w);
	return lat;
}

/*
 * idle NS R FS MNT [FS MNT]: ONE group (the probe) released while N other,
 * idle groups exist beside it, for each N of the comma-separated ascending
 * list NS. The groups are made the way a new user makes them: siblings under
 * the root, after notify_on_release was set on the root (so they inherit it).
 * For each N, R repetitions, and in each the filesystems one after the other,
 * in an order reversed every repetition; the idle groups of every filesystem
 * stay while the probe is released on another. One result per filesystem
 * and N: the exit-to-agent latency of each repetition.
 */
static int cmd_idle(int argc, char **argv)
{
	int reps = atoi(argv[1]), nfs = (argc - 2) / 2, ns[MAX_IDLE_NS], nn = 0, have = 0;
	long long *lat[MAX_IDLE_FS], mkdir_ns[MAX_IDLE_FS];
	const char *fs[MAX_IDLE_FS], *mnt[MAX_IDLE_FS];
	char p[PATH_BUF], *list = strdup(argv[0]), *tok, *save;
	int f, i, j, r, o;

	if (!list || reps < 1 || nfs < 1 || nfs > MAX_IDLE_FS || argc != 2 + 2 * nfs) {
		errno = 0;
		die("idle: bad arguments");
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nn == MAX_IDLE_NS || atoi(tok) < have) {
			errno = 0;
			die("idle: at most %d counts, ascending", MAX_IDLE_NS);
		}
		ns[nn++] = atoi(tok);
		have = ns[nn - 1];
	}
	free(list);
	for (f = 0; f < nfs; f++) {
		fs[f] = argv[2 + 2 * f];
		mnt[f] = argv[3 + 2 * f];
		lat[f] = calloc(reps, sizeof(*lat[f]));
		if (!lat[f])
			die("calloc");
		snprintf(p, sizeof(p), "%s/notify_on_release", mnt[f]);
		write_file(p, "1");
		snprintf(p, sizeof(p), "%s/" IDLE_PROBE, mnt[f]);
		if (mkdir(p, 0755))
			die("mkdir %s", p);
	}
	have = 0;
	for (j = 0; j < nn; j++) {
		for (f = 0; f < nfs; f++)
			mkdir_ns[f] = make_idle(mnt[f], have, ns[j]);
		for (r = 0; r < reps; r++)
			for (o = 0; o < nfs; o++) {
				f = (r + j) % 2 ? nfs - 1 - o : o;
				lat[f][r] = probe_release(fs[f], mnt[f]);
			}
		for (f = 0; f < nfs; f++) {
			json_begin("idle");
			json_str("fs", fs[f]);
			json_int("n", ns[j]);
			json_int("added", ns[j] - have);
			if (ns[j] > have)
				json_num("mkdir_per_s", (ns[j] - have) * 1e9 / mkdir_ns[f]);
			/* In the order measured: the report pairs repetitions. */
			json_us_array("lat_us", lat[f], reps);
			json_end();
		}
		have = ns[j];
	}
	for (f = 0; f < nfs; f++) {
		snprintf(p, sizeof(p), "%s/notify_on_release", mnt[f]);
		write_file(p, "0");
		for (i = 0; i < have; i++) {
			snprintf(p, sizeof(p), "%s/i%d", mnt[f], i);
			if (rmdir(p))
				die("rmdir %s", p);
		}
		snprintf(p, sizeof(p), "%s/" IDLE_PROBE, mnt[f]);
		if (rmdir(p))
			die("rmdir %s", p);
		free(lat[f]);
	}
	return 0;
}

static long long read_param(const char *name)
{
	char p[PATH_BUF], buf[32];
	ssize_t r;
	int fd;

	snprintf(p, sizeof(p), UMH_PARAM "%s", name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s", p);
	r = read(fd, buf, sizeof(buf) - 1);
	if (r < 0)
		die("read %s", p);
	buf[r] = 0;
	close(fd);
	return atoll(buf);
}

/*
 * umh FS MNT N: the limit. The release workload's set-up on MNT (N groups,
 * one thread each), but without notify_on_release: the threads exit and the
 * limit module runs the agent N times, one after the other, from the moment
 * they are woken. Only the group logic differs from "release".
 */
static int cmd_umh(int argc, char **argv)
{
	const char *mnt = argv[1];
	int n = atoi(argv[2]), i;
	long long t0, t_mkdir, t_place, last, *agent = calloc(n, sizeof(*agent));
	char p[PATH_BUF], v[16];
	struct worker *w;
	size_t len;
	char *log;

	if (!agent)
		die("calloc");
	snprintf(p, sizeof(p), "%s/notify_on_release", mnt);
	write_file(p, "0");
	clear_log("umh");
	w = populate(mnt, n, &t_mkdir, &t_place);
	snprintf(v, sizeof(v), "%d", n);
	t0 = release_workers();
	write_file(UMH_PARAM "run", v);
	log = wait_log("umh", n, &len);
	last = parse_log(log, agent, n);
	free(log);
	join_workers(w, n);
	free(w);
	remove_groups(mnt, n);
	for (i = 0; i < n; i++)
		agent[i] -= t0;
	json_begin("umh");
	json_int("n", n);
	json_num("total_ms", (last - t0) / 1e6);
	json_num("rate_per_s", n * 1e9 / (last - t0));
	json_int("failed", read_param("failed"));
	json_sorted_us("agent_us", agent, n);
	json_num("first_call_ms", agent[0] / 1e6);
	json_end();
	free(agent);
	return 0;
}

/*
 * kill FS MNT P G: the tree MNT/kill with G child groups k0..k(G-1), each
 * holding P/G processes: a forker, which moved itself there and forked the
 * others (they pause), and then forks and reaps short-lived children in a
 * loop. With every loop running, 1 is written to MNT/kill/cgroup.kill. The
 * figure: from just before the write until every group's cgroup.events has
 * read "populated 0" (each watched with epoll, EPOLLPRI), the time until
 * the tree is empty of tasks: a task leaves its groups when it exits, on
 * v2 and on tcgroup alike, before it is reaped. Also how long the write
 * took, and until this process (a subreaper, to which the forkers' children
 * go) had reaped every process of the tree. FS is a label only ("tcgroup",
 * "cgroup2"); tcgroup's groups are made with notify_on_release cleared, so
 * that no agent runs.
 */
#define KILL_MAX_GROUPS 64

static int cmd_kill(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int procs = atoi(argv[2]), groups = atoi(argv[3]), per, i, ep, got = 0, wakeups = 0;
	int reaped = 0, killed = 0, status, nev, j, fds[KILL_MAX_GROUPS];
	long long t0, t_write, t_empty = 0, t_reaped, last;
	struct epoll_event ev, evs[KILL_MAX_GROUPS];
	char top[PATH_BUF / 2], p[PATH_BUF], buf[64];
	bool seen[KILL_MAX_GROUPS] = { false };
	int *ready;
	pid_t pid;
	ssize_t r;

	if (groups < 1 || groups > KILL_MAX_GROUPS || procs < groups || procs % groups)
		die("kill: %d processes in %d groups", procs, groups);
	per = procs / groups;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		die("PR_SET_CHILD_SUBREAPER");
	ready = mmap(NULL, sizeof(*ready), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (ready == MAP_FAILED)
		die("mmap");
	snprintf(top, sizeof(top), "%s/kill", mnt);
	if (mkdir(top, 0755))
		die("mkdir %s", top);
	snprintf(p, sizeof(p), "%s/notify_on_release", top);
	if (!access(p, F_OK))
		write_file(p, "0");
	for (i = 0; i < groups; i++) {
		snprintf(p, sizeof(p), "%s/k%d", top, i);
		if (mkdir(p, 0755))
			die("mkdir %s", p);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			snprintf(p, sizeof(p), "%s/k%d/cgroup.procs", top, i);
			write_file(p, "0");
			for (j = 1; j < per; j++) {
				pid = fork();
				if (pid < 0)
					die("fork");
				if (!pid)
					for (;;)
						pause();
			}
			__atomic_add_fetch(ready, 1, __ATOMIC_SEQ_CST);
			for (;;) {
				pid = fork();
				if (!pid)
					_exit(0);
				if (pid > 0)
					waitpid(pid, NULL, 0);
			}
		}
	}
	last = now_ns();
	while (__atomic_load_n(ready, __ATOMIC_SEQ_CST) < groups) {
		if (now_ns() - last > POLL_STALL_NS)
			die("kill: forkers not ready");
		nap(POLL_STEP_NS);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	for (i = 0; i < groups; i++) {
		snprintf(p, sizeof(p), "%s/k%d/cgroup.events", top, i);
		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			die("open %s", p);
		r = pread(fds[i], buf, sizeof(buf) - 1, 0);
		if (r < 0)
			die("read %s", p);
		buf[r] = 0;
		if (!strstr(buf, "populated 1"))
			die("%s: not populated", p);
		ev.events = EPOLLPRI;
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			die("epoll_ctl");
	}

	snprintf(p, sizeof(p), "%s/cgroup.kill", top);
	t0 = now_ns();
	write_file(p, "1");
	t_write = now_ns();
	while (got < groups) {
		nev = epoll_wait(ep, evs, KILL_MAX_GROUPS, POLL_STALL_NS / 1000000);
		if (nev <= 0)
			die("kill: %d of %d groups emptied", got, groups);
		wakeups++;
		for (j = 0; j < nev; j++) {
			i = evs[j].data.u32;
			r = pread(fds[i], buf, sizeof(buf) - 1, 0);
			if (r < 0)
				die("read cgroup.events");
			buf[r] = 0;
			if (!seen[i] && strstr(buf, "populated 0")) {
				seen[i] = true;
				t_empty = now_ns();
				got++;
			}
		}
	}
	/* Every process of the tree, the forkers' orphans included, is ours now. */
	while ((pid = waitpid(-1, &status, 0)) > 0) {
		reaped++;
		killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	}
	if (errno != ECHILD)
		die("waitpid");
	t_reaped = now_ns();
	for (i = 0; i < groups; i++) {
		close(fds[i]);
		snprintf(p, sizeof(p), "%s/k%d", top, i);
		if (rmdir(p))
			die("rmdir %s", p);
	}
	close(ep);
	if (rmdir(top))
		die("rmdir %s", top);
	munmap(ready, sizeof(*ready));
	/* The fork loops' last children may have exited by themselves. */
	if (killed < procs)
		die("kill: %d of %d processes killed", killed, procs);

	json_begin("kill");
	json_str("fs", fs);
	json_int("procs", procs);
	json_int("groups", groups);
	json_num("write_ms", (t_write - t0) / 1e6);
	json_num("empty_ms", (t_empty - t0) / 1e6);
	json_num("reaped_ms", (t_reaped - t0) / 1e6);
	json_int("reaped", reaped);
	json_int("killed", killed);
	json_int("epoll_wakeups", wakeups);
	json_end();
	return 0;
}

/*
 * The index workloads: listing a group, looking a task's groups up, moving a
 * process out of the root. Self-contained: their own helpers and JSON kinds.
 */

/* Prints @k: the times @ns, sorted in place, in microseconds with 0.1 us. */
static void index_json_us(const char *k, long long *ns, int n)
{
	int i;

	qsort(ns, n, sizeof(*ns), cmp_ll);
	printf(", \"%s\": [", k);
	for (i = 0; i < n; i++)
		printf("%s%.1f", i ? "," : "", ns[i] / 1e3);
	printf("]");
}

/* Reads the whole file @path once (open, read to the end, close); the time. */
static long long index_read(const char *path, char *buf, size_t size)
{
	long long t0 = now_ns();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		die("open %s", path);
	do {
		r = read(fd, buf, size);
	} while (r > 0);
	if (r < 0)
		die("read %s", path);
	close(fd);
	return now_ns() - t0;
}

/*
 * listing: a group of one member (a worker thread) beside other threads of
 * the calling process in the root groups: for each count T of @list
 * (ascending, comma-separated), as many other threads, and @r reads of the
 * group's tasks and cgroup.procs, each with open, read and close,
 * alternating. The counts are measured going up (each count's threads
 * started on top of those of the count before) and again going down (each
 * count's own threads ended), so that every count but the largest is read
 * before and after it: a drift or a warm-up over the run weighs on every
 * count alike. Every count is read in the one process, seconds apart: its
 * records share a "run" (the process id), so that a count's time against
 * another's is paired.
 */
#define LISTING_COUNTS 8

/* @r reads of each of @p and @q, into @tasks_ns and @procs_ns. */
static void listing_reads(const char *p, const char *q, int r, long long *tasks_ns,
			  long long *procs_ns)
{
	char buf[4096];
	int i;

	/* One read of each first, unreported: the dentries and the buffers. */
	index_read(p, buf, sizeof(buf));
	index_read(q, buf, sizeof(buf));
	for (i = 0; i < r; i++) {
		tasks_ns[i] = index_read(p, buf, sizeof(buf));
		procs_ns[i] = index_read(q, buf, sizeof(buf));
	}
}

static int cmd_listing(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	char *list = strdup(argv[2]), *tok, *save = NULL;
	int r = atoi(argv[3]), k, n = 0, counts[LISTING_COUNTS], words[LISTING_COUNTS];
	/* The threads started for each count, on top of the count before. */
	int sizes[LISTING_COUNTS];
	long long *tasks_ns = calloc((size_t)LISTING_COUNTS * 2 * r, sizeof(long long));
	long long *procs_ns = calloc((size_t)LISTING_COUNTS * 2 * r, sizeof(long long));
	int got[LISTING_COUNTS] = { 0 };
	char p[PATH_BUF], q[PATH_BUF], v[16];
	struct worker *member, *sets[LISTING_COUNTS];

	if (!list || !tasks_ns || !procs_ns)
		die("calloc");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == LISTING_COUNTS)
			die("listing: more than %d counts", LISTING_COUNTS);
		counts[n] = atoi(tok);
		if (counts[n] < (n ? counts[n - 1] + 1 : 0))
			die("listing: the counts %s do not ascend", argv[2]);
		n++;
	}
	if (!n)
		die("listing: no count");
	pin_sequential();
	make_groups(mnt, 1);
	member = start_workers(1);
	group_path(p, mnt, 0, "tasks");
	snprintf(v, sizeof(v), "%d", member[0].tid);
	write_file(p, v);
	group_path(q, mnt, 0, "cgroup.procs");
	/* Up: count k's threads on top of count k - 1's, each set on its own word. */
	for (k = 0; k < n; k++) {
		sizes[k] = counts[k] - (k ? counts[k - 1] : 0);
		sets[k] = sizes[k] ? start_workers_on(sizes[k], &words[k]) : NULL;
		listing_reads(p, q, r, tasks_ns + (size_t)k * 2 * r, procs_ns + (size_t)k * 2 * r);
		got[k] = r;
	}
	/* Down: the largest count's threads end, then the next, each count read again. */
	for (k = n - 1; k > 0; k--) {
		if (sets[k]) {
			release_word(&words[k]);
			join_workers(sets[k], sizes[k]);
			free(sets[k]);
		}
		listing_reads(p, q, r, tasks_ns + (size_t)(k - 1) * 2 * r + r,
			      procs_ns + (size_t)(k - 1) * 2 * r + r);
		got[k - 1] += r;
	}
	for (k = 0; k < n; k++) {
		json_begin("listing");
		json_str("fs", fs);
		json_int("others", counts[k]);
		json_int("reads", got[k]);
		json_int("run", getpid());
		index_json_us("tasks_us", tasks_ns + (size_t)k * 2 * r, got[k]);
		index_json_us("procs_us", procs_ns + (size_t)k * 2 * r, got[k]);
		json_end();
	}
	release_workers();
	join_workers(member, 1);
	free(member);
	if (sets[0]) {
		release_word(&words[0]);
		join_workers(sets[0], sizes[0]);
		free(sets[0]);
	}
	remove_groups(mnt, 1);
	free(tasks_ns);
	free(procs_ns);
	free(list);
	return 0;
}

/*
 * lookup: @g other groups beside a chain of the deepest of @depths; for each
 * depth D, the calling process is moved to the group at depth D and its
 * groups are read @r times (open, read, close): tcgroup's membership.lookup,
 * v1's /proc/self/cgroup.
 */
static int cmd_lookup(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int g = atoi(argv[2]), r = atoi(argv[3]), depths[16], ndepths = 0, max = 0, d, i, k;
	char *list = strdup(argv[4]), *tok, *save = NULL, *path, file[PATH_BUF], v[16];
	char buf[8192];
	long long *ns = calloc(r, sizeof(long long));
	size_t size;

	if (!list || !ns)
		die("malloc");
	for (tok = strtok_r(list, ",", &save); tok && ndepths < 16;
	     tok = strtok_r(NULL, ",", &save)) {
		depths[ndepths] = atoi(tok);
		if (depths[ndepths] < 1)
			die("depth %s", tok);
		if (depths[ndepths] > max)
			max = depths[ndepths];
		ndepths++;
	}
	size = PATH_BUF + 3 * max;
	path = malloc(size);
	if (!path)
		die("malloc");
	pin_sequential();
	make_groups(mnt, g);
	/* The chain c/c/c/..., max deep. */
	snprintf(path, size, "%s", mnt);
	for (d = 1; d <= max; d++) {
		strcat(path, "/c");
		if (mkdir(path, 0755))
			die("mkdir %s", path);
	}
	if (!strcmp(fs, "tcgroup"))
		snprintf(file, sizeof(file), "%s/membership.lookup", mnt);
	else
		snprintf(file, sizeof(file), "/proc/self/cgroup");
	snprintf(v, sizeof(v), "%d", getpid());
	for (k = 0; k < ndepths; k++) {
		snprintf(path, size, "%s", mnt);
		for (d = 1; d <= depths[k]; d++)
			strcat(path, "/c");
		strcat(path, "/cgroup.procs");
		write_file(path, v);
		index_read(file, buf, sizeof(buf));
		for (i = 0; i < r; i++)
			ns[i] = index_read(file, buf, sizeof(buf));
		json_begin("lookup");
		json_str("fs", fs);
		json_int("groups", g);
		json_int("depth", depths[k]);
		index_json_us("read_us", ns, r);
		json_end();
	}
	snprintf(path, size, "%s/cgroup.procs", mnt);
	write_file(path, v);
	for (d = max; d >= 1; d--) {
		snprintf(path, size, "%s", mnt);
		for (i = 1; i <= d; i++)
			strcat(path, "/c");
		if (rmdir(path))
			die("rmdir %s", path);
	}
	remove_groups(mnt, g);
	free(path);
	free(list);
	free(ns);
	return 0;
}

/*
 * A just-started process of 1 + ATTACH_TASKS threads, all in the root groups
 * (its parent's), moved into the group whose cgroup.procs is @into by its
 * parent, as a supervisor places the process it has just started: the time
 * of the write (open, write, close). The process is moved back to the root
 * (@root) and ends before the return.
 */
static long long fresh_move(const char *into, const char *root)
{
	int ready[2], go[2], status;
	long long t0, t;
	char v[16], c = 0;
	struct worker *w;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		die("pipe2");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		w = start_workers(ATTACH_TASKS);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		release_workers();
		join_workers(w, ATTACH_TASKS);
		_exit(0);
	}
	if (read(ready[0], &c, 1) != 1)
		die("fresh: the child's threads did not start");
	snprintf(v, sizeof(v), "%d", pid);
	t0 = now_ns();
	write_file(into, v);
	t = now_ns() - t0;
	write_file(root, v);
	if (write(go[1], &c, 1) != 1)
		die("fresh: write to the child");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("fresh: child %d failed", pid);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	return t;
}

/*
 * rootmove: the calling process with 1000 worker threads, all in the root
 * groups, moved into a group and back by cgroup.procs, @r times each way,
 * each with open, write and close; then (r + 4) / 5 times a just-started
 * process of as many threads, never in a group before, moved into the group
 * by its parent (fresh_move()).
 */
static int cmd_rootmove(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int r = atoi(argv[2]), f = (atoi(argv[2]) + 4) / 5, i;
	long long *into = calloc(r, sizeof(long long)), *back = calloc(r, sizeof(long long));
	long long *fresh = calloc(f, sizeof(long long));
	char p[PATH_BUF], root[PATH_BUF], v[16];
	struct worker *w;
	long long t0;

	if (!into || !back || !fresh)
		die("calloc");
	pin_sequential();
	make_groups(mnt, 1);
	w = start_workers(ATTACH_TASKS);
	group_path(p, mnt, 0, "cgroup.procs");
	snprintf(root, sizeof(root), "%s/cgroup.procs", mnt);
	snprintf(v, sizeof(v), "%d", getpid());
	for (i = 0; i < r; i++) {
		t0 = now_ns();
		write_file(p, v);
		into[i] = now_ns() - t0;
		t0 = now_ns();
		write_file(root, v);
		back[i] = now_ns() - t0;
	}
	release_workers();
	join_workers(w, ATTACH_TASKS);
	free(w);
	for (i = 0; i < f; i++)
		fresh[i] = fresh_move(p, root);
	remove_groups(mnt, 1);

	json_begin("rootmove");
	json_str("fs", fs);
	json_int("threads", ATTACH_TASKS + 1);
	index_json_us("into_us", into, r);
	index_json_us("back_us", back, r);
	index_json_us("fresh_us", fresh, f);
	json_end();
	free(into);
	free(back);
	free(fresh);
	return 0;
}

/*
 * The release notification workloads of issue 28: the release workload's
 * set-up (N groups, one worker thread each, all woken at once), observed by
 * tcgroup's release stream or by cgroup v2's cgroup.events under inotify,
 * with the release rows' definitions: the rate is the groups observed over
 * the time from the wake-up to the last observation, a latency is from a
 * thread's last timestamp before it exits to the observation of its group,
 * "first" is the first observation after the wake-up. Each counts the events
 * it missed instead of failing: it stops once every group was observed, or
 * once nothing came for NOTIFY_QUIET_MS after the last observation (a bounded
 * wait: the groups not observed by then are missed). Self-contained: its own
 * helpers and JSON kinds ("stream", "inotify").
 */
#define NOTIFY_QUIET_MS 10000
#define NOTIFY_BUF (256 * 1024)

/* What a notification workload observed, and when. */
struct notify_run {
	int n, got, dup, other, wakeups;
	long long t0, first, last, *seen, *lat;
	/* Set once the operation that releases the groups has returned (burst). */
	long long quiet_from;
	struct worker *w;
};

static void notify_start(struct notify_run *nr, int n)
{
	memset(nr, 0, sizeof(*nr));
	nr->n = n;
	nr->first = LLONG_MAX;
	nr->seen = calloc(n, sizeof(*nr->seen));
	nr->lat = calloc(n, sizeof(*nr->lat));
	if (!nr->seen || !nr->lat)
		die("calloc");
}

/* Group @i observed at @t (a repeated observation is counted, not timed). */
static void notify_seen(struct notify_run *nr, int i, long long t)
{
	if (i < 0 || i >= nr->n) {
		nr->other++;
		return;
	}
	if (nr->seen[i]) {
		nr->dup++;
		return;
	}
	nr->seen[i] = t;
	nr->got++;
	if (t < nr->first)
		nr->first = t;
	if (t > nr->last)
		nr->last = t;
}

/*
 * Where the quiet bound counts from: the last observation, or the wake-up,
 * or the end of the operation that releases the groups if that is later (a
 * burst's write may take longer than the bound, and nothing need come
 * before it returns).
 */
static long long notify_quiet_since(struct notify_run *nr)
{
	long long since = nr->last ? nr->last : nr->t0;
	long long end = __atomic_load_n(&nr->quiet_from, __ATOMIC_ACQUIRE);

	return end > since ? end : since;
}

/*
 * Waits until @fd is readable or NOTIFY_QUIET_MS passed since
 * notify_quiet_since(); false then.
 */
static bool notify_wait(struct notify_run *nr, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long since, left;
	int r;

	for (;;) {
		since = notify_quiet_since(nr);
		left = NOTIFY_QUIET_MS - (now_ns() - since) / 1000000;
		if (left <= 0)
			return false;
		r = poll(&pfd, 1, left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			die("poll");
	}
}

/*
 * Joins the workers and prints the figures every notification workload
 * shares; the caller adds its own and ends the line.
 */
static void notify_json(struct notify_run *nr, const char *kind, const char *fs)
{
	long long last_exit = 0;
	int i, k = 0;

	join_workers(nr->w, nr->n);
	for (i = 0; i < nr->n; i++) {
		if (nr->w[i].exit_ns > last_exit)
			last_exit = nr->w[i].exit_ns;
		if (nr->seen[i])
			nr->lat[k++] = nr->seen[i] - nr->w[i].exit_ns;
	}
	json_begin(kind);
	json_str("fs", fs);
	json_int("n", nr->n);
	json_int("observed", nr->got);
	json_int("missed", nr->n - nr->got);
	json_int("duplicates", nr->dup);
	json_int("unknown", nr->other);
	json_int("wakeups", nr->wakeups);
	json_num("exits_ms", (last_exit - nr->t0) / 1e6);
	if (nr->got) {
		json_num("total_ms", (nr->last - nr->t0) / 1e6);
		json_num("rate_per_s", nr->got * 1e9 / (nr->last - nr->t0));
		json_num("first_call_ms", (nr->first - nr->t0) / 1e6);
	}
	json_sorted_us("lat_us", nr->lat, k);
}

static void notify_free(struct notify_run *nr)
{
	free(nr->w);
	free(nr->seen);
	free(nr->lat);
}

/* Reads @path (at most @size - 1 bytes, NUL-terminated) into @buf. */
static void read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		die("open %s", path);
	r = read(fd, buf, size - 1);
	if (r < 0)
		die("read %s", path);
	buf[r] = 0;
	close(fd);
}

/* What a release.stream reader counted besides the groups it observed. */
struct stream_counts {
	long long records, reads, lost_records, lost, gaps, backwards;
};

/*
 * Reads the release.stream @fd (O_NONBLOCK; @p its path) into @nr until
 * every group was observed or nothing came for NOTIFY_QUIET_MS: every line
 * of a read is observed when that read returns. Besides the groups: the
 * "lost N" records (and their sum), and the sequence numbers skipped that no
 * loss record covered (gaps) or that went backwards.
 */
static void stream_observe(struct notify_run *nr, int fd, const char *p, struct stream_counts *c)
{
	char *buf = malloc(NOTIFY_BUF + 1), *line, *nl;
	long long seq, next = -1, t;
	size_t have = 0;
	ssize_t r;
	int i, k;

	if (!buf)
		die("malloc");
	memset(c, 0, sizeof(*c));
	while (nr->got < nr->n) {
		r = read(fd, buf + have, NOTIFY_BUF - have);
		if (r < 0 && errno == EAGAIN) {
			if (!notify_wait(nr, fd))
				break;
			continue;
		}
		if (r <= 0)
			die("read %s", p);
		t = now_ns();
		nr->wakeups++;
		c->reads++;
		have += r;
		buf[have] = 0;
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = 0;
			if (sscanf(line, "lost %lld", &seq) == 1) {
				c->lost_records++;
				c->lost += seq;
				if (next >= 0)
					next += seq;
				continue;
			}
			c->records++;
			k = sscanf(line, "%lld /g%d", &seq, &i);
			if (k < 1) {
				nr->other++;
				continue;
			}
			if (k < 2)
				i = -1;
			if (next >= 0 && seq > next)
				c->gaps += seq - next;
			else if (next >= 0 && seq < next)
				c->backwards++;
			next = seq + 1;
			notify_seen(nr, i, t);
		}
		/* A line not read whole yet stays for the next read. */
		have = strlen(line);
		memmove(buf, line, have);
	}
	free(buf);
}

static void stream_json(const struct stream_counts *c)
{
	json_int("records", c->records);
	json_int("reads", c->reads);
	json_int("lost_records", c->lost_records);
	json_int("lost", c->lost);
	json_int("seq_gaps", c->gaps);
	json_int("seq_backwards", c->backwards);
}

/* The release agent of @mnt, saved in @agent, emptied for a stream run. */
static void agent_empty(const char *mnt, char *agent, size_t size)
{
	char p[PATH_BUF];

	snprintf(p, sizeof(p), "%s/release_agent", mnt);
	read_str(p, agent, size);
	write_file(p, "\n");
}

static void agent_restore(const char *mnt, const char *agent)
{
	char p[PATH_BUF];

	snprintf(p, sizeof(p), "%s/release_agent", mnt);
	write_file(p, agent[0] ? agent : "\n");
}

/*
 * stream FS MNT N: tcgroup's release stream. The release agent emptied for
 * the run (restored after), notify_on_release on; one reader opens MNT's
 * release.stream (its default queue) once the workers are in their groups,
 * and reads, O_NONBLOCK, with poll() when nothing is there
 * (stream_observe()).
 */
static int cmd_stream(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int n = atoi(argv[2]), fd;
	long long t_mkdir, t_place;
	char p[PATH_BUF], agent[PATH_BUF + 2];
	struct stream_counts c;
	struct notify_run nr;

	notify_start(&nr, n);
	agent_empty(mnt, agent, sizeof(agent));
	snprintf(p, sizeof(p), "%s/notify_on_release", mnt);
	write_file(p, "1");
	nr.w = populate(mnt, n, &t_mkdir, &t_place);
	snprintf(p, sizeof(p), "%s/release.stream", mnt);
	fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("open %s", p);

	nr.t0 = release_workers();
	stream_observe(&nr, fd, p, &c);
	close(fd);
	notify_json(&nr, "stream", fs);
	stream_json(&c);
	json_end();

	snprintf(p, sizeof(p), "%s/notify_on_release", mnt);
	write_file(p, "0");
	remove_groups(mnt, n);
	agent_restore(mnt, agent);
	notify_free(&nr);
	return 0;
}

/* cgroup v2's groups g0..g(n-1) of @base under inotify, one watch each. */
struct watches {
	int n, ino, *fds, *by_wd, max_wd;
	long long events, reads, overflows;
};

/*
 * Opens every group's cgroup.events and watches it (IN_MODIFY), checking
 * that each group is populated.
 */
static void watches_add(struct watches *ws, const char *base, int n)
{
	char p[PATH_BUF], ev_buf[64];
	int i, wd;
	ssize_t r;

	memset(ws, 0, sizeof(*ws));
	ws->n = n;
	ws->fds = calloc(n, sizeof(*ws->fds));
	if (!ws->fds)
		die("calloc");
	ws->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ws->ino < 0)
		die("inotify_init1");
	for (i = 0; i < n; i++) {
		group_path(p, base, i, "cgroup.events");
		ws->fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (ws->fds[i] < 0)
			die("open %s", p);
		wd = inotify_add_watch(ws->ino, p, IN_MODIFY);
		if (wd < 0)
			die("inotify_add_watch %s", p);
		if (wd >= ws->max_wd) {
			ws->by_wd = realloc(ws->by_wd, (wd + 1024) * sizeof(*ws->by_wd));
			if (!ws->by_wd)
				die("realloc");
			memset(ws->by_wd + ws->max_wd, 0xff,
			       (wd + 1024 - ws->max_wd) * sizeof(*ws->by_wd));
			ws->max_wd = wd + 1024;
		}
		ws->by_wd[wd] = i;
		r = pread(ws->fds[i], ev_buf, sizeof(ev_buf) - 1, 0);
		if (r < 0)
			die("read %s", p);
		ev_buf[r] = 0;
		if (!strstr(ev_buf, "populated 1"))
			die("%s: not populated", p);
	}
}

/*
 * Reads the inotify events into @nr until every group was observed or
 * nothing came for NOTIFY_QUIET_MS: after each wake-up, for every event
 * read, the cgroup.events of the group it names is read (pread of a
 * descriptor held open: cheaper than systemd's open, read and close) and the
 * group observed at "populated 0". Counted: IN_Q_OVERFLOW events (the queue
 * is the instance's default, /proc/sys/fs/inotify/max_queued_events),
 * inotify events and file reads.
 */
static void watches_observe(struct notify_run *nr, struct watches *ws)
{
	char *buf = malloc(NOTIFY_BUF), ev_buf[64], *e;
	const struct inotify_event *ie;
	ssize_t r, len;
	int i;

	if (!buf)
		die("malloc");
	while (nr->got < nr->n) {
		r = read(ws->ino, buf, NOTIFY_BUF);
		if (r < 0 && errno == EAGAIN) {
			if (!notify_wait(nr, ws->ino))
				break;
			continue;
		}
		if (r <= 0)
			die("read inotify");
		nr->wakeups++;
		for (e = buf; e < buf + r; e += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)e;
			ws->events++;
			if (ie->mask & IN_Q_OVERFLOW) {
				ws->overflows++;
				continue;
			}
			if (ie->wd < 0 || ie->wd >= ws->max_wd || ws->by_wd[ie->wd] < 0) {
				nr->other++;
				continue;
			}
			i = ws->by_wd[ie->wd];
			len = pread(ws->fds[i], ev_buf, sizeof(ev_buf) - 1, 0);
			if (len < 0)
				die("read cgroup.events");
			ws->reads++;
			ev_buf[len] = 0;
			if (strstr(ev_buf, "populated 0"))
				notify_seen(nr, i, now_ns());
		}
	}
	free(buf);
}

static void watches_json(const struct watches *ws)
{
	char v[32];

	json_int("events", ws->events);
	json_int("reads", ws->reads);
	json_int("overflows", ws->overflows);
	read_str("/proc/sys/fs/inotify/max_queued_events", v, sizeof(v));
	json_int("max_queued_events", atoll(v));
}

static void watches_free(struct watches *ws)
{
	int i;

	close(ws->ino);
	for (i = 0; i < ws->n; i++)
		close(ws->fds[i]);
	free(ws->fds);
	free(ws->by_wd);
}

/* Raises the open files limit for @n descriptors and a few more. */
static void nofile_for(int n)
{
	struct rlimit rl = { .rlim_cur = n + 64, .rlim_max = n + 64 };

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
}

/*
 * inotify FS MNT N: cgroup v2 (MNT a cgroup2 mount) observed the way systemd
 * does it: N threaded groups under the root (cgroup v2 puts threads, not
 * processes, only into threaded groups), a worker thread moved into each by
 * cgroup.threads, one inotify watch (IN_MODIFY) on each group's
 * cgroup.events, and a read of the file per event (watches_observe()).
 */
static int cmd_inotify(int argc, char **argv)
{
	const char *fs = argv[0], *mnt = argv[1];
	int n = atoi(argv[2]), i;
	long long t0, t_mkdir, t_place;
	char p[PATH_BUF], v[16];
	struct notify_run nr;
	struct watches ws;

	nofile_for(n);
	notify_start(&nr, n);
	t0 = now_ns();
	make_groups(mnt, n);
	for (i = 0; i < n; i++) {
		group_path(p, mnt, i, "cgroup.type");
		write_file(p, "threaded");
	}
	t_mkdir = now_ns() - t0;
	nr.w = start_workers(n);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		group_path(p, mnt, i, "cgroup.threads");
		snprintf(v, sizeof(v), "%d", nr.w[i].tid);
		write_file(p, v);
	}
	t_place = now_ns() - t0;
	watches_add(&ws, mnt, n);

	nr.t0 = release_workers();
	watches_observe(&nr, &ws);
	watches_free(&ws);
	notify_json(&nr, "inotify", fs);
	watches_json(&ws);
	json_num("mkdir_per_s", n * 1e9 / t_mkdir);
	json_num("place_per_s", n * 1e9 / t_place);
	json_end();
	remove_groups(mnt, n);
	notify_free(&nr);
	return 0;
}

/*
 * burst VIA MNT N: N groups released at once by one operation, so that what
 * is timed is the delivery, not N exits. One process (a child) of N threads,
 * each thread in a group of its own, the child's main thread in the root;
 * then one write of the child's tgid to the root's cgroup.procs, which moves
 * every thread of it, and so empties the N groups in that one write. VIA:
 *   stream   tcgroup (MNT), the agent emptied, one release.stream reader;
 *   agent    a cgroup v1 hierarchy (MNT), its agent logging to
 *            /run/bench/cgroup.log (the v1 path, via "cgroup");
 *   inotify  cgroup v2 (MNT a cgroup2 mount): a domain group MNT/burst, the
 *            child in it, N threaded groups under it with a thread each
 *            (cgroup.threads), and one watch per group's cgroup.events; the
 *            write to the root's cgroup.procs moves the whole process out of
 *            the threaded subtree.
 * The placing is done with thread-granular files: tasks (tcgroup, v1) or
 * cgroup.threads (v2). A thread of this process makes the write (t0 just
 * before it, and the write's own duration) while the main thread is already
 * waiting for the notifications as the other workloads do; a latency is from
 * t0 to a group's notification, the rate N observed over the time from t0 to
 * the last. The agent's calls are waited for with the release runs' bound
 * (POLL_STALL_NS without a new call): groups without a call by then are
 * missed. Each bound counts from the end of the write at the earliest.
 */
struct burst_child {
	int ready;
	pid_t tid[];
};

struct burst_write {
	pthread_t thread;
	int fd, go;
	pid_t pid;
	long long t0, t1;
	struct notify_run *nr;
};

static void *burst_write_fn(void *arg)
{
	struct burst_write *bw = arg;
	char v[16];

	while (!__atomic_load_n(&bw->go, __ATOMIC_ACQUIRE))
		futex_wait(&bw->go, 0);
	snprintf(v, sizeof(v), "%d", bw->pid);
	bw->t0 = now_ns();
	if (pwrite(bw->fd, v, strlen(v), 0) != (ssize_t)strlen(v))
		die("write %d to the root's cgroup.procs", bw->pid);
	bw->t1 = now_ns();
	__atomic_store_n(&bw->nr->quiet_from, bw->t1, __ATOMIC_RELEASE);
	return NULL;
}

/* Starts the child of @n threads; returns its shared page of tids, once ready. */
static struct burst_child *burst_child(int n, pid_t *pid)
{
	size_t size = sizeof(struct burst_child) + n * sizeof(pid_t);
	struct burst_child *bc = mmap(NULL, size, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long long last;
	struct worker *w;
	int i;

	if (bc == MAP_FAILED)
		die("mmap");
	*pid = fork();
	if (*pid < 0)
		die("fork");
	if (!*pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		w = start_workers(n);
		for (i = 0; i < n; i++)
			bc->tid[i] = w[i].tid;
		__atomic_store_n(&bc->ready, 1, __ATOMIC_RELEASE);
		for (;;)
			pause();
	}
	last = now_ns();
	while (!__atomic_load_n(&bc->ready, __ATOMIC_ACQUIRE)) {
		if (now_ns() - last > POLL_STALL_NS)
			die("burst child not ready");
		nap(POLL_STEP_NS);
	}
	return bc;
}

/*
 * Polls the agent's log until @n calls or POLL_STALL_NS without a new one, the
 * release runs' bound (wait_log()): after a burst of 10 000, v1's first call
 * came more than 10 s after the write had returned, its 10 000 work items
 * having queued behind cgroup_mutex during the write.
 */
static void burst_agent_observe(struct notify_run *nr, const char *fs)
{
	long long *agent = calloc(nr->n, sizeof(*agent)), since;
	int seen = 0, c, i;
	size_t len;
	char *buf;

	if (!agent)
		die("calloc");
	for (;;) {
		buf = read_log(fs, &len);
		c = buf ? count_lines(buf, len) : 0;
		since = notify_quiet_since(nr);
		if (c >= nr->n || (c == seen && now_ns() - since > POLL_STALL_NS)) {
			if (buf)
				parse_log(buf, agent, nr->n);
			free(buf);
			break;
		}
		free(buf);
		if (c > seen) {
			seen = c;
			nr->last = now_ns();
		}
		/* As wait_log(): the calls' times are the agent's own. */
		nap(POLL_STEP_NS * 4);
	}
	/* Until here the time of the last new line; now the last call's. */
	nr->last = 0;
	for (i = 0; i < nr->n; i++) {
		/* A call logged before the run started is an earlier run's. */
		if (agent[i] && agent[i] < nr->t0)
			nr->other++;
		else if (agent[i])
			notify_seen(nr, i, agent[i]);
	}
	free(agent);
}

static int cmd_burst(int argc, char **argv)
{
	const char *via = argv[0], *mnt = argv[1], *fs;
	int n = atoi(argv[2]), fd = -1, i, k = 0;
	char p[PATH_BUF], v[16], agent[PATH_BUF + 2], base[PATH_BUF / 4];
	struct stream_counts sc;
	struct burst_child *bc;
	struct notify_run nr;
	struct burst_write bw = { .nr = &nr };
	struct watches ws;
	long long t_place;

	if (!strcmp(via, "stream")) {
		fs = "tcgroup";
	} else if (!strcmp(via, "agent")) {
		fs = "cgroup";
	} else if (!strcmp(via, "inotify")) {
		fs = "cgroup2";
	} else {
		errno = 0;
		die("burst: VIA is stream, agent or inotify, not %s", via);
	}
	if (strlen(mnt) + sizeof("/burst") > sizeof(base)) {
		errno = ENAMETOOLONG;
		die("burst: %s", mnt);
	}
	nofile_for(n);
	notify_start(&nr, n);
	snprintf(base, sizeof(base), "%s", mnt);
	if (!strcmp(via, "inotify")) {
		snprintf(base, sizeof(base), "%s/burst", mnt);
		if (mkdir(base, 0755))
			die("mkdir %s", base);
		make_groups(base, n);
		for (i = 0; i < n; i++) {
			group_path(p, base, i, "cgroup.type");
			write_file(p, "threaded");
		}
	} else {
		if (!strcmp(via, "stream"))
			agent_empty(mnt, agent, sizeof(agent));
		else
			clear_log(fs);
		/* Children inherit it; the root itself is never released. */
		snprintf(p, sizeof(p), "%s/notify_on_release", mnt);
		write_file(p, "1");
		make_groups(base, n);
	}
	bc = burst_child(n, &bw.pid);
	t_place = now_ns();
	if (!strcmp(via, "inotify")) {
		snprintf(p, sizeof(p), "%s/cgroup.procs", base);
		snprintf(v, sizeof(v), "%d", bw.pid);
		write_file(p, v);
	}
	for (i = 0; i < n; i++) {
		group_path(p, base, i, strcmp(via, "inotify") ? "tasks" : "cgroup.threads");
		snprintf(v, sizeof(v), "%d", bc->tid[i]);
		write_file(p, v);
	}
	t_place = now_ns() - t_place;
	if (!strcmp(via, "inotify"))
		watches_add(&ws, base, n);
	snprintf(p, sizeof(p), "%s/release.stream", mnt);
	if (!strcmp(via, "stream")) {
		fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			die("open %s", p);
	}
	snprintf(p, sizeof(p), "%s/cgroup.procs", mnt);
	bw.fd = open(p, O_WRONLY | O_CLOEXEC);
	if (bw.fd < 0)
		die("open %s", p);
	snprintf(p, sizeof(p), "%s/release.stream", mnt);
	errno = pthread_create(&bw.thread, NULL, burst_write_fn, &bw);
	if (errno)
		die("pthread_create");

	/* Until the writer's own t0: the quiet bound only. */
	nr.t0 = now_ns();
	__atomic_store_n(&bw.go, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &bw.go, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	if (!strcmp(via, "stream"))
		stream_observe(&nr, fd, p, &sc);
	else if (!strcmp(via, "inotify"))
		watches_observe(&nr, &ws);
	else
		burst_agent_observe(&nr, fs);
	pthread_join(bw.thread, NULL);
	nr.t0 = bw.t0;
	kill(bw.pid, SIGKILL);
	if (waitpid(bw.pid, NULL, 0) != bw.pid)
		die("waitpid");
	close(bw.fd);

	for (i = 0; i < n; i++)
		if (nr.seen[i])
			nr.lat[k++] = nr.seen[i] - nr.t0;
	json_begin("burst");
	json_str("via", via);
	json_str("fs", fs);
	json_int("n", n);
	json_int("observed", nr.got);
	json_int("missed", n - nr.got);
	json_int("duplicates", nr.dup);
	json_int("unknown", nr.other);
	json_int("wakeups", nr.wakeups);
	json_num("write_ms", (bw.t1 - bw.t0) / 1e6);
	if (nr.got) {
		json_num("total_ms", (nr.last - nr.t0) / 1e6);
		json_num("rate_per_s", nr.got * 1e9 / (nr.last - nr.t0));
		json_num("first_call_ms", (nr.first - nr.t0) / 1e6);
	}
	json_num("place_per_s", n * 1e9 / t_place);
	json_sorted_us("lat_us", nr.lat, k);
	if (!strcmp(via, "stream"))
		stream_json(&sc);
	else if (!strcmp(via, "inotify"))
		watches_json(&ws);
	json_end();

	if (!strcmp(via, "stream")) {
		close(fd);
		agent_restore(mnt, agent);
	} else if (!strcmp(via, "inotify")) {
		watches_free(&ws);
	}
	if (strcmp(via, "inotify")) {
		snprintf(p, sizeof(p), "%s/notify_on_release", mnt);
		write_file(p, "0");
	}
	remove_groups(base, n);
	if (!strcmp(via, "inotify") && rmdir(base))
		die("rmdir %s", base);
	munmap(bc, sizeof(*bc) + n * sizeof(pid_t));
	nr.w = NULL;
	notify_free(&nr);
	return 0;
}

static const struct {
	const char *name;
	int args;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "fork", 2, cmd_fork },
	{ "forkbg", 4, cmd_forkbg },
	{ "attach", 3, cmd_attach },
	{ "memory", 3, cmd_memory },
	{ "release", 3, cmd_release },
	{ "exits", 3, cmd_exits },
	{ "events", 3, cmd_events },
	{ "umh", 3, cmd_umh },
	{ "depth", 4, cmd_depth },
	{ "idle", 4, cmd_idle },
	{ "kill", 4, cmd_kill },
	{ "listing", 4, cmd_listing },
	{ "lookup", 5, cmd_lookup },
	{ "rootmove", 3, cmd_rootmove },
	{ "stream", 3, cmd_stream },
	{ "inotify", 3, cmd_inotify },
	{ "burst", 3, cmd_burst },
};

int main(int argc, char **argv)
{
	size_t i;

	for (i = 0; argc > 1 && i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name) && argc - 2 >= cmds[i].args)
			return cmds[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "usage: see the comment at the top of tcgroup_bench.c\n");
	return 2;
}
