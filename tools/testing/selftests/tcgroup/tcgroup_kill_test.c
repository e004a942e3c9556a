// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup.kill on tcgroup beside cgroup v2's, in the same guest (see "Ending a
 * group" in Documentation/tcgroup.rst). cgroup v1 has no cgroup.kill: v2 is
 * the reference here.
 *
 * The first three tests are the kernel's own
 * tools/testing/selftests/cgroup/test_kill.c cases, ported to run on both
 * filesystems:
 *
 * - cgkill_simple, cgkill_tree: as test_cgkill_simple and test_cgkill_tree
 *   (100 processes in a group; the A..K tree with processes in C, H and K).
 *   The upstream test waits for one inotify event on the killed group's
 *   cgroup.events; here every group of the tree is polled (POLLPRI) until it
 *   reads "populated 0", as tcgroup's populated counts a group's own tasks
 *   only while v2's counts its descendants' too. Each process must have died
 *   of SIGKILL.
 * - cgkill_forkbomb: as test_cgkill_forkbomb, but the bomb keeps forking
 *   (every process forks up to FORKBOMB_FANOUT children, up to FORKBOMB_MAX
 *   in all) and the kill comes once FORKBOMB_AT are in the group, a bounded
 *   poll in place of upstream's usleep(100000): forks are in progress when
 *   the kill runs. Every process the bomb made is reaped here (the test is a
 *   subreaper) and must have died of SIGKILL. On tcgroup one write to
 *   cgroup.kill must end the bomb. v2's kill has a window that lets a child
 *   escape: its fork read the cgroup's kill_seq after the kill bumped it
 *   (cgroup_can_fork()), its parent's fork passed its last fatal-signal
 *   check before the kill's SIGKILL to the parent, and cgroup_post_fork()
 *   linked it to its css_set after the kill's iterator had passed; its
 *   kill_seq matches, so nothing kills it, and it forks on. The debug
 *   kernel, on a loaded host, left 325 processes running after one write
 *   this way. tcgroup walks the task list instead, where copy_process()
 *   inserts the child under the parent's siglock, in the same section as
 *   that check (Documentation/design.rst, "Ending a group"). So on v2 the
 *   test writes to cgroup.kill again while processes are left, at most
 *   FORKBOMB_V2_KILLS times, and says how many escaped.
 *
 * Upstream's fourth case, test_cgkill_clone_into_killed, creates a process in
 * a killed group with clone3(CLONE_INTO_CGROUP). That flag is cgroup v2's,
 * handled in kernel/fork.c: a module cannot add it, and tcgroup has no
 * equivalent. cgkill_enter_killed checks the same guarantee (a kill ends the
 * processes of its time, not later ones) the way a process enters a tcgroup
 * group: it writes itself to cgroup.procs of the killed group, then forks;
 * both must exit normally.
 *
 * cgkill_moves_during_kill is this suite's own: processes are moved into the
 * group, into its child, and out of the group, by three threads while the
 * group is killed. v2 holds cgroup_mutex over the whole kill
 * (cgroup_kill_write() -> cgroup_kn_lock_live()) and over every move
 * (cgroup_procs_write()), so a move is wholly before the kill (the process
 * is in the tree and is signalled before the write returns) or wholly after
 * it (it is not signalled). tcgroup holds TCGROUP_MUTEX the same way. The
 * test checks what can be seen from outside: a process whose move returned
 * before the kill began has been signalled when the kill returns; a process
 * whose move began after the kill returned lives; and since each thread
 * moves its processes one after another, in an order unrelated to their
 * order on the task list, the killed ones are the first ones that thread
 * moved in (or the last ones it would have moved out): a kill that let moves
 * run beside its walk would kill a later one and miss an earlier one.
 *
 * Variants: "tcgroup" (a new named hierarchy) and "cgroup_v2" (cgroup2
 * mounted in the test's mount namespace; its groups are under a top group
 * of the test's own, as the v2 hierarchy is the system's).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "tcgroup_util.h"

#define TMPDIR_TEMPLATE "/tmp/tcgkill_XXXXXX"

/* Bounded polls: 10 ms steps; 30 s at most (the debug kernel is slow). */
#define POLL_STEP_US 10000
#define POLL_LIMIT_S 30

/* test_cgkill_simple's processes. */
#define SIMPLE_PROCS 100

/* The bomb: children per process, processes in all, the count at the kill. */
#define FORKBOMB_FANOUT 4
#define FORKBOMB_MAX 400
#define FORKBOMB_AT 40
/* The writes to v2's cgroup.kill that may be needed to end the bomb. */
#define FORKBOMB_V2_KILLS 3

/* cgkill_moves_during_kill: movers, processes each, moves before the kill. */
#define MOVERS 3
#define MOVES 64
#define MOVES_BEFORE 16

#define PATH_BUF 256

FIXTURE(kill) {
	/* The temporary directory and the mount point in it. */
	char dir[sizeof(TMPDIR_TEMPLATE)];
	char mnt[64];
	/* The test's top group, under which every test makes its groups. */
	char top[PATH_BUF];
	bool mounted;
};

FIXTURE_VARIANT(kill) {
	/* The filesystem type given to mount(2). */
	const char *fstype;
};

FIXTURE_VARIANT_ADD(kill, tcgroup) {
	.fstype = "tcgroup",
};

FIXTURE_VARIANT_ADD(kill, cgroup_v2) {
	.fstype = "cgroup2",
};

FIXTURE_SETUP(kill)
{
	char opts[PATH_BUF];

	if (geteuid() != 0)
		SKIP(return, "the kill tests need root");
	if (!fs_registered(variant->fstype))
		SKIP(return, "%s is not in /proc/filesystems%s", variant->fstype,
		     strcmp(variant->fstype, "tcgroup") ? "" : " (tcgroup.ko not loaded?)");
	umask(022);
	ASSERT_EQ(private_mount_ns(), 0);
	/* Orphans of the killed processes come here to be reaped. */
	ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	memcpy(self->dir, TMPDIR_TEMPLATE, sizeof(TMPDIR_TEMPLATE));
	ASSERT_NE(mkdtemp(self->dir), NULL);
	snprintf(self->mnt, sizeof(self->mnt), "%s/mnt", self->dir);
	ASSERT_EQ(mkdir(self->mnt, 0755), 0);
	if (strcmp(variant->fstype, "tcgroup"))
		opts[0] = '\0';
	else
		snprintf(opts, sizeof(opts), "none,name=tcgkill_%d", getpid());
	ASSERT_EQ(mount("none", self->mnt, variant->fstype, 0, opts[0] ? opts : NULL), 0) {
		TH_LOG("mount -t %s -o '%s': %s", variant->fstype, opts, strerror(errno));
	}
	self->mounted = true;
	snprintf(self->top, sizeof(self->top), "%s/tcgkill_%d", self->mnt, getpid());
	ASSERT_EQ(mkdir(self->top, 0755), 0) {
		TH_LOG("mkdir(%s): %s", self->top, strerror(errno));
	}
}

FIXTURE_TEARDOWN(kill)
{
	char buf[32];

	if (self->mounted) {
		/* Whatever a failed test left in its groups, then its groups. */
		snprintf(buf, sizeof(buf), "%d", getpid());
		write_str(at(self->mnt, "cgroup.procs"), buf);
		write_str(at(self->top, "cgroup.kill"), "1");
	}
	close_from(3);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	if (self->mounted) {
		if (remove_groups(self->top) || rmdir(self->top))
			TH_LOG("teardown: %s keeps groups", self->top);
		umount2(self->mnt, MNT_DETACH);
	}
	rmdir(self->mnt);
	rmdir(self->dir);
}

/* "@dir/@name" made as a group, into @out (PATH_BUF bytes). */
static void make_group(struct __test_metadata *_metadata, char *out, const char *dir,
		       const char *name)
{
	snprintf(out, PATH_BUF, "%s/%s", dir, name);
	ASSERT_EQ(mkdir(out, 0755), 0) {
		TH_LOG("mkdir(%s): %s", out, strerror(errno));
	}
}

/* The value of "populated" in @group's cgroup.events read from @fd; -1 on error. */
static int populated_fd(int fd)
{
	char buf[128], *p;

	if (lseek(fd, 0, SEEK_SET) < 0 || read_fd(fd, buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "populated ");
	return p ? atoi(p + strlen("populated ")) : -1;
}

/*
 * Waits, polling the cgroup.events of the @n @groups for POLLPRI (v2's and
 * tcgroup's change notification), until each reads "populated 0"; returns
 * whether they did within POLL_LIMIT_S.
 */
static bool wait_unpopulated(struct __test_metadata *_metadata, char (*groups)[PATH_BUF],
			     int n)
{
	struct pollfd pfd[16];
	double deadline = now_s() + POLL_LIMIT_S;
	bool ok = false;

	ASSERT_LE(n, 16);
	for (int i = 0; i < n; i++) {
		pfd[i].fd = open(at(groups[i], "cgroup.events"), O_RDONLY | O_CLOEXEC);
		pfd[i].events = POLLPRI;
		ASSERT_GE(pfd[i].fd, 0);
	}
	for (;;) {
		int busy = 0;

		for (int i = 0; i < n; i++)
			busy += populated_fd(pfd[i].fd) != 0;
		if (!busy) {
			ok = true;
			break;
		}
		if (now_s() >= deadline) {
			for (int i = 0; i < n; i++)
				if (populated_fd(pfd[i].fd))
					TH_LOG("%s still populated", groups[i]);
			break;
		}
		poll(pfd, n, (int)((deadline - now_s()) * 1000) + 1);
	}
	for (int i = 0; i < n; i++)
		close(pfd[i].fd);
	return ok;
}

/* The number of lines of @group's cgroup.procs; -1 if unreadable. */
static int count_procs(const char *group)
{
	static char buf[1 << 16];
	int n = 0;

	if (read_file(at(group, "cgroup.procs"), buf, sizeof(buf)) < 0)
		return -1;
	for (char *p = buf; *p; p++)
		n += *p == '\n';
	return n;
}

/* Whether @group's cgroup.procs lists @pid. */
static bool listed(const char *group, pid_t pid)
{
	static char buf[1 << 16];
	char *p = buf;

	if (read_file(at(group, "cgroup.procs"), buf, sizeof(buf)) < 0)
		return false;
	while (*p) {
		if (atoi(p) == pid)
			return true;
		p = strchrnul(p, '\n');
		if (*p)
			p++;
	}
	return false;
}

/* Waits (bounded) until @group's cgroup.procs lists @n processes. */
static bool wait_procs(const char *group, int n)
{
	double deadline = now_s() + POLL_LIMIT_S;

	while (count_procs(group) != n) {
		if (now_s() >= deadline)
			return false;
		usleep(POLL_STEP_US);
	}
	return true;
}

/* A child that pauses until it is killed (or its parent dies). */
static void pause_forever(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
}

/*
 * As upstream's cg_run_nowait(): a child that moves itself into @group (by
 * cgroup.procs) and then runs @fn, exiting with its result; -1 if the fork
 * failed.
 */
static pid_t run_in(const char *group, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	char buf[32];

	if (pid)
		return pid;
	snprintf(buf, sizeof(buf), "%d", getpid());
	if (write_str(at(group, "cgroup.procs"), buf))
		_exit(100);
	_exit(fn(arg));
}

static int child_fn(void *arg)
{
	(void)arg;
	pause_forever();
	return 0;
}

/* Writes 1 to @group's cgroup.kill and says whether that worked. */
static bool kill_ok(struct __test_metadata *_metadata, const char *group)
{
	int ret = write_str(at(group, "cgroup.kill"), "1");

	if (ret)
		TH_LOG("writing 1 to %s/cgroup.kill: %s", group, err_str(ret));
	return !ret;
}

/* Reaps @pid and says whether SIGKILL ended it. */
static bool reaped_killed(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		TH_LOG("waitpid(%d): %s", pid, strerror(errno));
		return false;
	}
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		TH_LOG("process %d: status %#x, not killed by SIGKILL", pid, status);
		return false;
	}
	return true;
}

/* test_cgkill_simple: 100 processes in a group, killed. */
TEST_F_TIMEOUT(kill, cgkill_simple, 300)
{
	char g[1][PATH_BUF];
	pid_t pids[SIMPLE_PROCS];
	int fd, killed = 0;

	make_group(_metadata, g[0], self->top, "cg_test_simple");
	for (int i = 0; i < SIMPLE_PROCS; i++) {
		pids[i] = run_in(g[0], child_fn, NULL);
		ASSERT_GT(pids[i], 0);
	}
	ASSERT_TRUE(wait_procs(g[0], SIMPLE_PROCS));
	fd = open(at(g[0], "cgroup.events"), O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(populated_fd(fd), 1);
	close(fd);
	ASSERT_TRUE(kill_ok(_metadata, g[0]));
	EXPECT_TRUE(wait_unpopulated(_metadata, g, 1));
	for (int i = 0; i < SIMPLE_PROCS; i++)
		killed += reaped_killed(_metadata, pids[i]);
	EXPECT_EQ(killed, SIMPLE_PROCS);
	EXPECT_EQ(count_procs(g[0]), 0);
	EXPECT_EQ(rmdir(g[0]), 0);
}

/*
 * test_cgkill_tree: the tree
 *
 *         A
 *      / / \ \
 *     B  E  I K
 *    /\  |
 *   C  D F
 *        |
 *        G
 *        |
 *        H
 *
 * with a process in C, one in H and three in K; killing A ends them all.
 */
TEST_F_TIMEOUT(kill, cgkill_tree, 300)
{
	static const struct {
		int parent;
		const char *name;
	} tree[10] = {
		{ -1, "cg_test_tree_A" }, { 0, "B" }, { 1, "C" }, { 1, "D" }, { 0, "E" },
		{ 4, "F" }, { 5, "G" }, { 6, "H" }, { 0, "I" }, { 0, "K" },
	};
	static const int in[5] = { 2, 7, 9, 9, 9 };
	char g[10][PATH_BUF];
	pid_t pids[5];
	int killed = 0;

	for (int i = 0; i < 10; i++)
		make_group(_metadata, g[i], tree[i].parent < 0 ? self->top : g[tree[i].parent],
			   tree[i].name);
	for (int i = 0; i < 5; i++) {
		pids[i] = run_in(g[in[i]], child_fn, NULL);
		ASSERT_GT(pids[i], 0);
	}
	ASSERT_TRUE(wait_procs(g[2], 1));
	ASSERT_TRUE(wait_procs(g[7], 1));
	ASSERT_TRUE(wait_procs(g[9], 3));
	ASSERT_TRUE(kill_ok(_metadata, g[0]));
	EXPECT_TRUE(wait_unpopulated(_metadata, g, 10));
	for (int i = 0; i < 5; i++)
		killed += reaped_killed(_metadata, pids[i]);
	EXPECT_EQ(killed, 5);
	for (int i = 9; i >= 0; i--)
		EXPECT_EQ(rmdir(g[i]), 0);
}

/* The bomb's shared state: the processes made so far. */
struct bomb {
	atomic_int made;
};

/*
 * Every process of the bomb forks up to FORKBOMB_FANOUT children, each of
 * which does the same, while the bomb has made fewer than FORKBOMB_MAX; then
 * it pauses.
 */
static int forkbomb_fn(void *arg)
{
	struct bomb *b = arg;

	for (int i = 0; i < FORKBOMB_FANOUT; i++) {
		if (atomic_fetch_add(&b->made, 1) >= FORKBOMB_MAX)
			break;
		if (!fork())
			i = -1;
	}
	for (;;)
		pause();
	return 0;
}

/*
 * test_cgkill_forkbomb: a fork bomb in a group, killed while it forks; its
 * every process dies of SIGKILL, including those forked during the kill.
 */
TEST_F_TIMEOUT(kill, cgkill_forkbomb, 300)
{
	char g[1][PATH_BUF];
	struct bomb *b;
	int reaped = 0, kills = 1, status, n;
	double deadline;
	pid_t pid;

	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(b, MAP_FAILED);
	atomic_init(&b->made, 0);
	make_group(_metadata, g[0], self->top, "cg_forkbomb_test");
	pid = run_in(g[0], forkbomb_fn, b);
	ASSERT_GT(pid, 0);
	deadline = now_s() + POLL_LIMIT_S;
	while ((n = count_procs(g[0])) < FORKBOMB_AT && now_s() < deadline)
		usleep(POLL_STEP_US / 10);
	ASSERT_GE(n, FORKBOMB_AT);
	ASSERT_TRUE(kill_ok(_metadata, g[0]));
	/*
	 * One write ends the bomb on tcgroup. v2's kill has a window (see the
	 * top of this file): a bomb process that escapes it forks on, and its
	 * processes are still in the group once the bomb is done. They are
	 * counted and killed by another write, at most FORKBOMB_V2_KILLS in all.
	 */
	while (!wait_unpopulated(_metadata, g, 1)) {
		int left = count_procs(g[0]);

		ASSERT_TRUE(strcmp(variant->fstype, "tcgroup") && kills < FORKBOMB_V2_KILLS) {
			TH_LOG("%s: %d processes left after %d write(s) to cgroup.kill",
			       variant->fstype, left, kills);
		}
		TH_LOG("%s: %d processes escaped write %d to cgroup.kill (v2's fork window)",
		       variant->fstype, left, kills);
		ASSERT_TRUE(kill_ok(_metadata, g[0]));
		kills++;
	}
	EXPECT_EQ(count_procs(g[0]), 0);
	/* The bomb's processes, reparented here as they lose their parents. */
	deadline = now_s() + POLL_LIMIT_S;
	for (;;) {
		pid_t w = waitpid(-1, &status, WNOHANG);

		if (w > 0) {
			reaped++;
			EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
				TH_LOG("process %d: status %#x", w, status);
			}
			continue;
		}
		if (w < 0 && errno == ECHILD)
			break;
		ASSERT_LT(now_s(), deadline) {
			TH_LOG("%d reaped, others still alive", reaped);
		}
		usleep(POLL_STEP_US);
	}
	TH_LOG("%s: %d processes at the kill, %d reaped, %d forks tried, %d kill write(s)",
	       variant->fstype, n, reaped, atomic_load(&b->made), kills);
	EXPECT_GE(reaped, n);
	EXPECT_EQ(rmdir(g[0]), 0);
	munmap(b, sizeof(*b));
}

/* A process that entered a killed group: it forks, and both exit with 0. */
static int enter_fn(void *arg)
{
	int status;
	pid_t pid;

	(void)arg;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid)
		_exit(0);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return 2;
	return 0;
}

/*
 * test_cgkill_clone_into_killed, without CLONE_INTO_CGROUP (see the top of
 * the file): a group killed while empty, then entered by a process through
 * cgroup.procs; it and its child live and exit normally.
 */
TEST_F(kill, cgkill_enter_killed)
{
	char g[PATH_BUF];
	int status;
	pid_t pid;

	make_group(_metadata, g, self->top, "cg_test_clone_into_killed");
	ASSERT_TRUE(kill_ok(_metadata, g));
	pid = run_in(g, enter_fn, NULL);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("status %#x (100: the move failed; 1, 2: the fork)", status);
	}
	EXPECT_EQ(rmdir(g), 0);
}

/* One mover of cgkill_moves_during_kill. */
struct mover {
	/* The group each process is written to, and its cgroup.procs. */
	const char *dst;
	char procs[PATH_BUF + 16];
	/* The processes, in the order this mover moves them. */
	pid_t pid[MOVES];
	/* Each move's write(2) began and returned (now_s()), and its result. */
	double t0[MOVES], t1[MOVES];
	int ret[MOVES];
	/* Set after MOVES_BEFORE moves: the mover then waits for go. */
	atomic_int ready;
	atomic_int *go;
};

static void *mover_fn(void *arg)
{
	struct mover *m = arg;
	char buf[32];

	for (int i = 0; i < MOVES; i++) {
		if (i == MOVES_BEFORE) {
			atomic_store(&m->ready, 1);
			while (!atomic_load(m->go))
				usleep(100);
		}
		snprintf(buf, sizeof(buf), "%d", m->pid[i]);
		m->t0[i] = now_s();
		m->ret[i] = write_str(m->procs, buf);
		m->t1[i] = now_s();
	}
	return NULL;
}

/*
 * PF_EXITING and PF_SIGNALED (set by get_signal() for a fatal signal), as the
 * flags of /proc/PID/stat show them (include/linux/sched.h).
 */
#define PF_EXITING_FLAG 0x4
#define PF_SIGNALED_FLAG 0x400

/* What signalled() read last, for the failure messages. */
static char sigstate[256];

/*
 * Whether @pid, not reaped, has been sent SIGKILL. The tests' processes wait
 * in pause() (state S) and die of nothing else, so any sign of the signal
 * will do, read after the kill returned: SIGKILL pending for the process
 * (ShdPnd) or for its thread (SigPnd: the fatal path queues it per thread),
 * or it has left its sleep (woken by the signal, which it may have taken
 * already: no longer pending), taken the signal (PF_SIGNALED) or be exiting
 * (PF_EXITING), or it has exited.
 */
static bool signalled(pid_t pid)
{
	unsigned long long shd, sig;
	char path[64], buf[4096], *p, *q;
	unsigned long flags = 0;
	char state = '?';
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = read_file(path, buf, sizeof(buf));
	p = n > 0 ? strrchr(buf, ')') : NULL;
	/* After the name: state, ppid, pgrp, session, tty_nr, tpgid, flags. */
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	n = read_file(path, buf, sizeof(buf));
	p = n > 0 ? strstr(buf, "\nSigPnd:") : NULL;
	q = n > 0 ? strstr(buf, "\nShdPnd:") : NULL;
	if (!p || !q)
		return true;
	sig = strtoull(p + strlen("\nSigPnd:"), NULL, 16);
	shd = strtoull(q + strlen("\nShdPnd:"), NULL, 16);
	snprintf(sigstate, sizeof(sigstate), "state %c, flags %#lx, SigPnd %llx, ShdPnd %llx",
		 state, flags, sig, shd);
	return (sig | shd) & (1ULL << (SIGKILL - 1)) ||
	       flags & (PF_EXITING_FLAG | PF_SIGNALED_FLAG) || state != 'S';
}

/*
 * Processes moved into g and into g/sub, and out of g, by three threads
 * while g is killed; see the top of the file for what is checked.
 */
TEST_F_TIMEOUT(kill, cgkill_moves_during_kill, 300)
{
	static struct mover m[MOVERS];
	char g[PATH_BUF], sub[PATH_BUF];
	pthread_t th[MOVERS];
	atomic_int go = 0;
	double k0, k1;
	bool dead[MOVERS][MOVES];
	int window = 0;

	make_group(_metadata, g, self->top, "g");
	make_group(_metadata, sub, g, "sub");
	m[0].dst = g;
	m[1].dst = sub;
	m[2].dst = self->top;
	/* Processes forked in one order and moved in another (a stride of 7). */
	for (int i = 0; i < MOVERS; i++) {
		pid_t pids[MOVES];

		for (int j = 0; j < MOVES; j++) {
			pids[j] = fork();
			ASSERT_GE(pids[j], 0);
			if (!pids[j])
				pause_forever();
		}
		for (int j = 0; j < MOVES; j++)
			m[i].pid[j] = pids[(j * 7) % MOVES];
		/* Not at(): its buffers are not the threads' to share. */
		snprintf(m[i].procs, sizeof(m[i].procs), "%s/cgroup.procs", m[i].dst);
		m[i].go = &go;
		atomic_init(&m[i].ready, 0);
	}
	/* Mover 2's processes start in g, moved out one by one. */
	for (int j = 0; j < MOVES; j++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%d", m[2].pid[j]);
		ASSERT_EQ(write_str(at(g, "cgroup.procs"), buf), 0);
	}
	for (int i = 0; i < MOVERS; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, mover_fn, &m[i]), 0);
	for (int i = 0; i < MOVERS; i++)
		while (!atomic_load(&m[i].ready))
			usleep(100);
	/* Before the kill: every move made so far is where its mover put it. */
	for (int i = 0; i < MOVERS; i++) {
		for (int j = 0; j < MOVES_BEFORE; j++) {
			EXPECT_TRUE(listed(m[i].dst, m[i].pid[j])) {
				pid_t p = m[i].pid[j];
				const char *in = listed(g, p) ? "g" : listed(sub, p) ? "g/sub" :
						 listed(self->top, p) ? "the top group" :
						 listed(self->mnt, p) ? "the root" : "none";

				TH_LOG("%s: %d, moved to %s before the kill, is in %s",
				       variant->fstype, p, m[i].dst, in);
			}
		}
	}
	atomic_store(&go, 1);
	k0 = now_s();
	EXPECT_TRUE(kill_ok(_metadata, g));
	k1 = now_s();
	/* Moved in before the kill began: signalled by the time it returned. */
	for (int i = 0; i < 2; i++) {
		for (int j = 0; j < MOVES_BEFORE; j++) {
			EXPECT_TRUE(signalled(m[i].pid[j])) {
				TH_LOG("%s: %d, moved in before the kill, not signalled: %s",
				       variant->fstype, m[i].pid[j], sigstate);
			}
		}
	}
	for (int i = 0; i < MOVERS; i++)
		ASSERT_EQ(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < MOVERS; i++) {
		bool in = i < 2;
		/* The index of the first process that lives, or of the first killed. */
		int edge = MOVES;

		for (int j = 0; j < MOVES; j++) {
			dead[i][j] = signalled(m[i].pid[j]);
			if (m[i].t1[j] > k0 && m[i].t0[j] < k1)
				window++;
			/* A move of a process that lives must have worked. */
			if (!dead[i][j]) {
				EXPECT_EQ(m[i].ret[j], 0) {
					TH_LOG("moving %d to %s: %s", m[i].pid[j], m[i].dst,
					       err_str(m[i].ret[j]));
				}
			}
			/* Into the tree: killed iff moved before the kill. */
			if (in && m[i].t1[j] < k0)
				EXPECT_TRUE(dead[i][j]);
			if (in && m[i].t0[j] > k1) {
				EXPECT_FALSE(dead[i][j]) {
					TH_LOG("%d moved in after the kill, killed", m[i].pid[j]);
				}
			}
			/* Out of it: killed iff moved after it. */
			if (!in && m[i].t1[j] < k0) {
				EXPECT_FALSE(dead[i][j]) {
					TH_LOG("%d moved out before the kill, killed", m[i].pid[j]);
				}
			}
			if (!in && m[i].t0[j] > k1)
				EXPECT_TRUE(dead[i][j]);
			if (edge == MOVES && dead[i][j] != in)
				edge = j;
		}
		/* The killed ones: a prefix of the moves in, a suffix of the moves out. */
		for (int j = edge; j < MOVES; j++) {
			EXPECT_EQ(dead[i][j], !in) {
				TH_LOG("%s, mover %d to %s: move %d (%d) %s, but move %d (%d) %s",
				       variant->fstype, i, m[i].dst, edge, m[i].pid[edge],
				       in ? "lives" : "was killed", j, m[i].pid[j],
				       in ? "was killed" : "lives");
			}
		}
		/* Who lives is where its mover put it. */
		for (int j = 0; j < MOVES; j++) {
			if (dead[i][j])
				continue;
			EXPECT_TRUE(listed(m[i].dst, m[i].pid[j])) {
				TH_LOG("%d lives but is not in %s", m[i].pid[j], m[i].dst);
			}
		}
		TH_LOG("%s: mover %d to %s: %d of %d moves before the kill took effect",
		       variant->fstype, i, strrchr(m[i].dst, '/') + 1, edge, MOVES);
	}
	TH_LOG("%s: %d moves overlapped the kill write (%.1f ms)", variant->fstype, window,
	       (k1 - k0) * 1000);
	for (int i = 0; i < MOVERS; i++)
		for (int j = 0; j < MOVES; j++)
			kill(m[i].pid[j], SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	EXPECT_TRUE(wait_procs(g, 0));
	EXPECT_TRUE(wait_procs(sub, 0));
	EXPECT_EQ(rmdir(sub), 0);
	EXPECT_EQ(rmdir(g), 0);
}

TEST_HARNESS_MAIN
