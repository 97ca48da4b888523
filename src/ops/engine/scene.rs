//! The host as it is now, as far as one action is concerned: the original container (by its
//! recorded id), vigil's replacement (by its label), whatever holds the names the action uses,
//! and the firewall elements it adds. Observed before planning and again before every
//! operation.

use super::subject::{LoopbackGuard, Subject};
use super::{ACTION_LABEL, REPLACES_LABEL};
use crate::ops::error::OpsError;
use bollard::Docker;
use bollard::models::{ContainerInspectResponse, RestartPolicy};
use bollard::query_parameters::ListContainersOptions;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One container as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    pub id: String,
    pub name: String,
    pub image_id: String,
    pub created: String,
    /// `running`, `exited`, `created`, `paused`, `restarting`, `dead`.
    pub status: String,
    pub restart: Option<RestartPolicy>,
    /// The vigil labels, on a replacement vigil created.
    pub action: Option<String>,
    pub replaces: Option<String>,
    pub networks: Vec<String>,
    /// Host IPs of its published bindings, as configured.
    pub host_ips: Vec<String>,
    pub auto_remove: bool,
    pub stop_timeout: Option<i64>,
    pub stop_signal: Option<String>,
}

impl Seen {
    /// Up, in the sense that matters here: it holds its ports and would have to be stopped.
    pub fn running(&self) -> bool {
        matches!(self.status.as_str(), "running" | "restarting" | "paused")
    }

    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }

    /// Its restart policy's name, `no` when none is set.
    pub fn restart_name(&self) -> String {
        restart_name(self.restart.as_ref())
    }

    /// How the plan names it: name, short id, image, creation time and state.
    pub fn describe(&self) -> String {
        format!(
            "{} (id {}, image {}, created {}, {})",
            crate::util::text::escape(&self.name),
            self.short_id(),
            self.image_id.get(..19).unwrap_or(&self.image_id),
            self.created.get(..19).unwrap_or(&self.created),
            self.status
        )
    }

    pub fn from_inspect(inspect: &ContainerInspectResponse) -> Seen {
        let config = inspect.config.as_ref();
        let labels = config.and_then(|c| c.labels.as_ref());
        let label = |key: &str| labels.and_then(|l| l.get(key)).cloned();
        let host_config = inspect.host_config.as_ref();
        let mut networks: Vec<String> = inspect
            .network_settings
            .as_ref()
            .and_then(|n| n.networks.as_ref())
            .map(|n| n.keys().cloned().collect())
            .unwrap_or_default();
        networks.sort();
        let host_ips = host_config
            .and_then(|h| h.port_bindings.as_ref())
            .map(|bindings| {
                bindings
                    .values()
                    .flatten()
                    .flatten()
                    .map(|b| b.host_ip.clone().unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        Seen {
            id: inspect.id.clone().unwrap_or_default(),
            name: inspect
                .name
                .clone()
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image_id: inspect.image.clone().unwrap_or_default(),
            created: inspect.created.clone().unwrap_or_default(),
            status: inspect
                .state
                .as_ref()
                .and_then(|s| s.status)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            restart: host_config.and_then(|h| h.restart_policy.clone()),
            action: label(ACTION_LABEL),
            replaces: label(REPLACES_LABEL),
            networks,
            host_ips,
            auto_remove: host_config.and_then(|h| h.auto_remove) == Some(true),
            stop_timeout: config.and_then(|c| c.stop_timeout),
            stop_signal: config.and_then(|c| c.stop_signal.clone()),
        }
    }
}

impl Seen {
    /// The same facts from the collector's view of a container (for plans made from it).
    pub fn from_details(details: &crate::model::ContainerDetails) -> Seen {
        let (policy, count) = details
            .restart_policy
            .split_once(':')
            .unwrap_or((details.restart_policy.as_str(), ""));
        let restart = serde_json::from_value(serde_json::json!({
            "Name": policy,
            "MaximumRetryCount": count.parse::<i64>().ok(),
        }))
        .ok();
        Seen {
            id: details.id.clone(),
            name: details.name.clone(),
            image_id: details.image_id.clone(),
            created: details.created.clone(),
            status: details.state.clone(),
            restart,
            action: details.label(ACTION_LABEL).map(str::to_string),
            replaces: details.label(REPLACES_LABEL).map(str::to_string),
            networks: details.networks.iter().map(|n| n.name.clone()).collect(),
            host_ips: details
                .configured_ports
                .iter()
                .map(|p| p.host_ip.clone())
                .collect(),
            auto_remove: details.auto_remove,
            stop_timeout: details.stop_timeout,
            stop_signal: details.stop_signal.clone(),
        }
    }
}

/// `no` for an unset policy, as Docker treats it.
pub fn restart_name(policy: Option<&RestartPolicy>) -> String {
    policy
        .and_then(|p| p.name)
        .map(|n| n.to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "no".into())
}

/// What one action sees of the host.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// The container the action is about, found by its recorded id.
    pub original: Option<Seen>,
    /// vigil's replacement: the container carrying this action's label.
    pub replacement: Option<Seen>,
    /// Whoever holds the names the action uses (NAME, NAME-prev, NAME-vigil-new).
    pub holders: HashMap<String, Seen>,
    /// The action's loopback guards that are present.
    pub guards: Vec<LoopbackGuard>,
    /// For a firewall action: whether its ports are blocked now.
    pub blocked: Option<bool>,
    /// Why the firewall could not be read, when it could not.
    pub firewall_error: Option<String>,
}

impl Scene {
    /// The container holding `name` now, if any.
    pub fn holder(&self, name: &str) -> Option<&Seen> {
        self.holders.get(name)
    }

    /// The container holding `name` when it is neither the original nor the replacement.
    pub fn stranger_at(&self, name: &str) -> Option<&Seen> {
        self.holder(name).filter(|holder| {
            Some(&holder.id) != self.original.as_ref().map(|o| &o.id)
                && Some(&holder.id) != self.replacement.as_ref().map(|r| &r.id)
        })
    }
}

/// Looks at the host for `subject`: a few inspections and one filtered list.
pub async fn observe(docker: &Docker, subject: &Subject) -> Result<Scene, OpsError> {
    let mut scene = Scene::default();
    if let Some(original) = &subject.original {
        scene.original = inspect(docker, &original.id).await?;
        scene.replacement = replacement(docker, subject).await?;
        for name in [
            subject.name.clone(),
            subject.previous_name(),
            subject.new_name(),
        ] {
            if let Some(holder) = inspect(docker, &name).await? {
                scene.holders.insert(name, holder);
            }
        }
    }
    observe_firewall(subject, &mut scene).await;
    Ok(scene)
}

/// Inspects by id or name; `None` when there is no such container. A container Docker is still
/// removing (vigil was killed during a `docker rm`) is waited for: it is about to be gone, and
/// planning from its transient state would try to start it.
async fn inspect(docker: &Docker, which: &str) -> Result<Option<Seen>, OpsError> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let seen = inspect_once(docker, which).await?;
        match seen {
            Some(seen) if seen.status == "removing" => {
                if tokio::time::Instant::now() >= deadline {
                    return Err(OpsError::NotAsExpected(format!(
                        "Docker is still removing {} after 15 s; try again once it is gone",
                        seen.describe()
                    )));
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            other => return Ok(other),
        }
    }
}

async fn inspect_once(docker: &Docker, which: &str) -> Result<Option<Seen>, OpsError> {
    match docker.inspect_container(which, None).await {
        Ok(inspect) => Ok(Some(Seen::from_inspect(&inspect))),
        Err(err) => {
            let error = OpsError::docker(format!("inspect {which}"))(err);
            if error.docker_status() == Some(404) {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// The container carrying this action's label (an older version's replacement, which has
/// none, by its recorded id, if it still looks like one).
async fn replacement(docker: &Docker, subject: &Subject) -> Result<Option<Seen>, OpsError> {
    let options = ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([(
            "label".to_string(),
            vec![format!("{ACTION_LABEL}={}", subject.action_id)],
        )])),
        ..Default::default()
    };
    let listed = docker
        .list_containers(Some(options))
        .await
        .map_err(OpsError::docker("list vigil's replacements"))?;
    if let Some(id) = listed.into_iter().find_map(|c| c.id) {
        return inspect(docker, &id).await;
    }
    match &subject.legacy_replacement {
        Some(id) => inspect(docker, id).await,
        None => Ok(None),
    }
}

async fn observe_firewall(subject: &Subject, scene: &mut Scene) {
    let guards = subject.guards.clone();
    let spec = subject.firewall;
    let seen = tokio::task::spawn_blocking(move || {
        let mut present = Vec::new();
        for backend in guards
            .iter()
            .map(|g| g.backend)
            .collect::<std::collections::BTreeSet<_>>()
        {
            let listed = backend.guarded()?;
            present.extend(
                guards
                    .iter()
                    .filter(|g| g.backend == backend && listed.contains(&(g.proto, g.port))),
            );
        }
        let blocked =
            match spec {
                Some(spec) => Some(spec.backend.blocked()?.iter().any(|(proto, element)| {
                    *proto == spec.proto && *element == spec.range.element()
                })),
                None => None,
            };
        Ok::<_, crate::ops::error::FirewallError>((present, blocked))
    })
    .await;
    match seen {
        Ok(Ok((guards, blocked))) => {
            scene.guards = guards;
            scene.blocked = blocked;
        }
        Ok(Err(error)) => scene.firewall_error = Some(error.to_string()),
        Err(error) => scene.firewall_error = Some(error.to_string()),
    }
}
