// SPDX-License-Identifier: GPL-2.0

//! Naming groups: which hierarchy and which group a command-line argument means.
//!
//! The convention (Documentation/tcgroup-tool.rst, "Naming groups"):
//!
//! 1. With `-H NAME` (or `-H tcgroup:NAME`, `-H cgroup:NAME` where both file
//!    systems have a hierarchy of that name), GROUP is a path from that
//!    hierarchy's root: `/jobs/a` or `jobs/a`.
//! 2. Without `-H`, an absolute GROUP at or below the mount point of a
//!    hierarchy (`/sys/fs/tcgroup/jobs/a`) names that group.
//! 3. Otherwise GROUP is a path in the one tcgroup hierarchy mounted; with
//!    none or several, the command fails and asks for `-H`.

use std::path::{Component, Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use crate::mountinfo::{FsType, Mount};
use crate::{EXIT_NOT_FOUND, EXIT_USAGE, failure};

/// A group of a hierarchy, with the directory that shows it.
#[derive(Clone, Debug)]
pub struct Group {
    /// The hierarchy's mount the group is reached through.
    pub mount: Mount,
    /// The group's path from the hierarchy's root (`/` for the root group).
    pub path: String,
    /// Its directory.
    pub dir: PathBuf,
}

/// A group path as typed, made absolute (`jobs/a` -> `/jobs/a`); `.` parts
/// and repeated slashes dropped, `..` refused.
pub fn normalize(arg: &str) -> Result<String> {
    let mut out = String::new();
    for c in arg.split('/').filter(|c| !c.is_empty() && *c != ".") {
        if c == ".." {
            return Err(failure(
                EXIT_USAGE,
                format!("{arg}: a group path may not contain '..'"),
            ));
        }
        out.push('/');
        out.push_str(c);
    }
    Ok(if out.is_empty() { "/".into() } else { out })
}

/// Whether two mounts show the same hierarchy.
pub fn same_hierarchy(a: &Mount, b: &Mount) -> bool {
    a.fstype == b.fstype && a.name == b.name && a.subsystems == b.subsystems
}

/// One mount per hierarchy (the first showing its root group, else the first).
pub fn hierarchies(mounts: &[Mount]) -> Vec<Mount> {
    let mut out: Vec<Mount> = Vec::new();
    for m in mounts {
        match out.iter_mut().find(|o| same_hierarchy(o, m)) {
            Some(o) if o.root != "/" && m.root == "/" => *o = m.clone(),
            Some(_) => {}
            None => out.push(m.clone()),
        }
    }
    out
}

/// The hierarchy `-H` names: `NAME`, `tcgroup:NAME` or `cgroup:NAME`.
pub fn by_name(mounts: &[Mount], spec: &str) -> Result<Mount> {
    let (fstype, name) = match spec.split_once(':') {
        Some(("tcgroup", n)) => (Some(FsType::Tcgroup), n),
        Some(("cgroup", n)) => (Some(FsType::Cgroup), n),
        _ => (None, spec),
    };
    let found: Vec<Mount> = hierarchies(mounts)
        .into_iter()
        .filter(|m| m.name.as_deref() == Some(name) && fstype.is_none_or(|t| t == m.fstype))
        .collect();
    match found.len() {
        0 => Err(failure(
            EXIT_NOT_FOUND,
            format!("no hierarchy named {spec} is mounted (see 'tcgroup ls')"),
        )),
        1 => Ok(found.into_iter().next().expect("one element")),
        _ => Err(failure(
            EXIT_USAGE,
            format!(
                "both a tcgroup and a cgroup hierarchy are named {name}: use -H tcgroup:{name} or -H cgroup:{name}"
            ),
        )),
    }
}

/// The default hierarchy: the one tcgroup hierarchy mounted.
pub fn default_hierarchy(mounts: &[Mount]) -> Result<Mount> {
    let tc: Vec<Mount> = hierarchies(mounts)
        .into_iter()
        .filter(|m| m.fstype == FsType::Tcgroup)
        .collect();
    match tc.len() {
        0 => Err(failure(
            EXIT_NOT_FOUND,
            "no tcgroup hierarchy is mounted (mount one with 'tcgroup mount', or name one with -H)",
        )),
        1 => Ok(tc.into_iter().next().expect("one element")),
        _ => Err(failure(
            EXIT_USAGE,
            format!(
                "several tcgroup hierarchies are mounted ({}): choose one with -H NAME",
                tc.iter().map(|m| m.label()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// The mount whose mount point holds the absolute path `p` (the deepest).
fn mount_holding<'a>(mounts: &'a [Mount], p: &Path) -> Option<&'a Mount> {
    mounts
        .iter()
        .filter(|m| p.starts_with(&m.mount_point))
        .max_by_key(|m| m.mount_point.components().count())
}

/// Resolves a GROUP argument as the module documentation says.
pub fn resolve(mounts: &[Mount], hierarchy: Option<&str>, arg: &str) -> Result<Group> {
    if let Some(spec) = hierarchy {
        let mount = by_name(mounts, spec)?;
        return in_mount(mount, &normalize(arg)?);
    }
    let p = Path::new(arg);
    if p.is_absolute()
        && !p.components().any(|c| c == Component::ParentDir)
        && let Some(m) = mount_holding(mounts, p)
    {
        let path = m
            .group_of(p)
            .ok_or_else(|| failure(EXIT_USAGE, format!("{arg}: not a group path")))?;
        return Ok(Group {
            mount: m.clone(),
            dir: p.to_path_buf(),
            path,
        });
    }
    in_mount(default_hierarchy(mounts)?, &normalize(arg)?)
}

/// The group `path` (normalized) of the hierarchy `mount` shows.
fn in_mount(mount: Mount, path: &str) -> Result<Group> {
    let dir = mount.dir_of(path).ok_or_else(|| {
        failure(
            EXIT_NOT_FOUND,
            format!(
                "{path} is outside the subtree {} mounted at {}",
                mount.root,
                mount.mount_point.display()
            ),
        )
    })?;
    Ok(Group {
        mount,
        path: path.to_string(),
        dir,
    })
}

/// A group's state, as `ls`, `tree` and `--json` show it.
#[derive(Clone, Debug, Serialize)]
pub struct Info {
    /// The hierarchy's name (or its subsystems).
    pub hierarchy: String,
    /// tcgroup or cgroup.
    pub fs: FsType,
    /// The group's path from the hierarchy's root.
    pub path: String,
    /// Threads in the group (lines of `tasks`).
    pub tasks: usize,
    /// Processes in the group (lines of `cgroup.procs`).
    pub procs: usize,
    /// `notify_on_release`.
    pub notify_on_release: bool,
    /// `releasable` (tcgroup; v1 has it only with its debug controller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub releasable: Option<bool>,
    /// The child groups (in `tree --json` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Info>>,
}

/// The number of non-empty lines of a control file.
fn count_lines(p: &Path) -> std::io::Result<usize> {
    Ok(std::fs::read_to_string(p)?
        .lines()
        .filter(|l| !l.is_empty())
        .count())
}

/// A `0`/`1` control file.
fn flag(p: &Path) -> std::io::Result<bool> {
    Ok(std::fs::read_to_string(p)?.trim() == "1")
}

/// Reads a group's state.
pub fn info(g: &Group) -> std::io::Result<Info> {
    let releasable = match flag(&g.dir.join("releasable")) {
        Ok(r) => Some(r),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    Ok(Info {
        hierarchy: g.mount.label(),
        fs: g.mount.fstype,
        path: g.path.clone(),
        tasks: count_lines(&g.dir.join("tasks"))?,
        procs: count_lines(&g.dir.join("cgroup.procs"))?,
        notify_on_release: flag(&g.dir.join("notify_on_release"))?,
        releasable,
        children: None,
    })
}

/// The child groups of `g`, sorted by name.
pub fn children(g: &Group) -> std::io::Result<Vec<Group>> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(&g.dir)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            names.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names
        .into_iter()
        .map(|n| Group {
            mount: g.mount.clone(),
            path: crate::mountinfo::join_group(&g.path, &n),
            dir: g.dir.join(&n),
        })
        .collect())
}

/// `g` and every group below it, parents before children.
pub fn walk(g: &Group) -> std::io::Result<Vec<Group>> {
    let mut out = vec![g.clone()];
    for c in children(g)? {
        out.extend(walk(&c)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mountinfo;

    fn mounts() -> Vec<Mount> {
        mountinfo::parse(
            "1 0 0:1 / /sys/fs/tcgroup rw - tcgroup none rw,name=jobs\n\
             2 0 0:1 /sub /mnt/jobsub rw - tcgroup none rw,name=jobs\n\
             3 0 0:2 / /mnt/ref rw - cgroup none rw,name=ref\n\
             4 0 0:3 / /mnt/ref/inner rw - tcgroup none rw,name=inner\n\
             5 0 0:4 / /mnt/same rw - cgroup none rw,name=jobs\n",
        )
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize("a/b").unwrap(), "/a/b");
        assert_eq!(normalize("/a//./b/").unwrap(), "/a/b");
        assert_eq!(normalize("").unwrap(), "/");
        assert_eq!(normalize("/").unwrap(), "/");
        assert!(normalize("/a/../b").is_err());
    }

    #[test]
    fn by_name_and_default() {
        let m = mounts();
        assert_eq!(hierarchies(&m).len(), 4);
        assert_eq!(by_name(&m, "ref").unwrap().fstype, FsType::Cgroup);
        assert!(by_name(&m, "jobs").is_err());
        let j = by_name(&m, "tcgroup:jobs").unwrap();
        assert_eq!(j.mount_point, PathBuf::from("/sys/fs/tcgroup"));
        assert_eq!(by_name(&m, "cgroup:jobs").unwrap().fstype, FsType::Cgroup);
        assert!(by_name(&m, "nope").is_err());
        assert!(default_hierarchy(&m).is_err());
        assert_eq!(
            default_hierarchy(&m[..3]).unwrap().name.as_deref(),
            Some("jobs")
        );
        assert!(default_hierarchy(&m[2..3]).is_err());
    }

    #[test]
    fn resolves() {
        let m = mounts();
        let g = resolve(&m, Some("ref"), "a/b").unwrap();
        assert_eq!(g.path, "/a/b");
        assert_eq!(g.dir, PathBuf::from("/mnt/ref/a/b"));
        let g = resolve(&m, None, "/mnt/ref/inner/x").unwrap();
        assert_eq!(g.mount.name.as_deref(), Some("inner"));
        assert_eq!(g.path, "/x");
        let g = resolve(&m, None, "/mnt/jobsub/c").unwrap();
        assert_eq!(g.path, "/sub/c");
        let g = resolve(&m, None, "/mnt/ref").unwrap();
        assert_eq!(g.path, "/");
        let g = resolve(&m[..1], None, "/a").unwrap();
        assert_eq!(g.dir, PathBuf::from("/sys/fs/tcgroup/a"));
        assert!(resolve(&m, None, "/a").is_err());
    }
}
