//! `vigil block` / `vigil unblock` against the real kernel firewall, measured from an outside
//! client in a network namespace. The test uses its own nftables table name, so it never touches
//! an operator's rules, and checks that the ruleset is exactly as it found it afterwards.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/netns.rs"]
mod netns;
#[path = "common/tmux.rs"]
mod tmux;

use common::{
    Sandbox, docker_available, is_root, need, run, tool_available, vigil, vigil_as_nobody,
    vigil_bin,
};
use docker::{Containers, DockerdRestart};
use netns::Outsider;
use tmux::Tmux;

/// The tests compare full rule dumps, so they must not change the ruleset under each other:
/// they take turns.
static FIREWALL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn take_turn() -> std::sync::MutexGuard<'static, ()> {
    FIREWALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The whole ruleset, for before/after comparisons. `-s` (stateless): packet counters of
/// Docker's own rules do not count as a change. With iptables-nft, the first `ip6tables -I`
/// on a host where nothing used IPv6 filtering yet creates the built-in chain it names (an
/// empty, accept-all `INPUT`), which stays after the rule is deleted, as with legacy iptables
/// where built-in chains always exist. Such empty accept-all built-in chains, and tables left
/// empty by them, carry no rule and are left out of the comparison.
fn ruleset() -> String {
    let raw = String::from_utf8_lossy(&run("nft", &["-s", "list", "ruleset"]).stdout).into_owned();
    without_empty_builtin_chains(&raw)
}

fn without_empty_builtin_chains(ruleset: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let lines: Vec<&str> = ruleset.lines().collect();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        let empty_chain = line.trim_start().starts_with("chain ")
            && lines
                .get(index + 1)
                .is_some_and(|l| l.contains("policy accept;"))
            && lines.get(index + 2).is_some_and(|l| l.trim() == "}");
        if empty_chain {
            index += 3;
            continue;
        }
        out.push(line.to_string());
        index += 1;
    }
    // Tables with nothing left in them.
    let text = out.join("\n");
    let mut kept: Vec<&str> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut index = 0;
    while index < lines.len() {
        if lines[index].starts_with("table ") && lines.get(index + 1).is_some_and(|l| *l == "}") {
            index += 2;
            continue;
        }
        kept.push(lines[index]);
        index += 1;
    }
    kept.join("\n")
}

#[test]
fn rule_dumps_ignore_only_empty_accept_all_builtin_chains() {
    let dump = "table ip6 filter {\n\tchain INPUT {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\ntable inet t {\n\tchain c {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 1 drop\n\t}\n}";
    let normalized = without_empty_builtin_chains(dump);
    assert!(!normalized.contains("ip6 filter"), "{normalized}");
    assert!(normalized.contains("tcp dport 1 drop"), "{normalized}");
}

#[test]
#[ignore = "needs Docker, root, nft and network namespaces"]
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
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .filter(|r| r["phase"] != "step")
        .collect();
    let action_id = records[0]["action_id"].as_str().expect("id").to_string();
    assert_eq!(records[1]["result"], "applied");
    assert_eq!(records[1]["after"]["blocked"][0], format!("{port}/tcp"));

    let lines_before_again = std::fs::read_to_string(&audit)
        .expect("audit")
        .lines()
        .count();
    // Blocking it again changes nothing and records nothing: one applied block, never a second
    // record that would go stale when the first is undone.
    let again = std::process::Command::new(vigil_bin())
        .args([
            "block",
            &port.to_string(),
            "--yes",
            "--audit-log",
            audit_arg,
        ])
        .envs(sandbox.env())
        .output()
        .expect("vigil block again");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("already blocked"), "{stderr}");
    let lines = std::fs::read_to_string(&audit)
        .expect("audit")
        .lines()
        .count();
    assert_eq!(lines, lines_before_again, "a refused plan writes no record");

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

/// A PATH holding iptables and ip6tables but no nft: vigil must fall back to iptables.
fn path_without_nft() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for tool in ["iptables", "ip6tables"] {
        let real =
            String::from_utf8_lossy(&run("sh", &["-c", &format!("command -v {tool}")]).stdout)
                .trim()
                .to_string();
        std::os::unix::fs::symlink(&real, dir.path().join(tool)).expect("symlink");
    }
    dir
}

/// Runs vigil in the sandbox with this PATH; returns (status, stdout, stderr).
fn vigil_with_path(
    sandbox: &Sandbox,
    path: &std::path::Path,
    args: &[&str],
) -> (i32, String, String) {
    let output = std::process::Command::new(vigil_bin())
        .args(args)
        .env_clear()
        .env("PATH", path)
        .envs(sandbox.env())
        .output()
        .expect("run vigil");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn first_action_id(audit: &std::path::Path, target_port: u16) -> String {
    std::fs::read_to_string(audit)
        .expect("audit")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|r| r["phase"] == "planned" && r["target"]["name"] == format!("{target_port}/tcp"))
        .and_then(|r| r["action_id"].as_str().map(str::to_string))
        .expect("the block was recorded")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// nft table: one rule covers the published port and the host-network service, IPv4 and IPv6.
#[test]
#[ignore = "needs Docker, root, iptables, nft and network namespaces"]
fn nft_blocks_published_and_host_network_ports_v4_and_v6() {
    blocks_published_and_host_network_ports(
        "nft_blocks_published_and_host_network_ports_v4_and_v6",
        false,
    );
}

/// Where nft is missing: DOCKER-USER rules by original destination port for a published port,
/// INPUT rules for a host-network service, IPv4 and IPv6.
#[test]
#[ignore = "needs Docker, root, iptables, nft and network namespaces"]
fn iptables_fallback_blocks_published_and_host_network_ports_v4_and_v6() {
    blocks_published_and_host_network_ports(
        "iptables_fallback_blocks_published_and_host_network_ports_v4_and_v6",
        true,
    );
}

/// Blocks a published port and a host-network service's port, checks both from outside over
/// IPv4 and IPv6 and from the host, undoes both and compares every table with what was found.
fn blocks_published_and_host_network_ports(test: &str, without_nft: bool) {
    let available = docker_available()
        && is_root()
        && tool_available("iptables")
        && tool_available("ip6tables")
        && tool_available("nft")
        && tool_available("ip")
        && tool_available("busybox");
    if !need(
        test,
        available,
        "Docker, root, iptables, ip6tables, nft, iproute2 and busybox",
    ) {
        return;
    }
    let _turn = take_turn();
    let mut containers = Containers::new();
    let published = containers.open_http(
        if without_nft { "ipt-pub" } else { "nft-pub" },
        "0.0.0.0::80",
        &["--init"],
    );
    let published_port = containers.host_port(&published, "80/tcp");
    let host_port = free_port();
    containers.add(
        if without_nft { "ipt-host" } else { "nft-host" },
        &["--init", "--network", "host"],
        &[
            "/bin/busybox",
            "httpd",
            "-f",
            "-p",
            &host_port.to_string(),
            "-h",
            "/www",
        ],
        true,
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let outsider = Outsider::create();
    let v6_ready = (0..25).any(|_| {
        let reached = outsider.reaches_v6(host_port);
        if !reached {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        reached
    });
    assert!(
        v6_ready,
        "the host-network service answers on IPv6 before the block"
    );
    assert!(outsider.reaches(published_port));
    assert!(outsider.reaches(host_port));
    let before = ruleset();

    let sandbox = Sandbox::new();
    let audit = sandbox.path().join("audit.jsonl");
    let audit_arg = audit.to_str().expect("utf8");
    let shim = path_without_nft();
    let full_path = std::path::PathBuf::from(std::env::var("PATH").unwrap_or_default());
    let path = if without_nft {
        shim.path()
    } else {
        full_path.as_path()
    };
    for port in [published_port, host_port] {
        let (code, stdout, stderr) = vigil_with_path(
            &sandbox,
            path,
            &[
                "block",
                &port.to_string(),
                "--yes",
                "--audit-log",
                audit_arg,
            ],
        );
        assert_eq!(code, 0, "{stdout}{stderr}");
        if without_nft {
            assert!(stdout.contains("iptables fallback"), "{stdout}");
            assert!(
                stdout.contains(
                    "iptables -I DOCKER-USER -p tcp -m conntrack --ctstate DNAT --ctorigdstport"
                ),
                "{stdout}"
            );
            assert!(stdout.contains("ip6tables -I INPUT ! -i lo"), "{stdout}");
        } else {
            let element = format!("nft add element inet {} blocked_tcp", sandbox.firewall_tag);
            assert!(stdout.contains(&element), "{stdout}");
            assert!(!stdout.contains("iptables"), "{stdout}");
        }
    }
    assert!(
        !outsider.reaches(published_port),
        "published port still reachable"
    );
    assert!(
        !outsider.reaches(host_port),
        "host-network port still reachable (IPv4)"
    );
    assert!(
        !outsider.reaches_v6(host_port),
        "host-network port still reachable (IPv6)"
    );
    for port in [published_port, host_port] {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
            "the host lost access to {port}"
        );
    }
    assert!(std::net::TcpStream::connect(("::1", host_port)).is_ok());
    if without_nft {
        let listing =
            String::from_utf8_lossy(&run("iptables", &["-S", "INPUT"]).stdout).into_owned();
        assert!(
            listing.contains(&format!("{}:block:tcp:{host_port}", sandbox.firewall_tag)),
            "{listing}"
        );
    }

    for port in [published_port, host_port] {
        let id = first_action_id(&audit, port);
        let (code, stdout, stderr) = vigil_with_path(
            &sandbox,
            path,
            &["undo", &id, "--yes", "--audit-log", audit_arg],
        );
        assert_eq!(code, 0, "{stdout}{stderr}");
    }
    assert!(outsider.reaches(published_port));
    assert!(outsider.reaches(host_port));
    assert!(outsider.reaches_v6(host_port));
    assert_eq!(ruleset(), before, "every table is exactly as it was found");
}

/// Blocking cuts connections that are already open, and vigil's rules (nft table and iptables
/// fallback alike) are still in force after the Docker daemon restarts and rewrites its own.
#[test]
#[ignore = "needs Docker (restarts dockerd), root, iptables, nft and network namespaces"]
fn blocks_cut_open_connections_and_survive_a_docker_restart() {
    let available = docker_available()
        && is_root()
        && tool_available("nft")
        && tool_available("iptables")
        && tool_available("ip")
        && tool_available("busybox")
        && tool_available("setsid");
    if !need(
        "blocks_cut_open_connections_and_survive_a_docker_restart",
        available,
        "Docker, root, nft, iptables, iproute2, busybox and setsid",
    ) {
        return;
    }
    let _turn = take_turn();
    let mut containers = Containers::new();
    // Fixed host ports: after the daemon restart the containers come back on the same ones.
    let echo_port = free_port();
    let web_port = free_port();
    containers.add(
        "fw-echo",
        &[
            "--init",
            "--restart",
            "always",
            "-p",
            &format!("0.0.0.0:{echo_port}:80"),
        ],
        &[
            "/bin/busybox",
            "nc",
            "-ll",
            "-p",
            "80",
            "-e",
            "/bin/busybox",
            "cat",
        ],
        true,
    );
    containers.add(
        "fw-web",
        &[
            "--init",
            "--restart",
            "always",
            "-p",
            &format!("0.0.0.0:{web_port}:80"),
        ],
        &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
        true,
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let outsider = Outsider::create();
    let patience = std::time::Duration::from_secs(2);
    let mut session = outsider.connect(echo_port);
    assert!(
        session.echoes("before", patience),
        "the echo service answers from outside"
    );
    assert!(outsider.reaches(web_port));

    let sandbox = Sandbox::new();
    let audit = sandbox.path().join("audit.jsonl");
    let audit_arg = audit.to_str().expect("utf8");
    // The echo port through nft, the web port through the iptables fallback.
    let (code, _, stderr) = vigil(
        &sandbox,
        &[
            "block",
            &echo_port.to_string(),
            "--yes",
            "--audit-log",
            audit_arg,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !session.echoes("after the block", patience),
        "an open connection must be cut by the block"
    );
    let shim = path_without_nft();
    let (code, _, stderr) = vigil_with_path(
        &sandbox,
        shim.path(),
        &[
            "block",
            &web_port.to_string(),
            "--yes",
            "--audit-log",
            audit_arg,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!outsider.reaches(web_port));

    let restart = DockerdRestart::restart();
    // Wait until both services are back (restart policy always), seen from the host.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", web_port)).is_err()
        || std::net::TcpStream::connect(("127.0.0.1", echo_port)).is_err()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "containers did not come back"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        !outsider.reaches(web_port),
        "iptables fallback rule lost in the Docker restart"
    );
    assert!(
        !outsider
            .connect(echo_port)
            .echoes("after the restart", patience),
        "nft block lost in the Docker restart"
    );

    for (port, path) in [(echo_port, None), (web_port, Some(shim.path()))] {
        let id = first_action_id(&audit, port);
        let args = ["undo", id.as_str(), "--yes", "--audit-log", audit_arg];
        let (code, _, stderr) = match path {
            Some(path) => vigil_with_path(&sandbox, path, &args),
            None => vigil(&sandbox, &args),
        };
        assert_eq!(code, 0, "{stderr}");
    }
    assert!(outsider.reaches(web_port), "reachable again after the undo");
    assert!(
        outsider
            .connect(echo_port)
            .echoes("after the undo", patience)
    );
    assert!(
        !ruleset().contains(&sandbox.firewall_tag),
        "no rule of this test is left behind"
    );
    drop(restart);
}

#[test]
#[ignore = "needs a Docker engine and nft"]
fn unblock_refuses_what_vigil_did_not_block_and_bad_ports() {
    let available = docker_available() && tool_available("nft");
    if !need(
        "unblock_refuses_what_vigil_did_not_block_and_bad_ports",
        available,
        "Docker and nft",
    ) {
        return;
    }
    let _turn = take_turn();
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
#[ignore = "needs Docker, root, nft, network namespaces and tmux"]
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
#[ignore = "needs root, setpriv and nft"]
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
