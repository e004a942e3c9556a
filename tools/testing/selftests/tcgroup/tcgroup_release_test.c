// SPDX-License-Identifier: GPL-2.0
/*
 * Release notification tests of tcgroup, each run against tcgroup and against
 * its reference implementation, the release agent of the in-kernel cgroup v1
 * (see "Release notification" in Documentation/tcgroup.rst).
 *
 * Each test writes its own release agent, a shell script in a temporary
 * directory of its own, which appends one line per call to a log file next to
 * it: "PATH_ARG HOME=$HOME PATH=$PATH". The kernel runs the agent in the
 * initial mount namespace with only HOME and PATH set, so the script names
 * its log by absolute path; /tmp is the same tmpfs in both namespaces.
 *
 * The tests wait for agent calls by polling the log (10 ms steps, giving up
 * after 10 s without a new call), never by sleeping a fixed time; the
 * processes that populate groups wait on pipes. That a call did *not* happen is
 * shown by a sentinel group released afterwards. On both filesystems each
 * group has a work item of its own on a per-CPU workqueue, queued by the
 * release, and the items of one CPU start in the order they were queued, but
 * run concurrently: the sentinel is a practical bound rather than a guaranteed
 * one. Where release_agent.stats gives an exact count, the tests poll it
 * instead.
 *
 * The variants: "tcgroup" (mount -t tcgroup) and "cgroup_v1" (mount -t
 * cgroup, a named hierarchy "none,name=X": the test kernel has no
 * controller). cgroup.events, release_agent.stats and the debug subsystem are
 * tcgroup's; their tests skip on cgroup_v1.
 *
 * Each test runs in a mount namespace of its own, with hierarchy names of its
 * own ("tcgrel_<pid>_<n>"). The teardown moves the test back to the root
 * groups, removes every group it left behind (mounting its hierarchies again
 * by name if it unmounted them) and its temporary directory.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "tcgroup_util.h"

#define TMPDIR_TEMPLATE "/tmp/tcgrel_XXXXXX"

/* The environment the kernel gives the release agent. */
#define AGENT_HOME "/"
#define AGENT_PATH "/sbin:/bin:/usr/sbin:/usr/bin"

/* Bounded polls: 10 ms steps, 10 s at most (without progress). */
#define POLL_STEP_US 10000
#define POLL_LIMIT_MS 10000
#define POLL_TRIES (POLL_LIMIT_MS * 1000 / POLL_STEP_US)

/* Groups released at once by many_groups_released_at_once. */
#define MANY_GROUPS 1000

/* Groups removed right after their release by rmdir_of_queued_group. */
#define QUEUED_TRIES 10

/* Rounds of mount_races_last_umount. */
#define RACE_ROUNDS 100

/* Releases counted by stats_count_launched. */
#define STATS_RELEASES 5

#define MAX_NAMES 4
#define NAME_BUF 64
/* Paths in the test's temporary directory. */
#define DIR_BUF 64
/* Paths of groups: a mount point and a few names. */
#define PATH_BUF 256
#define OPTS_SIZE (2 * PATH_MAX)
#define READ_SIZE 256

FIXTURE(release) {
	/* The test's temporary directory: the agents, the log, mount points. */
	char dir[sizeof(TMPDIR_TEMPLATE)];
	char agent[DIR_BUF];
	char log[DIR_BUF];
	/* Two mount points; most tests use only the first. */
	char mnt[2][DIR_BUF];
	/* The hierarchy names this test made up, for the teardown. */
	char names[MAX_NAMES][NAME_BUF];
	int nr_names;
};

FIXTURE_VARIANT(release) {
	/* The filesystem type given to mount(2). */
	const char *fstype;
	/* Every group has "releasable" (tcgroup). */
	bool has_releasable;
	/* Every group has the pollable "cgroup.events" (tcgroup). */
	bool has_events;
	/* The root group has "release_agent.stats" (tcgroup). */
	bool has_stats;
	/* The debug subsystem exists (tcgroup); cgroup v1 here has none. */
	bool has_debug;
};

FIXTURE_VARIANT_ADD(release, tcgroup) {
	.fstype = "tcgroup",
	.has_releasable = true,
	.has_events = true,
	.has_stats = true,
	.has_debug = true,
};

FIXTURE_VARIANT_ADD(release, cgroup_v1) {
	.fstype = "cgroup",
	.has_releasable = false,
	.has_events = false,
	.has_stats = false,
	.has_debug = false,
};

/* Sets @buf (PATH_BUF bytes) to "@dir/@rel"; returns @buf. */
static char *join(char *buf, const char *dir, const char *rel)
{
	snprintf(buf, PATH_BUF, "%s/%s", dir, rel);
	return buf;
}

static void poll_step(void)
{
	usleep(POLL_STEP_US);
}

/* The whole file @path, NUL-terminated, in a malloc()ed buffer; NULL on error. */
static char *read_all(const char *path)
{
	size_t size = 4096, total = 0;
	char *buf = malloc(size), *bigger;
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (total == size - 1) {
			bigger = realloc(buf, size * 2);
			if (!bigger)
				break;
			buf = bigger;
			size *= 2;
		}
		n = read(fd, buf + total, size - 1 - total);
		if (n <= 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return buf;
}

/* Writes the number @pid to the tasks file of the group @group. */
static int move_pid(const char *group, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", pid);
	return write_str(at(group, "tasks"), buf);
}

/* Creates the file @path holding @text with mode @mode. */
static int create_file(const char *path, const char *text, mode_t mode)
{
	size_t len = strlen(text);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode))
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/*
 * Counts the complete lines of the agent log @log whose first word is @path,
 * or all complete lines for a NULL @path.
 */
static int count_calls(const char *log, const char *path)
{
	size_t len = path ? strlen(path) : 0;
	const char *p = log, *nl;
	int n = 0;

	while ((nl = strchr(p, '\n'))) {
		if (!path || ((size_t)(nl - p) >= len && !strncmp(p, path, len) &&
			      (p[len] == ' ' || p[len] == '\n')))
			n++;
		p = nl + 1;
	}
	return n;
}

/* The number of logged agent calls for @path (all calls for NULL). */
static int calls(struct _test_data_release *self, const char *path)
{
	char *log = read_all(self->log);
	int n;

	if (!log)
		return 0;
	n = count_calls(log, path);
	free(log);
	return n;
}

/*
 * Polls until the agent has logged at least @n calls for @path (any path for
 * NULL); gives up after POLL_LIMIT_MS without a new call. Returns the count.
 */
static int wait_calls(struct _test_data_release *self, const char *path, int n)
{
	int seen = calls(self, path), idle = 0;

	while (seen < n && idle++ < POLL_TRIES) {
		int now;

		poll_step();
		now = calls(self, path);
		if (now != seen)
			idle = 0;
		seen = now;
	}
	return seen;
}

/* The log, for failure messages; at most 1000 bytes of it. */
static const char *log_text(struct _test_data_release *self)
{
	static char buf[1001];
	ssize_t n = read_file(self->log, buf, sizeof(buf));

	return n < 0 ? strerror(-n) : buf;
}

/* The agent's counters in release_agent.stats. */
struct agent_stats {
	unsigned long long launched;
	unsigned long long failed;
	int last_error;
};

/*
 * Reads release_agent.stats of the hierarchy mounted on @mnt; checks its
 * exact format. Returns 0, -EPROTO for another format, or -errno.
 */
static int read_stats(const char *mnt, struct agent_stats *st)
{
	char buf[READ_SIZE], again[READ_SIZE];
	ssize_t n;

	n = read_file(at(mnt, "release_agent.stats"), buf, sizeof(buf));
	if (n < 0)
		return n;
	if (sscanf(buf, "launched %llu failed %llu last_error %d", &st->launched,
		   &st->failed, &st->last_error) != 3)
		return -EPROTO;
	snprintf(again, sizeof(again), "launched %llu\nfailed %llu\nlast_error %d\n",
		 st->launched, st->failed, st->last_error);
	return strcmp(buf, again) ? -EPROTO : 0;
}

/*
 * A process blocked on a pipe, to keep a group populated: it exits when the
 * write end is closed (release_holder()) or when the test dies.
 */
struct holder {
	pid_t pid;
	int wfd;
};

static void spawn_holder(struct __test_metadata *_metadata, struct holder *h)
{
	int p[2];
	char c;

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	h->pid = fork();
	ASSERT_GE(h->pid, 0);
	if (!h->pid) {
		/* Only the read end stays open here: no other holder's write end. */
		if (dup2(p[0], 3) < 0)
			_exit(1);
		close_from(4);
		while (read(3, &c, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	h->wfd = p[1];
}

/* Lets the holder exit and reaps it. */
static void release_holder(struct __test_metadata *_metadata, struct holder *h)
{
	close(h->wfd);
	ASSERT_EQ(waitpid(h->pid, NULL, 0), h->pid);
}

/* Moves the holder into @group. */
static void move_holder(struct __test_metadata *_metadata, const struct holder *h,
			const char *group)
{
	int ret = move_pid(group, h->pid);

	ASSERT_EQ(ret, 0) {
		TH_LOG("moving %d into %s: %s", h->pid, group, strerror(-ret));
	}
}

/* Moves the calling task into @group. */
static void move_self(struct __test_metadata *_metadata, const char *group)
{
	int ret = write_str(at(group, "tasks"), "0");

	ASSERT_EQ(ret, 0) {
		TH_LOG("moving the test into %s: %s", group, strerror(-ret));
	}
}

/*
 * Releases @group by its last task exiting: a child moves itself in and
 * exits. It has left the group when waitpid() returns.
 */
static void run_in(struct __test_metadata *_metadata, const char *group)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(-write_str(at(group, "tasks"), "0"));
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		TH_LOG("a child could not move itself into %s: %s", group,
		       WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "killed");
	}
}

static void mkdir_ok(struct __test_metadata *_metadata, const char *path)
{
	ASSERT_EQ(mkdir(path, 0755), 0) {
		TH_LOG("mkdir(%s): %s", path, strerror(errno));
	}
}

static void write_ok(struct __test_metadata *_metadata, const char *path, const char *str)
{
	int ret = write_str(path, str);

	ASSERT_EQ(ret, 0) {
		TH_LOG("writing \"%s\" to %s: %s", str, path, strerror(-ret));
	}
}

static void assert_content(struct __test_metadata *_metadata, const char *path,
			   const char *expected)
{
	char buf[READ_SIZE];
	ssize_t n = read_file(path, buf, sizeof(buf));

	ASSERT_GE(n, 0) {
		TH_LOG("reading %s: %s", path, strerror(-n));
	}
	ASSERT_STREQ(expected, buf) {
		TH_LOG("contents of %s", path);
	}
}

/* Creates the group @group with notify_on_release set. */
static void notify_group(struct __test_metadata *_metadata, const char *group)
{
	mkdir_ok(_metadata, group);
	write_ok(_metadata, at(group, "notify_on_release"), "1");
}

/* Waits for exactly @n agent calls for @path. */
static void expect_calls(struct __test_metadata *_metadata,
			 struct _test_data_release *self, const char *path, int n)
{
	int seen = wait_calls(self, path, n);

	ASSERT_EQ(n, seen) {
		TH_LOG("agent calls for %s; log:\n%s", path, log_text(self));
	}
}

/*
 * Releases a new notify_on_release group "@mnt/@name" and waits for its call:
 * a bound for the calls of every group released before it.
 */
static void sentinel(struct __test_metadata *_metadata, struct _test_data_release *self,
		     const char *mnt, const char *name)
{
	char group[PATH_BUF], path[NAME_BUF];

	notify_group(_metadata, join(group, mnt, name));
	run_in(_metadata, group);
	snprintf(path, sizeof(path), "/%s", name);
	expect_calls(_metadata, self, path, 1);
}

/* Makes up a new hierarchy name and records it for the teardown. */
static const char *new_name(struct _test_data_release *self)
{
	static unsigned int counter;
	char *name;

	if (self->nr_names >= MAX_NAMES)
		return NULL;
	name = self->names[self->nr_names++];
	snprintf(name, NAME_BUF, "tcgrel_%d_%u", getpid(), counter++);
	return name;
}

/*
 * Mounts a new hierarchy "@subsys,name=<new>[,release_agent=@agent]" on the
 * mount point @i; returns its name.
 */
static const char *mount_hier(struct __test_metadata *_metadata,
			      struct _test_data_release *self,
			      const struct _fixture_variant_release *variant, int i,
			      const char *subsys, const char *agent)
{
	const char *name = new_name(self);
	char opts[OPTS_SIZE];

	ASSERT_NE(name, NULL);
	snprintf(opts, sizeof(opts), "%s,name=%s%s%s", subsys, name,
		 agent ? ",release_agent=" : "", agent ? agent : "");
	ASSERT_EQ(mount("none", self->mnt[i], variant->fstype, 0, opts), 0) {
		TH_LOG("mount -t %s -o %s none %s: %s", variant->fstype, opts,
		       self->mnt[i], strerror(errno));
	}
	return name;
}

/* Mounts a new hierarchy without subsystems and with the test's agent on mount point 0. */
static void mount_with_agent(struct __test_metadata *_metadata,
			     struct _test_data_release *self,
			     const struct _fixture_variant_release *variant)
{
	mount_hier(_metadata, self, variant, 0, "none", self->agent);
}

/* Removes the files and empty directories in the test's temporary directory. */
static void remove_tmpdir(struct __test_metadata *_metadata, const char *dir)
{
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) &&
		    unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR))
			TH_LOG("teardown: removing %s/%s: %s", dir, de->d_name,
			       strerror(errno));
	}
	closedir(d);
	if (rmdir(dir))
		TH_LOG("teardown: rmdir(%s): %s", dir, strerror(errno));
}

FIXTURE_SETUP(release)
{
	char script[READ_SIZE];
	int ret;

	if (geteuid() != 0)
		SKIP(return, "the release notification tests need root");
	if (!fs_registered(variant->fstype))
		SKIP(return, "%s is not in /proc/filesystems%s", variant->fstype,
		     strcmp(variant->fstype, "tcgroup") ? "" : " (tcgroup.ko not loaded?)");

	umask(022);
	ASSERT_EQ(private_mount_ns(), 0);

	memcpy(self->dir, TMPDIR_TEMPLATE, sizeof(TMPDIR_TEMPLATE));
	ASSERT_NE(mkdtemp(self->dir), NULL) {
		TH_LOG("mkdtemp(%s): %s", TMPDIR_TEMPLATE, strerror(errno));
	}
	snprintf(self->agent, sizeof(self->agent), "%s/agent", self->dir);
	snprintf(self->log, sizeof(self->log), "%s/agent.log", self->dir);
	for (int i = 0; i < 2; i++) {
		snprintf(self->mnt[i], sizeof(self->mnt[i]), "%s/mnt%d", self->dir, i);
		mkdir_ok(_metadata, self->mnt[i]);
	}
	ret = create_file(self->log, "", 0644);
	ASSERT_EQ(ret, 0) {
		TH_LOG("creating %s: %s", self->log, strerror(-ret));
	}
	/* The kernel gives the agent HOME and PATH only: the log path is absolute. */
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "# The release agent of tcgroup_release_test: logs each call.\n"
		 "echo \"$1 HOME=$HOME PATH=$PATH\" >>%s\n", self->log);
	ret = create_file(self->agent, script, 0755);
	ASSERT_EQ(ret, 0) {
		TH_LOG("creating %s: %s", self->agent, strerror(-ret));
	}
}

/*
 * No ASSERT here: after a failed ASSERT the harness runs the teardown with
 * its trigger still set.
 */
FIXTURE_TEARDOWN(release)
{
	char opts[NAME_BUF + 8];

	/* Holders of a failed test exit when their pipes close. */
	close_from(3);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	for (int i = 0; i < 2; i++) {
		for (int n = 0; n < 8; n++) {
			write_str(at(self->mnt[i], "tasks"), "0");
			remove_groups(self->mnt[i]);
			if (umount2(self->mnt[i], MNT_DETACH))
				break;
		}
	}
	/* Hierarchies the test unmounted with groups in them. */
	for (int i = 0; i < self->nr_names; i++) {
		snprintf(opts, sizeof(opts), "name=%s", self->names[i]);
		if (mount("none", self->mnt[0], variant->fstype, 0, opts))
			continue;
		write_str(at(self->mnt[0], "tasks"), "0");
		if (remove_groups(self->mnt[0]))
			TH_LOG("teardown: hierarchy %s keeps groups", self->names[i]);
		umount2(self->mnt[0], MNT_DETACH);
	}
	remove_tmpdir(_metadata, self->dir);
}

/* The agent gets the group's path as argv[1], HOME=/ and the fixed PATH. */
TEST_F(release, agent_environment)
{
	char expected[READ_SIZE], g[PATH_BUF];

	mount_with_agent(_metadata, self, variant);
	notify_group(_metadata, join(g, self->mnt[0], "g"));
	run_in(_metadata, g);
	expect_calls(_metadata, self, "/g", 1);
	snprintf(expected, sizeof(expected), "/g HOME=%s PATH=%s\n", AGENT_HOME, AGENT_PATH);
	assert_content(_metadata, self->log, expected);
}

/*
 * A group released, repopulated after the agent's call and released again
 * gets exactly two calls: one per release.
 */
TEST_F(release, one_call_per_episode)
{
	char g[PATH_BUF];
	struct holder h;

	mount_with_agent(_metadata, self, variant);
	notify_group(_metadata, join(g, self->mnt[0], "g"));
	run_in(_metadata, g);
	expect_calls(_metadata, self, "/g", 1);

	spawn_holder(_metadata, &h);
	move_holder(_metadata, &h, g);
	release_holder(_metadata, &h);
	expect_calls(_metadata, self, "/g", 2);

	sentinel(_metadata, self, self->mnt[0], "sentinel");
	EXPECT_EQ(2, calls(self, "/g")) {
		TH_LOG("log:\n%s", log_text(self));
	}
}

/*
 * After its call, events that do not release a group again give no second
 * call: writing notify_on_release (which clears tcgroup's releasable),
 * reading its files.
 */
TEST_F(release, no_second_call_without_release)
{
	char buf[READ_SIZE], g[PATH_BUF];

	mount_with_agent(_metadata, self, variant);
	notify_group(_metadata, join(g, self->mnt[0], "g"));
	run_in(_metadata, g);
	expect_calls(_metadata, self, "/g", 1);
	if (variant->has_releasable)
		assert_content(_metadata, at(g, "releasable"), "1\n");

	write_ok(_metadata, at(g, "notify_on_release"), "1");
	if (variant->has_releasable)
		assert_content(_metadata, at(g, "releasable"), "0\n");
	write_ok(_metadata, at(g, "notify_on_release"), "0");
	write_ok(_metadata, at(g, "notify_on_release"), "1");
	EXPECT_EQ(0, read_file(at(g, "tasks"), buf, sizeof(buf)));
	EXPECT_EQ(0, read_file(at(g, "cgroup.procs"), buf, sizeof(buf)));

	sentinel(_metadata, self, self->mnt[0], "sentinel");
	EXPECT_EQ(1, calls(self, "/g")) {
		TH_LOG("log:\n%s", log_text(self));
	}
}

/*
 * MANY_GROUPS groups, each with one process blocked on a shared pipe; the
 * pipe closes and all of them exit at once. Each group gets exactly one call.
 */
TEST_F_TIMEOUT(release, many_groups_released_at_once, 400)
{
	static pid_t pids[MANY_GROUPS];
	int p[2], *count, seen, bad = 0;
	double start, created;
	char name[NAME_BUF];
	char *log, *line, *nl;

	mount_with_agent(_metadata, self, variant);
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	start = now_s();
	for (int i = 0; i < MANY_GROUPS; i++) {
		char g[PATH_BUF], c;
		int ret;

		snprintf(name, sizeof(name), "m%d", i);
		notify_group(_metadata, join(g, self->mnt[0], name));
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (!pids[i]) {
			close(p[1]);
			while (read(p[0], &c, 1) > 0)
				;
			_exit(0);
		}
		ret = move_pid(g, pids[i]);
		ASSERT_EQ(ret, 0) {
			TH_LOG("moving %d into %s: %s", pids[i], g, strerror(-ret));
		}
	}
	close(p[0]);
	created = now_s();

	close(p[1]);
	for (int i = 0; i < MANY_GROUPS; i++)
		ASSERT_EQ(waitpid(pids[i], NULL, 0), pids[i]);
	seen = wait_calls(self, NULL, MANY_GROUPS);
	TH_LOG("%d groups: set up in %.2f s; %d agent calls logged %.2f s after the release",
	       MANY_GROUPS, created - start, seen, now_s() - created);
	ASSERT_EQ(MANY_GROUPS, seen);

	/* Calls after the last expected one would come before the sentinel's. */
	sentinel(_metadata, self, self->mnt[0], "sentinel");

	count = calloc(MANY_GROUPS, sizeof(*count));
	log = read_all(self->log);
	ASSERT_NE(count, NULL);
	ASSERT_NE(log, NULL);
	for (line = log; (nl = strchr(line, '\n')); line = nl + 1) {
		int i, end = 0;

		*nl = '\0';
		if (!strncmp(line, "/sentinel ", 10))
			continue;
		if (sscanf(line, "/m%d%n", &i, &end) != 1 || line[end] != ' ' || i < 0 ||
		    i >= MANY_GROUPS) {
			if (bad++ < 5)
				TH_LOG("unexpected agent call: %s", line);
			continue;
		}
		count[i]++;
	}
	for (int i = 0; i < MANY_GROUPS; i++) {
		if (count[i] != 1 && bad++ < 5)
			TH_LOG("/m%d: %d agent calls", i, count[i]);
	}
	free(log);
	free(count);
	EXPECT_EQ(0, bad);
}

/*
 * The agent's side of the race: a group repopulated after its call cannot be
 * removed (EBUSY); released again, it gets another call and can be removed.
 */
TEST_F(release, repopulated_after_call_rmdir_ebusy)
{
	char g[PATH_BUF];
	struct holder h;

	mount_with_agent(_metadata, self, variant);
	notify_group(_metadata, join(g, self->mnt[0], "g"));
	run_in(_metadata, g);
	expect_calls(_metadata, self, "/g", 1);

	spawn_holder(_metadata, &h);
	move_holder(_metadata, &h, g);
	errno = 0;
	EXPECT_EQ(-1, rmdir(g));
	EXPECT_EQ(EBUSY, errno) {
		TH_LOG("rmdir of a repopulated group: %s", strerror(errno));
	}
	release_holder(_metadata, &h);
	expect_calls(_metadata, self, "/g", 2);
	EXPECT_EQ(0, rmdir(g)) {
		TH_LOG("rmdir(%s): %s", g, strerror(errno));
	}
}

/*
 * A group removed right after its release, maybe before the release work
 * took it: the removal works and the group gets at most one call. Whether
 * the call still happens is a race this test cannot steer; it logs how many
 * calls it saw. On tcgroup, whatever the outcome, release_agent.stats counts
 * exactly the calls logged.
 */
TEST_F(release, rmdir_of_queued_group)
{
	char name[NAME_BUF], path[NAME_BUF];
	struct agent_stats st;
	int called = 0, ret;

	mount_with_agent(_metadata, self, variant);
	for (int i = 0; i < QUEUED_TRIES; i++) {
		char g[PATH_BUF];

		snprintf(name, sizeof(name), "q%d", i);
		notify_group(_metadata, join(g, self->mnt[0], name));
		move_self(_metadata, g);
		move_self(_metadata, self->mnt[0]);
		ASSERT_EQ(0, rmdir(g)) {
			TH_LOG("rmdir of a just released group %s: %s", g, strerror(errno));
		}
	}
	sentinel(_metadata, self, self->mnt[0], "sentinel1");
	sentinel(_metadata, self, self->mnt[0], "sentinel2");
	if (variant->has_stats) {
		int seen = 0;

		/* The calls counted as launched are the calls logged, once all have run. */
		for (int i = 0; i < POLL_TRIES; i++) {
			ret = read_stats(self->mnt[0], &st);
			ASSERT_EQ(0, ret) {
				TH_LOG("release_agent.stats: %s", strerror(-ret));
			}
			seen = calls(self, NULL);
			if ((unsigned long long)seen == st.launched)
				break;
			poll_step();
		}
		EXPECT_EQ(0ULL, st.failed);
		EXPECT_EQ(st.launched, (unsigned long long)seen) {
			TH_LOG("log:\n%s", log_text(self));
		}
	}
	for (int i = 0; i < QUEUED_TRIES; i++) {
		int n;

		snprintf(path, sizeof(path), "/q%d", i);
		n = calls(self, path);
		EXPECT_LE(n, 1) {
			TH_LOG("%s: %d calls", path, n);
		}
		called += n;
	}
	TH_LOG("%d of %d groups removed right after their release got their call",
	       called, QUEUED_TRIES);
}

/*
 * A hierarchy without a release agent runs nothing. A second hierarchy's
 * sentinel shows the release was handled before the first hierarchy gets an
 * agent through its release_agent file; then only the later release there is
 * logged.
 */
TEST_F(release, empty_agent_runs_nothing)
{
	char quiet[PATH_BUF], other[PATH_BUF];
	cpu_set_t cpu0;

	/*
	 * cgroup v1 queues each release on the releasing CPU's workqueue: one
	 * CPU for both releases keeps them in order there too.
	 */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);

	mount_hier(_metadata, self, variant, 0, "none", NULL);
	mount_hier(_metadata, self, variant, 1, "none", self->agent);
	assert_content(_metadata, at(self->mnt[0], "release_agent"), "\n");

	notify_group(_metadata, join(quiet, self->mnt[0], "quiet"));
	move_self(_metadata, quiet);
	move_self(_metadata, self->mnt[0]);
	notify_group(_metadata, join(other, self->mnt[1], "other"));
	move_self(_metadata, other);
	move_self(_metadata, self->mnt[1]);
	expect_calls(_metadata, self, "/other", 1);

	write_ok(_metadata, at(self->mnt[0], "release_agent"), self->agent);
	sentinel(_metadata, self, self->mnt[0], "sentinel");
	EXPECT_EQ(0, calls(self, "/quiet")) {
		TH_LOG("log:\n%s", log_text(self));
	}
}

/*
 * Releases a group of a hierarchy whose agent is @agent, which cannot be
 * executed. tcgroup counts the failure with the errno @err in
 * release_agent.stats. Then, on both, a valid agent set through the
 * release_agent file works.
 */
static void check_failing_agent(struct __test_metadata *_metadata,
				struct _test_data_release *self,
				const struct _fixture_variant_release *variant,
				const char *agent, int err)
{
	struct agent_stats st = { 0 };
	unsigned long long failed = 0;
	char g[PATH_BUF];
	int ret = 0;

	mount_hier(_metadata, self, variant, 0, "none", agent);
	notify_group(_metadata, join(g, self->mnt[0], "g"));
	run_in(_metadata, g);
	if (variant->has_stats) {
		for (int i = 0; i < POLL_TRIES; i++) {
			ret = read_stats(self->mnt[0], &st);
			if (ret || st.failed)
				break;
			poll_step();
		}
		ASSERT_EQ(0, ret) {
			TH_LOG("release_agent.stats: %s", strerror(-ret));
		}
		EXPECT_LE(1ULL, st.launched);
		EXPECT_LE(1ULL, st.failed);
		EXPECT_EQ(-err, st.last_error);
		failed = st.failed;
	}

	write_ok(_metadata, at(self->mnt[0], "release_agent"), self->agent);
	sentinel(_metadata, self, self->mnt[0], "sentinel");
	if (variant->has_stats) {
		/* A success leaves the failures and the last one's errno. */
		ret = read_stats(self->mnt[0], &st);
		ASSERT_EQ(0, ret);
		EXPECT_EQ(failed, st.failed);
		EXPECT_EQ(-err, st.last_error);
		EXPECT_EQ(0, calls(self, "/g"));
	}
}

/* An agent path that does not exist: ENOENT. */
TEST_F(release, agent_missing)
{
	char agent[PATH_BUF];

	check_failing_agent(_metadata, self, variant, join(agent, self->dir, "missing"),
			    ENOENT);
}

/* An agent file without execute permission: EACCES. */
TEST_F(release, agent_not_executable)
{
	char script[READ_SIZE], agent[PATH_BUF];
	int ret;

	join(agent, self->dir, "noexec");
	snprintf(script, sizeof(script), "#!/bin/sh\necho \"$1\" >>%s\n", self->log);
	ret = create_file(agent, script, 0644);
	ASSERT_EQ(ret, 0) {
		TH_LOG("creating %s: %s", agent, strerror(-ret));
	}
	check_failing_agent(_metadata, self, variant, agent, EACCES);
}

/*
 * The hierarchy's last mount goes away right after a release. The hierarchy
 * lives on (it has groups), mounted again by name it shows the same groups,
 * and its agent still runs. The released group's own call may or may not
 * come.
 */
TEST_F(release, umount_with_release_pending)
{
	char opts[NAME_BUF + 8];
	char g[PATH_BUF];
	const char *name;
	int n;

	name = mount_hier(_metadata, self, variant, 0, "none", self->agent);
	mkdir_ok(_metadata, at(self->mnt[0], "keep"));
	notify_group(_metadata, join(g, self->mnt[0], "g"));
	move_self(_metadata, g);
	move_self(_metadata, self->mnt[0]);
	if (umount2(self->mnt[0], 0)) {
		TH_LOG("umount: %s; detaching", strerror(errno));
		ASSERT_EQ(0, umount2(self->mnt[0], MNT_DETACH));
	}

	snprintf(opts, sizeof(opts), "name=%s", name);
	ASSERT_EQ(0, mount("none", self->mnt[1], variant->fstype, 0, opts)) {
		TH_LOG("mount -o %s: %s", opts, strerror(errno));
	}
	EXPECT_EQ(0, access(at(self->mnt[1], "g/tasks"), F_OK));
	EXPECT_EQ(0, access(at(self->mnt[1], "keep/tasks"), F_OK));
	assert_content(_metadata, at(self->mnt[1], "g/notify_on_release"), "1\n");
	sentinel(_metadata, self, self->mnt[1], "sentinel");
	n = calls(self, "/g");
	EXPECT_LE(n, 1);
	TH_LOG("the group released before the umount got %d call(s)", n);
}

/*
 * tcgroup: an open debug.hold keeps an emptied group from being released;
 * closing it releases the group, once.
 */
TEST_F(release, hold_defers_release)
{
	char g[PATH_BUF];
	int fd;

	if (!variant->has_debug)
		SKIP(return, "no debug subsystem on %s here", variant->fstype);

	mount_hier(_metadata, self, variant, 0, "debug", self->agent);
	notify_group(_metadata, join(g, self->mnt[0], "g"));
	fd = open(at(g, "debug.hold"), O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0) {
		TH_LOG("open(%s/debug.hold): %s", g, strerror(errno));
	}
	run_in(_metadata, g);
	sentinel(_metadata, self, self->mnt[0], "sentinel1");
	EXPECT_EQ(0, calls(self, "/g")) {
		TH_LOG("agent called for a held group");
	}

	close(fd);
	expect_calls(_metadata, self, "/g", 1);
	sentinel(_metadata, self, self->mnt[0], "sentinel2");
	EXPECT_EQ(1, calls(self, "/g"));
}

/* Levels of NAME_MAX-byte names under which the agent's argument reaches PATH_MAX. */
#define DEEP_LEVELS ((PATH_MAX - 1) / (NAME_MAX + 1))

/*
 * The agent's argument is bounded: a group whose path is PATH_MAX bytes or more
 * gets no call on tcgroup, which counts the release as failed with
 * ENAMETOOLONG; cgroup v1 calls the agent with the path cut to PATH_MAX - 1
 * bytes, which names another group or none (a documented difference). A path
 * of PATH_MAX - 1 bytes is passed whole on both.
 */
TEST_F(release, agent_path_max)
{
	char level[NAME_MAX + 1], fit[NAME_MAX + 1], deep[NAME_MAX + 1];
	char *prefix, *expected;
	struct agent_stats st;
	size_t len = 0;
	int cwd, ret;

	mount_with_agent(_metadata, self, variant);
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(cwd, 0);
	prefix = calloc(1, 2 * PATH_MAX);
	expected = calloc(1, 2 * PATH_MAX);
	ASSERT_TRUE(prefix && expected);

	/* DEEP_LEVELS levels of NAME_MAX bytes: "/LLL.../LLL...", 3840 bytes. */
	memset(level, 'L', NAME_MAX);
	level[NAME_MAX] = '\0';
	ASSERT_EQ(chdir(self->mnt[0]), 0);
	write_ok(_metadata, "notify_on_release", "1");
	for (int i = 0; i < DEEP_LEVELS; i++) {
		mkdir_ok(_metadata, level);
		ASSERT_EQ(chdir(level), 0);
		len += snprintf(prefix + len, 2 * PATH_MAX - len, "/%s", level);
	}
	/* Two leaves: "/fff..." ends at PATH_MAX - 1 bytes, "/ddd..." at PATH_MAX. */
	memset(fit, 'f', PATH_MAX - 2 - len);
	fit[PATH_MAX - 2 - len] = '\0';
	memset(deep, 'd', PATH_MAX - 1 - len);
	deep[PATH_MAX - 1 - len] = '\0';
	/* Relative paths from here on: the absolute ones are too long for syscalls. */
	mkdir_ok(_metadata, fit);
	mkdir_ok(_metadata, deep);
	run_in(_metadata, deep);
	run_in(_metadata, fit);
	snprintf(expected, 2 * PATH_MAX, "%s/%s", prefix, fit);
	ASSERT_EQ(strlen(expected), (size_t)PATH_MAX - 1);
	expect_calls(_metadata, self, expected, 1);

	snprintf(expected, 2 * PATH_MAX, "%s/%s", prefix, deep);
	ASSERT_EQ(strlen(expected), (size_t)PATH_MAX);
	if (variant->has_stats) {
		/* The deep group's release counted as failed, once its work item ran. */
		for (int i = 0; i < POLL_TRIES; i++) {
			ret = read_stats(self->mnt[0], &st);
			ASSERT_EQ(0, ret) {
				TH_LOG("release_agent.stats: %s", strerror(-ret));
			}
			if (st.failed)
				break;
			poll_step();
		}
		EXPECT_EQ(1ULL, st.failed);
		EXPECT_EQ(-ENAMETOOLONG, st.last_error);
		/* No call under any prefix of the deep group's path. */
		expected[PATH_MAX - 1] = '\0';
		EXPECT_EQ(0, calls(self, expected)) {
			TH_LOG("a truncated path was passed");
		}
	} else {
		/* cgroup v1 cuts the argument to PATH_MAX - 1 bytes. */
		expected[PATH_MAX - 1] = '\0';
		expect_calls(_metadata, self, expected, 1);
	}

	/* The groups are too deep for the teardown's absolute paths. */
	ASSERT_EQ(rmdir(fit), 0);
	ASSERT_EQ(rmdir(deep), 0);
	for (int i = 0; i < DEEP_LEVELS; i++) {
		ASSERT_EQ(chdir(".."), 0);
		ASSERT_EQ(rmdir(level), 0) {
			TH_LOG("rmdir at depth %d: %s", DEEP_LEVELS - i, strerror(errno));
		}
	}
	ASSERT_EQ(fchdir(cwd), 0);
	close(cwd);
	free(prefix);
	free(expected);
}

/* cgroup.events of a group reads "populated 1" while it has a task of its own. */
TEST_F(release, events_populated)
{
	struct holder h;
	char g[PATH_BUF];
	struct stat st;

	if (!variant->has_events)
		SKIP(return, "%s has no cgroup.events", variant->fstype);

	mount_hier(_metadata, self, variant, 0, "none", NULL);
	assert_content(_metadata, at(self->mnt[0], "cgroup.events"), "populated 1\n");
	join(g, self->mnt[0], "g");
	mkdir_ok(_metadata, g);
	mkdir_ok(_metadata, at(g, "c"));
	ASSERT_EQ(0, stat(at(g, "cgroup.events"), &st));
	EXPECT_EQ(0444U, st.st_mode & 07777);
	assert_content(_metadata, at(g, "cgroup.events"), "populated 0\n");

	spawn_holder(_metadata, &h);
	move_holder(_metadata, &h, g);
	assert_content(_metadata, at(g, "cgroup.events"), "populated 1\n");
	/* Only the group's own tasks count, not its descendants'. */
	move_holder(_metadata, &h, at(g, "c"));
	assert_content(_metadata, at(g, "cgroup.events"), "populated 0\n");
	assert_content(_metadata, at(g, "c/cgroup.events"), "populated 1\n");
	release_holder(_metadata, &h);
	assert_content(_metadata, at(g, "c/cgroup.events"), "populated 0\n");
}

/* The one-letter state of the process @pid ('S' sleeping, ...), or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[READ_SIZE], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Forks a process that waits (bounded) until the caller sleeps, in the poll()
 * that follows, then moves @pid into @group, or kills @pid for a NULL @group.
 */
static pid_t act_when_asleep(struct __test_metadata *_metadata, pid_t pid,
			     const char *group)
{
	pid_t parent = getpid(), child;

	child = fork();
	ASSERT_GE(child, 0);
	if (child)
		return child;
	for (int i = 0; i < POLL_TRIES && proc_state(parent) != 'S'; i++)
		poll_step();
	if (group)
		_exit(move_pid(group, pid) ? 1 : 0);
	_exit(kill(pid, SIGKILL) ? 1 : 0);
}

/* pread()s @fd at offset 0 and checks it reads @expected. */
static void assert_pread(struct __test_metadata *_metadata, int fd, const char *expected)
{
	char buf[READ_SIZE];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	ASSERT_GE(n, 0) {
		TH_LOG("pread: %s", strerror(errno));
	}
	buf[n] = '\0';
	ASSERT_STREQ(expected, buf);
}

/* poll()s @fd for POLLPRI with @timeout_ms; returns revents (0: timed out). */
static short poll_pri(struct __test_metadata *_metadata, int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLPRI };
	int ret = poll(&pfd, 1, timeout_ms);

	ASSERT_GE(ret, 0) {
		TH_LOG("poll: %s", strerror(errno));
	}
	return ret ? pfd.revents : 0;
}

/*
 * A poll() blocked on cgroup.events wakes with POLLPRI | POLLERR when the
 * group becomes populated, and again when it becomes empty. No agent is set.
 */
TEST_F(release, events_poll_wakes)
{
	struct holder h;
	char g[PATH_BUF];
	int fd, status;
	pid_t mover;

	if (!variant->has_events)
		SKIP(return, "%s has no cgroup.events", variant->fstype);

	mount_hier(_metadata, self, variant, 0, "none", NULL);
	join(g, self->mnt[0], "g");
	mkdir_ok(_metadata, g);
	fd = open(at(g, "cgroup.events"), O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	assert_pread(_metadata, fd, "populated 0\n");
	EXPECT_EQ(0, poll_pri(_metadata, fd, 0));

	spawn_holder(_metadata, &h);
	mover = act_when_asleep(_metadata, h.pid, g);
	EXPECT_EQ(POLLPRI | POLLERR, poll_pri(_metadata, fd, POLL_LIMIT_MS));
	ASSERT_EQ(mover, waitpid(mover, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	assert_pread(_metadata, fd, "populated 1\n");
	EXPECT_EQ(0, poll_pri(_metadata, fd, 0));

	mover = act_when_asleep(_metadata, h.pid, NULL);
	EXPECT_EQ(POLLPRI | POLLERR, poll_pri(_metadata, fd, POLL_LIMIT_MS));
	ASSERT_EQ(mover, waitpid(mover, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_EQ(h.pid, waitpid(h.pid, NULL, 0));
	close(h.wfd);
	assert_pread(_metadata, fd, "populated 0\n");
	EXPECT_EQ(0, poll_pri(_metadata, fd, 0));
	close(fd);
}

/*
 * A change stays pending on an open cgroup.events until that open file is
 * read; a file opened after the change has nothing pending.
 */
TEST_F(release, events_read_rearms)
{
	struct holder h;
	char g[PATH_BUF];
	int fd, late;

	if (!variant->has_events)
		SKIP(return, "%s has no cgroup.events", variant->fstype);

	mount_hier(_metadata, self, variant, 0, "none", NULL);
	join(g, self->mnt[0], "g");
	mkdir_ok(_metadata, g);
	fd = open(at(g, "cgroup.events"), O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);

	spawn_holder(_metadata, &h);
	move_holder(_metadata, &h, g);
	EXPECT_EQ(POLLPRI | POLLERR, poll_pri(_metadata, fd, 0));
	/* poll() alone does not consume the change. */
	EXPECT_EQ(POLLPRI | POLLERR, poll_pri(_metadata, fd, 0));
	late = open(at(g, "cgroup.events"), O_RDONLY | O_CLOEXEC);
	ASSERT_GE(late, 0);
	EXPECT_EQ(0, poll_pri(_metadata, late, 0));
	assert_pread(_metadata, fd, "populated 1\n");
	EXPECT_EQ(0, poll_pri(_metadata, fd, 0));

	release_holder(_metadata, &h);
	EXPECT_EQ(POLLPRI | POLLERR, poll_pri(_metadata, fd, 0));
	EXPECT_EQ(POLLPRI | POLLERR, poll_pri(_metadata, late, 0));
	assert_pread(_metadata, fd, "populated 0\n");
	EXPECT_EQ(0, poll_pri(_metadata, fd, 0));
	EXPECT_EQ(POLLPRI | POLLERR, poll_pri(_metadata, late, 0));
	assert_pread(_metadata, late, "populated 0\n");
	EXPECT_EQ(0, poll_pri(_metadata, late, 0));
	close(late);
	close(fd);
}

/* release_agent.stats (root only, 0444) counts successful calls as launched. */
TEST_F(release, stats_count_launched)
{
	char name[NAME_BUF], path[NAME_BUF], g[PATH_BUF];
	struct agent_stats st;
	struct stat sb;
	int ret;

	if (!variant->has_stats)
		SKIP(return, "%s has no release_agent.stats", variant->fstype);

	mount_with_agent(_metadata, self, variant);
	ASSERT_EQ(0, stat(at(self->mnt[0], "release_agent.stats"), &sb));
	EXPECT_EQ(0444U, sb.st_mode & 07777);
	assert_content(_metadata, at(self->mnt[0], "release_agent.stats"),
		       "launched 0\nfailed 0\nlast_error 0\n");
	for (int i = 0; i < STATS_RELEASES; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		snprintf(path, sizeof(path), "/s%d", i);
		notify_group(_metadata, join(g, self->mnt[0], name));
		run_in(_metadata, g);
		expect_calls(_metadata, self, path, 1);
	}
	errno = 0;
	EXPECT_EQ(-1, access(at(self->mnt[0], "s0/release_agent.stats"), F_OK));
	EXPECT_EQ(ENOENT, errno);

	ret = read_stats(self->mnt[0], &st);
	ASSERT_EQ(0, ret) {
		TH_LOG("release_agent.stats: %s", strerror(-ret));
	}
	EXPECT_LE((unsigned long long)STATS_RELEASES, st.launched);
	EXPECT_EQ(0ULL, st.failed);
	EXPECT_EQ(0, st.last_error);
}

/* What the racing mount of mount_races_last_umount saw and did. */
struct race_report {
	/* The step that failed (0: none), and its errno. */
	int step;
	int err;
	/* inotify reported IN_UNMOUNT of the watched hierarchy before the mount. */
	bool saw_unmount;
};

enum race_step {
	RACE_OK,
	RACE_AFFINITY,
	RACE_INOTIFY,
	RACE_WATCH,
	RACE_FIFO,
	RACE_POLL,
	RACE_MOUNT,
};

static const char *const race_step_name[] = {
	[RACE_OK] = "nothing",
	[RACE_AFFINITY] = "sched_setaffinity",
	[RACE_INOTIFY] = "inotify_init1",
	[RACE_WATCH] = "inotify_add_watch",
	[RACE_FIFO] = "sched_setscheduler(SCHED_FIFO)",
	[RACE_POLL] = "waiting for IN_UNMOUNT",
	[RACE_MOUNT] = "mount",
};

/* Sends the racing mount's report through @fd and ends the child. */
static __noreturn void race_report(int fd, int step, int err, bool saw_unmount)
{
	struct race_report r = { .step = step, .err = err, .saw_unmount = saw_unmount };

	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(EXIT_FAILURE);
	_exit(EXIT_SUCCESS);
}

/*
 * The racing mount: watches the root of the hierarchy mounted on @watch
 * with inotify, tells @ready_fd it is set, waits for IN_UNMOUNT and mounts
 * @opts on @dir at once. The superblock's shutdown sends IN_UNMOUNT
 * (generic_shutdown_super(), fsnotify_sb_delete()) from the unmounting
 * task's kill_sb, before the superblock is dead. With @cpu >= 0 the child
 * runs there with SCHED_FIFO, beside the unmounting task: on a preemptible
 * kernel (7.3's test kernels, PREEMPT_LAZY) the wake-up preempts that task
 * inside kill_sb, and the mount runs to its end before the rest of kill_sb --
 * the widest interleaving the VFS allows. Without preemption (6.12's,
 * PREEMPT_NONE) the mount waits for the unmount's next scheduling point, and
 * the interleaving is only possible, not forced. Reports through @report_fd.
 */
static __noreturn void racing_mount(int cpu, const char *watch, const char *fstype,
				    const char *dir, const char *opts, int ready_fd,
				    int report_fd)
{
	struct sched_param sp = { .sched_priority = 1 };
	char ev[sizeof(struct inotify_event) + NAME_MAX + 1];
	const struct inotify_event *e;
	struct pollfd pfd;
	bool saw_unmount = false;
	cpu_set_t set;
	ssize_t n;
	int fd;

	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			race_report(report_fd, RACE_AFFINITY, errno, false);
	}
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0)
		race_report(report_fd, RACE_INOTIFY, errno, false);
	/* IN_UNMOUNT comes with any mask. */
	if (inotify_add_watch(fd, watch, IN_DELETE_SELF | IN_MOVE_SELF) < 0)
		race_report(report_fd, RACE_WATCH, errno, false);
	if (cpu >= 0 && sched_setscheduler(0, SCHED_FIFO, &sp))
		race_report(report_fd, RACE_FIFO, errno, false);
	if (write(ready_fd, "r", 1) != 1)
		_exit(EXIT_FAILURE);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	errno = 0;
	if (poll(&pfd, 1, POLL_LIMIT_MS) != 1)
		race_report(report_fd, RACE_POLL, errno ? errno : ETIMEDOUT, false);
	n = read(fd, ev, sizeof(ev));
	for (ssize_t off = 0; off + (ssize_t)sizeof(*e) <= n; off += sizeof(*e) + e->len) {
		e = (const struct inotify_event *)(ev + off);
		saw_unmount |= !!(e->mask & IN_UNMOUNT);
	}
	if (mount("none", dir, fstype, 0, opts))
		race_report(report_fd, RACE_MOUNT, errno, saw_unmount);
	race_report(report_fd, RACE_OK, 0, saw_unmount);
}

/* The first CPU the test may run on. */
static int first_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			return cpu;
	return 0;
}

/*
 * A mount of "none,name=X" races the unmount of X's last mount, X having no
 * groups (so the unmount destroys it), RACE_ROUNDS times: the mount either
 * joins X before it goes or makes a new X, never one that is being
 * destroyed. After each round a second mount of the same options must show
 * the racing mount's hierarchy (the same superblock, so the same device):
 * there are never two hierarchies of one name. Every other round the racing
 * mount starts from the unmount's own kill_sb, preempting it (see
 * racing_mount()); in the others it runs on any CPU. At the end a release in
 * the surviving hierarchy reaches the agent.
 */
TEST_F(release, mount_races_last_umount)
{
	int cpu = first_cpu(), preempted = 0;
	char opts[OPTS_SIZE], g[PATH_BUF];
	const char *name;

	name = mount_hier(_metadata, self, variant, 0, "none", self->agent);
	snprintf(opts, sizeof(opts), "none,name=%s,release_agent=%s", name, self->agent);
	for (int round = 0; round < RACE_ROUNDS; round++) {
		int ready[2], report[2], status;
		struct race_report r;
		struct stat st[2];
		pid_t mounter, unmounter;
		char c;

		ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
		ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
		mounter = fork();
		ASSERT_GE(mounter, 0);
		if (!mounter)
			racing_mount(round % 2 ? -1 : cpu, self->mnt[0], variant->fstype,
				     self->mnt[1], opts, ready[1], report[1]);
		close(ready[1]);
		close(report[1]);
		ASSERT_EQ(1, read(ready[0], &c, 1)) {
			TH_LOG("round %d: the racing mount did not get ready", round);
		}
		close(ready[0]);

		unmounter = fork();
		ASSERT_GE(unmounter, 0);
		if (!unmounter) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			_exit(umount2(self->mnt[0], 0) ? errno : 0);
		}
		ASSERT_EQ(unmounter, waitpid(unmounter, &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("round %d: umount(%s): %s", round, self->mnt[0],
			       WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "killed");
		}
		ASSERT_EQ((ssize_t)sizeof(r), read(report[0], &r, sizeof(r))) {
			TH_LOG("round %d: the racing mount died without a report", round);
		}
		close(report[0]);
		ASSERT_EQ(mounter, waitpid(mounter, NULL, 0));
		ASSERT_EQ(RACE_OK, r.step) {
			TH_LOG("round %d: racing mount: %s: %s", round, race_step_name[r.step],
			       strerror(r.err));
		}
		/* The unmount did destroy the hierarchy while the mount was under way. */
		ASSERT_TRUE(r.saw_unmount) {
			TH_LOG("round %d: the racing mount woke without IN_UNMOUNT", round);
		}
		preempted += !(round % 2);

		ASSERT_EQ(0, mount("none", self->mnt[0], variant->fstype, 0, opts)) {
			TH_LOG("round %d: mount -o %s: %s", round, opts, strerror(errno));
		}
		ASSERT_EQ(0, stat(self->mnt[0], &st[0]));
		ASSERT_EQ(0, stat(self->mnt[1], &st[1]));
		if (st[0].st_dev != st[1].st_dev) {
			int n;

			/* Is the racing mount's hierarchy still alive? */
			notify_group(_metadata, join(g, self->mnt[1], "g"));
			run_in(_metadata, g);
			n = wait_calls(self, "/g", 1);
			ASSERT_EQ(st[0].st_dev, st[1].st_dev) {
				TH_LOG("round %d: two hierarchies named %s:", round, name);
				TH_LOG("device %#llx on %s, device %#llx on %s (the racing mount)",
				       (unsigned long long)st[0].st_dev, self->mnt[0],
				       (unsigned long long)st[1].st_dev, self->mnt[1]);
				TH_LOG("a release in the racing mount's got %d agent calls", n);
			}
		}
		ASSERT_EQ(0, umount2(self->mnt[1], 0)) {
			TH_LOG("round %d: umount(%s): %s", round, self->mnt[1], strerror(errno));
		}
	}
	TH_LOG("%d rounds, %d with the racing mount in SCHED_FIFO beside the unmount on CPU %d",
	       RACE_ROUNDS, preempted, cpu);

	notify_group(_metadata, join(g, self->mnt[0], "g"));
	run_in(_metadata, g);
	expect_calls(_metadata, self, "/g", 1);
}

TEST_HARNESS_MAIN
