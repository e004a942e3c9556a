// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the tcgroup selftests; tcgroup_util.h documents them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"
#include "tcgroup_util.h"

int private_mount_ns(void)
{
	int err;

	if (unshare(CLONE_NEWNS)) {
		err = errno;
		ksft_print_msg("unshare(CLONE_NEWNS): %s\n", strerror(err));
		return -err;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		err = errno;
		ksft_print_msg("making / private: %s\n", strerror(err));
		return -err;
	}
	return 0;
}

bool fs_registered(const char *fstype)
{
	char line[256];
	bool found = false;
	FILE *f;

	f = fopen("/proc/filesystems", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, '\t');

		name = name ? name + 1 : line;
		name[strcspn(name, "\n")] = '\0';
		if (!strcmp(name, fstype))
			found = true;
	}
	fclose(f);
	return found;
}

const char *err_str(int err)
{
	if (err < 0)
		err = -err;
	return err ? strerror(err) : "success";
}

const char *at(const char *dir, const char *rel)
{
	static char buf[8][PATH_MAX];
	static unsigned int next;
	char *b = buf[next++ % 8];
	char path[PATH_MAX];

	/* @dir may be an earlier result: build the path aside first. */
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	memcpy(b, path, strlen(path) + 1);
	return b;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void close_from(int from)
{
#ifdef __NR_close_range
	if (!syscall(__NR_close_range, from, ~0U, 0))
		return;
#endif
	for (int fd = from; fd < 1024; fd++)
		close(fd);
}

ssize_t read_fd(int fd, char *buf, size_t size)
{
	size_t total = 0;
	ssize_t n;

	while (total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0)
			return -errno;
		if (!n)
			break;
		total += n;
	}
	buf[total] = '\0';
	return total;
}

ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read_fd(fd, buf, size);
	close(fd);
	return len;
}

int write_fd(int fd, const char *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int write_buf(const char *path, const char *buf, size_t len)
{
	int fd, ret;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write_fd(fd, buf, len);
	close(fd);
	return ret;
}

int write_str(const char *path, const char *str)
{
	return write_buf(path, str, strlen(str));
}

int remove_groups(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int left = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		left += remove_groups(path);
		if (rmdir(path)) {
			ksft_print_msg("teardown: rmdir(%s): %s\n", path, strerror(errno));
			left++;
		}
	}
	closedir(d);
	return left;
}
