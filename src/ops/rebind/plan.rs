//! Planning a rebind and its undo and commit: read-only, so a dry run and the confirmation use
//! it without an `Operator`. The plan is a pure function of the original's inspect response and
//! of whether a loopback guard is needed, so it is tested without Docker.

use super::replacement::{current_bindings, refusal};
use super::{Bindings, LoopbackGuard, NEW_SUFFIX, PREVIOUS_SUFFIX, guards_of};
use crate::ops::audit::AuditRecord;
use crate::ops::error::OpsError;
use crate::ops::firewall::{self, Backend, Proto};
use crate::ops::plan::{ActionKind, Confirmation, Plan, Step, Target, new_action_id};
use crate::util::text::shell_quote as quote;
use bollard::Docker;
use bollard::models::ContainerInspectResponse;

/// Whether the rebound ports need the loopback guard (Docker < 28), and with which backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardDecision {
    /// Docker 28 or later: loopback bindings are not reachable from the L2 segment.
    NotNeeded,
    Add(Backend),
    /// Needed but not added; the reason becomes a warning of the plan.
    Skipped(String),
}

/// Plans rebinding `target`: inspects it, decides on the loopback guard, and plans.
pub async fn plan_rebind(
    docker: &Docker,
    target: &str,
    loopback_guard: bool,
) -> Result<Plan, OpsError> {
    let inspect = docker
        .inspect_container(target, None)
        .await
        .map_err(
            |err| match crate::collect::docker::DockerError::from_bollard("docker", &err) {
                source if source.status() == Some(404) => {
                    OpsError::NoSuchContainer(crate::util::text::escape(target).into_owned())
                }
                source => OpsError::Docker {
                    step: "inspect the container".into(),
                    source,
                },
            },
        )?;
    let guard = guard_decision(docker, loopback_guard).await;
    let own = crate::ops::planner::own_container();
    Ok(rebind_plan(&inspect, guard, own.as_deref()))
}

/// Before Docker 28, a neighbour on the L2 segment can reach ports published on 127.0.0.1: the
/// guard is needed then, if it can be added.
async fn guard_decision(docker: &Docker, wanted: bool) -> GuardDecision {
    let version = docker.version().await.ok().and_then(|v| v.version);
    let Some(version) = version
        .filter(|v| crate::collect::docker::major_version(v).is_some_and(|major| major < 28))
    else {
        return GuardDecision::NotNeeded;
    };
    let exposure = format!(
        "Docker {} is older than 28: ports published on 127.0.0.1 are still reachable from \
         hosts on the same L2 segment",
        crate::util::text::escape(&version)
    );
    if !wanted {
        return GuardDecision::Skipped(format!("{exposure}; the loopback guard was switched off"));
    }
    let backend = match firewall::selected_backend() {
        Ok(backend) => backend,
        Err(reason) => return GuardDecision::Skipped(format!("{exposure}; no guard: {reason}")),
    };
    match firewall::cannot_change_firewall(backend) {
        Some(reason) => GuardDecision::Skipped(format!("{exposure}; no guard: {reason}")),
        None => GuardDecision::Add(backend),
    }
}

/// One guard per rebound host port and protocol.
pub fn guards_for(bindings: &Bindings, backend: Backend) -> Vec<LoopbackGuard> {
    let mut guards: Vec<LoopbackGuard> = bindings
        .iter()
        .flat_map(|(container_port, pairs)| {
            let proto = if container_port.ends_with("/udp") {
                Proto::Udp
            } else {
                Proto::Tcp
            };
            pairs.iter().filter_map(move |(_, host_port)| {
                Some(LoopbackGuard {
                    proto,
                    port: host_port.parse().ok()?,
                    backend,
                })
            })
        })
        .collect();
    guards.sort_by_key(|g| (g.port, g.proto.as_str()));
    guards.dedup();
    guards
}

/// The plan's step that adds every guard, as one step with the commands joined.
pub fn guard_step(guards: &[LoopbackGuard]) -> Option<Step> {
    let first = guards.first()?;
    let steps: Vec<Step> = guards
        .iter()
        .map(|g| g.backend.guard_loopback_step(g.proto, g.port))
        .collect();
    Some(Step {
        description: format!(
            "{} ({} port(s), {})",
            steps[0].description,
            guards.len(),
            first.backend.as_str()
        ),
        command: steps
            .iter()
            .map(|s| s.command.clone())
            .collect::<Vec<_>>()
            .join(" && "),
    })
}

/// The plan of a rebind of the container `inspect` describes.
pub fn rebind_plan(
    inspect: &ContainerInspectResponse,
    guard: GuardDecision,
    own_container: Option<&str>,
) -> Plan {
    let id = inspect.id.clone().unwrap_or_default();
    let name = inspect
        .name
        .clone()
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_string();
    let image = inspect
        .config
        .as_ref()
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let target = Target {
        id,
        name: name.clone(),
        image,
    };
    let plan_id = new_action_id(ActionKind::Rebind, &target);
    let q = quote(&name);
    let bindings = current_bindings(inspect);
    let mut shown: Vec<String> = bindings
        .iter()
        .flat_map(|(port, pairs)| {
            pairs.iter().map(move |(ip, host_port)| {
                format!("{ip}:{host_port}->{port} becomes 127.0.0.1:{host_port}->{port}")
            })
        })
        .collect();
    shown.sort();
    let labels = inspect
        .config
        .as_ref()
        .and_then(|c| c.labels.clone())
        .unwrap_or_default();
    let mut warnings = Vec::new();
    if let Some(project) = labels.get("com.docker.compose.project") {
        let service = labels
            .get("com.docker.compose.service")
            .cloned()
            .unwrap_or_else(|| "SERVICE".into());
        // One line per host port: the IPv4 and IPv6 bindings of a port are one compose entry.
        let ports: Vec<String> = bindings
            .iter()
            .flat_map(|(port, pairs)| {
                pairs.iter().map(move |(_, hp)| {
                    format!(
                        "      - \"127.0.0.1:{hp}:{}\"",
                        port.trim_end_matches("/tcp")
                    )
                })
            })
            .collect::<std::collections::BTreeSet<String>>()
            .into_iter()
            .collect();
        // Where to put the override: next to the compose file the project was started from.
        let next_to = labels
            .get("com.docker.compose.project.config_files")
            .and_then(|files| files.split(',').next())
            .and_then(|file| std::path::Path::new(file).parent())
            .map(|dir| format!(" as {}/compose.override.yaml", dir.display()))
            .unwrap_or_default();
        warnings.push(format!(
            "managed by docker compose (project {}): the next `docker compose up` restores the public binding. Make it durable with a compose override{} (`!override` needs Compose 2.24 or later):\nservices:\n  {}:\n    ports: !override\n{}",
            crate::util::text::escape(project),
            crate::util::text::escape(&next_to),
            crate::util::text::escape(&service),
            ports.join("\n")
        ));
    }
    let steps = vec![
        Step { description: format!("create the replacement as {name}{NEW_SUFFIX} with the same configuration, image pinned by id, ports on 127.0.0.1: {}", shown.join("; ")), command: format!("docker create --name {q}{NEW_SUFFIX} ... -p 127.0.0.1:PORT:PORT ... IMAGE_ID") },
        Step { description: "connect the replacement to the container's other networks with their aliases".into(), command: format!("docker network connect --alias ... NETWORK {q}{NEW_SUFFIX}") },
        Step { description: "stop the original (graceful, its own stop timeout)".into(), command: format!("docker stop {q}") },
        Step { description: format!("keep the original as {name}{PREVIOUS_SUFFIX} with restart policy no, for rollback"), command: format!("docker rename {q} {q}{PREVIOUS_SUFFIX} && docker update --restart=no {q}{PREVIOUS_SUFFIX}") },
        Step { description: "give the replacement the original name and start it".into(), command: format!("docker rename {q}{NEW_SUFFIX} {q} && docker start {q}") },
        Step { description: "verify every rebound TCP port answers HTTP on 127.0.0.1; on any failure roll back to the original".into(), command: "curl -s -o /dev/null http://127.0.0.1:PORT/".into() },
    ];
    let guards = match guard {
        GuardDecision::NotNeeded => Vec::new(),
        GuardDecision::Add(backend) => guards_for(&bindings, backend),
        GuardDecision::Skipped(reason) => {
            warnings.push(reason);
            Vec::new()
        }
    };
    let mut steps = steps;
    steps.extend(guard_step(&guards));
    Plan {
        undo: format!(
            "vigil undo {plan_id}  (removes the replacement, renames {name}{PREVIOUS_SUFFIX} back and starts it); `vigil commit {plan_id}` removes {name}{PREVIOUS_SUFFIX} (never its volumes)"
        ),
        id: plan_id,
        kind: ActionKind::Rebind,
        host: crate::util::host::host_name(),
        steps,
        warnings,
        confirmation: Confirmation::Type(name.clone()),
        refused: refusal(inspect, own_container),
        undoes: None,
        before: serde_json::json!({
            "name": name,
            "bindings": bindings,
            "restart_policy": inspect.host_config.as_ref().and_then(|h| h.restart_policy.clone()),
            "loopback_guard": guards,
        }),
        firewall: None,
        target,
    }
}

/// Plans the undo of an applied rebind, from its audit records.
pub fn plan_unrebind(original: &AuditRecord, after: &serde_json::Value) -> Result<Plan, OpsError> {
    let name = original.target.name.clone();
    let lacks = |what| OpsError::IncompleteRecord {
        id: original.action_id.clone(),
        what,
    };
    let new_id = after["new_id"]
        .as_str()
        .ok_or_else(|| lacks("the replacement id"))?;
    let previous_id = after["previous_id"]
        .as_str()
        .ok_or_else(|| lacks("the original id"))?;
    let q = quote(&name);
    let target = original.target.clone();
    let guards = guards_of(after);
    let mut steps = vec![
        Step {
            description: "remove the replacement (its own volumes are kept)".into(),
            command: format!("docker rm -f {q}"),
        },
        Step {
            description: format!(
                "rename {name}{PREVIOUS_SUFFIX} back, restore its restart policy, start it"
            ),
            command: format!(
                "docker rename {q}{PREVIOUS_SUFFIX} {q} && docker update --restart=... {q} && docker start {q}"
            ),
        },
    ];
    steps.extend(
        guards
            .iter()
            .map(|g| g.backend.unguard_loopback_step(g.proto, g.port)),
    );
    Ok(Plan {
        id: new_action_id(ActionKind::Unrebind, &target),
        kind: ActionKind::Unrebind,
        host: crate::util::host::host_name(),
        steps,
        undo: format!("vigil rebind {q}"),
        warnings: vec!["the original publishes its ports beyond loopback again".into()],
        confirmation: Confirmation::Type(name.clone()),
        refused: None,
        undoes: Some(original.action_id.clone()),
        before: serde_json::json!({
            "new_id": new_id,
            "previous_id": previous_id,
            "name": name,
            "restart_policy": original.before["restart_policy"],
            "loopback_guard": guards,
        }),
        firewall: None,
        target,
    })
}

/// Plans removing NAME-prev after a rebind (volumes are never removed).
pub fn plan_commit(original: &AuditRecord, after: &serde_json::Value) -> Result<Plan, OpsError> {
    let name = original.target.name.clone();
    let previous_id = after["previous_id"]
        .as_str()
        .ok_or_else(|| OpsError::IncompleteRecord {
            id: original.action_id.clone(),
            what: "the original id",
        })?;
    let target = original.target.clone();
    Ok(Plan {
        id: new_action_id(ActionKind::Commit, &target),
        kind: ActionKind::Commit,
        host: crate::util::host::host_name(),
        steps: vec![Step {
            description: format!(
                "remove {name}{PREVIOUS_SUFFIX}, the original kept for rollback; its volumes stay"
            ),
            command: format!("docker rm {}{PREVIOUS_SUFFIX}", quote(&name)),
        }],
        undo: "none: after a commit the original container is gone (its volumes remain)".into(),
        warnings: vec!["after this the rebind can no longer be undone".into()],
        confirmation: Confirmation::YesNo,
        refused: None,
        undoes: Some(original.action_id.clone()),
        before: serde_json::json!({ "previous_id": previous_id }),
        firewall: None,
        target,
    })
}
