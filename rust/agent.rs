// SPDX-License-Identifier: GPL-2.0

//! Release agent calls: one call, built for a released group and run by its work item, and the
//! counts of a hierarchy's calls that its root's `release_agent.stats` shows.
//!
//! A leaf of the model: a hierarchy holds the counts, and a group's work item
//! ([`crate::release`]) builds and runs the calls. A call holds the counts it adds to, not the
//! hierarchy: a running call keeps nothing of the tree alive.

use crate::compat::{
    atomic::{
        Atomic,
        Relaxed, //
    },
    prelude::*,
    CString,
};
use kernel::sync::Arc;

/// Agent calls of a hierarchy, shown in its root's `release_agent.stats`. Shared by the
/// hierarchy and its pending calls; the counters are atomic, so no lock protects them.
pub(crate) struct Stats {
    /// Calls built by their work items (counted before the exec), and calls refused because
    /// the path was too long.
    pub(crate) launched: Atomic<u64>,
    /// Calls whose exec failed, or whose path was too long.
    pub(crate) failed: Atomic<u64>,
    /// The errno of the last failure (negative), 0 if none.
    pub(crate) last_error: Atomic<i32>,
}

impl Stats {
    /// No calls yet.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                launched: Atomic::new(0),
                failed: Atomic::new(0),
                last_error: Atomic::new(0),
            },
            GFP_KERNEL,
        )?)
    }

    /// Counts a failed call of `agent` for `path` and logs it, rate-limited by count: a broken
    /// agent fails at every release, and `release_agent.stats` has the totals.
    pub(crate) fn failed(&self, err: Error, agent: &[u8], path: &[u8]) {
        let nr_failed = self.failed.fetch_add(1, Relaxed) + 1;
        self.last_error.store(err.to_errno(), Relaxed);
        if nr_failed <= 10 || nr_failed % 1000 == 0 {
            pr_warn!(
                "release agent {} for {} failed: {:?} (failure {})\n",
                core::str::from_utf8(agent).unwrap_or("?"),
                core::str::from_utf8(path).unwrap_or("?"),
                err,
                nr_failed
            );
        }
    }
}

/// One call of a hierarchy's release agent, built and run by a released group's work item.
pub(crate) struct AgentCall {
    /// The counts of the agent's hierarchy.
    pub(crate) stats: Arc<Stats>,
    /// The agent's path, copied when the call was built.
    pub(crate) agent: CString,
    /// The released group's path, the agent's argument.
    pub(crate) path: CString,
}

impl AgentCall {
    /// Runs the agent and waits for its exec (`UMH_WAIT_EXEC`), counting a failure. Process
    /// context, with no lock held: the exec sleeps.
    pub(crate) fn run(&self) {
        if let Err(e) = crate::umh::run(&self.agent, &self.path) {
            self.stats
                .failed(e, self.agent.to_bytes(), self.path.to_bytes());
        }
    }
}
