//! Every state a rebind can be cut short in, and what undo (`Before`) and resume (`Complete`)
//! plan from it; identity mismatches, strangers and forged records refused.

use super::*;
use crate::ops::engine::subject::{LoopbackGuard, Recorded};
use crate::ops::firewall::{Backend, Proto};
use bollard::models::{RestartPolicy, RestartPolicyNameEnum};

const ORIGINAL: &str = "0123456789ab0000000000000000000000000000000000000000000000000000";
const REPLACEMENT: &str = "fedcba9876540000000000000000000000000000000000000000000000000000";
const STRANGER: &str = "5555555555550000000000000000000000000000000000000000000000000000";
const ACTION: &str = "20261201T060000Z-rebind-0123456789ab-aabbcc";

fn guard() -> LoopbackGuard {
    LoopbackGuard {
        proto: Proto::Tcp,
        port: 7860,
        backend: Backend::Nftables,
    }
}

fn policy(name: RestartPolicyNameEnum) -> Option<RestartPolicy> {
    Some(RestartPolicy {
        name: Some(name),
        maximum_retry_count: None,
    })
}

fn subject(was_running: bool) -> Subject {
    Subject {
        action_id: ACTION.into(),
        kind: ActionKind::Rebind,
        name: "comfy".into(),
        original: Some(Recorded {
            id: ORIGINAL.into(),
            image_id: Some("sha256:aaaa".into()),
            created: Some("2026-11-30T10:00:00Z".into()),
        }),
        was_running,
        restart: policy(RestartPolicyNameEnum::UNLESS_STOPPED),
        bindings: [(
            "8188/tcp".to_string(),
            vec![("0.0.0.0".to_string(), "7860".to_string())],
        )]
        .into_iter()
        .collect(),
        guards: vec![guard()],
        firewall: None,
        legacy_replacement: None,
        auto_remove: false,
    }
}

fn container(id: &str, name: &str, status: &str) -> Seen {
    Seen {
        id: id.into(),
        name: name.into(),
        image_id: "sha256:aaaa".into(),
        created: "2026-11-30T10:00:00Z".into(),
        status: status.into(),
        restart: None,
        action: None,
        replaces: None,
        networks: vec!["bridge".into()],
        host_ips: vec!["0.0.0.0".into()],
        auto_remove: false,
        stop_timeout: None,
        stop_signal: None,
    }
}

/// The original and (when given) the replacement, each under a name, holders filled in.
fn scene(original: Option<Seen>, replacement: Option<Seen>, guards: bool) -> Scene {
    let mut scene = Scene {
        guards: if guards { vec![guard()] } else { Vec::new() },
        ..Scene::default()
    };
    for seen in original.iter().chain(replacement.iter()) {
        scene.holders.insert(seen.name.clone(), seen.clone());
    }
    scene.original = original;
    scene.replacement = replacement;
    scene
}

fn original(name: &str, status: &str, kept: bool) -> Seen {
    let mut seen = container(ORIGINAL, name, status);
    seen.restart = if kept {
        policy(RestartPolicyNameEnum::NO)
    } else {
        policy(RestartPolicyNameEnum::UNLESS_STOPPED)
    };
    seen
}

fn replacement(name: &str, status: &str) -> Seen {
    let mut seen = container(REPLACEMENT, name, status);
    seen.action = Some(ACTION.into());
    seen.replaces = Some(ORIGINAL.into());
    seen.host_ips = vec!["127.0.0.1".into()];
    seen.created = "2026-12-01T06:00:01Z".into();
    seen
}

fn start(who: Role) -> Op {
    Op::Start { who }
}

fn verify() -> Op {
    Op::VerifyHttp { ports: vec![7860] }
}

fn add_guards() -> Op {
    Op::AddGuards {
        guards: vec![guard()],
    }
}

/// Each point a running container's rebind can stop at, in order.
fn stages() -> Vec<(&'static str, Scene)> {
    vec![
        (
            "nothing done",
            scene(Some(original("comfy", "running", false)), None, false),
        ),
        (
            "replacement created",
            scene(
                Some(original("comfy", "running", false)),
                Some(replacement("comfy-vigil-new", "created")),
                false,
            ),
        ),
        (
            "original stopped",
            scene(
                Some(original("comfy", "exited", false)),
                Some(replacement("comfy-vigil-new", "created")),
                false,
            ),
        ),
        (
            "original kept as -prev",
            scene(
                Some(original("comfy-prev", "exited", true)),
                Some(replacement("comfy-vigil-new", "created")),
                false,
            ),
        ),
        (
            "replacement named",
            scene(
                Some(original("comfy-prev", "exited", true)),
                Some(replacement("comfy", "created")),
                false,
            ),
        ),
        (
            "replacement started",
            scene(
                Some(original("comfy-prev", "exited", true)),
                Some(replacement("comfy", "running")),
                false,
            ),
        ),
        (
            "guards added",
            scene(
                Some(original("comfy-prev", "exited", true)),
                Some(replacement("comfy", "running")),
                true,
            ),
        ),
    ]
}

#[test]
fn resume_from_every_stage_plans_exactly_the_rest() {
    let all = [
        Op::CreateReplacement,
        Op::Stop {
            who: Role::Original,
        },
        Op::KeepAsPrevious,
        Op::TakeOverName,
        start(Role::Replacement),
        verify(),
        add_guards(),
    ];
    let subject = subject(true);
    for (done, (stage, scene)) in stages().into_iter().enumerate() {
        let ops = converge(&subject, &scene, Goal::Complete).expect(stage);
        // The verification is always planned again: it only reads.
        let mut rest: Vec<Op> = all[done.min(5)..].to_vec();
        if done == 6 {
            rest = vec![verify()];
        }
        assert_eq!(ops, rest, "resume after: {stage}");
    }
}

#[test]
fn undo_from_every_stage_returns_to_the_running_original() {
    let subject = subject(true);
    let expected: Vec<Vec<Op>> = vec![
        vec![],
        vec![Op::RemoveReplacement],
        vec![Op::RemoveReplacement, start(Role::Original)],
        vec![
            Op::RemoveReplacement,
            Op::RenameBack,
            Op::RestoreRestartPolicy,
            start(Role::Original),
        ],
        vec![
            Op::RemoveReplacement,
            Op::RenameBack,
            Op::RestoreRestartPolicy,
            start(Role::Original),
        ],
        vec![
            Op::RemoveReplacement,
            Op::RenameBack,
            Op::RestoreRestartPolicy,
            start(Role::Original),
        ],
        vec![
            Op::RemoveReplacement,
            Op::RenameBack,
            Op::RestoreRestartPolicy,
            start(Role::Original),
            Op::RemoveGuards {
                guards: vec![guard()],
            },
        ],
    ];
    for ((stage, scene), want) in stages().into_iter().zip(expected) {
        assert_eq!(
            converge(&subject, &scene, Goal::Before).expect(stage),
            want,
            "undo after: {stage}"
        );
    }
}

#[test]
fn a_stopped_container_stays_stopped_through_rebind_and_undo() {
    let subject = subject(false);
    let before = scene(Some(original("comfy", "exited", false)), None, false);
    assert_eq!(
        converge(&subject, &before, Goal::Complete).expect("plan"),
        vec![
            Op::CreateReplacement,
            Op::KeepAsPrevious,
            Op::TakeOverName,
            add_guards()
        ],
        "no stop, no start, nothing to verify"
    );
    let done = scene(
        Some(original("comfy-prev", "exited", true)),
        Some(replacement("comfy", "created")),
        true,
    );
    assert_eq!(
        converge(&subject, &done, Goal::Before).expect("undo"),
        vec![
            Op::RemoveReplacement,
            Op::RenameBack,
            Op::RestoreRestartPolicy,
            Op::RemoveGuards {
                guards: vec![guard()]
            },
        ],
        "the original is not started"
    );
}

#[test]
fn commit_only_from_a_finished_rebind() {
    let subject = subject(true);
    let stages = stages();
    assert_eq!(
        converge(&subject, &stages[6].1, Goal::Committed).expect("commit"),
        vec![Op::RemoveOriginal]
    );
    for (stage, scene) in &stages[..4] {
        assert!(
            converge(&subject, scene, Goal::Committed).is_err(),
            "commit refused after: {stage}"
        );
    }
    // The original removed already: nothing left to do, twice is harmless.
    let committed = scene(None, Some(replacement("comfy", "running")), true);
    assert_eq!(converge(&subject, &committed, Goal::Committed), Ok(vec![]));
    // A running -prev is not what a finished rebind leaves.
    let running = scene(
        Some(original("comfy-prev", "running", true)),
        Some(replacement("comfy", "running")),
        true,
    );
    assert!(converge(&subject, &running, Goal::Committed).is_err());
}

#[test]
fn a_stranger_holding_a_needed_name_is_never_touched() {
    let subject = subject(true);
    let mut blocked = stages()[2].1.clone();
    blocked.holders.insert(
        "comfy-prev".into(),
        container(STRANGER, "comfy-prev", "running"),
    );
    let refusal = converge(&subject, &blocked, Goal::Complete).expect_err("refused");
    assert!(refusal.0.contains("555555555555"), "{refusal}");
    // The replacement removed by hand and someone started another container as `comfy`.
    let mut taken = scene(Some(original("comfy-prev", "exited", true)), None, false);
    taken
        .holders
        .insert("comfy".into(), container(STRANGER, "comfy", "running"));
    let refusal = converge(&subject, &taken, Goal::Before).expect_err("refused");
    assert!(refusal.0.contains("neither the original"), "{refusal}");
}

#[test]
fn a_record_that_does_not_match_the_host_is_refused() {
    let subject = subject(true);
    // Recreated since: same id is impossible, but a forged record may name any container.
    let mut recreated = stages()[3].1.clone();
    if let Some(o) = recreated.original.as_mut() {
        o.created = "2026-12-01T07:00:00Z".into();
    }
    let refusal = converge(&subject, &recreated, Goal::Before).expect_err("refused");
    assert!(refusal.0.contains("creation time"), "{refusal}");
    // The id the record holds belongs to a container under another name.
    let elsewhere = scene(Some(original("victim", "running", false)), None, false);
    assert!(converge(&subject, &elsewhere, Goal::Before).is_err());
    // A container recorded as the replacement without vigil's label, publishing publicly.
    let mut forged = subject.clone();
    forged.legacy_replacement = Some(STRANGER.into());
    let mut unlabelled = stages()[4].1.clone();
    let mut impostor = container(STRANGER, "comfy", "running");
    impostor.host_ips = vec!["0.0.0.0".into()];
    unlabelled.replacement = Some(impostor);
    let refusal = converge(&forged, &unlabelled, Goal::Before).expect_err("refused");
    assert!(refusal.0.contains("no vigil label"), "{refusal}");
}

#[test]
fn an_older_records_replacement_is_recognised_by_id_image_and_loopback() {
    let mut subject = subject(true);
    subject.legacy_replacement = Some(REPLACEMENT.into());
    subject.original.as_mut().expect("original").created = None;
    let mut old = stages()[6].1.clone();
    if let Some(r) = old.replacement.as_mut() {
        r.action = None;
    }
    let ops = converge(&subject, &old, Goal::Before).expect("undo of an older rebind");
    assert_eq!(ops.first(), Some(&Op::RemoveReplacement));
}

#[test]
fn undo_without_the_original_is_refused_and_names_what_stays() {
    let subject = subject(true);
    let gone = scene(None, Some(replacement("comfy", "running")), true);
    let refusal = converge(&subject, &gone, Goal::Before).expect_err("refused");
    assert!(refusal.0.contains("no longer exists"), "{refusal}");
    assert!(refusal.0.contains("fedcba987654"), "{refusal}");
}

#[test]
fn stop_and_firewall_actions_converge_both_ways() {
    let mut stop = subject(true);
    stop.kind = ActionKind::Stop;
    let running = scene(Some(original("comfy", "running", false)), None, false);
    let exited = scene(Some(original("comfy", "exited", false)), None, false);
    let stop_op = Op::Stop {
        who: Role::Original,
    };
    assert_eq!(converge(&stop, &running, Goal::Complete), Ok(vec![stop_op]));
    assert_eq!(converge(&stop, &exited, Goal::Complete), Ok(vec![]));
    assert_eq!(
        converge(&stop, &exited, Goal::Before),
        Ok(vec![start(Role::Original)])
    );
    assert_eq!(converge(&stop, &running, Goal::Before), Ok(vec![]));
    let renamed = scene(Some(original("other", "exited", false)), None, false);
    assert!(converge(&stop, &renamed, Goal::Before).is_err());

    let mut block = subject(true);
    block.kind = ActionKind::Block;
    block.original = None;
    let open = Scene {
        blocked: Some(false),
        ..Scene::default()
    };
    let closed = Scene {
        blocked: Some(true),
        ..Scene::default()
    };
    assert_eq!(converge(&block, &open, Goal::Complete), Ok(vec![Op::Block]));
    assert_eq!(converge(&block, &closed, Goal::Complete), Ok(vec![]));
    assert_eq!(
        converge(&block, &closed, Goal::Before),
        Ok(vec![Op::Unblock])
    );
    block.kind = ActionKind::Unblock;
    assert_eq!(
        converge(&block, &closed, Goal::Complete),
        Ok(vec![Op::Unblock])
    );
    let unreadable = Scene {
        firewall_error: Some("nft: permission denied".into()),
        ..Scene::default()
    };
    assert!(converge(&block, &unreadable, Goal::Before).is_err());
}

#[test]
fn a_replacement_docker_could_not_remove_is_made_again() {
    let subject = subject(true);
    let dead = scene(
        Some(original("comfy", "running", false)),
        Some(replacement("comfy-vigil-new", "dead")),
        false,
    );
    let ops = converge(&subject, &dead, Goal::Complete).expect("resume");
    assert_eq!(
        ops[..3],
        [
            Op::RemoveReplacement,
            Op::CreateReplacement,
            Op::Stop {
                who: Role::Original
            }
        ]
    );
    assert_eq!(
        converge(&subject, &dead, Goal::Before),
        Ok(vec![Op::RemoveReplacement])
    );
}
