//! The working tree: every file, dotfiles and git-ignored ones included (a `.env` is usually
//! ignored), `.git` excluded, symlinks not followed. Files are scanned in parallel; the git
//! status (tracked, untracked, ignored) is worked out only for files with findings.

use super::super::detect::{Detection, Detector, TextKind, looks_binary};
use super::{Limits, Tally};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// What one file gave.
pub struct FileResult {
    /// Path relative to the scanned root, `/`-separated.
    pub path: String,
    pub detections: Vec<Detection>,
}

/// Build and dependency directories: skipped when git ignores them (a committed one is still
/// scanned). They hold gigabytes of generated files and third-party code, not the team's
/// secrets, and would drown the findings that matter.
pub const HEAVY_DIRS: &[&str] = &[
    "target",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".gradle",
    ".next",
    "dist",
    "build",
];

/// Every regular file under `root`, except inside `.git` and the directories `skip_dir`
/// rejects (which are returned, for the summary).
fn list_files(
    root: &Path,
    skip_dir: &dyn Fn(&Path) -> bool,
    cancel: &AtomicBool,
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                if entry.file_name() == ".git" {
                    continue;
                }
                if skip_dir(&path) {
                    skipped.push(path);
                } else {
                    pending.push(path);
                }
            } else if kind.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    skipped.sort();
    (files, skipped)
}

/// Scans every file under `root` with `threads` workers. Returns the findings per file and the
/// directories that were skipped.
pub fn scan(
    root: &Path,
    skip_dir: &dyn Fn(&Path) -> bool,
    detector: &Detector,
    limits: &Limits,
    tally: &Tally,
    cancel: &AtomicBool,
) -> (Vec<FileResult>, Vec<PathBuf>) {
    let (files, skipped) = list_files(root, skip_dir, cancel);
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..limits.threads.max(1) {
            scope.spawn(|| {
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(index) else {
                        break;
                    };
                    if let Some(result) = scan_file(root, path, detector, limits, tally) {
                        results
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(result);
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by(|a, b| a.path.cmp(&b.path));
    (results, skipped)
}

fn scan_file(
    root: &Path,
    path: &Path,
    detector: &Detector,
    limits: &Limits,
    tally: &Tally,
) -> Option<FileResult> {
    // Listed as a regular file; read without following a link put there since, and capped.
    let data = match crate::util::read::read_no_follow(path, limits.max_file_bytes) {
        Ok(data) => data,
        Err(crate::util::read::ReadError::TooLarge { .. }) => {
            tally.oversized.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Err(_) => return None,
    };
    tally.files.fetch_add(1, Ordering::Relaxed);
    tally.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
    if looks_binary(&data) {
        tally.binary.fetch_add(1, Ordering::Relaxed);
        return None;
    }
    let relative = path
        .strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    let detections = detector.detect(&data, TextKind::of_path(&relative));
    (!detections.is_empty()).then_some(FileResult {
        path: relative,
        detections,
    })
}

/// A file's status in the repository, read without writing anything: the index is read (not
/// refreshed), ignore rules are evaluated.
pub fn status(repo: &git2::Repository, index: Option<&git2::Index>, path: &str) -> &'static str {
    if index.is_some_and(|index| index.get_path(Path::new(path), 0).is_some()) {
        "tracked"
    } else if repo.is_path_ignored(Path::new(path)).unwrap_or(false) {
        "ignored"
    } else {
        "untracked"
    }
}
