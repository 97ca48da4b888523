//! `vigil rebind`: recreate with loopback bindings, preserving the configuration; commit, undo,
//! and automatic rollback when the replacement does not answer. Measured from an outside client.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/firewall.rs"]
mod firewall;
#[path = "common/netns.rs"]
mod netns;

use common::{
    Sandbox, docker_available, is_root, need, need_docker, run, tool_available, unique_name, vigil,
};
use docker::{Containers, docker, docker_major};
use firewall::{nft_table, rebind_adds_loopback_guard};
use netns::Outsider;
use serde_json::Value;

fn inspect(name: &str, format: &str) -> String {
    docker(&["inspect", "-f", format, name])
}

fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("0.0.0.0:0").expect("bind");
    socket.local_addr().expect("addr").port()
}

/// The planned and outcome records (the step journal is looked at where a test needs it).
fn audit(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json"))
        .filter(|r| r["phase"] != "step")
        .collect()
}

/// A network of the test's own, removed on drop.
struct TestNetwork(String);

impl Drop for TestNetwork {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["network", "rm", &self.0])
            .output();
    }
}

#[test]
#[ignore = "needs Docker, root and network namespaces"]
fn rebind_preserves_configuration_and_blocks_outside_access() {
    let available =
        docker_available() && is_root() && tool_available("ip") && tool_available("busybox");
    if !need(
        "rebind_preserves_configuration_and_blocks_outside_access",
        available,
        "Docker, root, iproute2 and busybox",
    ) {
        return;
    }
    // Declared before the containers so it is dropped after them: a network with containers
    // still attached cannot be removed.
    let network = TestNetwork(unique_name("net"));
    docker(&["network", "create", &network.0]);
    let mut containers = Containers::new();
    let name = containers.add(
        "rebind",
        &[
            "--init",
            "-p",
            "0.0.0.0::80",
            "-v",
            "/data",
            "-e",
            "MODEL=flux",
            "--label",
            "team=ml",
            "--restart",
            "unless-stopped",
        ],
        &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
        true,
    );
    containers.names.push(format!("{name}-prev"));
    docker(&[
        "network",
        "connect",
        "--alias",
        "webui-alias",
        &network.0,
        &name,
    ]);
    docker(&["exec", &name, "sh", "-c", "echo survives > /data/proof"]);
    let volume = inspect(&name, "{{range .Mounts}}{{.Name}}{{end}}");
    let port = containers.host_port(&name, "80/tcp");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let outsider = Outsider::create();
    assert!(outsider.reaches(port), "reachable from outside before");
    // Docker publishes on IPv6 too where the engine and kernel allow it: where it did, the
    // rebind must close that path as well.
    let listens_v6 = String::from_utf8_lossy(&run("ss", &["-ltnH"]).stdout)
        .lines()
        .any(|l| l.contains(&format!("[::]:{port} ")));
    let v6_before = listens_v6
        && (0..25).any(|_| {
            let reached = outsider.reaches_v6(port);
            if !reached {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            reached
        });
    assert_eq!(v6_before, listens_v6, "an IPv6 listener must answer before");

    let sandbox = Sandbox::new();
    let log = sandbox.path().join("audit.jsonl");
    let log_arg = log.to_str().expect("utf8");
    let started = std::time::Instant::now();
    let (code, stdout, stderr) = vigil(
        &sandbox,
        &["rebind", &name, "--yes", "--audit-log", log_arg],
    );
    eprintln!("rebind took {:?}", started.elapsed());
    assert_eq!(code, 0, "{stdout}{stderr}");
    // Each step was reported as it ran; on an engine older than 28 the loopback guard is the
    // last one, after the verification.
    // Create, connect the second network, stop and check, keep as -prev, name, start, verify.
    let guarded = rebind_adds_loopback_guard();
    let total = if guarded { 9 } else { 8 };
    for step in 1..=total {
        assert!(stderr.contains(&format!("ok [{step}/{total}]")), "{stderr}");
    }
    if guarded {
        let table = nft_table(&sandbox.firewall_tag).expect("vigil's table holds the guard");
        assert!(
            table.contains("ip daddr 127.0.0.0/8 tcp dport @loopback_tcp"),
            "{table}"
        );
        assert!(
            table.contains(&format!("elements = {{ {port} }}")),
            "{table}"
        );
    }

    assert!(
        !outsider.reaches(port),
        "not reachable from outside after the rebind"
    );
    if v6_before {
        assert!(
            !outsider.reaches_v6(port),
            "not reachable over IPv6 after the rebind"
        );
    }
    eprintln!("IPv6 path checked: {v6_before}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "the host still reaches it"
    );
    assert_eq!(
        inspect(
            &name,
            "{{(index (index .NetworkSettings.Ports \"80/tcp\") 0).HostIp}}"
        ),
        "127.0.0.1"
    );
    assert_eq!(
        docker(&["exec", &name, "cat", "/data/proof"]),
        "survives",
        "anonymous volume re-attached"
    );
    assert_eq!(inspect(&name, "{{range .Mounts}}{{.Name}}{{end}}"), volume);
    assert!(inspect(&name, "{{.Config.Env}}").contains("MODEL=flux"));
    assert_eq!(inspect(&name, "{{index .Config.Labels \"team\"}}"), "ml");
    assert_eq!(
        inspect(&name, "{{.HostConfig.RestartPolicy.Name}}"),
        "unless-stopped"
    );
    let aliases = inspect(
        &name,
        &format!(
            "{{{{json (index .NetworkSettings.Networks \"{}\").Aliases}}}}",
            network.0
        ),
    );
    assert!(aliases.contains("webui-alias"), "{aliases}");
    assert_eq!(
        inspect(
            &format!("{name}-prev"),
            "{{.HostConfig.RestartPolicy.Name}}"
        ),
        "no"
    );

    let records = audit(&log);
    let action_id = records[0]["action_id"].as_str().expect("id").to_string();
    assert_eq!(records[1]["result"], "applied");
    let (code, _, stderr) = vigil(
        &sandbox,
        &["commit", &action_id, "--yes", "--audit-log", log_arg],
    );
    assert_eq!(code, 0, "{stderr}");
    let gone = std::process::Command::new("docker")
        .args(["inspect", &format!("{name}-prev")])
        .output()
        .expect("docker");
    assert!(!gone.status.success(), "NAME-prev removed by commit");
    assert_eq!(
        docker(&["volume", "inspect", "-f", "{{.Name}}", &volume]),
        volume,
        "commit never removes volumes"
    );
    let (code, _, stderr) = vigil(
        &sandbox,
        &["undo", &action_id, "--yes", "--audit-log", log_arg],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("committed"), "{stderr}");
    let _ = std::process::Command::new("docker")
        .args(["volume", "rm", &volume])
        .output();
}

#[test]
#[ignore = "needs a Docker engine"]
fn rebind_undo_restores_the_original() {
    if !need_docker("rebind_undo_restores_the_original") {
        return;
    }
    let mut containers = Containers::new();
    let port = free_port();
    let name = containers.open_http("rebind-undo", &format!("0.0.0.0:{port}:80"), &["--init"]);
    containers.names.push(format!("{name}-prev"));
    let port = containers.host_port(&name, "80/tcp");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let sandbox = Sandbox::new();
    let log = sandbox.path().join("audit.jsonl");
    let log_arg = log.to_str().expect("utf8");
    let (code, _, stderr) = vigil(
        &sandbox,
        &["rebind", &name, "--yes", "--audit-log", log_arg],
    );
    assert_eq!(code, 0, "{stderr}");
    let action_id = audit(&log)[0]["action_id"]
        .as_str()
        .expect("id")
        .to_string();
    let (code, _, stderr) = vigil(
        &sandbox,
        &["undo", &action_id, "--yes", "--audit-log", log_arg],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        inspect(
            &name,
            "{{(index (index .NetworkSettings.Ports \"80/tcp\") 0).HostIp}}"
        ),
        "0.0.0.0"
    );
    assert_eq!(containers.host_port(&name, "80/tcp"), port);
    assert_eq!(inspect(&name, "{{.State.Status}}"), "running");
    if rebind_adds_loopback_guard() {
        assert!(
            nft_table(&sandbox.firewall_tag).is_none(),
            "the undo removed the loopback guard and, empty, vigil's table"
        );
    }
}

#[test]
#[ignore = "needs a Docker engine"]
fn failed_verification_rolls_back_by_itself() {
    if !need_docker("failed_verification_rolls_back_by_itself") {
        return;
    }
    let mut containers = Containers::new();
    // Published, but nothing inside answers HTTP: the replacement can never be verified.
    let port = free_port();
    let name = containers.add(
        "rebind-fault",
        &["--init", "-p", &format!("0.0.0.0:{port}:80")],
        &["/bin/busybox", "sleep", "600"],
        true,
    );
    containers.names.push(format!("{name}-prev"));
    let original_id = inspect(&name, "{{.Id}}");
    let sandbox = Sandbox::new();
    let log = sandbox.path().join("audit.jsonl");
    let (code, _, stderr) = vigil(
        &sandbox,
        &[
            "rebind",
            &name,
            "--yes",
            "--audit-log",
            log.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("rolled back"), "{stderr}");
    assert_eq!(
        inspect(&name, "{{.Id}}"),
        original_id,
        "the original has its name back"
    );
    assert_eq!(inspect(&name, "{{.State.Status}}"), "running");
    assert_eq!(
        inspect(
            &name,
            "{{(index (index .NetworkSettings.Ports \"80/tcp\") 0).HostIp}}"
        ),
        "0.0.0.0"
    );
    assert_eq!(containers.host_port(&name, "80/tcp"), port);
    let records = audit(&log);
    assert_eq!(records.last().expect("outcome")["result"], "rolled back");
    assert!(
        records.last().expect("outcome")["error"]
            .as_str()
            .expect("error")
            .contains("rolled back")
    );
    let leftovers = docker(&["ps", "-aq", "--filter", &format!("name={name}-")]);
    assert!(
        leftovers.is_empty(),
        "no replacement or -prev left behind: {leftovers}"
    );
}

#[test]
#[ignore = "needs a Docker engine"]
fn rebind_refuses_rm_host_network_and_loopback_only() {
    if !need_docker("rebind_refuses_rm_host_network_and_loopback_only") {
        return;
    }
    let mut containers = Containers::new();
    let rm = containers.open_http("rebind-rm", "0.0.0.0::80", &["--rm"]);
    let host = containers.add(
        "rebind-host",
        &["--network", "host"],
        &["/bin/busybox", "sleep", "600"],
        true,
    );
    let local = containers.open_http("rebind-local", "127.0.0.1::80", &[]);
    let sandbox = Sandbox::new();
    for (name, why) in [
        (&rm, "--rm"),
        (&host, "network mode `host`"),
        (&local, "nothing to rebind"),
    ] {
        let (code, stdout, stderr) = vigil(&sandbox, &["rebind", name, "--yes"]);
        assert_eq!(code, 1, "{name}");
        assert!(
            stdout.contains("REFUSED") && stdout.contains(why),
            "{name}: {stdout}{stderr}"
        );
    }
}

#[test]
#[ignore = "needs a Docker engine"]
fn replacement_that_cannot_start_rolls_back_by_itself() {
    if !need_docker("replacement_that_cannot_start_rolls_back_by_itself") {
        return;
    }
    let mut containers = Containers::new();
    // Published on the bridge gateway address (not loopback, so there is something to rebind),
    // while another process already holds 127.0.0.1 on the same port: the replacement's
    // loopback binding cannot be made, and its start fails after the original was stopped.
    let gateway = docker(&[
        "network",
        "inspect",
        "bridge",
        "-f",
        "{{(index .IPAM.Config 0).Gateway}}",
    ]);
    let squatter = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind loopback");
    let port = squatter.local_addr().expect("addr").port();
    let name = containers.add(
        "rebind-taken",
        &["--init", "-p", &format!("{gateway}:{port}:80")],
        &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
        true,
    );
    containers.names.push(format!("{name}-prev"));
    let original_id = inspect(&name, "{{.Id}}");
    let sandbox = Sandbox::new();
    let log = sandbox.path().join("audit.jsonl");
    let (code, _, stderr) = vigil(
        &sandbox,
        &[
            "rebind",
            &name,
            "--yes",
            "--audit-log",
            log.to_str().expect("utf8"),
        ],
    );
    drop(squatter);
    assert_eq!(code, 1, "{stderr}");
    // The progress shows which step failed, then the rollback.
    assert!(stderr.contains("FAILED [6/"), "{stderr}");
    assert!(stderr.contains("rolled back"), "{stderr}");
    assert_eq!(inspect(&name, "{{.Id}}"), original_id);
    assert_eq!(inspect(&name, "{{.State.Status}}"), "running");
    assert_eq!(
        inspect(
            &name,
            "{{(index (index .NetworkSettings.Ports \"80/tcp\") 0).HostIp}}"
        ),
        gateway,
        "the original binding is back"
    );
    assert_eq!(containers.host_port(&name, "80/tcp"), port);
    let records = audit(&log);
    let outcome = records.last().expect("outcome");
    assert_eq!(outcome["phase"], "outcome");
    assert_eq!(outcome["result"], "rolled back");
    assert!(
        outcome["error"]
            .as_str()
            .expect("error")
            .contains("start the replacement"),
        "{outcome}"
    );
    let leftovers = docker(&["ps", "-aq", "--filter", &format!("name={name}-")]);
    assert!(leftovers.is_empty(), "nothing left behind: {leftovers}");
}

/// A GPU service cannot be started on this machine (no NVIDIA runtime), but its configuration
/// can be created: the replacement vigil would create from it must keep the GPU device requests,
/// the runtime, devices, capabilities, shared memory and limits, with only the bindings changed.
#[test]
#[ignore = "needs a Docker engine"]
fn replacement_keeps_gpu_requests_runtime_and_host_settings() {
    if !need_docker("replacement_keeps_gpu_requests_runtime_and_host_settings") {
        return;
    }
    let mut containers = Containers::new();
    let original = containers.add(
        "gpu-cfg",
        &[
            "--gpus",
            "\"device=0,1\"",
            "--runtime",
            "runc",
            "--device",
            "/dev/null:/dev/fake-nvidia0",
            "--cap-add",
            "SYS_PTRACE",
            "--shm-size",
            "1g",
            "--ulimit",
            "memlock=-1:-1",
            "--ipc",
            "shareable",
            "-p",
            "0.0.0.0::7860",
        ],
        &["/bin/busybox", "sleep", "600"],
        false,
    );
    let replacement = unique_name("gpu-cfg-new");
    containers.names.push(replacement.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = bollard::Docker::connect_with_local_defaults().expect("docker client");
        let inspected = client
            .inspect_container(&original, None)
            .await
            .expect("inspect");
        let body = vigil::ops::rebind::replacement_body(&inspected).expect("replacement body");
        client
            .create_container(
                Some(bollard::query_parameters::CreateContainerOptions {
                    name: Some(replacement.clone()),
                    ..Default::default()
                }),
                body,
            )
            .await
            .expect("the replacement configuration is accepted by the engine");
    });
    for field in [
        "{{json .HostConfig.DeviceRequests}}",
        "{{.HostConfig.Runtime}}",
        "{{json .HostConfig.Devices}}",
        "{{json .HostConfig.CapAdd}}",
        "{{.HostConfig.ShmSize}}",
        "{{json .HostConfig.Ulimits}}",
        "{{.HostConfig.IpcMode}}",
        "{{json .Config.Cmd}}",
        "{{.Image}}",
    ] {
        assert_eq!(
            inspect(&replacement, field),
            inspect(&original, field),
            "{field} differs"
        );
    }
    assert!(inspect(&replacement, "{{json .HostConfig.DeviceRequests}}").contains("\"0\",\"1\""));
    assert_eq!(
        inspect(
            &replacement,
            "{{(index (index .HostConfig.PortBindings \"7860/tcp\") 0).HostIp}}"
        ),
        "127.0.0.1"
    );
}

/// Before Docker 28, a port published on 127.0.0.1 is reachable from a neighbour on the L2
/// segment that sends packets for 127.0.0.1 to the host: Docker's DNAT forwards them. A rebind
/// adds vigil's guard against exactly that; `--no-loopback-guard` shows the hole it closes.
#[test]
#[ignore = "needs Docker, root, nft and network namespaces"]
fn rebind_on_an_old_engine_keeps_l2_neighbours_off_the_loopback_port() {
    let available = docker_available()
        && is_root()
        && tool_available("nft")
        && tool_available("ip")
        && tool_available("busybox");
    if !need(
        "rebind_on_an_old_engine_keeps_l2_neighbours_off_the_loopback_port",
        available,
        "Docker, root, nft, iproute2 and busybox",
    ) {
        return;
    }
    if docker_major() >= 28 {
        eprintln!("Docker 28 or later guards loopback bindings itself: nothing for vigil to add");
        return;
    }
    let mut containers = Containers::new();
    let guarded = containers.open_http("rebind-lg", "0.0.0.0::80", &["--init"]);
    let unguarded = containers.open_http("rebind-nolg", "0.0.0.0::80", &["--init"]);
    containers.names.push(format!("{guarded}-prev"));
    containers.names.push(format!("{unguarded}-prev"));
    let guarded_port = containers.host_port(&guarded, "80/tcp");
    let unguarded_port = containers.host_port(&unguarded, "80/tcp");
    let sandbox = Sandbox::new();
    let log = sandbox.path().join("audit.jsonl");
    let log_arg = log.to_str().expect("utf8");
    let (code, stdout, stderr) = vigil(
        &sandbox,
        &["rebind", &guarded, "--yes", "--audit-log", log_arg],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("Docker < 28: drop packets for 127.0.0.0/8"),
        "{stdout}"
    );
    let (code, stdout, stderr) = vigil(
        &sandbox,
        &[
            "rebind",
            &unguarded,
            "--yes",
            "--no-loopback-guard",
            "--audit-log",
            log_arg,
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("the loopback guard was switched off"),
        "{stdout}"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));

    let outsider = Outsider::create();
    assert!(
        outsider.reaches_host_loopback(unguarded_port),
        "without the guard an L2 neighbour reaches the 127.0.0.1 binding (the hole)"
    );
    assert!(
        !outsider.reaches_host_loopback(guarded_port),
        "with the guard the L2 neighbour does not reach the 127.0.0.1 binding"
    );
    assert!(!outsider.reaches(guarded_port));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", guarded_port)).is_ok(),
        "the host itself still reaches it"
    );
}
