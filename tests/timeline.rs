//! `vigil scan timeline` on repositories built here with git2, with pinned dates, time zones
//! and identities: a benign history of several authors over months, then an intrusion.

mod common;
#[path = "common/git.rs"]
mod git;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, need_tmux, random_token, vigil, vigil_bin};
use git::{commit_index_on_head, files_under, hash_tree};
use git2::{Oid, Repository, Signature, Time};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use tmux::Tmux;

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

    /// Commits these files (content `None` deletes the file) on HEAD.
    fn commit_files(
        &mut self,
        who: &Who,
        time: i64,
        message: &str,
        files: &[(&str, Option<Vec<u8>>)],
    ) -> Oid {
        let mut index = self.repo.index().expect("index");
        for (name, content) in files {
            let full = self.path().join(name);
            match content {
                Some(bytes) => {
                    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
                    std::fs::write(&full, bytes).expect("write");
                    index.add_path(Path::new(name)).expect("add");
                }
                None => {
                    let _ = std::fs::remove_file(&full);
                    index.remove_path(Path::new(name)).expect("remove");
                }
            }
        }
        let signature =
            Signature::new(who.name, who.email, &Time::new(time, who.offset)).expect("sig");
        commit_index_on_head(&self.repo, &mut index, &signature, message)
    }
}

/// `lines` numbered text lines.
fn text(lines: usize, tag: &str) -> Vec<u8> {
    (0..lines)
        .map(|n| format!("{tag} line {n}\n"))
        .collect::<String>()
        .into_bytes()
}

/// Every file under `root` with its size: names the file a run would have added or changed.
fn list_dir(root: &Path) -> Vec<(String, u64)> {
    files_under(root)
        .into_iter()
        .map(|path| {
            let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            (path.display().to_string(), len)
        })
        .collect()
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
    timeline_in(&sandbox, repo.path(), &[])
}

/// `vigil scan timeline --format json` in this sandbox (its cache and config).
fn timeline_in(sandbox: &Sandbox, repo: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "scan",
        "timeline",
        "--repo",
        repo.to_str().expect("utf8"),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = vigil(sandbox, &args);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|err| panic!("JSON: {err}\n{stdout}"))
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

fn has(commit: &Value, kind: &str) -> bool {
    kinds(commit).iter().any(|k| k == kind)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

#[test]
fn change_signals_sizes_paths_binaries_and_secrets() {
    let mut repo = Repo::new();
    let last_good = benign(&mut repo);
    let t = START + 100 * DAY + 11 * 3600;
    // An ordinary, well-described change to a compose file: sensitive, not suspicious alone.
    let compose = repo.commit_files(
        &ALICE,
        t,
        "Pin the vLLM image and publish the API on loopback only",
        &[("deploy/docker-compose.yml", Some(text(12, "compose")))],
    );
    // A huge "refactor": thousands of lines, a tool parser, a deploy script, .env, a weakened
    // .gitignore and a binary.
    repo.commit_files(
        &BOB,
        t + 3600,
        "Add ignore rules",
        &[(
            ".gitignore",
            Some(b".env\n*.key\nsecrets/\nbuild/\n".to_vec()),
        )],
    );
    let hf_token = format!("hf_{}", random_token(34).to_ascii_lowercase());
    let refactor = repo.commit_files(
        &BOB,
        t + 7200,
        "refactor",
        &[
            ("src/engine.py", Some(text(2500, "engine"))),
            (
                "vllm/entrypoints/openai/tool_parsers/hermes_tool_parser.py",
                Some(text(40, "parser")),
            ),
            ("scripts/deploy.ps1", Some(text(8, "deploy"))),
            (".env", Some(format!("HF_TOKEN={hf_token}\n").into_bytes())),
            (".gitignore", Some(b"build/\n".to_vec())),
            (
                "tools/helper.bin",
                Some(vec![0x7f, b'E', b'L', b'F', 0, 0, 1, 2, 0, 3]),
            ),
            (
                "docs/logo.png",
                Some(vec![0x89, b'P', b'N', b'G', 0, 0, 0, 13]),
            ),
        ],
    );
    // A lock file rewrite: large, but generated.
    let lockfile = repo.commit_files(
        &CARO,
        t + 10_800,
        "Update dependencies to the latest patch releases",
        &[("web/package-lock.json", Some(text(4000, "lock")))],
    );
    let before = hash_tree(&repo.path().join(".git"));
    let timeline = timeline(&repo);
    assert_eq!(hash_tree(&repo.path().join(".git")), before, ".git changed");

    let refactor_entry = commit(&timeline, refactor);
    for kind in [
        "large-change",
        "vague-large-change",
        "sensitive-path",
        "gitignore-weakened",
        "binary-added",
        "secret-introduced",
    ] {
        assert!(
            has(refactor_entry, kind),
            "{kind} missing: {refactor_entry}"
        );
    }
    assert!(refactor_entry["score"].as_f64().expect("score") >= 3.0);
    // Line counts as git counts them: 2500 + 40 + 8 + 1 added; the .gitignore loses 3 of its
    // 4 lines; binaries count no lines.
    assert_eq!(refactor_entry["lines_added"], 2549, "{refactor_entry}");
    assert_eq!(refactor_entry["lines_removed"], 3);
    assert_eq!(refactor_entry["files_changed"], 7);
    assert_eq!(
        refactor_entry["ignore_files_weakened"],
        serde_json::json!([[".gitignore", 3]])
    );
    assert_eq!(
        refactor_entry["binaries_added"],
        serde_json::json!(["tools/helper.bin"])
    );
    let sensitive = strings(&refactor_entry["sensitive_files"]);
    for path in [
        "scripts/deploy.ps1",
        ".env",
        "vllm/entrypoints/openai/tool_parsers/hermes_tool_parser.py",
    ] {
        assert!(sensitive.contains(&path.to_string()), "{sensitive:?}");
    }
    assert!(!sensitive.contains(&"src/engine.py".to_string()));
    let binaries = refactor_entry["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .find(|s| s["kind"] == "binary-added")
        .expect("binary signal")["detail"]
        .to_string();
    assert!(
        binaries.contains("tools/helper.bin") && !binaries.contains("logo.png"),
        "{binaries}"
    );
    // The secret is named masked, never raw.
    let secrets = refactor_entry["secrets_introduced"]
        .as_array()
        .expect("secrets");
    assert!(secrets.iter().any(|s| s["path"] == ".env"), "{secrets:?}");
    assert!(
        !timeline.to_string().contains(&hf_token),
        "raw secret in the output"
    );

    let compose_entry = commit(&timeline, compose);
    assert!(has(compose_entry, "sensitive-path"), "{compose_entry}");
    assert!(compose_entry["score"].as_f64().expect("score") < 3.0);
    let lock_entry = commit(&timeline, lockfile);
    assert_eq!(lock_entry["lines_added"], 4000);
    assert!(!has(lock_entry, "large-change"), "{lock_entry}");
    // The refactor is the first suspicious commit; the safe state is the commit before it.
    assert_eq!(timeline["first_suspicious"], refactor.to_string().as_str());
    assert_ne!(timeline["safe_state"], last_good.to_string().as_str());
    let safe = timeline["safe_state"].as_str().expect("safe state");
    let safe_commit = repo
        .repo
        .find_commit(Oid::from_str(safe).expect("oid"))
        .expect("commit");
    assert_eq!(safe_commit.summary(), Ok(Some("Add ignore rules")));

    // --no-secrets and --no-line-counts leave those signals out.
    let sandbox = Sandbox::new();
    let bare = timeline_in(&sandbox, repo.path(), &["--no-secrets", "--no-line-counts"]);
    let bare_refactor = commit(&bare, refactor);
    assert!(!has(bare_refactor, "secret-introduced") && !has(bare_refactor, "large-change"));
    assert_eq!(bare_refactor.get("lines_added"), None);
}

#[test]
fn line_counts_are_cached_outside_the_repository_by_commit_id() {
    let mut repo = Repo::new();
    benign(&mut repo);
    let big = repo.commit_files(
        &ALICE,
        START + 95 * DAY,
        "Import the scheduler",
        &[("src/scheduler.py", Some(text(300, "sched")))],
    );
    let sandbox = Sandbox::new();
    let cache_root = sandbox
        .path()
        .join(".cache")
        .join("vigil")
        .join("line-counts");
    let first = timeline_in(&sandbox, repo.path(), &[]);
    let files: Vec<_> = std::fs::read_dir(&cache_root)
        .expect("cache dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    // Nothing was written into the repository.
    assert!(!repo.path().join(".git").join("vigil").exists());
    // The second run takes its counts from the cache: a count changed in the cache shows up.
    let cache: String = std::fs::read_to_string(&files[0]).expect("cache");
    assert_eq!(
        cache.lines().count(),
        92,
        "a header and one line per commit"
    );
    let edited: Vec<String> = cache
        .lines()
        .map(|line| {
            let mut entry: Value = serde_json::from_str(line).expect("cache line");
            if entry["id"] == big.to_string().as_str() {
                entry["files"][0]["added"] = 4242.into();
            }
            entry.to_string()
        })
        .collect();
    std::fs::write(&files[0], edited.join("\n") + "\n").expect("write cache");
    let second = timeline_in(&sandbox, repo.path(), &[]);
    assert_eq!(commit(&first, big)["lines_added"], 300);
    assert_eq!(commit(&second, big)["lines_added"], 4242);
    assert!(has(commit(&second, big), "large-change"));
    // --no-cache counts again.
    let third = timeline_in(&sandbox, repo.path(), &["--no-cache"]);
    assert_eq!(commit(&third, big)["lines_added"], 300);
    // A corrupt cache file is ignored, not fatal.
    std::fs::write(&files[0], "{not json").expect("write");
    let fourth = timeline_in(&sandbox, repo.path(), &[]);
    assert_eq!(commit(&fourth, big)["lines_added"], 300);
}

#[test]
fn shallow_empty_and_damaged_repositories_are_said_and_do_not_fail() {
    // Empty: a clear note, no commits, exit 0.
    let empty = Repo::new();
    let sandbox = Sandbox::new();
    let timeline = timeline_in(&sandbox, empty.path(), &[]);
    assert_eq!(timeline["commits"].as_array().expect("commits").len(), 0);
    assert!(timeline["notes"].to_string().contains("empty repository"));

    // Shallow: git records the cut in .git/shallow; the commit at the cut has no parent here.
    let mut repo = Repo::new();
    benign(&mut repo);
    let cut = repo.repo.revparse_single("HEAD~5").expect("HEAD~5").id();
    // A shallow clone has no objects behind the cut: remove the older commits.
    let mut older = Vec::new();
    let mut walk = repo.repo.find_commit(cut).expect("cut").parent(0).ok();
    while let Some(commit) = walk {
        older.push(commit.id().to_string());
        walk = commit.parent(0).ok();
    }
    for id in &older {
        std::fs::remove_file(
            repo.path()
                .join(".git/objects")
                .join(&id[..2])
                .join(&id[2..]),
        )
        .expect("remove older commit");
    }
    std::fs::write(repo.path().join(".git").join("shallow"), format!("{cut}\n")).expect("shallow");
    let timeline = timeline_in(&sandbox, repo.path(), &[]);
    assert_eq!(timeline["shallow"], true);
    assert!(
        timeline["notes"].to_string().contains("shallow clone"),
        "{}",
        timeline["notes"]
    );
    assert_eq!(timeline["commits"].as_array().expect("commits").len(), 6);
    assert_eq!(
        commit(&timeline, cut)["parents"].as_array().map(Vec::len),
        Some(0)
    );

    // Damaged: a loose commit object in the middle of the history is gone.
    let mut damaged = Repo::new();
    benign(&mut damaged);
    let victim = damaged
        .repo
        .revparse_single("HEAD~3")
        .expect("HEAD~3")
        .id()
        .to_string();
    let object = damaged
        .path()
        .join(".git/objects")
        .join(&victim[..2])
        .join(&victim[2..]);
    std::fs::remove_file(&object).expect("remove object");
    let timeline = timeline_in(&sandbox, damaged.path(), &[]);
    assert!(
        timeline["notes"].to_string().contains("could not be read"),
        "{}",
        timeline["notes"]
    );
    assert!(timeline["commits"].as_array().expect("commits").len() >= 3);
}

#[test]
fn several_repositories_and_configured_weights() {
    let mut first = Repo::new();
    benign(&mut first);
    let night = START + 95 * DAY + 19 * 3600;
    let mut burst = Vec::new();
    for gap in [0i64, 47, 95] {
        burst.push(first.commit(&INTRUDER, night + gap, "feat"));
    }
    let mut second = Repo::new();
    second.commit(&ALICE, START, "Initial import of the web UI");

    let sandbox = Sandbox::new();
    let (code, stdout, stderr) = vigil(
        &sandbox,
        &[
            "scan",
            "timeline",
            "--repo",
            first.path().to_str().expect("utf8"),
            "--repo",
            second.path().to_str().expect("utf8"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let both: Value = serde_json::from_str(&stdout).expect("JSON");
    let both = both.as_array().expect("an array for several repositories");
    assert_eq!(both.len(), 2);
    assert_eq!(both[0]["repo"], first.path().to_str().expect("utf8"));
    assert_eq!(both[1]["commits"].as_array().expect("commits").len(), 1);

    // Weights from the config: bursts weigh nothing, so the intrusion is no longer suspicious.
    let config = sandbox.path().join("config").join("vigil");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(
        config.join("config.toml"),
        "[timeline]\nburst = 0.0\nnew_identity = 0.0\nnew_timezone = 0.0\n",
    )
    .expect("config");
    let light = timeline_in(&sandbox, first.path(), &[]);
    assert!(commit(&light, burst[1])["score"].as_f64().expect("score") < 3.0);
    assert_eq!(light["first_suspicious"], Value::Null);
    // A bad glob is reported and the defaults are used.
    std::fs::write(
        config.join("config.toml"),
        "[timeline]\nsensitive_paths = [\"[\"]\n",
    )
    .expect("config");
    let (code, _, stderr) = vigil(
        &sandbox,
        &[
            "scan",
            "timeline",
            "--repo",
            first.path().to_str().expect("utf8"),
        ],
    );
    assert_eq!(code, 0);
    assert!(stderr.contains("timeline.sensitive_paths"), "{stderr}");
}

#[test]
#[ignore = "needs tmux"]
fn the_real_binary_shows_the_timeline_pane_in_tmux() {
    let test = "the_real_binary_shows_the_timeline_pane_in_tmux";
    if !need_tmux(test) {
        return;
    }
    let mut repo = Repo::new();
    let last_good = benign(&mut repo);
    let night = START + 95 * DAY + 19 * 3600;
    for (gap, subject) in [
        (0i64, "feat"),
        (44, "refactor"),
        (97, "feat\u{1b}[31m\u{202e}gpj.exe"),
    ] {
        repo.commit(&INTRUDER, night + gap, subject);
    }
    let before = hash_tree(&repo.path().join(".git"));
    let sandbox = Sandbox::new();
    // No Docker needed: the containers pane says the engine is unreachable, the rest works.
    let host = format!("unix://{}/absent.sock", sandbox.path().display());
    let tmux = Tmux::start(
        &format!(
            "{} --docker-host {host} --repo {}",
            vigil_bin(),
            repo.path().display()
        ),
        &sandbox.env(),
        160,
        45,
    );
    tmux.keys(&["3", "z"]);
    tmux.wait_for("timeline pane", Duration::from_secs(15), |s| {
        s.contains("93 commits") && s.contains("◆ safe state")
    });
    let screen = tmux.capture();
    assert!(
        screen.contains(&format!("◆ safe state {}", &last_good.to_string()[..10])),
        "{screen}"
    );
    assert!(screen.contains("feat\\e[31m\\u{202e}gpj.exe"), "{screen}");
    assert!(screen.contains("1 col = "), "{screen}");
    tmux.keys(&["o"]);
    tmux.wait_for("ordered by score", Duration::from_secs(5), |s| {
        s.contains("by score")
    });
    tmux.keys(&["Home", "Enter"]);
    tmux.wait_for("commit details", Duration::from_secs(5), |s| {
        s.contains("Signals (") && s.contains("raw author") && s.contains("new-identity")
    });
    // Separately: Escape followed at once by q reads as Alt-q.
    tmux.keys(&["Escape"]);
    tmux.wait_for("details closed", Duration::from_secs(5), |s| {
        !s.contains("raw author")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(5), |s| {
        s.contains("VIGIL-EXITED:0")
    });
    assert_eq!(hash_tree(&repo.path().join(".git")), before, ".git changed");
}
