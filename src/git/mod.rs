//! Git plumbing shared by the analyses that read repositories (the secret scan of the history,
//! the commit timeline): how libgit2 is configured, how a repository is opened as evidence, how
//! the repository around a directory is found, and the raw tree parser.
//!
//! A suspect repository is evidence: it is only ever opened and read. Nothing here writes to
//! it (no index refresh, no commit-graph, no gc, no lost-found).

mod commit_id;
pub mod tree;

pub use commit_id::CommitId;

use git2::Repository;
use std::path::{Path, PathBuf};

/// Why a repository could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The path is not a repository vigil can open.
    #[error("{}: not a readable git repository ({})", path.display(), source.message())]
    NotARepository {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
    /// A read inside an opened repository failed.
    #[error("{what}: {}", source.message())]
    Read {
        what: &'static str,
        #[source]
        source: git2::Error,
    },
}

impl GitError {
    /// Wraps a libgit2 error met while reading `what` (`the object database`, `references`).
    pub fn read(what: &'static str) -> impl FnOnce(git2::Error) -> GitError {
        move |source| GitError::Read { what, source }
    }
}

/// libgit2's global settings for reading evidence, set once at start-up before any thread
/// uses libgit2:
/// - repositories owned by another user open: the engineer runs vigil as root on a deployment
///   repository owned by the service account, and vigil only reads (no hooks, no filters, no
///   config-driven commands run on a read);
/// - no object cache: every object is read once, caching only costs memory;
/// - no re-hashing of every object read (what `git cat-file` does not do either): the scan
///   reads what is stored, and it is twice as fast;
/// - pack files mapped in 2 MiB windows, at most 8 MiB at a time: the history is read in
///   pack order, so old windows are not needed again, and memory stays flat whatever the
///   size of the repository (the default maps up to 8 GiB; mapped pages count as resident
///   memory, and the timeline of 100,000 commits must stay under 100 MB).
#[allow(unsafe_code)]
pub fn configure() {
    // SAFETY: libgit2's global options are not synchronised; this runs on the main thread
    // before any other thread exists or any repository is opened.
    unsafe {
        let _ = git2::opts::set_verify_owner_validation(false);
        let _ = git2::opts::set_mwindow_size(2 << 20);
        let _ = git2::opts::set_mwindow_mapped_limit(8 << 20);
    }
    git2::opts::enable_caching(false);
    git2::opts::strict_hash_verification(false);
}

/// Opens the repository at `path` (its working tree or its git directory) for reading.
pub fn open(path: &Path) -> Result<Repository, GitError> {
    Repository::open(path).map_err(|source| GitError::NotARepository {
        path: path.to_path_buf(),
        source,
    })
}

/// The repository around `dir`, as the path a user would give: its working tree, or its git
/// directory when it has none (a bare mirror).
pub fn discover(dir: &Path) -> Option<PathBuf> {
    let repo = Repository::discover(dir).ok()?;
    Some(
        repo.workdir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| repo.path().to_path_buf()),
    )
}

/// The repositories to read: the ones given, else the one around the current directory, else
/// none.
pub fn repositories_or_current(given: &[PathBuf]) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    std::env::current_dir()
        .ok()
        .and_then(|cwd| discover(&cwd))
        .into_iter()
        .collect()
}
