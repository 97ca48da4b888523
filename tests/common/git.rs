//! Repository fixtures (commits made with git2) and tree hashes that prove a run wrote nothing.

use std::path::{Path, PathBuf};

/// Every file below `root`, sorted.
#[allow(dead_code)] // not every binary checks a tree byte for byte
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            if entry.file_type().expect("type").is_dir() {
                pending.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

/// Hash of every file under `root` (paths and contents): proof that a run wrote nothing there
/// (the tests hash a repository's `.git` before and after vigil reads it).
#[allow(dead_code)] // not every binary checks a tree byte for byte
pub fn hash_tree(root: &Path) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for file in files_under(root) {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).unwrap_or_default());
    }
    format!("{:x}", hasher.finalize())
}

/// Commits the index's tree on top of HEAD's commit (none for the first) and moves HEAD.
pub fn commit_index_on_head(
    repo: &git2::Repository,
    index: &mut git2::Index,
    signature: &git2::Signature,
    message: &str,
) -> git2::Oid {
    index.write().expect("index write");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let refs: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), signature, signature, message, &tree, &refs)
        .expect("commit")
}
