// SPDX-License-Identifier: GPL-2.0

//! Hierarchies: the `tcgroup` filesystem type, its mount options and per-mount state.
//!
//! Every superblock of the `tcgroup` type is one hierarchy of groups. The directory tree, the
//! control files and membership build on the state kept here.

use crate::vfs::{
    self,
    Context,
    Param,
    Parsed, //
};
use kernel::{
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    str::CString,
    sync::{
        Arc,
        SpinLock, //
    },
};

/// The longest release agent path accepted, excluding the terminating NUL (`PATH_MAX - 1`, as
/// cgroup v1's buffer allows).
const RELEASE_AGENT_MAX: usize = kernel::bindings::PATH_MAX as usize - 1;

/// The `tcgroup` filesystem type.
pub(crate) struct TcgroupFs;

/// The options of one mount request.
///
/// Owned by the mount context; only touched by the VFS callbacks of that context, which its
/// `uapi_mutex` serialises.
#[derive(Default)]
pub(crate) struct MountOptions {
    /// `release_agent=PATH`, if given.
    release_agent: Option<CString>,
}

/// One hierarchy: the state of a mounted `tcgroup` superblock.
///
/// Lifetime: created when a superblock is set up, referenced by the superblock (and later by
/// its groups and pending release work) through an [`Arc`]; freed with the last reference.
#[pin_data]
pub(crate) struct Hierarchy {
    /// The release agent's path; empty means no agent.
    ///
    /// A spinlock, as cgroup v1's `release_agent_path_lock`: readers copy the path out and never
    /// sleep while holding it.
    #[pin]
    release_agent: SpinLock<Option<CString>>,
}

impl vfs::FileSystem for TcgroupFs {
    const NAME: &'static CStr = c"tcgroup";

    type Options = MountOptions;
    type Data = Hierarchy;

    fn init_options() -> Result<MountOptions> {
        Ok(MountOptions::default())
    }

    fn parse_param(opts: &mut MountOptions, fc: &Context<'_>, param: Param<'_>) -> Result<Parsed> {
        match param.key.to_bytes() {
            b"release_agent" => {
                if opts.release_agent.is_some() {
                    return Err(fc.invalf(EINVAL, fmt!("release_agent respecified")));
                }
                // The agent runs with full privileges: only the initial namespace's
                // administrator may choose it (CVE-2022-0492).
                if !fc.initial_ns_admin() {
                    return Err(fc.invalf(EINVAL, fmt!("Setting release_agent not allowed")));
                }
                let Some(value) = param.value else {
                    return Err(fc.invalf(EINVAL, fmt!("release_agent needs a path")));
                };
                if value.to_bytes().len() > RELEASE_AGENT_MAX {
                    return Err(fc.invalf(
                        ENAMETOOLONG,
                        fmt!("release_agent longer than {RELEASE_AGENT_MAX} bytes"),
                    ));
                }
                opts.release_agent = Some(CString::try_from(value)?);
                Ok(Parsed::Accepted)
            }
            _ => Ok(Parsed::Unknown),
        }
    }

    fn fill_super(opts: &mut MountOptions) -> Result<Arc<Hierarchy>> {
        let agent = opts.release_agent.take();
        Arc::pin_init(
            try_pin_init!(Hierarchy {
                release_agent <- kernel::new_spinlock!(agent, "Hierarchy::release_agent"),
            }),
            GFP_KERNEL,
        )
    }

    fn show_options(data: &Hierarchy, m: &SeqFile) -> Result {
        if let Some(agent) = data.release_agent.lock().as_ref() {
            seq_print!(m, ",release_agent={}", agent.to_str()?);
        }
        Ok(())
    }
}
