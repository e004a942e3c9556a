/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the tcgroup selftests (tcgroup_util.c): paths, whole-file
 * reads and single-write(2) writes with errno results, and the teardown walk
 * that removes every group of a hierarchy. Like the tests, they work on
 * tcgroup and on cgroup v1 alike.
 */
#ifndef TCGROUP_UTIL_H
#define TCGROUP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Moves the caller into a mount namespace of its own, with every mount
 * private, so that what the test mounts stays there and goes with it.
 * Returns 0, or -errno after logging which step failed.
 */
int private_mount_ns(void);

/* Whether /proc/filesystems lists @fstype. */
bool fs_registered(const char *fstype);

/* The text of an errno, positive or negated, or "success" for 0. */
const char *err_str(int err);

/*
 * "@dir/@rel" in one of eight rotating static buffers, for immediate use:
 * @dir may be an earlier result; paths kept across calls need their own
 * buffer. Not thread-safe.
 */
const char *at(const char *dir, const char *rel);

/* CLOCK_MONOTONIC in seconds. */
double now_s(void);

/* Closes every descriptor from @from on. */
void close_from(int from);

/*
 * Reads the open file @fd from its offset to its end, or the file @path,
 * into @buf (@size bytes, @size > 0), NUL-terminated; returns the length
 * read or -errno.
 */
ssize_t read_fd(int fd, char *buf, size_t size);
ssize_t read_file(const char *path, char *buf, size_t size);

/*
 * Writes @len bytes of @buf to the open file @fd with a single write(2);
 * returns 0 (all written, or nothing for @len 0), -EIO for a short write, or
 * -errno. The write_buf() and write_str() variants open @path first.
 */
int write_fd(int fd, const char *buf, size_t len);
int write_buf(const char *path, const char *buf, size_t len);
int write_str(const char *path, const char *str);

/*
 * Removes every group (directory) under @dir, deepest first, logging each
 * failure as "teardown: rmdir(PATH): ERROR". Returns the number of groups
 * that could not be removed.
 */
int remove_groups(const char *dir);

#endif /* TCGROUP_UTIL_H */
