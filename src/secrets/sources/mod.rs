//! Where secrets are looked for: the working tree, the git object database, containers.

pub mod containers;
pub mod history;
pub mod worktree;

use std::sync::atomic::AtomicU64;

/// Bounds on the work.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Files and blobs larger than this are skipped (and counted).
    pub max_file_bytes: u64,
    pub threads: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 10 * 1024 * 1024,
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        }
    }
}

/// Counters the sources update as they go (shared across worker threads).
#[derive(Debug, Default)]
pub struct Tally {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub objects: AtomicU64,
    pub blobs: AtomicU64,
    pub history_bytes: AtomicU64,
    pub binary: AtomicU64,
    pub oversized: AtomicU64,
    pub missing: AtomicU64,
    pub refs: AtomicU64,
}
