//! `vigil scan containers` against a real Docker engine.

mod common;
#[path = "common/docker.rs"]
mod docker;

use common::{
    Sandbox, docker_available, is_root, need, need_docker, random_token, tool_available, vigil,
    vigil_as_nobody,
};
use docker::{Containers, container};
use serde_json::Value;

fn scan_json(sandbox: &Sandbox, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["scan", "containers", "--format", "json"];
    args.extend(extra);
    let (code, stdout, stderr) = vigil(sandbox, &args);
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, json)
}

#[test]
#[ignore = "needs a Docker engine"]
fn exposure_auth_and_risk_of_real_containers() {
    if !need_docker("exposure_auth_and_risk_of_real_containers") {
        return;
    }
    let mut containers = Containers::new();
    let open = containers.open_http("open", "0.0.0.0::80", &[]);
    let auth = containers.basic_auth_http("auth", "0.0.0.0::80");
    let local = containers.open_http("local", "127.0.0.1::80", &[]);
    let created = containers.add(
        "created",
        &["-p", "0.0.0.0::80"],
        &["/bin/busybox", "httpd", "-f", "-p", "80"],
        false,
    );
    let token = random_token(32);
    let secret = containers.open_http(
        "secret",
        "127.0.0.1::80",
        &["-e", &format!("VLLM_API_KEY={token}")],
    );
    let open_port = containers.host_port(&open, "80/tcp");
    // busybox httpd needs a moment to bind inside the container.
    std::thread::sleep(std::time::Duration::from_millis(300));

    let sandbox = Sandbox::new();
    let (code, json) = scan_json(&sandbox, &[]);
    assert_eq!(code, 0);
    let raw = json.to_string();
    assert!(
        !raw.contains(&token),
        "the raw secret must never be printed"
    );

    let c = container(&json, &open);
    assert_eq!(c["exposure"], "public");
    assert_eq!(c["auth"], "none");
    assert_eq!(c["risk"], "critical");
    assert_eq!(c["state"], "running");
    assert_eq!(
        c["ports"][0]["host_ip"], "0.0.0.0",
        "0.0.0.0 is never shortened away"
    );
    assert_eq!(c["ports"][0]["host_port"], open_port);
    assert_eq!(c["ports"][0]["container_port"], 80);
    assert_eq!(c["ports"][0]["protocol"], "tcp");
    assert_eq!(c["id"].as_str().expect("id").len(), 64);
    let twins = c["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .filter(|p| p["host_port"] == open_port)
        .count();
    assert_eq!(twins, 1, "IPv4+IPv6 twins are one binding");

    let c = container(&json, &auth);
    assert_eq!(c["exposure"], "public");
    assert_eq!(c["auth"], "basic");
    assert_eq!(c["risk"], "medium");

    let c = container(&json, &local);
    assert_eq!(c["exposure"], "local");
    assert_eq!(c["risk"], "low");

    let c = container(&json, &created);
    assert_eq!(c["state"], "created");
    assert_eq!(c["exposure"], "none");
    assert_eq!(c["risk"], "info");
    assert_eq!(c["ports"].as_array().expect("ports").len(), 0);

    let c = container(&json, &secret);
    let reasons = c["reasons"].to_string();
    assert!(reasons.contains("env VLLM_API_KEY"), "{reasons}");
    assert!(
        reasons.contains(&format!("{}…(32 chars)", &token[..4])),
        "{reasons}"
    );

    // docker-proxy sockets belong to their containers, not to the host listener list.
    for listener in json["listeners"].as_array().expect("listeners") {
        assert_ne!(
            listener["port"], open_port,
            "published port listed twice: {listener}"
        );
        assert_ne!(listener["process"], "docker-proxy");
    }
}

#[test]
#[ignore = "needs a Docker engine"]
fn fail_on_sets_the_exit_status() {
    if !need_docker("fail_on_sets_the_exit_status") {
        return;
    }
    let mut containers = Containers::new();
    containers.open_http("failon", "0.0.0.0::80", &[]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let sandbox = Sandbox::new();
    let (code, _) = scan_json(&sandbox, &["--fail-on", "critical"]);
    assert_eq!(
        code, 3,
        "a critical container must make --fail-on critical exit 3"
    );
    let (code, _, stderr) = vigil(&sandbox, &["scan", "containers", "--fail-on", "bogus"]);
    assert_eq!(code, 2, "clap rejects an unknown level");
    assert!(
        stderr.contains("critical, high, medium, low, info"),
        "{stderr}"
    );
}

/// A host service that is not a container: `busybox httpd` on all interfaces, started by the test.
struct HostServer(std::process::Child);

impl Drop for HostServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "needs a Docker engine and busybox"]
fn host_listeners_are_listed_with_owner_and_exposure() {
    let available = docker_available() && tool_available("busybox");
    if !need(
        "host_listeners_are_listed_with_owner_and_exposure",
        available,
        "Docker and busybox",
    ) {
        return;
    }
    let port = {
        let probe = std::net::TcpListener::bind("0.0.0.0:0").expect("bind");
        probe.local_addr().expect("addr").port()
    };
    // Serves an empty directory of its own: nothing of the host is exposed while the test runs.
    let webroot = tempfile::tempdir().expect("webroot");
    let server = HostServer(
        std::process::Command::new("busybox")
            .args([
                "httpd",
                "-f",
                "-p",
                &format!("0.0.0.0:{port}"),
                "-h",
                webroot.path().to_str().expect("utf8"),
            ])
            .spawn()
            .expect("start busybox httpd"),
    );
    let loopback = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let loopback_port = loopback.local_addr().expect("addr").port();
    std::thread::sleep(std::time::Duration::from_millis(300));

    let sandbox = Sandbox::new();
    let (_, json) = scan_json(&sandbox, &["--no-probe"]);
    let find = |p: u16| {
        json["listeners"]
            .as_array()
            .expect("listeners")
            .iter()
            .find(|l| l["port"] == p)
            .unwrap_or_else(|| panic!("listener {p} missing: {json:#}"))
            .clone()
    };
    let listener = find(port);
    assert_eq!(listener["address"], "0.0.0.0");
    assert_eq!(listener["exposure"], "public");
    assert_eq!(listener["process"], "busybox");
    assert_eq!(listener["pid"], server.0.id());
    assert_eq!(listener["user"], "root");
    let listener = find(loopback_port);
    assert_eq!(listener["exposure"], "local");
    assert_eq!(listener["pid"], std::process::id());

    let (_, table, _) = vigil(&sandbox, &["scan", "containers", "--no-probe"]);
    let line = table
        .lines()
        .find(|l| l.starts_with(&format!("0.0.0.0:{port} ")))
        .unwrap_or_else(|| panic!("no table line for {port}:\n{table}"));
    assert!(
        line.contains("PUBLIC") && line.contains(&format!("busybox (pid {}, root)", server.0.id())),
        "{line}"
    );
}

#[test]
#[ignore = "needs a Docker engine"]
fn hostile_strings_in_labels_and_args_are_escaped() {
    if !need_docker("hostile_strings_in_labels_and_args_are_escaped") {
        return;
    }
    let mut containers = Containers::new();
    let evil = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}txt.exe";
    let name = containers.add(
        "evil",
        &["-p", "127.0.0.1::80", "--label", &format!("note={evil}")],
        &[
            "/bin/busybox",
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/www",
            &format!("--x={evil}"),
        ],
        true,
    );
    let sandbox = Sandbox::new();
    let (code, stdout, _) = vigil(&sandbox, &["scan", "containers", "--no-probe"]);
    assert_eq!(code, 0);
    assert!(stdout.contains(&name));
    assert!(
        !stdout.contains('\u{1b}'),
        "raw escape reached the terminal"
    );
    assert!(
        !stdout.contains('\u{202e}'),
        "raw bidi override reached the terminal"
    );
}

#[test]
fn unreachable_daemon_gives_a_clear_error() {
    let sandbox = Sandbox::new();
    let socket = sandbox.path().join("nothing-here.sock");
    let host = format!("unix://{}", socket.display());
    let (code, stdout, stderr) = vigil(&sandbox, &["scan", "containers", "--docker-host", &host]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("not found: is dockerd running?"),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs Docker, root and setpriv"]
fn permission_denied_on_the_socket_is_explained() {
    let available = docker_available() && is_root() && tool_available("setpriv");
    if !need(
        "permission_denied_on_the_socket_is_explained",
        available,
        "Docker, root and setpriv",
    ) {
        return;
    }
    let (code, stderr) = vigil_as_nobody(&["scan", "containers"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("permission denied on /var/run/docker.sock"),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs a Docker engine"]
fn unhealthy_containers_are_reported_unhealthy() {
    if !need_docker("unhealthy_containers_are_reported_unhealthy") {
        return;
    }
    let mut containers = Containers::new();
    let name = containers.add(
        "unhealthy",
        &[
            "--health-cmd",
            "exit 1",
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
            "--health-start-period",
            "0s",
        ],
        &["/bin/busybox", "sleep", "600"],
        true,
    );
    let sandbox = Sandbox::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, json) = scan_json(&sandbox, &["--no-probe"]);
        let health = container(&json, &name)["health"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if health == "unhealthy" {
            break;
        }
        assert_ne!(
            health, "healthy",
            "a failing healthcheck must never look healthy"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "still {health} after 20 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

#[test]
#[ignore = "needs a Docker engine"]
fn host_network_containers_get_their_ports_from_the_socket_table() {
    if !need_docker("host_network_containers_get_their_ports_from_the_socket_table") {
        return;
    }
    let port = {
        let free = std::net::TcpListener::bind("0.0.0.0:0").expect("bind");
        free.local_addr().expect("addr").port()
    };
    let mut containers = Containers::new();
    let name = containers.add(
        "hostnet",
        &["--network", "host"],
        &[
            "/bin/busybox",
            "httpd",
            "-f",
            "-p",
            &format!("0.0.0.0:{port}"),
            "-h",
            "/www",
        ],
        true,
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    let sandbox = Sandbox::new();
    let (_, json) = scan_json(&sandbox, &[]);
    let c = container(&json, &name);
    assert_eq!(c["exposure"], "public", "{c:#}");
    assert_eq!(c["ports"][0]["host_port"], port);
    assert_eq!(c["auth"], "none");
    assert_eq!(c["risk"], "critical");
    let listed_as_host = json["listeners"]
        .as_array()
        .expect("listeners")
        .iter()
        .any(|l| l["port"] == port);
    assert!(
        !listed_as_host,
        "a host-network container's socket is attributed to it, not listed twice"
    );
}
