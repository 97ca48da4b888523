//! Remediation through the real TUI in tmux, and proof that observer mode cannot act.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, need_docker, need_tmux, random_token, vigil_bin};
use docker::{Containers, DockerProxy, docker};
use std::time::Duration;
use tmux::{Tmux, send_signal};

fn state(name: &str) -> String {
    docker(&["inspect", "-f", "{{.State.Status}}", name])
}

fn filter_to(tmux: &Tmux, name: &str) {
    tmux.keys(&["/"]);
    tmux.keys(&["-l", name]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("filtered row", Duration::from_secs(5), |s| {
        s.contains("1 shown") && s.contains(name)
    });
}

#[test]
#[ignore = "needs Docker and tmux"]
fn stop_cancel_confirm_and_undo_through_the_tui() {
    let test = "stop_cancel_confirm_and_undo_through_the_tui";
    if !need_docker(test) || !need_tmux(test) {
        return;
    }
    let mut containers = Containers::new();
    let token = random_token(32);
    let name = containers.add(
        "tui-act",
        &[
            "--init",
            "-p",
            "0.0.0.0::80",
            "-e",
            &format!("HF_TOKEN=hf_{token}"),
        ],
        &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
        true,
    );
    let sandbox = Sandbox::new();
    let audit = sandbox.path().join("state/vigil/audit.jsonl");
    let tmux = Tmux::start(vigil_bin(), &sandbox.env(), 160, 45);
    tmux.wait_for("container listed", Duration::from_secs(10), |s| {
        s.contains(&name)
    });
    filter_to(&tmux, &name);

    // The default answer is No: any key but `y` cancels. The command names the container by id.
    let short_id = docker(&["inspect", "-f", "{{.Id}}", &name])[..12].to_string();
    tmux.keys(&["s"]);
    tmux.wait_for("plan shown", Duration::from_secs(5), |s| {
        s.contains("Proceed? [y/N]") && s.contains(&format!("$ docker stop {short_id}"))
    });
    tmux.keys(&["n"]);
    tmux.wait_for("cancelled", Duration::from_secs(5), |s| {
        s.contains("nothing was changed")
    });
    assert_eq!(state(&name), "running");

    tmux.keys(&["s"]);
    tmux.wait_for("plan shown again", Duration::from_secs(5), |s| {
        s.contains("Proceed? [y/N]")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("stop done", Duration::from_secs(20), |s| {
        s.contains("Done: applied")
    });
    assert_eq!(state(&name), "exited");
    tmux.keys(&["x"]);
    tmux.wait_for("row updated", Duration::from_secs(5), |s| {
        s.lines()
            .find(|l| l.contains(&name) && !l.contains("filter"))
            .is_some_and(|row| row.contains("exited"))
    });

    // The actions view lists it; `u` plans the undo, `y` runs it.
    tmux.keys(&["a"]);
    tmux.wait_for(
        "actions view with the stop row",
        Duration::from_secs(5),
        |s| {
            s.lines()
                .any(|l| l.contains("│") && l.contains(" stop ") && l.contains("applied"))
        },
    );
    tmux.keys(&["u"]);
    tmux.wait_for("undo plan", Duration::from_secs(5), |s| {
        s.contains("START container") && s.contains("Proceed? [y/N]")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("undo done", Duration::from_secs(20), |s| {
        s.contains("Done: applied")
    });
    assert_eq!(state(&name), "running");
    tmux.keys(&["x", "a"]);
    tmux.wait_for("stop shown as undone", Duration::from_secs(5), |s| {
        s.contains("undone")
    });

    let text = std::fs::read_to_string(&audit).expect("audit log written");
    assert!(!text.contains(&token), "no raw secret in the audit log");
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let results: Vec<&str> = records
        .iter()
        .filter_map(|r| r["result"].as_str())
        .collect();
    // The stop applied; then the stop's new state (undone) before the undo's own outcome, so
    // a kill between the two never leaves a finished undo whose stop reads "applied".
    assert_eq!(results, vec!["applied", "undone", "applied"], "{text}");
    tmux.keys(&["Escape", "q"]);
}

#[test]
#[ignore = "needs Docker and tmux"]
fn observer_mode_sends_only_get_requests_and_runs_no_firewall_tool() {
    let test = "observer_mode_sends_only_get_requests_and_runs_no_firewall_tool";
    if !need_docker(test) || !need_tmux(test) {
        return;
    }
    let mut containers = Containers::new();
    let name = containers.add(
        "ro",
        &["--init", "-p", "0.0.0.0::80"],
        &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
        true,
    );
    let sandbox = Sandbox::new();
    let socket = sandbox.path().join("recording.sock");
    let proxy = DockerProxy::start(&socket);

    // A PATH shim: any firewall or container tool vigil ran leaves a line here.
    let shims = sandbox.path().join("shims");
    std::fs::create_dir_all(&shims).expect("mkdir");
    let ran = sandbox.path().join("tools-run.log");
    for tool in [
        "iptables",
        "ip6tables",
        "nft",
        "ufw",
        "firewall-cmd",
        "docker",
        "iptables-legacy",
        "iptables-nft",
        "iptables-save",
        "ip6tables-save",
    ] {
        let script = shims.join(tool);
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho {tool} \"$@\" >> {}\n", ran.display()),
        )
        .expect("shim");
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
    }
    let mut env = sandbox.env();
    env.push((
        "PATH".into(),
        format!(
            "{}:{}",
            shims.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    ));
    let tmux = Tmux::start(
        &format!(
            "{} --read-only --docker-host unix://{}",
            vigil_bin(),
            socket.display()
        ),
        &env,
        160,
        45,
    );
    tmux.wait_for("container listed", Duration::from_secs(10), |s| {
        s.contains(&name) && s.contains("[RO]")
    });
    filter_to(&tmux, &name);

    // Every key of the keymap, and the answers a confirmation would take.
    for key in [
        "s", "y", "b", "y", "f", "y", "a", "u", "y", "Escape", "Enter", "Escape", "r", "?",
        "Escape", "Tab", "s", "1", "j", "k", "PageDown", "PageUp", "Home", "End", "z", "z", "2",
        "3", "4", "1", "g", "G",
    ] {
        tmux.keys(&[key]);
        std::thread::sleep(Duration::from_millis(60));
    }
    tmux.keys(&["s"]);
    tmux.wait_for("refusal", Duration::from_secs(5), |s| {
        s.contains("read-only: observer mode cannot")
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(state(&name), "running");

    let methods = proxy.requests();
    assert!(!methods.is_empty(), "the proxy saw vigil's requests");
    let writes: Vec<&String> = methods.iter().filter(|m| !m.starts_with("GET ")).collect();
    assert!(
        writes.is_empty(),
        "observer mode sent non-GET requests: {writes:?}"
    );
    // Only the listings the firewall verdict reads (they change nothing), never a change.
    let listed = std::fs::read_to_string(&ran).unwrap_or_default();
    let changes: Vec<&str> = listed
        .lines()
        .filter(|l| {
            !matches!(
                l.trim(),
                "nft -j list ruleset" | "iptables-save" | "ip6tables-save"
            )
        })
        .collect();
    assert!(changes.is_empty(), "observer mode ran a tool: {changes:?}");
    assert!(
        listed.contains("nft -j list ruleset"),
        "the firewall is read: {listed}"
    );
    tmux.keys(&["q"]);
}

#[test]
#[ignore = "needs Docker and tmux"]
fn sigterm_mid_action_finishes_and_records_the_action_first() {
    let test = "sigterm_mid_action_finishes_and_records_the_action_first";
    if !need_docker(test) || !need_tmux(test) {
        return;
    }
    let mut containers = Containers::new();
    // No --init: busybox as PID 1 ignores SIGTERM, so the stop takes the full 3 s timeout.
    let name = containers.add(
        "tui-sig",
        &["--stop-timeout", "3", "-p", "127.0.0.1::80"],
        &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
        true,
    );
    let sandbox = Sandbox::new();
    let audit = sandbox.path().join("state/vigil/audit.jsonl");
    let tmux = Tmux::start(vigil_bin(), &sandbox.env(), 160, 45);
    tmux.wait_for("container listed", Duration::from_secs(10), |s| {
        s.contains(&name)
    });
    filter_to(&tmux, &name);
    tmux.keys(&["s"]);
    tmux.wait_for("plan", Duration::from_secs(5), |s| {
        s.contains("Proceed? [y/N]")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("running", Duration::from_secs(5), |s| {
        s.contains("Running …") && s.contains("▶ 1/2 send SIGTERM")
    });
    let pid = tmux.program_pid().expect("vigil pid");
    send_signal(pid, "TERM");
    tmux.wait_for("exit after the action", Duration::from_secs(20), |s| {
        s.contains("VIGIL-EXITED:143")
    });
    assert_eq!(state(&name), "exited");
    let text = std::fs::read_to_string(&audit).expect("audit");
    assert!(
        text.contains("\"phase\":\"outcome\""),
        "the outcome was recorded before exiting:\n{text}"
    );
    assert!(text.contains("\"result\":\"applied\""), "{text}");
    let (alternate, mouse) = tmux.terminal_modes();
    assert!(!alternate && !mouse, "terminal restored");
}

#[test]
#[ignore = "needs Docker and tmux"]
fn rebind_and_commit_through_the_tui() {
    let test = "rebind_and_commit_through_the_tui";
    if !need_docker(test) || !need_tmux(test) {
        return;
    }
    let mut containers = Containers::new();
    // Labelled as compose would label it: the plan must say how to make the rebind durable.
    let name = containers.add(
        "tui-rb",
        &[
            "--init",
            "-p",
            "0.0.0.0::80",
            "--label",
            "com.docker.compose.project=genai",
            "--label",
            "com.docker.compose.service=sdnext",
            "--label",
            "com.docker.compose.project.config_files=/srv/genai/docker-compose.yml",
        ],
        &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
        true,
    );
    containers.names.push(format!("{name}-prev"));
    let port = containers.host_port(&name, "80/tcp");
    let sandbox = Sandbox::new();
    let tmux = Tmux::start(vigil_bin(), &sandbox.env(), 160, 45);
    let wait = Duration::from_secs(15);
    tmux.wait_for("container listed", wait, |s| s.contains(&name));
    filter_to(&tmux, &name);
    tmux.keys(&["b"]);
    tmux.wait_for("rebind plan", wait, |s| {
        s.contains("REBIND container") && s.contains(&format!("Type `{name}`"))
    });
    // The compose override is in the plan (scrolled to when the popup is shorter than it).
    tmux.keys(&["End"]);
    tmux.wait_for("compose override in the plan", wait, |s| {
        s.contains("/srv/genai/compose.override.yaml")
            && s.contains("ports: !override")
            && s.contains(&format!("- \"127.0.0.1:{port}:80\""))
    });
    tmux.keys(&["-l", &name]);
    tmux.keys(&["Enter"]);
    // Every step is reported done, the verification last.
    tmux.wait_for("rebind done", wait, |s| {
        s.contains("Done: applied") && s.contains("✓ 7/") && s.contains("verify that port")
    });
    assert_eq!(
        docker(&[
            "inspect",
            "-f",
            "{{(index (index .NetworkSettings.Ports \"80/tcp\") 0).HostIp}}",
            &name
        ]),
        "127.0.0.1"
    );
    tmux.keys(&["x", "a"]);
    tmux.wait_for("actions view with the rebind row", wait, |s| {
        s.lines()
            .any(|l| l.contains("│") && l.contains(" rebind ") && l.contains("applied"))
    });
    tmux.keys(&["c"]);
    tmux.wait_for("commit plan", wait, |s| {
        s.contains("COMMIT container") && s.contains("Proceed? [y/N]")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("commit done", wait, |s| s.contains("Done: applied"));
    let prev = std::process::Command::new("docker")
        .args(["inspect", &format!("{name}-prev")])
        .output()
        .expect("docker");
    assert!(!prev.status.success(), "NAME-prev removed by the commit");
    tmux.keys(&["x", "q"]);
}
