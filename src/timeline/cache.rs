//! The line counts, kept between runs outside the repository (the repository is evidence):
//! `$XDG_CACHE_HOME/vigil/line-counts/<hash of the repository path>.json`, else under
//! `~/.cache`. A commit id fixes its tree and its parents, so a cached count never goes stale;
//! counts that could change (a parent missing in a shallow clone) are not kept.

use super::changes::ChangeSummary;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Bumped when the stored numbers would differ (a new way of counting).
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    repo: String,
    commits: HashMap<String, ChangeSummary>,
}

/// `$XDG_CACHE_HOME/vigil`, else `~/.cache/vigil`.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("vigil"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".cache").join("vigil"))
}

/// The cache file of one repository.
pub fn file_for(repo: &Path) -> Option<PathBuf> {
    let canonical = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
    let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    cache_dir().map(|dir| dir.join("line-counts").join(format!("{name}.json")))
}

/// The cached counts of a repository; an unreadable or foreign file counts as empty.
pub fn load(repo: &Path) -> HashMap<String, ChangeSummary> {
    let Some(path) = file_for(repo) else {
        return HashMap::new();
    };
    let Ok(bytes) = std::fs::read(&path) else {
        return HashMap::new();
    };
    match serde_json::from_slice::<CacheFile>(&bytes) {
        Ok(file) if file.format == FORMAT => file.commits,
        Ok(_) => HashMap::new(),
        Err(err) => {
            tracing::warn!(path = %path.display(), %err, "line-count cache unreadable; counting again");
            HashMap::new()
        }
    }
}

/// Stores the counts (atomically: a crash leaves the old file or the new one).
pub fn store(repo: &Path, commits: &HashMap<String, ChangeSummary>) -> Result<(), String> {
    let Some(path) = file_for(repo) else {
        return Err("neither XDG_CACHE_HOME nor HOME is set".into());
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let kept: HashMap<&String, &ChangeSummary> = commits
        .iter()
        .filter(|(_, summary)| summary.unavailable.is_none())
        .collect();
    #[derive(Serialize)]
    struct Borrowed<'a> {
        format: u32,
        repo: String,
        commits: HashMap<&'a String, &'a ChangeSummary>,
    }
    let document = Borrowed {
        format: FORMAT,
        repo: repo.display().to_string(),
        commits: kept,
    };
    let temporary = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let file = std::fs::File::create(&temporary)?;
        let mut writer = std::io::BufWriter::new(file);
        serde_json::to_writer(&mut writer, &document)?;
        use std::io::Write;
        writer.flush()?;
        std::fs::rename(&temporary, &path)
    })();
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(format!("{}: {err}", path.display()));
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}
