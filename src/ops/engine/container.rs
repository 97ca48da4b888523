//! What each operation does on the host: the Docker calls and the firewall changes. Only the
//! executor calls these, after `check` confirmed the containers are the ones the record names.

use super::op::{Op, Role};
use super::scene::{Scene, Seen};
use super::subject::{LoopbackGuard, Subject};
use super::{ACTION_LABEL, REPLACES_LABEL};
use crate::ops::error::{FirewallError, OpsError};
use crate::ops::rebind::replacement::{
    current_bindings, extra_networks, keep_endpoint, replacement_body_bound,
};
use bollard::Docker;
use bollard::models::{
    ContainerUpdateBody, NetworkConnectRequest, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, RenameContainerOptions, StopContainerOptions,
};
use serde_json::json;
use std::time::Duration;

/// Carries out `op`; the facts learned (a new container's id) for the journal.
pub async fn perform(
    docker: &Docker,
    op: &Op,
    subject: &Subject,
    scene: &Scene,
) -> Result<serde_json::Value, OpsError> {
    let original = || seen(scene.original.as_ref());
    let replacement = || seen(scene.replacement.as_ref());
    match op {
        Op::CreateReplacement => create_replacement(docker, subject, original()?).await,
        Op::ConnectNetworks => connect_networks(docker, original()?, replacement()?).await,
        Op::Stop { who } => stop(docker, seen(role(scene, *who))?, label(*who)).await,
        Op::Start { who } => start(docker, seen(role(scene, *who))?, label(*who)).await,
        Op::KeepAsPrevious => {
            let kept = original()?;
            rename(docker, kept, &subject.previous_name()).await?;
            set_restart(docker, &kept.id, None).await?;
            Ok(json!({"id": kept.id, "name": subject.previous_name(), "restart": "no"}))
        }
        Op::TakeOverName => {
            let taking = replacement()?;
            rename(docker, taking, &subject.name).await?;
            Ok(json!({"id": taking.id, "name": subject.name}))
        }
        Op::RenameBack => {
            let back = original()?;
            rename(docker, back, &subject.name).await?;
            Ok(json!({"id": back.id, "name": subject.name}))
        }
        Op::RestoreRestartPolicy => {
            let back = original()?;
            set_restart(docker, &back.id, subject.restart.clone()).await?;
            Ok(json!({"id": back.id, "restart": subject.restart}))
        }
        Op::RemoveReplacement => remove(docker, replacement()?, true).await,
        Op::RemoveOriginal => remove(docker, original()?, false).await,
        Op::VerifyHttp { ports } => {
            verify_http(ports, Duration::from_secs(15)).await?;
            Ok(json!({"answered": ports}))
        }
        Op::AddGuards { guards } => firewall(guards.clone(), true).await,
        Op::RemoveGuards { guards } => firewall(guards.clone(), false).await,
        Op::Block | Op::Unblock => block(subject, *op == Op::Block).await,
    }
}

fn role(scene: &Scene, who: Role) -> Option<&Seen> {
    match who {
        Role::Original => scene.original.as_ref(),
        Role::Replacement => scene.replacement.as_ref(),
    }
}

/// How errors name the container: `the original (NAME)`.
fn label(who: Role) -> &'static str {
    match who {
        Role::Original => "the original",
        Role::Replacement => "the replacement",
    }
}

fn seen(container: Option<&Seen>) -> Result<&Seen, OpsError> {
    container.ok_or_else(|| OpsError::NotAsExpected("the container vanished meanwhile".into()))
}

/// The replacement: the original's configuration with loopback bindings and vigil's labels,
/// under the temporary name, never started here.
async fn create_replacement(
    docker: &Docker,
    subject: &Subject,
    original: &Seen,
) -> Result<serde_json::Value, OpsError> {
    let inspect = docker
        .inspect_container(&original.id, None)
        .await
        .map_err(OpsError::docker("inspect the original"))?;
    let bindings = if subject.bindings.is_empty() {
        current_bindings(&inspect)
    } else {
        subject.bindings.clone()
    };
    let mut body = replacement_body_bound(&inspect, bindings)?;
    let labels = body.labels.get_or_insert_with(Default::default);
    labels.insert(ACTION_LABEL.into(), subject.action_id.clone());
    labels.insert(REPLACES_LABEL.into(), original.id.clone());
    let options = CreateContainerOptions {
        name: Some(subject.new_name()),
        ..Default::default()
    };
    let created = docker
        .create_container(Some(options), body)
        .await
        .map_err(OpsError::docker("create the replacement"))?;
    Ok(json!({"new_id": created.id, "name": subject.new_name()}))
}

async fn connect_networks(
    docker: &Docker,
    original: &Seen,
    replacement: &Seen,
) -> Result<serde_json::Value, OpsError> {
    let inspect = docker
        .inspect_container(&original.id, None)
        .await
        .map_err(OpsError::docker("inspect the original"))?;
    let mut connected = Vec::new();
    for (network, endpoint) in extra_networks(&inspect) {
        if replacement.networks.contains(&network) {
            continue;
        }
        let request = NetworkConnectRequest {
            container: replacement.id.clone(),
            endpoint_config: Some(keep_endpoint(&endpoint, &original.id)),
        };
        docker
            .connect_network(&network, request)
            .await
            .map_err(OpsError::docker(format!(
                "connect the replacement to {network}"
            )))?;
        connected.push(network);
    }
    Ok(json!({"id": replacement.id, "connected": connected}))
}

/// `docker stop` with the container's own timeout (the client waits longer than that), then a
/// check that it no longer runs. A container started with `--rm` is gone afterwards.
async fn stop(
    docker: &Docker,
    container: &Seen,
    what: &str,
) -> Result<serde_json::Value, OpsError> {
    let grace = container.stop_timeout.unwrap_or(10).max(0) as u64;
    let stopped = docker
        .clone()
        .with_timeout(Duration::from_secs(grace + 30))
        .stop_container(&container.id, None::<StopContainerOptions>)
        .await
        .map_err(OpsError::docker(format!(
            "stop {what} ({})",
            container.name
        )));
    match (stopped, status(docker, &container.id).await?) {
        (_, None) => Ok(json!({"id": container.id, "state": "removed"})),
        (Err(error), Some(state)) if state == "running" && error.docker_status() != Some(304) => {
            Err(error)
        }
        (_, Some(state)) if state == "running" => Err(OpsError::NotAsExpected(format!(
            "{what} ({}) is still running",
            container.name
        ))),
        (_, Some(state)) => Ok(json!({"id": container.id, "state": state})),
    }
}

/// `docker start`, then a check that it stayed up.
async fn start(
    docker: &Docker,
    container: &Seen,
    what: &str,
) -> Result<serde_json::Value, OpsError> {
    if let Err(err) = docker.start_container(&container.id, None).await {
        let error = OpsError::docker(format!("start {what} ({})", container.name))(err);
        // 304: it runs already, which is where this wants it.
        if error.docker_status() != Some(304) {
            return Err(error);
        }
    }
    match status(docker, &container.id).await? {
        Some(state) if state == "running" => Ok(json!({"id": container.id, "state": state})),
        state => Err(OpsError::NotAsExpected(format!(
            "{what} ({}) did not stay up (state {})",
            container.name,
            state.as_deref().unwrap_or("removed")
        ))),
    }
}

/// The container's state now; `None` once it is gone.
async fn status(docker: &Docker, id: &str) -> Result<Option<String>, OpsError> {
    match docker.inspect_container(id, None).await {
        Ok(inspect) => Ok(Some(Seen::from_inspect(&inspect).status)),
        Err(err) => {
            let error = OpsError::docker("inspect the container")(err);
            match error.docker_status() {
                Some(404) => Ok(None),
                _ => Err(error),
            }
        }
    }
}

async fn rename(docker: &Docker, container: &Seen, name: &str) -> Result<(), OpsError> {
    if container.name == name {
        return Ok(());
    }
    let options = RenameContainerOptions {
        name: name.to_string(),
    };
    docker
        .rename_container(&container.id, options)
        .await
        .map_err(OpsError::docker(format!(
            "rename {} to {name}",
            container.name
        )))
}

/// Sets the restart policy; `None` means `no`.
async fn set_restart(
    docker: &Docker,
    id: &str,
    policy: Option<RestartPolicy>,
) -> Result<(), OpsError> {
    let policy = policy.unwrap_or(RestartPolicy {
        name: Some(RestartPolicyNameEnum::NO),
        maximum_retry_count: None,
    });
    let update = ContainerUpdateBody {
        restart_policy: Some(policy),
        ..Default::default()
    };
    docker
        .update_container(id, update)
        .await
        .map_err(OpsError::docker("update the restart policy"))
}

/// Removes a container, never its volumes. `force` only for vigil's own replacement.
async fn remove(
    docker: &Docker,
    container: &Seen,
    force: bool,
) -> Result<serde_json::Value, OpsError> {
    let options = RemoveContainerOptions {
        force,
        v: false,
        ..Default::default()
    };
    match docker.remove_container(&container.id, Some(options)).await {
        Ok(()) => {}
        Err(err) => {
            let error = OpsError::docker(format!("remove {}", container.name))(err);
            if error.docker_status() != Some(404) {
                return Err(error);
            }
        }
    }
    Ok(json!({"removed": container.id, "name": container.name, "volumes": "kept"}))
}

/// GET / on every port until an HTTP answer comes (any status), up to `patience`. A TCP
/// connect alone proves nothing: docker-proxy accepts with nothing behind it.
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

/// Adds or removes loopback guards; all or nothing on adding, and a guard already gone is fine
/// on removing (the goal is that none is left).
async fn firewall(guards: Vec<LoopbackGuard>, add: bool) -> Result<serde_json::Value, OpsError> {
    let facts = json!({"guards": guards, "added": add});
    tokio::task::spawn_blocking(move || {
        if add {
            add_guards(&guards)
        } else {
            remove_guards(&guards)
        }
    })
    .await
    .map_err(|e| OpsError::Task(e.to_string()))??;
    Ok(facts)
}

fn add_guards(guards: &[LoopbackGuard]) -> Result<(), OpsError> {
    for (index, guard) in guards.iter().enumerate() {
        if let Err(error) = guard.backend.guard_loopback(guard.proto, guard.port) {
            let _ = remove_guards(&guards[..index]);
            return Err(error.into());
        }
    }
    Ok(())
}

fn remove_guards(guards: &[LoopbackGuard]) -> Result<(), OpsError> {
    for guard in guards {
        match guard.backend.unguard_loopback(guard.proto, guard.port) {
            Ok(()) | Err(FirewallError::NothingToRemove { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// Adds or removes the block of a firewall action; the firewall's blocked ports afterwards.
async fn block(subject: &Subject, add: bool) -> Result<serde_json::Value, OpsError> {
    let spec = subject.firewall.ok_or_else(|| OpsError::IncompleteRecord {
        id: subject.action_id.clone(),
        what: "a firewall specification",
    })?;
    tokio::task::spawn_blocking(move || {
        let changed = if add {
            spec.backend.block(spec.proto, spec.range)
        } else {
            spec.backend.unblock(spec.proto, spec.range)
        };
        match changed {
            Ok(()) | Err(FirewallError::NothingToRemove { .. }) => {}
            Err(error) => return Err(OpsError::from(error)),
        }
        Ok(crate::ops::block::snapshot(spec.backend))
    })
    .await
    .map_err(|e| OpsError::Task(e.to_string()))?
}
