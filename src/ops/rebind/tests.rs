//! The pure parts of a rebind, without Docker: the bindings, the replacement's configuration,
//! the refusals, the loopback guard and the plan.

use super::plan::{GuardDecision, guard_step, guards_for, rebind_plan};
use super::replacement::{current_bindings, refusal, replacement_body};
use crate::ops::engine::{Goal, Op, Role, Scene};
use crate::ops::firewall::{Backend, Proto};
use crate::ops::plan::{ActionKind, Confirmation};
use bollard::models::ContainerInspectResponse;

const ID: &str = "3f4e5d6c7b8a9f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766";

/// An inspect response shaped like Docker 20.10's for `docker run -d --name sdnext -p 7860
/// -p [::]:7860 -p 0.0.0.0:9090:9090/udp -v /srv/models:/models -v /data --gpus all IMAGE`,
/// started and given random host port 36325.
fn inspect(json_patch: serde_json::Value) -> ContainerInspectResponse {
    let mut value = serde_json::json!({
        "Id": ID,
        "Name": "/sdnext",
        "Created": "2026-11-30T10:00:00.123456789Z",
        "State": {"Status": "running", "Running": true},
        "Image": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        "Config": {
            "Hostname": &ID[..12],
            "Image": "sdnext:latest",
            "Env": ["GRADIO_SERVER_NAME=0.0.0.0"],
            "Cmd": ["python", "launch.py", "--listen"],
            "Labels": {"team": "genai"},
            "StopTimeout": 30
        },
        "HostConfig": {
            "NetworkMode": "genai",
            "Binds": ["/srv/models:/models"],
            "PortBindings": {
                "7860/tcp": [{"HostIp": "", "HostPort": ""}, {"HostIp": "::", "HostPort": ""}],
                "9090/udp": [{"HostIp": "0.0.0.0", "HostPort": "9090"}]
            },
            "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0},
            "DeviceRequests": [{"Driver": "", "Count": -1, "Capabilities": [["gpu"]]}],
            "ShmSize": 8589934592_u64
        },
        "Mounts": [
            {"Type": "bind", "Source": "/srv/models", "Destination": "/models", "RW": true},
            {"Type": "volume", "Name": "0a1b2c", "Source": "/var/lib/docker/volumes/0a1b2c/_data",
             "Destination": "/data", "RW": true},
            {"Type": "volume", "Name": "cache", "Source": "/var/lib/docker/volumes/cache/_data",
             "Destination": "/cache", "RW": false}
        ],
        "NetworkSettings": {
            "Ports": {
                "7860/tcp": [{"HostIp": "0.0.0.0", "HostPort": "36325"}, {"HostIp": "::", "HostPort": "36325"}],
                "9090/udp": [{"HostIp": "0.0.0.0", "HostPort": "9090"}]
            },
            "Networks": {
                "genai": {"Aliases": ["sdnext", &ID[..12]], "IPAddress": "172.20.0.5",
                          "IPAMConfig": {"IPv4Address": "172.20.0.5"}},
                "monitoring": {"Aliases": ["sd"], "IPAddress": "172.21.0.9"}
            }
        }
    });
    merge(&mut value, json_patch);
    serde_json::from_value(value).expect("an inspect response")
}

fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
            for (key, value) in patch {
                merge(base.entry(key).or_insert(serde_json::Value::Null), value);
            }
        }
        (slot, value) => *slot = value,
    }
}

#[test]
fn random_host_ports_are_pinned_to_the_port_bound_now() {
    let bindings = current_bindings(&inspect(serde_json::json!({})));
    let mut tcp = bindings["7860/tcp"].clone();
    tcp.sort();
    assert_eq!(
        tcp,
        vec![
            ("".to_string(), "36325".to_string()),
            ("::".to_string(), "36325".to_string())
        ]
    );
    assert_eq!(
        bindings["9090/udp"],
        vec![("0.0.0.0".into(), "9090".into())]
    );
}

#[test]
fn the_replacement_keeps_everything_but_the_bind_address() {
    let body = replacement_body(&inspect(serde_json::json!({}))).expect("body");
    // The image by id, not the tag that may point elsewhere now.
    assert_eq!(
        body.image.as_deref(),
        Some(&*inspect(serde_json::json!({})).image.expect("id"))
    );
    // Docker's own hostname (the old short id) is dropped; the rest of Config is kept.
    assert_eq!(body.hostname, None);
    assert_eq!(
        body.env,
        Some(vec!["GRADIO_SERVER_NAME=0.0.0.0".to_string()])
    );
    assert_eq!(body.stop_timeout, Some(30));
    let host = body.host_config.expect("host config");
    // IPv4 and IPv6 of one port become one loopback binding, on the same host port.
    let tcp = host.port_bindings.as_ref().expect("bindings")["7860/tcp"]
        .clone()
        .expect("tcp");
    assert_eq!(tcp.len(), 1);
    assert_eq!(tcp[0].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(tcp[0].host_port.as_deref(), Some("36325"));
    // GPUs, shm size, restart policy stay.
    assert_eq!(host.device_requests.as_ref().map(Vec::len), Some(1));
    assert_eq!(host.shm_size, Some(8_589_934_592));
    // The anonymous and the read-only named volume are re-attached by name; the bind stays once.
    let binds = host.binds.expect("binds");
    assert!(binds.contains(&"0a1b2c:/data".to_string()), "{binds:?}");
    assert!(binds.contains(&"cache:/cache:ro".to_string()), "{binds:?}");
    assert_eq!(binds.iter().filter(|b| b.ends_with(":/models")).count(), 1);
    // The primary network keeps its alias and static address, not the old short id.
    let endpoints = body
        .networking_config
        .and_then(|n| n.endpoints_config)
        .expect("endpoints");
    let genai = &endpoints["genai"];
    assert_eq!(genai.aliases, Some(vec!["sdnext".to_string()]));
    assert!(genai.ipam_config.is_some());
    assert!(
        !endpoints.contains_key("monitoring"),
        "extra networks are connected later"
    );
}

#[test]
fn what_cannot_be_rebound_says_why() {
    let public = inspect(serde_json::json!({}));
    assert_eq!(refusal(&public, None), None);
    assert!(refusal(&public, Some(ID)).is_some_and(|r| r.contains("vigil itself")));
    let removed = inspect(serde_json::json!({"HostConfig": {"AutoRemove": true}}));
    assert!(refusal(&removed, None).is_some_and(|r| r.contains("--rm")));
    for mode in ["host", "none", "container:abc"] {
        let shared = inspect(serde_json::json!({"HostConfig": {"NetworkMode": mode}}));
        assert!(
            refusal(&shared, None).is_some_and(|r| r.contains("network mode")),
            "{mode}"
        );
    }
    let local = inspect(serde_json::json!({"HostConfig": {"PortBindings": {
        "7860/tcp": [{"HostIp": "127.0.0.1", "HostPort": "7860"}],
        "9090/udp": [{"HostIp": "::1", "HostPort": "9090"}]
    }}}));
    assert!(refusal(&local, None).is_some_and(|r| r.contains("nothing to rebind")));
}

#[test]
fn one_guard_per_host_port_and_protocol() {
    let bindings = current_bindings(&inspect(serde_json::json!({})));
    let guards = guards_for(&bindings, Backend::Nftables);
    let shown: Vec<(u16, Proto)> = guards.iter().map(|g| (g.port, g.proto)).collect();
    assert_eq!(shown, vec![(9090, Proto::Udp), (36325, Proto::Tcp)]);
    let step = guard_step(&guards).expect("a step");
    assert_eq!(step.command.matches(" && ").count(), 1, "{}", step.command);
    assert!(
        step.description.contains("2 port(s), nftables"),
        "{}",
        step.description
    );
    assert!(guard_step(&[]).is_none());
}

#[test]
fn the_plan_has_the_safe_order_the_guard_and_the_compose_override() {
    let compose = inspect(serde_json::json!({"Config": {"Labels": {
        "com.docker.compose.project": "genai",
        "com.docker.compose.service": "sdnext",
        "com.docker.compose.project.config_files": "/srv/genai/compose.yaml"
    }}}));
    let plan = rebind_plan(
        &compose,
        &Scene::default(),
        GuardDecision::Add(Backend::Nftables),
        None,
    );
    assert_eq!(plan.kind, ActionKind::Rebind);
    assert_eq!(plan.confirmation, Confirmation::Type("sdnext".into()));
    assert_eq!(plan.refused, None);
    let descriptions: Vec<&str> = plan.steps.iter().map(|s| s.description.as_str()).collect();
    // Create, connect (a second network), stop + check, keep, name, start, verify, guard.
    assert_eq!(descriptions.len(), 9, "{descriptions:#?}");
    assert!(descriptions[0].starts_with("create the replacement as sdnext-vigil-new"));
    assert!(descriptions[1].starts_with("connect the replacement"));
    assert!(descriptions[2].starts_with("send SIGTERM to sdnext (id 3f4e5d6c7b8a"));
    assert!(descriptions[4].starts_with("keep sdnext (id 3f4e5d6c7b8a"));
    assert!(descriptions[7].starts_with("verify that port 36325 answers HTTP"));
    let warning = plan.warnings.join("\n");
    assert!(
        warning.contains("/srv/genai/compose.override.yaml"),
        "{warning}"
    );
    assert!(warning.contains("- \"127.0.0.1:36325:7860\""), "{warning}");
    assert_eq!(
        plan.before["loopback_guard"].as_array().map(Vec::len),
        Some(2)
    );

    let skipped = GuardDecision::Skipped("Docker 20.10 is older than 28; no guard".into());
    let plan = rebind_plan(
        &inspect(serde_json::json!({})),
        &Scene::default(),
        skipped,
        None,
    );
    assert_eq!(plan.steps.len(), 8);
    assert!(plan.warnings.iter().any(|w| w.contains("no guard")));
    let plan = rebind_plan(
        &inspect(serde_json::json!({})),
        &Scene::default(),
        GuardDecision::NotNeeded,
        Some(ID),
    );
    assert!(plan.refused.is_some());
}

#[test]
fn the_plan_records_what_identifies_the_original_and_its_run_state() {
    let plan = rebind_plan(
        &inspect(serde_json::json!({})),
        &Scene::default(),
        GuardDecision::NotNeeded,
        None,
    );
    let work = plan.work.expect("work");
    assert_eq!(work.goal, Goal::Complete);
    let original = work.subject.original.expect("original");
    assert_eq!(original.id, ID);
    assert_eq!(
        original.created.as_deref(),
        Some("2026-11-30T10:00:00.123456789Z")
    );
    assert!(
        original
            .image_id
            .is_some_and(|i| i.starts_with("sha256:1111"))
    );
    assert!(work.subject.was_running);
    assert_eq!(work.subject.action_id, plan.id);
    assert_eq!(plan.before["state"], "running");

    // A stopped container is rebound stopped: nothing stopped, started or verified.
    let stopped = rebind_plan(
        &inspect(serde_json::json!({"State": {"Status": "exited", "Running": false}})),
        &Scene::default(),
        GuardDecision::NotNeeded,
        None,
    );
    let ops = stopped.work.expect("work").ops();
    assert!(
        !ops.contains(&Op::Start {
            who: Role::Replacement
        }),
        "{ops:?}"
    );
    assert!(
        !ops.iter()
            .any(|op| matches!(op, Op::Stop { .. } | Op::VerifyHttp { .. }))
    );
    assert!(
        stopped
            .warnings
            .iter()
            .any(|w| w.contains("is not started"))
    );
}
