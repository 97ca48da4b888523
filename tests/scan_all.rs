//! `vigil scan all`: one snapshot as JSON, and `--fail-on` for cron: exit 3 while something at or
//! above the level is neither fixed nor marked, 0 once it is marked on the checklist.
//! (A test binary of its own: it needs to be the only one with containers on the engine.)

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/git.rs"]
mod git;
#[path = "common/schema.rs"]
mod schema;

use common::{Sandbox, need_docker, vigil};
use docker::{Containers, container};
use git::commit_index_on_head;
use schema::assert_matches_report_schema;
use serde_json::Value;
use std::time::Duration;

#[test]
#[ignore = "needs a Docker engine"]
fn fail_on_counts_what_is_neither_fixed_nor_marked() {
    if !need_docker("fail_on_counts_what_is_neither_fixed_nor_marked") {
        return;
    }
    // A plain repository with one ordinary commit: nothing to find there.
    let repo = tempfile::tempdir().expect("tempdir");
    let git = git2::Repository::init(repo.path()).expect("init");
    std::fs::write(repo.path().join("README.md"), "hello\n").expect("write");
    let mut index = git.index().expect("index");
    index
        .add_path(std::path::Path::new("README.md"))
        .expect("add");
    let who = git2::Signature::new(
        "Alice",
        "alice@example.com",
        &git2::Time::new(1_772_409_600, 0),
    )
    .expect("signature");
    commit_index_on_head(&git, &mut index, &who, "Initial commit");
    let repo_arg = repo.path().to_str().expect("utf8");

    let sandbox = Sandbox::new();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "all", "--repo", repo_arg];
        args.extend(extra);
        vigil(&sandbox, &args)
    };
    let (code, stdout, stderr) = scan(&["--fail-on", "critical"]);
    let before: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let already_open = before["exposure"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .any(|c| c["risk"] == "critical");
    assert!(
        !already_open,
        "another critical container on this engine: {before:#}"
    );
    assert_eq!(code, 0, "nothing critical yet: {stderr}");

    let mut containers = Containers::new();
    let open = containers.open_http("scan-all", "0.0.0.0::80", &[]);
    std::thread::sleep(Duration::from_millis(300));
    let (code, stdout, _) = scan(&["--fail-on", "critical"]);
    assert_eq!(code, 3, "an open service is critical and not marked");
    let json: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(json["schema"], "vigil-incident-report/1");
    assert_matches_report_schema(&json);
    assert_eq!(container(&json["exposure"], &open)["risk"], "critical");
    assert_eq!(json["checklist"]["exposures_found"], 1);
    assert_eq!(json["checklist"]["exposures_isolated"], 0);

    // Marked on the checklist (exposure accepted while the firewall change is prepared).
    std::fs::write(
        sandbox.marks_file(),
        format!(
            "{{\"kind\":\"container\",\"key\":\"{open}\",\"note\":\"accepted until 18:00\",\"at\":\"2026-11-22T01:00:00Z\",\"user\":\"alice\"}}\n"
        ),
    )
    .expect("marks");
    let (code, stdout, _) = scan(&["--fail-on", "critical"]);
    assert_eq!(code, 0, "marked: no longer open");
    let json: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(json["checklist"]["exposures_isolated"], 1);
    // A marked item counts at no level.
    let (code, _, _) = scan(&["--fail-on", "low"]);
    assert_eq!(code, 0, "the marked container is not open at any level");
    // The table form is the Markdown report.
    let (code, stdout, _) = scan(&["--format", "table"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("# Incident report: "), "{stdout}");
}
