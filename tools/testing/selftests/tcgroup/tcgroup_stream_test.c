// SPDX-License-Identifier: GPL-2.0
/*
 * The release stream of tcgroup: the root group's release.stream, one line
 * per release of any group of the hierarchy ("SEQ PATH", or "lost N" after
 * records a full queue dropped), for every open file description (see
 * "Release stream" in Documentation/tcgroup.rst).
 *
 * Neither cgroup v1 nor cgroup v2 has anything of the kind: v1 runs its
 * release agent once per release (tcgroup_release_test compares tcgroup's
 * with it), v2 has one cgroup.events per group, pollable, which says neither
 * which group changed nor how often. So these tests run on tcgroup alone.
 *
 * A release here is a group with notify_on_release losing its last task: the
 * test moves itself into the group and back to the root group ("cycle"), or
 * a child process in the group exits. The hierarchy has no release agent,
 * the cheap way to use the stream. Waits are bounded polls (poll(2) on the
 * stream with a timeout, /proc/PID/stat for a sleeping reader), never fixed
 * sleeps.
 *
 * Each test runs in a mount namespace of its own, with a hierarchy name of
 * its own ("tcgstr_<pid>_<n>").
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "tcgroup_util.h"

#define TMPDIR_TEMPLATE "/tmp/tcgstr_XXXXXX"
#define PATH_BUF 256
#define NAME_BUF 64
/* How long a test waits for a record it expects. */
#define WAIT_MS 10000
/* The queue of a reader at open (Documentation/tcgroup.rst). */
#define QUEUE_DEFAULT 16384

/* Concurrent releases: processes, each cycling its own group. */
#define WRITERS 8
#define CYCLES 100

FIXTURE(stream) {
	char dir[sizeof(TMPDIR_TEMPLATE)];
	char mnt[64];
	char name[NAME_BUF];
	bool mounted;
};

FIXTURE_SETUP(stream)
{
	static int seq;
	char opts[NAME_BUF + 16];

	if (geteuid() != 0)
		SKIP(return, "the stream tests need root");
	if (!fs_registered("tcgroup"))
		SKIP(return, "tcgroup is not in /proc/filesystems (tcgroup.ko not loaded?)");
	umask(022);
	ASSERT_EQ(private_mount_ns(), 0);
	memcpy(self->dir, TMPDIR_TEMPLATE, sizeof(TMPDIR_TEMPLATE));
	ASSERT_NE(mkdtemp(self->dir), NULL);
	snprintf(self->mnt, sizeof(self->mnt), "%s/mnt", self->dir);
	ASSERT_EQ(mkdir(self->mnt, 0755), 0);
	snprintf(self->name, sizeof(self->name), "tcgstr_%d_%d", getpid(), seq++);
	snprintf(opts, sizeof(opts), "none,name=%s", self->name);
	ASSERT_EQ(mount("none", self->mnt, "tcgroup", 0, opts), 0) {
		TH_LOG("mount -t tcgroup -o %s: %s", opts, strerror(errno));
	}
	self->mounted = true;
	/* Every group made from now on inherits it. */
	ASSERT_EQ(write_str(at(self->mnt, "notify_on_release"), "1"), 0);
}

FIXTURE_TEARDOWN(stream)
{
	char opts[NAME_BUF + 16];

	close_from(3);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	if (!self->mounted) {
		/* The hierarchy may outlive its mount with groups in it. */
		snprintf(opts, sizeof(opts), "none,name=%s", self->name);
		if (!mount("none", self->mnt, "tcgroup", 0, opts))
			self->mounted = true;
	}
	if (self->mounted) {
		write_str(at(self->mnt, "tasks"), "0");
		remove_groups(self->mnt);
		umount2(self->mnt, MNT_DETACH);
	}
	rmdir(self->mnt);
	rmdir(self->dir);
}

/* A record: a release (seq, path) or a loss (lost). */
struct rec {
	unsigned long long seq;
	unsigned long long lost;
	char path[PATH_BUF];
};

/* A buffered reader of a stream. */
struct reader {
	int fd;
	size_t len;
	char buf[65536];
};

static int open_stream(const char *mnt, int flags)
{
	return open(at(mnt, "release.stream"), flags | O_CLOEXEC);
}

static struct reader *new_reader(struct __test_metadata *_metadata, const char *mnt, int flags)
{
	struct reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = open_stream(mnt, flags);
	EXPECT_GE(r->fd, 0) {
		TH_LOG("open(%s/release.stream): %s", mnt, strerror(errno));
	}
	return r;
}

static void free_reader(struct reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/*
 * Parses the line @line (without its newline) into @rec; -EPROTO if it is
 * neither "SEQ PATH" nor "lost N".
 */
static int parse_line(const char *line, struct rec *rec)
{
	size_t len;
	char *end;

	memset(rec, 0, sizeof(*rec));
	if (!strncmp(line, "lost ", 5)) {
		rec->lost = strtoull(line + 5, &end, 10);
		return *end || !rec->lost ? -EPROTO : 0;
	}
	rec->seq = strtoull(line, &end, 10);
	if (end == line || *end != ' ' || end[1] != '/' || !rec->seq)
		return -EPROTO;
	len = strlen(end + 1);
	if (strchr(end + 1, ' ') || len >= sizeof(rec->path))
		return -EPROTO;
	memcpy(rec->path, end + 1, len + 1);
	return 0;
}

/*
 * The next record of @r into @rec: 1, 0 if none came within @ms ms (0: do
 * not wait), -ENODATA at the end of the stream, or -errno.
 */
static int next_rec(struct reader *r, struct rec *rec, int ms)
{
	for (;;) {
		char *nl = memchr(r->buf, '\n', r->len);
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		ssize_t n;

		if (nl) {
			int ret;

			*nl = '\0';
			ret = parse_line(r->buf, rec);
			r->len -= nl + 1 - r->buf;
			memmove(r->buf, nl + 1, r->len);
			return ret ? ret : 1;
		}
		n = poll(&pfd, 1, ms);
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return r->len ? -EPROTO : -ENODATA;
		r->len += n;
	}
}

/* The number N of a path "/<@prefix>N", or -1. */
static int group_number(const char *path, char prefix)
{
	char *end;
	long n;

	if (path[0] != '/' || path[1] != prefix)
		return -1;
	n = strtol(path + 2, &end, 10);
	return end == path + 2 || *end || n < 0 || n > INT_MAX ? -1 : (int)n;
}

/* Moves the caller into @group and back to the root of @mnt: one release. */
static void cycle(struct __test_metadata *_metadata, const char *mnt, const char *group)
{
	char g[PATH_BUF];
	int ret;

	snprintf(g, sizeof(g), "%s/%s", mnt, group);
	ret = write_str(at(g, "tasks"), "0");
	ASSERT_EQ(ret, 0) {
		TH_LOG("moving into %s: %s", g, strerror(-ret));
	}
	ret = write_str(at(mnt, "tasks"), "0");
	ASSERT_EQ(ret, 0) {
		TH_LOG("moving back to %s: %s", mnt, strerror(-ret));
	}
}

static void mkgroup(struct __test_metadata *_metadata, const char *mnt, const char *group)
{
	ASSERT_EQ(mkdir(at(mnt, group), 0755), 0) {
		TH_LOG("mkdir(%s/%s): %s", mnt, group, strerror(errno));
	}
}

/* Expects the release record of @path next on @r; returns its sequence number. */
static unsigned long long expect_release(struct __test_metadata *_metadata, struct reader *r,
					 const char *path)
{
	struct rec rec;
	int ret = next_rec(r, &rec, WAIT_MS);

	EXPECT_EQ(ret, 1) {
		TH_LOG("no record for %s: %s", path, ret ? strerror(-ret) : "timeout");
		return 0;
	}
	EXPECT_EQ(rec.lost, 0ULL);
	EXPECT_STREQ(rec.path, path);
	return rec.seq;
}

/* Expects nothing more on @r for now (a non-blocking read finds nothing). */
static void expect_empty(struct __test_metadata *_metadata, struct reader *r)
{
	struct rec rec;

	EXPECT_EQ(next_rec(r, &rec, 0), 0) {
		TH_LOG("unexpected record seq %llu path %s lost %llu", rec.seq, rec.path, rec.lost);
	}
}

/*
 * The format: "SEQ PATH\n", the sequence numbers consecutive, the path from
 * the root with space, tab, newline and backslash in octal; a reader that
 * reads one byte at a time (as a shell's read does) gets the same bytes.
 * The file is 0600, a stream (no lseek), and gives nothing to read before a
 * release (EAGAIN under O_NONBLOCK).
 */
TEST_F(stream, format_and_sequence)
{
	struct reader *r = new_reader(_metadata, self->mnt, O_RDONLY | O_NONBLOCK);
	unsigned long long s;
	char line[PATH_BUF], c;
	struct stat st;
	int fd, n = 0;

	ASSERT_NE(r, NULL);
	ASSERT_GE(r->fd, 0);
	ASSERT_EQ(stat(at(self->mnt, "release.stream"), &st), 0);
	EXPECT_EQ(st.st_mode, (mode_t)(S_IFREG | 0600));
	EXPECT_EQ(lseek(r->fd, 0, SEEK_SET), -1);
	EXPECT_EQ(errno, ESPIPE);
	EXPECT_EQ(read(r->fd, line, sizeof(line)), -1);
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_EQ(access(at(self->mnt, "release.stream"), F_OK), 0);

	mkgroup(_metadata, self->mnt, "g1");
	mkgroup(_metadata, self->mnt, "a b\\c");
	mkgroup(_metadata, self->mnt, "p");
	mkgroup(_metadata, self->mnt, "p/q");
	EXPECT_EQ(access(at(at(self->mnt, "g1"), "release.stream"), F_OK), -1);

	cycle(_metadata, self->mnt, "g1");
	cycle(_metadata, self->mnt, "a b\\c");
	cycle(_metadata, self->mnt, "p/q");
	cycle(_metadata, self->mnt, "g1");
	s = expect_release(_metadata, r, "/g1");
	EXPECT_GT(s, 0ULL);
	EXPECT_EQ(expect_release(_metadata, r, "/a\\040b\\134c"), s + 1);
	EXPECT_EQ(expect_release(_metadata, r, "/p/q"), s + 2);
	EXPECT_EQ(expect_release(_metadata, r, "/g1"), s + 3);
	expect_empty(_metadata, r);

	/* One byte at a time, on a second reader. */
	fd = open_stream(self->mnt, O_RDONLY);
	ASSERT_GE(fd, 0);
	cycle(_metadata, self->mnt, "a b\\c");
	while (n < (int)sizeof(line) - 1 && read(fd, &c, 1) == 1) {
		line[n++] = c;
		if (c == '\n')
			break;
	}
	line[n] = '\0';
	{
		char expected[PATH_BUF];

		snprintf(expected, sizeof(expected), "%llu /a\\040b\\134c\n", s + 4);
		EXPECT_STREQ(line, expected);
	}
	close(fd);
	EXPECT_EQ(expect_release(_metadata, r, "/a\\040b\\134c"), s + 4);
	free_reader(r);
}

/* A reader opened later sees only the releases after its open. */
TEST_F(stream, late_reader_sees_only_later_releases)
{
	struct reader *a, *b;
	unsigned long long s;

	mkgroup(_metadata, self->mnt, "early");
	mkgroup(_metadata, self->mnt, "late");
	a = new_reader(_metadata, self->mnt, O_RDONLY | O_NONBLOCK);
	ASSERT_NE(a, NULL);
	cycle(_metadata, self->mnt, "early");
	s = expect_release(_metadata, a, "/early");

	b = new_reader(_metadata, self->mnt, O_RDONLY | O_NONBLOCK);
	ASSERT_NE(b, NULL);
	expect_empty(_metadata, b);
	cycle(_metadata, self->mnt, "late");
	EXPECT_EQ(expect_release(_metadata, b, "/late"), s + 1);
	EXPECT_EQ(expect_release(_metadata, a, "/late"), s + 1);
	expect_empty(_metadata, a);
	expect_empty(_metadata, b);
	free_reader(a);
	free_reader(b);
}

/*
 * WRITERS processes each release their own group CYCLES times at once. Every
 * reader gets every release once, with sequence numbers consecutive from its
 * first, in the same order as every other reader.
 */
TEST_F_TIMEOUT(stream, concurrent_releases_same_sequence_for_two_readers, 300)
{
	int counts[WRITERS] = { 0 };
	struct reader *r[2];
	char name[NAME_BUF];
	unsigned long long first = 0;
	pid_t pids[WRITERS];
	int go[2], i, k;

	ASSERT_EQ(pipe(go), 0);
	for (i = 0; i < WRITERS; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		mkgroup(_metadata, self->mnt, name);
	}
	for (k = 0; k < 2; k++) {
		r[k] = new_reader(_metadata, self->mnt, O_RDONLY | O_NONBLOCK);
		ASSERT_NE(r[k], NULL);
	}
	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0) {
			char g[PATH_BUF], c;

			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				_exit(2);
			snprintf(g, sizeof(g), "%s/w%d", self->mnt, i);
			for (k = 0; k < CYCLES; k++) {
				if (write_str(at(g, "tasks"), "0") ||
				    write_str(at(self->mnt, "tasks"), "0"))
					_exit(1);
			}
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);

	/* Reader 0 reads while the releases happen; reader 1 after. */
	for (i = 0; i < WRITERS * CYCLES; i++) {
		struct rec rec;
		int ret = next_rec(r[0], &rec, WAIT_MS), w;

		ASSERT_EQ(ret, 1) {
			TH_LOG("record %d of %d: %s", i, WRITERS * CYCLES,
			       ret ? strerror(-ret) : "timeout");
		}
		ASSERT_EQ(rec.lost, 0ULL);
		if (!i)
			first = rec.seq;
		ASSERT_EQ(rec.seq, first + i);
		w = group_number(rec.path, 'w');
		ASSERT_TRUE(w >= 0 && w < WRITERS) {
			TH_LOG("path %s", rec.path);
		}
		counts[w]++;
	}
	for (i = 0; i < WRITERS; i++) {
		int status;

		ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		EXPECT_EQ(counts[i], CYCLES);
	}
	expect_empty(_metadata, r[0]);
	/* Reader 1: the same records, in the same order. */
	{
		struct rec rec;

		for (i = 0; i < WRITERS * CYCLES; i++) {
			ASSERT_EQ(next_rec(r[1], &rec, WAIT_MS), 1);
			ASSERT_EQ(rec.seq, first + i);
		}
		expect_empty(_metadata, r[1]);
	}
	free_reader(r[0]);
	free_reader(r[1]);
}

/*
 * A reader whose queue is full loses the records that do not fit, and is told
 * once, exactly, after the ones it has: "lost N", then the records that came
 * after room was made. A write sets the open file's queue size: 1 to 2^20,
 * else EINVAL; not below the records queued (EBUSY).
 */
TEST_F(stream, overflow_gives_one_exact_loss_record)
{
	unsigned long long s;
	struct reader *r;
	struct rec rec;
	int i;

	mkgroup(_metadata, self->mnt, "g");
	r = new_reader(_metadata, self->mnt, O_RDWR | O_NONBLOCK);
	ASSERT_NE(r, NULL);
	ASSERT_GE(r->fd, 0);
	EXPECT_EQ(write_fd(r->fd, "0", 1), -EINVAL);
	EXPECT_EQ(write_fd(r->fd, "1048577", 7), -EINVAL);
	EXPECT_EQ(write_fd(r->fd, "x", 1), -EINVAL);
	EXPECT_EQ(write_fd(r->fd, "4\n", 2), 0);

	for (i = 0; i < 10; i++)
		cycle(_metadata, self->mnt, "g");
	EXPECT_EQ(write_fd(r->fd, "3", 1), -EBUSY);
	s = expect_release(_metadata, r, "/g");
	for (i = 1; i < 4; i++)
		EXPECT_EQ(expect_release(_metadata, r, "/g"), s + i);
	ASSERT_EQ(next_rec(r, &rec, WAIT_MS), 1);
	EXPECT_EQ(rec.seq, 0ULL);
	EXPECT_EQ(rec.lost, 6ULL);
	expect_empty(_metadata, r);

	/* A loss between records: 2 fit, 3 lost, then room again. */
	EXPECT_EQ(write_fd(r->fd, "2", 1), 0);
	for (i = 0; i < 5; i++)
		cycle(_metadata, self->mnt, "g");
	EXPECT_EQ(expect_release(_metadata, r, "/g"), s + 10);
	cycle(_metadata, self->mnt, "g");
	/* The loss comes before the record of s + 15, wherever it was read. */
	EXPECT_EQ(expect_release(_metadata, r, "/g"), s + 11);
	ASSERT_EQ(next_rec(r, &rec, WAIT_MS), 1);
	EXPECT_EQ(rec.lost, 3ULL);
	EXPECT_EQ(expect_release(_metadata, r, "/g"), s + 15);
	expect_empty(_metadata, r);
	free_reader(r);
}

/* The state letter of /proc/@pid/stat, or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Waits (bounded) until @pid sleeps interruptibly. */
static bool wait_sleeping(pid_t pid)
{
	for (int i = 0; i < WAIT_MS / 10; i++) {
		if (proc_state(pid) == 'S')
			return true;
		usleep(10000);
	}
	return false;
}

enum waiter { WAIT_POLL, WAIT_EPOLL, WAIT_READ };

/*
 * A child waiting on the stream the way @how says; exits 0 once woken with a
 * record to read.
 */
static pid_t spawn_waiter(const char *mnt, enum waiter how)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid) {
		close(ready[1]);
		/* Opened (or failed): EOF either way. */
		if (pid > 0 && read(ready[0], &c, 1) < 0)
			pid = -1;
		close(ready[0]);
		return pid;
	}
	{
		int fd = open_stream(mnt, O_RDONLY), ep;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct epoll_event ev = { .events = EPOLLIN };
		char buf[PATH_BUF];

		close(ready[0]);
		close(ready[1]);
		if (fd < 0)
			_exit(10);
		switch (how) {
		case WAIT_POLL:
			if (poll(&pfd, 1, WAIT_MS * 3) != 1 || pfd.revents != POLLIN)
				_exit(11);
			break;
		case WAIT_EPOLL:
			ep = epoll_create1(0);
			if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
				_exit(12);
			if (epoll_wait(ep, &ev, 1, WAIT_MS * 3) != 1 || ev.events != EPOLLIN)
				_exit(13);
			break;
		case WAIT_READ:
			break;
		}
		if (read(fd, buf, sizeof(buf)) <= 0 || !strchr(buf, '\n'))
			_exit(14);
		_exit(0);
	}
}

/*
 * A reader asleep in poll(), epoll_wait() or a blocking read() is woken by a
 * release; poll() reports nothing before it.
 */
TEST_F(stream, poll_epoll_and_read_wake_up)
{
	enum waiter how[] = { WAIT_POLL, WAIT_EPOLL, WAIT_READ };
	struct pollfd pfd;
	int fd;

	mkgroup(_metadata, self->mnt, "g");
	fd = open_stream(self->mnt, O_RDONLY);
	ASSERT_GE(fd, 0);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN | POLLPRI };
	EXPECT_EQ(poll(&pfd, 1, 0), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(how); i++) {
		pid_t pid = spawn_waiter(self->mnt, how[i]);
		int status;

		ASSERT_GT(pid, 0);
		ASSERT_TRUE(wait_sleeping(pid)) {
			TH_LOG("waiter %u never slept", i);
		}
		cycle(_metadata, self->mnt, "g");
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			TH_LOG("waiter %u: status 0x%x", i, status);
		}
	}
	EXPECT_EQ(poll(&pfd, 1, 0), 1);
	EXPECT_EQ(pfd.revents, POLLIN);
	close(fd);
}

/*
 * rmdir and umount with readers open. A record of a group removed since its
 * release keeps the path it had. An open reader holds the superblock (as any
 * open file does), so umount fails with EBUSY, and a lazy umount leaves the
 * hierarchy and its stream alive: a task exiting in a group is recorded, and
 * mounting the hierarchy again by name gives the same stream, whose sequence
 * goes on. The hierarchy goes only once the last reader is closed (then,
 * unmounted and without groups, it is destroyed, and a new hierarchy of the
 * same name starts its sequence at 1): the reader's file never outlives it.
 */
TEST_F(stream, rmdir_and_umount_with_readers_open)
{
	char opts[NAME_BUF + 16], c;
	struct reader *r, *r2;
	unsigned long long s;
	int hold[2];
	pid_t pid;

	snprintf(opts, sizeof(opts), "none,name=%s", self->name);
	mkgroup(_metadata, self->mnt, "gone");
	mkgroup(_metadata, self->mnt, "h");
	r = new_reader(_metadata, self->mnt, O_RDONLY | O_NONBLOCK);
	ASSERT_NE(r, NULL);
	cycle(_metadata, self->mnt, "gone");
	ASSERT_EQ(rmdir(at(self->mnt, "gone")), 0);
	s = expect_release(_metadata, r, "/gone");

	/* A holder in /h, exiting once its pipe closes. */
	ASSERT_EQ(pipe(hold), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(hold[1]);
		if (write_str(at(at(self->mnt, "h"), "tasks"), "0"))
			_exit(1);
		if (read(hold[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(hold[0]);
	ASSERT_TRUE(wait_sleeping(pid));
	EXPECT_EQ(umount2(self->mnt, 0), -1);
	EXPECT_EQ(errno, EBUSY);
	ASSERT_EQ(umount2(self->mnt, MNT_DETACH), 0);
	self->mounted = false;
	close(hold[1]);
	EXPECT_EQ(expect_release(_metadata, r, "/h"), s + 1);
	waitpid(pid, NULL, 0);

	/* The same hierarchy again: the same stream. */
	ASSERT_EQ(mount("none", self->mnt, "tcgroup", 0, opts), 0);
	self->mounted = true;
	ASSERT_EQ(rmdir(at(self->mnt, "h")), 0);
	r2 = new_reader(_metadata, self->mnt, O_RDONLY | O_NONBLOCK);
	ASSERT_NE(r2, NULL);
	mkgroup(_metadata, self->mnt, "x");
	cycle(_metadata, self->mnt, "x");
	ASSERT_EQ(rmdir(at(self->mnt, "x")), 0);
	EXPECT_EQ(expect_release(_metadata, r, "/x"), s + 2);
	EXPECT_EQ(expect_release(_metadata, r2, "/x"), s + 2);
	expect_empty(_metadata, r);

	/* Unmounted, no group, the readers closed: destroyed. */
	ASSERT_EQ(umount2(self->mnt, MNT_DETACH), 0);
	self->mounted = false;
	free_reader(r);
	free_reader(r2);
	ASSERT_EQ(mount("none", self->mnt, "tcgroup", 0, opts), 0);
	self->mounted = true;
	ASSERT_EQ(write_str(at(self->mnt, "notify_on_release"), "1"), 0);
	mkgroup(_metadata, self->mnt, "y");
	r = new_reader(_metadata, self->mnt, O_RDONLY | O_NONBLOCK);
	ASSERT_NE(r, NULL);
	cycle(_metadata, self->mnt, "y");
	EXPECT_EQ(expect_release(_metadata, r, "/y"), 1ULL);
	free_reader(r);
}

/*
 * Opening the stream takes CAP_SYS_ADMIN in the initial user namespace, as
 * writing release_agent does: root without it gets EPERM.
 */
TEST_F(stream, open_needs_cap_sys_admin)
{
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2];
		int fd;

		if (syscall(SYS_capget, &hdr, data))
			_exit(10);
		data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
		if (syscall(SYS_capset, &hdr, data))
			_exit(11);
		fd = open_stream(self->mnt, O_RDONLY);
		_exit(fd < 0 && errno == EPERM ? 0 : 12);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("status 0x%x", status);
	}
}

#define FAILSLAB "/sys/kernel/debug/failslab"

/* Writes @val to the failslab knob @knob; false on error. */
static bool failslab(const char *knob, const char *val)
{
	return !write_str(at(FAILSLAB, knob), val);
}

/* Copies the first line of @from to the failslab knob @knob. */
static bool failslab_copy(const char *knob, const char *from)
{
	char buf[64];
	ssize_t n = read_file(from, buf, sizeof(buf));

	return n > 0 && !write_buf(at(FAILSLAB, knob), buf, n);
}

/* Children, each in its own group, that exit at once. */
#define FAULT_GROUPS 50

/*
 * With every allocation of the module's code failing (failslab, any task),
 * FAULT_GROUPS groups released at once all get their record: the release
 * path allocates nothing, and a read that cannot format a record fails with
 * ENOMEM and keeps it. Once the failures stop, every record comes, in order,
 * without a loss. Needs failslab with the stacktrace filter (the debug
 * kernel).
 */
TEST_F_TIMEOUT(stream, failslab_loses_no_record, 120)
{
	int counts[FAULT_GROUPS] = { 0 }, hold[2], i, ret;
	unsigned long long first = 0;
	char name[NAME_BUF], c;
	struct reader *r;
	struct rec rec;

	if (access(FAILSLAB "/require-start", W_OK) ||
	    access("/sys/module/tcgroup/sections/.text", R_OK))
		SKIP(return, "needs failslab with the stacktrace filter (debug kernel)");
	r = new_reader(_metadata, self->mnt, O_RDONLY | O_NONBLOCK);
	ASSERT_NE(r, NULL);
	ASSERT_EQ(pipe(hold), 0);
	for (i = 0; i < FAULT_GROUPS; i++) {
		pid_t pid;

		snprintf(name, sizeof(name), "f%d", i);
		mkgroup(_metadata, self->mnt, name);
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			close(hold[1]);
			if (write_str(at(at(self->mnt, name), "tasks"), "0"))
				_exit(1);
			if (read(hold[0], &c, 1) < 0)
				_exit(2);
			_exit(0);
		}
		ASSERT_TRUE(wait_sleeping(pid));
	}
	close(hold[0]);

	ASSERT_TRUE(failslab_copy("require-start", "/sys/module/tcgroup/sections/.text") &&
		    failslab_copy("require-end", "/sys/module/tcgroup/sections/.data") &&
		    failslab("stacktrace-depth", "32") && failslab("task-filter", "N") &&
		    failslab("ignore-gfp-wait", "N") && failslab("space", "0") &&
		    failslab("verbose", "0") && failslab("times", "-1") &&
		    failslab("interval", "1") && failslab("probability", "100"));
	close(hold[1]);
	for (i = 0; i < FAULT_GROUPS; i++)
		wait(NULL);
	/* Every record is there; reading it fails, and keeps it. */
	{
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		char buf[256];

		ret = poll(&pfd, 1, WAIT_MS);
		EXPECT_EQ(ret, 1);
		EXPECT_EQ(read(r->fd, buf, sizeof(buf)), -1);
		EXPECT_EQ(errno, ENOMEM);
	}
	failslab("probability", "0");

	for (i = 0; i < FAULT_GROUPS; i++) {
		int g;

		ret = next_rec(r, &rec, WAIT_MS);
		ASSERT_EQ(ret, 1) {
			TH_LOG("record %d: %s", i, ret ? strerror(-ret) : "timeout");
		}
		ASSERT_EQ(rec.lost, 0ULL);
		if (!i)
			first = rec.seq;
		ASSERT_EQ(rec.seq, first + i);
		g = group_number(rec.path, 'f');
		ASSERT_TRUE(g >= 0 && g < FAULT_GROUPS) {
			TH_LOG("path %s", rec.path);
		}
		counts[g]++;
	}
	for (i = 0; i < FAULT_GROUPS; i++)
		EXPECT_EQ(counts[i], 1);
	expect_empty(_metadata, r);
	free_reader(r);
}

TEST_HARNESS_MAIN
