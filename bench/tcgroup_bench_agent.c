// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmarks' release agent: one line "PATH NS" per call, appended to
 * /run/bench/<SUFFIX>.log, where PATH is the argument the kernel passed and NS
 * the CLOCK_MONOTONIC time, in nanoseconds, at which the agent started. SUFFIX
 * is what follows the last '-' of the name it was run as
 * (/bench/agent-tcgroup logs to /run/bench/tcgroup.log), so one binary serves
 * every hierarchy and the limit module. It does nothing else (no rmdir): the
 * benchmark measures the notification path, and removes the groups itself.
 *
 * Static, without stdio: the guest has no libc, and the agent's own start-up
 * should cost as little as possible, the same for every caller.
 */

#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_DIR "/run/bench/"
#define LINE_MAX_LEN 512

/* Appends the decimal form of @v to @p; returns the new end. */
static char *put_u64(char *p, unsigned long long v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

int main(int argc, char **argv)
{
	char log[128] = LOG_DIR;
	char line[LINE_MAX_LEN];
	const char *suffix;
	struct timespec ts;
	size_t len;
	char *p;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (argc < 2)
		return 1;
	suffix = strrchr(argv[0], '-');
	suffix = suffix ? suffix + 1 : "agent";
	if (strlen(suffix) > sizeof(log) - sizeof(LOG_DIR) - 4)
		return 1;
	strcat(log, suffix);
	strcat(log, ".log");

	len = strnlen(argv[1], LINE_MAX_LEN - 32);
	memcpy(line, argv[1], len);
	p = line + len;
	*p++ = ' ';
	p = put_u64(p, (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	*p++ = '\n';

	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return 1;
	/* One write of less than a page: O_APPEND keeps concurrent lines whole. */
	if (write(fd, line, p - line) != p - line)
		return 1;
	return close(fd) ? 1 : 0;
}
