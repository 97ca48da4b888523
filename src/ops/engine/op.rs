//! The operations an action is made of, and how a plan shows each: what it does to which
//! container (named with id, image, creation time and state) and the shell command a human
//! could run instead.

use super::converge::Goal;
use super::scene::{Scene, Seen};
use super::subject::{LoopbackGuard, Subject};
use crate::ops::plan::Step;
use crate::util::text::{escape, shell_quote as quote};
use serde::{Deserialize, Serialize};

/// Which of an action's containers an operation touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The container the action is about (for a rebind: the one kept as NAME-prev).
    Original,
    /// The container a rebind creates, labelled with the action's id.
    Replacement,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Create NAME-vigil-new from the original's configuration with loopback bindings.
    CreateReplacement,
    /// Connect the replacement to the original's other networks, with their aliases.
    ConnectNetworks,
    Stop {
        who: Role,
    },
    Start {
        who: Role,
    },
    /// Rename the original NAME-prev and set its restart policy to `no`.
    KeepAsPrevious,
    /// Give the replacement the original's name.
    TakeOverName,
    /// Remove the replacement (its volumes stay).
    RemoveReplacement,
    /// Give the original its name back.
    RenameBack,
    /// Put the original's restart policy back.
    RestoreRestartPolicy,
    /// Remove the original kept as NAME-prev (commit; its volumes stay).
    RemoveOriginal,
    VerifyHttp {
        ports: Vec<u16>,
    },
    AddGuards {
        guards: Vec<LoopbackGuard>,
    },
    RemoveGuards {
        guards: Vec<LoopbackGuard>,
    },
    /// Add the firewall action's block.
    Block,
    /// Remove the firewall action's block.
    Unblock,
}

/// An operation in a plan, with how many of the plan's steps show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedOp {
    pub op: Op,
    pub steps: usize,
}

/// What the executor needs of a plan: the subject, the goal and the operations the user saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Work {
    pub subject: Subject,
    pub goal: Goal,
    pub ops: Vec<PlannedOp>,
}

impl Work {
    /// The operations, and the plan's steps that show them, from what `scene` shows.
    pub fn new(subject: Subject, goal: Goal, ops: Vec<Op>, scene: &Scene) -> (Work, Vec<Step>) {
        let mut steps = Vec::new();
        let planned = ops
            .into_iter()
            .map(|op| {
                let shown = describe(&op, &subject, scene);
                let count = shown.len();
                steps.extend(shown);
                PlannedOp { op, steps: count }
            })
            .collect();
        (
            Work {
                subject,
                goal,
                ops: planned,
            },
            steps,
        )
    }

    pub fn ops(&self) -> Vec<Op> {
        self.ops.iter().map(|p| p.op.clone()).collect()
    }
}

fn who(scene: &Scene, role: Role) -> Option<&Seen> {
    match role {
        Role::Original => scene.original.as_ref(),
        Role::Replacement => scene.replacement.as_ref(),
    }
}

/// `NAME (id …, image …, created …, state)` of the container, or what it will be.
fn named(scene: &Scene, role: Role, subject: &Subject) -> String {
    match (who(scene, role), role) {
        (Some(seen), _) => seen.describe(),
        (None, Role::Replacement) => format!("the replacement {}", escape(&subject.new_name())),
        (None, Role::Original) => escape(&subject.name).into_owned(),
    }
}

/// The id a command uses (the name for a container not created yet).
fn handle(scene: &Scene, role: Role, subject: &Subject) -> String {
    match who(scene, role) {
        Some(seen) => seen.short_id().to_string(),
        None => quote(&subject.new_name()),
    }
}

fn step(description: String, command: String) -> Step {
    Step {
        description,
        command,
    }
}

/// The plan's steps for one operation.
pub fn describe(op: &Op, subject: &Subject, scene: &Scene) -> Vec<Step> {
    let name = escape(&subject.name);
    let q = quote(&subject.name);
    let original = || named(scene, Role::Original, subject);
    let original_id = || handle(scene, Role::Original, subject);
    let replacement_id = || handle(scene, Role::Replacement, subject);
    match op {
        Op::CreateReplacement => vec![step(
            format!(
                "create the replacement as {} with the configuration of {}, image pinned by id, \
                 labelled {}={}, ports on 127.0.0.1: {}",
                escape(&subject.new_name()),
                original(),
                super::ACTION_LABEL,
                subject.action_id,
                rebound(subject)
            ),
            format!(
                "docker create --name {} --label {}={} ... -p 127.0.0.1:PORT:PORT ... IMAGE_ID",
                quote(&subject.new_name()),
                super::ACTION_LABEL,
                subject.action_id
            ),
        )],
        Op::ConnectNetworks => vec![step(
            "connect the replacement to the original's other networks with their aliases".into(),
            format!(
                "docker network connect --alias ... NETWORK {}",
                replacement_id()
            ),
        )],
        Op::Stop { who: role } => stop_steps(subject, scene, *role),
        Op::Start { who: role } => vec![step(
            format!(
                "start {} and check that it stays up",
                named(scene, *role, subject)
            ),
            format!("docker start {}", handle(scene, *role, subject)),
        )],
        Op::KeepAsPrevious => vec![step(
            format!(
                "keep {} as {name}-prev with restart policy no, for rollback",
                original()
            ),
            format!(
                "docker rename {} {q}-prev && docker update --restart=no {}",
                original_id(),
                original_id()
            ),
        )],
        Op::TakeOverName => vec![step(
            format!(
                "give {} the name {name}",
                named(scene, Role::Replacement, subject)
            ),
            format!("docker rename {} {q}", replacement_id()),
        )],
        Op::RemoveReplacement => vec![step(
            format!(
                "remove {}, created by vigil action {} (its volumes are kept)",
                named(scene, Role::Replacement, subject),
                subject.action_id
            ),
            format!("docker rm -f {}", replacement_id()),
        )],
        Op::RenameBack => vec![step(
            format!("give {} its name {name} back", original()),
            format!("docker rename {} {q}", original_id()),
        )],
        Op::RestoreRestartPolicy => {
            let policy = super::scene::restart_name(subject.restart.as_ref());
            vec![step(
                format!("restore the restart policy `{policy}` of {}", original()),
                format!("docker update --restart={policy} {}", original_id()),
            )]
        }
        Op::RemoveOriginal => vec![step(
            format!(
                "remove {}, the original kept for rollback; its volumes stay",
                original()
            ),
            format!("docker rm {}", original_id()),
        )],
        Op::VerifyHttp { ports } => vec![step(
            format!(
                "verify that {} answer{} HTTP on 127.0.0.1; on a failure roll back",
                list(ports),
                if ports.len() == 1 { "s" } else { "" }
            ),
            "curl -s -o /dev/null http://127.0.0.1:PORT/".into(),
        )],
        Op::AddGuards { guards } => crate::ops::rebind::guard_step(guards).into_iter().collect(),
        Op::RemoveGuards { guards } => guards
            .iter()
            .map(|g| g.backend.unguard_loopback_step(g.proto, g.port))
            .collect(),
        Op::Block | Op::Unblock => firewall_steps(op, subject),
    }
}

fn list(ports: &[u16]) -> String {
    let shown: Vec<String> = ports.iter().map(|p| format!("port {p}")).collect();
    shown.join(", ")
}

fn rebound(subject: &Subject) -> String {
    let mut shown: Vec<String> = subject
        .bindings
        .iter()
        .flat_map(|(port, pairs)| {
            pairs.iter().map(move |(ip, host_port)| {
                format!("{ip}:{host_port}->{port} becomes 127.0.0.1:{host_port}->{port}")
            })
        })
        .collect();
    shown.sort();
    shown.join("; ")
}

fn stop_steps(subject: &Subject, scene: &Scene, role: Role) -> Vec<Step> {
    let seen = who(scene, role);
    let timeout = seen.and_then(|s| s.stop_timeout);
    let grace = timeout.map_or("10 s (Docker's default)".to_string(), |t| {
        format!("{t} s (the container's own)")
    });
    let signal = seen
        .and_then(|s| s.stop_signal.clone())
        .unwrap_or_else(|| "SIGTERM".into());
    let id = handle(scene, role, subject);
    let command = match timeout {
        Some(t) => format!("docker stop -t {t} {id}"),
        None => format!("docker stop {id}"),
    };
    vec![
        step(
            format!(
                "send {signal} to {}, wait up to {grace}, then SIGKILL",
                named(scene, role, subject)
            ),
            command,
        ),
        step(
            "check that it is no longer running".into(),
            format!("docker inspect -f '{{{{.State.Status}}}}' {id}"),
        ),
    ]
}

fn firewall_steps(op: &Op, subject: &Subject) -> Vec<Step> {
    let Some(spec) = subject.firewall else {
        return Vec::new();
    };
    if *op == Op::Block {
        spec.backend.block_steps(spec.proto, spec.range)
    } else {
        spec.backend.unblock_steps(spec.proto, spec.range)
    }
}

impl Goal {
    pub fn as_str(self) -> &'static str {
        match self {
            Goal::Before => "as before the action",
            Goal::Complete => "the action complete",
            Goal::Committed => "the rebind committed",
        }
    }
}
