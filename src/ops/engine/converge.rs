//! From the host as it is to the goal: the operations still needed, in a safe order. Pure, so
//! every interrupted state is tested without Docker; the executor calls it again for a rollback
//! and `vigil undo` / `vigil resume` call it on whatever an interruption left.

use super::op::{Op, Role};
use super::scene::{Scene, Seen, restart_name};
use super::subject::Subject;
use crate::ops::plan::ActionKind;
use crate::util::text::escape;
use serde::{Deserialize, Serialize};

/// Where an action's subject should end up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// As it was before the action: the undo, and the rollback of an action cut short.
    Before,
    /// The action carried out: the action itself, and `vigil resume`.
    Complete,
    /// A rebind made final: the kept original removed.
    Committed,
}

impl Goal {
    /// The other end: where a rollback of an action towards `self` goes.
    pub fn opposite(self) -> Option<Goal> {
        match self {
            Goal::Before => Some(Goal::Complete),
            Goal::Complete => Some(Goal::Before),
            Goal::Committed => None,
        }
    }
}

/// Why the goal cannot be reached from what is there; nothing is planned then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable(pub String);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The operations that take `subject` from `scene` to `goal`; none when it is there already.
pub fn converge(subject: &Subject, scene: &Scene, goal: Goal) -> Result<Vec<Op>, Unreachable> {
    if subject.original.is_some() {
        same_containers(subject, scene)?;
    }
    match (subject.kind, goal) {
        (ActionKind::Rebind, Goal::Before) => rebind_before(subject, scene),
        (ActionKind::Rebind, Goal::Complete) => rebind_complete(subject, scene),
        (ActionKind::Rebind, Goal::Committed) => rebind_committed(subject, scene),
        (ActionKind::Stop, Goal::Before) => stop_before(subject, scene),
        (ActionKind::Stop, Goal::Complete) => Ok(stop_complete(scene)),
        (ActionKind::Block, goal) => firewall(scene, goal == Goal::Complete),
        (ActionKind::Unblock, goal) => firewall(scene, goal == Goal::Before),
        (kind, goal) => Err(Unreachable(format!(
            "a {kind} action has no state `{}`",
            goal.as_str()
        ))),
    }
}

/// The containers found are the ones the record names: the original by id with the recorded
/// image and creation time, under a name the action gives it; the replacement by vigil's label
/// (or, for an older record, by id and the original's image).
pub(super) fn same_containers(subject: &Subject, scene: &Scene) -> Result<(), Unreachable> {
    let recorded = subject.original.as_ref().expect("checked by the caller");
    if let Some(original) = &scene.original {
        let differs = |what: &str, recorded: &Option<String>, now: &str| {
            recorded.as_deref().is_some_and(|r| r != now).then(|| {
                format!(
                    "its {what} is {now}, the record says {}",
                    recorded.as_deref().unwrap_or("")
                )
            })
        };
        let mismatch = differs("image", &recorded.image_id, &original.image_id)
            .or_else(|| differs("creation time", &recorded.created, &original.created));
        if let Some(mismatch) = mismatch {
            return Err(Unreachable(format!(
                "container {} is not the one the record names: {mismatch}",
                original.describe()
            )));
        }
        let names = [subject.name.clone(), subject.previous_name()];
        if !names.contains(&original.name) {
            return Err(Unreachable(format!(
                "the original {} was renamed since the action (the record expects {} or {}): \
                 the record does not describe this host any more; look before acting by hand",
                original.describe(),
                escape(&names[0]),
                escape(&names[1])
            )));
        }
    }
    if let Some(replacement) = &scene.replacement
        && replacement.action.as_deref() != Some(subject.action_id.as_str())
        && !legacy_replacement(subject, scene, replacement)
    {
        return Err(Unreachable(format!(
            "container {} is recorded as the replacement but carries no vigil label of action {} \
             and does not look like one: vigil will not remove it",
            replacement.describe(),
            subject.action_id
        )));
    }
    Ok(())
}

/// An older version's replacement has no label: it must run the original's image, hold the
/// name or the temporary name, and publish on loopback only.
fn legacy_replacement(subject: &Subject, scene: &Scene, replacement: &Seen) -> bool {
    let same_image = scene
        .original
        .as_ref()
        .is_some_and(|o| o.image_id == replacement.image_id);
    let named = replacement.name == subject.name || replacement.name == subject.new_name();
    let loopback = replacement
        .host_ips
        .iter()
        .all(|ip| crate::model::exposure_of_ip(ip) != crate::model::Exposure::Public);
    Some(&replacement.id) == subject.legacy_replacement.as_ref() && same_image && named && loopback
}

fn stranger(scene: &Scene, name: &str, why: &str) -> Result<(), Unreachable> {
    match scene.stranger_at(name) {
        Some(holder) => Err(Unreachable(format!(
            "{} holds the name {} that {why}; it is neither the original nor vigil's \
             replacement, and vigil will not touch it",
            holder.describe(),
            escape(name)
        ))),
        None => Ok(()),
    }
}

/// Back to the original: the replacement removed, the original under its name with its
/// restart policy and run state, the guards gone.
fn rebind_before(subject: &Subject, scene: &Scene) -> Result<Vec<Op>, Unreachable> {
    let Some(original) = &scene.original else {
        return Err(Unreachable(format!(
            "the original container {} no longer exists: nothing can bring it back; {} is left \
             as it is",
            short(subject),
            scene
                .replacement
                .as_ref()
                .map_or("the host".to_string(), Seen::describe)
        )));
    };
    let mut ops = Vec::new();
    if scene.replacement.is_some() {
        ops.push(Op::RemoveReplacement);
    }
    if original.name != subject.name {
        stranger(scene, &subject.name, "the original must get back")?;
        ops.push(Op::RenameBack);
    }
    if original.restart_name() != restart_name(subject.restart.as_ref()) {
        ops.push(Op::RestoreRestartPolicy);
    }
    if subject.was_running && !original.running() {
        ops.push(Op::Start {
            who: Role::Original,
        });
    }
    ops.extend(remove_guards(subject, scene));
    Ok(ops)
}

/// The rebind carried out: the replacement under the name in the original's run state, the
/// original stopped as NAME-prev with restart policy `no`, the guards in place.
fn rebind_complete(subject: &Subject, scene: &Scene) -> Result<Vec<Op>, Unreachable> {
    let mut ops = Vec::new();
    // A replacement Docker could not remove (`dead`) is removed and made again.
    let dead = scene
        .replacement
        .as_ref()
        .is_some_and(|r| r.status == "dead");
    if dead {
        ops.push(Op::RemoveReplacement);
    }
    let live = scene.replacement.as_ref().filter(|_| !dead);
    match (&scene.original, live) {
        (None, None) => {
            return Err(Unreachable(format!(
                "neither the original container {} nor a replacement exists: nothing to \
                 rebind",
                short(subject)
            )));
        }
        (Some(original), replacement) => {
            match replacement {
                None => {
                    stranger(
                        scene,
                        &subject.new_name(),
                        "the replacement is created under",
                    )?;
                    ops.push(Op::CreateReplacement);
                    if original.networks.len() > 1 {
                        ops.push(Op::ConnectNetworks);
                    }
                }
                Some(replacement) => {
                    if original
                        .networks
                        .iter()
                        .any(|n| !replacement.networks.contains(n))
                    {
                        ops.push(Op::ConnectNetworks);
                    }
                }
            }
            if original.running() {
                ops.push(Op::Stop {
                    who: Role::Original,
                });
            }
            if original.name != subject.previous_name() || original.restart_name() != "no" {
                stranger(
                    scene,
                    &subject.previous_name(),
                    "the original is kept under",
                )?;
                ops.push(Op::KeepAsPrevious);
            }
        }
        (None, Some(_)) => {}
    }
    let replacement = live;
    if replacement.is_none_or(|r| r.name != subject.name) {
        stranger(scene, &subject.name, "the replacement must take")?;
        ops.push(Op::TakeOverName);
    }
    if subject.was_running {
        if !replacement.is_some_and(Seen::running) {
            ops.push(Op::Start {
                who: Role::Replacement,
            });
        }
        let ports = subject.tcp_ports();
        if !ports.is_empty() {
            ops.push(Op::VerifyHttp { ports });
        }
    }
    let missing: Vec<_> = subject
        .guards
        .iter()
        .filter(|g| scene.firewall_error.is_some() || !scene.guards.contains(g))
        .copied()
        .collect();
    if !missing.is_empty() {
        ops.push(Op::AddGuards { guards: missing });
    }
    Ok(ops)
}

/// A rebind made final: the kept original removed, only once the replacement holds the name.
fn rebind_committed(subject: &Subject, scene: &Scene) -> Result<Vec<Op>, Unreachable> {
    let Some(replacement) = scene
        .replacement
        .as_ref()
        .filter(|r| r.name == subject.name)
    else {
        return Err(Unreachable(format!(
            "vigil's replacement does not hold the name {}: committing would leave nothing in \
             the original's place; `vigil resume` or `vigil undo` first",
            escape(&subject.name)
        )));
    };
    let _ = replacement;
    let Some(original) = &scene.original else {
        return Ok(Vec::new());
    };
    if original.name != subject.previous_name() || original.running() {
        return Err(Unreachable(format!(
            "the original {} is not the stopped {} a finished rebind leaves: vigil will not \
             remove it",
            original.describe(),
            escape(&subject.previous_name())
        )));
    }
    Ok(vec![Op::RemoveOriginal])
}

fn remove_guards(subject: &Subject, scene: &Scene) -> Option<Op> {
    let present: Vec<_> = if scene.firewall_error.is_some() {
        subject.guards.clone()
    } else {
        scene.guards.clone()
    };
    (!present.is_empty()).then_some(Op::RemoveGuards { guards: present })
}

fn stop_before(subject: &Subject, scene: &Scene) -> Result<Vec<Op>, Unreachable> {
    let Some(original) = &scene.original else {
        return Err(Unreachable(format!(
            "container {} no longer exists: nothing to start",
            short(subject)
        )));
    };
    if original.name != subject.name {
        return Err(Unreachable(format!(
            "container {} is named differently now (the record says {}): another action or \
             a person changed it since",
            original.describe(),
            escape(&subject.name)
        )));
    }
    Ok(if subject.was_running && !original.running() {
        vec![Op::Start {
            who: Role::Original,
        }]
    } else {
        Vec::new()
    })
}

/// Stopped, or gone when it was started with `--rm`.
fn stop_complete(scene: &Scene) -> Vec<Op> {
    match &scene.original {
        Some(original) if original.running() => vec![Op::Stop {
            who: Role::Original,
        }],
        _ => Vec::new(),
    }
}

fn firewall(scene: &Scene, blocked_wanted: bool) -> Result<Vec<Op>, Unreachable> {
    let Some(blocked) = scene.blocked else {
        return Err(Unreachable(format!(
            "cannot read vigil's firewall rules: {}",
            scene
                .firewall_error
                .as_deref()
                .unwrap_or("no port specification")
        )));
    };
    Ok(match (blocked, blocked_wanted) {
        (false, true) => vec![Op::Block],
        (true, false) => vec![Op::Unblock],
        _ => Vec::new(),
    })
}

fn short(subject: &Subject) -> String {
    let id = subject.original.as_ref().map_or("", |o| o.id.as_str());
    format!("{} ({})", escape(&subject.name), id.get(..12).unwrap_or(id))
}

#[cfg(test)]
mod tests;
