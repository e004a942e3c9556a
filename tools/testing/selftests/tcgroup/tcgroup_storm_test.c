// SPDX-License-Identifier: GPL-2.0
/*
 * The storm: every kind of tcgroup operation at once, for
 * TCGROUP_STORM_SECONDS seconds (10 by default; the harness passes 60 on the
 * debug kernel), with invariants checked during and after the run. The
 * harness fails the run on any kernel report (KASAN, lockdep, RCU, kmemleak
 * after the module is removed), which is the other half of the test.
 *
 * Hierarchy H1 ("debug,name=...", mounted in the test's mount namespace) has
 * a release agent that removes the released group, as real agents do. H2 is
 * a second hierarchy that one worker mounts and unmounts, sometimes leaving a
 * group with a task behind to check that it persists unmounted.
 *
 * Workers (processes, some with a second thread):
 *  - episode workers, each in its own /eN: group /eN/nK is created, given
 *    something (a task, a child group, a debug.hold reference) and made idle
 *    by one of the four triggers (exit, move out, rmdir of the child, close
 *    of the last debug.hold); the worker waits for the agent call for
 *    exactly that path. Each episode must give exactly one call, and the
 *    agent's rmdir of the group must succeed.
 *  - chaos workers under /c, three levels deep: mkdir, rmdir, moves of
 *    processes and threads, fork and exit, thread create and exit,
 *    notify_on_release toggling, debug.hold open and close, polls of
 *    cgroup.events and reads of every file. Only the documented errnos of
 *    a racing operation (ENOENT, ENODEV, EBUSY, EEXIST, ESRCH) are allowed.
 *  - an admin worker: release_agent rewrites through the file (between two
 *    names of the same agent), remounts refused with EBUSY (H1 has groups,
 *    as in v1), reads of the root files,
 *    and checks that /p0 and /p1, notify_on_release groups whose task lives
 *    throughout the run, list exactly that task and count it in
 *    debug.taskcount.
 *  - the H2 worker: mount, remount with a new agent, mkdir, move in,
 *    umount, mount again.
 *
 * After the run: no agent call for /p0 or /p1 while they were populated;
 * each episode's path exactly once in the agent's logs and nothing else
 * under /eN; release_agent.stats counts every logged call and no failure;
 * debug.taskcount equals the tasks listing in every group; then every group
 * is removed and both hierarchies unmounted.
 *
 * The agent is this program, run through the symlinks storm-agent-a and
 * storm-agent-b in the test's directory. The kernel runs it in the initial
 * mount namespace, so it enters the test's one (/proc/PID/ns/mnt, from
 * agent.conf beside it) to remove the group, then appends one line,
 * "NAME PATH ERRNO", to log.eN for /eN/... and to log.other otherwise.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "tcgroup_util.h"

#define EPISODE_WORKERS 2
#define CHAOS_WORKERS 3
#define P_GROUPS 2
#define DIR_BUF 128
#define REL_BUF 256
#define PATH_BUF 512
#define READ_SIZE 65536
#define MAX_FAILURES 16
/* Longest wait for one agent call: the debug kernel under TCG is slow. */
#define CALL_TIMEOUT_MS 120000

enum op {
	OP_MKDIR, OP_RMDIR, OP_MOVE_PROC, OP_MOVE_THREAD, OP_FORK, OP_THREAD,
	OP_NOTIFY, OP_HOLD, OP_POLL, OP_READ, OP_AGENT_WRITE, OP_REMOUNT,
	OP_H2_CYCLE, OP_EPISODE, OP_CHECK, NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	"mkdir", "rmdir", "move process", "move thread", "fork+exit",
	"thread create+exit", "notify toggle", "debug.hold open", "poll",
	"read", "release_agent write", "remount", "H2 mount cycle",
	"release episode", "invariant check",
};

/* Shared by every worker process (MAP_SHARED). */
struct storm {
	int stop;
	long ops[NR_OPS];
	long episodes[EPISODE_WORKERS];
	int nr_failures;
	char failures[MAX_FAILURES][256];
};

static struct storm *storm;

static const char *const group_files[] = {
	"tasks", "cgroup.procs", "notify_on_release", "releasable",
	"cgroup.clone_children", "cgroup.events", "debug.taskcount",
	"debug.refcount", "debug.releasable", "debug.hold",
};

static const char *const root_files[] = {
	"release_agent", "release_agent.stats", "cgroup.sane_behavior",
};

/* Records an invariant violation (first MAX_FAILURES kept) for the end. */
static void __printf(1, 2) fail(const char *fmt, ...)
{
	int n = __atomic_fetch_add(&storm->nr_failures, 1, __ATOMIC_RELAXED);
	va_list ap;

	if (n >= MAX_FAILURES)
		return;
	va_start(ap, fmt);
	vsnprintf(storm->failures[n], sizeof(storm->failures[n]), fmt, ap);
	va_end(ap);
}

static void count(enum op op)
{
	__atomic_fetch_add(&storm->ops[op], 1, __ATOMIC_RELAXED);
}

static bool stopping(void)
{
	return __atomic_load_n(&storm->stop, __ATOMIC_RELAXED);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Reads the whole file, in @chunk-byte reads: its length or -errno. */
static ssize_t slurp(const char *path, char *buf, size_t size, size_t chunk)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		n = read(fd, buf + len, chunk < size - 1 - len ? chunk : size - 1 - len);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

/* Whether -@err is one a racing operation may get. */
static bool racy_errno(int err, int allowed_extra)
{
	return !err || err == -ENOENT || err == -ENODEV || err == allowed_extra;
}

static void check_racy(const char *what, const char *path, int err, int allowed_extra)
{
	if (!racy_errno(err, allowed_extra))
		fail("%s %s: unexpected %s", what, path, strerror(-err));
}

/* The test's configuration, the same in every worker. */
struct config {
	char dir[DIR_BUF];
	char h1[DIR_BUF];
	char h2[DIR_BUF];
	char agent[2][DIR_BUF];
	char h1_name[64];
	char h2_name[64];
};

static const struct config *cfg;

/* "@base@rel" (@rel starts with "/") in @buf, PATH_BUF bytes. */
static const char *cat(const char *base, const char *rel, char *buf)
{
	snprintf(buf, PATH_BUF, "%.*s%.*s", DIR_BUF, base, REL_BUF, rel);
	return buf;
}

/* ----- the agent ----- */

/*
 * The release agent: removes the group in the test's mount namespace, then
 * logs "NAME PATH ERRNO" (ERRNO of the rmdir, 0 if it worked).
 */
static int agent_main(int argc, char **argv)
{
	char conf[DIR_BUF + 16], ns[DIR_BUF], mnt[DIR_BUF], log[DIR_BUF + 16];
	char line[PATH_BUF * 2], self[DIR_BUF], *dir, *name;
	const char *path = argc > 1 ? argv[1] : "";
	int err = 0, fd, len;
	FILE *f;

	snprintf(self, sizeof(self), "%s", argv[0]);
	name = strrchr(self, '/');
	if (!name)
		return 1;
	*name++ = '\0';
	dir = self;
	snprintf(conf, sizeof(conf), "%s/agent.conf", dir);
	f = fopen(conf, "re");
	if (!f)
		return 1;
	if (!fgets(ns, sizeof(ns), f) || !fgets(mnt, sizeof(mnt), f)) {
		fclose(f);
		return 1;
	}
	fclose(f);
	ns[strcspn(ns, "\n")] = '\0';
	mnt[strcspn(mnt, "\n")] = '\0';

	fd = open(ns, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNS)) {
		err = errno;
	} else {
		snprintf(line, sizeof(line), "%s%s", mnt, path);
		if (rmdir(line))
			err = errno;
	}
	if (fd >= 0)
		close(fd);

	if (path[0] == '/' && path[1] == 'e' && path[2] >= '0' && path[2] <= '9')
		snprintf(log, sizeof(log), "%s/log.e%c", dir, path[2]);
	else
		snprintf(log, sizeof(log), "%s/log.other", dir);
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return 1;
	/* One write: lines of concurrent agents do not interleave. */
	len = snprintf(line, sizeof(line), "%s %s %d\n", name, path, err);
	if (write(fd, line, len) != len)
		return 1;
	close(fd);
	return 0;
}

/* ----- workers ----- */

/* A random group under /c: depth 1 to 3, or /c itself. */
static void chaos_group(unsigned int *seed, char *rel)
{
	int depth = rand_r(seed) % 4;
	int n;

	n = snprintf(rel, PATH_BUF, "/c");
	if (depth >= 1)
		n += snprintf(rel + n, PATH_BUF - n, "/a%d", rand_r(seed) % 3);
	if (depth >= 2)
		n += snprintf(rel + n, PATH_BUF - n, "/b%d", rand_r(seed) % 2);
	if (depth >= 3)
		snprintf(rel + n, PATH_BUF - n, "/c%d", rand_r(seed) % 2);
}

static void *thread_exit(void *arg)
{
	return arg;
}

/* The second thread of a chaos worker: moves itself and starts threads. */
static void *chaos_thread(void *arg)
{
	unsigned int seed = (unsigned long)arg;
	char rel[REL_BUF], path[PATH_BUF], tid[16];
	pthread_t th;
	int err;

	snprintf(tid, sizeof(tid), "%ld", (long)syscall(SYS_gettid));
	while (!stopping()) {
		chaos_group(&seed, rel);
		strcat(rel, "/tasks");
		err = write_str(cat(cfg->h1, rel, path), tid);
		check_racy("move thread to", rel, err, 0);
		count(OP_MOVE_THREAD);
		if (!pthread_create(&th, NULL, thread_exit, NULL)) {
			pthread_join(th, NULL);
			count(OP_THREAD);
		}
	}
	return NULL;
}

static void chaos_worker(int id)
{
	static char buf[READ_SIZE];
	unsigned int seed = id * 7919;
	char rel[REL_BUF / 2], path[PATH_BUF], file[REL_BUF];
	int holds[4] = { -1, -1, -1, -1 };
	struct pollfd pfd;
	pthread_t th;
	pid_t pid;
	int err;

	if (pthread_create(&th, NULL, chaos_thread, (void *)(unsigned long)(id * 104729)))
		fail("chaos %d: pthread_create: %s", id, strerror(errno));
	while (!stopping()) {
		chaos_group(&seed, rel);
		switch (rand_r(&seed) % 10) {
		case 0:
			err = mkdir(cat(cfg->h1, rel, path), 0755) ? -errno : 0;
			check_racy("mkdir", rel, err, -EEXIST);
			count(OP_MKDIR);
			break;
		case 1:
			if (!strcmp(rel, "/c"))
				break;
			err = rmdir(cat(cfg->h1, rel, path)) ? -errno : 0;
			check_racy("rmdir", rel, err, -EBUSY);
			count(OP_RMDIR);
			break;
		case 2:
			strcat(rel, "/cgroup.procs");
			err = write_str(cat(cfg->h1, rel, path), "0");
			check_racy("move process to", rel, err, 0);
			count(OP_MOVE_PROC);
			break;
		case 3:
			pid = fork();
			if (pid == 0) {
				strcat(rel, "/tasks");
				write_str(cat(cfg->h1, rel, path), "0");
				_exit(0);
			}
			if (pid > 0)
				waitpid(pid, NULL, 0);
			count(OP_FORK);
			break;
		case 4:
			/* /c stays: the agent would remove it. */
			if (!strcmp(rel, "/c"))
				break;
			strcat(rel, "/notify_on_release");
			err = write_str(cat(cfg->h1, rel, path), rand_r(&seed) % 2 ? "1" : "0");
			check_racy("notify_on_release", rel, err, 0);
			count(OP_NOTIFY);
			break;
		case 5: {
			int slot = rand_r(&seed) % 4;

			if (holds[slot] >= 0) {
				close(holds[slot]);
				holds[slot] = -1;
				break;
			}
			strcat(rel, "/debug.hold");
			holds[slot] = open(cat(cfg->h1, rel, path), O_RDONLY | O_CLOEXEC);
			check_racy("open", rel, holds[slot] < 0 ? -errno : 0, 0);
			count(OP_HOLD);
			break;
		}
		case 6:
			strcat(rel, "/cgroup.events");
			pfd.fd = open(cat(cfg->h1, rel, path), O_RDONLY | O_CLOEXEC);
			if (pfd.fd < 0) {
				check_racy("open", rel, -errno, 0);
				break;
			}
			pfd.events = POLLPRI;
			if (poll(&pfd, 1, 0) < 0)
				fail("poll %s: %s", rel, strerror(errno));
			close(pfd.fd);
			count(OP_POLL);
			break;
		default:
			snprintf(file, sizeof(file), "%s/%s", rel,
				 group_files[rand_r(&seed) % ARRAY_SIZE(group_files)]);
			err = slurp(cat(cfg->h1, file, path), buf, sizeof(buf),
				    1 + rand_r(&seed) % 600);
			check_racy("read", file, err < 0 ? err : 0, 0);
			count(OP_READ);
			break;
		}
	}
	for (int i = 0; i < 4; i++)
		if (holds[i] >= 0)
			close(holds[i]);
	pthread_join(th, NULL);
	_exit(0);
}

/*
 * Waits until log.e@id, read from *@off on, has the line for @rel; fails on
 * any other line. Returns false on timeout.
 */
static bool wait_call(int id, const char *rel, off_t *off)
{
	char log[DIR_BUF + 16], buf[PATH_BUF * 2], want[PATH_BUF];
	long deadline = now_ms() + CALL_TIMEOUT_MS;
	ssize_t n;
	int fd;

	snprintf(log, sizeof(log), "%s/log.e%d", cfg->dir, id);
	while (now_ms() < deadline) {
		fd = open(log, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? 0 : pread(fd, buf, sizeof(buf) - 1, *off);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			char *nl;

			buf[n] = '\0';
			nl = strchr(buf, '\n');
			if (nl) {
				char name[32];
				int err = -1;

				*nl = '\0';
				*off += nl - buf + 1;
				if (sscanf(buf, "%31s %511s %d", name, want, &err) != 3 ||
				    strcmp(want, rel)) {
					fail("episode %s: unexpected agent call \"%s\"", rel, buf);
					continue;
				}
				if (err)
					fail("the agent's rmdir of %s: %s", rel, strerror(err));
				return true;
			}
		}
		sleep_ms(2);
	}
	return false;
}

/* Makes the group @rel idle by trigger @k % 4, after giving it something. */
static void episode_trigger(int k, const char *rel, const char *parent)
{
	char path[PATH_BUF], sub[REL_BUF], pidstr[16];
	int pipefd[2], err;
	pid_t pid;

	switch (k % 4) {
	case 0: /* the last task exits */
	case 1: /* the last task moves out */
		if (pipe2(pipefd, O_CLOEXEC)) {
			fail("pipe: %s", strerror(errno));
			return;
		}
		pid = fork();
		if (pid == 0) {
			char c;

			close(pipefd[1]);
			while (read(pipefd[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		close(pipefd[0]);
		snprintf(pidstr, sizeof(pidstr), "%d", pid);
		snprintf(sub, sizeof(sub), "%s/%s", rel, k % 8 < 4 ? "tasks" : "cgroup.procs");
		err = write_str(cat(cfg->h1, sub, path), pidstr);
		if (err)
			fail("episode: attach %d to %s: %s", pid, sub, strerror(-err));
		if (k % 4 == 1) {
			snprintf(sub, sizeof(sub), "%s/tasks", parent);
			err = write_str(cat(cfg->h1, sub, path), pidstr);
			if (err)
				fail("episode: move %d to %s: %s", pid, sub, strerror(-err));
		}
		close(pipefd[1]);
		waitpid(pid, NULL, 0);
		break;
	case 2: /* the last child group is removed */
		snprintf(sub, sizeof(sub), "%s/child", rel);
		if (mkdir(cat(cfg->h1, sub, path), 0755) || rmdir(path))
			fail("episode: mkdir/rmdir %s: %s", sub, strerror(errno));
		break;
	default: { /* the last debug.hold reference is dropped */
		int fd;

		snprintf(sub, sizeof(sub), "%s/debug.hold", rel);
		fd = open(cat(cfg->h1, sub, path), O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail("episode: open %s: %s", sub, strerror(errno));
		else
			close(fd);
		break;
	}
	}
}

static void episode_worker(int id)
{
	char parent[32], rel[64], sub[REL_BUF], path[PATH_BUF];
	off_t off = 0;
	int err;

	snprintf(parent, sizeof(parent), "/e%d", id);
	for (int k = 0; !stopping(); k++) {
		snprintf(rel, sizeof(rel), "%s/n%d", parent, k);
		if (mkdir(cat(cfg->h1, rel, path), 0755)) {
			fail("episode: mkdir %s: %s", rel, strerror(errno));
			break;
		}
		snprintf(sub, sizeof(sub), "%s/notify_on_release", rel);
		err = write_str(cat(cfg->h1, sub, path), "1");
		if (err) {
			fail("episode: %s: %s", sub, strerror(-err));
			break;
		}
		episode_trigger(k, rel, parent);
		if (!wait_call(id, rel, &off)) {
			fail("episode %s (trigger %d): no agent call within %d ms", rel, k % 4,
			     CALL_TIMEOUT_MS);
			break;
		}
		storm->episodes[id]++;
		count(OP_EPISODE);
	}
	_exit(0);
}

/* Checks that /pN lists exactly @pid and counts one task. */
static void check_p_group(int n, pid_t pid)
{
	char rel[REL_BUF], path[PATH_BUF], buf[256], want[32];
	ssize_t len;

	snprintf(want, sizeof(want), "%d\n", pid);
	snprintf(rel, sizeof(rel), "/p%d/tasks", n);
	len = slurp(cat(cfg->h1, rel, path), buf, sizeof(buf), sizeof(buf));
	if (len < 0 || strcmp(buf, want))
		fail("%s: \"%s\" (%zd), expected \"%d\"", rel, len < 0 ? "" : buf, len, pid);
	snprintf(rel, sizeof(rel), "/p%d/debug.taskcount", n);
	len = slurp(cat(cfg->h1, rel, path), buf, sizeof(buf), sizeof(buf));
	if (len < 0 || strcmp(buf, "1\n"))
		fail("%s: \"%s\" (%zd), expected 1", rel, len < 0 ? "" : buf, len);
	count(OP_CHECK);
}

static void admin_worker(const pid_t *p_pids)
{
	static char buf[READ_SIZE];
	char path[PATH_BUF], opts[REL_BUF];
	int err;

	for (int k = 0; !stopping(); k++) {
		const char *agent = cfg->agent[k % 2];

		switch (k % 4) {
		case 0:
			err = write_str(cat(cfg->h1, "/release_agent", path), agent);
			if (err)
				fail("release_agent write: %s", strerror(-err));
			count(OP_AGENT_WRITE);
			break;
		case 1:
			/* As v1: a hierarchy with child groups cannot be remounted. */
			snprintf(opts, sizeof(opts), "release_agent=%s", agent);
			if (!mount(NULL, cfg->h1, NULL, MS_REMOUNT, opts) || errno != EBUSY)
				fail("remount H1 with groups: %s, expected EBUSY", strerror(errno));
			count(OP_REMOUNT);
			break;
		case 2:
			for (size_t i = 0; i < ARRAY_SIZE(root_files); i++) {
				snprintf(opts, sizeof(opts), "/%s", root_files[i]);
				err = slurp(cat(cfg->h1, opts, path), buf, sizeof(buf), 64);
				if (err < 0)
					fail("read %s: %s", opts, strerror(-err));
				count(OP_READ);
			}
			break;
		default:
			for (int n = 0; n < P_GROUPS; n++)
				check_p_group(n, p_pids[n]);
			break;
		}
		/* Pacing, not synchronisation: leave the CPUs to the others. */
		sleep_ms(1);
	}
	_exit(0);
}

/* Mounts H2 on cfg->h2: 0 or -errno. */
static int mount_h2(void)
{
	char opts[96];

	snprintf(opts, sizeof(opts), "none,name=%s", cfg->h2_name);
	return mount("none", cfg->h2, "tcgroup", 0, opts) ? -errno : 0;
}

/*
 * Mounts H2, creates /x, sometimes moves itself in, unmounts it and mounts it
 * again: a group with a task survives the unmount.
 */
static void h2_worker(void)
{
	char path[PATH_BUF], buf[4096], me[16], opts[DIR_BUF + 16], want[DIR_BUF + 2];
	bool inside;
	int err;

	snprintf(me, sizeof(me), "%d", getpid());
	for (int k = 0; !stopping(); k++) {
		inside = k % 2;
		if (mount_h2()) {
			fail("mount H2: %s", strerror(errno));
			break;
		}
		/* Without groups it can be: the agent changes. */
		snprintf(opts, sizeof(opts), "release_agent=%s", cfg->agent[k % 2]);
		if (mount(NULL, cfg->h2, NULL, MS_REMOUNT, opts))
			fail("remount H2 -o %s: %s", opts, strerror(errno));
		snprintf(want, sizeof(want), "%s\n", cfg->agent[k % 2]);
		if (slurp(cat(cfg->h2, "/release_agent", path), buf, sizeof(buf), 64) < 0 ||
		    strcmp(buf, want))
			fail("H2 release_agent after remount: \"%s\", expected %s", buf, want);
		count(OP_REMOUNT);
		if (mkdir(cat(cfg->h2, "/x", path), 0755))
			fail("H2 mkdir /x: %s", strerror(errno));
		err = inside ? write_str(cat(cfg->h2, "/x/tasks", path), me) : 0;
		if (err)
			fail("H2 move into /x: %s", strerror(-err));
		if (umount2(cfg->h2, 0))
			fail("umount H2: %s", strerror(errno));
		if (mount_h2()) {
			fail("mount H2 again: %s", strerror(errno));
			break;
		}
		if (inside) {
			/* The group and its task survived the unmount. */
			ssize_t n = slurp(cat(cfg->h2, "/x/tasks", path), buf, sizeof(buf),
					  sizeof(buf));

			snprintf(path, sizeof(path), "%d\n", getpid());
			if (n < 0 || strcmp(buf, path))
				fail("H2 /x/tasks after remount: \"%s\" (%zd)", n < 0 ? "" : buf,
				     n);
			write_str(cat(cfg->h2, "/tasks", path), me);
		}
		if (rmdir(cat(cfg->h2, "/x", path)))
			fail("H2 rmdir /x: %s", strerror(errno));
		if (umount2(cfg->h2, 0))
			fail("umount H2: %s", strerror(errno));
		count(OP_H2_CYCLE);
	}
	_exit(0);
}

/* ----- the test ----- */

/* The number of lines of @path, or -1. */
static long count_lines(const char *path, const char *prefix, long *matching)
{
	char line[PATH_BUF * 2];
	long n = 0;
	FILE *f = fopen(path, "re");

	if (matching)
		*matching = 0;
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (matching && prefix && strstr(line, prefix))
			(*matching)++;
	}
	fclose(f);
	return n;
}

/* Every agent call logged so far; *@p_calls gets those for /p groups. */
static long logged_calls(long *p_calls)
{
	char log[DIR_BUF + 16];
	long total = 0;

	snprintf(log, sizeof(log), "%s/log.other", cfg->dir);
	total += count_lines(log, " /p", p_calls);
	for (int i = 0; i < EPISODE_WORKERS; i++) {
		snprintf(log, sizeof(log), "%s/log.e%d", cfg->dir, i);
		total += count_lines(log, NULL, NULL);
	}
	return total;
}

static long stat_field(const char *field)
{
	char path[PATH_BUF], buf[256], *p;

	if (slurp(cat(cfg->h1, "/release_agent.stats", path), buf, sizeof(buf), sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, field);
	return p ? atol(p + strlen(field) + 1) : -1;
}

/*
 * Removes every group below @dir (an absolute path), children first, and
 * checks on the way that debug.taskcount matches the tasks listing. Returns
 * the number of groups it could not remove.
 */
static int remove_tree(const char *dir, bool check_counts)
{
	static char buf[READ_SIZE];
	char path[PATH_BUF], sub[PATH_BUF];
	struct dirent *de;
	int left = 0;
	DIR *d;

	if (check_counts) {
		ssize_t n = slurp(cat(dir, "/tasks", path), buf, sizeof(buf), 4096);
		long lines = 0, tc;

		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
		if (slurp(cat(dir, "/debug.taskcount", path), buf, sizeof(buf), 64) > 0) {
			tc = atol(buf);
			/* The root lists every task; debug.taskcount does not count them. */
			if (strcmp(dir, cfg->h1) && tc != lines)
				fail("%s: debug.taskcount %ld, tasks lists %ld", dir, tc, lines);
		}
	}
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : 1;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		left += remove_tree(sub, check_counts);
		if (rmdir(sub) && errno != ENOENT) {
			fail("cleanup: rmdir %s: %s", sub, strerror(errno));
			left++;
		}
	}
	closedir(d);
	return left;
}

FIXTURE(storm) {
	struct config cfg;
};

FIXTURE_SETUP(storm)
{
	char self_exe[DIR_BUF], path[PATH_BUF], opts[DIR_BUF + 96];
	ssize_t n;
	FILE *f;

	if (geteuid())
		SKIP(return, "must be run as root");
	if (!fs_registered("tcgroup"))
		SKIP(return, "tcgroup is not loaded");

	storm = mmap(NULL, sizeof(*storm), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(storm, MAP_FAILED);
	cfg = &self->cfg;

	ASSERT_EQ(private_mount_ns(), 0);
	snprintf(self->cfg.dir, sizeof(self->cfg.dir), "/tmp/tcgstorm_XXXXXX");
	ASSERT_NE(mkdtemp(self->cfg.dir), NULL);
	snprintf(self->cfg.h1, DIR_BUF, "%.100s/h1", self->cfg.dir);
	snprintf(self->cfg.h2, DIR_BUF, "%.100s/h2", self->cfg.dir);
	ASSERT_EQ(mkdir(self->cfg.h1, 0755), 0);
	ASSERT_EQ(mkdir(self->cfg.h2, 0755), 0);
	snprintf(self->cfg.h1_name, sizeof(self->cfg.h1_name), "tcgstorm1_%d", getpid());
	snprintf(self->cfg.h2_name, sizeof(self->cfg.h2_name), "tcgstorm2_%d", getpid());

	/* The agents: this program under two names; agent.conf tells them where. */
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	ASSERT_GT(n, 0);
	self_exe[n] = '\0';
	for (int i = 0; i < 2; i++) {
		snprintf(self->cfg.agent[i], DIR_BUF, "%.100s/storm-agent-%c", self->cfg.dir,
			 'a' + i);
		ASSERT_EQ(symlink(self_exe, self->cfg.agent[i]), 0);
	}
	f = fopen(cat(self->cfg.dir, "/agent.conf", path), "we");
	ASSERT_NE(f, NULL);
	fprintf(f, "/proc/%d/ns/mnt\n%s\n", getpid(), self->cfg.h1);
	fclose(f);

	snprintf(opts, sizeof(opts), "debug,name=%s,release_agent=%s", self->cfg.h1_name,
		 self->cfg.agent[0]);
	ASSERT_EQ(mount("none", self->cfg.h1, "tcgroup", 0, opts), 0) {
		TH_LOG("mount -o %s: %s", opts, strerror(errno));
	}
}

FIXTURE_TEARDOWN(storm)
{
	char path[PATH_BUF];

	if (!cfg)
		return;
	write_str(cat(cfg->h1, "/tasks", path), "0");
	remove_tree(cfg->h1, false);
	umount2(cfg->h1, MNT_DETACH);
	if (!mount_h2()) {
		write_str(cat(cfg->h2, "/tasks", path), "0");
		remove_tree(cfg->h2, false);
		umount2(cfg->h2, MNT_DETACH);
	}
}

/* Minutes on the debug kernel: beyond the harness's default 30 s. */
TEST_F_TIMEOUT(storm, everything_at_once, 900)
{
	const char *env = getenv("TCGROUP_STORM_SECONDS");
	pid_t p_pids[P_GROUPS], workers[EPISODE_WORKERS + CHAOS_WORKERS + 2];
	int nr_workers = 0, seconds = 10, p_pipe[2];
	char path[PATH_BUF], rel[REL_BUF], pidstr[16];
	long p_calls, calls, launched, deadline, started;

	if (env && atoi(env) > 0)
		seconds = atoi(env);
	TH_LOG("storm of %d s on %s", seconds, cfg->h1);

	/* Populated throughout: /p0, /p1 with notify_on_release and one task each. */
	ASSERT_EQ(pipe2(p_pipe, O_CLOEXEC), 0);
	for (int n = 0; n < P_GROUPS; n++) {
		snprintf(rel, sizeof(rel), "/p%d", n);
		ASSERT_EQ(mkdir(cat(cfg->h1, rel, path), 0755), 0);
		p_pids[n] = fork();
		ASSERT_GE(p_pids[n], 0);
		if (p_pids[n] == 0) {
			char c;

			close(p_pipe[1]);
			while (read(p_pipe[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		snprintf(pidstr, sizeof(pidstr), "%d", p_pids[n]);
		snprintf(rel, sizeof(rel), "/p%d/tasks", n);
		ASSERT_EQ(write_str(cat(cfg->h1, rel, path), pidstr), 0);
		snprintf(rel, sizeof(rel), "/p%d/notify_on_release", n);
		ASSERT_EQ(write_str(cat(cfg->h1, rel, path), "1"), 0);
	}
	close(p_pipe[0]);
	for (int i = 0; i < EPISODE_WORKERS; i++) {
		snprintf(rel, sizeof(rel), "/e%d", i);
		ASSERT_EQ(mkdir(cat(cfg->h1, rel, path), 0755), 0);
	}
	ASSERT_EQ(mkdir(cat(cfg->h1, "/c", path), 0755), 0);

	started = now_ms();
	for (int i = 0; i < EPISODE_WORKERS + CHAOS_WORKERS + 2; i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0) {
			close(p_pipe[1]);
			if (i < EPISODE_WORKERS)
				episode_worker(i);
			else if (i < EPISODE_WORKERS + CHAOS_WORKERS)
				chaos_worker(i);
			else if (i == EPISODE_WORKERS + CHAOS_WORKERS)
				admin_worker(p_pids);
			else
				h2_worker();
		}
		workers[nr_workers++] = pid;
	}
	while (now_ms() < started + seconds * 1000L && !storm->nr_failures)
		sleep_ms(100);
	__atomic_store_n(&storm->stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < nr_workers; i++) {
		int status;

		ASSERT_EQ(waitpid(workers[i], &status, 0), workers[i]);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			TH_LOG("worker %d: status 0x%x", i, status);
		}
	}

	/* No call for a group that was populated throughout. */
	calls = logged_calls(&p_calls);
	EXPECT_EQ(p_calls, 0);
	close(p_pipe[1]);
	for (int n = 0; n < P_GROUPS; n++)
		waitpid(p_pids[n], NULL, 0);

	/* Wait until every launched agent has logged and nothing is launched any more. */
	deadline = now_ms() + CALL_TIMEOUT_MS;
	do {
		launched = stat_field("launched");
		calls = logged_calls(&p_calls);
		if (launched == calls && launched == stat_field("launched"))
			break;
		sleep_ms(20);
	} while (now_ms() < deadline);
	EXPECT_EQ(launched, calls);
	EXPECT_EQ(stat_field("failed"), 0);

	/* Each episode's path exactly once, and nothing else, in its log. */
	for (int i = 0; i < EPISODE_WORKERS; i++) {
		long lines, episodes = storm->episodes[i];

		snprintf(path, sizeof(path), "%s/log.e%d", cfg->dir, i);
		lines = count_lines(path, NULL, NULL);
		EXPECT_EQ(lines, episodes) {
			TH_LOG("/e%d: %ld episodes, %ld agent calls", i, episodes, lines);
		}
	}

	/* Every group: counts consistent, then removed; both hierarchies go. */
	EXPECT_EQ(write_str(cat(cfg->h1, "/tasks", path), "0"), 0);
	EXPECT_EQ(remove_tree(cfg->h1, true), 0);
	/* The removals released parents: let their agents finish before umount. */
	deadline = now_ms() + CALL_TIMEOUT_MS;
	while (stat_field("launched") != logged_calls(NULL) && now_ms() < deadline)
		sleep_ms(20);
	calls = logged_calls(NULL);
	launched = stat_field("launched");
	EXPECT_EQ(launched, calls);
	EXPECT_EQ(umount2(cfg->h1, 0), 0) {
		TH_LOG("umount %s: %s", cfg->h1, strerror(errno));
	}

	for (int i = 0; i < NR_OPS; i++)
		TH_LOG("%-20s %ld", op_names[i], storm->ops[i]);
	TH_LOG("episodes %ld + %ld, agent calls %ld (launched %ld), in %ld ms",
	       storm->episodes[0], storm->episodes[1], calls, launched, now_ms() - started);
	for (int i = 0; i < storm->nr_failures && i < MAX_FAILURES; i++)
		TH_LOG("violation: %s", storm->failures[i]);
	EXPECT_EQ(storm->nr_failures, 0);
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');

	/* Run by the kernel as the release agent. */
	if (!strncmp(name ? name + 1 : argv[0], "storm-agent-", 12))
		return agent_main(argc, argv);
	return test_harness_run(argc, argv);
}
