//! The line counts, kept between runs outside the repository (the repository is evidence):
//! `$XDG_CACHE_HOME/vigil/line-counts/<hash of the repository path>.jsonl`, else under
//! `~/.cache`. A commit id fixes its tree and its parents, so a cached count never goes stale;
//! counts that could change (a parent missing in a shallow clone) are not kept.
//!
//! One JSON line per commit, read and written as a stream: a history of 100,000 commits is
//! never held in memory as a whole.

use super::CommitId;
use super::changes::ChangeSummary;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{BufRead, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Bumped when the stored numbers would differ (a new way of counting).
const FORMAT: u32 = 2;

#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    repo: String,
}

#[derive(Serialize, Deserialize)]
struct Line {
    id: String,
    #[serde(flatten)]
    summary: ChangeSummary,
}

/// The cache file of one repository.
pub fn file_for(repo: &Path) -> Option<PathBuf> {
    let canonical = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
    let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    crate::util::paths::cache_dir().map(|dir| dir.join("line-counts").join(format!("{name}.jsonl")))
}

/// Calls `each` with every cached count of the repository. A missing, foreign or damaged file
/// counts as empty (a damaged line ends the read: what follows is counted again).
pub fn load_each(repo: &Path, mut each: impl FnMut(CommitId, ChangeSummary)) {
    let Some(path) = file_for(repo) else {
        return;
    };
    let Ok(file) = crate::util::read::open_capped(&path, crate::util::read::limits::CACHE) else {
        return;
    };
    let mut lines = std::io::BufReader::new(file).lines();
    let header = lines
        .next()
        .and_then(Result::ok)
        .and_then(|line| serde_json::from_str::<Header>(&line).ok());
    if header.is_none_or(|h| h.format != FORMAT) {
        return;
    }
    for line in lines {
        let Ok(line) = line else {
            return;
        };
        match serde_json::from_str::<Line>(&line) {
            Ok(entry) => match CommitId::parse(&entry.id) {
                Some(id) => each(id, entry.summary),
                None => return,
            },
            Err(err) => {
                tracing::warn!(path = %path.display(), %err, "line-count cache damaged; counting the rest again");
                return;
            }
        }
    }
}

/// Writes a new cache file next to the old one and puts it in place when finished (a crash
/// leaves the old file or the new one, never half of one).
pub struct CacheWriter {
    path: PathBuf,
    temporary: PathBuf,
    writer: std::io::BufWriter<std::fs::File>,
    failed: Option<String>,
}

impl CacheWriter {
    pub fn create(repo: &Path) -> Result<CacheWriter, String> {
        let path = file_for(repo).ok_or("neither XDG_CACHE_HOME nor HOME is set")?;
        let dir = path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
        let temporary = path.with_extension(format!("jsonl.{}.tmp", std::process::id()));
        // A new private file: nothing planted at the temporary name is written through.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temporary)
            .map_err(|err| format!("{}: {err}", temporary.display()))?;
        let mut writer = CacheWriter {
            path,
            temporary,
            writer: std::io::BufWriter::new(file),
            failed: None,
        };
        writer.line(&Header {
            format: FORMAT,
            repo: repo.display().to_string(),
        });
        Ok(writer)
    }

    fn line(&mut self, value: &impl Serialize) {
        if self.failed.is_some() {
            return;
        }
        let written = serde_json::to_writer(&mut self.writer, value)
            .map_err(std::io::Error::from)
            .and_then(|()| self.writer.write_all(b"\n"));
        if let Err(err) = written {
            self.failed = Some(format!("{}: {err}", self.temporary.display()));
        }
    }

    /// Copies the entries of the repository's current cache file (if it is of this format).
    pub fn copy_old(&mut self, repo: &Path) {
        let opened = file_for(repo).and_then(|path| {
            crate::util::read::open_capped(&path, crate::util::read::limits::CACHE).ok()
        });
        let Some(file) = opened else {
            return;
        };
        let mut lines = std::io::BufReader::new(file).lines();
        let current = lines
            .next()
            .and_then(Result::ok)
            .and_then(|line| serde_json::from_str::<Header>(&line).ok())
            .is_some_and(|h| h.format == FORMAT);
        if !current {
            return;
        }
        for line in lines {
            // A damaged line ends what is kept, as when reading.
            match line {
                Ok(line) if serde_json::from_str::<Line>(&line).is_ok() => {
                    if self.failed.is_none()
                        && let Err(err) = writeln!(self.writer, "{line}")
                    {
                        self.failed = Some(format!("{}: {err}", self.temporary.display()));
                    }
                }
                _ => return,
            }
        }
    }

    /// Adds one commit's count (counts that could change later are left out).
    pub fn add(&mut self, id: &CommitId, summary: &ChangeSummary) {
        if summary.unavailable.is_none() {
            self.line(&Line {
                id: id.to_string(),
                summary: summary.clone(),
            });
        }
    }

    /// Puts the new file in place.
    pub fn finish(mut self) -> Result<(), String> {
        let flushed = self.writer.flush().map_err(|err| err.to_string());
        let result = match (self.failed.take(), flushed) {
            (Some(message), _) | (None, Err(message)) => Err(message),
            (None, Ok(())) => std::fs::rename(&self.temporary, &self.path)
                .map_err(|err| format!("{}: {err}", self.path.display())),
        };
        if result.is_err() {
            let _ = std::fs::remove_file(&self.temporary);
        }
        result
    }

    /// Leaves the old file as it was.
    pub fn abandon(self) {
        let _ = std::fs::remove_file(&self.temporary);
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}
