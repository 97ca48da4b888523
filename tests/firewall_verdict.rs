//! The firewall verdict against real nftables: rule sets loaded with `nft` into network
//! namespaces the tests create, read back with `nft -j list ruleset` and judged by vigil; and, on
//! the host's own stack, a drop in a table of the test's own checked against what an outside
//! client in a namespace really gets.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/netns.rs"]
mod netns;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, is_root, need, need_docker, need_tmux, tool_available};
use std::process::{Command, Stdio};
use vigil::assess::firewall::{FirewallVerdict, Forwarded, Probe, judge};
use vigil::collect::ruleset::{parse_nft_json, read_host};
use vigil::model::firewall::{L4, Ruleset};

fn need_root_and_nft(test: &str) -> bool {
    need(
        test,
        is_root() && tool_available("nft") && tool_available("ip"),
        "root, nft and ip",
    )
}

/// A network namespace of the test's own, removed on drop.
struct Namespace(String);

impl Namespace {
    fn with_rules(label: &str, rules: &str) -> Namespace {
        let name = common::unique_name(label);
        common::run("ip", &["netns", "add", &name]);
        let namespace = Namespace(name);
        load_nft(&["ip", "netns", "exec", &namespace.0, "nft"], rules);
        namespace
    }

    fn ruleset(&self) -> Ruleset {
        let out = common::run(
            "ip",
            &["netns", "exec", &self.0, "nft", "-j", "list", "ruleset"],
        );
        parse_nft_json(&out.stdout).expect("vigil reads nft's JSON")
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

/// Adds `rule` (nft syntax) to chain `hook` of the test's own table, creating both as needed:
/// a filter chain on that hook at priority -5 with policy accept.
fn own_rule(table: &str, hook: &str, rule: &str) {
    let script = format!(
        "add table inet {table}\n\
         add chain inet {table} {hook} {{ type filter hook {hook} priority -5; policy accept; }}\n\
         add rule inet {table} {hook} {rule}\n"
    );
    load_nft(&["nft"], &script);
}

/// Feeds `script` to `nft -f -`, run as `command` (`nft`, or `ip netns exec NS nft`).
fn load_nft(command: &[&str], script: &str) {
    let mut child = Command::new(command[0])
        .args(&command[1..])
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("nft");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), script.as_bytes())
        .expect("write");
    drop(child.stdin.take());
    assert!(child.wait().expect("nft").success(), "nft loads:\n{script}");
}

const RULES: &str = r#"
table inet filt {
  set blocked { type inet_service; elements = { 8080, 9000 } }
  chain input { type filter hook input priority 0; policy accept;
    ct state established,related accept
    iifname "lo" accept
    ip saddr 10.0.0.0/8 tcp dport 22 accept
    tcp dport 22 drop
    tcp dport @blocked drop
    tcp dport { 5000-5003 } counter reject
    tcp dport vmap { 7000 : drop, 7001 : accept }
  }
  chain forward { type filter hook forward priority 0; policy accept;
    meta l4proto tcp ct original proto-dst 36325 drop
    iifname != "docker0" oifname "docker0" jump user
  }
  chain user {
    tcp dport 81 drop
    return
  }
}
"#;

fn listener(port: u16) -> Probe {
    Probe {
        v6: false,
        l4: L4::Tcp,
        host_port: port,
        forwarded: None,
        interfaces: vec!["eth0".into()],
    }
}

fn published(host_port: u16, container_port: u16) -> Probe {
    Probe {
        forwarded: Some(Forwarded {
            container_port,
            container_ip: Some("172.17.0.2".parse().expect("ip")),
            bridge: Some("docker0".into()),
        }),
        ..listener(host_port)
    }
}

fn filtered_by(verdict: FirewallVerdict) -> Option<String> {
    match verdict {
        FirewallVerdict::Filtered { rule, .. } => Some(rule),
        _ => None,
    }
}

#[test]
#[ignore = "needs root and nft"]
fn verdicts_from_a_real_nftables_ruleset() {
    if !need_root_and_nft("verdicts_from_a_real_nftables_ruleset") {
        return;
    }
    let namespace = Namespace::with_rules("fw-verdict", RULES);
    let ruleset = namespace.ruleset();
    let handle_of = |verdict: FirewallVerdict| filtered_by(verdict).unwrap_or_default();
    // Ports in a named set, a range, a verdict map; the host listener's path (INPUT).
    assert!(handle_of(judge(&ruleset, &listener(8080))).starts_with("inet filt input handle"));
    assert!(handle_of(judge(&ruleset, &listener(5002))).starts_with("inet filt input handle"));
    assert!(handle_of(judge(&ruleset, &listener(7000))).starts_with("inet filt input handle"));
    assert!(matches!(
        judge(&ruleset, &listener(7001)),
        FirewallVerdict::Open { .. }
    ));
    assert!(matches!(
        judge(&ruleset, &listener(443)),
        FirewallVerdict::Open { .. }
    ));
    // Accepted from 10/8 first, dropped for everyone else: filtered, with the exception said.
    let FirewallVerdict::Filtered { exceptions, .. } = judge(&ruleset, &listener(22)) else {
        panic!("22 is dropped for the general outsider");
    };
    assert!(
        exceptions
            .iter()
            .any(|e| !e.dropped && e.when.contains("10.0.0.0/8")),
        "{exceptions:?}"
    );
    // A published port: INPUT rules do not filter it; FORWARD does, by original or container port.
    assert!(matches!(
        judge(&ruleset, &published(8080, 80)),
        FirewallVerdict::Open { .. }
    ));
    assert!(
        handle_of(judge(&ruleset, &published(36325, 80))).starts_with("inet filt forward handle")
    );
    assert!(handle_of(judge(&ruleset, &published(1234, 81))).starts_with("inet filt user handle"));
    assert!(matches!(
        judge(&ruleset, &published(81, 80)),
        FirewallVerdict::Open { .. }
    ));
}

/// On the host's own stack: a drop in a table of the test's own, judged by vigil from the host's
/// whole rule set, against what an outside client in a namespace really gets.
#[test]
#[ignore = "needs root, nft and busybox"]
fn the_verdict_agrees_with_an_outside_client() {
    let test = "the_verdict_agrees_with_an_outside_client";
    if !need_root_and_nft(test) || !need(test, tool_available("busybox"), "busybox") {
        return;
    }
    let sandbox = Sandbox::new();
    let www = sandbox.path().join("www");
    std::fs::create_dir_all(&www).expect("www");
    std::fs::write(www.join("index.html"), "hello").expect("index");
    let port = 20000 + (std::process::id() % 20000) as u16;
    let mut server = Command::new("busybox")
        .args(["httpd", "-f", "-p", &format!("0.0.0.0:{port}"), "-h"])
        .arg(&www)
        .spawn()
        .expect("httpd");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let outsider = netns::Outsider::create();
    let host_ruleset = || {
        let out = common::run("nft", &["-j", "list", "ruleset"]);
        parse_nft_json(&out.stdout).expect("host ruleset")
    };
    let before = judge(&host_ruleset(), &listener(port));
    let reached_before = outsider.reaches(port);
    // The sandbox's tag names the table: removed when the sandbox drops, also on failure.
    let table = &sandbox.firewall_tag;
    own_rule(table, "input", &format!("tcp dport {port} drop"));
    let after = judge(&host_ruleset(), &listener(port));
    let reached_after = outsider.reaches(port);
    let (_, out, err) = common::vigil(&sandbox, &["scan", "containers", "--format", "json"]);
    let scan: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        reached_before,
        "the listener answers the outsider before the drop"
    );
    assert!(matches!(before, FirewallVerdict::Open { .. }), "{before:?}");
    assert!(!reached_after, "the drop really drops");
    let rule = filtered_by(after).expect("filtered");
    assert!(
        rule.starts_with(&format!("inet {table} input handle")),
        "{rule}"
    );
    // `vigil scan containers` says it of the host listener too.
    let listed = scan["listeners"]
        .as_array()
        .expect("listeners")
        .iter()
        .find(|l| l["port"] == port)
        .unwrap_or_else(|| panic!("listener {port} listed: {scan:#}"));
    assert_eq!(listed["firewall"], "filtered", "{listed:#}");
    assert_eq!(listed["firewall_rule"], rule.as_str(), "{listed:#}");
}

/// Docker's packet path on the host: a drop of the published port in INPUT does nothing (the
/// outsider still gets in, and vigil says open); a drop on conntrack's original port in a
/// forward chain closes it (the outsider is cut off, and vigil names the rule). Docker's own
/// rules are read from iptables-save, so its `RELATED,ESTABLISHED` accept is understood.
#[test]
#[ignore = "needs Docker, root and nft"]
fn the_published_port_traps_agree_with_an_outside_client() {
    let test = "the_published_port_traps_agree_with_an_outside_client";
    if !need_docker(test) || !need_root_and_nft(test) {
        return;
    }
    let sandbox = Sandbox::new();
    let mut containers = docker::Containers::new();
    let name = containers.open_http("fw-trap", "0.0.0.0::80", &[]);
    let port = containers.host_port(&name, "80/tcp");
    let ip = docker::docker(&["inspect", "-f", "{{.NetworkSettings.IPAddress}}", &name]);
    let probe = Probe {
        forwarded: Some(Forwarded {
            container_port: 80,
            container_ip: Some(ip.trim().parse().expect("container ip")),
            bridge: Some("docker0".into()),
        }),
        ..listener(port)
    };
    let outsider = netns::Outsider::create();
    let verdict = || judge(&read_host().expect("the host's rule set"), &probe);
    assert!(outsider.reaches(port), "published on 0.0.0.0: reachable");
    assert!(
        matches!(verdict(), FirewallVerdict::Open { .. }),
        "{:?}",
        verdict()
    );

    let table = &sandbox.firewall_tag;
    own_rule(table, "input", &format!("tcp dport {port} drop"));
    assert!(
        outsider.reaches(port),
        "an INPUT drop does not filter a published port"
    );
    assert!(
        matches!(verdict(), FirewallVerdict::Open { .. }),
        "{:?}",
        verdict()
    );

    own_rule(
        table,
        "forward",
        &format!("meta l4proto tcp ct original proto-dst {port} drop"),
    );
    assert!(
        !outsider.reaches(port),
        "a drop on the original port filters it"
    );
    let FirewallVerdict::Filtered { rule, .. } = verdict() else {
        panic!("filtered: {:?}", verdict());
    };
    assert!(
        rule.starts_with(&format!("inet {table} forward handle")),
        "{rule}"
    );

    // What the engineer sees: the port filtered, the rule named, the service no longer critical.
    let (code, out, err) = common::vigil(&sandbox, &["scan", "containers", "--format", "json"]);
    assert!(code == 0 || code == 3, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let entry = docker::container(&report, &name);
    let published = &entry["ports"][0];
    assert_eq!(published["firewall"], "filtered", "{entry:#}");
    assert!(
        published["firewall_rule"]
            .as_str()
            .is_some_and(|r| r.contains(table.as_str())),
        "{entry:#}"
    );
    assert_ne!(entry["risk"], "critical", "{entry:#}");
    assert!(
        entry["reasons"]
            .to_string()
            .contains("dropped by the firewall"),
        "{entry:#}"
    );

    // Pane 1 says it next to the exposure, and the details name the rule.
    if !need_tmux(test) {
        return;
    }
    let screen = tmux::Tmux::start(
        &format!("{} --read-only", common::vigil_bin()),
        &sandbox.env(),
        200,
        50,
    );
    let patience = std::time::Duration::from_secs(15);
    screen.wait_for("the firewalled row", patience, |s| {
        tmux::line_with(s, &name).is_some_and(|row| row.contains("PUB/FW"))
    });
    screen.keys(&["/"]);
    screen.keys(&["-l", &name]);
    screen.keys(&["Enter", "Enter"]);
    screen.wait_for("the rule in the details", patience, |s| {
        s.contains("firewall: filtered by") && s.contains(table.as_str())
    });
    screen.keys(&["Escape", "Escape", "q"]);
}

/// A block that would cut the operator's SSH session off says so and is never done on `--yes`.
#[test]
#[ignore = "needs Docker, root and nft"]
fn a_block_of_the_ssh_port_says_so_and_wants_it_typed() {
    let test = "a_block_of_the_ssh_port_says_so_and_wants_it_typed";
    if !need_docker(test) || !need_root_and_nft(test) {
        return;
    }
    let sandbox = Sandbox::new();
    let run = |args: &[&str]| {
        let out = Command::new(common::vigil_bin())
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(sandbox.env())
            .env("SSH_CONNECTION", "198.18.0.2 51000 198.18.0.1 2022")
            .stdin(Stdio::null())
            .output()
            .expect("vigil");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, out) = run(&["block", "2000-2100", "--dry-run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("THIS BLOCKS SSH: port 2022"), "{out}");
    assert!(out.contains("Type `cut off ssh`"), "{out}");
    let (code, out) = run(&["block", "2022", "--yes"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("--yes is not enough"), "{out}");
    let tables = common::run("nft", &["list", "tables"]);
    assert!(
        !String::from_utf8_lossy(&tables.stdout).contains(sandbox.firewall_tag.as_str()),
        "nothing was blocked"
    );
    // A port SSH does not use is blocked on --yes as before (and removed with the sandbox).
    let (code, out) = run(&["block", "38999", "--yes"]);
    assert_eq!(code, Some(0), "{out}");
}

/// The legacy iptables backend, loaded into a namespace the test creates and read back with
/// `iptables-legacy-save`: its rules count (as `filter (legacy)`), a drop in its INPUT is found.
#[test]
#[ignore = "needs root and iptables-legacy"]
fn the_legacy_backend_is_read_and_judged() {
    let test = "the_legacy_backend_is_read_and_judged";
    if !need_root_and_nft(test)
        || !need(
            test,
            tool_available("iptables-legacy-save"),
            "iptables-legacy",
        )
    {
        return;
    }
    let namespace = Namespace::with_rules("fw-legacy", "table inet empty {}\n");
    let inside = |args: &[&str]| {
        let mut full = vec!["netns", "exec", namespace.0.as_str()];
        full.extend(args);
        common::run("ip", &full)
    };
    inside(&[
        "iptables-legacy",
        "-A",
        "INPUT",
        "-p",
        "tcp",
        "--dport",
        "8443",
        "-j",
        "DROP",
    ]);
    inside(&[
        "iptables-legacy",
        "-A",
        "INPUT",
        "-s",
        "10.0.0.0/8",
        "-j",
        "ACCEPT",
    ]);
    let saved = inside(&["iptables-legacy-save"]);
    let chains =
        vigil::collect::ruleset::legacy_chains(&String::from_utf8_lossy(&saved.stdout), false);
    assert!(
        chains.iter().all(|c| c.table.ends_with("(legacy)")),
        "{chains:?}"
    );
    let mut ruleset = namespace.ruleset();
    ruleset.chains.extend(chains);
    let rule = filtered_by(judge(&ruleset, &listener(8443))).expect("filtered");
    assert!(
        rule.contains("filter (legacy) INPUT") && rule.contains("--dport 8443"),
        "{rule}"
    );
    let FirewallVerdict::Open { exceptions } = judge(&ruleset, &listener(9000)) else {
        panic!("9000 is open");
    };
    assert!(
        exceptions
            .iter()
            .any(|e| !e.dropped && e.when.contains("10.0.0.0/8"))
    );
    // An untouched legacy backend adds nothing.
    let empty =
        vigil::collect::ruleset::legacy_chains("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", false);
    assert!(empty.is_empty());
}
