//! Planning a rebind and its undo and commit: read-only, so a dry run and the confirmation use
//! it without an `Operator`. The plan is a pure function of the original's inspect response and
//! of whether a loopback guard is needed, so it is tested without Docker.

use super::replacement::{current_bindings, refusal};
use super::{Bindings, LoopbackGuard, PREVIOUS_SUFFIX};
use crate::ops::engine::{self, Goal, Recorded, Scene, Seen, Subject, Work};
use crate::ops::error::OpsError;
use crate::ops::firewall::{self, Backend, Proto};
use crate::ops::plan::{ActionKind, Confirmation, Plan, Step, Target, new_action_id};
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
    let mut plan = rebind_plan(&inspect, &Scene::default(), guard, own.as_deref());
    // Planned again with the host as it is: whoever holds NAME-prev or NAME-vigil-new shows.
    if let Some(work) = plan.work.take() {
        let scene = engine::observe(docker, &work.subject).await?;
        replan(&mut plan, work.subject, &scene);
    }
    Ok(plan)
}

/// The operations and steps of `plan` from `scene`; refused when the rebind cannot be done
/// from there.
fn replan(plan: &mut Plan, subject: Subject, scene: &Scene) {
    match engine::converge(&subject, scene, Goal::Complete) {
        Ok(ops) => {
            let (work, steps) = Work::new(subject, Goal::Complete, ops, scene);
            plan.steps = steps;
            plan.work = Some(work);
        }
        Err(why) => {
            plan.refused = plan.refused.take().or(Some(why.0));
            plan.work = Some(Work::new(subject, Goal::Complete, Vec::new(), scene).0);
        }
    }
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

/// The plan of a rebind of the container `inspect` describes, from what `scene` shows of the
/// names it uses (an empty scene: only the original is known).
pub fn rebind_plan(
    inspect: &ContainerInspectResponse,
    scene: &Scene,
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
    let bindings = current_bindings(inspect);
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
    let guards = match guard {
        GuardDecision::NotNeeded => Vec::new(),
        GuardDecision::Add(backend) => guards_for(&bindings, backend),
        GuardDecision::Skipped(reason) => {
            warnings.push(reason);
            Vec::new()
        }
    };
    let original = Seen::from_inspect(inspect);
    if !original.running() {
        warnings.push(format!(
            "the container is {}: the replacement is created and takes the name but is not \
             started, as the original was not",
            original.status
        ));
    }
    let subject = Subject {
        action_id: plan_id.clone(),
        kind: ActionKind::Rebind,
        name: name.clone(),
        original: Some(Recorded {
            id: original.id.clone(),
            image_id: Some(original.image_id.clone()),
            created: Some(original.created.clone()),
        }),
        was_running: original.running(),
        restart: original.restart.clone(),
        bindings: bindings.clone(),
        guards: guards.clone(),
        firewall: None,
        legacy_replacement: None,
        auto_remove: original.auto_remove,
    };
    let mut plan = Plan {
        undo: format!(
            "vigil undo {plan_id}  (removes the replacement, renames {name}{PREVIOUS_SUFFIX} back and restores its state); `vigil commit {plan_id}` removes {name}{PREVIOUS_SUFFIX} (never its volumes)"
        ),
        id: plan_id,
        kind: ActionKind::Rebind,
        host: crate::util::host::host_name(),
        steps: Vec::new(),
        warnings,
        confirmation: Confirmation::Type(name.clone()),
        refused: refusal(inspect, own_container),
        undoes: None,
        before: serde_json::json!({
            "name": name,
            "bindings": bindings,
            "restart_policy": original.restart,
            "state": original.status,
            "image_id": original.image_id,
            "created": original.created,
            "loopback_guard": guards,
        }),
        firewall: None,
        resumes: None,
        work: None,
        target,
    };
    let mut scene = scene.clone();
    scene.original.get_or_insert_with(|| original.clone());
    scene.holders.entry(name).or_insert(original);
    replan(&mut plan, subject, &scene);
    plan
}
