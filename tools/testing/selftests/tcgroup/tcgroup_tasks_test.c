// SPDX-License-Identifier: GPL-2.0
/*
 * Task membership tests of tcgroup, each run against tcgroup and against its
 * reference implementation, the in-kernel cgroup v1 (see "Tasks" in
 * Documentation/tcgroup.rst): attaching through "tasks" and "cgroup.procs",
 * the listings, the ids written, every error, fork and exit, pid namespaces,
 * large groups and the debug subsystem's counters.
 *
 * The variants: "tcgroup" (mount -t tcgroup) and "cgroup_v1" (mount -t
 * cgroup, a named hierarchy "none,name=X": the test kernel has no
 * controller). The debug subsystem is tcgroup's; its tests skip on
 * cgroup_v1.
 *
 * The tasks a test moves are its own threads or children that wait on pipes
 * (they exit when the test closes the pipes or dies). Listings are checked
 * byte for byte, read once with 7-byte read(2) calls and once with large
 * ones. Exits are waited for by polling with a deadline, never by sleeping a
 * fixed time.
 *
 * Each test runs in a mount namespace of its own, with a new hierarchy
 * ("tcgtask_<pid>_<n>") mounted on a temporary directory and the groups "a"
 * and "b" in it. The teardown moves the test back to the root group, lets
 * its children exit, removes every group (mounting its hierarchies again by
 * name if needed) and the temporary directory.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "tcgroup_util.h"

#define TMPDIR_TEMPLATE "/tmp/tcgtask_XXXXXX"

/* The unprivileged user of the permission tests (nobody/nogroup). */
#define NOBODY_ID 65534

/* Bounded polls: 10 ms steps, 10 s at most. */
#define POLL_STEP_US 10000
#define POLL_LIMIT_S 10

/* The small and the large read(2) size of every listing check. */
#define SMALL_READ 7
#define LARGE_READ 65536

/* The threads of one process in the large-group tests (the main one included). */
#define MANY_TASKS 10000

/* Threads one holder process may have. */
#define MAX_THREADS 8

/* Rounds and threads per round of procs_moves_threads_being_created. */
#define CREATE_ROUNDS 8
#define CREATE_PER_ROUND 48

#define MAX_NAMES 4
#define NAME_BUF 64
#define DIR_BUF 64
#define TEXT_BUF 256

FIXTURE(tasks) {
	/* The temporary directory, holding the mount points. */
	char dir[sizeof(TMPDIR_TEMPLATE)];
	/* mnt[0]: the test's hierarchy, with groups a and b; mnt[1]: spare. */
	char mnt[2][DIR_BUF];
	/* The groups a and b of mnt[0]. */
	char grp[2][DIR_BUF + 8];
	/* The groups x and y of mnt[1], where a test mounts a second hierarchy. */
	char grp2[2][DIR_BUF + 8];
	/* The hierarchy names this test made up, for the teardown. */
	char names[MAX_NAMES][NAME_BUF];
	int nr_names;
};

FIXTURE_VARIANT(tasks) {
	/* The filesystem type given to mount(2). */
	const char *fstype;
	/* The debug subsystem exists (tcgroup); cgroup v1 here has none. */
	bool has_debug;
	/*
	 * Writing the id of a task that has exited (a zombie, or a leader
	 * that exited before its threads) to tasks: 0 or the errno. Neither
	 * moves it; see "Differences from cgroup v1".
	 */
	int exited_task_err;
};

FIXTURE_VARIANT_ADD(tasks, tcgroup) {
	.fstype = "tcgroup",
	.has_debug = true,
	.exited_task_err = ESRCH,
};

/*
 * cgroup_migrate_add_task() skips a task with PF_EXITING and the write
 * succeeds without moving anything.
 */
FIXTURE_VARIANT_ADD(tasks, cgroup_v1) {
	.fstype = "cgroup",
	.has_debug = false,
	.exited_task_err = 0,
};

static pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

/*
 * The whole file @path read with read(2) calls of at most @chunk bytes, in a
 * malloc()ed NUL-terminated buffer; NULL with errno set on error.
 */
static char *read_chunks(const char *path, size_t chunk)
{
	size_t size = 4096, total = 0;
	char *buf = malloc(size), *bigger;
	int fd, err = 0;
	ssize_t n;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		free(buf);
		errno = err;
		return NULL;
	}
	for (;;) {
		size_t want;

		if (size - 1 - total < chunk) {
			bigger = realloc(buf, size * 2 + chunk);
			if (!bigger) {
				err = ENOMEM;
				break;
			}
			buf = bigger;
			size = size * 2 + chunk;
		}
		want = chunk;
		n = read(fd, buf + total, want);
		if (n < 0) {
			err = errno;
			break;
		}
		if (!n)
			break;
		total += n;
	}
	close(fd);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[total] = '\0';
	return buf;
}

/* Writes the number @id to the open file @fd. */
static int write_id_fd(int fd, pid_t id)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", id);
	return write_fd(fd, buf, strlen(buf));
}

/* Writes the number @id to the file @path. */
static int write_id(const char *path, pid_t id)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", id);
	return write_str(path, buf);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/*
 * The listing of @n ids: sorted, each once, one per line, in a malloc()ed
 * buffer. @ids is sorted in place.
 */
static char *ids_text(pid_t *ids, size_t n)
{
	char *buf = malloc(n * 12 + 1), *p;

	if (!buf)
		return NULL;
	qsort(ids, n, sizeof(*ids), cmp_pid);
	p = buf;
	*p = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i && ids[i] == ids[i - 1])
			continue;
		p += sprintf(p, "%d\n", ids[i]);
	}
	return buf;
}

/*
 * Checks that the listing @path is exactly @ids (any order, duplicates
 * allowed: the expected text is sorted and unique), read with small and with
 * large read(2) calls.
 */
static void assert_ids(struct __test_metadata *_metadata, const char *path,
		       const pid_t *ids, size_t n)
{
	static const size_t chunks[] = { SMALL_READ, LARGE_READ };
	pid_t *copy = malloc((n ? n : 1) * sizeof(*copy));
	char *expected, *got;

	ASSERT_NE(copy, NULL);
	memcpy(copy, ids, n * sizeof(*ids));
	expected = ids_text(copy, n);
	free(copy);
	ASSERT_NE(expected, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		got = read_chunks(path, chunks[i]);
		ASSERT_NE(got, NULL) {
			TH_LOG("reading %s: %s", path, strerror(errno));
		}
		if (strlen(expected) < 2000 || !strcmp(expected, got)) {
			EXPECT_STREQ(expected, got) {
				TH_LOG("%s read in %zu-byte calls", path, chunks[i]);
			}
		} else {
			size_t d = 0;

			while (expected[d] == got[d])
				d++;
			while (d && expected[d - 1] != '\n')
				d--;
			TH_LOG("%s in %zu-byte reads: %zu bytes, expected %zu", path,
			       chunks[i], strlen(got), strlen(expected));
			TH_LOG("from byte %zu: \"%.40s\", expected \"%.40s\"", d, got + d,
			       expected + d);
			free(got);
			free(expected);
			ASSERT_TRUE(false);
		}
		free(got);
	}
	free(expected);
}

/* Checks that the listing @path is empty. */
static void assert_empty(struct __test_metadata *_metadata, const char *path)
{
	assert_ids(_metadata, path, NULL, 0);
}

/* Whether the listing @path (read at once) has the line @id. */
static bool lists(const char *path, pid_t id)
{
	char *buf = read_chunks(path, LARGE_READ), *p;
	bool found = false;

	if (!buf)
		return false;
	for (p = buf; *p; p = strchr(p, '\n') + 1) {
		if (atoi(p) == id)
			found = true;
		if (!strchr(p, '\n'))
			break;
	}
	free(buf);
	return found;
}

/*
 * Polls the listing @path until it is exactly @ids, for at most POLL_LIMIT_S
 * seconds; then checks it.
 */
static void wait_ids(struct __test_metadata *_metadata, const char *path,
		     const pid_t *ids, size_t n)
{
	double deadline = now_s() + POLL_LIMIT_S;
	pid_t *copy = malloc((n ? n : 1) * sizeof(*copy));
	char *expected, *got;

	ASSERT_NE(copy, NULL);
	memcpy(copy, ids, n * sizeof(*ids));
	expected = ids_text(copy, n);
	free(copy);
	ASSERT_NE(expected, NULL);
	while (now_s() < deadline) {
		bool same;

		got = read_chunks(path, LARGE_READ);
		same = got && !strcmp(got, expected);
		free(got);
		if (same)
			break;
		usleep(POLL_STEP_US);
	}
	free(expected);
	assert_ids(_metadata, path, ids, n);
}

/* Checks that @ret (0 or -errno) is -@err. */
static void assert_err(struct __test_metadata *_metadata, int ret, int err,
		       const char *what)
{
	ASSERT_EQ(-err, ret) {
		TH_LOG("%s: expected %s (%d), got %s (%d)", what, err_str(err), err,
		       err_str(ret), -ret);
	}
}

static void write_ok(struct __test_metadata *_metadata, const char *path,
		     const char *str)
{
	int ret = write_str(path, str);

	ASSERT_EQ(ret, 0) {
		TH_LOG("writing \"%s\" to %s: %s", str, path, err_str(ret));
	}
}

static void write_id_ok(struct __test_metadata *_metadata, const char *path,
			pid_t id)
{
	int ret = write_id(path, id);

	ASSERT_EQ(ret, 0) {
		TH_LOG("writing %d to %s: %s", id, path, err_str(ret));
	}
}

static void mkdir_ok(struct __test_metadata *_metadata, const char *path)
{
	ASSERT_EQ(mkdir(path, 0755), 0) {
		TH_LOG("mkdir(%s): %s", path, strerror(errno));
	}
}

/* The path of group x (@i 0) or y (1) of the second mount point. */
static const char *join2(struct _test_data_tasks *self, int i)
{
	snprintf(self->grp2[i], sizeof(self->grp2[i]), "%s/%c", self->mnt[1], "xy"[i]);
	return self->grp2[i];
}

/* Makes up a new hierarchy name and records it for the teardown. */
static const char *new_name(struct _test_data_tasks *self)
{
	static unsigned int counter;
	char *name;

	if (self->nr_names >= MAX_NAMES)
		return NULL;
	name = self->names[self->nr_names++];
	snprintf(name, NAME_BUF, "tcgtask_%d_%u", getpid(), counter++);
	return name;
}

/* Mounts a new hierarchy "@subsys,name=<new>" on mount point @i. */
static void mount_hier(struct __test_metadata *_metadata, struct _test_data_tasks *self,
		       const struct _fixture_variant_tasks *variant, int i,
		       const char *subsys)
{
	const char *name = new_name(self);
	char opts[TEXT_BUF];

	ASSERT_NE(name, NULL);
	snprintf(opts, sizeof(opts), "%s,name=%s", subsys, name);
	ASSERT_EQ(mount("none", self->mnt[i], variant->fstype, 0, opts), 0) {
		TH_LOG("mount -t %s -o %s none %s: %s", variant->fstype, opts,
		       self->mnt[i], strerror(errno));
	}
}

FIXTURE_SETUP(tasks)
{
	if (geteuid() != 0)
		SKIP(return, "the task membership tests need root");
	if (!fs_registered(variant->fstype))
		SKIP(return, "%s is not in /proc/filesystems%s", variant->fstype,
		     strcmp(variant->fstype, "tcgroup") ? "" : " (tcgroup.ko not loaded?)");

	umask(022);
	ASSERT_EQ(private_mount_ns(), 0);
	memcpy(self->dir, TMPDIR_TEMPLATE, sizeof(TMPDIR_TEMPLATE));
	ASSERT_NE(mkdtemp(self->dir), NULL) {
		TH_LOG("mkdtemp(%s): %s", TMPDIR_TEMPLATE, strerror(errno));
	}
	for (int i = 0; i < 2; i++) {
		snprintf(self->mnt[i], sizeof(self->mnt[i]), "%s/mnt%d", self->dir, i);
		mkdir_ok(_metadata, self->mnt[i]);
	}
	/* Searchable by the unprivileged children of the permission tests. */
	ASSERT_EQ(chmod(self->dir, 0755), 0);
	mount_hier(_metadata, self, variant, 0, "none");
	for (int i = 0; i < 2; i++) {
		snprintf(self->grp[i], sizeof(self->grp[i]), "%s/%c", self->mnt[0], "ab"[i]);
		mkdir_ok(_metadata, self->grp[i]);
	}
}

/*
 * No ASSERT here: after a failed ASSERT the harness runs the teardown with
 * its trigger still set.
 */
FIXTURE_TEARDOWN(tasks)
{
	char opts[NAME_BUF + 8];

	/* Children of a failed test exit when their pipes close. */
	close_from(3);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	for (int i = 0; i < 2; i++) {
		for (int n = 0; n < 8; n++) {
			write_id(at(self->mnt[i], "cgroup.procs"), getpid());
			remove_groups(self->mnt[i]);
			if (umount2(self->mnt[i], MNT_DETACH))
				break;
		}
	}
	/* Hierarchies unmounted with groups in them. */
	for (int i = 0; i < self->nr_names; i++) {
		snprintf(opts, sizeof(opts), "name=%s", self->names[i]);
		if (mount("none", self->mnt[0], variant->fstype, 0, opts))
			continue;
		write_id(at(self->mnt[0], "cgroup.procs"), getpid());
		if (remove_groups(self->mnt[0]))
			TH_LOG("teardown: hierarchy %s keeps groups", self->names[i]);
		umount2(self->mnt[0], MNT_DETACH);
	}
	for (int i = 0; i < 2; i++)
		rmdir(self->mnt[i]);
	if (rmdir(self->dir))
		TH_LOG("teardown: rmdir(%s): %s", self->dir, strerror(errno));
}

/* ---------------------------------------------------------------------- */
/* Holders: processes whose threads wait on a pipe                        */
/* ---------------------------------------------------------------------- */

/*
 * A child process of @nr threads (the main one included) that wait until
 * the test closes @wfd or dies. tids[] is sorted; the main thread is @pid.
 */
struct holder {
	pid_t pid;
	int nr;
	pid_t tids[MAX_THREADS];
	int wfd;
};

/* In a holder: the thread's id to the report pipe (fd 4), then wait on fd 3. */
static void *holder_thread(void *arg)
{
	pid_t tid = gettid_();
	char c;

	(void)arg;
	if (write(4, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	while (read(3, &c, 1) > 0)
		;
	return NULL;
}

/*
 * spawn_holder() with the other threads started at @thread (which ends in
 * holder_thread()) and, if not NULL, @leader_setup run by the main thread
 * before it reports (a failure ends the holder, and the report is short).
 */
static void spawn_holder_with(struct __test_metadata *_metadata, struct holder *h, int nr,
			      void *(*thread)(void *), int (*leader_setup)(void))
{
	int rel[2], rep[2];

	ASSERT_LE(nr, MAX_THREADS);
	ASSERT_EQ(pipe2(rel, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(rep, O_CLOEXEC), 0);
	h->nr = nr;
	h->pid = fork();
	ASSERT_GE(h->pid, 0);
	if (!h->pid) {
		pthread_t th;
		char c;

		/* Only its own pipes stay open: no other holder's write end. */
		if (dup2(rel[0], 3) < 0 || dup2(rep[1], 4) < 0)
			_exit(1);
		close_from(5);
		for (int i = 1; i < nr; i++)
			if (pthread_create(&th, NULL, thread, NULL))
				_exit(1);
		if (leader_setup && leader_setup())
			_exit(1);
		h->tids[0] = getpid();
		if (write(4, &h->tids[0], sizeof(pid_t)) != sizeof(pid_t))
			_exit(1);
		while (read(3, &c, 1) > 0)
			;
		_exit(0);
	}
	close(rel[0]);
	close(rep[1]);
	h->wfd = rel[1];
	for (int i = 0; i < nr; i++) {
		ASSERT_EQ(read(rep[0], &h->tids[i], sizeof(pid_t)), (ssize_t)sizeof(pid_t)) {
			TH_LOG("holder %d reported %d of %d threads", h->pid, i, nr);
		}
	}
	close(rep[0]);
	qsort(h->tids, nr, sizeof(pid_t), cmp_pid);
}

static void spawn_holder(struct __test_metadata *_metadata, struct holder *h, int nr)
{
	spawn_holder_with(_metadata, h, nr, holder_thread, NULL);
}

/* Lets the holder exit and reaps it. */
static void release_holder(struct __test_metadata *_metadata, struct holder *h)
{
	close(h->wfd);
	ASSERT_EQ(waitpid(h->pid, NULL, 0), h->pid);
}

/* A thread of the test that waits on a pipe. */
struct waiter {
	pthread_t th;
	pid_t tid;
	int rfd;
	/* Set (atomically) by the thread once @tid is set. */
	int ready;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	char c;

	w->tid = gettid_();
	__atomic_store_n(&w->ready, 1, __ATOMIC_RELEASE);
	while (read(w->rfd, &c, 1) > 0)
		;
	return NULL;
}

/* Starts a waiter on the read end @rfd; returns once its tid is known. */
static void start_waiter(struct __test_metadata *_metadata, struct waiter *w, int rfd)
{
	w->rfd = rfd;
	w->ready = 0;
	ASSERT_EQ(pthread_create(&w->th, NULL, waiter_main, w), 0);
	while (!__atomic_load_n(&w->ready, __ATOMIC_ACQUIRE))
		sched_yield();
}

/* ---------------------------------------------------------------------- */
/* Attaching and listing                                                  */
/* ---------------------------------------------------------------------- */

/* A thread id written to tasks moves that thread only. */
TEST_F(tasks, tasks_moves_one_thread)
{
	const char *a = self->grp[0];
	struct holder h;

	spawn_holder(_metadata, &h, 3);
	/* A thread that is not the leader. */
	pid_t tid = h.tids[0] == h.pid ? h.tids[1] : h.tids[0];

	write_id_ok(_metadata, at(a, "tasks"), tid);
	assert_ids(_metadata, at(a, "tasks"), &tid, 1);
	/* cgroup.procs lists the thread group of any thread in the group. */
	assert_ids(_metadata, at(a, "cgroup.procs"), &h.pid, 1);
	ASSERT_FALSE(lists(at(self->mnt[0], "tasks"), tid));
	for (int i = 0; i < h.nr; i++)
		if (h.tids[i] != tid)
			ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), h.tids[i]));
	ASSERT_TRUE(lists(at(self->mnt[0], "cgroup.procs"), h.pid));
	release_holder(_metadata, &h);
}

/* A thread-group id written to cgroup.procs moves every thread. */
TEST_F(tasks, procs_moves_every_thread)
{
	const char *a = self->grp[0];
	struct holder h;

	spawn_holder(_metadata, &h, 4);
	write_id_ok(_metadata, at(a, "cgroup.procs"), h.pid);
	assert_ids(_metadata, at(a, "tasks"), h.tids, h.nr);
	assert_ids(_metadata, at(a, "cgroup.procs"), &h.pid, 1);
	for (int i = 0; i < h.nr; i++)
		ASSERT_FALSE(lists(at(self->mnt[0], "tasks"), h.tids[i]));
	ASSERT_FALSE(lists(at(self->mnt[0], "cgroup.procs"), h.pid));
	release_holder(_metadata, &h);
}

/* Any thread's id written to cgroup.procs moves its whole thread group. */
TEST_F(tasks, procs_thread_id_moves_process)
{
	const char *a = self->grp[0];
	struct holder h;

	spawn_holder(_metadata, &h, 3);
	pid_t tid = h.tids[0] == h.pid ? h.tids[2] : h.tids[0];

	write_id_ok(_metadata, at(a, "cgroup.procs"), tid);
	assert_ids(_metadata, at(a, "tasks"), h.tids, h.nr);
	assert_ids(_metadata, at(a, "cgroup.procs"), &h.pid, 1);
	release_holder(_metadata, &h);
}

/* Moving to another group leaves the old one, for threads and processes. */
TEST_F(tasks, move_between_groups)
{
	const char *a = self->grp[0], *b = self->grp[1];
	struct holder h;

	spawn_holder(_metadata, &h, 2);
	write_id_ok(_metadata, at(a, "cgroup.procs"), h.pid);
	assert_ids(_metadata, at(a, "tasks"), h.tids, h.nr);
	write_id_ok(_metadata, at(b, "cgroup.procs"), h.pid);
	assert_empty(_metadata, at(a, "tasks"));
	assert_empty(_metadata, at(a, "cgroup.procs"));
	assert_ids(_metadata, at(b, "tasks"), h.tids, h.nr);
	/* One thread back to a: both groups list the process. */
	write_id_ok(_metadata, at(a, "tasks"), h.tids[1]);
	assert_ids(_metadata, at(a, "tasks"), &h.tids[1], 1);
	assert_ids(_metadata, at(b, "tasks"), &h.tids[0], 1);
	assert_ids(_metadata, at(a, "cgroup.procs"), &h.pid, 1);
	assert_ids(_metadata, at(b, "cgroup.procs"), &h.pid, 1);
	/* Back to the root group. */
	write_id_ok(_metadata, at(self->mnt[0], "cgroup.procs"), h.pid);
	assert_empty(_metadata, at(a, "tasks"));
	assert_empty(_metadata, at(b, "tasks"));
	for (int i = 0; i < h.nr; i++)
		ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), h.tids[i]));
	/* Moving into the group a task is in already changes nothing. */
	write_id_ok(_metadata, at(self->mnt[0], "tasks"), h.tids[0]);
	ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), h.tids[0]));
	release_holder(_metadata, &h);
}

/* tasks lists thread ids, cgroup.procs unique thread-group ids, both sorted. */
TEST_F(tasks, listing_sorted_unique)
{
	const char *a = self->grp[0];
	pid_t tids[4 * 3], pids[4];
	struct holder h[4];
	int n = 0;

	for (int i = 0; i < 4; i++)
		spawn_holder(_metadata, &h[i], 3);
	/* In an order unrelated to the ids: last holder first, threads one by one. */
	for (int i = 3; i >= 0; i--) {
		pids[i] = h[i].pid;
		for (int t = h[i].nr - 1; t >= 0; t--) {
			write_id_ok(_metadata, at(a, "tasks"), h[i].tids[t]);
			tids[n++] = h[i].tids[t];
		}
	}
	assert_ids(_metadata, at(a, "tasks"), tids, n);
	assert_ids(_metadata, at(a, "cgroup.procs"), pids, 4);
	for (int i = 0; i < 4; i++)
		release_holder(_metadata, &h[i]);
	assert_empty(_metadata, at(a, "tasks"));
	assert_empty(_metadata, at(a, "cgroup.procs"));
}

/*
 * The root group lists every task not in a child group, kernel threads
 * included: one id per line, ascending, each once.
 */
TEST_F(tasks, root_lists_remaining_tasks)
{
	const char *root = self->mnt[0];
	struct holder h;
	char *buf, *p;
	long prev = 0;
	int lines = 0;

	spawn_holder(_metadata, &h, 2);
	write_id_ok(_metadata, at(root, "a/tasks"), h.tids[1]);
	ASSERT_TRUE(lists(at(root, "tasks"), 1));
	ASSERT_TRUE(lists(at(root, "tasks"), 2));
	ASSERT_TRUE(lists(at(root, "tasks"), getpid()));
	ASSERT_TRUE(lists(at(root, "tasks"), h.tids[0]));
	ASSERT_FALSE(lists(at(root, "tasks"), h.tids[1]));
	ASSERT_TRUE(lists(at(root, "cgroup.procs"), h.pid));

	buf = read_chunks(at(root, "tasks"), SMALL_READ);
	ASSERT_NE(buf, NULL);
	for (p = buf; *p; lines++) {
		char *end;
		long id = strtol(p, &end, 10);

		EXPECT_TRUE(end > p && *end == '\n' && id > prev && *p != '0') {
			TH_LOG("line %d of the root's tasks: \"%.12s\" after %ld", lines, p,
			       prev);
			break;
		}
		prev = id;
		p = end + 1;
	}
	free(buf);
	EXPECT_GT(lines, 3);
	release_holder(_metadata, &h);
}

/* ---------------------------------------------------------------------- */
/* The ids written                                                        */
/* ---------------------------------------------------------------------- */

/* A thread that writes @text to @path, then reads the listing @path. */
struct writer_arg {
	const char *path;
	const char *text;
	int ret;
	pid_t tid;
	/* The thread saw itself in the listing. */
	bool listed;
};

static void *write_from_thread(void *arg)
{
	struct writer_arg *w = arg;

	w->tid = gettid_();
	w->ret = write_str(w->path, w->text);
	w->listed = lists(w->path, w->tid);
	return NULL;
}

/* 0 (and -0) is the writer: its thread for tasks, its process for cgroup.procs. */
TEST_F(tasks, zero_is_the_writer)
{
	const char *a = self->grp[0], *b = self->grp[1];
	pid_t self_tid = gettid_(), both[2];
	struct writer_arg w = { .text = "0" };
	struct waiter wt;
	pthread_t th;
	int p[2];

	write_ok(_metadata, at(a, "tasks"), "0");
	assert_ids(_metadata, at(a, "tasks"), &self_tid, 1);
	write_ok(_metadata, at(b, "tasks"), "-0\n");
	assert_ids(_metadata, at(b, "tasks"), &self_tid, 1);
	assert_empty(_metadata, at(a, "tasks"));

	/* From a second thread (born in b): tasks moves that thread only. */
	w.path = at(a, "tasks");
	ASSERT_EQ(pthread_create(&th, NULL, write_from_thread, &w), 0);
	ASSERT_EQ(pthread_join(th, NULL), 0);
	ASSERT_EQ(w.ret, 0) {
		TH_LOG("a thread writing 0 to a/tasks: %s", err_str(w.ret));
	}
	ASSERT_TRUE(w.listed);
	assert_ids(_metadata, at(b, "tasks"), &self_tid, 1);
	/* The joined thread leaves a as it finishes its exit. */
	wait_ids(_metadata, at(a, "tasks"), NULL, 0);

	/* A waiting thread in b, then 0 to a/cgroup.procs from the main thread. */
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	start_waiter(_metadata, &wt, p[0]);
	both[0] = self_tid;
	both[1] = wt.tid;
	assert_ids(_metadata, at(b, "tasks"), both, 2);
	write_ok(_metadata, at(a, "cgroup.procs"), "0");
	assert_ids(_metadata, at(a, "tasks"), both, 2);
	assert_empty(_metadata, at(b, "tasks"));
	close(p[1]);
	ASSERT_EQ(pthread_join(wt.th, NULL), 0);
	close(p[0]);
}

/*
 * One cgroup.procs write gathers a process whose threads are spread over
 * more groups (css_sets) than tcgroup moves in its one pass (four): the
 * root, a, b and four children of a. Every thread ends in b, and every
 * group it left lists none.
 */
#define SPREAD_THREADS 7
TEST_F(tasks, procs_gathers_threads_of_many_groups)
{
	const char *a = self->grp[0], *b = self->grp[1];
	static const char *const sub[] = { "c0", "c1", "c2", "c3" };
	struct waiter wt[SPREAD_THREADS];
	pid_t all[SPREAD_THREADS + 1];
	const char *from[SPREAD_THREADS];
	static char dirs[4][PATH_MAX];
	int p[2];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	for (int i = 0; i < 4; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "%s/%s", a, sub[i]);
		mkdir_ok(_metadata, dirs[i]);
	}
	/* Thread i goes to from[i]: a, b, a/c0..a/c3, and the root. */
	from[0] = a;
	from[1] = b;
	for (int i = 0; i < 4; i++)
		from[2 + i] = dirs[i];
	from[6] = self->mnt[0];
	all[0] = gettid_();
	for (int i = 0; i < SPREAD_THREADS; i++) {
		char path[PATH_MAX];

		start_waiter(_metadata, &wt[i], p[0]);
		all[i + 1] = wt[i].tid;
		snprintf(path, sizeof(path), "%s/tasks", from[i]);
		write_id_ok(_metadata, path, wt[i].tid);
	}
	/* The writer, in the root, names its own process. */
	write_ok(_metadata, at(b, "cgroup.procs"), "0");
	assert_ids(_metadata, at(b, "tasks"), all, SPREAD_THREADS + 1);
	assert_empty(_metadata, at(a, "tasks"));
	for (int i = 0; i < 4; i++)
		assert_empty(_metadata, at(dirs[i], "tasks"));
	for (int i = 0; i <= SPREAD_THREADS; i++)
		ASSERT_FALSE(lists(at(self->mnt[0], "tasks"), all[i]));
	/* And back to the root, in one write again. */
	write_ok(_metadata, at(self->mnt[0], "cgroup.procs"), "0");
	assert_empty(_metadata, at(b, "tasks"));
	close(p[1]);
	for (int i = 0; i < SPREAD_THREADS; i++)
		ASSERT_EQ(pthread_join(wt[i].th, NULL), 0);
	close(p[0]);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(rmdir(dirs[i]), 0);
}

/*
 * One cgroup.procs write gathers a process whose threads are in more groups
 * than tcgroup plans per hold of its css_set lock (64): 150 threads in 100
 * children of a, two in each of the first 50 (so that threads of one group
 * are not next to each other in the thread list). Into b, then back to the
 * root; then spread again and straight to the root, where no thread needs a
 * css_set of its own (the burst workload of the bench). Every group left
 * lists none, every thread ends where it was sent.
 */
#define GATHER_THREADS 150
#define GATHER_GROUPS 100
TEST_F_TIMEOUT(tasks, procs_gathers_threads_of_more_groups_than_a_batch, 120)
{
	const char *a = self->grp[0], *b = self->grp[1];
	static char dirs[GATHER_GROUPS][PATH_MAX];
	static struct waiter wt[GATHER_THREADS];
	static pid_t all[GATHER_THREADS + 1];
	int p[2];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	for (int i = 0; i < GATHER_GROUPS; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "%s/s%d", a, i);
		mkdir_ok(_metadata, dirs[i]);
	}
	all[0] = gettid_();
	for (int i = 0; i < GATHER_THREADS; i++) {
		start_waiter(_metadata, &wt[i], p[0]);
		all[i + 1] = wt[i].tid;
	}
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < GATHER_THREADS; i++) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s/tasks", dirs[i % GATHER_GROUPS]);
			write_id_ok(_metadata, path, wt[i].tid);
		}
		if (!round) {
			write_ok(_metadata, at(b, "cgroup.procs"), "0");
			assert_ids(_metadata, at(b, "tasks"), all, GATHER_THREADS + 1);
		}
		write_ok(_metadata, at(self->mnt[0], "cgroup.procs"), "0");
		for (int i = 0; i < GATHER_GROUPS; i++)
			assert_empty(_metadata, at(dirs[i], "tasks"));
		assert_empty(_metadata, at(b, "tasks"));
		for (int i = 0; i <= GATHER_THREADS; i++) {
			ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), all[i])) {
				TH_LOG("round %d: thread %d not in the root", round, all[i]);
			}
		}
	}
	close(p[1]);
	for (int i = 0; i < GATHER_THREADS; i++)
		ASSERT_EQ(pthread_join(wt[i].th, NULL), 0);
	close(p[0]);
	for (int i = 0; i < GATHER_GROUPS; i++)
		ASSERT_EQ(rmdir(dirs[i]), 0);
}

/*
 * The id is read as kstrtoint(strstrip(buf), 0): surrounding white space,
 * one or more newlines, a sign, hex and octal, and the write stops at a NUL.
 */
TEST_F(tasks, id_formats_accepted)
{
	static const char *const formats[] = {
		"%d", "%d\n", "+%d", "+%d\n", " %d ", "\t%d\n\n", "\n%d", "0x%x",
		"0X%X", "0%o", "%d\n\n\n",
	};
	const char *g[2] = { self->grp[0], self->grp[1] };
	char text[64];
	struct holder h;
	int ret;

	spawn_holder(_metadata, &h, 1);
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		const char *to = g[i % 2], *from = g[(i + 1) % 2];

		snprintf(text, sizeof(text), formats[i], h.pid);
		ret = write_str(at(to, i % 3 ? "tasks" : "cgroup.procs"), text);
		ASSERT_EQ(ret, 0) {
			TH_LOG("writing \"%s\": %s", text, err_str(ret));
		}
		assert_ids(_metadata, at(to, "tasks"), &h.pid, 1);
		assert_empty(_metadata, at(from, "tasks"));
	}
	/* A NUL ends the id: what follows it is not junk. */
	snprintf(text, sizeof(text), "%d", h.pid);
	ret = write_buf(at(g[0], "tasks"), text, strlen(text) + 4);
	ASSERT_EQ(ret, 0) {
		TH_LOG("writing \"%s\\0...\": %s", text, err_str(ret));
	}
	assert_ids(_metadata, at(g[0], "tasks"), &h.pid, 1);
	release_holder(_metadata, &h);
}

/* Not a number, trailing junk, a negative or too large number: EINVAL. */
TEST_F(tasks, bad_ids_einval)
{
	static const char *const bad[] = {
		"abc", "%dabc", "%d %d", "%d,", "%d.0", "-%d", "-1", "-1\n", "--%d",
		"+-%d", "+", "-", "0x", "0x%xg", "09", "\n", " ", "2147483648",
		"4294967296", "4294967296%d", "99999999999999999999", "-2147483649",
		"0x80000000", "%d\n1",
	};
	const char *files[2] = { "tasks", "cgroup.procs" };
	const char *a = self->grp[0];
	char text[64];
	struct holder h;

	spawn_holder(_metadata, &h, 1);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		for (int f = 0; f < 2; f++) {
			int ret;

			snprintf(text, sizeof(text), bad[i], h.pid, h.pid);
			ret = write_str(at(a, files[f]), text);
			ASSERT_EQ(ret, -EINVAL) {
				TH_LOG("writing \"%s\" to %s: %s, expected EINVAL", text,
				       files[f], err_str(ret));
			}
		}
	}
	assert_empty(_metadata, at(a, "tasks"));
	release_holder(_metadata, &h);
}

/* A kernel thread cannot be moved: kthreadd (pid 2) gives EINVAL. */
TEST_F(tasks, kthreadd_einval)
{
	const char *a = self->grp[0];
	char comm[32] = "";
	FILE *f;
	int ret;

	f = fopen("/proc/2/comm", "re");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	if (strcmp(comm, "kthreadd\n"))
		SKIP(return, "pid 2 is not kthreadd here (\"%s\")", comm);

	ret = write_str(at(a, "tasks"), "2");
	assert_err(_metadata, ret, EINVAL, "moving kthreadd through tasks");
	ret = write_str(at(a, "cgroup.procs"), "2\n");
	assert_err(_metadata, ret, EINVAL, "moving kthreadd through cgroup.procs");
	assert_empty(_metadata, at(a, "tasks"));
	ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), 2));
}

/* An id that names no task: ESRCH. */
TEST_F(tasks, no_such_task_esrch)
{
	const char *a = self->grp[0];
	pid_t gone;
	int ret;

	/* A reaped child's id stays free until the pid numbers wrap. */
	gone = fork();
	ASSERT_GE(gone, 0);
	if (!gone)
		_exit(0);
	ASSERT_EQ(waitpid(gone, NULL, 0), gone);

	ret = write_id(at(a, "tasks"), gone);
	assert_err(_metadata, ret, ESRCH, "moving a reaped child through tasks");
	ret = write_id(at(a, "cgroup.procs"), gone);
	assert_err(_metadata, ret, ESRCH, "moving a reaped child through cgroup.procs");
	/* Larger than any pid_max, yet an int. */
	ret = write_str(at(a, "tasks"), "2147483647");
	assert_err(_metadata, ret, ESRCH, "moving INT_MAX");
	ret = write_str(at(a, "cgroup.procs"), "0x7fffffff");
	assert_err(_metadata, ret, ESRCH, "moving 0x7fffffff");
	assert_empty(_metadata, at(a, "tasks"));
}

/*
 * A zombie has an id but has exited: it is not moved (through tasks the
 * variant's result; through cgroup.procs, which skips exited threads, a
 * success), and it is listed nowhere, not even in the root group (it left
 * its groups when it exited).
 */
TEST_F(tasks, zombie_not_moved)
{
	const char *a = self->grp[0];
	siginfo_t info;
	pid_t pid;
	int ret;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(0);
	/* Wait for the exit without reaping: a zombie from here on. */
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(waitid(P_PID, pid, &info, WEXITED | WNOWAIT), 0);
	ASSERT_EQ(info.si_pid, pid);

	ASSERT_FALSE(lists(at(self->mnt[0], "tasks"), pid));
	ASSERT_FALSE(lists(at(self->mnt[0], "cgroup.procs"), pid));
	ret = write_id(at(a, "tasks"), pid);
	assert_err(_metadata, ret, variant->exited_task_err, "moving a zombie through tasks");
	ret = write_id(at(a, "cgroup.procs"), pid);
	assert_err(_metadata, ret, 0, "moving a zombie through cgroup.procs");
	assert_empty(_metadata, at(a, "tasks"));
	assert_empty(_metadata, at(a, "cgroup.procs"));
	ASSERT_FALSE(lists(at(self->mnt[0], "tasks"), pid));
	ASSERT_EQ(waitpid(pid, NULL, 0), pid);
}

/* Makes the calling process uid/gid nobody; false on failure. */
/* Drops every credential of the (single-threaded) caller to @id. */
static bool become_uid(uid_t id)
{
	return !setgroups(0, NULL) && !setresgid(id, id, id) && !setresuid(id, id, id);
}

static bool become_nobody(void)
{
	return become_uid(NOBODY_ID);
}

/* chmod 0666 of @path; false if the mode did not stick. */
static bool make_world_writable(const char *path)
{
	struct stat st;

	return !chmod(path, 0666) && !stat(path, &st) && (st.st_mode & 07777) == 0666;
}

/* What the unprivileged child of the permission tests saw. */
struct nobody_report {
	int open_err;
	int root_task_tasks;
	int root_task_procs;
	int self_zero;
	int same_uid_procs;
	pid_t self_pid;
	pid_t same_uid_pid;
};

/*
 * A writer that is not root may move only tasks of its own uid: EACCES for
 * root's task through tasks and cgroup.procs; itself and another process of
 * its uid move.
 */
TEST_F(tasks, other_uid_eacces)
{
	const char *a = self->grp[0];
	struct nobody_report *r;
	struct holder h;
	pid_t pid;
	int status;

	if (!make_world_writable(at(a, "tasks")) ||
	    !make_world_writable(at(a, "cgroup.procs")))
		SKIP(return, "chmod 0666 of a's tasks files did not stick: %s",
		     strerror(errno));
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(r, MAP_FAILED);
	memset(r, 0, sizeof(*r));
	spawn_holder(_metadata, &h, 1);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int p[2], fd;
		pid_t other;
		char c;

		if (pipe(p) || !become_nobody())
			_exit(1);
		/* Another process of uid nobody. */
		other = fork();
		if (other < 0)
			_exit(1);
		if (!other) {
			close(p[1]);
			while (read(p[0], &c, 1) > 0)
				;
			_exit(0);
		}
		close(p[0]);
		r->self_pid = getpid();
		r->same_uid_pid = other;
		fd = open(at(a, "tasks"), O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			r->open_err = errno;
			_exit(0);
		}
		r->root_task_tasks = write_id(at(a, "tasks"), h.pid);
		r->root_task_procs = write_id(at(a, "cgroup.procs"), h.pid);
		r->self_zero = write_fd(fd, "0", 1);
		r->same_uid_procs = write_id(at(a, "cgroup.procs"), other);
		close(fd);
		close(p[1]);
		waitpid(other, NULL, 0);
		/* Keep the moved pair listed until the test has looked. */
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		TH_LOG("the child could not become uid %d", NOBODY_ID);
	}
	ASSERT_EQ(r->open_err, 0) {
		TH_LOG("open of a/tasks (mode 0666) as uid %d: %s", NOBODY_ID,
		       strerror(r->open_err));
	}
	assert_err(_metadata, r->root_task_tasks, EACCES, "uid nobody moving root's task (tasks)");
	assert_err(_metadata, r->root_task_procs, EACCES,
		   "uid nobody moving root's task (cgroup.procs)");
	assert_err(_metadata, r->self_zero, 0, "uid nobody moving itself");
	assert_err(_metadata, r->same_uid_procs, 0, "uid nobody moving a task of its uid");
	/* Both have exited: a is empty again, and root's task never moved. */
	assert_empty(_metadata, at(a, "tasks"));
	ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), h.pid));
	release_holder(_metadata, &h);
	munmap(r, sizeof(*r));
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* A duplicate of the descriptor @fd of the process @pid; -1 with errno on failure. */
static int steal_fd(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), ret, err;

	if (pidfd < 0)
		return -1;
	ret = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	err = errno;
	close(pidfd);
	errno = err;
	return ret;
}

/*
 * The permission check uses the credentials the file was opened with, as
 * v1's __cgroup1_procs_write() does against inherited-descriptor attacks:
 * opened by root and written by nobody moves root's task; opened by nobody
 * and written by root gives EACCES.
 */
TEST_F(tasks, eacces_uses_opener_credentials)
{
	const char *a = self->grp[0];
	int fd, rep[2], rel[2], status, ret;
	struct holder h;
	pid_t pid;

	if (!make_world_writable(at(a, "tasks")))
		SKIP(return, "chmod 0666 of a/tasks did not stick: %s", strerror(errno));
	spawn_holder(_metadata, &h, 1);

	/* Opened by root, written by nobody. */
	fd = open(at(a, "tasks"), O_WRONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (!become_nobody())
			_exit(255);
		_exit(-write_id_fd(fd, h.pid));
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	close(fd);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 255);
	assert_err(_metadata, -WEXITSTATUS(status), 0,
		   "uid nobody moving root's task through a file root opened");
	assert_ids(_metadata, at(a, "tasks"), &h.pid, 1);
	write_id_ok(_metadata, at(self->mnt[0], "tasks"), h.pid);

	/* Opened by nobody, written by root (through pidfd_getfd()). */
	ASSERT_EQ(pipe2(rep, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(rel, O_CLOEXEC), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		char c;

		close(rel[1]);
		if (!become_nobody())
			_exit(1);
		fd = open(at(a, "tasks"), O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
		if (write(rep[1], &fd, sizeof(fd)) != sizeof(fd))
			_exit(1);
		while (read(rel[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(rel[0]);
	ASSERT_EQ(read(rep[0], &fd, sizeof(fd)), (ssize_t)sizeof(fd));
	ASSERT_GE(fd, 0) {
		TH_LOG("open of a/tasks (mode 0666) as uid %d: %s", NOBODY_ID, strerror(-fd));
	}
	fd = steal_fd(pid, fd);
	ASSERT_GE(fd, 0) {
		TH_LOG("pidfd_getfd(): %s", strerror(errno));
	}
	close(rel[1]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ret = write_id_fd(fd, h.pid);
	close(fd);
	assert_err(_metadata, ret, EACCES,
		   "root moving root's task through a file uid nobody opened");
	assert_empty(_metadata, at(a, "tasks"));
	release_holder(_metadata, &h);
}

/*
 * The uid one thread of a root process switches to in the per-thread
 * credential tests: a user of its own, not nobody (the other permission
 * tests' writer).
 */
#define THREAD_UID 1000

/*
 * setresuid(2) of the calling thread only: the raw system call. glibc's
 * setresuid() changes every thread of the process (its setxid broadcast);
 * a per-thread credential server calls the kernel directly.
 */
static int thread_setresuid(uid_t id)
{
	return syscall(SYS_setresuid, id, id, id);
}

/* In a mixed holder: the main thread switches to THREAD_UID. */
static int switch_leader(void)
{
	return thread_setresuid(THREAD_UID);
}

/* In a mixed holder: the thread switches to THREAD_UID, then holds. */
static void *switched_thread(void *arg)
{
	if (thread_setresuid(THREAD_UID))
		_exit(1);
	return holder_thread(arg);
}

/*
 * A holder (struct holder, two threads) started as root in which one thread
 * switched to THREAD_UID on its own: the main thread if @leader_switches,
 * else the other one. Returns the other thread's id.
 */
static pid_t spawn_mixed_holder(struct __test_metadata *_metadata, struct holder *h,
				bool leader_switches)
{
	if (leader_switches)
		spawn_holder_with(_metadata, h, 2, holder_thread, switch_leader);
	else
		spawn_holder_with(_metadata, h, 2, switched_thread, NULL);
	return h->tids[0] == h->pid ? h->tids[1] : h->tids[0];
}

/* chown of @path to THREAD_UID; false if the owner did not stick. */
static bool give_to_thread_uid(const char *path)
{
	struct stat st;

	return !chown(path, THREAD_UID, THREAD_UID) && !stat(path, &st) &&
	       st.st_uid == THREAD_UID;
}

/*
 * Writes @id to @path from a child process of uid THREAD_UID, which opens
 * @path itself: 0 or -errno.
 */
static int write_id_as_thread_uid(struct __test_metadata *_metadata, const char *path,
				  pid_t id)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (!become_uid(THREAD_UID))
			_exit(255);
		_exit(-write_id(path, id));
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 255) {
		TH_LOG("the writer could not become uid %d", THREAD_UID);
	}
	return -WEXITSTATUS(status);
}

/*
 * Hands the group @a to THREAD_UID: the directory, tasks and cgroup.procs,
 * as an administrator delegates a group to a user; false if it did not stick.
 */
static bool give_group_to_thread_uid(const char *a)
{
	return give_to_thread_uid(a) && give_to_thread_uid(at(a, "tasks")) &&
	       give_to_thread_uid(at(a, "cgroup.procs"));
}

/*
 * cgroup.procs checks the credentials of the thread-group leader, whatever
 * thread's id is written (cgroup_procs_write_start() takes the leader): a
 * user may not move a root process through the id of one of its threads that
 * switched to the user's uid. tasks checks the thread written, and moves it.
 */
TEST_F(tasks, procs_checks_leader_credentials)
{
	const char *a = self->grp[0];
	struct holder h;
	pid_t tid;

	if (!give_group_to_thread_uid(a))
		SKIP(return, "chown of a and its tasks files to %d did not stick: %s",
		     THREAD_UID, strerror(errno));
	/* A root process, one thread of uid THREAD_UID. */
	tid = spawn_mixed_holder(_metadata, &h, false);

	assert_err(_metadata, write_id_as_thread_uid(_metadata, at(a, "cgroup.procs"), tid),
		   EACCES, "the user moving a root process by its thread of the user's uid");
	/* The root process did not move. */
	assert_empty(_metadata, at(a, "tasks"));
	ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), h.pid));
	ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), tid));

	assert_err(_metadata, write_id_as_thread_uid(_metadata, at(a, "tasks"), tid), 0,
		   "the user moving its thread of a root process (tasks)");
	assert_ids(_metadata, at(a, "tasks"), &tid, 1);
	ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), h.pid));
	release_holder(_metadata, &h);
}

/*
 * The other way round: a process whose leader switched to the user's uid,
 * with a thread still root, is the user's to move through cgroup.procs, by
 * the id of that root thread too; tasks refuses the root thread alone.
 */
TEST_F(tasks, procs_leader_credentials_allow)
{
	const char *a = self->grp[0];
	struct holder h;
	pid_t tid;

	if (!give_group_to_thread_uid(a))
		SKIP(return, "chown of a and its tasks files to %d did not stick: %s",
		     THREAD_UID, strerror(errno));
	/* The leader of uid THREAD_UID, one thread of root. */
	tid = spawn_mixed_holder(_metadata, &h, true);

	assert_err(_metadata, write_id_as_thread_uid(_metadata, at(a, "tasks"), tid), EACCES,
		   "the user moving a root thread (tasks)");
	assert_empty(_metadata, at(a, "tasks"));

	assert_err(_metadata, write_id_as_thread_uid(_metadata, at(a, "cgroup.procs"), tid), 0,
		   "the user moving its process by the id of a root thread");
	assert_ids(_metadata, at(a, "tasks"), h.tids, h.nr);
	assert_ids(_metadata, at(a, "cgroup.procs"), &h.pid, 1);
	release_holder(_metadata, &h);
}

/* A group removed while its files are open: writes and reads give ENODEV. */
TEST_F(tasks, removed_group_enodev)
{
	const char *a = self->grp[0];
	int tasks_fd, procs_fd, ret;
	struct holder h;
	char buf[64];

	spawn_holder(_metadata, &h, 1);
	tasks_fd = open(at(a, "tasks"), O_WRONLY | O_CLOEXEC);
	ASSERT_GE(tasks_fd, 0);
	procs_fd = open(at(a, "cgroup.procs"), O_RDWR | O_CLOEXEC);
	ASSERT_GE(procs_fd, 0);
	ASSERT_EQ(rmdir(a), 0) {
		TH_LOG("rmdir(%s): %s", a, strerror(errno));
	}
	ret = write_id_fd(tasks_fd, h.pid);
	assert_err(_metadata, ret, ENODEV, "writing to the tasks of a removed group");
	ret = write_id_fd(procs_fd, h.pid);
	assert_err(_metadata, ret, ENODEV, "writing to the cgroup.procs of a removed group");
	ret = write_fd(tasks_fd, "0", 1);
	assert_err(_metadata, ret, ENODEV, "writing 0 to the tasks of a removed group");
	ret = pread(procs_fd, buf, sizeof(buf), 0) < 0 ? -errno : 0;
	assert_err(_metadata, ret, ENODEV, "reading the cgroup.procs of a removed group");
	close(tasks_fd);
	close(procs_fd);
	ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), h.pid));
	ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), gettid_()));
	release_holder(_metadata, &h);
}

/* ---------------------------------------------------------------------- */
/* Fork and exit                                                          */
/* ---------------------------------------------------------------------- */

/* A child starts in its parent's group, a grandchild in its parent's new one. */
TEST_F(tasks, fork_inherits_group)
{
	const char *a = self->grp[0], *b = self->grp[1];
	int rel[2], rep[2], cmd[2];
	pid_t ids[2], child, grandchild = 0;
	char c = 'm';

	write_ok(_metadata, at(a, "tasks"), "0");
	ASSERT_EQ(pipe2(rel, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(rep, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(cmd, O_CLOEXEC), 0);
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		pid_t g;

		close(rel[1]);
		if (read(cmd[0], &c, 1) != 1 || write_str(at(b, "tasks"), "0"))
			_exit(1);
		g = fork();
		if (g < 0)
			_exit(1);
		if (!g) {
			while (read(rel[0], &c, 1) > 0)
				;
			_exit(0);
		}
		if (write(rep[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		while (read(rel[0], &c, 1) > 0)
			;
		_exit(waitpid(g, NULL, 0) == g ? 0 : 1);
	}
	close(rel[0]);
	ids[0] = gettid_();
	ids[1] = child;
	assert_ids(_metadata, at(a, "tasks"), ids, 2);
	assert_ids(_metadata, at(a, "cgroup.procs"), ids, 2);

	ASSERT_EQ(write(cmd[1], &c, 1), 1);
	ASSERT_EQ(read(rep[0], &grandchild, sizeof(grandchild)), (ssize_t)sizeof(grandchild));
	ids[0] = child;
	ids[1] = grandchild;
	assert_ids(_metadata, at(b, "tasks"), ids, 2);
	assert_ids(_metadata, at(b, "cgroup.procs"), ids, 2);
	ids[0] = gettid_();
	assert_ids(_metadata, at(a, "tasks"), ids, 1);

	/* Reaped processes are in no group. */
	close(rel[1]);
	ASSERT_EQ(waitpid(child, NULL, 0), child);
	assert_empty(_metadata, at(b, "tasks"));
	assert_empty(_metadata, at(b, "cgroup.procs"));
	assert_ids(_metadata, at(a, "tasks"), ids, 1);
}

/* What the thread of thread_inherits_creator_group does on command. */
struct creator {
	pthread_t th;
	pid_t tid;
	int cmd_fd;
	int rel_fd;
	int rel_wfd;
	/* Made by the thread: a thread and a child process. */
	struct waiter made;
	pid_t child;
	/* Atomic: 1 started, 2 made both, 3 fork failed. */
	int state;
};

static void *creator_main(void *arg)
{
	struct creator *cr = arg;
	char c;

	cr->tid = gettid_();
	__atomic_store_n(&cr->state, 1, __ATOMIC_RELEASE);
	if (read(cr->cmd_fd, &c, 1) != 1)
		return NULL;
	cr->made.rfd = cr->rel_fd;
	if (pthread_create(&cr->made.th, NULL, waiter_main, &cr->made))
		return NULL;
	while (!__atomic_load_n(&cr->made.ready, __ATOMIC_ACQUIRE))
		sched_yield();
	cr->child = fork();
	if (!cr->child) {
		close(cr->rel_wfd);
		while (read(cr->rel_fd, &c, 1) > 0)
			;
		_exit(0);
	}
	__atomic_store_n(&cr->state, cr->child > 0 ? 2 : 3, __ATOMIC_RELEASE);
	while (read(cr->rel_fd, &c, 1) > 0)
		;
	pthread_join(cr->made.th, NULL);
	if (cr->child > 0)
		waitpid(cr->child, NULL, 0);
	return NULL;
}

/*
 * A new thread or child starts in the groups of the thread that created it,
 * not in those of its thread group's leader.
 */
TEST_F(tasks, thread_inherits_creator_group)
{
	const char *a = self->grp[0], *b = self->grp[1];
	struct creator cr = { 0 };
	pid_t ids[4];
	int rel[2], cmd[2];
	char c = 'c';

	write_ok(_metadata, at(a, "tasks"), "0");
	ASSERT_EQ(pipe2(rel, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(cmd, O_CLOEXEC), 0);
	cr.cmd_fd = cmd[0];
	cr.rel_fd = rel[0];
	cr.rel_wfd = rel[1];
	ASSERT_EQ(pthread_create(&cr.th, NULL, creator_main, &cr), 0);
	while (!__atomic_load_n(&cr.state, __ATOMIC_ACQUIRE))
		sched_yield();
	ids[0] = gettid_();
	ids[1] = cr.tid;
	assert_ids(_metadata, at(a, "tasks"), ids, 2);

	write_id_ok(_metadata, at(b, "tasks"), cr.tid);
	ASSERT_EQ(write(cmd[1], &c, 1), 1);
	while (__atomic_load_n(&cr.state, __ATOMIC_ACQUIRE) < 2)
		sched_yield();
	ASSERT_EQ(__atomic_load_n(&cr.state, __ATOMIC_ACQUIRE), 2) {
		TH_LOG("fork from the creator thread failed");
	}
	ids[0] = cr.tid;
	ids[1] = cr.made.tid;
	ids[2] = cr.child;
	assert_ids(_metadata, at(b, "tasks"), ids, 3);
	ids[0] = getpid();
	ids[1] = cr.child;
	assert_ids(_metadata, at(b, "cgroup.procs"), ids, 2);
	ids[0] = gettid_();
	assert_ids(_metadata, at(a, "tasks"), ids, 1);
	assert_ids(_metadata, at(a, "cgroup.procs"), ids, 1);

	/* All three exit: b empties (threads leave after their join, so poll). */
	close(rel[1]);
	ASSERT_EQ(pthread_join(cr.th, NULL), 0);
	wait_ids(_metadata, at(b, "tasks"), NULL, 0);
	assert_empty(_metadata, at(b, "cgroup.procs"));
	assert_ids(_metadata, at(a, "tasks"), ids, 1);
}

/* An exiting thread leaves its group; its process stays listed by its other threads. */
TEST_F(tasks, exit_removes_thread)
{
	const char *a = self->grp[0];
	struct waiter w[2];
	int p[2][2];
	pid_t ids[3];

	write_ok(_metadata, at(a, "tasks"), "0");
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(pipe2(p[i], O_CLOEXEC), 0);
		start_waiter(_metadata, &w[i], p[i][0]);
	}
	ids[0] = gettid_();
	ids[1] = w[0].tid;
	ids[2] = w[1].tid;
	assert_ids(_metadata, at(a, "tasks"), ids, 3);

	close(p[0][1]);
	ASSERT_EQ(pthread_join(w[0].th, NULL), 0);
	ids[1] = w[1].tid;
	wait_ids(_metadata, at(a, "tasks"), ids, 2);
	assert_ids(_metadata, at(a, "cgroup.procs"), ids, 1);

	close(p[1][1]);
	ASSERT_EQ(pthread_join(w[1].th, NULL), 0);
	wait_ids(_metadata, at(a, "tasks"), ids, 1);
	ASSERT_FALSE(lists(at(self->mnt[0], "tasks"), w[0].tid));
	ASSERT_FALSE(lists(at(self->mnt[0], "tasks"), w[1].tid));
}

/* In a holder whose leader exits: the main thread waits on fd 5, then exits alone. */
static void spawn_leader_exit_holder(struct __test_metadata *_metadata, struct holder *h,
				     int nr, int *cmd_wfd)
{
	int rel[2], rep[2], cmd[2];

	ASSERT_EQ(pipe2(rel, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(rep, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(cmd, O_CLOEXEC), 0);
	h->nr = nr;
	h->pid = fork();
	ASSERT_GE(h->pid, 0);
	if (!h->pid) {
		pthread_t th;
		char c;

		if (dup2(rel[0], 3) < 0 || dup2(rep[1], 4) < 0 || dup2(cmd[0], 5) < 0)
			_exit(1);
		close_from(6);
		for (int i = 1; i < nr; i++)
			if (pthread_create(&th, NULL, holder_thread, NULL))
				_exit(1);
		h->tids[0] = getpid();
		if (write(4, &h->tids[0], sizeof(pid_t)) != sizeof(pid_t))
			_exit(1);
		if (read(5, &c, 1) == 1)
			pthread_exit(NULL);
		_exit(0);
	}
	close(rel[0]);
	close(rep[1]);
	close(cmd[0]);
	h->wfd = rel[1];
	*cmd_wfd = cmd[1];
	for (int i = 0; i < nr; i++)
		ASSERT_EQ(read(rep[0], &h->tids[i], sizeof(pid_t)), (ssize_t)sizeof(pid_t));
	close(rep[0]);
	qsort(h->tids, nr, sizeof(pid_t), cmp_pid);
}

/*
 * The leader exits before its other threads: it leaves the group, the
 * process is still listed in cgroup.procs, and writing its id to
 * cgroup.procs moves the threads that are alive.
 */
TEST_F(tasks, exited_leader_procs)
{
	const char *a = self->grp[0], *b = self->grp[1];
	pid_t live[MAX_THREADS];
	struct holder h;
	int cmd, n = 0, ret;
	char c = 'x';

	spawn_leader_exit_holder(_metadata, &h, 3, &cmd);
	for (int i = 0; i < h.nr; i++)
		if (h.tids[i] != h.pid)
			live[n++] = h.tids[i];
	write_id_ok(_metadata, at(a, "cgroup.procs"), h.pid);
	assert_ids(_metadata, at(a, "tasks"), h.tids, h.nr);

	ASSERT_EQ(write(cmd, &c, 1), 1);
	wait_ids(_metadata, at(a, "tasks"), live, n);
	assert_ids(_metadata, at(a, "cgroup.procs"), &h.pid, 1);

	write_id_ok(_metadata, at(b, "cgroup.procs"), h.pid);
	assert_ids(_metadata, at(b, "tasks"), live, n);
	assert_ids(_metadata, at(b, "cgroup.procs"), &h.pid, 1);
	assert_empty(_metadata, at(a, "tasks"));
	assert_empty(_metadata, at(a, "cgroup.procs"));

	/* The exited leader is listed nowhere; alone, through tasks, not moved. */
	ASSERT_FALSE(lists(at(self->mnt[0], "tasks"), h.pid));
	ret = write_id(at(a, "tasks"), h.pid);
	assert_err(_metadata, ret, variant->exited_task_err,
		   "moving the exited leader through tasks");
	assert_empty(_metadata, at(a, "tasks"));
	assert_ids(_metadata, at(b, "tasks"), live, n);
	close(cmd);
	release_holder(_metadata, &h);
}

/* ---------------------------------------------------------------------- */
/* Pid namespaces                                                         */
/* ---------------------------------------------------------------------- */

/* What the init of the new pid namespace saw and did. */
struct ns_report {
	char a_tasks[TEXT_BUF];
	char a_procs[TEXT_BUF];
	char root_tasks[TEXT_BUF];
	char b_tasks[TEXT_BUF];
	char root_procs[TEXT_BUF];
	int move_sibling;
	int move_outsider;
	int move_self;
	int failed;
};

static void copy_listing(char *dst, const char *path)
{
	char *buf = read_chunks(path, SMALL_READ);

	snprintf(dst, TEXT_BUF, "%s", buf ? buf : "(error)");
	free(buf);
}

/*
 * Forks, after unshare(CLONE_NEWPID), the init of a new pid namespace: it
 * moves itself into a, forks its second task (pid 2 there) and reads the
 * listings; with @do_write, then moves pid 2 into b, tries @outsider (a task
 * without an id in the namespace), moves itself into b and reads b. Returns
 * its global pid; @r is filled when @done_fd becomes readable.
 */
static pid_t start_ns_init(struct __test_metadata *_metadata, struct _test_data_tasks *self,
			   struct ns_report *r, bool do_write, pid_t outsider, int *rel_wfd)
{
	const char *a = self->grp[0], *b = self->grp[1];
	int rel[2], rep[2];
	pid_t init;
	char c;

	ASSERT_EQ(pipe2(rel, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(rep, O_CLOEXEC), 0);
	ASSERT_EQ(unshare(CLONE_NEWPID), 0) {
		TH_LOG("unshare(CLONE_NEWPID): %s", strerror(errno));
	}
	init = fork();
	ASSERT_GE(init, 0);
	if (!init) {
		char a_tasks[PATH_MAX], a_procs[PATH_MAX], b_tasks[PATH_MAX], b_procs[PATH_MAX];
		char root_tasks[PATH_MAX], root_procs[PATH_MAX];
		pid_t second;

		snprintf(a_tasks, sizeof(a_tasks), "%s/tasks", a);
		snprintf(a_procs, sizeof(a_procs), "%s/cgroup.procs", a);
		snprintf(b_tasks, sizeof(b_tasks), "%s/tasks", b);
		snprintf(b_procs, sizeof(b_procs), "%s/cgroup.procs", b);
		snprintf(root_tasks, sizeof(root_tasks), "%s/tasks", self->mnt[0]);
		snprintf(root_procs, sizeof(root_procs), "%s/cgroup.procs", self->mnt[0]);
		close(rel[1]);
		r->failed = getpid() != 1 || write_str(a_procs, "0");
		second = fork();
		if (second < 0)
			_exit(1);
		if (!second) {
			while (read(rel[0], &c, 1) > 0)
				;
			_exit(0);
		}
		r->failed |= second != 2;
		copy_listing(r->a_tasks, a_tasks);
		copy_listing(r->a_procs, a_procs);
		copy_listing(r->root_tasks, root_tasks);
		copy_listing(r->root_procs, root_procs);
		if (do_write) {
			r->move_sibling = write_str(b_tasks, "2");
			r->move_outsider = write_id(b_tasks, outsider);
			r->move_self = write_str(b_procs, "1");
			copy_listing(r->b_tasks, b_tasks);
		}
		if (write(rep[1], "d", 1) != 1)
			_exit(1);
		while (read(rel[0], &c, 1) > 0)
			;
		waitpid(second, NULL, 0);
		_exit(0);
	}
	close(rel[0]);
	close(rep[1]);
	*rel_wfd = rel[1];
	ASSERT_EQ(read(rep[0], &c, 1), 1) {
		TH_LOG("the namespace's init did not report");
	}
	close(rep[0]);
	return init;
}

/*
 * A reader in another pid namespace sees the ids of that namespace, and
 * tasks without an id there are left out.
 */
TEST_F(tasks, pidns_reader_sees_own_ids)
{
	const char *a = self->grp[0];
	struct ns_report *r;
	struct holder h;
	pid_t init, ids[3];
	char *buf;
	int rel;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(r, MAP_FAILED);
	memset(r, 0, sizeof(*r));
	spawn_holder(_metadata, &h, 1);
	write_id_ok(_metadata, at(a, "tasks"), h.pid);
	init = start_ns_init(_metadata, self, r, false, 0, &rel);
	ASSERT_EQ(r->failed, 0);
	EXPECT_STREQ("1\n2\n", r->a_tasks);
	EXPECT_STREQ("1\n2\n", r->a_procs);
	/* Every other task of the root group has no id in the namespace. */
	EXPECT_STREQ("", r->root_tasks);
	EXPECT_STREQ("", r->root_procs);

	/* Seen from here: the holder, the init and its child, by global ids. */
	buf = read_chunks(at(a, "tasks"), LARGE_READ);
	ASSERT_NE(buf, NULL);
	ASSERT_TRUE(lists(at(a, "tasks"), init));
	ASSERT_TRUE(lists(at(a, "tasks"), h.pid));
	ids[0] = h.pid;
	ids[1] = init;
	ids[2] = 0;
	for (char *p = buf; *p; p = strchr(p, '\n') + 1)
		if (atoi(p) != h.pid && atoi(p) != init)
			ids[2] = atoi(p);
	free(buf);
	ASSERT_GT(ids[2], 2);
	assert_ids(_metadata, at(a, "tasks"), ids, 3);
	close(rel);
	ASSERT_EQ(waitpid(init, NULL, 0), init);
	release_holder(_metadata, &h);
	munmap(r, sizeof(*r));
}

/*
 * A writer in another pid namespace names tasks by the ids of that
 * namespace: "2" is its second task, not kthreadd; a task without an id
 * there cannot be named.
 */
TEST_F(tasks, pidns_writer_uses_own_ids)
{
	const char *a = self->grp[0], *b = self->grp[1];
	pid_t init, second = 0, ids[2];
	struct ns_report *r;
	struct holder h;
	char *buf;
	int rel;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(r, MAP_FAILED);
	memset(r, 0, sizeof(*r));
	spawn_holder(_metadata, &h, 1);
	write_id_ok(_metadata, at(a, "tasks"), h.pid);
	init = start_ns_init(_metadata, self, r, true, h.pid, &rel);
	ASSERT_EQ(r->failed, 0);
	assert_err(_metadata, r->move_sibling, 0, "moving pid 2 of the namespace");
	assert_err(_metadata, r->move_outsider, ESRCH,
		   "moving a task without an id in the namespace by its global id");
	assert_err(_metadata, r->move_self, 0, "moving pid 1 of the namespace");
	EXPECT_STREQ("1\n2\n", r->b_tasks);

	buf = read_chunks(at(b, "tasks"), LARGE_READ);
	ASSERT_NE(buf, NULL);
	for (char *p = buf; *p; p = strchr(p, '\n') + 1)
		if (atoi(p) != init)
			second = atoi(p);
	free(buf);
	ASSERT_GT(second, 2);
	ids[0] = init;
	ids[1] = second;
	assert_ids(_metadata, at(b, "tasks"), ids, 2);
	assert_ids(_metadata, at(a, "tasks"), &h.pid, 1);
	ASSERT_TRUE(lists(at(self->mnt[0], "tasks"), 2));
	close(rel);
	ASSERT_EQ(waitpid(init, NULL, 0), init);
	release_holder(_metadata, &h);
	munmap(r, sizeof(*r));
}

/* ---------------------------------------------------------------------- */
/* Large groups and moves racing with thread creation                     */
/* ---------------------------------------------------------------------- */

/* Threads of the test that wait on one pipe. */
struct crowd {
	pthread_t *th;
	pid_t *tids;
	int n;
	/* Threads that took an index; threads that wrote their id. */
	int started;
	int reported;
	int rel[2];
};

static void *crowd_member(void *arg)
{
	struct crowd *c = arg;
	int i = __atomic_fetch_add(&c->started, 1, __ATOMIC_ACQ_REL);
	char x;

	c->tids[i] = gettid_();
	__atomic_fetch_add(&c->reported, 1, __ATOMIC_RELEASE);
	while (read(c->rel[0], &x, 1) > 0)
		;
	return NULL;
}

/*
 * Starts @n - 1 threads, so that the test process has @n; tids[] holds
 * every thread id, the caller's included. Returns 0 or a negative errno.
 */
static int crowd_start(struct crowd *c, int n)
{
	pthread_attr_t attr;
	int err = 0;

	c->th = calloc(n, sizeof(*c->th));
	c->tids = calloc(n, sizeof(*c->tids));
	c->started = 0;
	c->reported = 0;
	c->n = 1;
	if (!c->th || !c->tids || pipe2(c->rel, O_CLOEXEC))
		return -ENOMEM;
	c->tids[n - 1] = gettid_();
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN + 16384);
	for (; c->n < n; c->n++) {
		err = -pthread_create(&c->th[c->n - 1], &attr, crowd_member, c);
		if (err)
			break;
	}
	pthread_attr_destroy(&attr);
	/* Until every started thread has written its id. */
	while (__atomic_load_n(&c->reported, __ATOMIC_ACQUIRE) < c->n - 1)
		sched_yield();
	/* The caller's id goes last: tids[0 .. n-2] are the threads'. */
	if (c->n < n)
		c->tids[c->n - 1] = c->tids[n - 1];
	return err;
}

static void crowd_stop(struct crowd *c)
{
	close(c->rel[1]);
	for (int i = 0; i < c->n - 1; i++)
		pthread_join(c->th[i], NULL);
	close(c->rel[0]);
	free(c->th);
	free(c->tids);
}

/*
 * MANY_TASKS threads started in a group are all listed, in order, whatever
 * the read size; cgroup.procs lists their process once.
 */
TEST_F_TIMEOUT(tasks, many_tasks_listed, 300)
{
	const char *a = self->grp[0];
	pid_t pid = getpid();
	struct crowd c;
	int err;

	write_ok(_metadata, at(a, "cgroup.procs"), "0");
	err = crowd_start(&c, MANY_TASKS);
	ASSERT_EQ(err, 0) {
		TH_LOG("started %d of %d threads: %s", c.n, MANY_TASKS, err_str(err));
		crowd_stop(&c);
	}
	assert_ids(_metadata, at(a, "tasks"), c.tids, c.n);
	assert_ids(_metadata, at(a, "cgroup.procs"), &pid, 1);
	crowd_stop(&c);
	wait_ids(_metadata, at(a, "tasks"), &pid, 1);
}

/* cgroup.procs moves a process of MANY_TASKS threads, all of them. */
TEST_F_TIMEOUT(tasks, many_tasks_procs_move, 300)
{
	const char *b = self->grp[1];
	pid_t pid = getpid();
	struct crowd c;
	int err;

	err = crowd_start(&c, MANY_TASKS);
	ASSERT_EQ(err, 0) {
		TH_LOG("started %d of %d threads: %s", c.n, MANY_TASKS, err_str(err));
		crowd_stop(&c);
	}
	write_id_ok(_metadata, at(b, "cgroup.procs"), pid);
	assert_ids(_metadata, at(b, "tasks"), c.tids, c.n);
	assert_ids(_metadata, at(b, "cgroup.procs"), &pid, 1);
	write_id_ok(_metadata, at(self->mnt[0], "cgroup.procs"), pid);
	assert_empty(_metadata, at(b, "tasks"));
	crowd_stop(&c);
}

/* The state of procs_moves_threads_being_created, shared with its spawner thread. */
struct spawner {
	pthread_t th;
	pid_t tid;
	/* Rounds asked for and done; creating while active. */
	int round;
	int done;
	int active;
	int quit;
	int rel_fd;
	int nr;
	struct waiter w[CREATE_ROUNDS * CREATE_PER_ROUND];
};

static void *spawner_main(void *arg)
{
	struct spawner *s = arg;
	int done = 0;

	s->tid = gettid_();
	for (;;) {
		int n = 0;

		while (__atomic_load_n(&s->round, __ATOMIC_ACQUIRE) == done &&
		       !__atomic_load_n(&s->quit, __ATOMIC_ACQUIRE))
			usleep(1000);
		if (__atomic_load_n(&s->quit, __ATOMIC_ACQUIRE))
			return NULL;
		while (__atomic_load_n(&s->active, __ATOMIC_ACQUIRE) && n < CREATE_PER_ROUND) {
			struct waiter *w = &s->w[s->nr];

			w->rfd = s->rel_fd;
			w->ready = 0;
			if (pthread_create(&w->th, NULL, waiter_main, w))
				break;
			while (!__atomic_load_n(&w->ready, __ATOMIC_ACQUIRE))
				sched_yield();
			n++;
			__atomic_store_n(&s->nr, s->nr + 1, __ATOMIC_RELEASE);
		}
		done++;
		__atomic_store_n(&s->done, done, __ATOMIC_RELEASE);
	}
}

/*
 * Writing to cgroup.procs while the process creates threads: once the write
 * has returned, every thread of the process -- the ones created during the
 * move included -- is in the new group. With @writer_from_root, the writing
 * thread goes back to the root before each write, while the others (the
 * spawner and its threads) are in a group: tcgroup does not walk the thread
 * group again when the only thread that left the root is the writer, since
 * the writer cannot create a thread while it writes.
 */
static void procs_move_while_creating(struct __test_metadata *_metadata,
				      struct _test_data_tasks *self, bool writer_from_root)
{
	const char *g[2] = { self->grp[0], self->grp[1] };
	pid_t ids[CREATE_ROUNDS * CREATE_PER_ROUND + 2];
	struct spawner *s = calloc(1, sizeof(*s));
	int rel[2];

	ASSERT_NE(s, NULL);
	ASSERT_EQ(pipe2(rel, O_CLOEXEC), 0);
	s->rel_fd = rel[0];
	ASSERT_EQ(pthread_create(&s->th, NULL, spawner_main, s), 0);
	for (int r = 1; r <= CREATE_ROUNDS; r++) {
		const char *to = g[r % 2], *from = g[(r + 1) % 2];
		int before = __atomic_load_n(&s->nr, __ATOMIC_ACQUIRE);
		double deadline = now_s() + POLL_LIMIT_S;
		int n = 0;

		if (writer_from_root)
			write_id_ok(_metadata, at(self->mnt[0], "tasks"), gettid_());
		__atomic_store_n(&s->active, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&s->round, r, __ATOMIC_RELEASE);
		/* Move while the spawner is at work. */
		while (__atomic_load_n(&s->nr, __ATOMIC_ACQUIRE) < before + 2 && now_s() < deadline)
			sched_yield();
		write_id_ok(_metadata, at(to, "cgroup.procs"), getpid());
		__atomic_store_n(&s->active, 0, __ATOMIC_RELEASE);
		while (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) < r && now_s() < deadline)
			usleep(1000);
		ASSERT_EQ(s->done, r) {
			TH_LOG("the spawner did not finish round %d", r);
		}
		ids[n++] = gettid_();
		ids[n++] = s->tid;
		for (int i = 0; i < s->nr; i++)
			ids[n++] = s->w[i].tid;
		assert_ids(_metadata, at(to, "tasks"), ids, n);
		assert_empty(_metadata, at(from, "tasks"));
		if (writer_from_root)
			ASSERT_FALSE(lists(at(self->mnt[0], "tasks"), gettid_()));
		TH_LOG("round %d: %d threads moved, %d created meanwhile", r, n,
		       s->nr - before);
	}
	__atomic_store_n(&s->quit, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(pthread_join(s->th, NULL), 0);
	close(rel[1]);
	for (int i = 0; i < s->nr; i++)
		pthread_join(s->w[i].th, NULL);
	free(s);
}

TEST_F_TIMEOUT(tasks, procs_moves_threads_being_created, 120)
{
	procs_move_while_creating(_metadata, self, false);
}

TEST_F_TIMEOUT(tasks, procs_writer_leaves_root_while_threads_are_created, 120)
{
	procs_move_while_creating(_metadata, self, true);
}

/* ---------------------------------------------------------------------- */
/* The debug subsystem                                                    */
/* ---------------------------------------------------------------------- */

/* Checks that the file @path reads exactly @expected. */
static void assert_text(struct __test_metadata *_metadata, const char *path,
			const char *expected)
{
	char *buf = read_chunks(path, LARGE_READ);

	ASSERT_NE(buf, NULL) {
		TH_LOG("reading %s: %s", path, strerror(errno));
	}
	EXPECT_STREQ(expected, buf) {
		TH_LOG("contents of %s", path);
	}
	free(buf);
}

static void assert_count(struct __test_metadata *_metadata, const char *path, int n)
{
	char text[32];

	snprintf(text, sizeof(text), "%d\n", n);
	assert_text(_metadata, path, text);
}

/* The churner of procs_move_with_threads_exiting: threads that exit at once. */
static void *exit_at_once(void *arg)
{
	return arg;
}

static void *churner_main(void *arg)
{
	int *quit = arg;
	pthread_t th;

	while (!__atomic_load_n(quit, __ATOMIC_ACQUIRE))
		if (!pthread_create(&th, NULL, exit_at_once, NULL))
			pthread_join(th, NULL);
	return NULL;
}

/*
 * Moves the calling process by cgroup.procs CHURN_MOVES times, to @even and
 * @odd in turn (ending in @odd), while churner_main() keeps creating threads
 * that exit at once; every write must succeed.
 */
#define CHURN_MOVES 500
static void move_process_while_churning(struct __test_metadata *_metadata,
					const char *even, const char *odd)
{
	pid_t pid = getpid();
	int quit = 0, failures = 0, ret = 0;
	pthread_t churner;

	ASSERT_EQ(pthread_create(&churner, NULL, churner_main, &quit), 0);
	for (int i = 0; i < CHURN_MOVES; i++) {
		ret = write_id(at(i % 2 ? odd : even, "cgroup.procs"), pid);
		if (ret) {
			failures++;
			TH_LOG("move %d: %s", i, err_str(-ret));
		}
	}
	__atomic_store_n(&quit, 1, __ATOMIC_RELEASE);
	pthread_join(churner, NULL);
	EXPECT_EQ(failures, 0);
}

/*
 * Moving a process through cgroup.procs while its threads keep exiting: the
 * exiting ones stay behind, as in v1, and every write succeeds. (tcgroup
 * failed a whole move with ESRCH when a thread began to exit during it.)
 */
TEST_F_TIMEOUT(tasks, procs_move_with_threads_exiting, 120)
{
	pid_t pid = getpid();

	move_process_while_churning(_metadata, self->grp[0], self->grp[1]);
	/* Only the main thread is left, in the last group written. */
	wait_ids(_metadata, at(self->grp[1], "tasks"), &pid, 1);
	assert_empty(_metadata, at(self->grp[0], "tasks"));
	/* Nothing else counts there either: a leaked reference would make it busy. */
	EXPECT_EQ(rmdir(self->grp[0]), 0) {
		TH_LOG("rmdir(%s): %s", self->grp[0], strerror(errno));
	}
}

/*
 * The same, with the process leaving the root group on every other write and
 * coming back on the next: the threads the churner creates meanwhile are in
 * the root group, and some of them begin to exit while the move gives them
 * their first entry. tcgroup's exit probe looks for a task's entry without
 * its lock, and a move takes back a first entry it gave a thread it then
 * finds exiting; whichever way each race goes, nothing stays behind: the
 * group empties, and no reference keeps it busy.
 */
TEST_F_TIMEOUT(tasks, procs_leaves_root_with_threads_exiting, 120)
{
	pid_t none[1];

	move_process_while_churning(_metadata, self->grp[0], self->mnt[0]);
	/* The last write took the process back to the root group. */
	wait_ids(_metadata, at(self->grp[0], "tasks"), none, 0);
	EXPECT_EQ(rmdir(self->grp[0]), 0) {
		TH_LOG("rmdir(%s): %s", self->grp[0], strerror(errno));
	}
}

/*
 * debug.taskcount counts a group's tasks whichever css_set they share with
 * the groups of another hierarchy: tasks that share x of the debug hierarchy
 * but are in different groups of the first hierarchy, moves in the first
 * hierarchy that must not change x, moves and exits that must.
 */
TEST_F(tasks, debug_taskcount_across_hierarchies)
{
	const char *x, *y, *a = self->grp[0], *b = self->grp[1];
	struct holder p1, p2;

	if (!variant->has_debug)
		SKIP(return, "no debug subsystem on %s here", variant->fstype);
	mount_hier(_metadata, self, variant, 1, "debug");
	x = join2(self, 0);
	y = join2(self, 1);
	mkdir_ok(_metadata, x);
	mkdir_ok(_metadata, y);
	assert_count(_metadata, at(x, "debug.taskcount"), 0);

	spawn_holder(_metadata, &p1, 3);
	spawn_holder(_metadata, &p2, 2);
	write_id_ok(_metadata, at(x, "cgroup.procs"), p1.pid);
	write_id_ok(_metadata, at(x, "cgroup.procs"), p2.pid);
	assert_count(_metadata, at(x, "debug.taskcount"), 5);
	/* Two css_sets {a, x} and {b, x}; then one thread of p1 in {b, x}. */
	write_id_ok(_metadata, at(a, "cgroup.procs"), p1.pid);
	write_id_ok(_metadata, at(b, "cgroup.procs"), p2.pid);
	write_id_ok(_metadata, at(b, "tasks"), p1.tids[0]);
	assert_count(_metadata, at(x, "debug.taskcount"), 5);
	assert_count(_metadata, at(y, "debug.taskcount"), 0);
	/* The first hierarchy has no debug files; its listings agree. */
	assert_ids(_metadata, at(a, "tasks"), &p1.tids[1], 2);
	/* Out of x: one thread, then a whole process. */
	write_id_ok(_metadata, at(y, "tasks"), p2.tids[1]);
	assert_count(_metadata, at(x, "debug.taskcount"), 4);
	assert_count(_metadata, at(y, "debug.taskcount"), 1);
	write_id_ok(_metadata, at(self->mnt[1], "cgroup.procs"), p1.pid);
	assert_count(_metadata, at(x, "debug.taskcount"), 1);
	assert_ids(_metadata, at(x, "tasks"), &p2.tids[0], 1);
	/* p1 left x but not a and b. */
	assert_ids(_metadata, at(a, "tasks"), &p1.tids[1], 2);
	/* Exits. */
	release_holder(_metadata, &p2);
	assert_count(_metadata, at(x, "debug.taskcount"), 0);
	assert_count(_metadata, at(y, "debug.taskcount"), 0);
	release_holder(_metadata, &p1);
	assert_empty(_metadata, at(a, "tasks"));
	assert_empty(_metadata, at(b, "tasks"));
	/* Tasks are not references of debug.refcount: only debug.hold is. */
	assert_count(_metadata, at(x, "debug.refcount"), 0);
}

/* debug.taskcount follows fork, thread creation and exit. */
TEST_F(tasks, debug_taskcount_fork_exit)
{
	pid_t child, me = gettid_();
	int p[2], rel[2];
	struct waiter w;
	const char *x;
	char c;

	if (!variant->has_debug)
		SKIP(return, "no debug subsystem on %s here", variant->fstype);
	mount_hier(_metadata, self, variant, 1, "debug");
	x = join2(self, 0);
	mkdir_ok(_metadata, x);
	write_ok(_metadata, at(x, "tasks"), "0");
	assert_count(_metadata, at(x, "debug.taskcount"), 1);
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	start_waiter(_metadata, &w, p[0]);
	assert_count(_metadata, at(x, "debug.taskcount"), 2);
	ASSERT_EQ(pipe2(rel, O_CLOEXEC), 0);
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		close(rel[1]);
		while (read(rel[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(rel[0]);
	assert_count(_metadata, at(x, "debug.taskcount"), 3);
	close(rel[1]);
	ASSERT_EQ(waitpid(child, NULL, 0), child);
	assert_count(_metadata, at(x, "debug.taskcount"), 2);
	close(p[1]);
	ASSERT_EQ(pthread_join(w.th, NULL), 0);
	wait_ids(_metadata, at(x, "tasks"), &me, 1);
	assert_count(_metadata, at(x, "debug.taskcount"), 1);
}

/* ---------------------------------------------------------------------- */
/* Membership under concurrency, across hierarchies                       */
/* ---------------------------------------------------------------------- */

/* Rounds, and threads created per round, of threads_created_during_moves_keep_groups. */
#define XHIER_ROUNDS 5
#define XHIER_THREADS 1200

/*
 * The ids listed in @path, sorted, in a malloc()ed array of *@n (NULL with
 * *@n 0 if unreadable).
 */
static pid_t *listed_ids(const char *path, int *n)
{
	char *buf = read_chunks(path, LARGE_READ), *p;
	pid_t *ids;
	int cap = 0;

	*n = 0;
	if (!buf)
		return NULL;
	for (p = buf; *p; p++)
		cap += *p == '\n';
	ids = malloc((cap + 1) * sizeof(*ids));
	if (ids) {
		for (p = buf; *p; p = strchr(p, '\n') + 1) {
			ids[(*n)++] = atoi(p);
			if (!strchr(p, '\n'))
				break;
		}
		qsort(ids, *n, sizeof(*ids), cmp_pid);
	}
	free(buf);
	return ids;
}

static bool has_id(const pid_t *ids, int n, pid_t id)
{
	return !!bsearch(&id, ids, n, sizeof(*ids), cmp_pid);
}

/*
 * The thread ids of process @pid (/proc/PID/task, in the thread list's
 * order: the newest last), in a malloc()ed array of *@n.
 */
static pid_t *proc_tids(pid_t pid, int *n)
{
	char path[64];
	struct dirent *d;
	pid_t *ids = NULL, *bigger;
	int cap = 0;
	DIR *dir;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return NULL;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			bigger = realloc(ids, cap * sizeof(*ids));
			if (!bigger)
				break;
			ids = bigger;
		}
		ids[(*n)++] = atoi(d->d_name);
	}
	closedir(dir);
	return ids;
}

/*
 * Moves the newest thread of process @pid, likely one being created, alone
 * into @group through its tasks file: 0 or -errno.
 */
static int move_newest_thread(pid_t pid, const char *group)
{
	pid_t *tids;
	int n, ret = 0;

	tids = proc_tids(pid, &n);
	if (n)
		ret = write_id(at(group, "tasks"), tids[n - 1]);
	free(tids);
	return ret;
}

/* In a creator: a thread that waits until the release pipe (fd 3) closes. */
static void *idle_thread(void *arg)
{
	char c;

	(void)arg;
	while (read(3, &c, 1) > 0)
		;
	return NULL;
}

/*
 * Forks a creator: once it reads a byte from its command pipe it creates
 * @n threads that wait on its release pipe, writes how many it created to
 * its report pipe and waits too. *@cmd, *@rel: the write ends of its command
 * and release pipes; *@rep: the read end of its report pipe (non-blocking).
 */
static pid_t spawn_creator(struct __test_metadata *_metadata, int n, int *cmd, int *rel,
			   int *rep)
{
	int c[2], r[2], p[2];
	pid_t pid;

	ASSERT_EQ(pipe2(c, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(r, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		pthread_attr_t attr;
		pthread_t th;
		int made = 0;
		char x;

		if (dup2(r[0], 3) < 0 || dup2(p[1], 4) < 0 || dup2(c[0], 5) < 0)
			_exit(1);
		close_from(6);
		if (read(5, &x, 1) != 1)
			_exit(0);
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN + 16384);
		while (made < n && !pthread_create(&th, &attr, idle_thread, NULL))
			made++;
		if (write(4, &made, sizeof(made)) != sizeof(made))
			_exit(1);
		while (read(3, &x, 1) > 0)
			;
		_exit(0);
	}
	close(c[0]);
	close(r[0]);
	close(p[1]);
	ASSERT_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	*cmd = c[1];
	*rel = r[1];
	*rep = p[0];
	return pid;
}

/*
 * A process in group x of one hierarchy creates XHIER_THREADS threads while
 * the test moves it back and forth between a and b of another, through
 * cgroup.procs and, every fourth move, its newest thread through tasks. Afterwards every
 * thread is still in x, and in a or b, none in the second root. v1 excludes
 * the race with cgroup_threadgroup_rwsem; tcgroup's fork probe runs after the
 * new thread is on the thread list, and a move that met it there before the
 * probe took it for a task of the root groups and lost x (6079 of 9006
 * threads missing from x in 6 rounds on 7.3).
 */
TEST_F_TIMEOUT(tasks, threads_created_during_moves_keep_groups, 300)
{
	const char *x, *g[2] = { self->grp[0], self->grp[1] };
	int missing = 0, in_root = 0, failures = 0, unborn = 0;

	mount_hier(_metadata, self, variant, 1, "none");
	x = join2(self, 0);
	mkdir_ok(_metadata, x);
	for (int r = 0; r < XHIER_ROUNDS; r++) {
		int cmd, rel, rep, made, nt, nx, nr, moves = 0, m = 0, r_m = 0;
		double deadline = now_s() + 60;
		pid_t *tids, *xs, *roots;
		char xpath[PATH_MAX];
		pid_t pid;

		pid = spawn_creator(_metadata, XHIER_THREADS, &cmd, &rel, &rep);
		write_id_ok(_metadata, at(x, "cgroup.procs"), pid);
		write_id_ok(_metadata, at(g[0], "cgroup.procs"), pid);
		ASSERT_EQ(write(cmd, "g", 1), 1);
		while (read(rep, &made, sizeof(made)) != (ssize_t)sizeof(made)) {
			const char *to = g[++moves % 2];
			int ret = write_id(at(to, "cgroup.procs"), pid);

			if (ret) {
				failures++;
				TH_LOG("round %d, move %d to %s: %s", r, moves, to, err_str(ret));
			}
			/*
			 * Threads are only created: nothing exits, no move fails,
			 * but the one of a thread id listed in /proc before its pid
			 * is attached (copy_process() does both under
			 * tasklist_lock), which both filesystems find by pid.
			 */
			ret = moves % 4 == 1 ? move_newest_thread(pid, g[(moves + 1) % 2]) : 0;
			if (ret == -ESRCH) {
				unborn++;
			} else if (ret) {
				failures++;
				TH_LOG("round %d: moving a thread alone: %s", r, err_str(ret));
			}
			ASSERT_LT(now_s(), deadline) {
				TH_LOG("round %d: the creator did not report", r);
			}
		}
		tids = proc_tids(pid, &nt);
		snprintf(xpath, sizeof(xpath), "%s/tasks", x);
		xs = listed_ids(xpath, &nx);
		roots = listed_ids(at(self->mnt[0], "tasks"), &nr);
		for (int i = 0; i < nt; i++) {
			if (!has_id(xs, nx, tids[i]))
				m++;
			if (has_id(roots, nr, tids[i]))
				r_m++;
		}
		TH_LOG("round %d: %d threads (%d created, %d moves), %d missing from x, %d in root",
		       r, nt, made, moves, m, r_m);
		missing += m;
		in_root += r_m;
		EXPECT_EQ(nt, made + 1);
		free(tids);
		free(xs);
		free(roots);
		close(rel);
		close(cmd);
		close(rep);
		ASSERT_EQ(waitpid(pid, NULL, 0), pid);
	}
	TH_LOG("%d single-thread moves found no task by that id yet", unborn);
	EXPECT_EQ(missing, 0);
	EXPECT_EQ(in_root, 0);
	EXPECT_EQ(failures, 0);
}

/*
 * Sets up io_uring with an SQPOLL thread and a read of @rfd (an empty pipe)
 * that an io-wq worker blocks in: 0, or -errno with *@setup_failed set if
 * io_uring_setup() itself failed (no io_uring here).
 */
static int uring_with_workers(int rfd, int *setup_failed)
{
	static char buf[16];
	struct io_uring_params p = {
		.flags = IORING_SETUP_SQPOLL,
		.sq_thread_idle = 60000,
	};
	struct io_uring_sqe *sqes, *sqe;
	unsigned int *tail, *mask, *array, *flags, t, i;
	void *sq;
	int fd;

	fd = syscall(__NR_io_uring_setup, 4, &p);
	*setup_failed = fd < 0;
	if (fd < 0)
		return -errno;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned int),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || sqes == MAP_FAILED)
		return -errno;
	tail = (unsigned int *)((char *)sq + p.sq_off.tail);
	mask = (unsigned int *)((char *)sq + p.sq_off.ring_mask);
	array = (unsigned int *)((char *)sq + p.sq_off.array);
	flags = (unsigned int *)((char *)sq + p.sq_off.flags);
	/* A read of an empty pipe, punted to an io-wq worker, where it blocks. */
	t = *tail;
	i = t & *mask;
	sqe = &sqes[i];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	sqe->flags = IOSQE_ASYNC;
	sqe->fd = rfd;
	sqe->addr = (unsigned long)buf;
	sqe->len = sizeof(buf);
	sqe->off = -1;
	array[i] = i;
	__atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
	if (__atomic_load_n(flags, __ATOMIC_ACQUIRE) & IORING_SQ_NEED_WAKEUP)
		syscall(__NR_io_uring_enter, fd, 0, 0, IORING_ENTER_SQ_WAKEUP, NULL, 0);
	return 0;
}

/*
 * io_uring's worker threads -- the SQPOLL thread and an io-wq worker that an
 * IOSQE_ASYNC read makes -- are threads of the process that made them and
 * start in its groups, as cgroup_post_fork() places them in v1.
 * create_io_thread() calls copy_process() directly, without kernel_clone()'s
 * sched_process_fork: tcgroup left them in the root groups, and the root's
 * cgroup.procs listed the process.
 */
TEST_F(tasks, io_uring_workers_in_process_group)
{
	const char *a = self->grp[0];
	int c[2], r[2], p[2], res[2] = { 0, 0 }, nt = 0;
	double deadline;
	pid_t pid, *tids = NULL;
	char x;

	ASSERT_EQ(pipe2(c, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(r, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int io[2];

		close(c[1]);
		close(r[1]);
		close(p[0]);
		if (read(c[0], &x, 1) != 1 || pipe(io))
			_exit(1);
		res[0] = uring_with_workers(io[0], &res[1]);
		if (write(p[1], res, sizeof(res)) != sizeof(res))
			_exit(1);
		while (read(r[0], &x, 1) > 0)
			;
		_exit(0);
	}
	close(c[0]);
	close(r[0]);
	close(p[1]);
	write_id_ok(_metadata, at(a, "cgroup.procs"), pid);
	ASSERT_EQ(write(c[1], "g", 1), 1);
	ASSERT_EQ(read(p[0], res, sizeof(res)), (ssize_t)sizeof(res));
	if (res[1]) {
		close(r[1]);
		waitpid(pid, NULL, 0);
		SKIP(return, "io_uring_setup() with SQPOLL: %s", err_str(res[0]));
	}
	ASSERT_EQ(res[0], 0) {
		TH_LOG("submitting to io_uring: %s", err_str(res[0]));
	}
	/* The main thread, the SQPOLL thread and the io-wq worker. */
	deadline = now_s() + POLL_LIMIT_S;
	for (;;) {
		free(tids);
		tids = proc_tids(pid, &nt);
		if (nt >= 3 || now_s() > deadline)
			break;
		usleep(POLL_STEP_US);
	}
	ASSERT_GE(nt, 3) {
		TH_LOG("the process has %d threads, not its io_uring workers", nt);
	}
	for (int i = 0; i < nt; i++) {
		char path[64], comm[32] = "";

		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tids[i]);
		read_file(path, comm, sizeof(comm));
		comm[strcspn(comm, "\n")] = '\0';
		EXPECT_TRUE(lists(at(a, "tasks"), tids[i])) {
			TH_LOG("thread %d (%s) is not in %s", tids[i], comm, a);
		}
		EXPECT_FALSE(lists(at(self->mnt[0], "tasks"), tids[i])) {
			TH_LOG("thread %d (%s) is in the root group", tids[i], comm);
		}
	}
	EXPECT_FALSE(lists(at(self->mnt[0], "cgroup.procs"), pid));
	free(tids);
	close(r[1]);
	close(c[1]);
	close(p[0]);
	ASSERT_EQ(waitpid(pid, NULL, 0), pid);
}

/* The line @key of the root's membership.stats under @mnt; -1 if none. */
static long membership_stat(const char *mnt, const char *key)
{
	char buf[512], *p;
	size_t n = strlen(key);

	if (read_file(at(mnt, "membership.stats"), buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ' ')
			return atol(p + n + 1);
	return -1;
}

/* The css_sets line of the root's membership.stats under @mnt; -1 if none. */
static long listed_css_sets(const char *mnt)
{
	return membership_stat(mnt, "css_sets");
}

/*
 * A cgroup.procs write whose written task's css_set moves nothing -- the
 * exited leader's, the root groups -- while its other thread goes to a
 * css_set in use: the one listed for the leader's has no user and is
 * unlisted again. tcgroup kept it listed, with its groups, until module
 * exit. The root's membership.stats counts the css_sets listed: once
 * everything is gone it is back to its value before. (tcgroup's; v1 has no
 * such count.)
 */
TEST_F(tasks, css_sets_unlisted_after_partial_moves)
{
	const char *a = self->grp[0], *b = self->grp[1], *x;
	pid_t live, both[2];
	struct holder h, q;
	long before, after;
	int cmd;

	if (strcmp(variant->fstype, "tcgroup"))
		SKIP(return, "%s counts no css_sets", variant->fstype);
	mount_hier(_metadata, self, variant, 1, "none");
	x = join2(self, 0);
	mkdir_ok(_metadata, x);
	before = listed_css_sets(self->mnt[0]);
	ASSERT_GE(before, 0);
	spawn_leader_exit_holder(_metadata, &h, 2, &cmd);
	live = h.tids[h.tids[0] == h.pid ? 1 : 0];
	spawn_holder(_metadata, &q, 1);
	write_id_ok(_metadata, at(x, "cgroup.procs"), h.pid);
	write_id_ok(_metadata, at(a, "cgroup.procs"), h.pid);
	write_id_ok(_metadata, at(x, "cgroup.procs"), q.pid);
	write_id_ok(_metadata, at(b, "cgroup.procs"), q.pid);
	/* The leader exits: it leaves every group; its thread stays in {x, a}. */
	ASSERT_EQ(write(cmd, "x", 1), 1);
	wait_ids(_metadata, at(a, "tasks"), &live, 1);
	/* {b} is new, for the leader, which is not moved; {x, b} is in use. */
	write_id_ok(_metadata, at(b, "cgroup.procs"), h.pid);
	both[0] = live;
	both[1] = q.pid;
	assert_ids(_metadata, at(b, "tasks"), both, 2);
	close(cmd);
	release_holder(_metadata, &h);
	release_holder(_metadata, &q);
	EXPECT_EQ(rmdir(a), 0);
	EXPECT_EQ(rmdir(b), 0);
	EXPECT_EQ(rmdir(x), 0);
	after = listed_css_sets(self->mnt[0]);
	EXPECT_EQ(before, after) {
		TH_LOG("css_sets listed: %ld before, %ld after", before, after);
	}
}

/*
 * A process moved back to the root groups keeps its threads' task-map
 * entries, parked, so that its next move out takes none: the root's
 * membership.stats counts them (task_entries, task_entries_parked), and
 * both go back to their values before once the process has exited, which
 * frees parked entries as any other. Checked against the counts, since a
 * leaked entry is invisible to the ABI until its task's address is reused.
 * (tcgroup's; v1 keeps its links in task_struct.)
 */
TEST_F(tasks, parked_entries_go_with_their_tasks)
{
	const char *a = self->grp[0];
	long entries, parked, e, pk;
	struct holder h;
	double deadline;
	int nr = 8;

	if (strcmp(variant->fstype, "tcgroup"))
		SKIP(return, "%s has no task map", variant->fstype);
	mount_hier(_metadata, self, variant, 1, "none");
	entries = membership_stat(self->mnt[0], "task_entries");
	parked = membership_stat(self->mnt[0], "task_entries_parked");
	ASSERT_GE(entries, 0);
	ASSERT_GE(parked, 0);
	spawn_holder(_metadata, &h, nr);
	write_id_ok(_metadata, at(a, "cgroup.procs"), h.pid);
	EXPECT_EQ(membership_stat(self->mnt[0], "task_entries"), entries + nr);
	EXPECT_EQ(membership_stat(self->mnt[0], "task_entries_parked"), parked);
	write_id_ok(_metadata, at(self->mnt[0], "cgroup.procs"), h.pid);
	assert_ids(_metadata, at(a, "tasks"), NULL, 0);
	EXPECT_EQ(membership_stat(self->mnt[0], "task_entries"), entries + nr);
	EXPECT_EQ(membership_stat(self->mnt[0], "task_entries_parked"), parked + nr);
	/* Out again: the parked entries change in place. */
	write_id_ok(_metadata, at(a, "cgroup.procs"), h.pid);
	assert_ids(_metadata, at(a, "tasks"), h.tids, nr);
	EXPECT_EQ(membership_stat(self->mnt[0], "task_entries"), entries + nr);
	EXPECT_EQ(membership_stat(self->mnt[0], "task_entries_parked"), parked);
	write_id_ok(_metadata, at(self->mnt[0], "cgroup.procs"), h.pid);
	release_holder(_metadata, &h);
	/* The exit probes ran before the reaping; a bounded poll all the same. */
	deadline = now_s() + POLL_LIMIT_S;
	do {
		e = membership_stat(self->mnt[0], "task_entries");
		pk = membership_stat(self->mnt[0], "task_entries_parked");
		if (e == entries && pk == parked)
			break;
		usleep(POLL_STEP_US);
	} while (now_s() < deadline);
	EXPECT_EQ(e, entries);
	EXPECT_EQ(pk, parked) {
		TH_LOG("task_entries %ld (%ld before), parked %ld (%ld before)", e, entries, pk,
		       parked);
	}
}

/* ---------------------------------------------------------------------- */
/* A task's groups: membership.lookup, and v1's /proc/PID/cgroup          */
/* ---------------------------------------------------------------------- */

/*
 * The path of task @id's group in hierarchy @name, as the filesystem reports
 * it: on tcgroup, membership.lookup in the root @mnt with @id written to the
 * open file first (0: nothing written, the reader's); on v1, /proc/ID/cgroup
 * (/proc/self/cgroup for 0). Returns 0 with the path in @path, or -errno.
 */
static int lookup_path(const struct _fixture_variant_tasks *variant, const char *mnt,
		       const char *name, pid_t id, char *path, size_t size)
{
	char buf[4096], want[NAME_BUF + 16], proc[64], *line;
	ssize_t ret;
	int fd;

	if (!strcmp(variant->fstype, "tcgroup")) {
		fd = open(at(mnt, "membership.lookup"), O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		/* The write leaves the offset at 0: the read shows that task. */
		ret = id ? write_id_fd(fd, id) : 0;
		if (!ret)
			ret = read_fd(fd, buf, sizeof(buf));
		close(fd);
	} else {
		if (id)
			snprintf(proc, sizeof(proc), "/proc/%d/cgroup", id);
		else
			snprintf(proc, sizeof(proc), "/proc/self/cgroup");
		ret = read_file(proc, buf, sizeof(buf));
	}
	if (ret < 0)
		return ret;
	snprintf(want, sizeof(want), ":name=%s:", name);
	line = strstr(buf, want);
	if (!line)
		return -ENOENT;
	line += strlen(want);
	snprintf(path, size, "%.*s", (int)strcspn(line, "\n"), line);
	return 0;
}

/* Checks that task @id (0: the caller) is in @expected of the test's hierarchy. */
static void assert_lookup(struct __test_metadata *_metadata, struct _test_data_tasks *self,
			  const struct _fixture_variant_tasks *variant, pid_t id,
			  const char *expected)
{
	char path[PATH_MAX];
	int ret;

	ret = lookup_path(variant, self->mnt[0], self->names[0], id, path, sizeof(path));
	ASSERT_EQ(ret, 0) {
		TH_LOG("looking up task %d: %s", id, err_str(ret));
	}
	EXPECT_STREQ(expected, path) {
		TH_LOG("the group of task %d", id);
	}
}

/*
 * The lookup of a task's group follows it: one thread moved through tasks,
 * a whole process through cgroup.procs into a nested group, the rmdir of a
 * sibling of one of its ancestors, the reader itself; the same paths on
 * tcgroup (membership.lookup) as on v1 (/proc/PID/cgroup).
 */
TEST_F(tasks, lookup_follows_moves)
{
	const char *a = self->grp[0], *b = self->grp[1];
	char n1[PATH_MAX], n2[PATH_MAX], z[PATH_MAX];
	struct holder h;

	snprintf(n1, sizeof(n1), "%s/n1", a);
	snprintf(n2, sizeof(n2), "%s/n1/n2", a);
	snprintf(z, sizeof(z), "%s/z", a);
	mkdir_ok(_metadata, n1);
	mkdir_ok(_metadata, n2);
	mkdir_ok(_metadata, z);
	spawn_holder(_metadata, &h, 3);
	assert_lookup(_metadata, self, variant, h.pid, "/");

	/* One thread. */
	write_id_ok(_metadata, at(a, "tasks"), h.tids[2]);
	assert_lookup(_metadata, self, variant, h.tids[2], "/a");
	assert_lookup(_metadata, self, variant, h.tids[0], "/");
	assert_lookup(_metadata, self, variant, h.tids[1], "/");

	/* The whole process, into a nested group. */
	write_id_ok(_metadata, at(n2, "cgroup.procs"), h.pid);
	for (int i = 0; i < h.nr; i++)
		assert_lookup(_metadata, self, variant, h.tids[i], "/a/n1/n2");
	EXPECT_EQ(rmdir(z), 0);
	assert_lookup(_metadata, self, variant, h.pid, "/a/n1/n2");

	/* The reader's own, with no id written. */
	write_ok(_metadata, at(b, "tasks"), "0");
	assert_lookup(_metadata, self, variant, 0, "/b");
	write_ok(_metadata, at(self->mnt[0], "tasks"), "0");
	assert_lookup(_metadata, self, variant, 0, "/");
	release_holder(_metadata, &h);
}

/*
 * A zombie is shown in the root group, which it has left: as v1's
 * proc_cgroup_show() shows every exiting task on a traditional hierarchy.
 */
TEST_F(tasks, lookup_zombie)
{
	int p[2];
	pid_t child;
	char c;

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		close(p[1]);
		if (read(p[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[0]);
	write_id_ok(_metadata, at(self->grp[0], "cgroup.procs"), child);
	assert_lookup(_metadata, self, variant, child, "/a");
	close(p[1]);
	/* Exited, not reaped. */
	ASSERT_EQ(waitid(P_PID, child, NULL, WEXITED | WNOWAIT), 0);
	assert_lookup(_metadata, self, variant, child, "/");
	ASSERT_EQ(waitpid(child, NULL, 0), child);
}

/*
 * Anyone may look up a task they can see, as anyone may read
 * /proc/PID/cgroup: a child running as nobody looks up a root process.
 */
TEST_F(tasks, lookup_unprivileged)
{
	char path[PATH_MAX];
	struct holder h;
	pid_t child;
	int status;

	spawn_holder(_metadata, &h, 1);
	write_id_ok(_metadata, at(self->grp[1], "cgroup.procs"), h.pid);
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		if (setgid(NOBODY_ID) || setuid(NOBODY_ID))
			_exit(2);
		if (lookup_path(variant, self->mnt[0], self->names[0], h.pid, path,
				sizeof(path)))
			_exit(3);
		_exit(strcmp(path, "/b") ? 4 : 0);
	}
	ASSERT_EQ(waitpid(child, &status, 0), child);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("the unprivileged lookup: status %#x (2: setuid, 3: lookup, 4: path)",
		       status);
	}
	release_holder(_metadata, &h);
}

/*
 * The id written is read in the writer's pid namespace, as tasks reads it: the
 * init of a new namespace looks itself up as 1, and an id that names no task
 * there (the test's own) is ESRCH. (tcgroup's file; v1's /proc/PID/cgroup
 * depends on which procfs the reader mounted.)
 */
TEST_F(tasks, lookup_in_pid_namespace)
{
	char path[PATH_MAX];
	pid_t init, outsider = getpid();
	int status;

	if (strcmp(variant->fstype, "tcgroup"))
		SKIP(return, "the pid namespace case is membership.lookup's");
	ASSERT_EQ(unshare(CLONE_NEWPID), 0);
	init = fork();
	ASSERT_GE(init, 0);
	if (!init) {
		if (getpid() != 1 || write_str(at(self->grp[0], "cgroup.procs"), "0"))
			_exit(2);
		if (lookup_path(variant, self->mnt[0], self->names[0], 1, path, sizeof(path)) ||
		    strcmp(path, "/a"))
			_exit(3);
		_exit(lookup_path(variant, self->mnt[0], self->names[0], outsider, path,
				  sizeof(path)) == -ESRCH ? 0 : 4);
	}
	ASSERT_EQ(waitpid(init, &status, 0), init);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("the namespace's init: status %#x (2: move, 3: itself, 4: outsider)",
		       status);
	}
}

/* ---------------------------------------------------------------------- */
/* cgroup.kill, beside cgroup v2's                                        */
/* ---------------------------------------------------------------------- */

/* The most children a forker makes. */
#define FORKER_MAX 2000

/*
 * Forks a forker: in a process group of its own, once it reads a byte from
 * *@go it forks children that pause, one every half millisecond, up to
 * FORKER_MAX, and pauses too.
 */
static pid_t spawn_forker(struct __test_metadata *_metadata, int *go)
{
	int c[2];
	pid_t pid;

	ASSERT_EQ(pipe2(c, O_CLOEXEC), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		char x;

		close(c[1]);
		if (setpgid(0, 0) || read(c[0], &x, 1) != 1)
			_exit(1);
		for (int i = 0; i < FORKER_MAX; i++) {
			pid_t k = fork();

			if (!k)
				for (;;)
					pause();
			usleep(500);
		}
		for (;;)
			pause();
	}
	close(c[0]);
	*go = c[1];
	return pid;
}

/* The number of lines of @path (a listing); -1 if unreadable. */
static int count_lines(const char *path)
{
	char *buf = read_chunks(path, LARGE_READ);
	int n = 0;

	if (!buf)
		return -1;
	for (char *p = buf; *p; p++)
		n += *p == '\n';
	free(buf);
	return n;
}

/*
 * On the hierarchy mounted at @mnt, with the groups g and g/sub made there:
 * a forker in each, forking all the while, and a bystander in @other (a
 * group, or the root). Writing 1 to g/cgroup.kill ends every process of
 * both groups, those forked during the kill included; the bystander lives.
 */
static void kill_tree(struct __test_metadata *_metadata, const char *mnt, const char *other)
{
	char g[PATH_MAX], sub[PATH_MAX];
	pid_t f[2], by;
	int go[2], n[2] = { 0, 0 }, ret, status;
	double deadline;
	struct holder h;

	snprintf(g, sizeof(g), "%s/g", mnt);
	snprintf(sub, sizeof(sub), "%s/g/sub", mnt);
	mkdir_ok(_metadata, g);
	mkdir_ok(_metadata, sub);
	spawn_holder(_metadata, &h, 1);
	by = h.pid;
	write_id_ok(_metadata, at(other, "cgroup.procs"), by);
	f[0] = spawn_forker(_metadata, &go[0]);
	f[1] = spawn_forker(_metadata, &go[1]);
	write_id_ok(_metadata, at(g, "cgroup.procs"), f[0]);
	write_id_ok(_metadata, at(sub, "cgroup.procs"), f[1]);
	ASSERT_EQ(write(go[0], "g", 1), 1);
	ASSERT_EQ(write(go[1], "g", 1), 1);
	/* Kill while both fork. */
	deadline = now_s() + POLL_LIMIT_S;
	while ((count_lines(at(g, "cgroup.procs")) < 20 ||
		count_lines(at(sub, "cgroup.procs")) < 20) && now_s() < deadline)
		usleep(POLL_STEP_US);
	ret = write_str(at(g, "cgroup.kill"), "1");
	EXPECT_EQ(ret, 0) {
		TH_LOG("writing 1 to %s/cgroup.kill: %s", g, err_str(ret));
	}
	deadline = now_s() + POLL_LIMIT_S;
	do {
		n[0] = count_lines(at(g, "cgroup.procs"));
		n[1] = count_lines(at(sub, "cgroup.procs"));
		if (!n[0] && !n[1])
			break;
		usleep(POLL_STEP_US);
	} while (now_s() < deadline);
	EXPECT_EQ(n[0] + n[1], 0) {
		TH_LOG("%s: %d and %d processes left in g and g/sub", mnt, n[0], n[1]);
	}
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(waitpid(f[i], &status, 0), f[i]);
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		/* Whatever the kill left, so that the teardown can reap. */
		kill(-f[i], SIGKILL);
		close(go[i]);
	}
	EXPECT_EQ(kill(by, 0), 0);
	EXPECT_TRUE(lists(at(other, "cgroup.procs"), by));
	release_holder(_metadata, &h);
	/* The killed children are this process's to reap (a subreaper). */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	EXPECT_EQ(rmdir(sub), 0);
	EXPECT_EQ(rmdir(g), 0);
}

/*
 * cgroup.kill as cgroup v2 has it: the same tree, forkers and bystander on
 * tcgroup and on the v2 hierarchy in the same guest. (v1 has no cgroup.kill.)
 */
TEST_F_TIMEOUT(tasks, kill_ends_group_tree_while_forking, 120)
{
	if (strcmp(variant->fstype, "tcgroup"))
		SKIP(return, "cgroup v1 has no cgroup.kill");
	ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	kill_tree(_metadata, self->mnt[0], self->grp[1]);
	ASSERT_EQ(mount("none", self->mnt[1], "cgroup2", 0, NULL), 0) {
		TH_LOG("mount -t cgroup2: %s", strerror(errno));
	}
	kill_tree(_metadata, self->mnt[1], self->mnt[1]);
}

/*
 * What cgroup.kill takes, as v2's cgroup_kill_write(): kstrtoint() of the
 * stripped input, whose errors pass, then ERANGE for any number but 1; the
 * root group has none; the file is write-only (0200).
 */
TEST_F(tasks, kill_write_errors)
{
	static const struct {
		const char *in;
		int err;
	} cases[] = {
		{ "0", ERANGE }, { "2", ERANGE }, { "-1", ERANGE }, { "x", EINVAL },
		{ "1x", EINVAL }, { "\n", EINVAL }, { "99999999999", ERANGE },
		{ " 1\n", 0 },
	};
	const char *top[2] = { self->mnt[0], self->mnt[1] };
	char g[PATH_MAX];
	struct stat st;

	if (strcmp(variant->fstype, "tcgroup"))
		SKIP(return, "cgroup v1 has no cgroup.kill");
	ASSERT_EQ(mount("none", self->mnt[1], "cgroup2", 0, NULL), 0);
	for (int i = 0; i < 2; i++) {
		snprintf(g, sizeof(g), "%s/k", top[i]);
		mkdir_ok(_metadata, g);
		ASSERT_EQ(stat(at(g, "cgroup.kill"), &st), 0);
		EXPECT_EQ(st.st_mode & 07777, 0200) {
			TH_LOG("%s/cgroup.kill", g);
		}
		EXPECT_EQ(access(at(top[i], "cgroup.kill"), F_OK), -1);
		EXPECT_EQ(errno, ENOENT);
		for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
			int ret = write_str(at(g, "cgroup.kill"), cases[c].in);

			EXPECT_EQ(ret, -cases[c].err) {
				TH_LOG("%s: writing \"%s\": %s, expected %s", top[i],
				       cases[c].in, err_str(ret), err_str(cases[c].err));
			}
		}
		EXPECT_EQ(rmdir(g), 0);
	}
}

/*
 * Listing a group while its membership churns: a process in the group
 * forks children that exit at once, and another process moves back and
 * forth between the group and its sibling by cgroup.procs. Every read of
 * tasks lists each thread of a process that stays in the group throughout,
 * and every read of cgroup.procs lists that process, once, in order. (The
 * group's listing walks its css_sets and their tasks in tcgroup; a task
 * missed while another was linked or unlinked, or listed twice, fails.)
 */
#define CHURN_READS 300
TEST_F_TIMEOUT(tasks, listing_during_churn_keeps_stayers, 120)
{
	char p0[PATH_MAX], p1[PATH_MAX];
	struct holder stay, moved;
	pid_t forker, mover;

	spawn_holder(_metadata, &stay, 4);
	write_id_ok(_metadata, at(self->grp[0], "cgroup.procs"), stay.pid);
	spawn_holder(_metadata, &moved, 4);
	forker = fork();
	ASSERT_GE(forker, 0);
	if (!forker) {
		for (;;) {
			pid_t c = fork();

			if (!c)
				_exit(0);
			if (c > 0)
				waitpid(c, NULL, 0);
		}
	}
	write_id_ok(_metadata, at(self->grp[0], "cgroup.procs"), forker);
	snprintf(p0, sizeof(p0), "%s/cgroup.procs", self->grp[0]);
	snprintf(p1, sizeof(p1), "%s/cgroup.procs", self->grp[1]);
	mover = fork();
	ASSERT_GE(mover, 0);
	if (!mover) {
		for (unsigned int i = 0;; i++)
			if (write_id(i % 2 ? p1 : p0, moved.pid))
				_exit(1);
	}
	for (int i = 0; i < CHURN_READS; i++) {
		bool procs = i % 2;
		const char *path = at(self->grp[0], procs ? "cgroup.procs" : "tasks");
		char *buf = read_chunks(path, i % 3 ? LARGE_READ : SMALL_READ);
		long last = 0;
		int n = 0;
		pid_t *ids;

		/* In increasing order, each once. */
		ASSERT_NE(buf, NULL);
		for (char *q = buf; *q; q = strchr(q, '\n') + 1) {
			long id = atol(q);

			EXPECT_GT(id, last) {
				TH_LOG("read %d of %s: %ld after %ld", i, path, id, last);
			}
			last = id;
			if (!strchr(q, '\n'))
				break;
		}
		free(buf);
		ids = listed_ids(path, &n);
		ASSERT_NE(ids, NULL);
		for (int t = 0; t < (procs ? 1 : stay.nr); t++) {
			pid_t id = procs ? stay.pid : stay.tids[t];

			EXPECT_TRUE(has_id(ids, n, id)) {
				TH_LOG("read %d of %s: %d missing among %d", i, path, id, n);
			}
		}
		free(ids);
	}
	ASSERT_EQ(kill(mover, SIGKILL), 0);
	ASSERT_EQ(waitpid(mover, NULL, 0), mover);
	ASSERT_EQ(kill(forker, SIGKILL), 0);
	ASSERT_EQ(waitpid(forker, NULL, 0), forker);
	release_holder(_metadata, &moved);
	release_holder(_metadata, &stay);
}

TEST_HARNESS_MAIN
