// SPDX-License-Identifier: GPL-2.0

//! The hierarchies the tool can drive, found in `/proc/self/mountinfo`.
//!
//! As libcgroup does, a hierarchy is a mount of type `tcgroup`, or of type
//! `cgroup` (v1) whose super options carry `name=`: the named v1 hierarchies
//! are the ones tcgroup's model mirrors. cgroup2 mounts and v1 mounts of
//! controllers without a name are left out.

use std::path::{Path, PathBuf};

/// The file system type of a hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FsType {
    /// tcgroup, the module's pseudo-filesystem.
    Tcgroup,
    /// A named cgroup v1 hierarchy.
    Cgroup,
}

impl FsType {
    /// The type's name as `/proc/filesystems` and `mount -t` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            FsType::Tcgroup => "tcgroup",
            FsType::Cgroup => "cgroup",
        }
    }
}

/// One mount of a hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// tcgroup or cgroup v1.
    pub fstype: FsType,
    /// The hierarchy's `name=`, if it has one.
    pub name: Option<String>,
    /// The subsystems bound to it (`debug`, v1 controllers), in mount order.
    pub subsystems: Vec<String>,
    /// The `release_agent=` option, if set.
    pub release_agent: Option<String>,
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// The group at the mount point (`/` unless a subtree is bind-mounted).
    pub root: String,
}

impl Mount {
    /// The hierarchy's name for messages: `name` or, without one, the subsystems.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => self.subsystems.join(","),
        }
    }

    /// The directory of the group `path` (absolute in the hierarchy), if the
    /// mount shows it.
    pub fn dir_of(&self, path: &str) -> Option<PathBuf> {
        let rel = strip_group_prefix(path, &self.root)?;
        let mut dir = self.mount_point.clone();
        if !rel.is_empty() {
            dir.push(rel);
        }
        Some(dir)
    }

    /// The group shown at `dir`, a path at or under the mount point.
    pub fn group_of(&self, dir: &Path) -> Option<String> {
        let rel = dir.strip_prefix(&self.mount_point).ok()?;
        let rel = rel.to_str()?;
        Some(join_group(&self.root, rel))
    }
}

/// `path` below `prefix` (both absolute group paths), without a leading `/`.
fn strip_group_prefix<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix == "/" {
        return Some(path.trim_start_matches('/'));
    }
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

/// The absolute group path of `rel` below the group `base`.
pub fn join_group(base: &str, rel: &str) -> String {
    let mut out = base.trim_end_matches('/').to_string();
    for c in rel.split('/').filter(|c| !c.is_empty() && *c != ".") {
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() { "/".to_string() } else { out }
}

/// Undoes the kernel's octal escapes of `mountinfo` fields (`\040` for a space).
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            if v <= 255 {
                out.push(v as u8);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses one line of `/proc/PID/mountinfo`; `None` for mounts that are not
/// hierarchies the tool drives (or a malformed line).
///
/// The format (proc(5)): `ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS
/// [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS`.
pub fn parse_line(line: &str) -> Option<Mount> {
    let fields: Vec<&str> = line.split(' ').collect();
    let sep = fields.iter().position(|f| *f == "-")?;
    if sep < 6 || fields.len() < sep + 4 {
        return None;
    }
    let fstype = match fields[sep + 1] {
        "tcgroup" => FsType::Tcgroup,
        "cgroup" => FsType::Cgroup,
        _ => return None,
    };
    let mut name = None;
    let mut release_agent = None;
    let mut subsystems = Vec::new();
    for opt in fields[sep + 3].split(',') {
        if let Some(n) = opt.strip_prefix("name=") {
            name = Some(unescape(n));
        } else if let Some(a) = opt.strip_prefix("release_agent=") {
            release_agent = Some(unescape(a));
        } else if !matches!(
            opt,
            "rw" | "ro" | "noprefix" | "clone_children" | "xattr" | "cpuset_v2_mode" | "none" | ""
        ) {
            subsystems.push(opt.to_string());
        }
    }
    if fstype == FsType::Cgroup && name.is_none() {
        return None;
    }
    Some(Mount {
        fstype,
        name,
        subsystems,
        release_agent,
        mount_point: PathBuf::from(unescape(fields[4])),
        root: unescape(fields[3]),
    })
}

/// Every hierarchy mount in a `mountinfo` text, in its order.
pub fn parse(text: &str) -> Vec<Mount> {
    text.lines().filter_map(parse_line).collect()
}

/// The hierarchy mounts of this process's mount namespace.
pub fn read() -> std::io::Result<Vec<Mount>> {
    Ok(parse(&std::fs::read_to_string("/proc/self/mountinfo")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw
30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
40 22 0:35 / /sys/fs/tcgroup rw,relatime - tcgroup none rw,release_agent=/sbin/tcgroup\\040agent,name=jobs
41 1 0:36 / /mnt/v1 rw,relatime shared:9 master:2 - cgroup none rw,release_agent=/bin/a,name=ref
42 1 0:37 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct
43 1 0:38 /sub /mnt/my\\040dir rw - tcgroup none rw,debug,noprefix,name=x
";

    #[test]
    fn finds_hierarchies() {
        let m = parse(SAMPLE);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].fstype, FsType::Tcgroup);
        assert_eq!(m[0].name.as_deref(), Some("jobs"));
        assert_eq!(m[0].release_agent.as_deref(), Some("/sbin/tcgroup agent"));
        assert_eq!(m[0].mount_point, PathBuf::from("/sys/fs/tcgroup"));
        assert!(m[0].subsystems.is_empty());
        assert_eq!(m[1].fstype, FsType::Cgroup);
        assert_eq!(m[1].name.as_deref(), Some("ref"));
        assert_eq!(m[1].mount_point, PathBuf::from("/mnt/v1"));
        assert_eq!(m[2].subsystems, vec!["debug"]);
        assert_eq!(m[2].root, "/sub");
        assert_eq!(m[2].mount_point, PathBuf::from("/mnt/my dir"));
        assert_eq!(m[2].label(), "x");
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(parse_line(""), None);
        assert_eq!(parse_line("1 2 3"), None);
        assert_eq!(parse_line("1 2 0:1 / /x rw - tcgroup"), None);
    }

    #[test]
    fn unescapes() {
        assert_eq!(unescape("a\\040b\\011c\\134d"), "a b\tc\\d");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
        assert_eq!(unescape("\\999"), "\\999");
    }

    #[test]
    fn paths() {
        let m = parse(SAMPLE);
        assert_eq!(m[0].dir_of("/"), Some(PathBuf::from("/sys/fs/tcgroup")));
        assert_eq!(
            m[0].dir_of("/a/b"),
            Some(PathBuf::from("/sys/fs/tcgroup/a/b"))
        );
        assert_eq!(m[2].dir_of("/sub/c"), Some(PathBuf::from("/mnt/my dir/c")));
        assert_eq!(m[2].dir_of("/sub"), Some(PathBuf::from("/mnt/my dir")));
        assert_eq!(m[2].dir_of("/subx"), None);
        assert_eq!(m[2].dir_of("/other"), None);
        assert_eq!(
            m[0].group_of(Path::new("/sys/fs/tcgroup/a/b")),
            Some("/a/b".into())
        );
        assert_eq!(
            m[0].group_of(Path::new("/sys/fs/tcgroup")),
            Some("/".into())
        );
        assert_eq!(
            m[2].group_of(Path::new("/mnt/my dir/c")),
            Some("/sub/c".into())
        );
        assert_eq!(m[0].group_of(Path::new("/sys/fs/tcgroupx")), None);
        assert_eq!(join_group("/", "a//./b/"), "/a/b");
        assert_eq!(join_group("/", ""), "/");
    }
}
