//! "Reachable from outside" measured, not assumed: a network namespace plays the remote attacker
//! and tries every published port of the test containers; vigil's PUBLIC/LOCAL verdicts must agree.
//!
//! Traffic goes only to the host side of a veth pair this test creates, in the RFC 2544
//! benchmarking range (198.18.0.0/15), never to a real network.

mod common;

use common::*;
use std::process::Command;

/// A namespace with a veth pair to the host, removed on drop (deleting the namespace deletes the
/// pair), also when the test fails.
struct Outsider {
    namespace: String,
    host_ip: String,
}

impl Outsider {
    fn create() -> Outsider {
        let id = std::process::id() % 250 + 1;
        let namespace = format!("vigil-test-ns-{}", std::process::id());
        let host_if = format!("vth{}", std::process::id() % 100_000);
        let ns_if = format!("vtn{}", std::process::id() % 100_000);
        let host_ip = format!("198.18.{id}.1");
        let ns_ip = format!("198.18.{id}.2");
        let outsider = Outsider {
            namespace: namespace.clone(),
            host_ip: host_ip.clone(),
        };
        run("ip", &["netns", "add", &namespace]);
        run(
            "ip",
            &[
                "link", "add", &host_if, "type", "veth", "peer", "name", &ns_if,
            ],
        );
        run("ip", &["link", "set", &ns_if, "netns", &namespace]);
        run(
            "ip",
            &["addr", "add", &format!("{host_ip}/30"), "dev", &host_if],
        );
        run("ip", &["link", "set", &host_if, "up"]);
        let in_ns = |args: &[&str]| {
            let mut full = vec!["netns", "exec", &namespace, "ip"];
            full.extend(args);
            run("ip", &full);
        };
        in_ns(&["addr", "add", &format!("{ns_ip}/30"), "dev", &ns_if]);
        in_ns(&["link", "set", &ns_if, "up"]);
        in_ns(&["link", "set", "lo", "up"]);
        in_ns(&["route", "add", "default", "via", &host_ip]);
        outsider
    }

    /// True when a TCP connection from the namespace to the host's port gets an HTTP answer
    /// (any status, 401 included). Refused or timed out means not reachable.
    fn reaches(&self, port: u16) -> bool {
        use std::io::Write;
        let mut child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.namespace,
                "busybox",
                "nc",
                "-w",
                "3",
                &self.host_ip,
                &port.to_string(),
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("ip netns exec");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(b"GET / HTTP/1.0\r\n\r\n");
        }
        let output = child.wait_with_output().expect("nc output");
        String::from_utf8_lossy(&output.stdout).starts_with("HTTP/")
    }
}

impl Drop for Outsider {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.namespace])
            .output();
    }
}

#[test]
fn public_and_local_verdicts_match_what_an_outsider_can_reach() {
    let available =
        docker_available() && is_root() && tool_available("ip") && tool_available("busybox");
    if !need(
        "public_and_local_verdicts_match_what_an_outsider_can_reach",
        available,
        "Docker, root, iproute2 and busybox",
    ) {
        return;
    }
    let mut containers = Containers::new();
    let names = vec![
        containers.open_http("reach-open", "0.0.0.0::80", &[]),
        containers.basic_auth_http("reach-auth", "0.0.0.0::80"),
        containers.open_http("reach-local", "127.0.0.1::80", &[]),
    ];
    std::thread::sleep(std::time::Duration::from_millis(300));
    let outsider = Outsider::create();

    let sandbox = Sandbox::new();
    let (code, stdout, stderr) = vigil(&sandbox, &["scan", "containers", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("json");

    let mut checked = 0;
    for name in &names {
        let entry = json["containers"]
            .as_array()
            .expect("containers")
            .iter()
            .find(|c| c["name"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} missing"));
        for port in entry["ports"].as_array().expect("ports") {
            let host_port = port["host_port"].as_u64().expect("port") as u16;
            let reachable = outsider.reaches(host_port);
            let verdict = port["exposure"].as_str().expect("exposure");
            assert_eq!(
                reachable,
                verdict == "public",
                "{name} port {host_port}: vigil says {verdict}, outsider reached it: {reachable}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 3, "every published port was checked from outside");
}
