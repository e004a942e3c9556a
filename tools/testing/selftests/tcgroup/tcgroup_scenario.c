// SPDX-License-Identifier: GPL-2.0
/*
 * The scenario runner of the differential test tcgroup_diff.sh:
 *
 *	tcgroup_scenario MOUNTPOINT SCENARIO LOGFILE
 *	tcgroup_scenario --list
 *
 * runs one named scenario on the hierarchy mounted at MOUNTPOINT (tcgroup or
 * a named cgroup v1 hierarchy, the runner does not care which) and prints a
 * normalized transcript on stdout, one line per step:
 *
 *	mkdir /a = 0
 *	write /a/tasks "{c1}\n" = 0
 *	write /a/tasks "abc" = EINVAL
 *	read /a/notify_on_release = "0\n"
 *	ls /a: tasks f0644 size=0
 *	tasks /a = c1 c1.t1 +0 (sorted)
 *	agent call: /a x1
 *
 * so that two runs, one per filesystem, can be compared line by line. Nothing
 * that differs between two runs of the same implementation is printed: pids
 * appear as the labels of the processes the runner made ("self" is the
 * runner, "c1" a helper, "c1.t1" a thread of it, "c1.g1" a child of it), the
 * hierarchy's name as NAME and the directory of LOGFILE as "@".
 *
 * The release agent is a script in the directory of LOGFILE that appends its
 * argument to LOGFILE; the mount names it. Scenarios that change the agent
 * write "@/agent2", a script the runner writes that logs "new:PATH". At the
 * end of each scenario a sentinel group is released last, and the runner
 * polls LOGFILE (10 ms steps, at most 10 s) until the sentinel's call and the
 * number of calls the scenario expects are logged; then it prints the set of
 * logged paths, each with its count. A call that should not happen is thus
 * seen if it comes before the sentinel's.
 *
 * Helpers are child processes that block reading a pipe: writing their label
 * into a tasks file moves them, closing the pipe makes them exit. On command
 * they start a thread or fork a child of their own.
 *
 * Exit status: 0, or 1 if the runner itself failed (a fork, a pipe, a helper
 * not answering) or the expected agent calls did not come within 10 s; 2 on
 * bad usage.
 */

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tcgroup_util.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 0x1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 0x2
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_LABELS 96
#define LABEL_LEN 24
#define NAME_LEN 128
#define BUF_SIZE 65536
#define LINE_LEN 256
#define MAX_LOG_LINES 256

/* The bounded poll of LOGFILE: 1000 x 10 ms. */
#define POLL_NS 10000000L
#define POLL_TRIES 1000

/* The whole run, at most: a stuck step must not hang the suite. */
#define RUN_TIMEOUT 60

/* The group released last, in every scenario with an agent. */
#define SENTINEL "/zz_sentinel"

/* A pid above PID_MAX_LIMIT (4194304): no task has it. */
#define PID_NONE "4194305"

/* A process or thread the transcript names by its label. */
struct label {
	char name[LABEL_LEN];
	pid_t pid;
	/* A helper: the write end of its command pipe, -1 once it was told to exit. */
	int cmd;
	/* A helper: the read end of its reply pipe. */
	int reply;
	/* A child of the runner, to be reaped. */
	bool child;
};

static struct label labels[MAX_LABELS];
static int nr_labels;

static const char *mnt;
static const char *log_path;
static char agent_dir[PATH_MAX];
static char hier_name[NAME_LEN];
static char fstype[NAME_LEN];
static bool failed;

/* Errno names; any other prints as E<number>. */
static const struct {
	int err;
	const char *name;
} errnos[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
	{ EINTR, "EINTR" }, { EIO, "EIO" }, { E2BIG, "E2BIG" },
	{ EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { EXDEV, "EXDEV" }, { ENODEV, "ENODEV" },
	{ ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" }, { EINVAL, "EINVAL" },
	{ ENOSPC, "ENOSPC" }, { EROFS, "EROFS" }, { EMLINK, "EMLINK" },
	{ ERANGE, "ERANGE" }, { ENAMETOOLONG, "ENAMETOOLONG" },
	{ ENOTEMPTY, "ENOTEMPTY" }, { EOPNOTSUPP, "EOPNOTSUPP" },
};

/* "0" for @err 0, else the errno's name; in a rotating static buffer. */
static const char *err_name(int err)
{
	static char buf[4][16];
	static unsigned int next;
	char *b;

	if (!err)
		return "0";
	for (size_t i = 0; i < ARRAY_LEN(errnos); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	b = buf[next++ % 4];
	snprintf(b, sizeof(buf[0]), "E%d", err);
	return b;
}

/* The result of a call that returns -1 and sets errno on failure. */
static const char *res(int ret)
{
	return err_name(ret < 0 ? errno : 0);
}

/* Internal failure of the runner: reported on stderr, the exit status is 1. */
static void oops(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tcgroup_scenario: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	failed = true;
}

/* MOUNTPOINT followed by @rel ("/" is the mount point itself). */
static const char *path(const char *rel)
{
	static char buf[4][PATH_MAX];
	static unsigned int next;
	char *b = buf[next++ % 4];

	snprintf(b, PATH_MAX, "%s%s", mnt, strcmp(rel, "/") ? rel : "");
	return b;
}

/*
 * Replaces every @from in @s (of @len bytes, at most @size - 1) by @to, in
 * place; returns the new length.
 */
static size_t replace_all(char *s, size_t len, size_t size, const char *from,
			  const char *to)
{
	size_t flen = strlen(from), tlen = strlen(to);
	char *p = s;

	if (!flen)
		return len;
	while ((size_t)(p - s) + flen <= len) {
		if (memcmp(p, from, flen)) {
			p++;
			continue;
		}
		if (len - flen + tlen >= size)
			break;
		memmove(p + tlen, p + flen, len - (p - s) - flen);
		memcpy(p, to, tlen);
		len = len - flen + tlen;
		p += tlen;
	}
	s[len] = '\0';
	return len;
}

/* What differs between the two runs, replaced: the agent directory, the name. */
static size_t normalize(char *s, size_t len, size_t size)
{
	len = replace_all(s, len, size, agent_dir, "@");
	return replace_all(s, len, size, hier_name, "NAME");
}

/* Prints @len bytes of @s as a C string, quoted if @quote. */
static void put_escaped(const char *s, size_t len, bool quote)
{
	if (quote)
		putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c == '\\' || c == '"')
			printf("\\%c", c);
		else if (isprint(c))
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	if (quote)
		putchar('"');
}

static void put_str(const char *s)
{
	put_escaped(s, strlen(s), false);
}

static struct label *find_label(const char *name, size_t len)
{
	for (int i = 0; i < nr_labels; i++)
		if (strlen(labels[i].name) == len && !strncmp(labels[i].name, name, len))
			return &labels[i];
	return NULL;
}

static struct label *add_label(const char *name, pid_t pid)
{
	struct label *l;

	if (nr_labels >= MAX_LABELS) {
		oops("too many labels");
		return NULL;
	}
	l = &labels[nr_labels++];
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->pid = pid;
	l->cmd = -1;
	l->reply = -1;
	l->child = false;
	return l;
}

/*
 * Expands @tmpl into @out: "{LABEL}" is the label's pid in decimal,
 * "{LABEL:x}" in hex, "{LABEL:o}" in octal, "{dir}" the agent directory and
 * "{name}" the hierarchy's name. Returns the length.
 */
static size_t expand(const char *tmpl, char *out, size_t size)
{
	size_t n = 0;

	while (*tmpl && n + 1 < size) {
		const char *end, *colon;
		struct label *l;
		char fmt = 'd';
		size_t len;

		if (*tmpl != '{') {
			out[n++] = *tmpl++;
			continue;
		}
		end = strchr(tmpl, '}');
		if (!end) {
			oops("unterminated {} in %s", tmpl);
			break;
		}
		colon = memchr(tmpl, ':', end - tmpl);
		len = (colon ? colon : end) - tmpl - 1;
		if (colon)
			fmt = colon[1];
		if (len == 3 && !strncmp(tmpl + 1, "dir", 3)) {
			n += snprintf(out + n, size - n, "%s", agent_dir);
		} else if (len == 4 && !strncmp(tmpl + 1, "name", 4)) {
			n += snprintf(out + n, size - n, "%s", hier_name);
		} else {
			l = find_label(tmpl + 1, len);
			if (!l)
				oops("unknown label in %s", tmpl);
			else if (fmt == 'x')
				n += snprintf(out + n, size - n, "%x", l->pid);
			else if (fmt == 'o')
				n += snprintf(out + n, size - n, "%o", l->pid);
			else
				n += snprintf(out + n, size - n, "%d", l->pid);
		}
		if (n >= size)
			n = size - 1;
		tmpl = end + 1;
	}
	out[n] = '\0';
	return n;
}

/* ---- Steps: each prints one line (ls one per entry). ---- */

static void do_mkdir(const char *rel)
{
	int ret = mkdir(path(rel), 0755);

	printf("mkdir ");
	put_str(rel);
	printf(" = %s\n", res(ret));
}

static void do_rmdir(const char *rel)
{
	int ret = rmdir(path(rel));

	printf("rmdir ");
	put_str(rel);
	printf(" = %s\n", res(ret));
}

static void do_rename(const char *from, const char *to, unsigned int flags)
{
	int ret;

	ret = syscall(SYS_renameat2, AT_FDCWD, path(from), AT_FDCWD, path(to), flags);
	printf("rename %s %s", from, to);
	if (flags & RENAME_NOREPLACE)
		printf(" RENAME_NOREPLACE");
	if (flags & RENAME_EXCHANGE)
		printf(" RENAME_EXCHANGE");
	printf(" = %s\n", res(ret));
}

/* write(2) of @len bytes of @buf to @rel in one call; @shown is what to print. */
static void write_step(const char *rel, const char *buf, size_t len,
		       const char *shown, size_t shown_len)
{
	const char *result;
	ssize_t n;
	int fd;

	fd = open(path(rel), O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		result = res(fd);
	} else {
		n = write(fd, buf, len);
		result = n < 0 ? res(n) : NULL;
		close(fd);
		if (n >= 0 && (size_t)n != len) {
			printf("write %s ", rel);
			put_escaped(shown, shown_len, true);
			printf(" = short %zd of %zu\n", n, len);
			return;
		}
	}
	printf("write %s ", rel);
	put_escaped(shown, shown_len, true);
	printf(" = %s\n", result ? result : "0");
}

/* Writes @tmpl, expanded, to @rel; prints the template. */
static void do_write(const char *rel, const char *tmpl)
{
	char buf[PATH_MAX + 64];
	size_t len = expand(tmpl, buf, sizeof(buf));

	write_step(rel, buf, len, tmpl, strlen(tmpl));
}

/* Writes @len raw bytes (NULs included). */
static void do_write_raw(const char *rel, const char *buf, size_t len)
{
	write_step(rel, buf, len, buf, len);
}

/* Moves the task @label by writing its id to @rel (a tasks or cgroup.procs). */
static void do_move(const char *label, const char *rel)
{
	char tmpl[LABEL_LEN + 4];

	snprintf(tmpl, sizeof(tmpl), "{%s}\n", label);
	do_write(rel, tmpl);
}

static void do_read(const char *rel)
{
	static char buf[BUF_SIZE];
	ssize_t len = read_file(path(rel), buf, sizeof(buf));

	printf("read %s = ", rel);
	if (len < 0) {
		printf("%s\n", err_name(-len));
		return;
	}
	len = normalize(buf, len, sizeof(buf));
	put_escaped(buf, len, true);
	putchar('\n');
}

/*
 * pread(2) of up to 64 bytes at @off of a fresh open file. What holds the
 * agent directory, which a part of it cannot be normalized, is compared with
 * the file read from offset 0 instead.
 */
static void do_pread(const char *rel, off_t off)
{
	static char full[BUF_SIZE];
	ssize_t len, full_len, want;
	char buf[128];
	int fd;

	printf("pread %s @%lld = ", rel, (long long)off);
	fd = open(path(rel), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("%s\n", res(fd));
		return;
	}
	len = pread(fd, buf, 64, off);
	close(fd);
	if (len < 0) {
		printf("%s\n", res(len));
		return;
	}
	buf[len] = '\0';
	full_len = read_file(path(rel), full, sizeof(full));
	if (full_len >= 0 && memmem(full, full_len, agent_dir, strlen(agent_dir))) {
		want = off < full_len ? full_len - off : 0;
		if (want > 64)
			want = 64;
		if (len == want && !memcmp(buf, full + off, len))
			printf("the bytes of a read from 0 at %lld\n", (long long)off);
		else
			printf("not the bytes of a read from 0 at %lld\n", (long long)off);
		return;
	}
	len = normalize(buf, len, sizeof(buf));
	put_escaped(buf, len, true);
	putchar('\n');
}

/* "d0755", "f0644": the type and permission bits. */
static void put_mode(mode_t mode)
{
	printf("%c%04o", S_ISDIR(mode) ? 'd' : S_ISREG(mode) ? 'f' : '?',
	       (unsigned int)(mode & 07777));
}

static void do_stat(const char *rel)
{
	struct stat st;

	printf("stat ");
	put_str(rel);
	if (lstat(path(rel), &st)) {
		printf(" = %s\n", res(-1));
		return;
	}
	printf(" = ");
	put_mode(st.st_mode);
	printf(" nlink=%lu uid=%u gid=%u\n", (unsigned long)st.st_nlink,
	       (unsigned int)st.st_uid, (unsigned int)st.st_gid);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of @rel, sorted, one line each: name, mode and size or nlink. */
static void do_ls(const char *rel)
{
	char *names[128];
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(path(rel));
	if (!d) {
		printf("ls %s = %s\n", rel, res(-1));
		return;
	}
	while ((de = readdir(d)) && n < (int)ARRAY_LEN(names)) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	if (!n)
		printf("ls %s = empty\n", rel);
	for (int i = 0; i < n; i++) {
		char p[PATH_MAX];
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s", path(rel), names[i]);
		printf("ls %s: ", rel);
		put_str(names[i]);
		if (lstat(p, &st)) {
			printf(" %s\n", res(-1));
		} else {
			putchar(' ');
			put_mode(st.st_mode);
			if (S_ISDIR(st.st_mode))
				printf(" nlink=%lu\n", (unsigned long)st.st_nlink);
			else
				printf(" size=%lld\n", (long long)st.st_size);
		}
		free(names[i]);
	}
}

/*
 * The ids in @rel/@file as labels, in the order the labels were made, then
 * "+N" ids of no label (not for the root group, which holds every other task
 * of the system), "(sorted)" if the ids are strictly ascending, and the
 * number of lines that are not an id.
 */
static void do_ids(const char *rel, const char *file)
{
	static char buf[BUF_SIZE];
	bool found[MAX_LABELS] = { false };
	int others = 0, bad = 0;
	bool sorted = true;
	long prev = -1;
	char p[PATH_MAX];
	ssize_t len;
	char *line, *save;

	snprintf(p, sizeof(p), "%s/%s", path(rel), file);
	printf("%s %s =", file, rel);
	len = read_file(p, buf, sizeof(buf));
	if (len < 0) {
		printf(" %s\n", err_name(-len));
		return;
	}
	if (len && buf[len - 1] != '\n')
		bad++;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *end;
		long id;
		int i;

		errno = 0;
		id = strtol(line, &end, 10);
		if (errno || *end || end == line || id <= 0) {
			bad++;
			continue;
		}
		if (id <= prev)
			sorted = false;
		prev = id;
		for (i = 0; i < nr_labels; i++) {
			if (labels[i].pid == id) {
				found[i] = true;
				break;
			}
		}
		if (i == nr_labels)
			others++;
	}
	for (int i = 0; i < nr_labels; i++)
		if (found[i])
			printf(" %s", labels[i].name);
	if (strcmp(rel, "/"))
		printf(" +%d", others);
	printf(" (%s)", sorted ? "sorted" : "unsorted");
	if (bad)
		printf(" (%d malformed)", bad);
	putchar('\n');
}

static void do_tasks(const char *rel)
{
	do_ids(rel, "tasks");
}

static void do_procs(const char *rel)
{
	do_ids(rel, "cgroup.procs");
}

static void sleep_poll(void)
{
	struct timespec ts = { 0, POLL_NS };

	nanosleep(&ts, NULL);
}

/* mount(2) with MS_REMOUNT and the data @tmpl, expanded. */
static void do_remount(const char *tmpl)
{
	char data[PATH_MAX + 256];
	int ret;

	expand(tmpl, data, sizeof(data));
	ret = mount("none", mnt, NULL, MS_REMOUNT, data);
	printf("remount \"%s\" = %s\n", tmpl, res(ret));
}

/*
 * A remount right after the last rmdir: cgroup v1 keeps a removed group on
 * its parent's list of children until its last reference is gone, after an
 * RCU grace period, and refuses the remount with EBUSY meanwhile. Retries
 * EBUSY for at most 10 s (10 ms steps); prints the last result.
 */
static void do_remount_settled(const char *tmpl)
{
	char data[PATH_MAX + 256];
	int ret;

	expand(tmpl, data, sizeof(data));
	for (int t = 0; t < POLL_TRIES; t++) {
		ret = mount("none", mnt, NULL, MS_REMOUNT, data);
		if (!ret || errno != EBUSY)
			break;
		sleep_poll();
	}
	printf("remount (settled) \"%s\" = %s\n", tmpl, res(ret));
}

/*
 * The super block options of the mount, from /proc/self/mountinfo; the
 * filesystem type into fstype.
 */
static int super_options(char *opts, size_t size)
{
	char line[PATH_MAX * 2];
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char point[PATH_MAX], *sep, *super;

		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
		    strcmp(point, mnt))
			continue;
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		/* " - FSTYPE SOURCE SUPER_OPTIONS" */
		super = strchr(sep + 3, ' ');
		if (!super)
			continue;
		snprintf(fstype, sizeof(fstype), "%.*s", (int)(super - sep - 3), sep + 3);
		super = strchr(super + 1, ' ');
		if (!super)
			continue;
		super++;
		super[strcspn(super, "\n")] = '\0';
		snprintf(opts, size, "%s", super);
		ret = 0;
	}
	fclose(f);
	return ret;
}

static void do_superopts(void)
{
	char opts[PATH_MAX * 2];
	int ret = super_options(opts, sizeof(opts));

	printf("superopts = ");
	if (ret) {
		printf("%s\n", err_name(-ret));
		return;
	}
	normalize(opts, strlen(opts), sizeof(opts));
	printf("%s\n", opts);
}

/* ---- Helpers ---- */

static void *thread_main(void *arg)
{
	pid_t tid = syscall(SYS_gettid);

	if (write((int)(long)arg, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	for (;;)
		pause();
	return NULL;
}

/*
 * A helper: reads commands from @cmd; 't' starts a thread, 'f' forks a
 * child, each answering with its id on @reply. At EOF it ends its children
 * (they wait on a pipe it holds) and exits, its threads with it.
 */
static void helper_main(int cmd, int reply)
{
	int life[2] = { -1, -1 };
	pid_t kids[16];
	int nr_kids = 0;
	char c;

	while (read(cmd, &c, 1) == 1) {
		pthread_t th;
		pid_t pid;

		if (c == 't') {
			if (pthread_create(&th, NULL, thread_main, (void *)(long)reply))
				_exit(1);
			continue;
		}
		if (c != 'f' || nr_kids >= (int)ARRAY_LEN(kids))
			_exit(1);
		if (life[0] < 0 && pipe2(life, O_CLOEXEC))
			_exit(1);
		pid = fork();
		if (pid < 0)
			_exit(1);
		if (!pid) {
			close(life[1]);
			close(cmd);
			close(reply);
			if (read(life[0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
		kids[nr_kids++] = pid;
		if (write(reply, &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
	}
	if (life[1] >= 0)
		close(life[1]);
	while (nr_kids)
		waitpid(kids[--nr_kids], NULL, 0);
	_exit(0);
}

/* Starts the helper @name. */
static void spawn(const char *name)
{
	int cmd[2], reply[2];
	struct label *l;
	pid_t pid;

	if (pipe2(cmd, O_CLOEXEC) || pipe2(reply, O_CLOEXEC)) {
		oops("pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		oops("fork: %s", strerror(errno));
		return;
	}
	if (!pid) {
		/* Only the runner may hold the other helpers' pipes. */
		for (int i = 0; i < nr_labels; i++) {
			if (labels[i].cmd >= 0)
				close(labels[i].cmd);
			if (labels[i].reply >= 0)
				close(labels[i].reply);
		}
		close(cmd[1]);
		close(reply[0]);
		helper_main(cmd[0], reply[1]);
		_exit(1);
	}
	close(cmd[0]);
	close(reply[1]);
	l = add_label(name, pid);
	if (!l)
		return;
	l->cmd = cmd[1];
	l->reply = reply[0];
	l->child = true;
	printf("start %s\n", name);
}

/* Has the helper @owner start a thread ('t') or fork a child ('f'), @name. */
static void helper_cmd(const char *owner, char c, const char *name)
{
	struct label *o = find_label(owner, strlen(owner));
	pid_t pid;

	if (!o || o->cmd < 0) {
		oops("no helper %s", owner);
		return;
	}
	if (write(o->cmd, &c, 1) != 1 || read(o->reply, &pid, sizeof(pid)) != sizeof(pid)) {
		oops("helper %s does not answer", owner);
		return;
	}
	add_label(name, pid);
	printf("%s %s %s\n", c == 't' ? "thread" : "fork", owner, name);
}

static void reap(struct label *l)
{
	if (l->cmd >= 0) {
		close(l->cmd);
		l->cmd = -1;
	}
	if (l->child) {
		if (waitpid(l->pid, NULL, 0) != l->pid)
			oops("waitpid %s: %s", l->name, strerror(errno));
		l->child = false;
		close(l->reply);
		l->reply = -1;
	}
}

/* Makes the helper @name exit and reaps it (its threads and children too). */
static void finish(const char *name)
{
	struct label *l = find_label(name, strlen(name));

	if (!l || !l->child) {
		oops("no helper %s", name);
		return;
	}
	reap(l);
	printf("exit %s\n", name);
}

/* Makes every helper exit at once, then reaps them. */
static void finish_all(bool quiet)
{
	bool any = false;

	for (int i = 0; i < nr_labels; i++) {
		if (labels[i].cmd >= 0) {
			close(labels[i].cmd);
			labels[i].cmd = -1;
		}
	}
	for (int i = 0; i < nr_labels; i++) {
		if (labels[i].child) {
			reap(&labels[i]);
			any = true;
		}
	}
	if (any && !quiet)
		printf("exit all\n");
}

/* A label for the id of a process that existed and was reaped. */
static void dead_pid(const char *name)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		oops("fork: %s", strerror(errno));
		return;
	}
	if (!pid)
		_exit(0);
	waitpid(pid, NULL, 0);
	add_label(name, pid);
	printf("dead %s\n", name);
}

/* ---- The agent log ---- */

static int log_lines(char lines[][LINE_LEN], int max)
{
	static char buf[BUF_SIZE];
	ssize_t len = read_file(log_path, buf, sizeof(buf));
	int n = 0;
	char *p = buf;

	if (len < 0)
		return 0;
	len = normalize(buf, len, sizeof(buf));
	while (n < max) {
		char *nl = strchr(p, '\n');

		/* A line still being written is not counted. */
		if (!nl)
			break;
		*nl = '\0';
		snprintf(lines[n++], LINE_LEN, "%.*s", LINE_LEN - 1, p);
		p = nl + 1;
	}
	return n;
}

/* The path of an agent call: the line without a "tag:" prefix. */
static const char *call_path(const char *line)
{
	const char *colon = strchr(line, ':');

	return colon ? colon + 1 : line;
}

/*
 * Polls until the log holds @n calls (and the sentinel's, if @sentinel);
 * returns whether it did within the bound.
 */
static bool wait_calls(int n, bool sentinel)
{
	static char lines[MAX_LOG_LINES][LINE_LEN];

	for (int t = 0; t < POLL_TRIES; t++) {
		int got = log_lines(lines, MAX_LOG_LINES);
		bool seen = !sentinel;

		for (int i = 0; i < got && !seen; i++)
			seen = !strcmp(call_path(lines[i]), SENTINEL);
		if (seen && got >= n + sentinel)
			return true;
		sleep_poll();
	}
	return false;
}

/* A wait in the middle of a scenario, for @n calls in all so far. */
static void do_wait(int n)
{
	bool ok = wait_calls(n, false);

	printf("wait for %d agent call(s) = %s\n", n, ok ? "ok" : "timeout");
	if (!ok)
		oops("no %d agent calls within %d s", n, POLL_TRIES / 100);
}

/*
 * The end of every scenario: the runner back in the root group, the sentinel
 * released, the wait, and the set of calls.
 */
static void agent_calls(int expected, bool sentinel)
{
	static char lines[MAX_LOG_LINES][LINE_LEN];
	char *sorted[MAX_LOG_LINES];
	int n;

	finish_all(false);
	do_write("/tasks", "0");
	if (sentinel) {
		do_mkdir(SENTINEL);
		do_write(SENTINEL "/notify_on_release", "1");
		spawn("sentinel");
		do_move("sentinel", SENTINEL "/tasks");
		finish("sentinel");
		if (!wait_calls(expected, true)) {
			printf("agent calls: timeout waiting for %d and the sentinel's\n",
			       expected);
			oops("agent calls: timeout waiting for %d and the sentinel's",
			     expected);
		}
	}
	n = log_lines(lines, MAX_LOG_LINES);
	for (int i = 0; i < n; i++)
		sorted[i] = lines[i];
	qsort(sorted, n, sizeof(sorted[0]), cmp_str);
	if (!n)
		printf("agent calls: none\n");
	for (int i = 0; i < n;) {
		int j = i;

		while (j < n && !strcmp(sorted[i], sorted[j]))
			j++;
		printf("agent call: ");
		put_str(sorted[i]);
		printf(" x%d\n", j - i);
		i = j;
	}
}

/* ---- Scenarios ---- */

static void notify(const char *rel, const char *value)
{
	char p[PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/notify_on_release", strcmp(rel, "/") ? rel : "");
	do_write(p, value);
}

/* The root group: files, their modes and contents; the runner's membership. */
static void sc_root_files(void)
{
	do_stat("/");
	do_ls("/");
	do_read("/notify_on_release");
	do_read("/cgroup.clone_children");
	do_read("/cgroup.sane_behavior");
	do_read("/release_agent");
	do_tasks("/");
	do_procs("/");
}

/* A new group: files, modes, contents. */
static void sc_group_files(void)
{
	do_mkdir("/a");
	do_stat("/a");
	do_stat("/");
	do_ls("/");
	do_ls("/a");
	do_read("/a/notify_on_release");
	do_read("/a/cgroup.clone_children");
	do_read("/a/tasks");
	do_read("/a/cgroup.procs");
	do_read("/a/release_agent");
	do_read("/a/cgroup.sane_behavior");
}

/* Groups four deep; the deepest one released by its task's exit. */
static void sc_nested_depth4(void)
{
	do_mkdir("/a");
	do_mkdir("/a/b");
	do_mkdir("/a/b/c");
	do_mkdir("/a/b/c/d");
	do_stat("/a");
	do_stat("/a/b");
	do_stat("/a/b/c");
	do_stat("/a/b/c/d");
	do_ls("/a/b/c");
	do_ls("/a/b/c/d");
	notify("/a/b/c/d", "1");
	spawn("c1");
	do_move("c1", "/a/b/c/d/tasks");
	do_tasks("/a/b/c/d");
	do_tasks("/a/b");
	do_tasks("/");
	do_rmdir("/a/b");
	do_rmdir("/a/b/c/d");
	finish("c1");
}

/* mkdir, rmdir and other directory operations that fail. */
static void sc_mkdir_errors(void)
{
	int ret;

	do_mkdir("/x/y");
	do_mkdir("/a");
	do_mkdir("/a");
	do_mkdir("/bad\nname");
	do_mkdir("/a/b");
	do_mkdir("/a/b/");
	do_rmdir("/nope");
	do_rmdir("/");
	do_rmdir("/tasks");
	do_rmdir("/a/tasks");
	ret = unlink(path("/a/tasks"));
	printf("unlink /a/tasks = %s\n", res(ret));
	ret = open(path("/a/newfile"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	printf("create /a/newfile = %s\n", res(ret));
	if (ret >= 0)
		close(ret);
	ret = symlink("tasks", path("/a/link"));
	printf("symlink /a/link = %s\n", res(ret));
	ret = mknod(path("/a/fifo"), S_IFIFO | 0644, 0);
	printf("mknod /a/fifo = %s\n", res(ret));
	ret = link(path("/a/tasks"), path("/a/hard"));
	printf("link /a/tasks /a/hard = %s\n", res(ret));
	do_ls("/a");
}

/* mkdir with the name of a control file. */
static void sc_mkdir_control_names(void)
{
	static const char * const names[] = {
		"tasks", "cgroup.procs", "notify_on_release",
		"cgroup.clone_children", "release_agent", "cgroup.sane_behavior",
	};
	char p[PATH_MAX];

	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		snprintf(p, sizeof(p), "/%s", names[i]);
		do_mkdir(p);
	}
	do_mkdir("/a");
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		snprintf(p, sizeof(p), "/a/%s", names[i]);
		do_mkdir(p);
	}
	do_ls("/a");
	do_ls("/a/release_agent");
	do_rmdir("/a/release_agent");
	do_rmdir("/a/cgroup.sane_behavior");
}

/* Twenty groups, a task in each, all exiting at once: twenty agent calls. */
static void sc_release_twenty(void)
{
	char p[PATH_MAX], label[LABEL_LEN];

	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "/g%02d", i);
		do_mkdir(p);
		notify(p, "1");
		snprintf(label, sizeof(label), "c%d", i);
		spawn(label);
		snprintf(p, sizeof(p), "/g%02d/tasks", i);
		do_move(label, p);
	}
	for (int i = 0; i < 20; i += 7) {
		snprintf(p, sizeof(p), "/g%02d", i);
		do_tasks(p);
	}
	finish_all(false);
	for (int i = 0; i < 20; i += 7) {
		snprintf(p, sizeof(p), "/g%02d", i);
		do_tasks(p);
	}
}

/* A task moved A -> B -> root; each group it leaves is released. */
static void sc_move_between_groups(void)
{
	do_mkdir("/A");
	do_mkdir("/B");
	notify("/A", "1");
	notify("/B", "1");
	spawn("c1");
	spawn("c2");
	do_move("c1", "/A/tasks");
	do_move("c2", "/A/tasks");
	do_tasks("/A");
	do_tasks("/B");
	do_move("c1", "/B/tasks");
	do_tasks("/A");
	do_tasks("/B");
	do_move("c2", "/B/cgroup.procs");
	do_tasks("/A");
	do_tasks("/B");
	do_wait(1);
	do_move("c1", "/tasks");
	do_move("c2", "/cgroup.procs");
	do_tasks("/B");
	do_tasks("/");
	do_procs("/");
}

/* rmdir in every order: EBUSY while a child group exists. No agent call. */
static void sc_rmdir_cascade(void)
{
	do_mkdir("/a");
	do_mkdir("/a/b");
	do_mkdir("/a/b/c");
	do_mkdir("/a/x");
	do_rmdir("/a");
	do_rmdir("/a/b");
	do_rmdir("/a/b/c");
	do_stat("/a/b");
	do_rmdir("/a/b");
	do_rmdir("/a");
	do_rmdir("/a/x");
	do_stat("/a");
	do_rmdir("/a");
	do_rmdir("/a");
	do_ls("/");
}

/* rmdir of a group with tasks: EBUSY until they leave. */
static void sc_rmdir_populated(void)
{
	do_mkdir("/a");
	do_mkdir("/b");
	spawn("c1");
	do_move("c1", "/a/tasks");
	do_rmdir("/a");
	do_write("/b/tasks", "0");
	do_rmdir("/b");
	do_tasks("/b");
	do_write("/tasks", "0");
	do_rmdir("/b");
	do_move("c1", "/tasks");
	do_rmdir("/a");
	do_ls("/");
}

/* A parent released when its last child group goes, not before. */
static void sc_release_last_child_removed(void)
{
	do_mkdir("/p");
	notify("/p", "1");
	do_mkdir("/p/c1");
	do_mkdir("/p/c2");
	do_read("/p/c1/notify_on_release");
	do_rmdir("/p/c1");
	do_rmdir("/p/c2");
	do_wait(1);
	do_mkdir("/p/c3");
	do_rmdir("/p/c3");
}

/* notify_on_release 0 -> 1 -> 0, a release at each: one agent call. */
static void sc_notify_toggle(void)
{
	do_mkdir("/t");
	spawn("c1");
	do_move("c1", "/t/tasks");
	do_move("c1", "/tasks");
	notify("/t", "1");
	do_read("/t/notify_on_release");
	do_move("c1", "/t/tasks");
	do_move("c1", "/tasks");
	do_wait(1);
	notify("/t", "0");
	do_read("/t/notify_on_release");
	do_move("c1", "/t/tasks");
	do_move("c1", "/tasks");
	notify("/t", "1");
	notify("/t", "1");
	do_read("/t/notify_on_release");
}

/* Task ids written with and without a newline, and in other spellings. */
static void sc_tasks_newline(void)
{
	static const char * const forms[] = {
		"{c1}", "{c1}\n", "{c1}\n\n", " {c1}", "{c1} ", "\t{c1}\n",
		"+{c1}", "0x{c1:x}", "0{c1:o}", "{c1}\r\n", "\n{c1}",
	};

	do_mkdir("/a");
	spawn("c1");
	for (size_t i = 0; i < ARRAY_LEN(forms); i++) {
		do_write("/a/tasks", forms[i]);
		do_tasks("/a");
		do_write("/tasks", "{c1}");
	}
	do_tasks("/a");
	do_write_raw("/a/tasks", "0\0junk", 6);
	do_tasks("/a");
	do_write("/tasks", "0");
}

/* The same through cgroup.procs. */
static void sc_procs_newline(void)
{
	static const char * const forms[] = {
		"{c1}", "{c1}\n", "{c1}\n\n", " {c1} ", "0x{c1:x}\n",
	};

	do_mkdir("/a");
	spawn("c1");
	for (size_t i = 0; i < ARRAY_LEN(forms); i++) {
		do_write("/a/cgroup.procs", forms[i]);
		do_procs("/a");
		do_write("/cgroup.procs", "{c1}");
	}
	do_procs("/a");
}

/* Ids that are not a task's, to tasks and to cgroup.procs. */
static void sc_bad_pids(void)
{
	static const char * const ids[] = {
		"abc", "12abc", "{c1}x", "-1", "-5\n", "1.5", "0x", " ", "\n",
		"{dead}", PID_NONE, "2147483647", "2147483648",
		"99999999999999999999", "-2147483649", "{c1} {c1}",
	};
	static const char * const files[] = { "/a/tasks", "/a/cgroup.procs" };

	do_mkdir("/a");
	spawn("c1");
	dead_pid("dead");
	for (size_t f = 0; f < ARRAY_LEN(files); f++)
		for (size_t i = 0; i < ARRAY_LEN(ids); i++)
			do_write(files[f], ids[i]);
	do_write_raw("/a/tasks", "", 0);
	do_write_raw("/a/cgroup.procs", "", 0);
	do_tasks("/a");
	do_write("/a/tasks", "-0");
	do_tasks("/a");
	do_write("/tasks", "0");
}

/* A kernel thread (kthreadd, pid 2) cannot move: EINVAL. */
static void sc_kthread_pid(void)
{
	do_mkdir("/a");
	do_write("/a/tasks", "2");
	do_write("/a/cgroup.procs", "2\n");
	do_write("/tasks", "2");
	do_write("/cgroup.procs", "2");
	do_tasks("/a");
}

/* The writer itself, as 0: moves and a release when it leaves. */
static void sc_self_pid_zero(void)
{
	do_mkdir("/a");
	do_mkdir("/b");
	notify("/a", "1");
	do_write("/a/tasks", "0");
	do_tasks("/a");
	do_procs("/a");
	do_write("/b/cgroup.procs", "0\n");
	do_tasks("/a");
	do_tasks("/b");
	do_wait(1);
	do_write("/a/tasks", "{self}");
	do_tasks("/a");
	do_write("/tasks", "0");
	do_tasks("/a");
}

/* cgroup.procs moves every thread; tasks one; a thread id to cgroup.procs all. */
static void sc_procs_threads(void)
{
	do_mkdir("/a");
	do_mkdir("/b");
	notify("/a", "1");
	notify("/b", "1");
	spawn("c1");
	helper_cmd("c1", 't', "c1.t1");
	helper_cmd("c1", 't', "c1.t2");
	do_tasks("/");
	do_procs("/");
	do_move("c1", "/a/cgroup.procs");
	do_tasks("/a");
	do_procs("/a");
	do_move("c1.t1", "/b/tasks");
	do_tasks("/a");
	do_procs("/a");
	do_tasks("/b");
	do_procs("/b");
	do_procs("/");
	do_move("c1.t2", "/b/cgroup.procs");
	do_tasks("/a");
	do_tasks("/b");
	do_procs("/b");
	do_wait(1);
	helper_cmd("c1", 't', "c1.t3");
	do_tasks("/b");
	do_move("c1.t3", "/a/tasks");
	do_tasks("/a");
	do_procs("/a");
	finish("c1");
	do_tasks("/a");
	do_tasks("/b");
}

/* A child starts in its parent's group; it stays when the parent moves. */
static void sc_fork_inherits(void)
{
	do_mkdir("/a");
	do_mkdir("/b");
	notify("/a", "1");
	notify("/b", "1");
	spawn("c1");
	do_move("c1", "/a/tasks");
	helper_cmd("c1", 'f', "c1.g1");
	do_tasks("/a");
	do_procs("/a");
	do_move("c1", "/b/tasks");
	do_tasks("/a");
	do_tasks("/b");
	finish("c1");
	do_tasks("/a");
	do_tasks("/b");
}

/* rename within the parent, and the renames that fail. */
static void sc_rename_group(void)
{
	do_mkdir("/a");
	do_mkdir("/x");
	do_mkdir("/y");
	notify("/a", "1");
	spawn("c1");
	do_move("c1", "/a/tasks");
	do_rename("/a", "/b", 0);
	do_ls("/");
	do_tasks("/b");
	do_read("/b/notify_on_release");
	do_rename("/b", "/x/b", 0);
	do_rename("/b", "/x", 0);
	do_rename("/b", "/y", 0);
	do_rename("/b", "/c", RENAME_NOREPLACE);
	do_rename("/b", "/x", RENAME_EXCHANGE);
	do_rename("/b/tasks", "/b/tasks2", 0);
	do_rename("/b", "/tasks", 0);
	do_rename("/tasks", "/t", 0);
	do_mkdir("/x/d");
	do_rename("/x/d", "/x/e", 0);
	do_ls("/x");
	do_ls("/");
	finish("c1");
}

/*
 * Values written to notify_on_release and cgroup.clone_children, each after a
 * 0: a value stored by a write that fails shows.
 */
static void sc_flag_values(void)
{
	static const char * const values[] = {
		"1", "0", "2", "0x10", "010", "08", "-1", "abc", " 1", "1 ",
		"1\n", "0\n", "1\n\n", "18446744073709551615",
		"18446744073709551616", "", "0x", "1x",
	};
	static const char * const files[] = {
		"/a/notify_on_release", "/a/cgroup.clone_children",
	};

	do_mkdir("/a");
	for (size_t f = 0; f < ARRAY_LEN(files); f++) {
		for (size_t i = 0; i < ARRAY_LEN(values); i++) {
			do_write(files[f], "0");
			do_write(files[f], values[i]);
			do_read(files[f]);
		}
		do_write(files[f], "0");
		do_write_raw(files[f], "1\0junk", 6);
		do_read(files[f]);
		do_write_raw(files[f], "0\0", 2);
		do_read(files[f]);
	}
}

/* cgroup.clone_children and notify_on_release of a new group: its parent's. */
static void sc_flags_inherited(void)
{
	do_mkdir("/a");
	do_write("/cgroup.clone_children", "1");
	do_superopts();
	do_mkdir("/b");
	do_mkdir("/b/c");
	do_write("/b/cgroup.clone_children", "0");
	do_mkdir("/b/d");
	do_write("/cgroup.clone_children", "0");
	do_superopts();
	do_read("/a/cgroup.clone_children");
	do_read("/b/cgroup.clone_children");
	do_read("/b/c/cgroup.clone_children");
	do_read("/b/d/cgroup.clone_children");
	notify("/", "1");
	do_mkdir("/n");
	do_mkdir("/n/m");
	notify("/", "0");
	do_mkdir("/o");
	do_read("/n/notify_on_release");
	do_read("/n/m/notify_on_release");
	do_read("/o/notify_on_release");
	do_read("/a/notify_on_release");
}

/* A group whose task moved to another group (not the root) is released. */
static void sc_release_moved_out(void)
{
	do_mkdir("/m");
	do_mkdir("/o");
	notify("/m", "1");
	spawn("c1");
	do_move("c1", "/m/tasks");
	do_move("c1", "/o/tasks");
	do_wait(1);
	finish("c1");
}

/* The last task's exit releases its group. */
static void sc_release_on_exit(void)
{
	do_mkdir("/e");
	notify("/e", "1");
	spawn("c1");
	spawn("c2");
	do_move("c1", "/e/tasks");
	do_move("c2", "/e/tasks");
	finish("c1");
	do_tasks("/e");
	finish("c2");
	do_tasks("/e");
}

/* Without notify_on_release nothing is called. */
static void sc_no_notify_no_call(void)
{
	do_mkdir("/q");
	do_mkdir("/q/r");
	spawn("c1");
	spawn("c2");
	do_move("c1", "/q/tasks");
	do_move("c2", "/q/r/tasks");
	finish("c1");
	finish("c2");
	do_rmdir("/q/r");
}

/* notify_on_release of a parent: no call while a child group exists. */
static void sc_release_nested_parent(void)
{
	do_mkdir("/a");
	notify("/a", "1");
	do_mkdir("/a/b");
	notify("/a/b", "0");
	spawn("c1");
	do_move("c1", "/a/b/tasks");
	finish("c1");
	do_rmdir("/a/b");
}

/* A task moved into a child group: the child released at its exit, then the parent. */
static void sc_release_move_to_child(void)
{
	do_mkdir("/a");
	notify("/a", "1");
	do_mkdir("/a/b");
	spawn("c1");
	do_move("c1", "/a/tasks");
	do_move("c1", "/a/b/tasks");
	finish("c1");
	do_wait(1);
	do_rmdir("/a/b");
}

/* The same group released again after its first call. */
static void sc_release_repeated(void)
{
	do_mkdir("/r");
	notify("/r", "1");
	spawn("c1");
	do_move("c1", "/r/tasks");
	do_move("c1", "/tasks");
	do_wait(1);
	do_move("c1", "/r/tasks");
	do_move("c1", "/tasks");
	do_wait(2);
}

/* Writes the second agent, "@/agent2", which logs "new:PATH". */
static void make_agent2(void)
{
	char p[PATH_MAX + 16];
	FILE *f;

	snprintf(p, sizeof(p), "%s/agent2", agent_dir);
	f = fopen(p, "we");
	if (!f) {
		oops("%s: %s", p, strerror(errno));
		return;
	}
	fprintf(f, "#!/bin/sh\necho \"new:$1\" >>%s\n", log_path);
	fclose(f);
	if (chmod(p, 0755))
		oops("chmod %s: %s", p, strerror(errno));
}

/* The release_agent file rewritten: the next release runs the new agent. */
static void sc_agent_rewrite(void)
{
	make_agent2();
	do_read("/release_agent");
	do_write("/release_agent", "{dir}/agent2");
	do_read("/release_agent");
	do_superopts();
	do_mkdir("/r");
	notify("/r", "1");
	spawn("c1");
	do_move("c1", "/r/tasks");
	do_move("c1", "/tasks");
	do_wait(1);
	do_write("/release_agent", "  {dir}/agent \r\n");
	do_read("/release_agent");
	do_mkdir("/s");
	notify("/s", "1");
	do_move("c1", "/s/tasks");
	do_move("c1", "/tasks");
	do_wait(2);
	do_write("/release_agent", "{dir}/agent\t\n\n");
	do_read("/release_agent");
	do_pread("/release_agent", 1);
	do_pread("/release_agent", 4096);
}

/* An empty agent: read back empty, and nothing is run. No sentinel. */
static void sc_agent_empty(void)
{
	do_write("/release_agent", "\n");
	do_read("/release_agent");
	do_superopts();
	do_mkdir("/r");
	notify("/r", "1");
	spawn("c1");
	do_move("c1", "/r/tasks");
	finish("c1");
	do_write("/release_agent", "");
	do_read("/release_agent");
}

/* mount(2) MS_REMOUNT: the agent replaced; refused while groups exist. */
static void sc_remount(void)
{
	make_agent2();
	do_superopts();
	do_remount("none,name={name},release_agent={dir}/agent2");
	do_superopts();
	do_read("/release_agent");
	do_mkdir("/g");
	do_remount("none,name={name},release_agent={dir}/agent");
	do_remount("none,name=x{name},release_agent={dir}/agent");
	do_read("/release_agent");
	notify("/g", "1");
	spawn("c1");
	do_move("c1", "/g/tasks");
	do_move("c1", "/tasks");
	do_wait(1);
	do_rmdir("/g");
	do_remount_settled("none,name={name}");
	do_read("/release_agent");
	do_remount("name={name},release_agent={dir}/agent");
	do_read("/release_agent");
	do_remount("release_agent={dir}/agent");
	do_read("/release_agent");
	do_remount("none,name=x{name}");
	do_remount("none,name={name},noprefix");
	do_remount("none,name={name},clone_children");
	do_read("/cgroup.clone_children");
	do_superopts();
	do_remount("none,name={name},release_agent={dir}/agent,release_agent={dir}/agent");
	do_remount("none,name={name},bogus");
	do_superopts();
}

/* Remount refused while there is a child group at any depth. */
static void sc_remount_populated(void)
{
	do_mkdir("/a");
	do_mkdir("/a/b");
	do_remount("none,name={name},release_agent={dir}/agent");
	do_rmdir("/a/b");
	do_remount("none,name={name},release_agent={dir}/agent");
	do_rmdir("/a");
	do_remount_settled("none,name={name},release_agent={dir}/agent");
	do_superopts();
}

/*
 * A second mount of the hierarchy by name, at "@/mnt2": the same groups; with
 * other options (Documentation/tcgroup.rst: cgroup v1 mounts the hierarchy as
 * it is, tcgroup refuses with EBUSY).
 */
static void do_mount2(const char *tmpl)
{
	char data[PATH_MAX + 256], target[PATH_MAX + 16];
	struct stat st;
	int ret;

	snprintf(target, sizeof(target), "%s/mnt2", agent_dir);
	expand(tmpl, data, sizeof(data));
	ret = mount("none", target, fstype, 0, data);
	printf("mount2 \"%s\" = %s", tmpl, res(ret));
	if (ret) {
		putchar('\n');
		return;
	}
	snprintf(data, sizeof(data), "%s/a/tasks", target);
	printf(", /a/tasks %s\n", stat(data, &st) ? "absent" : "present");
	if (umount(target))
		printf("umount2 = %s\n", res(-1));
}

static void sc_mount_shared(void)
{
	char target[PATH_MAX + 16];

	snprintf(target, sizeof(target), "%s/mnt2", agent_dir);
	if (mkdir(target, 0755) && errno != EEXIST)
		oops("mkdir %s: %s", target, strerror(errno));
	do_mkdir("/a");
	do_mount2("none,name={name},release_agent={dir}/agent");
	do_mount2("name={name}");
	do_mount2("none,name={name}");
	do_mount2("none,name={name},release_agent={dir}/agent2");
	do_mount2("none,name={name},noprefix");
	do_mount2("none,name={name},clone_children");
	do_mount2("none,name={name},bogus");
	do_read("/release_agent");
	do_read("/cgroup.clone_children");
	do_superopts();
	rmdir(target);
}

/* Files of a removed group, opened before: ENODEV. */
static void sc_removed_group_files(void)
{
	int wfd, rfd, nfd, ret;
	char buf[64];
	ssize_t n;

	do_mkdir("/a");
	spawn("c1");
	wfd = open(path("/a/tasks"), O_WRONLY | O_CLOEXEC);
	rfd = open(path("/a/notify_on_release"), O_RDONLY | O_CLOEXEC);
	nfd = open(path("/a/notify_on_release"), O_WRONLY | O_CLOEXEC);
	printf("open /a/tasks /a/notify_on_release = %s %s %s\n",
	       res(wfd), res(rfd), res(nfd));
	do_rmdir("/a");
	expand("{c1}", buf, sizeof(buf));
	n = write(wfd, buf, strlen(buf));
	printf("write (removed) /a/tasks \"{c1}\" = %s\n", res(n));
	n = write(nfd, "1", 1);
	printf("write (removed) /a/notify_on_release \"1\" = %s\n", res(n));
	n = read(rfd, buf, sizeof(buf));
	printf("read (removed) /a/notify_on_release = %s\n", n >= 0 ? "ok" : res(n));
	ret = faccessat(AT_FDCWD, path("/a/tasks"), F_OK, 0);
	printf("access /a/tasks = %s\n", res(ret));
	close(wfd);
	close(rfd);
	close(nfd);
	do_tasks("/");
}

/* Writes to files without a write handler, opened by root. */
static void sc_readonly_writes(void)
{
	do_mkdir("/a");
	do_write("/cgroup.sane_behavior", "1");
	do_write("/cgroup.sane_behavior", "0");
	do_write("/a/notify_on_release", "1");
	do_write("/release_agent", "{dir}/agent");
	do_read("/cgroup.sane_behavior");
}

/* Reads at offsets. */
static void sc_read_offsets(void)
{
	do_mkdir("/a");
	notify("/a", "1");
	do_pread("/a/notify_on_release", 0);
	do_pread("/a/notify_on_release", 1);
	do_pread("/a/notify_on_release", 2);
	do_pread("/a/notify_on_release", 100);
	do_pread("/cgroup.sane_behavior", 1);
	do_pread("/release_agent", 0);
	do_pread("/release_agent", 3);
	do_pread("/a/tasks", 0);
	do_pread("/a/tasks", 5);
}

/* Many tasks in one group: listed once each, in ascending order. */
static void sc_tasks_many(void)
{
	char label[LABEL_LEN];

	do_mkdir("/a");
	do_mkdir("/b");
	for (int i = 1; i <= 8; i++) {
		snprintf(label, sizeof(label), "c%d", i);
		spawn(label);
	}
	helper_cmd("c3", 't', "c3.t1");
	for (int i = 8; i >= 1; i--) {
		snprintf(label, sizeof(label), "c%d", i);
		do_move(label, "/a/cgroup.procs");
	}
	do_tasks("/a");
	do_procs("/a");
	do_move("c5", "/b/tasks");
	do_move("c3.t1", "/b/tasks");
	do_tasks("/a");
	do_procs("/a");
	do_tasks("/b");
	do_procs("/b");
	do_tasks("/");
	finish("c3");
	do_tasks("/a");
	do_procs("/b");
}

struct scenario {
	const char *name;
	void (*run)(void);
	/* Agent calls the scenario makes, besides the sentinel's. */
	int calls;
	/* No sentinel: the scenario leaves no agent to call. */
	bool no_sentinel;
};

static const struct scenario scenarios[] = {
	{ "root_files", sc_root_files, 0, false },
	{ "group_files", sc_group_files, 0, false },
	{ "nested_depth4", sc_nested_depth4, 1, false },
	{ "mkdir_errors", sc_mkdir_errors, 0, false },
	{ "mkdir_control_names", sc_mkdir_control_names, 0, false },
	{ "release_twenty", sc_release_twenty, 20, false },
	{ "move_between_groups", sc_move_between_groups, 2, false },
	{ "rmdir_cascade", sc_rmdir_cascade, 0, false },
	{ "rmdir_populated", sc_rmdir_populated, 0, false },
	{ "release_last_child_removed", sc_release_last_child_removed, 2, false },
	{ "notify_toggle", sc_notify_toggle, 1, false },
	{ "tasks_newline", sc_tasks_newline, 0, false },
	{ "procs_newline", sc_procs_newline, 0, false },
	{ "bad_pids", sc_bad_pids, 0, false },
	{ "kthread_pid", sc_kthread_pid, 0, false },
	{ "self_pid_zero", sc_self_pid_zero, 2, false },
	{ "procs_threads", sc_procs_threads, 3, false },
	{ "fork_inherits", sc_fork_inherits, 2, false },
	{ "rename_group", sc_rename_group, 1, false },
	{ "flag_values", sc_flag_values, 0, false },
	{ "flags_inherited", sc_flags_inherited, 0, false },
	{ "release_moved_out", sc_release_moved_out, 1, false },
	{ "release_on_exit", sc_release_on_exit, 1, false },
	{ "no_notify_no_call", sc_no_notify_no_call, 0, false },
	{ "release_nested_parent", sc_release_nested_parent, 1, false },
	{ "release_move_to_child", sc_release_move_to_child, 2, false },
	{ "release_repeated", sc_release_repeated, 2, false },
	{ "agent_rewrite", sc_agent_rewrite, 2, false },
	{ "agent_empty", sc_agent_empty, 0, true },
	{ "remount", sc_remount, 1, false },
	{ "remount_populated", sc_remount_populated, 0, false },
	{ "mount_shared", sc_mount_shared, 0, false },
	{ "removed_group_files", sc_removed_group_files, 0, false },
	{ "readonly_writes", sc_readonly_writes, 0, false },
	{ "read_offsets", sc_read_offsets, 0, false },
	{ "tasks_many", sc_tasks_many, 0, false },
};

/* The hierarchy's name, from the super block options of the mount. */
static int find_name(void)
{
	char opts[PATH_MAX * 2], *p, *end;
	int ret = super_options(opts, sizeof(opts));

	if (ret)
		return ret;
	for (p = opts; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, "name=", 5)) {
			p += 5;
			end = p + strcspn(p, ",");
			snprintf(hier_name, sizeof(hier_name), "%.*s", (int)(end - p), p);
			return 0;
		}
	}
	return -ENOENT;
}

int main(int argc, char **argv)
{
	const struct scenario *sc = NULL;
	char *slash;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < ARRAY_LEN(scenarios); i++)
			printf("%s\n", scenarios[i].name);
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: %s MOUNTPOINT SCENARIO LOGFILE | --list\n", argv[0]);
		return 2;
	}
	mnt = argv[1];
	log_path = argv[3];
	for (size_t i = 0; i < ARRAY_LEN(scenarios); i++)
		if (!strcmp(argv[2], scenarios[i].name))
			sc = &scenarios[i];
	if (!sc) {
		fprintf(stderr, "%s: no scenario %s\n", argv[0], argv[2]);
		return 2;
	}
	snprintf(agent_dir, sizeof(agent_dir), "%s", log_path);
	slash = strrchr(agent_dir, '/');
	if (!slash || slash == agent_dir || log_path[0] != '/') {
		fprintf(stderr, "%s: LOGFILE must be an absolute path\n", argv[0]);
		return 2;
	}
	*slash = '\0';
	if (find_name()) {
		fprintf(stderr, "%s: no hierarchy with name= mounted at %s\n", argv[0], mnt);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(RUN_TIMEOUT);
	umask(022);
	setvbuf(stdout, NULL, _IOLBF, 0);
	add_label("self", getpid());

	printf("scenario %s\n", sc->name);
	sc->run();
	agent_calls(sc->calls, !sc->no_sentinel);
	finish_all(true);
	return failed ? 1 : 0;
}
