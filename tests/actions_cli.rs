//! `vigil stop`, `vigil undo`, `vigil actions` on a real engine: plan, confirmation, audit trail.

mod common;
#[path = "common/docker.rs"]
mod docker;

use common::{
    Sandbox, docker_available, need, need_docker, random_token, run, tool_available, vigil,
    vigil_bin,
};
use docker::{Containers, docker};
use serde_json::Value;

fn state(name: &str) -> String {
    docker(&["inspect", "-f", "{{.State.Status}}", name])
}

/// The planned and outcome records, without the step journal.
fn audit_records(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("audit line is JSON"))
        .filter(|r| r["phase"] != "step")
        .collect()
}

/// A running container that exits promptly on SIGTERM (`--init` forwards it), with a secret.
fn running_with_secret(
    containers: &mut Containers,
    label: &str,
    extra: &[&str],
) -> (String, String) {
    let token = random_token(32);
    let env = format!("VLLM_API_KEY={token}");
    let mut args = vec!["--init", "-p", "127.0.0.1::80", "-e", env.as_str()];
    args.extend(extra);
    let name = containers.add(
        label,
        &args,
        &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
        true,
    );
    (name, token)
}

#[test]
#[ignore = "needs a Docker engine"]
fn stop_then_undo_with_a_complete_audit_trail() {
    if !need_docker("stop_then_undo_with_a_complete_audit_trail") {
        return;
    }
    let mut containers = Containers::new();
    let (name, token) = running_with_secret(&mut containers, "act-stop", &[]);
    let sandbox = Sandbox::new();
    let audit = sandbox.path().join("audit.jsonl");
    let audit_arg = audit.to_str().expect("utf8");

    // Dry run: the plan, nothing changed, nothing recorded.
    let (code, stdout, _) = vigil(
        &sandbox,
        &["stop", &name, "--dry-run", "--audit-log", audit_arg],
    );
    assert_eq!(code, 0);
    // The command names the container by id: the one the plan shows, whatever its name.
    let id = docker(&["inspect", "-f", "{{.Id}}", &name]);
    assert!(
        stdout.contains(&format!("$ docker stop {}", &id.trim()[..12])),
        "{stdout}"
    );
    assert!(stdout.contains("Undo: vigil undo "), "{stdout}");
    assert_eq!(state(&name), "running");
    assert!(!audit.exists(), "a dry run records nothing");

    // No terminal and no --yes: refused, default answer is No.
    let (code, _, stderr) = vigil(&sandbox, &["stop", &name, "--audit-log", audit_arg]);
    assert_eq!(code, 1);
    assert!(stderr.contains("pass --yes"), "{stderr}");
    assert_eq!(state(&name), "running");

    let started = std::time::Instant::now();
    let (code, stdout, stderr) = vigil(
        &sandbox,
        &["stop", &name, "--yes", "--audit-log", audit_arg],
    );
    eprintln!("stop took {:?}", started.elapsed());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(state(&name), "exited");

    let records = audit_records(&audit);
    assert_eq!(records.len(), 2, "planned + outcome");
    let (planned, outcome) = (&records[0], &records[1]);
    assert_eq!(planned["phase"], "planned");
    assert_eq!(outcome["phase"], "outcome");
    assert_eq!(outcome["result"], "applied");
    let action_id = planned["action_id"].as_str().expect("id").to_string();
    for record in &records {
        assert_eq!(record["action"], "stop");
        assert_eq!(record["target"]["name"], name.as_str());
        assert_eq!(record["target"]["id"].as_str().expect("id").len(), 64);
        assert_eq!(record["user"], "root");
        assert!(record["host"].is_string());
        assert!(record["time"].as_str().expect("time").ends_with('Z'));
        assert!(record["undo"].as_str().expect("undo").contains(&action_id));
        assert!(!record["steps"].as_array().expect("steps").is_empty());
    }
    assert_eq!(planned["before"]["state"], "running");
    assert_eq!(outcome["after"]["state"], "exited");
    let raw = std::fs::read_to_string(&audit).expect("audit");
    assert!(!raw.contains(&token), "no raw secret in the audit log");

    let (code, stdout, _) = vigil(
        &sandbox,
        &["actions", "--format", "json", "--audit-log", audit_arg],
    );
    assert_eq!(code, 0);
    let actions: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(actions["actions"][0]["state"], "applied");

    let (code, stdout, stderr) = vigil(
        &sandbox,
        &["undo", &action_id, "--yes", "--audit-log", audit_arg],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(state(&name), "running");
    let (_, stdout, _) = vigil(
        &sandbox,
        &["actions", "--format", "json", "--audit-log", audit_arg],
    );
    let actions: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(actions["actions"][0]["state"], "undone");
    assert_eq!(actions["actions"][1]["action"], "start");

    let (code, _, stderr) = vigil(
        &sandbox,
        &["undo", &action_id, "--yes", "--audit-log", audit_arg],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("already undone"), "{stderr}");
}

#[test]
#[ignore = "needs a Docker engine"]
fn observer_mode_and_unwritable_audit_log_refuse_before_acting() {
    if !need_docker("observer_mode_and_unwritable_audit_log_refuse_before_acting") {
        return;
    }
    let mut containers = Containers::new();
    let (name, _) = running_with_secret(&mut containers, "act-refuse", &[]);
    let sandbox = Sandbox::new();

    let (code, _, stderr) = vigil(&sandbox, &["--read-only", "stop", &name, "--yes"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("read-only mode"), "{stderr}");
    assert_eq!(state(&name), "running");

    // A path under a regular file can never be created, even by root.
    let blocker = sandbox.path().join("not-a-directory");
    std::fs::write(&blocker, "x").expect("write");
    let audit = blocker.join("audit.jsonl");
    let (code, _, stderr) = vigil(
        &sandbox,
        &[
            "stop",
            &name,
            "--yes",
            "--audit-log",
            audit.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("audit log"), "{stderr}");
    assert_eq!(
        state(&name),
        "running",
        "nothing happens without an audit trail"
    );
}

#[test]
#[ignore = "needs a Docker engine"]
fn plans_warn_about_rm_compose_and_always() {
    if !need_docker("plans_warn_about_rm_compose_and_always") {
        return;
    }
    let mut containers = Containers::new();
    let (rm, _) = running_with_secret(&mut containers, "act-rm", &["--rm"]);
    let (compose, _) = running_with_secret(
        &mut containers,
        "act-compose",
        &[
            "--label",
            "com.docker.compose.project=genai",
            "--label",
            "com.docker.compose.service=webui",
            "--restart",
            "always",
        ],
    );
    let sandbox = Sandbox::new();
    let (code, stdout, _) = vigil(&sandbox, &["stop", &rm, "--dry-run"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("stopping DELETES it"), "{stdout}");
    assert!(
        stdout.contains(&format!("Type `{rm}` to proceed")),
        "{stdout}"
    );
    let (code, stdout, _) = vigil(&sandbox, &["stop", &compose, "--dry-run"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("docker compose (project genai)"),
        "{stdout}"
    );
    assert!(stdout.contains("restart policy `always`"), "{stdout}");
    let (code, _, stderr) = vigil(
        &sandbox,
        &["stop", "vigil-test-does-not-exist-anywhere", "--dry-run"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("no container named"), "{stderr}");
}

/// The shared libraries the vigil binary needs, from `ldd`, so it can run inside a busybox
/// container with exactly those files mounted.
fn library_mounts() -> Vec<String> {
    let output = run("ldd", &[vigil_bin()]);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let path = match line.split_once("=>") {
                Some((_, right)) => right.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| path.to_string())
        })
        .map(|path| {
            let real = std::fs::canonicalize(&path).expect("library path");
            format!("{}:{path}:ro", real.display())
        })
        .collect()
}

#[test]
#[ignore = "needs a Docker engine and ldd"]
fn vigil_refuses_to_act_on_its_own_container() {
    let available = docker_available() && tool_available("ldd");
    if !need(
        "vigil_refuses_to_act_on_its_own_container",
        available,
        "Docker and ldd",
    ) {
        return;
    }
    let mut containers = Containers::new();
    let binary = format!("{}:/vigil:ro", vigil_bin());
    let mut args = vec![
        "--init".to_string(),
        "-v".into(),
        "/var/run/docker.sock:/var/run/docker.sock".into(),
        "-v".into(),
        binary,
    ];
    for mount in library_mounts() {
        args.extend(["-v".to_string(), mount]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let name = containers.add("self", &args, &["/bin/busybox", "sleep", "300"], true);

    // vigil running inside that container (Docker's default private cgroup namespace on
    // cgroup v2 hides the id from /proc/self/cgroup) is asked to stop and rebind it.
    for action in ["stop", "rebind"] {
        let output = std::process::Command::new("docker")
            .args([
                "exec",
                &name,
                "/vigil",
                action,
                &name,
                "--yes",
                "--audit-log",
                "/tmp/audit.jsonl",
            ])
            .output()
            .expect("docker exec");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{action}: {stderr}");
        assert!(
            stderr.contains("refused") && stderr.contains("container vigil itself runs in"),
            "{action}: {stderr}"
        );
    }
    assert_eq!(state(&name), "running", "its own container was left alone");
}
