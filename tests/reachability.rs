//! "Reachable from outside" measured, not assumed: a network namespace plays the remote attacker
//! and tries every published port of the test containers; vigil's PUBLIC/LOCAL verdicts must agree.
//!
//! Traffic goes only to the host side of a veth pair this test creates, in the RFC 2544
//! benchmarking range (198.18.0.0/15), never to a real network.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/netns.rs"]
mod netns;

use common::{Sandbox, docker_available, is_root, need, tool_available, vigil};
use docker::Containers;
use netns::Outsider;

#[test]
#[ignore = "needs Docker, root and network namespaces"]
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
