//! `vigil report` against real containers, a repository built here with planted secrets and an
//! intrusion burst, the test NVML library, and a checklist mark made beforehand: every section
//! with the right rows, no raw secret in either format, Markdown tables well formed.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/git.rs"]
mod git;
#[path = "common/nvml.rs"]
mod nvml;
#[path = "common/schema.rs"]
mod schema;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, need_docker, need_tmux, random_token, vigil, vigil_bin};
use docker::{Containers, container, container_pid};
use git::commit_index_on_head;
use nvml::{FakeNvml, NvmlBuild};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use schema::{assert_matches_report_schema, report_schema_errors};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tmux::{Tmux, line_with};

const DAY: i64 = 86_400;
const START: i64 = 1_772_409_600; // 2026-03-02

/// A benign month by one author, then a burst by a new identity that commits `.env` with a
/// HuggingFace token.
fn incident_repo(dir: &std::path::Path, hf_token: &str) {
    let repo = git2::Repository::init(dir).expect("init");
    let mut index = repo.index().expect("index");
    for day in 0..20 {
        std::fs::write(dir.join("app.py"), format!("print({day})\n")).expect("write");
        index.add_path(std::path::Path::new("app.py")).expect("add");
        let who = git2::Signature::new(
            "Alice",
            "alice@example.com",
            &git2::Time::new(START + day * DAY + 10 * 3600, 60),
        )
        .expect("signature");
        commit_index_on_head(&repo, &mut index, &who, &format!("Handle case {day}"));
    }
    let burst_start = START + 25 * DAY + 3 * 3600;
    for step in 0..4 {
        if step == 1 {
            std::fs::write(dir.join(".env"), format!("HF_TOKEN={hf_token}\n")).expect("env");
            index.add_path(std::path::Path::new(".env")).expect("add");
        }
        std::fs::write(dir.join("run.sh"), format!("echo {step}\n")).expect("write");
        index.add_path(std::path::Path::new("run.sh")).expect("add");
        let who = git2::Signature::new(
            "ci-bot",
            "ci-bot@users.example",
            &git2::Time::new(burst_start + step * 45, 480),
        )
        .expect("signature");
        commit_index_on_head(&repo, &mut index, &who, "update");
    }
}

/// Every table of the document as (header cells, cells written in each body row). The parser
/// finds the tables and their headers; the body cells are counted in the Markdown source,
/// because the parser pads a short row and drops a long row's extra cells, so counts taken from
/// its events always equal the header's.
fn tables(markdown: &str) -> Vec<(Vec<String>, Vec<usize>)> {
    let mut found = Vec::new();
    let mut header: Vec<String> = Vec::new();
    let mut rows: Vec<usize> = Vec::new();
    let mut in_head = false;
    let mut text = String::new();
    for (event, range) in Parser::new_ext(markdown, Options::ENABLE_TABLES).into_offset_iter() {
        match event {
            Event::Start(Tag::Table(_)) => {
                header.clear();
                rows.clear();
            }
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableRow) => rows.push(written_cells(&markdown[range])),
            Event::Start(Tag::TableCell) => text.clear(),
            Event::End(TagEnd::TableCell) if in_head => header.push(text.clone()),
            Event::End(TagEnd::Table) => found.push((header.clone(), rows.clone())),
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            _ => {}
        }
    }
    found
}

/// The cells of one table row as written: separated by `|` that no backslash escapes, the
/// leading and trailing pipes optional.
fn written_cells(row: &str) -> usize {
    let row = row.trim();
    let mut separators = Vec::new();
    let mut escaped = false;
    for (at, c) in row.char_indices() {
        match c {
            '\\' => escaped = !escaped,
            '|' if !escaped => separators.push(at),
            _ => escaped = false,
        }
        if c == '|' {
            escaped = false;
        }
    }
    let leading = separators.first() == Some(&0);
    let trailing = row.len() > 1 && separators.last() == Some(&(row.len() - 1));
    separators.len() + 1 - usize::from(leading) - usize::from(trailing)
}

#[test]
fn the_table_check_sees_rows_with_too_few_or_too_many_cells() {
    let markdown = "| a | b |\n|---|---|\n| 1 | 2 |\n| short |\n| 1 | 2 | 3 |\n| x \\| y | `z` |\nno | pipes | around\n";
    let tables = tables(markdown);
    assert_eq!(tables.len(), 1, "{tables:?}");
    let (header, rows) = &tables[0];
    assert_eq!(header, &["a", "b"]);
    assert_eq!(rows, &[2, 1, 3, 2, 3]);
}

#[test]
#[ignore = "needs a Docker engine"]
fn the_report_has_every_section_and_no_raw_secret() {
    if !need_docker("the_report_has_every_section_and_no_raw_secret") {
        return;
    }
    let hf_token = format!("hf_{}", random_token(34));
    let vllm_key = random_token(32);
    let mut containers = Containers::new();
    let open = containers.open_http("report-open", "0.0.0.0::80", &[]);
    let vllm = containers.open_http(
        "report-vllm",
        "127.0.0.1::80",
        &["-e", &format!("VLLM_API_KEY={vllm_key}")],
    );
    std::thread::sleep(Duration::from_millis(300));
    let fake = FakeNvml::new(
        NvmlBuild::Current,
        &format!(
            "gpu name=\"NVIDIA A100-SXM4-80GB\" uuid=GPU-r util=91 mem_total=85899345920 mem_used=2147483648\n\
             proc gpu=0 pid={} used=2147483648 sm=90\n",
            container_pid(&open)
        ),
    );
    let repo = tempfile::tempdir().expect("tempdir");
    incident_repo(repo.path(), &hf_token);

    // The vLLM key was rotated before the report: a mark made earlier, in vigil's state.
    let sandbox = Sandbox::new();
    let fingerprint = format!("{:x}", Sha256::digest(vllm_key.as_bytes()));
    std::fs::write(
        sandbox.marks_file(),
        format!(
            "{{\"kind\":\"secret\",\"key\":\"{fingerprint}\",\"note\":\"rotated in the vLLM config\",\"at\":\"2026-11-22T01:00:00Z\",\"user\":\"alice\"}}\n"
        ),
    )
    .expect("marks");

    let repo_arg = repo.path().to_str().expect("utf8");
    let (code, stdout, stderr) = vigil(
        &sandbox,
        &[
            "report",
            "--format",
            "json",
            "--repo",
            repo_arg,
            "--nvml-lib",
            fake.path(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains(&hf_token) && !stdout.contains(&vllm_key),
        "raw secret in JSON"
    );
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(json["schema"], "vigil-incident-report/1");
    assert_matches_report_schema(&json);
    // The schema is strict: a level it does not know, or a field left out, is caught.
    let mut broken = json.clone();
    broken["exposure"]["containers"][0]["risk"] = "severe".into();
    broken["header"]
        .as_object_mut()
        .expect("header")
        .remove("operator");
    assert_eq!(
        report_schema_errors(&broken).len(),
        2,
        "{:?}",
        report_schema_errors(&broken)
    );
    let header = &json["header"];
    for field in [
        "host",
        "time_utc",
        "time_local",
        "vigil_version",
        "docker_version",
        "operator",
    ] {
        assert!(
            header[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {header}"
        );
    }
    assert_eq!(header["read_only"], false);

    // Exposure: the open container, critical, with the GPU reason first.
    let row = container(&json["exposure"], &open);
    assert_eq!(row["risk"], "critical");
    assert_eq!(
        row["reasons"][0],
        "GPU in use by an unauthenticated public service (GPU 0:2.0G)"
    );
    assert_eq!(
        json["gpu"]["gpus"][0]["processes"][0]["container_name"],
        open.as_str()
    );

    // Secrets: the token in history and in the tree, the key in the container, marked rotated.
    let secrets = json["secrets"].as_array().expect("secrets");
    let hf = secrets
        .iter()
        .find(|s| s["masked"].as_str().is_some_and(|m| m.starts_with("hf_")))
        .unwrap_or_else(|| panic!("{secrets:#?}"));
    assert!(!hf["history"].as_array().expect("history").is_empty());
    assert!(!hf["worktree"].as_array().expect("worktree").is_empty());
    assert_eq!(hf["rotated"], Value::Null);
    let key = secrets
        .iter()
        .find(|s| s["fingerprint"] == fingerprint.as_str())
        .expect("the vLLM key");
    assert!(key["containers"].to_string().contains(&vllm), "{key}");
    assert_eq!(key["rotated"], "rotated in the vLLM config");

    // Commits: the burst is suspicious; the safe state is the last benign commit.
    let repository = &json["repositories"][0];
    assert!(
        !repository["suspicious"]
            .as_array()
            .expect("suspicious")
            .is_empty()
    );
    assert!(!repository["bursts"].as_array().expect("bursts").is_empty());
    assert!(repository["safe_state"].is_string());

    // The checklist and what remains.
    let checklist = &json["checklist"];
    assert_eq!(checklist["secrets_rotated"], 1);
    assert!(checklist["secrets_found"].as_u64().is_some_and(|n| n >= 2));
    assert!(
        checklist["exposures_found"]
            .as_u64()
            .is_some_and(|n| n >= 1)
    );
    assert!(
        checklist["commits_flagged"]
            .as_u64()
            .is_some_and(|n| n >= 1)
    );
    let remaining: Vec<&str> = json["remaining"]
        .as_array()
        .expect("remaining")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        remaining
            .iter()
            .any(|r| r.starts_with(&format!("isolate {open}"))),
        "{remaining:?}"
    );
    assert!(
        remaining
            .iter()
            .any(|r| r.starts_with("rotate ") && r.contains("hf_"))
    );
    assert!(remaining.iter().any(|r| r.starts_with("review commit ")));
    assert!(
        !remaining
            .iter()
            .any(|r| r.contains(key["masked"].as_str().expect("masked"))),
        "the rotated key is not open: {remaining:?}"
    );

    // Markdown to a file: the same content, tables well formed, nothing raw.
    let output = sandbox.path().join("incident.md");
    let (code, stdout, stderr) = vigil(
        &sandbox,
        &[
            "report",
            "--repo",
            repo_arg,
            "--nvml-lib",
            fake.path(),
            "--output",
            output.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "the report went to the file");
    assert!(stderr.contains("report written to"), "{stderr}");
    let markdown = std::fs::read_to_string(&output).expect("report file");
    assert!(
        !markdown.contains(&hf_token) && !markdown.contains(&vllm_key),
        "raw secret in Markdown"
    );
    assert!(
        !markdown.chars().any(|c| c.is_control() && c != '\n'),
        "control characters"
    );
    for heading in [
        "## Recovery checklist",
        "## Exposure audit",
        "## GPUs",
        "## Secrets",
        "## Suspicious commits",
        "## Actions taken",
        "## What remains",
    ] {
        assert!(markdown.contains(heading), "{heading} missing:\n{markdown}");
    }
    let tables = tables(&markdown);
    assert!(tables.len() >= 6, "{} tables:\n{markdown}", tables.len());
    for (header, rows) in &tables {
        assert!(!rows.is_empty(), "empty table {header:?}");
        for cells in rows {
            assert_eq!(
                *cells,
                header.len(),
                "a row of {header:?} has {cells} cells"
            );
        }
    }
    let exposure = tables
        .iter()
        .find(|(h, _)| h.first().is_some_and(|c| c == "container"))
        .expect("exposure table");
    assert_eq!(exposure.0.len(), 6);
    assert!(
        markdown.contains(&format!("| {open} | running |")),
        "{markdown}"
    );
}

#[test]
#[ignore = "needs Docker and tmux"]
fn r_in_the_tui_writes_the_report_from_the_panes_in_under_a_second() {
    if !need_docker("r_in_the_tui_writes_the_report_from_the_panes_in_under_a_second")
        || !need_tmux("r_in_the_tui_writes_the_report_from_the_panes_in_under_a_second")
    {
        return;
    }
    let hf_token = format!("hf_{}", random_token(34));
    let repo = tempfile::tempdir().expect("tempdir");
    incident_repo(repo.path(), &hf_token);
    let sandbox = Sandbox::new();
    let command = format!(
        "{} --read-only --repo {}",
        vigil_bin(),
        repo.path().display()
    );
    let tmux = Tmux::start(&command, &sandbox.env(), 200, 50);
    // The panes have their data: the timeline is read and the secret scan is done.
    tmux.wait_for("the panes' data", Duration::from_secs(30), |s| {
        s.contains("safe state") && s.contains("hf_")
    });
    tmux.keys(&["R"]);
    tmux.wait_for("the report path", Duration::from_secs(10), |s| {
        s.contains("incident report written to ")
    });
    let screen = tmux.capture();
    let line = line_with(&screen, "incident report written to ").expect("status line");
    let rest = line
        .split("incident report written to ")
        .nth(1)
        .expect("path");
    let path = rest.split(" (").next().expect("path").trim();
    let millis: u64 = rest
        .split(" (")
        .nth(1)
        .and_then(|r| r.split(" ms").next())
        .and_then(|n| n.parse().ok())
        .expect("time in ms");
    eprintln!("the report from the panes took {millis} ms");
    assert!(millis < 1000, "the report took {millis} ms");
    assert!(
        path.starts_with(&sandbox.path().display().to_string()),
        "{path}"
    );
    let markdown = std::fs::read_to_string(path).expect("report file");
    assert!(!markdown.contains(&hf_token), "raw secret in the report");
    assert!(
        markdown.contains("| mode | read-only (observer) |"),
        "{markdown}"
    );
    assert!(!markdown.contains("| Docker | unavailable |"), "{markdown}");
    // (Whether the secret scan had finished depends on other tests' containers changing the
    // engine meanwhile, which restarts the scan: the header says so when it had not.)
    assert!(markdown.contains("## Suspicious commits"));
    assert!(markdown.contains("hf_"), "the token, masked: {markdown}");
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(10), |s| {
        s.contains("VIGIL-EXITED:0")
    });
}
