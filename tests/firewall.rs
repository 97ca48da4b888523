//! `vigil block` / `vigil unblock` against the real kernel firewall, measured from an outside
//! client in a network namespace. The test uses its own nftables table name, so it never touches
//! an operator's rules, and checks that the ruleset is exactly as it found it afterwards.

mod common;

use common::*;

/// The tests compare full rule dumps, so they must not change the ruleset under each other:
/// they take turns.
static FIREWALL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn take_turn() -> std::sync::MutexGuard<'static, ()> {
    FIREWALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn ruleset() -> String {
    // -s: stateless, so packet counters of Docker's own rules do not count as a change.
    String::from_utf8_lossy(&run("nft", &["-s", "list", "ruleset"]).stdout).into_owned()
}

#[test]
fn block_and_unblock_a_published_port_ipv4_and_ipv6() {
    let available = docker_available()
        && is_root()
        && tool_available("nft")
        && tool_available("ip")
        && tool_available("busybox");
    if !need(
        "block_and_unblock_a_published_port_ipv4_and_ipv6",
        available,
        "Docker, root, nft, iproute2 and busybox",
    ) {
        return;
    }
    let _turn = take_turn();
    let mut containers = Containers::new();
    let name = containers.add(
        "fw",
        &["--init", "-p", "0.0.0.0::80", "-p", "[::]::80"],
        &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
        true,
    );
    let port = containers.host_port(&name, "80/tcp");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let outsider = Outsider::create();
    let before = ruleset();
    // Docker publishes on IPv6 only where the engine and kernel allow it: measure, then require
    // the block to hold on every family that was reachable before.
    let listens_v6 = String::from_utf8_lossy(&run("ss", &["-ltnH"]).stdout)
        .lines()
        .any(|l| l.contains(&format!("[::]:{port} ")));
    // IPv6 on a fresh veth needs a moment (link-local address, neighbour discovery).
    let v6_served = listens_v6
        && (0..25).any(|_| {
            let reached = outsider.reaches_v6(port);
            if !reached {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            reached
        });
    assert_eq!(
        v6_served, listens_v6,
        "an IPv6 listener on {port} must be reachable from outside before the block"
    );
    assert!(
        outsider.reaches(port),
        "reachable from outside before the block"
    );

    let sandbox = Sandbox::new();
    let audit = sandbox.path().join("audit.jsonl");
    let audit_arg = audit.to_str().expect("utf8");
    let mut env_cmd = std::process::Command::new(vigil_bin());
    env_cmd
        .args([
            "block",
            &port.to_string(),
            "--yes",
            "--audit-log",
            audit_arg,
        ])
        .envs(sandbox.env());
    let output = env_cmd.output().expect("vigil block");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("published by: {name}")),
        "{stdout}"
    );

    assert!(
        !outsider.reaches(port),
        "IPv4 still reachable from outside after the block"
    );
    if v6_served {
        assert!(
            !outsider.reaches_v6(port),
            "IPv6 still reachable from outside after the block"
        );
    }
    // The host itself still reaches it.
    let local = std::net::TcpStream::connect(("127.0.0.1", port));
    assert!(local.is_ok(), "the host lost access to its own port");

    let records: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .expect("audit")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let action_id = records[0]["action_id"].as_str().expect("id").to_string();
    assert_eq!(records[1]["result"], "applied");
    assert_eq!(records[1]["after"]["blocked"][0], format!("{port}/tcp"));

    let output = std::process::Command::new(vigil_bin())
        .args(["undo", &action_id, "--yes", "--audit-log", audit_arg])
        .envs(sandbox.env())
        .output()
        .expect("vigil undo");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(outsider.reaches(port), "reachable again after the undo");
    if v6_served {
        assert!(
            outsider.reaches_v6(port),
            "IPv6 reachable again after the undo"
        );
    }
    assert_eq!(ruleset(), before, "the firewall is exactly as it was found");
    eprintln!("IPv6 path through docker-proxy checked: {v6_served}");
}

#[test]
fn unblock_refuses_what_vigil_did_not_block_and_bad_ports() {
    let available = docker_available() && tool_available("nft");
    if !need(
        "unblock_refuses_what_vigil_did_not_block_and_bad_ports",
        available,
        "Docker and nft",
    ) {
        return;
    }
    let sandbox = Sandbox::new();
    let output = std::process::Command::new(vigil_bin())
        .args(["unblock", "5000-5003", "--yes"])
        .envs(sandbox.env())
        .output()
        .expect("vigil unblock");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not blocked by vigil"));
    let (code, _, stderr) = vigil(&sandbox, &["block", "80;reboot", "--dry-run"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is not a port"), "{stderr}");
}

#[test]
fn block_from_the_tui_by_typing_the_port() {
    let available = docker_available()
        && is_root()
        && tool_available("nft")
        && tool_available("ip")
        && tool_available("busybox")
        && tool_available("tmux");
    if !need(
        "block_from_the_tui_by_typing_the_port",
        available,
        "Docker, root, nft, iproute2, busybox and tmux",
    ) {
        return;
    }
    let _turn = take_turn();
    let mut containers = Containers::new();
    let name = containers.open_http("fw-tui", "0.0.0.0::80", &["--init"]);
    let port = containers.host_port(&name, "80/tcp");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let outsider = Outsider::create();
    let before = ruleset();
    assert!(outsider.reaches(port));

    let sandbox = Sandbox::new();
    let tmux = Tmux::start(vigil_bin(), &sandbox.env(), 160, 45);
    let wait = std::time::Duration::from_secs(10);
    tmux.wait_for("container listed", wait, |s| s.contains(&name));
    tmux.keys(&["/"]);
    tmux.keys(&["-l", &name]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("filtered", wait, |s| s.contains("1 shown"));

    // The prompt is prefilled with the container's public port; the plan asks for it typed.
    tmux.keys(&["f"]);
    tmux.wait_for("port prompt", wait, |s| s.contains(&format!("> {port}")));
    tmux.keys(&["Enter"]);
    tmux.wait_for("block plan", wait, |s| {
        s.contains(&format!("Type `{port}`")) && s.contains("published by")
    });
    // A wrong answer cancels and changes nothing.
    tmux.keys(&["-l", "1"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("cancelled", wait, |s| s.contains("did not match"));
    assert!(
        outsider.reaches(port),
        "a wrong confirmation must change nothing"
    );

    tmux.keys(&["f"]);
    tmux.wait_for("port prompt again", wait, |s| {
        s.contains(&format!("> {port}"))
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("block plan again", wait, |s| {
        s.contains(&format!("Type `{port}`"))
    });
    tmux.keys(&["-l", &port.to_string()]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("block applied", wait, |s| s.contains("Done: applied"));
    assert!(!outsider.reaches(port), "blocked from outside");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "host still reaches it"
    );

    // Undo from the actions view restores reachability and leaves the firewall as found.
    tmux.keys(&["x", "a"]);
    tmux.wait_for("actions view with the block row", wait, |s| {
        s.lines()
            .any(|l| l.contains("│") && l.contains(" block ") && l.contains("applied"))
    });
    tmux.keys(&["u"]);
    tmux.wait_for("unblock plan", wait, |s| s.contains("UNBLOCK port"));
    tmux.keys(&["-l", &port.to_string()]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("unblock applied", wait, |s| s.contains("Done: applied"));
    assert!(outsider.reaches(port), "reachable again after undo");
    assert_eq!(ruleset(), before, "the firewall is exactly as it was found");
    tmux.keys(&["x", "q"]);
}

#[test]
fn missing_firewall_rights_are_said_up_front() {
    let available = is_root() && tool_available("setpriv") && tool_available("nft");
    if !need(
        "missing_firewall_rights_are_said_up_front",
        available,
        "root, setpriv and nft",
    ) {
        return;
    }
    let (code, stderr) = vigil_as_nobody(&["block", "5000", "--yes"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("needs root (CAP_NET_ADMIN)"), "{stderr}");
}
