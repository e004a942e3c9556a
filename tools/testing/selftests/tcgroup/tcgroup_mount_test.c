// SPDX-License-Identifier: GPL-2.0
/*
 * Mount tests of the tcgroup pseudo-filesystem.
 *
 * Every test runs in a private mount namespace of its own, on mount points
 * made with mkdtemp() under /tmp, so nothing it mounts is visible outside
 * and nothing is left behind. The tests need root and a kernel where the
 * tcgroup filesystem type is registered (tcgroup.ko loaded); otherwise they
 * are skipped.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/mount.h>

#include "../kselftest_harness.h"
#include "tcgroup_util.h"

/* statfs(2)'s f_type of a tcgroup superblock: "tcgr". */
#define TCGROUP_SUPER_MAGIC 0x74636772

#define TCGROUP_AGENT "/sbin/tcgroup-agent"
#define RELEASE_AGENT_OPT "release_agent="

/* The longest release agent tcgroup accepts: PATH_MAX - 1 bytes. */
#define RELEASE_AGENT_MAX 4095

/* The unprivileged user of the unprivileged mount test (nobody/nogroup). */
#define NOBODY_ID 65534

#define MNTPT_TEMPLATE "/tmp/tcgroup_XXXXXX"

/* The new mount API, without relying on the libc having wrappers for it. */
static int sys_fsopen(const char *fsname, unsigned int flags)
{
	return syscall(__NR_fsopen, fsname, flags);
}

static int sys_fsconfig(int fd, unsigned int cmd, const char *key,
			const char *value, int aux)
{
	return syscall(__NR_fsconfig, fd, cmd, key, value, aux);
}

static int sys_fsmount(int fd, unsigned int flags, unsigned int attr_flags)
{
	return syscall(__NR_fsmount, fd, flags, attr_flags);
}

static int sys_move_mount(int from_dfd, const char *from_path, int to_dfd,
			  const char *to_path, unsigned int flags)
{
	return syscall(__NR_move_mount, from_dfd, from_path, to_dfd, to_path,
		       flags);
}

/* mount(2)s a tcgroup on @dir with the options @opts; returns 0 or -errno. */
static int mount_tcgroup(const char *dir, const char *opts)
{
	if (mount("none", dir, "tcgroup", 0, opts))
		return -errno;
	return 0;
}

/*
 * Copies the super options (the last field of /proc/self/mountinfo) of the
 * tcgroup mounted on top at @dir into @opts. Returns 0, -ENOENT if no tcgroup
 * is mounted at @dir, or another negative errno.
 */
static int tcgroup_super_options(const char *dir, char *opts, size_t size)
{
	char *line = NULL, *tok[64], *save;
	size_t cap = 0, len;
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		int n = 0, sep;

		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(line, " ", &save); t && n < 64;
		     t = strtok_r(NULL, " ", &save))
			tok[n++] = t;
		/* id parent dev root mntpt mntopts [optional...] - type source superopts */
		for (sep = 6; sep < n && strcmp(tok[sep], "-"); sep++)
			;
		if (sep + 3 >= n || strcmp(tok[4], dir) || strcmp(tok[sep + 1], "tcgroup"))
			continue;
		/* Later lines are mounted on top of earlier ones: keep the last. */
		len = strlen(tok[sep + 3]);
		if (len >= size) {
			ret = -ENAMETOOLONG;
			continue;
		}
		memcpy(opts, tok[sep + 3], len + 1);
		ret = 0;
	}
	free(line);
	fclose(f);
	return ret;
}

/*
 * Returns the value of the option @key in the comma-separated super options
 * @opts, or NULL if it is absent. @opts is modified.
 */
static const char *option_value(char *opts, const char *key)
{
	size_t len = strlen(key);
	char *save;

	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
		if (!strncmp(o, key, len) && o[len] == '=')
			return o + len + 1;
	return NULL;
}

/*
 * A forked child's account of what happened: the step it reached and that
 * step's errno (0 if it succeeded). A child that gets to STEP_MOUNT reports
 * the result of its mount attempt.
 */
enum child_step {
	STEP_SETGROUPS,
	STEP_SETRESGID,
	STEP_SETRESUID,
	STEP_UNSHARE,
	STEP_DENY_SETGROUPS,
	STEP_UID_MAP,
	STEP_GID_MAP,
	STEP_MOUNT,
};

static const char *const step_name[] = {
	[STEP_SETGROUPS] = "setgroups(0, NULL)",
	[STEP_SETRESGID] = "setresgid(65534)",
	[STEP_SETRESUID] = "setresuid(65534)",
	[STEP_UNSHARE] = "unshare(CLONE_NEWUSER | CLONE_NEWNS)",
	[STEP_DENY_SETGROUPS] = "writing deny to /proc/self/setgroups",
	[STEP_UID_MAP] = "writing /proc/self/uid_map",
	[STEP_GID_MAP] = "writing /proc/self/gid_map",
	[STEP_MOUNT] = "mount -t tcgroup",
};

struct child_report {
	int step;
	int err;
};

/* Sends the child's report through @fd and ends the child. */
static __noreturn void child_report(int fd, int step, int err)
{
	struct child_report r = { .step = step, .err = err };

	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(EXIT_FAILURE);
	_exit(EXIT_SUCCESS);
}

/*
 * Waits for the child @pid and reads its report from @fd. Returns 0, or -1 if
 * the child died without a complete report.
 */
static int child_wait(pid_t pid, int fd, struct child_report *r)
{
	ssize_t n;
	int status;

	do {
		n = read(fd, r, sizeof(*r));
	} while (n < 0 && errno == EINTR);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (n != sizeof(*r) || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

/* Checks that a tcgroup is mounted at @dir: statfs(2) sees its magic. */
static void assert_tcgroup_at(struct __test_metadata *_metadata, const char *dir)
{
	struct statfs sfs;

	ASSERT_EQ(statfs(dir, &sfs), 0) {
		TH_LOG("statfs(%s): %s", dir, strerror(errno));
	}
	ASSERT_EQ(sfs.f_type, TCGROUP_SUPER_MAGIC) {
		TH_LOG("%s: f_type is 0x%lx, not tcgroup's 0x%x", dir,
		       (unsigned long)sfs.f_type, TCGROUP_SUPER_MAGIC);
	}
}

/* Checks that no tcgroup is mounted at @dir, neither by statfs nor mountinfo. */
static void assert_no_tcgroup_at(struct __test_metadata *_metadata, const char *dir)
{
	struct statfs sfs;
	char opts[256];
	int ret;

	ASSERT_EQ(statfs(dir, &sfs), 0) {
		TH_LOG("statfs(%s): %s", dir, strerror(errno));
	}
	ASSERT_NE(sfs.f_type, TCGROUP_SUPER_MAGIC) {
		TH_LOG("%s is still a tcgroup", dir);
	}
	ret = tcgroup_super_options(dir, opts, sizeof(opts));
	ASSERT_EQ(ret, -ENOENT) {
		TH_LOG("/proc/self/mountinfo still lists a tcgroup at %s (%s)",
		       dir, err_str(ret));
	}
}

/*
 * Checks that the tcgroup at @dir shows release_agent=@agent in its super
 * options.
 */
static void assert_release_agent(struct __test_metadata *_metadata,
				 const char *dir, const char *agent)
{
	size_t size = strlen(agent) + 4096;
	const char *value;
	char *opts;
	int ret;

	opts = malloc(size);
	ASSERT_NE(opts, NULL);
	ret = tcgroup_super_options(dir, opts, size);
	ASSERT_EQ(ret, 0) {
		TH_LOG("no tcgroup at %s in /proc/self/mountinfo: %s", dir, err_str(ret));
	}
	value = option_value(opts, "release_agent");
	ASSERT_NE(value, NULL) {
		TH_LOG("%s: no release_agent in the super options", dir);
	}
	ASSERT_STREQ(value, agent);
	free(opts);
}

FIXTURE(tcgroup) {
	/* Two mount points; most tests use only the first. */
	char dir[2][sizeof(MNTPT_TEMPLATE)];
};

FIXTURE_SETUP(tcgroup)
{
	if (geteuid() != 0)
		SKIP(return, "the tcgroup mount tests need root");
	if (!fs_registered("tcgroup"))
		SKIP(return, "tcgroup is not in /proc/filesystems (tcgroup.ko not loaded?)");

	ASSERT_EQ(private_mount_ns(), 0);

	memcpy(self->dir[0], MNTPT_TEMPLATE, sizeof(MNTPT_TEMPLATE));
	ASSERT_NE(mkdtemp(self->dir[0]), NULL) {
		TH_LOG("mkdtemp(%s): %s", MNTPT_TEMPLATE, strerror(errno));
	}
	memcpy(self->dir[1], MNTPT_TEMPLATE, sizeof(MNTPT_TEMPLATE));
	ASSERT_NE(mkdtemp(self->dir[1]), NULL) {
		TH_LOG("mkdtemp(%s): %s", MNTPT_TEMPLATE, strerror(errno));
		rmdir(self->dir[0]);
	}
}

FIXTURE_TEARDOWN(tcgroup)
{
	for (int i = 0; i < 2; i++) {
		int ret;

		/* Lift whatever a failed test left mounted, however deep. */
		for (int n = 0; n < 8 && !umount2(self->dir[i], MNT_DETACH); n++)
			;
		/*
		 * No handler block: after a failed ASSERT the harness runs the
		 * teardown with its trigger still set, which would run it.
		 */
		ret = rmdir(self->dir[i]);
		if (ret)
			TH_LOG("rmdir(%s): %s", self->dir[i], strerror(errno));
		EXPECT_EQ(ret, 0);
	}
}

TEST_F(tcgroup, mount_umount_empty_hierarchy)
{
	char opts[256];
	int ret;

	ret = mount_tcgroup(self->dir[0], NULL);
	ASSERT_EQ(ret, 0) {
		TH_LOG("mount -t tcgroup none %s: %s", self->dir[0], err_str(ret));
	}
	assert_tcgroup_at(_metadata, self->dir[0]);

	ret = tcgroup_super_options(self->dir[0], opts, sizeof(opts));
	ASSERT_EQ(ret, 0) {
		TH_LOG("no tcgroup at %s in /proc/self/mountinfo: %s",
		       self->dir[0], err_str(ret));
	}
	EXPECT_NULL(strstr(opts, "release_agent")) {
		TH_LOG("release_agent shown although none was given: %s", opts);
	}

	ASSERT_EQ(umount2(self->dir[0], 0), 0) {
		TH_LOG("umount(%s): %s", self->dir[0], strerror(errno));
	}
	assert_no_tcgroup_at(_metadata, self->dir[0]);
}

TEST_F(tcgroup, release_agent_in_mountinfo)
{
	int ret;

	ret = mount_tcgroup(self->dir[0], RELEASE_AGENT_OPT TCGROUP_AGENT);
	ASSERT_EQ(ret, 0) {
		TH_LOG("mount -o release_agent=%s: %s", TCGROUP_AGENT, err_str(ret));
	}
	assert_release_agent(_metadata, self->dir[0], TCGROUP_AGENT);
}

TEST_F(tcgroup, release_agent_twice_einval)
{
	static const char *const opts[] = {
		RELEASE_AGENT_OPT TCGROUP_AGENT "," RELEASE_AGENT_OPT "/sbin/other-agent",
		RELEASE_AGENT_OPT TCGROUP_AGENT "," RELEASE_AGENT_OPT TCGROUP_AGENT,
	};

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		int ret = mount_tcgroup(self->dir[0], opts[i]);

		ASSERT_EQ(ret, -EINVAL) {
			TH_LOG("mount -o %s: expected EINVAL, got %s (%d)",
			       opts[i], err_str(ret), -ret);
		}
		assert_no_tcgroup_at(_metadata, self->dir[0]);
	}
}

/*
 * Builds "release_agent=/aaa...a" with a path of @len bytes in a fresh
 * allocation.
 */
static char *release_agent_opt(size_t len)
{
	size_t prefix = strlen(RELEASE_AGENT_OPT);
	char *opt = malloc(prefix + len + 1);

	if (!opt)
		return NULL;
	memcpy(opt, RELEASE_AGENT_OPT, prefix);
	opt[prefix] = '/';
	memset(opt + prefix + 1, 'a', len - 1);
	opt[prefix + len] = '\0';
	return opt;
}

/*
 * mount(2) copies at most one page of options and cuts them at PAGE_SIZE - 1
 * bytes, and fsconfig(FSCONFIG_SET_STRING) takes at most 255 bytes: with
 * 4 KiB pages, the longest release agent that reaches tcgroup through either
 * is PAGE_SIZE - 1 - strlen("release_agent=") = 4081 bytes. This test mounts
 * with the longest agent that fits one page (at most 4095 bytes) and checks
 * that it comes back whole.
 */
TEST_F(tcgroup, release_agent_longest_fitting)
{
	size_t page = sysconf(_SC_PAGESIZE);
	size_t len = page - 1 - strlen(RELEASE_AGENT_OPT);
	char *opt;
	int ret;

	if (len > RELEASE_AGENT_MAX)
		len = RELEASE_AGENT_MAX;
	TH_LOG("release_agent of %zu bytes (page size %zu)", len, page);
	opt = release_agent_opt(len);
	ASSERT_NE(opt, NULL);

	ret = mount_tcgroup(self->dir[0], opt);
	ASSERT_EQ(ret, 0) {
		TH_LOG("mount with a %zu-byte release_agent: %s", len, err_str(ret));
	}
	assert_release_agent(_metadata, self->dir[0], opt + strlen(RELEASE_AGENT_OPT));
	free(opt);
}

/*
 * A release agent of PATH_MAX bytes fails with ENAMETOOLONG, and one of
 * PATH_MAX - 1 bytes works. Only kernels with pages larger than 4 KiB can
 * pass either through mount(2) (see release_agent_longest_fitting).
 */
TEST_F(tcgroup, release_agent_path_max)
{
	size_t page = sysconf(_SC_PAGESIZE);
	char *opt;
	int ret;

	if (page - 1 - strlen(RELEASE_AGENT_OPT) < RELEASE_AGENT_MAX + 1)
		SKIP(return, "mount(2) options are cut at %zu bytes: no %d-byte release_agent fits",
		     page - 1, RELEASE_AGENT_MAX + 1);

	opt = release_agent_opt(RELEASE_AGENT_MAX + 1);
	ASSERT_NE(opt, NULL);
	ret = mount_tcgroup(self->dir[0], opt);
	ASSERT_EQ(ret, -ENAMETOOLONG) {
		TH_LOG("%d-byte release_agent: expected ENAMETOOLONG, got %s (%d)",
		       RELEASE_AGENT_MAX + 1, err_str(ret), -ret);
	}
	assert_no_tcgroup_at(_metadata, self->dir[0]);
	free(opt);

	opt = release_agent_opt(RELEASE_AGENT_MAX);
	ASSERT_NE(opt, NULL);
	ret = mount_tcgroup(self->dir[0], opt);
	ASSERT_EQ(ret, 0) {
		TH_LOG("%d-byte release_agent: %s", RELEASE_AGENT_MAX, err_str(ret));
	}
	assert_release_agent(_metadata, self->dir[0], opt + strlen(RELEASE_AGENT_OPT));
	free(opt);
}

TEST_F(tcgroup, unknown_option_einval)
{
	static const char *const opts[] = { "foo", "foo=bar" };

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		int ret = mount_tcgroup(self->dir[0], opts[i]);

		ASSERT_EQ(ret, -EINVAL) {
			TH_LOG("mount -o %s: expected EINVAL, got %s (%d)",
			       opts[i], err_str(ret), -ret);
		}
		assert_no_tcgroup_at(_metadata, self->dir[0]);
	}
}

TEST_F(tcgroup, two_mounts_independent)
{
	static const char *const agents[] = { "/sbin/agent-a", "/sbin/agent-b" };
	struct stat st[2];
	char opt[128];
	int ret;

	/* Two named hierarchies: unnamed mounts would share the `all` one. */
	for (int i = 0; i < 2; i++) {
		snprintf(opt, sizeof(opt), "none,name=tcgm_%c_%d," RELEASE_AGENT_OPT "%s",
			 'a' + i, getpid(), agents[i]);
		ret = mount_tcgroup(self->dir[i], opt);
		ASSERT_EQ(ret, 0) {
			TH_LOG("mount -o %s %s: %s", opt, self->dir[i], err_str(ret));
		}
		ASSERT_EQ(stat(self->dir[i], &st[i]), 0) {
			TH_LOG("stat(%s): %s", self->dir[i], strerror(errno));
		}
	}

	/* Two superblocks, not one shown twice. */
	ASSERT_NE(st[0].st_dev, st[1].st_dev) {
		TH_LOG("both mounts are on device %lu", (unsigned long)st[0].st_dev);
	}
	for (int i = 0; i < 2; i++)
		assert_release_agent(_metadata, self->dir[i], agents[i]);

	/* Unmounting one leaves the other as it was. */
	ASSERT_EQ(umount2(self->dir[0], 0), 0) {
		TH_LOG("umount(%s): %s", self->dir[0], strerror(errno));
	}
	assert_tcgroup_at(_metadata, self->dir[1]);
	assert_release_agent(_metadata, self->dir[1], agents[1]);
}

TEST_F(tcgroup, unprivileged_mount_eperm)
{
	struct child_report r;
	int pipefd[2];
	pid_t pid;

	ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	ASSERT_GE(pid, 0) {
		TH_LOG("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(pipefd[0]);
		if (setgroups(0, NULL))
			child_report(pipefd[1], STEP_SETGROUPS, errno);
		if (setresgid(NOBODY_ID, NOBODY_ID, NOBODY_ID))
			child_report(pipefd[1], STEP_SETRESGID, errno);
		if (setresuid(NOBODY_ID, NOBODY_ID, NOBODY_ID))
			child_report(pipefd[1], STEP_SETRESUID, errno);
		if (mount("none", self->dir[0], "tcgroup", 0, NULL))
			child_report(pipefd[1], STEP_MOUNT, errno);
		umount2(self->dir[0], MNT_DETACH);
		child_report(pipefd[1], STEP_MOUNT, 0);
	}
	close(pipefd[1]);
	ASSERT_EQ(child_wait(pid, pipefd[0], &r), 0) {
		TH_LOG("the unprivileged child died without a report");
	}
	close(pipefd[0]);

	ASSERT_EQ(r.step, STEP_MOUNT) {
		TH_LOG("%s failed: %s", step_name[r.step], strerror(r.err));
	}
	ASSERT_EQ(r.err, EPERM) {
		TH_LOG("mount as uid %d: expected EPERM, got %s (%d)",
		       NOBODY_ID, err_str(r.err), r.err);
	}
	assert_no_tcgroup_at(_metadata, self->dir[0]);
}

TEST_F(tcgroup, userns_root_mount_eperm)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct child_report r;
	int pipefd[2];
	char map[64];
	pid_t pid;

	ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	ASSERT_GE(pid, 0) {
		TH_LOG("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int err;

		close(pipefd[0]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
			child_report(pipefd[1], STEP_UNSHARE, errno);
		err = -write_str("/proc/self/setgroups", "deny");
		if (err)
			child_report(pipefd[1], STEP_DENY_SETGROUPS, err);
		snprintf(map, sizeof(map), "0 %u 1", uid);
		err = -write_str("/proc/self/uid_map", map);
		if (err)
			child_report(pipefd[1], STEP_UID_MAP, err);
		snprintf(map, sizeof(map), "0 %u 1", gid);
		err = -write_str("/proc/self/gid_map", map);
		if (err)
			child_report(pipefd[1], STEP_GID_MAP, err);
		if (mount("none", self->dir[0], "tcgroup", 0, NULL))
			child_report(pipefd[1], STEP_MOUNT, errno);
		umount2(self->dir[0], MNT_DETACH);
		child_report(pipefd[1], STEP_MOUNT, 0);
	}
	close(pipefd[1]);
	ASSERT_EQ(child_wait(pid, pipefd[0], &r), 0) {
		TH_LOG("the user namespace child died without a report");
	}
	close(pipefd[0]);

	if (r.step == STEP_UNSHARE && r.err == EINVAL)
		SKIP(return, "no user namespaces (CONFIG_USER_NS)");
	ASSERT_EQ(r.step, STEP_MOUNT) {
		TH_LOG("%s failed: %s", step_name[r.step], strerror(r.err));
	}
	ASSERT_EQ(r.err, EPERM) {
		TH_LOG("mount as root of a user namespace: expected EPERM, got %s (%d)",
		       err_str(r.err), r.err);
	}
	assert_no_tcgroup_at(_metadata, self->dir[0]);
}

TEST_F(tcgroup, new_mount_api)
{
	int fsfd, mntfd;

	fsfd = sys_fsopen("tcgroup", FSOPEN_CLOEXEC);
	ASSERT_GE(fsfd, 0) {
		TH_LOG("fsopen(tcgroup): %s", strerror(errno));
	}
	ASSERT_EQ(sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "release_agent", TCGROUP_AGENT, 0), 0) {
		TH_LOG("fsconfig(release_agent=%s): %s", TCGROUP_AGENT, strerror(errno));
	}
	ASSERT_EQ(sys_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0), 0) {
		TH_LOG("fsconfig(FSCONFIG_CMD_CREATE): %s", strerror(errno));
	}
	mntfd = sys_fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	ASSERT_GE(mntfd, 0) {
		TH_LOG("fsmount: %s", strerror(errno));
	}
	ASSERT_EQ(sys_move_mount(mntfd, "", AT_FDCWD, self->dir[0], MOVE_MOUNT_F_EMPTY_PATH), 0) {
		TH_LOG("move_mount to %s: %s", self->dir[0], strerror(errno));
	}
	close(mntfd);
	close(fsfd);

	assert_tcgroup_at(_metadata, self->dir[0]);
	assert_release_agent(_metadata, self->dir[0], TCGROUP_AGENT);
}

TEST_F(tcgroup, new_mount_api_unknown_key_einval)
{
	char msg[256];
	ssize_t n;
	int fsfd, ret, err;

	fsfd = sys_fsopen("tcgroup", FSOPEN_CLOEXEC);
	ASSERT_GE(fsfd, 0) {
		TH_LOG("fsopen(tcgroup): %s", strerror(errno));
	}
	ret = sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "foo", "bar", 0);
	err = errno;
	ASSERT_EQ(ret, -1) {
		TH_LOG("fsconfig(foo=bar) succeeded");
	}
	ASSERT_EQ(err, EINVAL) {
		TH_LOG("fsconfig(foo=bar): expected EINVAL, got %s (%d)", strerror(err), err);
	}

	/* The reason is in the context's log, as the VFS words it. */
	n = read(fsfd, msg, sizeof(msg) - 1);
	ASSERT_GT(n, 0) {
		TH_LOG("no message in the fs_context log: %s", strerror(errno));
	}
	msg[n] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	EXPECT_STREQ(msg, "e tcgroup: Unknown parameter 'foo'");
	close(fsfd);
}

TEST_HARNESS_MAIN
