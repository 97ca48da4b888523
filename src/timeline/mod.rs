//! Git forensics: every commit of a repository (all refs, plus dangling commits), the signals
//! that make one suspicious, a score per commit, bursts, and the last safe commit.
//!
//! The repository is evidence: it is opened and read, nothing is written (no index refresh, no
//! commit-graph, no gc, no lost-found). Dates, names and messages are attacker-controlled; they
//! are kept raw here and escaped where they are shown.
//!
//! Work comes in three layers so the pane is usable early: `read` gives the commits and their
//! metadata (fast), `changes` the files and line counts (costly, cached outside the repository),
//! and the secret scanner the secrets each commit introduced. `Timeline::rescore` turns
//! whatever has arrived into signals, scores, bursts and the safe state.

pub mod cache;
pub mod changes;
pub mod details;
pub mod graph;

pub mod paths;
pub mod signals;
pub mod stages;

pub use crate::git::CommitId;
use changes::ChangeFacts;
use git2::{Oid, Repository};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// A secret the scanner found first in this commit (masked: never the raw value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntroducedSecret {
    pub rule: String,
    pub masked: String,
    pub path: String,
    pub severity: String,
}

/// One commit as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitEntry {
    pub id: CommitId,
    pub parents: Box<[CommitId]>,
    /// Names and e-mails are shared between the commits of one identity (memory: 100,000
    /// commits by a few dozen people).
    pub author: Arc<str>,
    pub author_email: Arc<str>,
    /// Seconds since the epoch, and the author's UTC offset in minutes.
    pub author_time: i64,
    pub author_offset: i32,
    pub committer: Arc<str>,
    pub committer_email: Arc<str>,
    pub committer_time: i64,
    pub committer_offset: i32,
    /// The first line of the message (the rest is read on demand for the details).
    pub subject: Box<str>,
    pub signed: bool,
    /// Reachable from no ref: found only in the object database.
    pub dangling: bool,
    /// Why history rewriting points at this commit (replace ref, forced update), if it does.
    #[serde(skip)]
    pub rewritten: Option<Box<str>>,
    /// Files and line counts, once the line-count pass has reached this commit.
    pub changes: Option<Box<ChangeFacts>>,
    /// Secrets first seen in this commit, once the secret scan is done.
    pub secrets: Vec<IntroducedSecret>,
    pub score: f64,
    pub signals: Vec<signals::Signal>,
}

impl CommitEntry {
    /// The identity signals are grouped by: the author's e-mail, lower-cased.
    pub fn identity(&self) -> String {
        self.author_email.to_ascii_lowercase()
    }

    pub fn short_id(&self) -> String {
        // Ten hex digits: unambiguous in practice.
        self.id.short(10)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Burst {
    pub identity: String,
    /// Oldest first.
    pub commits: Vec<CommitId>,
    pub start: i64,
    pub end: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Timeline {
    pub repo: String,
    /// Newest first (committer time).
    pub commits: Vec<CommitEntry>,
    pub bursts: Vec<Burst>,
    pub safe_state: Option<CommitId>,
    pub first_suspicious: Option<CommitId>,
    /// Repository-level findings: replace refs, filter-branch leftovers, forced updates,
    /// shallow clone, empty repository, unreadable objects.
    pub notes: Vec<String>,
    pub shallow: bool,
    /// HEAD's first-parent chain, newest first: the default branch the safe state is on.
    #[serde(skip)]
    pub head_chain: Vec<CommitId>,
    /// The branch HEAD names (`main`), for the commands shown with the safe state.
    pub head_branch: Option<String>,
}

/// Reads the commit graph: every commit reachable from any ref (branches, tags, remotes, stash,
/// notes, replace and original refs, HEAD), plus commits in the object database no ref reaches.
/// Returns the commits and how many could not be read.
pub fn read_commits(
    repo: &Repository,
    with_dangling: bool,
) -> Result<(Vec<CommitEntry>, usize), String> {
    // Every ref's commit, and HEAD's. Replace refs must not rewrite what we read: the raw
    // objects are the evidence, and libgit2 does not apply them when reading a commit.
    let mut pending: Vec<Oid> = Vec::new();
    let references = repo.references().map_err(|e| e.message().to_string())?;
    for reference in references.flatten() {
        if let Ok(commit) = reference.peel_to_commit() {
            pending.push(commit.id());
        }
    }
    if let Ok(head) = repo.head()
        && let Ok(commit) = head.peel_to_commit()
    {
        pending.push(commit.id());
    }
    // Each commit is read once (not walked, then read again): the walk is the read.
    let mut seen: HashSet<Oid> = HashSet::new();
    let mut names = Names::default();
    // Collected in chunks, then moved into one vector of the exact size: a growing vector
    // would briefly hold twice the history while it doubles.
    let mut chunks: Vec<Vec<CommitEntry>> = vec![Vec::with_capacity(CHUNK)];
    let mut unreadable = 0;
    while let Some(oid) = pending.pop() {
        if !seen.insert(oid) {
            continue;
        }
        match repo.find_commit(oid) {
            Ok(commit) => {
                pending.extend(commit.parent_ids().filter(|p| !seen.contains(p)));
                if chunks.last().is_some_and(|c| c.len() == CHUNK) {
                    chunks.push(Vec::with_capacity(CHUNK));
                }
                if let Some(chunk) = chunks.last_mut() {
                    chunk.push(entry(&commit, false, &mut names));
                }
            }
            Err(_) => unreadable += 1,
        }
    }
    let mut out: Vec<CommitEntry> = Vec::with_capacity(chunks.iter().map(Vec::len).sum::<usize>());
    for chunk in chunks {
        out.extend(chunk);
    }
    drop(pending);
    if with_dangling {
        let (found, damaged) = dangling_commits(repo, &seen);
        out.extend(found);
        unreadable += damaged;
    }
    Ok((out, unreadable))
}

/// Commits in the object database that no ref reaches (deleted branches, forced pushes), and how
/// many could not be read. Every object's type is looked at: the costly part of a first read,
/// so the pane does it after showing the rest.
pub fn dangling_commits(repo: &Repository, reachable: &HashSet<Oid>) -> (Vec<CommitEntry>, usize) {
    let mut dangling: Vec<Oid> = Vec::new();
    if let Ok(odb) = repo.odb() {
        // Checked as the object database lists them: no list of every object in memory.
        let _ = odb.foreach(|oid| {
            if !reachable.contains(oid)
                && odb
                    .read_header(*oid)
                    .is_ok_and(|(_, kind)| kind == git2::ObjectType::Commit)
            {
                dangling.push(*oid);
            }
            true
        });
    }
    dangling.sort();
    dangling.dedup();
    let mut out = Vec::with_capacity(dangling.len());
    let mut unreadable = 0;
    let mut names = Names::default();
    for oid in dangling {
        match repo.find_commit(oid) {
            Ok(commit) => out.push(entry(&commit, true, &mut names)),
            Err(_) => unreadable += 1,
        }
    }
    (out, unreadable)
}

/// The dangling commits of the repository at `path` that are not among `known` ids.
pub fn read_dangling(path: &Path, known: &[CommitId]) -> Result<Vec<CommitEntry>, String> {
    let repo = open(path)?;
    let known: HashSet<Oid> = known.iter().map(|id| id.oid()).collect();
    Ok(dangling_commits(&repo, &known).0)
}

/// Commits read per chunk.
const CHUNK: usize = 4096;

/// One shared copy of each name and e-mail.
#[derive(Default)]
struct Names(HashSet<Arc<str>>);

impl Names {
    fn get(&mut self, bytes: &[u8]) -> Arc<str> {
        let text = String::from_utf8_lossy(bytes);
        if let Some(shared) = self.0.get(text.as_ref()) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text.as_ref());
        self.0.insert(shared.clone());
        shared
    }
}

fn entry(commit: &git2::Commit, dangling: bool, names: &mut Names) -> CommitEntry {
    let author = commit.author();
    let committer = commit.committer();
    let message = commit.message_bytes();
    let subject = message.split(|b| *b == b'\n').next().unwrap_or_default();
    CommitEntry {
        id: CommitId::from_oid(commit.id()),
        parents: commit.parent_ids().map(CommitId::from_oid).collect(),
        author: names.get(author.name_bytes()),
        author_email: names.get(author.email_bytes()),
        author_time: author.when().seconds(),
        author_offset: author.when().offset_minutes(),
        committer: names.get(committer.name_bytes()),
        committer_email: names.get(committer.email_bytes()),
        committer_time: committer.when().seconds(),
        committer_offset: committer.when().offset_minutes(),
        subject: String::from_utf8_lossy(subject)
            .trim_end_matches('\r')
            .into(),
        signed: commit.header_field_bytes("gpgsig").is_ok()
            || commit.header_field_bytes("gpgsig-sha256").is_ok(),
        dangling,
        rewritten: None,
        changes: None,
        secrets: Vec::new(),
        score: 0.0,
        signals: Vec::new(),
    }
}

/// The repository-level evidence of rewriting: replace refs, `refs/original` left by
/// filter-branch, and reflog entries where a ref moved to a commit that does not descend from
/// where it was (a forced update). Read-only.
pub fn rewrite_evidence(repo: &Repository) -> (Vec<String>, HashMap<CommitId, String>) {
    let mut notes = Vec::new();
    // Commit id -> why it is marked.
    let mut marked: HashMap<CommitId, String> = HashMap::new();
    if let Ok(references) = repo.references() {
        for reference in references.flatten() {
            let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
            if name.starts_with("refs/replace/") || name.starts_with("refs/original/") {
                notes.push(format!(
                    "{name} exists: history was {}",
                    if name.starts_with("refs/replace/") {
                        "replaced (git replace)"
                    } else {
                        "rewritten (filter-branch leftovers)"
                    }
                ));
                if let Ok(commit) = reference.peel_to_commit() {
                    marked.insert(CommitId::from_oid(commit.id()), format!("target of {name}"));
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
                        "forced update of {name}: {} -> {} ({})",
                        &old.to_string()[..12],
                        &new.to_string()[..12],
                        String::from_utf8_lossy(entry.message_bytes().unwrap_or_default())
                    ));
                    marked.insert(CommitId::from_oid(new), format!("forced update of {name}"));
                }
            }
        }
    }
    (notes, marked)
}

/// Opens a repository for reading, with the error an engineer can act on.
pub fn open(path: &Path) -> Result<Repository, String> {
    crate::git::open(path).map_err(|err| err.to_string())
}

/// Reads the commits and the repository-level evidence (fast: no diffs). Scores are zero
/// until `rescore`.
pub fn read(path: &Path) -> Result<Timeline, String> {
    read_with(path, true)
}

/// `read`, with or without the search for dangling commits (`read_dangling` does it later).
pub fn read_with(path: &Path, with_dangling: bool) -> Result<Timeline, String> {
    let repo = open(path)?;
    let mut notes = Vec::new();
    if repo.is_empty().unwrap_or(false) {
        notes.push("empty repository: no commits yet".to_string());
    }
    let shallow = repo.is_shallow();
    if shallow {
        notes.push(
            "shallow clone: the oldest commits are missing, so the safe state may lie before \
             what is here (fetch with --unshallow into a copy to see it)"
                .to_string(),
        );
    }
    let (mut commits, unreadable) = read_commits(&repo, with_dangling)?;
    if unreadable > 0 {
        notes.push(format!(
            "{unreadable} commit object(s) could not be read (damaged or missing objects): \
             the history shown is incomplete"
        ));
    }
    let (evidence, marked) = rewrite_evidence(&repo);
    notes.extend(evidence);
    for commit in &mut commits {
        commit.rewritten = marked.get(&commit.id).map(|why| why.as_str().into());
    }
    // In place (ids are unique, so stability does not matter): no second copy of the history.
    commits.sort_unstable_by(|a, b| {
        b.committer_time
            .cmp(&a.committer_time)
            .then_with(|| a.id.cmp(&b.id))
    });
    let default_branch = default_branch(&repo);
    if default_branch.is_none() && !commits.is_empty() {
        notes.push(
            "no default branch: HEAD points to no commit and there is no main or master branch, \
             so no safe state can be named"
                .to_string(),
        );
    }
    let (head_branch, head_chain) = match default_branch {
        Some((name, tip)) => (Some(name), first_parent_chain(&commits, tip)),
        None => (None, Vec::new()),
    };
    Ok(Timeline {
        repo: path.display().to_string(),
        commits,
        notes,
        shallow,
        head_chain,
        head_branch,
        ..Default::default()
    })
}

/// What `analyze` adds to the metadata.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// Count lines (with the cache).
    pub line_counts: bool,
    pub use_cache: bool,
    pub threads: usize,
}

impl AnalyzeOptions {
    /// Everything: line counts, with the cache, on every core.
    pub fn complete() -> AnalyzeOptions {
        AnalyzeOptions {
            line_counts: true,
            use_cache: true,
            threads: crate::secrets::sources::Limits::default().threads,
        }
    }
}

/// The whole timeline at once, for the command line: the same stages the pane reads, folded in
/// as they come; then the secrets each commit introduced and the scores.
pub fn analyze(
    path: &Path,
    scoring: &signals::Scoring,
    options: &AnalyzeOptions,
    secrets: &HashMap<CommitId, Vec<IntroducedSecret>>,
) -> Result<Timeline, String> {
    use stages::Stage;
    let rules = scoring.path_rules()?;
    let mut read: Option<Result<Timeline, String>> = None;
    let mut waiting = stages::Waiting::default();
    let mut count_error = None;
    let cancel = std::sync::atomic::AtomicBool::new(false);
    stages::read_in_stages(
        &[path.to_path_buf()],
        options,
        &cancel,
        &mut |stage| match (stage, &mut read) {
            (Stage::Read(_, result), _) => read = Some(*result),
            (Stage::Dangling(_, found), Some(Ok(timeline))) => timeline.add_commits(found),
            (Stage::Counts(_, batch, _), Some(Ok(timeline))) => {
                waiting.add(batch, &rules);
                if waiting.len() >= 4096 {
                    waiting.apply_to(timeline);
                }
            }
            (Stage::CountsDone(_, result), _) => count_error = result.err(),
            _ => {}
        },
    );
    let mut timeline = read.unwrap_or_else(|| Err(format!("{}: not read", path.display())))?;
    if let Some(message) = count_error {
        return Err(message);
    }
    waiting.apply_to(&mut timeline);
    timeline.apply_secrets(secrets);
    timeline.rescore(scoring);
    Ok(timeline)
}

impl Timeline {
    /// Moves the change facts of this timeline's commits out of `facts`.
    pub fn apply_facts(&mut self, facts: &mut HashMap<CommitId, ChangeFacts>) {
        if facts.is_empty() {
            return;
        }
        for commit in &mut self.commits {
            if let Some(found) = facts.remove(&commit.id) {
                commit.changes = Some(Box::new(found));
            }
        }
    }

    /// Adds commits found later (dangling ones), keeping the newest-first order.
    pub fn add_commits(&mut self, found: Vec<CommitEntry>) {
        let known: HashSet<CommitId> = self.commits.iter().map(|c| c.id).collect();
        self.commits
            .extend(found.into_iter().filter(|c| !known.contains(&c.id)));
        self.commits.sort_by(|a, b| {
            b.committer_time
                .cmp(&a.committer_time)
                .then_with(|| a.id.cmp(&b.id))
        });
    }

    /// Attaches the secrets each commit introduced (replacing any earlier scan's).
    pub fn apply_secrets(&mut self, secrets: &HashMap<CommitId, Vec<IntroducedSecret>>) {
        for commit in &mut self.commits {
            commit.secrets = secrets.get(&commit.id).cloned().unwrap_or_default();
        }
    }

    /// Signals, scores, bursts, the first suspicious commit and the safe state from whatever
    /// has arrived so far.
    pub fn rescore(&mut self, scoring: &signals::Scoring) {
        self.bursts = signals::apply(&mut self.commits, scoring);
        let (first, safe) = graph::first_suspicious_and_safe_state(
            &self.commits,
            &self.head_chain,
            scoring.threshold,
        );
        self.first_suspicious = first;
        self.safe_state = safe;
    }

    /// Read-only commands to look at the safe state (shown, never run by vigil). The repository
    /// path is shell-quoted: it may hold anything.
    pub fn safe_state_commands(&self) -> Vec<String> {
        let Some(safe) = &self.safe_state else {
            return Vec::new();
        };
        let repo = crate::util::text::shell_quote(&self.repo);
        let short = safe.short(12);
        let head = self.head_branch.as_deref().unwrap_or("HEAD");
        vec![
            format!("git -C {repo} show --stat {safe}"),
            format!(
                "git -C {repo} diff --stat {safe} {}",
                crate::util::text::shell_quote(head)
            ),
            format!("git -C {repo} worktree add --detach ../vigil-safe-{short} {safe}"),
        ]
    }

    pub fn find(&self, id: &CommitId) -> Option<&CommitEntry> {
        self.commits.iter().find(|c| c.id == *id)
    }

    /// Commits at or above the threshold.
    pub fn suspicious(&self, threshold: f64) -> impl Iterator<Item = &CommitEntry> {
        self.commits.iter().filter(move |c| c.score >= threshold)
    }
}

/// The secrets each commit of `repo` introduced, from a secret scan's findings: a history
/// location names the earliest commit holding the secret at that path. Locations without a
/// repository belong to a scan of one repository. Suppressed findings do not count.
pub fn introduced_secrets(
    findings: &[crate::secrets::finding::Finding],
    repo: &str,
) -> HashMap<CommitId, Vec<IntroducedSecret>> {
    use crate::secrets::finding::Source;
    let mut out: HashMap<CommitId, Vec<IntroducedSecret>> = HashMap::new();
    for finding in findings.iter().filter(|f| f.suppressed.is_none()) {
        for location in &finding.locations {
            if location.source != Source::History
                || location.repo.as_deref().is_some_and(|r| r != repo)
            {
                continue;
            }
            let Some(commit) = location.commit.as_deref().and_then(CommitId::parse) else {
                continue;
            };
            let entry = out.entry(commit).or_default();
            let secret = IntroducedSecret {
                rule: finding.rule.clone(),
                masked: finding.masked.clone(),
                path: location.path.clone().unwrap_or_default(),
                severity: finding.severity.as_str().to_string(),
            };
            if !entry.contains(&secret) {
                entry.push(secret);
            }
        }
    }
    out
}

/// The branch the safe state is looked for on: HEAD's, else the remote's default
/// (`origin/HEAD`), else `main` or `master` (a mirror or a repository whose HEAD names a branch
/// that was never created). Its name and tip.
fn default_branch(repo: &Repository) -> Option<(String, Oid)> {
    if let Ok(head) = repo.head()
        && let Ok(commit) = head.peel_to_commit()
    {
        let name = if head.is_branch() {
            head.shorthand().unwrap_or("HEAD").to_string()
        } else {
            "HEAD".to_string()
        };
        return Some((name, commit.id()));
    }
    for name in [
        "refs/remotes/origin/HEAD",
        "refs/heads/main",
        "refs/heads/master",
        "refs/remotes/origin/main",
        "refs/remotes/origin/master",
    ] {
        if let Ok(reference) = repo.find_reference(name)
            && let Ok(commit) = reference.resolve().and_then(|r| r.peel_to_commit())
        {
            let short = name
                .trim_start_matches("refs/heads/")
                .trim_start_matches("refs/remotes/");
            return Some((short.to_string(), commit.id()));
        }
    }
    None
}

/// A branch's first-parent chain from its tip, newest first: the branch's own history. From
/// the commits already read (a missing parent ends it).
fn first_parent_chain(commits: &[CommitEntry], tip: Oid) -> Vec<CommitId> {
    let by_id: HashMap<CommitId, &CommitEntry> = commits.iter().map(|c| (c.id, c)).collect();
    let mut chain = Vec::new();
    let mut next = Some(CommitId::from_oid(tip));
    while let Some(id) = next {
        let Some(commit) = by_id.get(&id) else {
            break;
        };
        next = commit.parents.first().copied();
        chain.push(id);
        if chain.len() > commits.len() {
            break; // a cycle would need a hash collision; stop anyway
        }
    }
    chain
}
