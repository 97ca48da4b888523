//! `vigil scan timeline` on repositories built here with git2, with pinned dates, time zones
//! and identities: a benign history of several authors over months, then an intrusion.

mod common;

use common::*;
use git2::{Oid, Repository, Signature, Time};
use serde_json::Value;
use std::path::Path;

struct Repo {
    dir: tempfile::TempDir,
    repo: Repository,
    files: usize,
}

struct Who {
    name: &'static str,
    email: &'static str,
    /// UTC offset in minutes.
    offset: i32,
}

const ALICE: Who = Who {
    name: "Alice",
    email: "alice@team.example",
    offset: 60,
};
const BOB: Who = Who {
    name: "Bob",
    email: "bob@team.example",
    offset: -300,
};
const CARO: Who = Who {
    name: "Caro",
    email: "caro@team.example",
    offset: 0,
};
const INTRUDER: Who = Who {
    name: "ci-bot",
    email: "ci-bot@users.example",
    offset: 480,
};

const DAY: i64 = 86_400;
/// 2026-03-02 00:00 UTC.
const START: i64 = 1_772_409_600;

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init(dir.path()).expect("init");
        Repo {
            dir,
            repo,
            files: 0,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Commits a new file on HEAD with the given author/committer times (UTC seconds) and
    /// explicit parents (HEAD's commit when `None`); moves HEAD's branch when `update_head`.
    fn commit_full(
        &mut self,
        who: &Who,
        author_time: i64,
        committer_time: i64,
        message: &str,
        parents: Option<Vec<Oid>>,
        update_head: bool,
    ) -> Oid {
        self.files += 1;
        let name = format!("src/file{}.txt", self.files);
        let full = self.path().join(&name);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(&full, format!("content {}\n", self.files)).expect("write");
        let mut index = self.repo.index().expect("index");
        index.add_path(Path::new(&name)).expect("add");
        index.write().expect("index write");
        let tree = self
            .repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let author =
            Signature::new(who.name, who.email, &Time::new(author_time, who.offset)).expect("sig");
        let committer = Signature::new(who.name, who.email, &Time::new(committer_time, who.offset))
            .expect("sig");
        let parent_ids = parents.unwrap_or_else(|| {
            self.repo
                .head()
                .ok()
                .and_then(|h| h.target())
                .into_iter()
                .collect()
        });
        let parents: Vec<git2::Commit> = parent_ids
            .iter()
            .map(|id| self.repo.find_commit(*id).expect("parent"))
            .collect();
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(
                update_head.then_some("HEAD"),
                &author,
                &committer,
                message,
                &tree,
                &refs,
            )
            .expect("commit")
    }

    fn commit(&mut self, who: &Who, time: i64, message: &str) -> Oid {
        self.commit_full(who, time, time, message, None, true)
    }
}

fn list_dir(root: &Path) -> Vec<(String, u64)> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            if entry.file_type().expect("type").is_dir() {
                pending.push(entry.path());
            } else {
                let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
                files.push((entry.path().display().to_string(), len));
            }
        }
    }
    files.sort();
    files
}

/// Three authors, three months, office hours in their own time zones, descriptive messages.
fn benign(repo: &mut Repo) -> Oid {
    let mut last = Oid::ZERO_SHA1;
    let authors = [&ALICE, &BOB, &CARO];
    for day in 0..90 {
        let who = authors[day as usize % 3];
        // 10:00 local plus a little variety.
        let local_ten = START + day * DAY + 10 * 3600 - who.offset as i64 * 60;
        let time = local_ten + (day % 5) * 1800;
        last = repo.commit(
            who,
            time,
            &format!("Add handling for case {day} in the request parser"),
        );
    }
    last
}

fn timeline(repo: &Repo) -> Value {
    let sandbox = Sandbox::new();
    let (code, stdout, stderr) = vigil(
        &sandbox,
        &[
            "scan",
            "timeline",
            "--repo",
            repo.path().to_str().expect("utf8"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("JSON")
}

fn commit(timeline: &Value, id: Oid) -> &Value {
    timeline["commits"]
        .as_array()
        .expect("commits")
        .iter()
        .find(|c| c["id"] == id.to_string().as_str())
        .unwrap_or_else(|| panic!("commit {id} missing"))
}

fn kinds(commit: &Value) -> Vec<String> {
    commit["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .filter_map(|s| s["kind"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_benign_history_scores_zero_everywhere() {
    let mut repo = Repo::new();
    benign(&mut repo);
    let before = hash_tree(&repo.path().join(".git"));
    let timeline = timeline(&repo);
    let commits = timeline["commits"].as_array().expect("commits");
    assert_eq!(commits.len(), 90);
    for commit in commits {
        assert_eq!(commit["score"], 0.0, "{commit}");
    }
    assert_eq!(timeline["first_suspicious"], Value::Null);
    assert_eq!(timeline["safe_state"], Value::Null);
    // Newest first.
    assert!(commits[0]["author_time"].as_str() > commits[89]["author_time"].as_str());
    assert_eq!(hash_tree(&repo.path().join(".git")), before, ".git changed");
}

#[test]
fn an_intrusion_is_found_with_its_burst_signals_and_the_safe_state() {
    let mut repo = Repo::new();
    let last_good = benign(&mut repo);
    // The intruder: a new identity, 03:00 in a time zone nobody used, four one-word commits
    // 44-53 seconds apart.
    let night = START + 95 * DAY + 19 * 3600; // 03:00 at UTC+08:00
    let mut burst = Vec::new();
    for (i, gap) in [0i64, 44, 97, 150].iter().enumerate() {
        let subject = ["feat", "refactor", "feat", "update"][i];
        burst.push(repo.commit(&INTRUDER, night + gap, subject));
    }
    // Committer date before the author date.
    let inverted = repo.commit_full(
        &BOB,
        night + 3600,
        night - 5 * DAY,
        "Tune the cache size",
        None,
        true,
    );
    // A child dated before its parent.
    let older = repo.commit_full(
        &CARO,
        START + 10 * DAY,
        START + 10 * DAY,
        "Fix the retry loop",
        None,
        true,
    );
    // A replace ref and a forced update.
    repo.repo
        .reference(
            &format!("refs/replace/{last_good}"),
            burst[0],
            false,
            "replace",
        )
        .expect("replace ref");
    repo.repo
        .reference("refs/heads/release", burst[1], true, "create release")
        .expect("branch");
    repo.repo
        .reference(
            "refs/heads/release",
            last_good,
            true,
            "reset: moving to an older commit",
        )
        .expect("forced update");

    let before = hash_tree(&repo.path().join(".git"));
    let listed = list_dir(&repo.path().join(".git"));
    let timeline = timeline(&repo);
    let listed_after = list_dir(&repo.path().join(".git"));
    let changed: Vec<_> = listed_after
        .iter()
        .filter(|f| !listed.contains(f))
        .collect();
    assert!(changed.is_empty(), "files changed: {changed:?}");
    for id in &burst {
        let signals = kinds(commit(&timeline, *id));
        assert!(signals.contains(&"burst".to_string()), "{signals:?}");
        assert!(
            signals.contains(&"vague-message".to_string()),
            "{signals:?}"
        );
        assert!(commit(&timeline, *id)["score"].as_f64().expect("score") >= 3.0);
    }
    let first = kinds(commit(&timeline, burst[0]));
    assert!(first.contains(&"new-identity".to_string()), "{first:?}");
    let bursts = timeline["bursts"].as_array().expect("bursts");
    assert_eq!(bursts.len(), 1);
    assert_eq!(bursts[0]["identity"], "ci-bot@users.example");
    assert_eq!(bursts[0]["commits"].as_array().expect("ids").len(), 4);
    assert!(kinds(commit(&timeline, inverted)).contains(&"committer-before-author".to_string()));
    assert!(kinds(commit(&timeline, older)).contains(&"child-before-parent".to_string()));
    assert!(kinds(commit(&timeline, burst[0])).contains(&"rewritten".to_string()));
    let notes = timeline["notes"].to_string();
    assert!(notes.contains("refs/replace/"), "{notes}");
    assert!(
        notes.contains("forced update of refs/heads/release"),
        "{notes}"
    );
    let first_id = timeline["first_suspicious"]
        .as_str()
        .expect("first suspicious");
    let first_entry = timeline["commits"]
        .as_array()
        .expect("commits")
        .iter()
        .find(|c| c["id"] == first_id)
        .expect("entry");
    assert_eq!(first_id, burst[0].to_string(), "{first_entry}");
    assert_eq!(timeline["safe_state"], last_good.to_string().as_str());
    // Dates are shown with their own UTC offsets.
    assert!(
        commit(&timeline, burst[0])["author_time"]
            .as_str()
            .is_some_and(|t| t.ends_with("+08:00") && t.contains("T03:00:00")),
        "{}",
        commit(&timeline, burst[0])
    );
    assert_eq!(hash_tree(&repo.path().join(".git")), before, ".git changed");
}

#[test]
fn dangling_commits_and_hostile_messages() {
    let mut repo = Repo::new();
    benign(&mut repo);
    // A commit no ref points to (a deleted branch), with a hostile subject.
    let hostile = "fix\u{1b}[2J\u{202e}txt.exe";
    let dangling = repo.commit_full(
        &INTRUDER,
        START + 100 * DAY,
        START + 100 * DAY,
        hostile,
        None,
        false,
    );
    let timeline = timeline(&repo);
    let entry = commit(&timeline, dangling);
    assert_eq!(entry["dangling"], true);
    assert!(kinds(entry).contains(&"dangling".to_string()));
    // The JSON keeps the raw text (JSON-escaped); the table escapes it visibly.
    assert_eq!(entry["subject"], hostile);
    let sandbox = Sandbox::new();
    let (_, table, _) = vigil(
        &sandbox,
        &[
            "scan",
            "timeline",
            "--repo",
            repo.path().to_str().expect("utf8"),
        ],
    );
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{202e}'),
        "raw control characters in the table"
    );
}

#[test]
fn not_a_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sandbox = Sandbox::new();
    let (code, _, stderr) = vigil(
        &sandbox,
        &[
            "scan",
            "timeline",
            "--repo",
            dir.path().to_str().expect("utf8"),
        ],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("not a readable git repository"), "{stderr}");
}
