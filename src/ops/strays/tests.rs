//! What counts as stray, against audit logs written by hand.

use super::*;
use crate::model::{ContainerState, Health};

fn record(
    id: &str,
    phase: &str,
    action: &str,
    target: (&str, &str),
    extra: serde_json::Value,
) -> AuditRecord {
    let mut value = serde_json::json!({
        "time": "2026-12-01T06:00:00Z", "action_id": id, "phase": phase, "action": action,
        "target": {"id": target.0, "name": target.1, "image": "img"},
        "user": "root", "login_user": null, "ssh_client": null, "host": "gpu-01",
    });
    if let (Some(object), serde_json::Value::Object(more)) = (value.as_object_mut(), extra) {
        object.extend(more);
    }
    serde_json::from_value(value).expect("a record")
}

fn rebind(id: &str, original: &str, result: Option<&str>) -> Vec<AuditRecord> {
    let guard = serde_json::json!({"before": {"loopback_guard": [
        {"proto": "tcp", "port": 7860, "backend": "nftables"}]}});
    let mut records = vec![record(id, "planned", "rebind", (original, "comfy"), guard)];
    if let Some(result) = result {
        records.push(record(
            id,
            "outcome",
            "rebind",
            (original, "comfy"),
            serde_json::json!({"result": result}),
        ));
    }
    records
}

fn container(id: &str, name: &str, labels: &[(&str, &str)]) -> Container {
    Container {
        id: id.into(),
        name: name.into(),
        image: "img".into(),
        state: ContainerState::Running,
        health: Health::None,
        status_text: String::new(),
        created_unix: 0,
        ports: Vec::new(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        network_mode: "bridge".into(),
    }
}

fn guard() -> LoopbackGuard {
    LoopbackGuard {
        proto: Proto::Tcp,
        port: 7860,
        backend: Backend::Nftables,
    }
}

fn scene() -> (Vec<Container>, Holdings) {
    let containers = vec![
        container(
            "r".repeat(64).as_str(),
            "comfy",
            &[(ACTION_LABEL, "A"), (REPLACES_LABEL, &"o".repeat(64))],
        ),
        container("o".repeat(64).as_str(), "comfy-prev", &[]),
    ];
    let holdings = Holdings {
        guards: vec![guard()],
        ..Holdings::default()
    };
    (containers, holdings)
}

#[test]
fn an_applied_or_cut_short_rebind_accounts_for_what_it_left() {
    let (containers, holdings) = scene();
    let original = "o".repeat(64);
    for result in [Some("applied"), None, Some("unfinished")] {
        let records = rebind("A", &original, result);
        assert_eq!(find(&records, &containers, &holdings), vec![], "{result:?}");
    }
}

#[test]
fn what_an_undone_or_committed_rebind_left_is_stray() {
    let (containers, holdings) = scene();
    let original = "o".repeat(64);
    let undone = rebind("A", &original, Some("undone"));
    let strays = find(&undone, &containers, &holdings);
    let kinds: Vec<(StrayKind, &str)> = strays.iter().map(|s| (s.kind, s.name.as_str())).collect();
    assert_eq!(
        kinds,
        vec![
            (StrayKind::Container, "comfy"),
            (StrayKind::Container, "comfy-prev"),
            (StrayKind::LoopbackGuard, "7860/tcp"),
        ]
    );
    assert!(
        strays[0].why.contains("may be serving"),
        "{}",
        strays[0].why
    );
    assert_eq!(strays[0].remove, format!("docker rm -f {}", "r".repeat(12)));
    assert!(
        strays[2].remove.starts_with("nft delete element"),
        "{}",
        strays[2].remove
    );

    // Committed: the replacement is the service now; only a -prev left behind is stray.
    let committed = rebind("A", &original, Some("committed"));
    let strays = find(&committed, &containers, &Holdings::default());
    assert_eq!(strays.len(), 1, "{strays:?}");
    assert_eq!(strays[0].name, "comfy-prev");
    assert_eq!(strays[0].remove, format!("docker rm {}", "o".repeat(12)));
}

#[test]
fn a_labelled_container_the_log_does_not_know_and_an_orphan_new_are_stray() {
    let (containers, holdings) = scene();
    let strays = find(&[], &containers, &holdings);
    assert_eq!(strays.len(), 3, "{strays:?}");
    assert!(strays[0].why.contains("does not hold"), "{}", strays[0].why);
    let orphan = vec![container(&"n".repeat(64), "sdnext-vigil-new", &[])];
    let strays = find(&[], &orphan, &Holdings::default());
    assert_eq!(strays.len(), 1);
    // A -prev nobody at vigil named is someone else's naming: left alone.
    let theirs = vec![container(&"p".repeat(64), "db-prev", &[])];
    assert!(find(&[], &theirs, &Holdings::default()).is_empty());
}

#[test]
fn blocks_are_accounted_by_the_latest_action_on_their_port() {
    let spec = serde_json::json!({"firewall": {"proto": "tcp", "range": {"first": 80, "last": 80}, "backend": "nftables"}});
    let target = ("port:tcp/80", "80/tcp");
    let holdings = Holdings {
        blocked: vec![(Backend::Nftables, Proto::Tcp, "80".into())],
        ..Holdings::default()
    };
    let applied = vec![
        record("B", "planned", "block", target, spec.clone()),
        record(
            "B",
            "outcome",
            "block",
            target,
            serde_json::json!({"result": "applied"}),
        ),
    ];
    assert!(find(&applied, &[], &holdings).is_empty());
    let mut undone = applied.clone();
    undone.push(record(
        "B",
        "outcome",
        "block",
        target,
        serde_json::json!({"result": "undone"}),
    ));
    let strays = find(&undone, &[], &holdings);
    assert_eq!(strays.len(), 1);
    assert_eq!(strays[0].kind, StrayKind::BlockedPort);
    assert!(
        strays[0].remove.contains("blocked_tcp { 80 }"),
        "{}",
        strays[0].remove
    );
    assert!(find(&[], &[], &holdings)[0].why.contains("no action"));
}
