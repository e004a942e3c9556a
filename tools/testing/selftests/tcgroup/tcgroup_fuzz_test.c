// SPDX-License-Identifier: GPL-2.0
/*
 * Random and boundary input to every writable tcgroup file and to mount and
 * remount options, from root and from an unprivileged user. Every operation
 * must succeed or fail with one of the documented errnos; the kernel must
 * not report anything (the harness checks the console).
 *
 * TCGROUP_FUZZ_SEED picks the seed (printed either way, to reproduce a run)
 * and TCGROUP_FUZZ_COUNT the number of inputs (default 100000).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "tcgroup_util.h"

#define NOBODY_ID 65534
#define MAX_INPUT 5000
/* A hierarchy name one character too long. */
#define NAME_64 "name=abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789ab"

static uint64_t rng_state;

/* xorshift64*: small, seedable, reproducible. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static const char *const boundary[] = {
	"", "0", "1", "-1", "+1", " 1", "1 ", "1\n", "\n", "0x", "0x1", "0X10",
	"010", "08", "4294967295", "4294967296", "18446744073709551615",
	"18446744073709551616", "-9223372036854775808", "99999999999999999999999",
	"2147483647", "2147483648", "\t\v\f\r 7\n ", "abc", "1x",
	"/sbin/tcgroup-agent", "/", "//", "/a b", "\xff\xfe", "%s%n", "0 1",
};

/* Fills @buf with an input and returns its length. */
static size_t make_input(char *buf)
{
	size_t len;

	switch (rnd() % 4) {
	case 0: { /* A boundary value. */
		const char *b = boundary[rnd() % ARRAY_SIZE(boundary)];

		len = strlen(b);
		memcpy(buf, b, len + 1);
		return len;
	}
	case 1: /* Random bytes, any value. */
		len = rnd() % 64;
		for (size_t i = 0; i < len; i++)
			buf[i] = rnd();
		return len;
	case 2: /* Digits and signs. */
		len = 1 + rnd() % 30;
		for (size_t i = 0; i < len; i++)
			buf[i] = "0123456789+-\n x"[rnd() % 15];
		return len;
	default: /* Long: around the page and PATH_MAX limits. */
		len = 4090 + rnd() % 12;
		if (rnd() % 4 == 0)
			len = rnd() % MAX_INPUT;
		memset(buf, 'a' + rnd() % 26, len);
		buf[0] = '/';
		return len;
	}
}

static const char *const files[] = {
	"notify_on_release", "cgroup.clone_children", "release_agent", "tasks",
	"cgroup.procs", "g/notify_on_release", "g/tasks", "g/cgroup.procs",
	"g/cgroup.clone_children", "g/h/tasks", "g/h/notify_on_release",
	"releasable", "cgroup.events", "g/debug.hold", "release_agent.stats",
	"membership.stats", "membership.lookup",
};

/* Whether @err is a documented result of writing @file. */
static bool write_errno_ok(const char *file, int err, bool root)
{
	if (!err)
		return true;
	if (strstr(file, "tasks") || strstr(file, "procs"))
		return err == EINVAL || err == ESRCH || err == EACCES || err == ERANGE ||
		       err == ENODEV;
	if (!strcmp(file, "release_agent"))
		return err == E2BIG || (!root && err == EPERM);
	/* A pid to look up: not a number, or no such task. */
	if (!strcmp(file, "membership.lookup"))
		return err == EINVAL || err == ESRCH;
	/* Numbers, and files without writes. */
	return err == EINVAL || err == ERANGE;
}

/* Writes random input to random files; returns the number of bad results. */
static int fuzz_files(const char *mnt, long count, bool root)
{
	static char buf[MAX_INPUT + 1];
	char path[512];
	int bad = 0;

	for (long i = 0; i < count; i++) {
		const char *file = files[rnd() % ARRAY_SIZE(files)];
		size_t len = make_input(buf);
		off_t off = rnd() % 8 == 0 ? (off_t)(rnd() % 8192) : 0;
		ssize_t n;
		int fd, err;

		snprintf(path, sizeof(path), "%s/%s", mnt, file);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			err = errno;
			if (err != EACCES && err != ENOENT) {
				fprintf(stderr, "# open(%s): %s\n", file, strerror(err));
				bad++;
			}
			continue;
		}
		n = off ? pwrite(fd, buf, len, off) : write(fd, buf, len);
		err = n < 0 ? errno : 0;
		close(fd);
		if (!write_errno_ok(file, err, root)) {
			fprintf(stderr, "# write(%s, %zu bytes): %s\n", file, len, strerror(err));
			bad++;
		}
	}
	return bad;
}

static const char *const tokens[] = {
	"none", "all", "debug", "noprefix", "clone_children", "name=fz", "name=fz2",
	"name=", "name=a/b", NAME_64,
	"release_agent=/sbin/x", "release_agent=", "release_agent", "foo", "=", ",",
	"debug=1", "none=0", "cpuset", "xattr", "",
};

/* Mounts and remounts with random option strings; returns the bad results. */
static int fuzz_mounts(const char *mnt, long count)
{
	char opts[1024];
	int bad = 0;

	for (long i = 0; i < count; i++) {
		size_t len = 0;
		int n = rnd() % 6, err;

		opts[0] = '\0';
		for (int t = 0; t < n; t++)
			len += snprintf(opts + len, sizeof(opts) - len, "%s%s", t ? "," : "",
					tokens[rnd() % ARRAY_SIZE(tokens)]);
		err = mount("none", mnt, "tcgroup", 0, opts) ? errno : 0;
		if (!err) {
			char more[1024];

			snprintf(more, sizeof(more), "%s", tokens[rnd() % ARRAY_SIZE(tokens)]);
			err = mount("none", mnt, "tcgroup", MS_REMOUNT, more) ? errno : 0;
			if (err && err != EINVAL && err != EBUSY) {
				fprintf(stderr, "# remount -o %s: %s\n", more, strerror(err));
				bad++;
			}
			umount2(mnt, MNT_DETACH);
		} else if (err != EINVAL && err != EBUSY && err != ENAMETOOLONG) {
			fprintf(stderr, "# mount -o %s: %s\n", opts, strerror(err));
			bad++;
		}
	}
	return bad;
}

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : dflt;
}

/* No per-test state: the fixture only carries the longer timeout. */
FIXTURE(long_run) {};
FIXTURE_SETUP(long_run) {}
FIXTURE_TEARDOWN(long_run) {}

/* Minutes on the debug kernel: beyond the harness's default 30 s. */
TEST_F_TIMEOUT(long_run, fuzz, 600)
{
	char tmpl[] = "/tmp/tcgfuzz_XXXXXX";
	long count = env_long("TCGROUP_FUZZ_COUNT", 100000);
	uint64_t seed = env_long("TCGROUP_FUZZ_SEED", 0);
	char path[512], *mnt;
	int status, bad;
	pid_t pid;

	if (geteuid())
		SKIP(return, "must be run as root");
	if (!seed)
		seed = (uint64_t)time(NULL) * 2654435761U ^ getpid();
	rng_state = seed;
	TH_LOG("seed %llu (TCGROUP_FUZZ_SEED), %ld inputs", (unsigned long long)seed, count);

	ASSERT_EQ(private_mount_ns(), 0);
	mnt = mkdtemp(tmpl);
	ASSERT_NE(mnt, NULL);

	/* Option strings first, on an empty mount point. */
	bad = fuzz_mounts(mnt, count / 10);
	EXPECT_EQ(bad, 0);

	if (mount("none", mnt, "tcgroup", 0, "debug,name=fuzz,release_agent=/bin/true")) {
		rmdir(mnt);
		SKIP(return, "cannot mount tcgroup: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/g", mnt);
	ASSERT_EQ(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/g/h", mnt);
	ASSERT_EQ(mkdir(path, 0777), 0);

	/* Root writes. */
	bad = fuzz_files(mnt, count * 8 / 10, true);
	EXPECT_EQ(bad, 0);

	/* Unprivileged writes, with the files opened up so that open succeeds. */
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", mnt, files[i]);
		chmod(path, 0666);
	}
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (setresgid(NOBODY_ID, NOBODY_ID, NOBODY_ID) ||
		    setresuid(NOBODY_ID, NOBODY_ID, NOBODY_ID))
			_exit(2);
		_exit(fuzz_files(mnt, count / 10, false) ? 1 : 0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("unprivileged fuzzing: status 0x%x", status);
	}

	/* Put back whatever a random pid moved, then clean up. */
	for (int round = 0; round < 3; round++) {
		static const char *const lists[] = { "g/h/tasks", "g/tasks" };
		char line[32];

		for (size_t l = 0; l < 2; l++) {
			FILE *f;

			snprintf(path, sizeof(path), "%s/%s", mnt, lists[l]);
			f = fopen(path, "re");
			if (!f)
				continue;
			while (fgets(line, sizeof(line), f)) {
				char root_tasks[512];
				int fd;

				snprintf(root_tasks, sizeof(root_tasks), "%s/tasks", mnt);
				fd = open(root_tasks, O_WRONLY | O_CLOEXEC);
				if (fd >= 0) {
					if (write(fd, line, strlen(line)) < 0)
						TH_LOG("moving %s back: %s", line, strerror(errno));
					close(fd);
				}
			}
			fclose(f);
		}
	}
	snprintf(path, sizeof(path), "%s/g/h", mnt);
	EXPECT_EQ(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/g", mnt);
	EXPECT_EQ(rmdir(path), 0);
	EXPECT_EQ(umount2(mnt, 0), 0);
	rmdir(mnt);
}

TEST_HARNESS_MAIN
