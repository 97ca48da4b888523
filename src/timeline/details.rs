//! What the details popup shows that the timeline does not keep in memory: the full message
//! and the raw identity lines, read on demand from the repository (read-only).

use std::path::Path;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommitDetails {
    pub message: String,
    /// `author NAME <EMAIL> SECONDS OFFSET` as stored in the commit object.
    pub author_raw: String,
    pub committer_raw: String,
    /// The signature block's first line (`-----BEGIN PGP SIGNATURE-----`, SSH, X.509), if any.
    pub signature: Option<String>,
    /// Other header fields (encoding, mergetag, ...), names only.
    pub extra_headers: Vec<String>,
    /// Every file with its line counts (the timeline keeps only totals).
    pub files: Option<super::changes::ChangeSummary>,
}

pub fn read(repo_path: &Path, id: super::CommitId) -> Result<CommitDetails, String> {
    let repo = super::open(repo_path)?;
    let oid = id.oid();
    let commit = repo
        .find_commit(oid)
        .map_err(|e| format!("commit {id}: {}", e.message()))?;
    let header = String::from_utf8_lossy(commit.raw_header_bytes()).into_owned();
    let mut details = CommitDetails {
        message: String::from_utf8_lossy(commit.message_raw_bytes()).into_owned(),
        ..Default::default()
    };
    let mut in_signature = false;
    for line in header.lines() {
        if let Some(continued) = line.strip_prefix(' ') {
            if in_signature && details.signature.is_none() {
                details.signature = Some(continued.to_string());
            }
            continue;
        }
        in_signature = false;
        let (name, value) = line.split_once(' ').unwrap_or((line, ""));
        match name {
            "author" => details.author_raw = value.to_string(),
            "committer" => details.committer_raw = value.to_string(),
            "gpgsig" | "gpgsig-sha256" => {
                in_signature = true;
                details.signature = Some(value.to_string());
            }
            "tree" | "parent" => {}
            other => details.extra_headers.push(other.to_string()),
        }
    }
    details.files = super::changes::count_commit(&repo, id).ok();
    Ok(details)
}
