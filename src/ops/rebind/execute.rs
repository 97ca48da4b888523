//! Carrying out a confirmed rebind, its undo and its commit. Visible only inside `ops`: the
//! host is changed through an `Operator`, never by calling these directly.
//!
//! The rebind's order: create the replacement under a temporary name while the original runs
//! (configuration errors cost no downtime) -> connect its extra networks -> stop the original
//! -> rename it NAME-prev with restart policy `no` -> give the replacement the name and start
//! it -> verify at HTTP level -> add the loopback guard. Any failure after the original stopped
//! rolls back by itself.

use super::replacement::{current_bindings, extra_networks, keep_endpoint, replacement_body};
use super::{LoopbackGuard, NEW_SUFFIX, PREVIOUS_SUFFIX, guards_of};
use crate::ops::error::{FirewallError, OpsError};
use crate::ops::plan::Plan;
use crate::ops::progress::Progress;
use bollard::Docker;
use bollard::models::{
    ContainerInspectResponse, ContainerUpdateBody, NetworkConnectRequest, RestartPolicy,
    RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, RenameContainerOptions, StopContainerOptions,
};
use std::time::Duration;

/// What the switch-over works on.
struct Switch<'a> {
    docker: &'a Docker,
    inspect: ContainerInspectResponse,
    name: String,
    old_id: String,
    new_id: String,
    guards: Vec<LoopbackGuard>,
}

pub(in crate::ops) async fn execute(
    docker: &Docker,
    plan: &Plan,
    progress: &Progress,
) -> Result<serde_json::Value, OpsError> {
    let inspect = docker
        .inspect_container(&plan.target.id, None)
        .await
        .map_err(OpsError::docker("inspect the original"))?;
    let new_id = create_replacement(docker, &inspect, plan, progress).await?;
    let switch = Switch {
        docker,
        name: plan.target.name.clone(),
        old_id: plan.target.id.clone(),
        guards: guards_of(&plan.before),
        new_id,
        inspect,
    };
    // Downtime starts here; from now on any failure rolls back.
    match switch_over(&switch, progress).await {
        Ok(()) => switch.result().await,
        Err(failure) => Err(switch.roll_back_after(failure, progress).await),
    }
}

/// Steps 1 and 2: the replacement, created and connected while the original still runs. On a
/// failure nothing was stopped yet: removing the replacement is the whole rollback.
async fn create_replacement(
    docker: &Docker,
    inspect: &ContainerInspectResponse,
    plan: &Plan,
    progress: &Progress,
) -> Result<String, OpsError> {
    let body = replacement_body(inspect)?;
    let name = &plan.target.name;
    let new_id = progress
        .step(0, async {
            let options = CreateContainerOptions {
                name: Some(format!("{name}{NEW_SUFFIX}")),
                ..Default::default()
            };
            docker
                .create_container(Some(options), body)
                .await
                .map(|created| created.id)
                .map_err(OpsError::docker("create the replacement"))
        })
        .await?;
    let connected = progress
        .step(1, async {
            for (network, endpoint) in extra_networks(inspect) {
                let request = NetworkConnectRequest {
                    container: new_id.clone(),
                    endpoint_config: Some(keep_endpoint(&endpoint, &plan.target.id)),
                };
                docker
                    .connect_network(&network, request)
                    .await
                    .map_err(OpsError::docker(format!(
                        "connect the replacement to {network}"
                    )))?;
            }
            Ok::<(), OpsError>(())
        })
        .await;
    if let Err(error) = connected {
        remove_forcibly(docker, &new_id).await;
        return Err(error);
    }
    Ok(new_id)
}

/// Steps 3 to 7: stop the original, keep it as NAME-prev, start the replacement under the
/// name, verify it answers, add the guards.
async fn switch_over(switch: &Switch<'_>, progress: &Progress) -> Result<(), OpsError> {
    let Switch {
        docker,
        name,
        old_id,
        new_id,
        ..
    } = switch;
    stop_here_if_interrupted(progress)?;
    progress
        .step(2, stop_patiently(docker, &switch.inspect))
        .await?;
    stop_here_if_interrupted(progress)?;
    progress
        .step(3, async {
            rename(docker, old_id, &format!("{name}{PREVIOUS_SUFFIX}")).await?;
            let no_restart = RestartPolicy {
                name: Some(RestartPolicyNameEnum::NO),
                maximum_retry_count: None,
            };
            set_restart(docker, old_id, Some(no_restart)).await
        })
        .await?;
    stop_here_if_interrupted(progress)?;
    progress
        .step(4, async {
            rename(docker, new_id, name).await?;
            docker
                .start_container(new_id, None)
                .await
                .map_err(OpsError::docker("start the replacement"))
        })
        .await?;
    stop_here_if_interrupted(progress)?;
    let tcp_ports = rebound_tcp_ports(&switch.inspect);
    progress
        .step(5, verify_http(&tcp_ports, Duration::from_secs(15)))
        .await?;
    stop_here_if_interrupted(progress)?;
    if !switch.guards.is_empty() {
        let to_add = switch.guards.clone();
        progress
            .step(6, async move {
                tokio::task::spawn_blocking(move || add_guards(&to_add))
                    .await
                    .map_err(|e| OpsError::Task(e.to_string()))?
            })
            .await?;
    }
    Ok(())
}

impl Switch<'_> {
    /// What the audit log keeps of an applied rebind: what undo and commit need.
    async fn result(&self) -> Result<serde_json::Value, OpsError> {
        let replacement = self
            .docker
            .inspect_container(&self.new_id, None)
            .await
            .map_err(OpsError::docker("inspect the replacement"))?;
        Ok(serde_json::json!({
            "new_id": self.new_id,
            "previous": format!("{}{PREVIOUS_SUFFIX}", self.name),
            "previous_id": self.old_id,
            "loopback_guard": self.guards,
            "bindings": current_bindings(&replacement),
        }))
    }

    /// Puts the original back after `failure`; the error says whether that worked.
    async fn roll_back_after(&self, failure: OpsError, progress: &Progress) -> OpsError {
        progress.note("rolling back: removing the replacement, starting the original again…");
        let restart = self
            .inspect
            .host_config
            .as_ref()
            .and_then(|h| h.restart_policy.clone());
        let rolled_back =
            roll_back(self.docker, &self.old_id, &self.new_id, &self.name, restart).await;
        progress.note(match &rolled_back {
            Ok(()) => "rolled back: the original runs again with its original bindings",
            Err(_) => "ROLLBACK FAILED: see the error",
        });
        match rolled_back {
            Ok(()) => OpsError::RolledBack {
                failure: Box::new(failure),
            },
            Err(rollback) => OpsError::RollbackFailed {
                failure: Box::new(failure),
                rollback: Box::new(rollback),
            },
        }
    }
}

/// Between two steps: a SIGTERM or Ctrl-C turns into a rollback here, never mid-step.
fn stop_here_if_interrupted(progress: &Progress) -> Result<(), OpsError> {
    match progress.interrupted() {
        Some(signal) => Err(OpsError::Interrupted { signal }),
        None => Ok(()),
    }
}

/// The host ports of the original's TCP bindings: what must answer after the switch.
fn rebound_tcp_ports(inspect: &ContainerInspectResponse) -> Vec<u16> {
    current_bindings(inspect)
        .iter()
        .filter(|(port, _)| port.ends_with("/tcp"))
        .flat_map(|(_, pairs)| pairs.iter().filter_map(|(_, hp)| hp.parse().ok()))
        .collect()
}

/// `docker stop` with the container's own timeout; the client waits longer than that.
async fn stop_patiently(
    docker: &Docker,
    inspect: &ContainerInspectResponse,
) -> Result<(), OpsError> {
    let id = inspect.id.clone().unwrap_or_default();
    let grace = inspect
        .config
        .as_ref()
        .and_then(|c| c.stop_timeout)
        .unwrap_or(10)
        .max(0) as u64;
    docker
        .clone()
        .with_timeout(Duration::from_secs(grace + 30))
        .stop_container(&id, None::<StopContainerOptions>)
        .await
        .map_err(OpsError::docker("stop the original"))
}

/// Puts the original back: remove the replacement, restore the name and restart policy, start it.
pub(in crate::ops) async fn roll_back(
    docker: &Docker,
    old_id: &str,
    new_id: &str,
    name: &str,
    restart: Option<RestartPolicy>,
) -> Result<(), OpsError> {
    remove_forcibly(docker, new_id).await;
    rename(docker, old_id, name).await?;
    set_restart(docker, old_id, restart).await?;
    match docker.start_container(old_id, None).await {
        Ok(()) => Ok(()),
        Err(err) => {
            let error = OpsError::docker("start the original again")(err);
            // 304: it is running already, which is where a rollback wants it.
            if error.docker_status() == Some(304) {
                Ok(())
            } else {
                Err(error)
            }
        }
    }
}

pub(in crate::ops) async fn execute_unrebind(
    docker: &Docker,
    plan: &Plan,
    progress: &Progress,
) -> Result<serde_json::Value, OpsError> {
    let lacks = |what| OpsError::IncompleteRecord {
        id: plan.id.clone(),
        what,
    };
    let new_id = plan.before["new_id"]
        .as_str()
        .ok_or_else(|| lacks("the replacement id"))?;
    let previous_id = plan.before["previous_id"]
        .as_str()
        .ok_or_else(|| lacks("the original id"))?;
    let restart: Option<RestartPolicy> =
        serde_json::from_value(plan.before["restart_policy"].clone()).ok();
    progress
        .steps(
            0..2,
            roll_back(docker, previous_id, new_id, &plan.target.name, restart),
        )
        .await?;
    // The original publishes beyond loopback again: its guards have nothing left to guard.
    let guards = guards_of(&plan.before);
    if !guards.is_empty() {
        let to_remove = guards.clone();
        progress
            .steps(2..plan.steps.len(), async move {
                tokio::task::spawn_blocking(move || remove_guards(&to_remove))
                    .await
                    .map_err(|e| OpsError::Task(e.to_string()))?
            })
            .await?;
    }
    Ok(serde_json::json!({ "running": previous_id, "loopback_guard_removed": guards }))
}

pub(in crate::ops) async fn execute_commit(
    docker: &Docker,
    plan: &Plan,
) -> Result<serde_json::Value, OpsError> {
    let previous_id =
        plan.before["previous_id"]
            .as_str()
            .ok_or_else(|| OpsError::IncompleteRecord {
                id: plan.id.clone(),
                what: "the original id",
            })?;
    let options = RemoveContainerOptions {
        v: false,
        force: true,
        ..Default::default()
    };
    docker
        .remove_container(previous_id, Some(options))
        .await
        .map_err(OpsError::docker("remove the original"))?;
    Ok(serde_json::json!({ "removed": previous_id, "volumes": "kept" }))
}

/// Removes a container vigil created, volumes kept; one already gone is fine.
async fn remove_forcibly(docker: &Docker, id: &str) {
    let options = RemoveContainerOptions {
        force: true,
        ..Default::default()
    };
    let _ = docker.remove_container(id, Some(options)).await;
}

/// Renames a container; one that already has that name is left alone (a rollback before the
/// original was renamed).
async fn rename(docker: &Docker, id: &str, name: &str) -> Result<(), OpsError> {
    let current = docker
        .inspect_container(id, None)
        .await
        .ok()
        .and_then(|i| i.name);
    if current.as_deref().map(|n| n.trim_start_matches('/')) == Some(name) {
        return Ok(());
    }
    let options = RenameContainerOptions {
        name: name.to_string(),
    };
    docker
        .rename_container(id, options)
        .await
        .map_err(OpsError::docker(format!("rename to {name}")))
}

async fn set_restart(
    docker: &Docker,
    id: &str,
    policy: Option<RestartPolicy>,
) -> Result<(), OpsError> {
    let update = ContainerUpdateBody {
        restart_policy: policy,
        ..Default::default()
    };
    docker
        .update_container(id, update)
        .await
        .map_err(OpsError::docker("update the restart policy"))
}

/// GET / on every rebound TCP port until an HTTP answer comes (any status), up to `patience`.
/// A TCP connect alone proves nothing: docker-proxy accepts with nothing behind it.
async fn verify_http(ports: &[u16], patience: Duration) -> Result<(), OpsError> {
    let deadline = tokio::time::Instant::now() + patience;
    for port in ports {
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], *port));
        loop {
            let answer =
                crate::collect::probe::http_get(address, "/", Duration::from_millis(800)).await;
            match answer {
                Ok(_) => break,
                Err(error) if tokio::time::Instant::now() >= deadline => {
                    return Err(OpsError::NotAsExpected(format!(
                        "127.0.0.1:{port} gives no HTTP answer after the rebind ({error})"
                    )));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
    Ok(())
}

/// Adds every guard, or none: on a failure the ones added are removed again.
fn add_guards(guards: &[LoopbackGuard]) -> Result<(), OpsError> {
    for (index, guard) in guards.iter().enumerate() {
        if let Err(error) = guard.backend.guard_loopback(guard.proto, guard.port) {
            let _ = remove_guards(&guards[..index]);
            return Err(error.into());
        }
    }
    Ok(())
}

/// Removes guards; one already gone is not an error (the goal is that none is left).
fn remove_guards(guards: &[LoopbackGuard]) -> Result<(), OpsError> {
    for guard in guards {
        match guard.backend.unguard_loopback(guard.proto, guard.port) {
            Ok(()) | Err(FirewallError::NothingToRemove { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}
