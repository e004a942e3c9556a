// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrent attach, fork, thread creation, exit and listing on tcgroup.
 *
 * Workers move themselves between groups, fork children that exit at once,
 * start threads that exit at once, and read every group's lists, while
 * notify_on_release groups are released by an agent-less hierarchy; for
 * TCGROUP_STRESS_SECONDS (default 10) seconds. Afterwards every group must
 * be empty and removable. The harness fails the run on any kernel report
 * (lockdep, KASAN, kmemleak), which is what this test is for.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define WORKERS 6
#define GROUPS 4
#define READ_SIZE 65536

static bool fs_registered(const char *fstype)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/filesystems", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(strrchr(line, '\t') ? strrchr(line, '\t') + 1 : line, fstype))
			found = true;
	}
	fclose(f);
	return found;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static void *thread_exit(void *arg)
{
	return arg;
}

/* One worker: loops over moves, forks, threads and reads until @end. */
static void worker(const char *mnt, int id, time_t end)
{
	static char buf[READ_SIZE];
	char path[256];
	unsigned int seed = id;

	while (time(NULL) < end) {
		int g = rand_r(&seed) % (GROUPS + 1);
		pthread_t th;
		pid_t pid;
		int fd;

		/* Move: group g, or the root for g == GROUPS. */
		if (g == GROUPS)
			snprintf(path, sizeof(path), "%s/tasks", mnt);
		else
			snprintf(path, sizeof(path), "%s/g%d/tasks", mnt, g);
		write_str(path, "0");

		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);

		if (!pthread_create(&th, NULL, thread_exit, NULL))
			pthread_join(th, NULL);

		snprintf(path, sizeof(path), "%s/g%d/%s", mnt, rand_r(&seed) % GROUPS,
			 rand_r(&seed) % 2 ? "tasks" : "cgroup.procs");
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			while (read(fd, buf, 512) > 0)
				;
			close(fd);
		}
		snprintf(path, sizeof(path), "%s/g%d/notify_on_release", mnt,
			 rand_r(&seed) % GROUPS);
		write_str(path, rand_r(&seed) % 2 ? "1" : "0");
	}
	_exit(0);
}

/* No per-test state: the fixture only carries the longer timeout. */
FIXTURE(long_run) {};
FIXTURE_SETUP(long_run) {}
FIXTURE_TEARDOWN(long_run) {}

/* Minutes on the debug kernel: beyond the harness's default 30 s. */
TEST_F_TIMEOUT(long_run, attach_fork_exit_stress, 600)
{
	char tmpl[] = "/tmp/tcgstress_XXXXXX";
	static char buf[READ_SIZE];
	pid_t pids[WORKERS];
	char path[256];
	int seconds = 10;
	const char *env = getenv("TCGROUP_STRESS_SECONDS");
	time_t end;
	char *mnt;

	if (geteuid())
		SKIP(return, "must be run as root");
	if (!fs_registered("tcgroup"))
		SKIP(return, "tcgroup is not loaded");
	if (env && atoi(env) > 0)
		seconds = atoi(env);

	ASSERT_EQ(unshare(CLONE_NEWNS), 0);
	ASSERT_EQ(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	mnt = mkdtemp(tmpl);
	ASSERT_NE(mnt, NULL);
	ASSERT_EQ(mount("none", mnt, "tcgroup", 0, "none,name=tcgstress"), 0) {
		TH_LOG("mount: %s", strerror(errno));
	}
	for (int g = 0; g < GROUPS; g++) {
		snprintf(path, sizeof(path), "%s/g%d", mnt, g);
		ASSERT_EQ(mkdir(path, 0755), 0);
	}

	end = time(NULL) + seconds;
	for (int i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0)
			worker(mnt, i + 1, end);
	}
	for (int i = 0; i < WORKERS; i++) {
		int status;

		ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	/* Every worker and child is gone: the groups are empty and removable. */
	for (int g = 0; g < GROUPS; g++) {
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/g%d/tasks", mnt, g);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_GE(fd, 0);
		n = read(fd, buf, sizeof(buf));
		close(fd);
		EXPECT_EQ(n, 0) {
			TH_LOG("g%d still lists tasks: %.*s", g, (int)(n > 0 ? n : 0), buf);
		}
		snprintf(path, sizeof(path), "%s/g%d", mnt, g);
		EXPECT_EQ(rmdir(path), 0) {
			TH_LOG("rmdir g%d: %s", g, strerror(errno));
		}
	}
	EXPECT_EQ(umount2(mnt, 0), 0);
	rmdir(mnt);
}

TEST_HARNESS_MAIN
