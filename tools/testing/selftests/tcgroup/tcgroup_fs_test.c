// SPDX-License-Identifier: GPL-2.0
/*
 * Filesystem tests of tcgroup, each run against tcgroup and against its
 * reference implementation, the in-kernel cgroup v1.
 *
 * Every test runs on two variants: "tcgroup" (mount -t tcgroup) and
 * "cgroup_v1" (mount -t cgroup). The same test body checks both; the variant
 * carries the filesystem type and the documented differences (see
 * Documentation/tcgroup.rst). The test kernel has CONFIG_CGROUPS=y and no
 * controller, so every cgroup v1 hierarchy is a named one (none,name=X), and
 * the tests of tcgroup's debug subsystem are skipped on cgroup_v1.
 *
 * Each test runs in a mount namespace of its own, on mount points made with
 * mkdtemp() under /tmp, with hierarchy names of its own ("tcgt_<pid>_<n>"):
 * a named hierarchy outlives its mounts while it has child groups, so the
 * teardown removes every group a test left behind, through the test's mounts
 * and then by mounting each of its hierarchies again by name.
 *
 * The tests need root and skip a variant whose filesystem type is not in
 * /proc/filesystems (tcgroup.ko not loaded).
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "tcgroup_util.h"

#define MNTPT_TEMPLATE "/tmp/tcgfs_XXXXXX"

/* The release agent the guest has; any path would do. */
#define AGENT "/sbin/tcgroup-agent"

/* The unprivileged user of the permission test (nobody/nogroup). */
#define NOBODY_ID 65534

/* The longest hierarchy name: MAX_CGROUP_ROOT_NAMELEN - 1. */
#define NAME_MAX_LEN 63
#define NAME_BUF 128

/* The longest release agent: PATH_MAX - 1 bytes. */
#define AGENT_MAX 4095

/* Hierarchy names one test may make up. */
#define MAX_NAMES 8

#define OPTS_SIZE 1024
#define READ_SIZE 8192

/* The most control files a group of any variant has. */
#define MAX_FILES 16

FIXTURE(fs) {
	/* Two mount points; most tests use only the first. */
	char mnt[2][sizeof(MNTPT_TEMPLATE)];
	/* The hierarchy names this test made up, for the teardown. */
	char names[MAX_NAMES][NAME_BUF];
	int nr_names;
};

FIXTURE_VARIANT(fs) {
	/* The filesystem type given to mount(2). */
	const char *fstype;
	/* The debug subsystem exists (tcgroup); cgroup v1 here has none. */
	bool has_debug;
	/* Every group has the read-only file "releasable" (tcgroup). */
	bool has_releasable;
	/* st_mode & 07777 of the root directory of a hierarchy. */
	mode_t root_mode;
	/*
	 * Mounting an existing hierarchy by name with a different noprefix or
	 * release_agent= fails with EBUSY (tcgroup); cgroup v1 logs a warning
	 * and mounts the hierarchy as it is.
	 */
	bool strict_sharing;
	/* rename(2) of a group within its parent: 0 or the errno. */
	int rename_err;
	/* rename(2) of a group to another parent: the errno. */
	int rename_other_parent_err;
	/* mount -o remount,release_agent=PATH (no name=): 0 or the errno. */
	int remount_agent_only_err;
	/* A number file strips blanks around the number (takes " 1 "). */
	bool number_strips_blanks;
	/* An empty write(2) to a number file: 0 (it returns 0) or the errno. */
	int empty_number_write_err;
};

FIXTURE_VARIANT_ADD(fs, tcgroup) {
	.fstype = "tcgroup",
	.has_debug = true,
	.has_releasable = true,
	.root_mode = 0555,
	.strict_sharing = true,
	.rename_err = 0,
	.rename_other_parent_err = EIO,
	.remount_agent_only_err = 0,
	.number_strips_blanks = false,
	.empty_number_write_err = 0,
};

/*
 * Where cgroup v1 differs from tcgroup (Documentation/tcgroup.rst lists why):
 * cgroup1_reconfigure() runs check_cgroupfs_options(), which without name=
 * or a subsystem wants "all" and finds no controller here, while a tcgroup
 * remount leaves the subsystems as they are; v1 mounts an existing hierarchy
 * with other noprefix or release_agent= options as it is.
 */
FIXTURE_VARIANT_ADD(fs, cgroup_v1) {
	.fstype = "cgroup",
	.has_debug = false,
	.has_releasable = false,
	.root_mode = 0555,
	.strict_sharing = false,
	.rename_err = 0,
	.rename_other_parent_err = EIO,
	.remount_agent_only_err = EINVAL,
	.number_strips_blanks = false,
	.empty_number_write_err = 0,
};

/*
 * Makes up a new hierarchy name of @len characters (0: as short as it comes)
 * and records it for the teardown. Longer names end in every character class
 * a name may hold: "tcgt_<pid>_<n>.-_AZaz09xxx...".
 */
static const char *new_name_len(struct _test_data_fs *self, size_t len)
{
	static const char tail[] = ".-_AZaz09";
	static unsigned int counter;
	size_t n;
	char *name;

	if (self->nr_names >= MAX_NAMES || len >= NAME_BUF)
		return NULL;
	name = self->names[self->nr_names++];
	snprintf(name, NAME_BUF, "tcgt_%d_%u", getpid(), counter++);
	n = strlen(name);
	for (size_t i = 0; n < len; i++, n++)
		name[n] = i < sizeof(tail) - 1 ? tail[i] : 'x';
	name[n] = '\0';
	return name;
}

static const char *new_name(struct _test_data_fs *self)
{
	return new_name_len(self, 0);
}

/* mount(2)s a hierarchy of the variant's type on @dir; returns 0 or -errno. */
static int fs_mount(const struct _fixture_variant_fs *variant, const char *dir,
		    const char *opts)
{
	if (mount("none", dir, variant->fstype, 0, opts))
		return -errno;
	return 0;
}

/* mount -o remount,@opts @dir; returns 0 or -errno. */
static int fs_remount(const char *dir, const char *opts)
{
	if (mount(NULL, dir, NULL, MS_REMOUNT, opts))
		return -errno;
	return 0;
}

/*
 * Copies the super options (the last field of /proc/self/mountinfo) of the
 * filesystem of type @fstype mounted on top at @dir into @opts. Returns 0,
 * -ENOENT if none is mounted there, or another negative errno.
 */
static int super_options(const char *dir, const char *fstype, char *opts,
			 size_t size)
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
		if (sep + 3 >= n || strcmp(tok[4], dir) || strcmp(tok[sep + 1], fstype))
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
 * Copies the options field of the /proc/self/mounts line of the filesystem
 * of type @fstype mounted on top at @dir into @opts. Returns 0, -ENOENT or
 * another negative errno.
 */
static int mounts_options(const char *dir, const char *fstype, char *opts,
			  size_t size)
{
	char *line = NULL, *tok[6], *save;
	size_t cap = 0, len;
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		int n = 0;

		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(line, " ", &save); t && n < 6;
		     t = strtok_r(NULL, " ", &save))
			tok[n++] = t;
		/* source mntpt type options freq passno */
		if (n < 4 || strcmp(tok[1], dir) || strcmp(tok[2], fstype))
			continue;
		len = strlen(tok[3]);
		if (len >= size) {
			ret = -ENAMETOOLONG;
			continue;
		}
		memcpy(opts, tok[3], len + 1);
		ret = 0;
	}
	free(line);
	fclose(f);
	return ret;
}

/* Whether the comma-separated list @opts holds exactly the item @item. */
static bool has_option(const char *opts, const char *item)
{
	size_t len = strlen(item);
	const char *p = opts;

	while (p && *p) {
		if (!strncmp(p, item, len) && (p[len] == ',' || p[len] == '\0'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

FIXTURE_SETUP(fs)
{
	if (geteuid() != 0)
		SKIP(return, "the tcgroup filesystem tests need root");
	if (!fs_registered(variant->fstype))
		SKIP(return, "%s is not in /proc/filesystems%s", variant->fstype,
		     strcmp(variant->fstype, "tcgroup") ? "" : " (tcgroup.ko not loaded?)");

	umask(022);
	ASSERT_EQ(private_mount_ns(), 0);

	memcpy(self->mnt[0], MNTPT_TEMPLATE, sizeof(MNTPT_TEMPLATE));
	ASSERT_NE(mkdtemp(self->mnt[0]), NULL) {
		TH_LOG("mkdtemp(%s): %s", MNTPT_TEMPLATE, strerror(errno));
	}
	memcpy(self->mnt[1], MNTPT_TEMPLATE, sizeof(MNTPT_TEMPLATE));
	ASSERT_NE(mkdtemp(self->mnt[1]), NULL) {
		TH_LOG("mkdtemp(%s): %s", MNTPT_TEMPLATE, strerror(errno));
		rmdir(self->mnt[0]);
	}
}

/*
 * No ASSERT and no handler blocks here: after a failed ASSERT the harness
 * runs the teardown with its trigger still set.
 */
FIXTURE_TEARDOWN(fs)
{
	char opts[NAME_BUF + 8];

#ifdef __NR_close_range
	/* A failed test may hold files (debug.hold) that keep groups busy. */
	syscall(__NR_close_range, 3, ~0U, 0);
#endif
	for (int i = 0; i < 2; i++) {
		for (int n = 0; n < 8; n++) {
			remove_groups(self->mnt[i]);
			if (umount2(self->mnt[i], MNT_DETACH))
				break;
		}
	}
	/* Hierarchies the test unmounted with groups in them. */
	for (int i = 0; i < self->nr_names; i++) {
		snprintf(opts, sizeof(opts), "name=%s", self->names[i]);
		if (fs_mount(variant, self->mnt[0], opts))
			continue;
		if (remove_groups(self->mnt[0]))
			TH_LOG("teardown: hierarchy %s keeps groups", self->names[i]);
		umount2(self->mnt[0], MNT_DETACH);
	}
	for (int i = 0; i < 2; i++)
		if (rmdir(self->mnt[i]))
			TH_LOG("teardown: rmdir(%s): %s", self->mnt[i], strerror(errno));
}

/* Mounts with @opts on @dir and checks that it worked. */
static void mount_ok(struct __test_metadata *_metadata,
		     const struct _fixture_variant_fs *variant, const char *dir,
		     const char *opts)
{
	int ret = fs_mount(variant, dir, opts);

	ASSERT_EQ(ret, 0) {
		TH_LOG("mount -t %s -o %s none %s: %s", variant->fstype,
		       opts ? opts : "(none)", dir, err_str(ret));
	}
}

/* Checks that mounting with @opts on @dir fails with @err and mounts nothing. */
static void mount_fails(struct __test_metadata *_metadata,
			const struct _fixture_variant_fs *variant, const char *dir,
			const char *opts, int err)
{
	char sopts[OPTS_SIZE];
	int ret = fs_mount(variant, dir, opts);

	if (!ret)
		umount2(dir, MNT_DETACH);
	ASSERT_EQ(ret, -err) {
		TH_LOG("mount -t %s -o %s: expected %s (%d), got %s (%d)",
		       variant->fstype, opts ? opts : "(none)", strerror(err), err,
		       err_str(ret), -ret);
	}
	ret = super_options(dir, variant->fstype, sopts, sizeof(sopts));
	ASSERT_EQ(ret, -ENOENT) {
		TH_LOG("the failed mount -o %s left a %s at %s (%s)", opts,
		       variant->fstype, dir, err_str(ret));
	}
}

/*
 * Mounts a new hierarchy "none,name=<new name>[,@extra]" on @dir; returns its
 * name.
 */
static const char *mount_named(struct __test_metadata *_metadata,
			       struct _test_data_fs *self,
			       const struct _fixture_variant_fs *variant,
			       const char *dir, const char *extra)
{
	const char *name = new_name(self);
	char opts[OPTS_SIZE];

	ASSERT_NE(name, NULL);
	snprintf(opts, sizeof(opts), "none,name=%s%s%s", name, extra ? "," : "",
		 extra ? extra : "");
	mount_ok(_metadata, variant, dir, opts);
	return name;
}

/* Mounts a new hierarchy with the debug subsystem ("debug,name=X[,@extra]"). */
static const char *mount_debug(struct __test_metadata *_metadata,
			       struct _test_data_fs *self,
			       const struct _fixture_variant_fs *variant,
			       const char *dir, const char *extra)
{
	const char *name = new_name(self);
	char opts[OPTS_SIZE];

	ASSERT_NE(name, NULL);
	snprintf(opts, sizeof(opts), "debug,name=%s%s%s", name, extra ? "," : "",
		 extra ? extra : "");
	mount_ok(_metadata, variant, dir, opts);
	return name;
}

/* Checks that the super options of the mount at @dir are exactly @expected. */
static void assert_super_options(struct __test_metadata *_metadata,
				 const struct _fixture_variant_fs *variant,
				 const char *dir, const char *expected)
{
	char opts[OPTS_SIZE];
	int ret;

	ret = super_options(dir, variant->fstype, opts, sizeof(opts));
	ASSERT_EQ(ret, 0) {
		TH_LOG("no %s at %s in /proc/self/mountinfo: %s",
		       variant->fstype, dir, err_str(ret));
	}
	ASSERT_STREQ(expected, opts) {
		TH_LOG("super options of %s", dir);
	}
}

static void mkdir_ok(struct __test_metadata *_metadata, const char *path)
{
	ASSERT_EQ(mkdir(path, 0755), 0) {
		TH_LOG("mkdir(%s): %s", path, strerror(errno));
	}
}

static void rmdir_ok(struct __test_metadata *_metadata, const char *path)
{
	ASSERT_EQ(rmdir(path), 0) {
		TH_LOG("rmdir(%s): %s", path, strerror(errno));
	}
}

/* Checks that the syscall result @ret (0 or -1 with errno) is the error @err. */
static void assert_errno(struct __test_metadata *_metadata, int ret, int err,
			 const char *what)
{
	int seen = ret ? errno : 0;

	ASSERT_EQ(seen, err) {
		TH_LOG("%s: expected %s (%d), got %s (%d)", what, strerror(err),
		       err, err_str(seen), seen);
	}
}

static void assert_is_dir(struct __test_metadata *_metadata, const char *path)
{
	struct stat st;

	ASSERT_EQ(stat(path, &st), 0) {
		TH_LOG("stat(%s): %s", path, strerror(errno));
	}
	ASSERT_TRUE(S_ISDIR(st.st_mode)) {
		TH_LOG("%s is not a directory (mode 0%o)", path, st.st_mode);
	}
}

static void assert_absent(struct __test_metadata *_metadata, const char *path)
{
	struct stat st;
	int ret = stat(path, &st);

	assert_errno(_metadata, ret, ENOENT, path);
}

/* Checks that the file @path reads exactly @expected. */
static void assert_content(struct __test_metadata *_metadata, const char *path,
			   const char *expected)
{
	static char buf[READ_SIZE];
	ssize_t n = read_file(path, buf, sizeof(buf));

	ASSERT_GE(n, 0) {
		TH_LOG("reading %s: %s", path, err_str(n));
	}
	ASSERT_STREQ(expected, buf) {
		TH_LOG("content of %s", path);
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

static void write_fails(struct __test_metadata *_metadata, const char *path,
			const char *str, int err)
{
	int ret = write_str(path, str);

	ASSERT_EQ(ret, -err) {
		TH_LOG("writing \"%s\" to %s: expected %s (%d), got %s (%d)",
		       str, path, strerror(err), err, err_str(ret), -ret);
	}
}

/* The expected control files of a group. */
struct exp_file {
	char name[32];
	mode_t mode;
	bool seen;
};

static void add_file(struct exp_file *files, int *n, const char *name,
		     mode_t mode)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(files[i].name, name))
			return;
	if (*n >= MAX_FILES)
		return;
	snprintf(files[*n].name, sizeof(files[*n].name), "%s", name);
	files[*n].mode = mode;
	files[*n].seen = false;
	(*n)++;
}

/*
 * Fills @files with the control files a group has: @root for the root of a
 * hierarchy, @debug with the debug subsystem bound, @noprefix mounted with
 * noprefix. Returns their number. With noprefix, the debug subsystem's
 * "releasable" has the name of tcgroup's own "releasable": one entry.
 */
static int expected_files(const struct _fixture_variant_fs *variant, bool root,
			  bool debug, bool noprefix, struct exp_file *files)
{
	static const char *const debug_names[] = {
		"taskcount", "refcount", "releasable", "hold",
	};
	char name[32];
	int n = 0;

	add_file(files, &n, "tasks", 0644);
	add_file(files, &n, "cgroup.procs", 0644);
	add_file(files, &n, "notify_on_release", 0644);
	add_file(files, &n, "cgroup.clone_children", 0644);
	if (root) {
		add_file(files, &n, "release_agent", 0644);
		add_file(files, &n, "cgroup.sane_behavior", 0444);
	}
	if (variant->has_releasable) {
		/*
		 * tcgroup's own files: releasable, the event file, agent and
		 * membership stats, the task lookup, the release stream.
		 */
		add_file(files, &n, "releasable", 0444);
		add_file(files, &n, "cgroup.events", 0444);
		if (!root)
			add_file(files, &n, "cgroup.kill", 0200);
		if (root) {
			add_file(files, &n, "release_agent.stats", 0444);
			add_file(files, &n, "membership.stats", 0444);
			add_file(files, &n, "membership.lookup", 0666);
			add_file(files, &n, "release.stream", 0600);
		}
	}
	if (debug) {
		for (size_t i = 0; i < ARRAY_SIZE(debug_names); i++) {
			snprintf(name, sizeof(name), "%s%s", noprefix ? "" : "debug.",
				 debug_names[i]);
			add_file(files, &n, name, 0444);
		}
	}
	return n;
}

/*
 * Checks that the files (not directories) in @dir are exactly @files, each a
 * regular file with its mode.
 */
static void assert_files(struct __test_metadata *_metadata, const char *dir,
			 struct exp_file *files, int n)
{
	int unexpected = 0, missing = 0, wrong_mode = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	d = opendir(dir);
	ASSERT_NE(d, NULL) {
		TH_LOG("opendir(%s): %s", dir, strerror(errno));
	}
	errno = 0;
	while ((de = readdir(d))) {
		bool known = false;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ASSERT_EQ(fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW), 0) {
			TH_LOG("stat(%s/%s): %s", dir, de->d_name, strerror(errno));
		}
		if (S_ISDIR(st.st_mode))
			continue;
		for (int i = 0; i < n; i++) {
			if (strcmp(files[i].name, de->d_name))
				continue;
			known = true;
			files[i].seen = true;
			if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != files[i].mode) {
				TH_LOG("%s/%s: mode 0%o, expected a regular file of mode 0%o",
				       dir, de->d_name, st.st_mode, files[i].mode);
				wrong_mode++;
			}
		}
		if (!known) {
			TH_LOG("%s: unexpected entry %s (mode 0%o)", dir, de->d_name,
			       st.st_mode);
			unexpected++;
		}
		errno = 0;
	}
	ASSERT_EQ(errno, 0) {
		TH_LOG("readdir(%s): %s", dir, strerror(errno));
	}
	closedir(d);
	for (int i = 0; i < n; i++) {
		if (!files[i].seen) {
			TH_LOG("%s: missing %s", dir, files[i].name);
			missing++;
		}
	}
	EXPECT_EQ(unexpected, 0);
	EXPECT_EQ(missing, 0);
	EXPECT_EQ(wrong_mode, 0);
}

static void assert_group_files(struct __test_metadata *_metadata,
			       const struct _fixture_variant_fs *variant,
			       const char *dir, bool root, bool debug,
			       bool noprefix)
{
	struct exp_file files[MAX_FILES];
	int n = expected_files(variant, root, debug, noprefix, files);

	assert_files(_metadata, dir, files, n);
}

/* ---------------------------------------------------------------------- */
/* Mount options                                                          */
/* ---------------------------------------------------------------------- */

/* 63 characters, every character class a name may hold. */
TEST_F(fs, name_valid_accepted)
{
	const char *name = new_name_len(self, NAME_MAX_LEN);
	char opts[OPTS_SIZE], expected[OPTS_SIZE];

	ASSERT_NE(name, NULL);
	ASSERT_EQ(strlen(name), (size_t)NAME_MAX_LEN);
	snprintf(opts, sizeof(opts), "none,name=%s", name);
	mount_ok(_metadata, variant, self->mnt[0], opts);
	snprintf(expected, sizeof(expected), "rw,name=%s", name);
	assert_super_options(_metadata, variant, self->mnt[0], expected);
}

TEST_F(fs, name_empty_einval)
{
	mount_fails(_metadata, variant, self->mnt[0], "none,name=", EINVAL);
	mount_fails(_metadata, variant, self->mnt[0], "none,name", EINVAL);
}

TEST_F(fs, name_too_long_einval)
{
	static const size_t lens[] = { NAME_MAX_LEN + 1, 100 };
	char opts[OPTS_SIZE];

	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		const char *name = new_name_len(self, lens[i]);

		ASSERT_NE(name, NULL);
		snprintf(opts, sizeof(opts), "none,name=%s", name);
		mount_fails(_metadata, variant, self->mnt[0], opts, EINVAL);
	}
}

TEST_F(fs, name_invalid_char_einval)
{
	static const char bad[] = ":/+@ ~=*";
	const char *name = new_name(self);
	char opts[OPTS_SIZE];

	ASSERT_NE(name, NULL);
	for (size_t i = 0; i < sizeof(bad) - 1; i++) {
		snprintf(opts, sizeof(opts), "none,name=%s%c", name, bad[i]);
		mount_fails(_metadata, variant, self->mnt[0], opts, EINVAL);
	}
}

TEST_F(fs, option_twice_einval)
{
	const char *a = new_name(self), *b = new_name(self);
	char opts[OPTS_SIZE];

	ASSERT_NE(a, NULL);
	ASSERT_NE(b, NULL);
	snprintf(opts, sizeof(opts), "none,name=%s,name=%s", a, b);
	mount_fails(_metadata, variant, self->mnt[0], opts, EINVAL);
	snprintf(opts, sizeof(opts), "none,name=%s,name=%s", a, a);
	mount_fails(_metadata, variant, self->mnt[0], opts, EINVAL);
	snprintf(opts, sizeof(opts), "none,name=%s,release_agent=/sbin/a,release_agent=/sbin/b",
		 a);
	mount_fails(_metadata, variant, self->mnt[0], opts, EINVAL);
}

/* No subsystem and no name: nothing says which hierarchy. */
TEST_F(fs, none_without_name_einval)
{
	static const char *const opts[] = {
		"none",
		"none,noprefix",
		"none,clone_children",
		"none,release_agent=" AGENT,
	};

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		mount_fails(_metadata, variant, self->mnt[0], opts[i], EINVAL);
}

/* name= alone finds an existing hierarchy but creates none. */
TEST_F(fs, name_alone_new_einval)
{
	const char *name = new_name(self);
	char opts[OPTS_SIZE];

	ASSERT_NE(name, NULL);
	snprintf(opts, sizeof(opts), "name=%s", name);
	mount_fails(_metadata, variant, self->mnt[0], opts, EINVAL);
	snprintf(opts, sizeof(opts), "name=%s,release_agent=%s", name, AGENT);
	mount_fails(_metadata, variant, self->mnt[0], opts, EINVAL);
}

/*
 * all or none with a subsystem. On cgroup v1 here debug is an unknown
 * subsystem, which is EINVAL as well.
 */
TEST_F(fs, subsys_conflicts_einval)
{
	const char *name = new_name(self);
	char opts[OPTS_SIZE];

	ASSERT_NE(name, NULL);
	snprintf(opts, sizeof(opts), "all,debug,name=%s", name);
	mount_fails(_metadata, variant, self->mnt[0], opts, EINVAL);
	snprintf(opts, sizeof(opts), "none,debug,name=%s", name);
	mount_fails(_metadata, variant, self->mnt[0], opts, EINVAL);
	mount_fails(_metadata, variant, self->mnt[0], "debug,all", EINVAL);
}

TEST_F(fs, unknown_option_einval)
{
	static const char *const bad[] = { "foo", "foo=bar", "cpuset", "debug.hold" };
	const char *name = new_name(self);
	char opts[OPTS_SIZE];

	ASSERT_NE(name, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(opts, sizeof(opts), "none,name=%s,%s", name, bad[i]);
		mount_fails(_metadata, variant, self->mnt[0], opts, EINVAL);
	}
}

/* ---------------------------------------------------------------------- */
/* Sharing and lifetime of named hierarchies                              */
/* ---------------------------------------------------------------------- */

TEST_F(fs, same_name_shares_hierarchy)
{
	const char *name;
	char opts[OPTS_SIZE];
	struct stat st[2];

	name = mount_named(_metadata, self, variant, self->mnt[0], NULL);
	snprintf(opts, sizeof(opts), "none,name=%s", name);
	mount_ok(_metadata, variant, self->mnt[1], opts);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(stat(self->mnt[i], &st[i]), 0);
	EXPECT_EQ(st[0].st_dev, st[1].st_dev) {
		TH_LOG("two mounts of %s are on devices %lu and %lu", name,
		       (unsigned long)st[0].st_dev, (unsigned long)st[1].st_dev);
	}

	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	assert_is_dir(_metadata, at(self->mnt[1], "g"));
	write_ok(_metadata, at(self->mnt[1], "g/notify_on_release"), "1");
	assert_content(_metadata, at(self->mnt[0], "g/notify_on_release"), "1\n");
	rmdir_ok(_metadata, at(self->mnt[1], "g"));
	assert_absent(_metadata, at(self->mnt[0], "g"));
}

TEST_F(fs, name_alone_joins_existing)
{
	const char *name;
	char opts[OPTS_SIZE];

	name = mount_named(_metadata, self, variant, self->mnt[0],
			   "release_agent=" AGENT);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	snprintf(opts, sizeof(opts), "name=%s", name);
	mount_ok(_metadata, variant, self->mnt[1], opts);
	assert_is_dir(_metadata, at(self->mnt[1], "g"));
	assert_content(_metadata, at(self->mnt[1], "release_agent"), AGENT "\n");
}

TEST_F(fs, same_name_other_subsys_ebusy)
{
	const char *name;
	char opts[OPTS_SIZE];

	if (!variant->has_debug)
		SKIP(return, "no debug subsystem on %s here", variant->fstype);

	name = mount_debug(_metadata, self, variant, self->mnt[0], NULL);
	snprintf(opts, sizeof(opts), "none,name=%s", name);
	mount_fails(_metadata, variant, self->mnt[1], opts, EBUSY);
	snprintf(opts, sizeof(opts), "debug,name=%s", name);
	mount_ok(_metadata, variant, self->mnt[1], opts);
	ASSERT_EQ(umount2(self->mnt[1], 0), 0);
	ASSERT_EQ(umount2(self->mnt[0], 0), 0);

	name = mount_named(_metadata, self, variant, self->mnt[0], NULL);
	snprintf(opts, sizeof(opts), "debug,name=%s", name);
	mount_fails(_metadata, variant, self->mnt[1], opts, EBUSY);
}

TEST_F(fs, same_name_other_noprefix)
{
	const char *name;
	char opts[OPTS_SIZE], expected[OPTS_SIZE];
	int ret;

	name = mount_named(_metadata, self, variant, self->mnt[0], NULL);
	snprintf(opts, sizeof(opts), "none,name=%s,noprefix", name);
	ret = fs_mount(variant, self->mnt[1], opts);
	if (variant->strict_sharing) {
		ASSERT_EQ(ret, -EBUSY) {
			TH_LOG("mount -o %s over one without noprefix: expected EBUSY, got %s",
			       opts, err_str(ret));
		}
		return;
	}
	ASSERT_EQ(ret, 0) {
		TH_LOG("mount -o %s over one without noprefix: %s (v1 ignores it)",
		       opts, err_str(ret));
	}
	/* The hierarchy stays as it was made. */
	snprintf(expected, sizeof(expected), "rw,name=%s", name);
	assert_super_options(_metadata, variant, self->mnt[1], expected);
}

TEST_F(fs, same_name_other_release_agent)
{
	const char *name;
	char opts[OPTS_SIZE];
	int ret;

	name = mount_named(_metadata, self, variant, self->mnt[0],
			   "release_agent=/sbin/agent-a");
	/* The same agent again is no difference. */
	snprintf(opts, sizeof(opts), "none,name=%s,release_agent=/sbin/agent-a", name);
	mount_ok(_metadata, variant, self->mnt[1], opts);
	ASSERT_EQ(umount2(self->mnt[1], 0), 0);

	snprintf(opts, sizeof(opts), "none,name=%s,release_agent=/sbin/agent-b", name);
	ret = fs_mount(variant, self->mnt[1], opts);
	if (variant->strict_sharing) {
		ASSERT_EQ(ret, -EBUSY) {
			TH_LOG("mount -o %s over agent-a: expected EBUSY, got %s",
			       opts, err_str(ret));
		}
	} else {
		ASSERT_EQ(ret, 0) {
			TH_LOG("mount -o %s over agent-a: %s (v1 ignores it)", opts,
			       err_str(ret));
		}
		assert_content(_metadata, at(self->mnt[1], "release_agent"),
			       "/sbin/agent-a\n");
	}
	assert_content(_metadata, at(self->mnt[0], "release_agent"), "/sbin/agent-a\n");
}

/* A subsystem is bound to at most one hierarchy. */
TEST_F(fs, debug_bound_once_ebusy)
{
	const char *b;
	char opts[OPTS_SIZE];

	if (!variant->has_debug)
		SKIP(return, "no debug subsystem on %s here", variant->fstype);

	mount_debug(_metadata, self, variant, self->mnt[0], NULL);
	b = new_name(self);
	ASSERT_NE(b, NULL);
	snprintf(opts, sizeof(opts), "debug,name=%s", b);
	mount_fails(_metadata, variant, self->mnt[1], opts, EBUSY);

	/* The first hierarchy has no groups: unmounting it frees debug. */
	ASSERT_EQ(umount2(self->mnt[0], 0), 0);
	mount_ok(_metadata, variant, self->mnt[1], opts);
}

TEST_F(fs, hierarchy_outlives_umount_with_groups)
{
	const char *name;
	char opts[OPTS_SIZE];

	name = mount_named(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	mkdir_ok(_metadata, at(self->mnt[0], "g/h"));
	write_ok(_metadata, at(self->mnt[0], "g/notify_on_release"), "1");
	ASSERT_EQ(umount2(self->mnt[0], 0), 0);

	snprintf(opts, sizeof(opts), "none,name=%s", name);
	mount_ok(_metadata, variant, self->mnt[1], opts);
	assert_is_dir(_metadata, at(self->mnt[1], "g"));
	assert_is_dir(_metadata, at(self->mnt[1], "g/h"));
	assert_content(_metadata, at(self->mnt[1], "g/notify_on_release"), "1\n");
	rmdir_ok(_metadata, at(self->mnt[1], "g/h"));
	rmdir_ok(_metadata, at(self->mnt[1], "g"));
}

TEST_F(fs, hierarchy_destroyed_at_umount)
{
	const char *name;
	char opts[OPTS_SIZE];

	/*
	 * Never a group: cgroup v1 keeps a hierarchy whose last group was
	 * removed just before the umount (cgroup_kill_sb() still sees the
	 * dying group in the children list).
	 */
	name = mount_named(_metadata, self, variant, self->mnt[0], "release_agent=" AGENT);
	ASSERT_EQ(umount2(self->mnt[0], 0), 0);

	/* Gone: name= alone finds nothing to join. */
	snprintf(opts, sizeof(opts), "name=%s", name);
	mount_fails(_metadata, variant, self->mnt[0], opts, EINVAL);
	/* A new hierarchy of the same name starts afresh. */
	snprintf(opts, sizeof(opts), "none,name=%s", name);
	mount_ok(_metadata, variant, self->mnt[0], opts);
	assert_content(_metadata, at(self->mnt[0], "release_agent"), "\n");
}

/* ---------------------------------------------------------------------- */
/* Options shown in /proc/self/mounts and mountinfo                       */
/* ---------------------------------------------------------------------- */

TEST_F(fs, mounts_show_name_and_release_agent)
{
	char opts[OPTS_SIZE], item[NAME_BUF + 8];
	const char *name;
	int ret;

	name = mount_named(_metadata, self, variant, self->mnt[0], "release_agent=" AGENT);
	ret = mounts_options(self->mnt[0], variant->fstype, opts, sizeof(opts));
	ASSERT_EQ(ret, 0) {
		TH_LOG("no %s at %s in /proc/self/mounts: %s", variant->fstype,
		       self->mnt[0], err_str(ret));
	}
	TH_LOG("/proc/self/mounts options: %s", opts);
	snprintf(item, sizeof(item), "name=%s", name);
	EXPECT_TRUE(has_option(opts, item)) {
		TH_LOG("no %s in %s", item, opts);
	}
	EXPECT_TRUE(has_option(opts, "release_agent=" AGENT)) {
		TH_LOG("no release_agent=%s in %s", AGENT, opts);
	}
}

/* Options come back in cgroup1_show_options()'s order, whatever the input's. */
TEST_F(fs, super_options_order)
{
	char opts[OPTS_SIZE], expected[OPTS_SIZE];
	const char *name = new_name(self);

	ASSERT_NE(name, NULL);
	snprintf(opts, sizeof(opts), "name=%s,clone_children,release_agent=%s,noprefix,none",
		 name, AGENT);
	mount_ok(_metadata, variant, self->mnt[0], opts);
	snprintf(expected, sizeof(expected),
		 "rw,noprefix,release_agent=%s,clone_children,name=%s", AGENT, name);
	assert_super_options(_metadata, variant, self->mnt[0], expected);
}

TEST_F(fs, super_options_debug)
{
	char opts[OPTS_SIZE], expected[OPTS_SIZE];
	const char *name = new_name(self);

	if (!variant->has_debug)
		SKIP(return, "no debug subsystem on %s here", variant->fstype);

	ASSERT_NE(name, NULL);
	snprintf(opts, sizeof(opts), "noprefix,name=%s,debug", name);
	mount_ok(_metadata, variant, self->mnt[0], opts);
	snprintf(expected, sizeof(expected), "rw,debug,noprefix,name=%s", name);
	assert_super_options(_metadata, variant, self->mnt[0], expected);
}

/* "all", and no subsystem, none or name= at all, mean every subsystem. */
TEST_F(fs, all_binds_debug)
{
	char opts[OPTS_SIZE], expected[OPTS_SIZE];
	const char *name = new_name(self);

	if (!variant->has_debug)
		SKIP(return, "no debug subsystem on %s here", variant->fstype);

	ASSERT_NE(name, NULL);
	snprintf(opts, sizeof(opts), "all,name=%s", name);
	mount_ok(_metadata, variant, self->mnt[0], opts);
	snprintf(expected, sizeof(expected), "rw,debug,name=%s", name);
	assert_super_options(_metadata, variant, self->mnt[0], expected);
	/* The root group holds every task, this one included. */
	{
		static char buf[READ_SIZE];
		ssize_t n = read_file(at(self->mnt[0], "debug.taskcount"), buf, sizeof(buf));

		ASSERT_GT(n, 0);
		ASSERT_GT(strtol(buf, NULL, 10), 0) {
			TH_LOG("root debug.taskcount reads %s", buf);
		}
	}
	ASSERT_EQ(umount2(self->mnt[0], 0), 0);

	mount_ok(_metadata, variant, self->mnt[0], NULL);
	assert_super_options(_metadata, variant, self->mnt[0], "rw,debug");
	assert_content(_metadata, at(self->mnt[0], "debug.refcount"), "0\n");
}

/* ---------------------------------------------------------------------- */
/* Remount                                                                */
/* ---------------------------------------------------------------------- */

TEST_F(fs, remount_release_agent)
{
	char opts[OPTS_SIZE], expected[OPTS_SIZE];
	const char *name;
	int ret;

	name = mount_named(_metadata, self, variant, self->mnt[0], "release_agent=" AGENT);

	ret = fs_remount(self->mnt[0], "release_agent=/sbin/agent-1");
	ASSERT_EQ(ret, -variant->remount_agent_only_err) {
		TH_LOG("mount -o remount,release_agent=/sbin/agent-1: expected %s, got %s",
		       err_str(variant->remount_agent_only_err), err_str(ret));
	}
	assert_content(_metadata, at(self->mnt[0], "release_agent"),
		       ret ? AGENT "\n" : "/sbin/agent-1\n");

	snprintf(opts, sizeof(opts), "none,name=%s,release_agent=/sbin/agent-2", name);
	ret = fs_remount(self->mnt[0], opts);
	ASSERT_EQ(ret, 0) {
		TH_LOG("mount -o remount,%s: %s", opts, err_str(ret));
	}
	assert_content(_metadata, at(self->mnt[0], "release_agent"), "/sbin/agent-2\n");
	snprintf(expected, sizeof(expected), "rw,release_agent=/sbin/agent-2,name=%s", name);
	assert_super_options(_metadata, variant, self->mnt[0], expected);
}

TEST_F(fs, remount_name_or_noprefix_change_einval)
{
	char opts[OPTS_SIZE], expected[OPTS_SIZE];
	const char *name, *other;
	int ret;

	name = mount_named(_metadata, self, variant, self->mnt[0], NULL);
	other = new_name(self);
	ASSERT_NE(other, NULL);

	snprintf(opts, sizeof(opts), "none,name=%s", other);
	ret = fs_remount(self->mnt[0], opts);
	ASSERT_EQ(ret, -EINVAL) {
		TH_LOG("mount -o remount,%s over %s: expected EINVAL, got %s",
		       opts, name, err_str(ret));
	}
	snprintf(opts, sizeof(opts), "none,name=%s,noprefix", name);
	ret = fs_remount(self->mnt[0], opts);
	ASSERT_EQ(ret, -EINVAL) {
		TH_LOG("mount -o remount,%s: expected EINVAL, got %s", opts, err_str(ret));
	}
	snprintf(expected, sizeof(expected), "rw,name=%s", name);
	assert_super_options(_metadata, variant, self->mnt[0], expected);
}

/* As cgroup1_reconfigure(): a hierarchy with groups cannot be remounted. */
TEST_F(fs, remount_populated_ebusy)
{
	char opts[OPTS_SIZE];
	const char *name;
	int ret;

	name = mount_named(_metadata, self, variant, self->mnt[0], "release_agent=" AGENT);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	snprintf(opts, sizeof(opts), "none,name=%s,release_agent=/sbin/agent-2", name);
	ret = fs_remount(self->mnt[0], opts);
	ASSERT_EQ(ret, -EBUSY) {
		TH_LOG("mount -o remount,%s with a group: expected EBUSY, got %s",
		       opts, err_str(ret));
	}
	assert_content(_metadata, at(self->mnt[0], "release_agent"), AGENT "\n");
}

/* ---------------------------------------------------------------------- */
/* Directories                                                            */
/* ---------------------------------------------------------------------- */

TEST_F(fs, root_dir_mode)
{
	struct stat st;

	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	ASSERT_EQ(stat(self->mnt[0], &st), 0) {
		TH_LOG("stat(%s): %s", self->mnt[0], strerror(errno));
	}
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, variant->root_mode) {
		TH_LOG("the root has mode 0%o, expected 0%o", st.st_mode & 07777,
		       variant->root_mode);
	}
	EXPECT_EQ(st.st_uid, 0U);
	EXPECT_EQ(st.st_gid, 0U);
}

TEST_F(fs, mkdir_rmdir_depth5)
{
	static const char *const paths[] = { "a", "a/b", "a/b/c", "a/b/c/d", "a/b/c/d/e" };
	struct stat st;

	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		const char *path = at(self->mnt[0], paths[i]);

		mkdir_ok(_metadata, path);
		ASSERT_EQ(stat(path, &st), 0);
		ASSERT_TRUE(S_ISDIR(st.st_mode));
		EXPECT_EQ(st.st_mode & 07777, 0755U) {
			TH_LOG("%s: mode 0%o after mkdir 0755", path, st.st_mode & 07777);
		}
		assert_content(_metadata, at(path, "notify_on_release"), "0\n");
	}
	assert_group_files(_metadata, variant, at(self->mnt[0], "a/b/c/d/e"),
			   false, false, false);
	for (size_t i = ARRAY_SIZE(paths); i > 0; i--) {
		rmdir_ok(_metadata, at(self->mnt[0], paths[i - 1]));
		assert_absent(_metadata, at(self->mnt[0], paths[i - 1]));
	}
}

TEST_F(fs, rmdir_group_with_child_ebusy)
{
	int ret;

	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "a"));
	mkdir_ok(_metadata, at(self->mnt[0], "a/b"));
	ret = rmdir(at(self->mnt[0], "a"));
	assert_errno(_metadata, ret, EBUSY, "rmdir of a group with a child");
	assert_is_dir(_metadata, at(self->mnt[0], "a/b"));
	rmdir_ok(_metadata, at(self->mnt[0], "a/b"));
	rmdir_ok(_metadata, at(self->mnt[0], "a"));
}

TEST_F(fs, mkdir_existing_eexist)
{
	int ret;

	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	ret = mkdir(at(self->mnt[0], "g"), 0755);
	assert_errno(_metadata, ret, EEXIST, "mkdir of an existing group");
	mkdir_ok(_metadata, at(self->mnt[0], "g/h"));
	ret = mkdir(at(self->mnt[0], "g/h"), 0755);
	assert_errno(_metadata, ret, EEXIST, "mkdir of an existing nested group");
}

TEST_F(fs, mkdir_control_file_name_eexist)
{
	static const char *const root_names[] = {
		"tasks", "cgroup.procs", "notify_on_release", "cgroup.clone_children",
		"release_agent", "cgroup.sane_behavior",
	};
	static const char *const child_names[] = {
		"g/tasks", "g/cgroup.procs", "g/notify_on_release", "g/cgroup.clone_children",
	};
	const char *path;
	int ret;

	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	for (size_t i = 0; i < ARRAY_SIZE(root_names); i++) {
		path = at(self->mnt[0], root_names[i]);
		ret = mkdir(path, 0755);
		assert_errno(_metadata, ret, EEXIST, path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(child_names); i++) {
		path = at(self->mnt[0], child_names[i]);
		ret = mkdir(path, 0755);
		assert_errno(_metadata, ret, EEXIST, path);
	}
}

TEST_F(fs, rmdir_mount_root_ebusy)
{
	int ret;

	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	ret = rmdir(self->mnt[0]);
	assert_errno(_metadata, ret, EBUSY, "rmdir of the mount root");
	assert_content(_metadata, at(self->mnt[0], "notify_on_release"), "0\n");
}

TEST_F(fs, unlink_control_file_eperm)
{
	static const char *const names[] = {
		"tasks", "release_agent", "cgroup.sane_behavior", "g/notify_on_release",
		"g/cgroup.procs",
	};
	const char *path;
	struct stat st;
	int ret;

	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		path = at(self->mnt[0], names[i]);
		ret = unlink(path);
		assert_errno(_metadata, ret, EPERM, path);
		ASSERT_EQ(stat(path, &st), 0) {
			TH_LOG("%s is gone after a failed unlink", path);
		}
	}
	path = at(self->mnt[0], "tasks");
	ret = rmdir(path);
	assert_errno(_metadata, ret, ENOTDIR, "rmdir of the file tasks");
}

/* Neither filesystem has ->create, ->mknod or ->symlink. */
TEST_F(fs, create_file_eacces)
{
	static const char *const names[] = { "newfile", "g/newfile" };
	const char *path;
	int fd, ret;

	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		path = at(self->mnt[0], names[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		assert_errno(_metadata, fd < 0 ? -1 : 0, EACCES, path);
		assert_absent(_metadata, path);
	}
	path = at(self->mnt[0], "fifo");
	ret = mknod(path, S_IFIFO | 0644, 0);
	assert_errno(_metadata, ret, EPERM, "mknod of a fifo");
	path = at(self->mnt[0], "link");
	ret = symlink("tasks", path);
	assert_errno(_metadata, ret, EPERM, "symlink");
}

/*
 * cgroup v1 renames a group within its parent (cgroup1_rename) and refuses
 * another parent with EIO; tcgroup refuses both with EPERM.
 */
TEST_F(fs, rename_group)
{
	int ret;

	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	mkdir_ok(_metadata, at(self->mnt[0], "p"));
	write_ok(_metadata, at(self->mnt[0], "g/notify_on_release"), "1");

	ret = rename(at(self->mnt[0], "g"), at(self->mnt[0], "p/g"));
	assert_errno(_metadata, ret, variant->rename_other_parent_err,
		     "rename of a group to another parent");
	assert_is_dir(_metadata, at(self->mnt[0], "g"));

	ret = rename(at(self->mnt[0], "g"), at(self->mnt[0], "h"));
	assert_errno(_metadata, ret, variant->rename_err,
		     "rename of a group within its parent");
	if (ret) {
		assert_is_dir(_metadata, at(self->mnt[0], "g"));
		assert_absent(_metadata, at(self->mnt[0], "h"));
	} else {
		assert_absent(_metadata, at(self->mnt[0], "g"));
		assert_content(_metadata, at(self->mnt[0], "h/notify_on_release"), "1\n");
	}
}

/* ---------------------------------------------------------------------- */
/* Control files                                                          */
/* ---------------------------------------------------------------------- */

TEST_F(fs, root_files)
{
	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	assert_group_files(_metadata, variant, self->mnt[0], true, false, false);
}

TEST_F(fs, child_files)
{
	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	mkdir_ok(_metadata, at(self->mnt[0], "g/h"));
	assert_group_files(_metadata, variant, at(self->mnt[0], "g"), false, false, false);
	assert_group_files(_metadata, variant, at(self->mnt[0], "g/h"), false, false, false);
	/* The root keeps its own, with g as a directory besides them. */
	assert_group_files(_metadata, variant, self->mnt[0], true, false, false);
}

TEST_F(fs, debug_files)
{
	if (!variant->has_debug)
		SKIP(return, "no debug subsystem on %s here", variant->fstype);

	mount_debug(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	assert_group_files(_metadata, variant, self->mnt[0], true, true, false);
	assert_group_files(_metadata, variant, at(self->mnt[0], "g"), false, true, false);
}

/*
 * noprefix names the debug files without "debug.". Its "releasable" has the
 * name of tcgroup's own "releasable": a group shows one file of that name.
 */
TEST_F(fs, noprefix_debug_files)
{
	if (!variant->has_debug)
		SKIP(return, "no debug subsystem on %s here", variant->fstype);

	mount_debug(_metadata, self, variant, self->mnt[0], "noprefix");
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	assert_group_files(_metadata, variant, self->mnt[0], true, true, true);
	assert_group_files(_metadata, variant, at(self->mnt[0], "g"), false, true, true);
	assert_content(_metadata, at(self->mnt[0], "g/taskcount"), "0\n");
	assert_content(_metadata, at(self->mnt[0], "g/refcount"), "0\n");
	assert_content(_metadata, at(self->mnt[0], "g/releasable"), "0\n");
}

/*
 * What a flag file (notify_on_release, cgroup.clone_children) of a group at
 * value 0 does with every kind of write.
 */
static void check_flag_file(struct __test_metadata *_metadata,
			    const struct _fixture_variant_fs *variant, const char *path)
{
	static const struct {
		const char *in;
		const char *out;
	} good[] = {
		{ "1", "1\n" }, { "0\n", "0\n" }, { "2", "1\n" }, { "0", "0\n" },
		{ "0x10", "1\n" }, { "0", "0\n" }, { "010", "1\n" }, { "00", "0\n" },
		{ "1\n", "1\n" }, { "0", "0\n" }, { "+1", "1\n" }, { "0", "0\n" },
	};
	static const char *const bad[] = {
		"abc", "1x", "-1", "1 2", "\n", "x1", "0x",
	};
	int ret;

	assert_content(_metadata, path, "0\n");
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		write_ok(_metadata, path, good[i].in);
		assert_content(_metadata, path, good[i].out);
	}

	/* A rejected write leaves either value as it was. */
	for (int v = 1; v >= 0; v--) {
		write_ok(_metadata, path, v ? "1" : "0");
		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			write_fails(_metadata, path, bad[i], EINVAL);
			assert_content(_metadata, path, v ? "1\n" : "0\n");
		}
		write_fails(_metadata, path, "99999999999999999999", ERANGE);
		assert_content(_metadata, path, v ? "1\n" : "0\n");
	}

	if (variant->number_strips_blanks) {
		write_ok(_metadata, path, " 1\x20\n");
		assert_content(_metadata, path, "1\n");
		write_ok(_metadata, path, "\t0  ");
		assert_content(_metadata, path, "0\n");
	} else {
		write_fails(_metadata, path, " 1\x20\n", EINVAL);
		write_fails(_metadata, path, "1 ", EINVAL);
		assert_content(_metadata, path, "0\n");
	}

	ret = write_buf(path, "", 0);
	ASSERT_EQ(ret, -variant->empty_number_write_err) {
		TH_LOG("empty write to %s: expected %s, got %s", path,
		       err_str(variant->empty_number_write_err), err_str(ret));
	}
	assert_content(_metadata, path, "0\n");
}

TEST_F(fs, notify_on_release_values)
{
	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	check_flag_file(_metadata, variant, at(self->mnt[0], "notify_on_release"));
	check_flag_file(_metadata, variant, at(self->mnt[0], "g/notify_on_release"));
	/* Independent of the other flag. */
	assert_content(_metadata, at(self->mnt[0], "g/cgroup.clone_children"), "0\n");
}

TEST_F(fs, clone_children_values)
{
	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	check_flag_file(_metadata, variant, at(self->mnt[0], "cgroup.clone_children"));
	check_flag_file(_metadata, variant, at(self->mnt[0], "g/cgroup.clone_children"));
	assert_content(_metadata, at(self->mnt[0], "g/notify_on_release"), "0\n");
}

/* A new group takes its parent's value at mkdir; later changes don't spread. */
TEST_F(fs, notify_on_release_inherited)
{
	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	write_ok(_metadata, at(self->mnt[0], "notify_on_release"), "1");
	mkdir_ok(_metadata, at(self->mnt[0], "a"));
	assert_content(_metadata, at(self->mnt[0], "a/notify_on_release"), "1\n");
	mkdir_ok(_metadata, at(self->mnt[0], "a/b"));
	assert_content(_metadata, at(self->mnt[0], "a/b/notify_on_release"), "1\n");
	assert_content(_metadata, at(self->mnt[0], "a/b/cgroup.clone_children"), "0\n");

	write_ok(_metadata, at(self->mnt[0], "a/notify_on_release"), "0");
	mkdir_ok(_metadata, at(self->mnt[0], "a/c"));
	assert_content(_metadata, at(self->mnt[0], "a/c/notify_on_release"), "0\n");
	assert_content(_metadata, at(self->mnt[0], "a/b/notify_on_release"), "1\n");

	write_ok(_metadata, at(self->mnt[0], "notify_on_release"), "0");
	assert_content(_metadata, at(self->mnt[0], "a/b/notify_on_release"), "1\n");
	mkdir_ok(_metadata, at(self->mnt[0], "d"));
	assert_content(_metadata, at(self->mnt[0], "d/notify_on_release"), "0\n");
}

/* The clone_children mount option sets the root's flag; groups inherit it. */
TEST_F(fs, clone_children_inherited)
{
	mount_named(_metadata, self, variant, self->mnt[0], "clone_children");
	assert_content(_metadata, at(self->mnt[0], "cgroup.clone_children"), "1\n");
	mkdir_ok(_metadata, at(self->mnt[0], "a"));
	assert_content(_metadata, at(self->mnt[0], "a/cgroup.clone_children"), "1\n");
	assert_content(_metadata, at(self->mnt[0], "a/notify_on_release"), "0\n");

	write_ok(_metadata, at(self->mnt[0], "a/cgroup.clone_children"), "0");
	mkdir_ok(_metadata, at(self->mnt[0], "a/b"));
	assert_content(_metadata, at(self->mnt[0], "a/b/cgroup.clone_children"), "0\n");
	write_ok(_metadata, at(self->mnt[0], "a/b/cgroup.clone_children"), "1");
	mkdir_ok(_metadata, at(self->mnt[0], "a/b/c"));
	assert_content(_metadata, at(self->mnt[0], "a/b/c/cgroup.clone_children"), "1\n");
}

TEST_F(fs, releasable_reads_zero)
{
	if (!variant->has_releasable)
		SKIP(return, "%s has no releasable file", variant->fstype);

	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	assert_content(_metadata, at(self->mnt[0], "releasable"), "0\n");
	assert_content(_metadata, at(self->mnt[0], "g/releasable"), "0\n");
	write_ok(_metadata, at(self->mnt[0], "g/notify_on_release"), "1");
	mkdir_ok(_metadata, at(self->mnt[0], "g/h"));
	assert_content(_metadata, at(self->mnt[0], "g/h/releasable"), "0\n");
}

/*
 * cgroup.sane_behavior reads "0\n". A read-only (0444) control file has no
 * write handler: root may open it for writing (cgroup v1 does not set kernfs's
 * KERNFS_ROOT_EXTRA_OPEN_PERM_CHECK) and the write fails with EINVAL
 * (cgroup_file_write() without write or write_u64).
 */
TEST_F(fs, read_only_files)
{
	static const char *const names[] = { "cgroup.sane_behavior", "releasable" };

	mount_named(_metadata, self, variant, self->mnt[0], NULL);
	assert_content(_metadata, at(self->mnt[0], "cgroup.sane_behavior"), "0\n");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(names[i], "releasable") && !variant->has_releasable)
			continue;
		write_fails(_metadata, at(self->mnt[0], names[i]), "1", EINVAL);
		assert_content(_metadata, at(self->mnt[0], names[i]), "0\n");
	}
}

TEST_F(fs, release_agent_file)
{
	char expected[OPTS_SIZE];
	const char *name, *path;

	name = mount_named(_metadata, self, variant, self->mnt[0], NULL);
	path = at(self->mnt[0], "release_agent");
	assert_content(_metadata, path, "\n");

	write_ok(_metadata, path, AGENT);
	assert_content(_metadata, path, AGENT "\n");
	snprintf(expected, sizeof(expected), "rw,release_agent=%s,name=%s", AGENT, name);
	assert_super_options(_metadata, variant, self->mnt[0], expected);

	/* Blanks around the path are stripped. */
	write_ok(_metadata, path, "/sbin/x\x20\x20\n");
	assert_content(_metadata, path, "/sbin/x\n");
	write_ok(_metadata, path, " \t/sbin/y\n");
	assert_content(_metadata, path, "/sbin/y\n");

	/* Nothing but blanks clears it. */
	write_ok(_metadata, path, "\n");
	assert_content(_metadata, path, "\n");
	snprintf(expected, sizeof(expected), "rw,name=%s", name);
	assert_super_options(_metadata, variant, self->mnt[0], expected);

	ASSERT_EQ(umount2(self->mnt[0], 0), 0);
	mount_named(_metadata, self, variant, self->mnt[0], "release_agent=" AGENT);
	assert_content(_metadata, path, AGENT "\n");
}

TEST_F(fs, release_agent_write_limits)
{
	static char buf[AGENT_MAX + 2], out[READ_SIZE];
	const char *path;
	ssize_t n;
	int ret;

	mount_named(_metadata, self, variant, self->mnt[0], "release_agent=" AGENT);
	path = at(self->mnt[0], "release_agent");

	buf[0] = '/';
	memset(buf + 1, 'a', AGENT_MAX);
	ret = write_buf(path, buf, AGENT_MAX + 1);
	ASSERT_EQ(ret, -E2BIG) {
		TH_LOG("a %d-byte write: expected E2BIG, got %s", AGENT_MAX + 1, err_str(ret));
	}
	assert_content(_metadata, path, AGENT "\n");

	ret = write_buf(path, buf, AGENT_MAX);
	ASSERT_EQ(ret, 0) {
		TH_LOG("a %d-byte write: %s", AGENT_MAX, err_str(ret));
	}
	n = read_file(path, out, sizeof(out));
	ASSERT_EQ(n, AGENT_MAX + 1) {
		TH_LOG("read back %zd bytes, expected %d", n, AGENT_MAX + 1);
	}
	EXPECT_EQ(memcmp(out, buf, AGENT_MAX), 0);
	EXPECT_EQ(out[AGENT_MAX], '\n');
}

/*
 * Setting the release agent takes CAP_SYS_ADMIN of the opener. The file is
 * made writable for all so that nobody can open it at all.
 */
TEST_F(fs, release_agent_write_unprivileged_eperm)
{
	const char *path;
	struct stat st;
	int status;
	pid_t pid;

	mount_named(_metadata, self, variant, self->mnt[0], "release_agent=" AGENT);
	path = at(self->mnt[0], "release_agent");
	if (chmod(path, 0666))
		SKIP(return, "chmod 0666 %s: %s", path, strerror(errno));
	ASSERT_EQ(stat(path, &st), 0);
	if ((st.st_mode & 07777) != 0666)
		SKIP(return, "%s has mode 0%o after chmod 0666", path, st.st_mode & 07777);

	pid = fork();
	ASSERT_GE(pid, 0) {
		TH_LOG("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		ssize_t n;
		int fd;

		if (setgroups(0, NULL) || setresgid(NOBODY_ID, NOBODY_ID, NOBODY_ID) ||
		    setresuid(NOBODY_ID, NOBODY_ID, NOBODY_ID))
			_exit(250);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(100 + errno);
		n = write(fd, "/sbin/evil", 10);
		_exit(n < 0 ? errno : 0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	status = WEXITSTATUS(status);
	ASSERT_NE(status, 250) {
		TH_LOG("the child could not become uid %d", NOBODY_ID);
	}
	ASSERT_LT(status, 100) {
		TH_LOG("open(%s) as uid %d: %s", path, NOBODY_ID, strerror(status - 100));
	}
	ASSERT_EQ(status, EPERM) {
		TH_LOG("write to release_agent as uid %d: expected EPERM, got %s (%d)",
		       NOBODY_ID, err_str(status), status);
	}
	assert_content(_metadata, path, AGENT "\n");
}

/*
 * Root of a user namespace (mapped to root, so the file's owner) may open
 * release_agent for writing but not set it: the agent runs with full
 * privileges in the initial namespaces (CVE-2022-0492).
 */
TEST_F(fs, release_agent_write_userns_root_eperm)
{
	const char *path;
	int status;
	pid_t pid;

	mount_named(_metadata, self, variant, self->mnt[0], "release_agent=" AGENT);
	path = at(self->mnt[0], "release_agent");

	pid = fork();
	ASSERT_GE(pid, 0) {
		TH_LOG("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		ssize_t n;
		int fd;

		if (unshare(CLONE_NEWUSER))
			_exit(250);
		fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0 0 1", 5) != 5)
			_exit(251);
		close(fd);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(100 + errno);
		n = write(fd, "/sbin/evil", 10);
		_exit(n < 0 ? errno : 0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	status = WEXITSTATUS(status);
	if (status == 250)
		SKIP(return, "no user namespaces here");
	ASSERT_NE(status, 251) {
		TH_LOG("the child could not map root into its user namespace");
	}
	ASSERT_LT(status, 100) {
		TH_LOG("open(%s) as user-namespace root: %s", path, strerror(status - 100));
	}
	ASSERT_EQ(status, EPERM) {
		TH_LOG("write to release_agent as user-namespace root: expected EPERM, got %s (%d)",
		       err_str(status), status);
	}
	assert_content(_metadata, path, AGENT "\n");
}

static void assert_pread(struct __test_metadata *_metadata, const char *path,
			 off_t off, const char *expected)
{
	char buf[256];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0) {
		TH_LOG("open(%s): %s", path, strerror(errno));
	}
	n = pread(fd, buf, sizeof(buf) - 1, off);
	close(fd);
	ASSERT_GE(n, 0) {
		TH_LOG("pread(%s, offset %jd): %s", path, (intmax_t)off, strerror(errno));
	}
	buf[n] = '\0';
	ASSERT_STREQ(expected, buf) {
		TH_LOG("pread(%s, offset %jd)", path, (intmax_t)off);
	}
}

TEST_F(fs, pread_offsets)
{
	static const char agent_nl[] = AGENT "\n";
	const char *path;

	mount_named(_metadata, self, variant, self->mnt[0], "release_agent=" AGENT);
	path = at(self->mnt[0], "release_agent");
	assert_pread(_metadata, path, 0, agent_nl);
	assert_pread(_metadata, path, 3, agent_nl + 3);
	assert_pread(_metadata, path, strlen(AGENT), "\n");
	assert_pread(_metadata, path, strlen(AGENT) + 1, "");
	assert_pread(_metadata, path, 4096, "");

	path = at(self->mnt[0], "notify_on_release");
	assert_pread(_metadata, path, 1, "\n");
	assert_pread(_metadata, path, 2, "");
	assert_pread(_metadata, path, 100, "");
}

/* ---------------------------------------------------------------------- */
/* The debug subsystem                                                    */
/* ---------------------------------------------------------------------- */

TEST_F(fs, debug_counters_new_group)
{
	if (!variant->has_debug)
		SKIP(return, "no debug subsystem on %s here", variant->fstype);

	mount_debug(_metadata, self, variant, self->mnt[0], NULL);
	mkdir_ok(_metadata, at(self->mnt[0], "g"));
	assert_content(_metadata, at(self->mnt[0], "g/debug.taskcount"), "0\n");
	assert_content(_metadata, at(self->mnt[0], "g/debug.refcount"), "0\n");
	assert_content(_metadata, at(self->mnt[0], "g/releasable"), "0\n");
	assert_content(_metadata, at(self->mnt[0], "g/debug.releasable"), "0\n");
	write_ok(_metadata, at(self->mnt[0], "g/notify_on_release"), "1");
	mkdir_ok(_metadata, at(self->mnt[0], "g/h"));
	assert_content(_metadata, at(self->mnt[0], "g/h/debug.taskcount"), "0\n");
	assert_content(_metadata, at(self->mnt[0], "g/h/debug.releasable"), "0\n");
	assert_content(_metadata, at(self->mnt[0], "g/h/releasable"), "0\n");
}

/* Each open debug.hold holds a reference; a held group cannot be removed. */
TEST_F(fs, debug_hold_pins_group)
{
	const char *hold, *refcount, *group;
	int fd[2], ret;

	if (!variant->has_debug)
		SKIP(return, "no debug subsystem on %s here", variant->fstype);

	mount_debug(_metadata, self, variant, self->mnt[0], NULL);
	group = at(self->mnt[0], "g");
	mkdir_ok(_metadata, group);
	hold = at(self->mnt[0], "g/debug.hold");
	refcount = at(self->mnt[0], "g/debug.refcount");

	for (int i = 0; i < 2; i++) {
		fd[i] = open(hold, O_RDONLY | O_CLOEXEC);
		ASSERT_GE(fd[i], 0) {
			TH_LOG("open(%s): %s", hold, strerror(errno));
		}
		assert_content(_metadata, refcount, i ? "2\n" : "1\n");
	}
	ret = rmdir(group);
	assert_errno(_metadata, ret, EBUSY, "rmdir of a group held twice");

	close(fd[0]);
	assert_content(_metadata, refcount, "1\n");
	ret = rmdir(group);
	assert_errno(_metadata, ret, EBUSY, "rmdir of a group held once");
	assert_is_dir(_metadata, group);

	close(fd[1]);
	assert_content(_metadata, refcount, "0\n");
	rmdir_ok(_metadata, group);
	assert_absent(_metadata, group);
}

TEST_HARNESS_MAIN
