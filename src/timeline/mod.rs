//! Git forensics: every commit of a repository (all refs, plus dangling commits), the signals
//! that make one suspicious, a score per commit, bursts, and the last safe commit.
//!
//! The repository is evidence: it is opened and read, nothing is written (no index refresh, no
//! commit-graph, no gc, no lost-found). Dates, names and messages are attacker-controlled; they
//! are kept raw here and escaped where they are shown.
//!
//! This module computes the metadata signals (dates, identities, time zones, hours, messages,
//! signatures, refs, dangling commits). Line counts and paths come from a later pass.

pub mod signals;

use git2::{Oid, Repository};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// One commit as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitEntry {
    pub id: String,
    pub parents: Vec<String>,
    pub author: String,
    pub author_email: String,
    /// Seconds since the epoch, and the author's UTC offset in minutes.
    pub author_time: i64,
    pub author_offset: i32,
    pub committer: String,
    pub committer_email: String,
    pub committer_time: i64,
    pub committer_offset: i32,
    pub subject: String,
    pub message: String,
    pub signed: bool,
    /// Reachable from no ref: found only in the object database.
    pub dangling: bool,
    pub score: f64,
    pub signals: Vec<signals::Signal>,
}

impl CommitEntry {
    /// The identity signals are grouped by: the author's e-mail, lower-cased.
    pub fn identity(&self) -> String {
        self.author_email.to_ascii_lowercase()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Burst {
    pub identity: String,
    /// Oldest first.
    pub commits: Vec<String>,
    pub start: i64,
    pub end: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Timeline {
    pub repo: String,
    /// Newest first (committer time).
    pub commits: Vec<CommitEntry>,
    pub bursts: Vec<Burst>,
    pub safe_state: Option<String>,
    pub first_suspicious: Option<String>,
    /// Repository-level findings: replace refs, filter-branch leftovers, forced updates.
    pub notes: Vec<String>,
}

/// Reads the commit graph: every commit reachable from any ref (branches, tags, remotes, stash,
/// notes, replace and original refs, HEAD), plus commits in the object database no ref reaches.
pub fn read_commits(repo: &Repository) -> Result<Vec<CommitEntry>, String> {
    let mut walk = repo.revwalk().map_err(|e| e.message().to_string())?;
    // Replace refs must not rewrite what we read: the raw objects are the evidence.
    let mut pushed = false;
    if let Ok(references) = repo.references() {
        for reference in references.flatten() {
            if let Ok(commit) = reference.peel_to_commit() {
                pushed |= walk.push(commit.id()).is_ok();
            }
        }
    }
    if let Ok(head) = repo.head()
        && let Ok(commit) = head.peel_to_commit()
    {
        pushed |= walk.push(commit.id()).is_ok();
    }
    let mut reachable: Vec<Oid> = Vec::new();
    if pushed {
        for oid in walk.flatten() {
            reachable.push(oid);
        }
    }
    let reachable_set: HashSet<Oid> = reachable.iter().copied().collect();
    let mut dangling: Vec<Oid> = Vec::new();
    if let Ok(odb) = repo.odb() {
        let mut all = Vec::new();
        let _ = odb.foreach(|oid| {
            all.push(*oid);
            true
        });
        for oid in all {
            if !reachable_set.contains(&oid)
                && odb
                    .read_header(oid)
                    .is_ok_and(|(_, kind)| kind == git2::ObjectType::Commit)
            {
                dangling.push(oid);
            }
        }
    }
    dangling.sort();
    dangling.dedup();
    let mut out = Vec::with_capacity(reachable.len() + dangling.len());
    for (oid, is_dangling) in reachable
        .into_iter()
        .map(|o| (o, false))
        .chain(dangling.into_iter().map(|o| (o, true)))
    {
        let Ok(commit) = repo.find_commit(oid) else {
            continue;
        };
        let author = commit.author();
        let committer = commit.committer();
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        out.push(CommitEntry {
            id: oid.to_string(),
            parents: commit.parent_ids().map(|p| p.to_string()).collect(),
            author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
            author_email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
            author_time: author.when().seconds(),
            author_offset: author.when().offset_minutes(),
            committer: String::from_utf8_lossy(committer.name_bytes()).into_owned(),
            committer_email: String::from_utf8_lossy(committer.email_bytes()).into_owned(),
            committer_time: committer.when().seconds(),
            committer_offset: committer.when().offset_minutes(),
            subject: message.lines().next().unwrap_or("").to_string(),
            message,
            signed: commit.header_field_bytes("gpgsig").is_ok()
                || commit.header_field_bytes("gpgsig-sha256").is_ok(),
            dangling: is_dangling,
            score: 0.0,
            signals: Vec::new(),
        });
    }
    Ok(out)
}

/// The repository-level evidence of rewriting: replace refs, `refs/original` left by
/// filter-branch, and reflog entries where a ref moved to a commit that does not descend from
/// where it was (a forced update). Read-only.
pub fn rewrite_evidence(repo: &Repository) -> (Vec<String>, HashMap<String, String>) {
    let mut notes = Vec::new();
    // Commit id -> why it is marked.
    let mut marked: HashMap<String, String> = HashMap::new();
    if let Ok(references) = repo.references() {
        for reference in references.flatten() {
            let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
            if name.starts_with("refs/replace/") || name.starts_with("refs/original/") {
                notes.push(format!(
                    "{} exists: history was {}",
                    crate::sanitize::escape(&name),
                    if name.starts_with("refs/replace/") {
                        "replaced (git replace)"
                    } else {
                        "rewritten (filter-branch leftovers)"
                    }
                ));
                if let Ok(commit) = reference.peel_to_commit() {
                    marked.insert(commit.id().to_string(), format!("target of {name}"));
                }
            }
        }
    }
    if let Ok(references) = repo.references() {
        for reference in references.flatten() {
            let Ok(name) = reference.name().map(str::to_string) else {
                continue;
            };
            // Only refs that have a log: libgit2 creates an empty log file when asked to read a
            // missing one, and the repository is evidence.
            if !repo.reference_has_log(&name).unwrap_or(false) {
                continue;
            }
            let Ok(log) = repo.reflog(&name) else {
                continue;
            };
            for entry in log.iter() {
                let (old, new) = (entry.id_old(), entry.id_new());
                if old.is_zero() || new.is_zero() || old == new {
                    continue;
                }
                let forward = repo.graph_descendant_of(new, old).unwrap_or(true);
                if !forward {
                    notes.push(format!(
                        "forced update of {}: {} -> {} ({})",
                        crate::sanitize::escape(&name),
                        &old.to_string()[..12],
                        &new.to_string()[..12],
                        crate::sanitize::escape(&String::from_utf8_lossy(
                            entry.message_bytes().unwrap_or_default()
                        ))
                    ));
                    marked.insert(new.to_string(), format!("forced update of {name}"));
                }
            }
        }
    }
    (notes, marked)
}

/// Opens the repository read-only and builds its timeline with the metadata signals.
pub fn analyze(path: &Path, weights: &signals::Weights) -> Result<Timeline, String> {
    let repo = Repository::open(path).map_err(|e| {
        format!(
            "{}: not a readable git repository ({})",
            path.display(),
            e.message()
        )
    })?;
    let mut commits = read_commits(&repo)?;
    let (notes, marked) = rewrite_evidence(&repo);
    let head_chain = first_parent_chain(&repo);
    let bursts = signals::apply(&mut commits, &marked, weights);
    commits.sort_by(|a, b| {
        b.committer_time
            .cmp(&a.committer_time)
            .then_with(|| a.id.cmp(&b.id))
    });
    let (first_suspicious, safe_state) =
        first_suspicious_and_safe_state(&repo, &commits, &head_chain, weights.threshold);
    Ok(Timeline {
        repo: path.display().to_string(),
        commits,
        bursts,
        safe_state,
        first_suspicious,
        notes,
    })
}

/// The first suspicious commit and the safe state, by the graph, not by the dates (which the
/// intruder controls): walking the default branch from its root, the first commit that
/// contains a suspicious commit (is it, or descends from it: merges count) marks the intrusion;
/// the commit before it on the branch is the safe state. A suspicious commit the branch never
/// contains (another branch, a dangling one) counts by its date only when none is contained.
fn first_suspicious_and_safe_state(
    repo: &Repository,
    commits: &[CommitEntry],
    head_chain: &[String],
    threshold: f64,
) -> (Option<String>, Option<String>) {
    let suspicious: Vec<&CommitEntry> = commits.iter().filter(|c| c.score >= threshold).collect();
    if suspicious.is_empty() {
        return (None, None);
    }
    let chain: Vec<Oid> = head_chain
        .iter()
        .rev()
        .filter_map(|id| Oid::from_str(id).ok())
        .collect();
    let contains = |index: usize, target: Oid| {
        chain[index] == target
            || repo
                .graph_descendant_of(chain[index], target)
                .unwrap_or(false)
    };
    // (position on the branch, commit id) of the earliest contained suspicious commit.
    let mut earliest: Option<(usize, &CommitEntry)> = None;
    for commit in &suspicious {
        let Ok(target) = Oid::from_str(&commit.id) else {
            continue;
        };
        if chain.is_empty() || !contains(chain.len() - 1, target) {
            continue;
        }
        // Containment only grows along the branch: binary search for where it starts.
        let (mut low, mut high) = (0, chain.len() - 1);
        while low < high {
            let middle = (low + high) / 2;
            if contains(middle, target) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        let better = earliest.is_none_or(|(position, best)| {
            (low, commit.author_time) < (position, best.author_time)
        });
        if better {
            earliest = Some((low, commit));
        }
    }
    match earliest {
        Some((position, commit)) => (
            Some(commit.id.clone()),
            position
                .checked_sub(1)
                .map(|before| chain[before].to_string()),
        ),
        None => {
            let first = suspicious
                .iter()
                .min_by_key(|c| (c.committer_time.min(c.author_time), c.id.clone()))
                .map(|c| c.id.clone());
            (first, None)
        }
    }
}

/// HEAD's first-parent chain, newest first: the default branch's own history.
fn first_parent_chain(repo: &Repository) -> Vec<String> {
    let mut chain = Vec::new();
    let Ok(mut commit) = repo.head().and_then(|h| h.peel_to_commit()) else {
        return chain;
    };
    loop {
        chain.push(commit.id().to_string());
        match commit.parent(0) {
            Ok(parent) => commit = parent,
            Err(_) => break,
        }
        if chain.len() > 10_000_000 {
            break;
        }
    }
    chain
}
