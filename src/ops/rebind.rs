//! Rebind: recreate a container with its published ports on 127.0.0.1, in the safe order of
//! DESIGN.md, keeping the original as `NAME-prev` for rollback until the user commits.
//!
//! Order: inspect (kept) -> create the replacement under a temporary name while the old one runs
//! (config errors surface before any downtime) -> connect extra networks -> stop old -> rename old
//! to NAME-prev and set its restart policy to `no` -> rename new to NAME -> start -> verify at HTTP
//! level. Any failure after the old one stopped rolls back by itself.

use super::firewall::{self, Backend, Proto};
use super::plan::{ActionKind, Confirmation, Plan, Step, Target, new_action_id};
use super::progress::Progress;
use crate::util::text::shell_quote as quote;
use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerUpdateBody, EndpointSettings,
    NetworkConnectRequest, NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, RenameContainerOptions, StopContainerOptions,
};
use std::collections::HashMap;

/// Marks an error after which the automatic rollback succeeded (the action's state is then
/// `rolled back`, not `failed`).
pub const ROLLED_BACK: &str = "; rolled back: the original is running again";

/// Suffix of the kept original.
pub const PREVIOUS_SUFFIX: &str = "-prev";
/// Suffix of the replacement while it is being prepared.
const NEW_SUFFIX: &str = "-vigil-new";

fn err(context: &str, error: bollard::errors::Error) -> String {
    format!(
        "{context}: {}",
        crate::collect::docker::explain_error("docker", &error)
    )
}

/// Published bindings as configured, with random host ports pinned to the port bound now.
fn current_bindings(inspect: &ContainerInspectResponse) -> HashMap<String, Vec<(String, String)>> {
    let configured = inspect
        .host_config
        .as_ref()
        .and_then(|h| h.port_bindings.clone())
        .unwrap_or_default();
    let live = inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.ports.clone())
        .unwrap_or_default();
    configured
        .into_iter()
        .map(|(port, bindings)| {
            let live_port = live
                .get(&port)
                .and_then(|b| b.as_ref())
                .and_then(|b| b.iter().find_map(|pb| pb.host_port.clone()));
            let pairs = bindings
                .unwrap_or_default()
                .into_iter()
                .map(|b| {
                    let host_port = b
                        .host_port
                        .filter(|p| !p.is_empty() && p != "0")
                        .or_else(|| live_port.clone())
                        .unwrap_or_default();
                    (b.host_ip.unwrap_or_default(), host_port)
                })
                .collect();
            (port, pairs)
        })
        .collect()
}

/// Why this container cannot be rebound, if it cannot.
fn refusal(inspect: &ContainerInspectResponse, own: Option<&str>) -> Option<String> {
    let host_config = inspect.host_config.as_ref()?;
    let mode = host_config.network_mode.clone().unwrap_or_default();
    if own.is_some_and(|own| Some(own) == inspect.id.as_deref()) {
        return Some("this is the container vigil itself runs in".into());
    }
    if host_config.auto_remove == Some(true) {
        return Some("started with --rm: stopping deletes it, so there could be no rollback; block the port instead (`f`)".into());
    }
    if mode == "host" || mode == "none" || mode.starts_with("container:") {
        return Some(format!(
            "network mode `{}`: there are no published ports to rebind; block the port in the firewall (`f`) and fix the application's listen address",
            crate::util::text::escape(&mode)
        ));
    }
    let bindings = current_bindings(inspect);
    let outside = bindings
        .values()
        .flatten()
        .any(|(ip, _)| crate::model::exposure_of_ip(ip) == crate::model::Exposure::Public);
    if !outside {
        return Some("no port is published beyond loopback: nothing to rebind".into());
    }
    None
}

/// The create body of the replacement: the same configuration with loopback bindings, the image
/// pinned by id, anonymous volumes re-attached by name, the primary network's aliases and static
/// addresses kept.
pub fn replacement_body(inspect: &ContainerInspectResponse) -> Result<ContainerCreateBody, String> {
    let config = inspect.config.clone().unwrap_or_default();
    // Config and the create body share their JSON form: going through it keeps every field,
    // including ones this code does not name.
    let mut body: ContainerCreateBody =
        serde_json::from_value(serde_json::to_value(&config).map_err(|e| e.to_string())?)
            .map_err(|e| format!("cannot reuse the container configuration: {e}"))?;
    let id = inspect.id.clone().unwrap_or_default();
    if body.hostname.as_deref() == id.get(..12) {
        // Docker set it to the old short id: the new container gets its own.
        body.hostname = None;
    }
    body.image = inspect.image.clone().or(body.image);

    let mut host_config = inspect.host_config.clone().unwrap_or_default();
    let bindings = current_bindings(inspect)
        .into_iter()
        .map(|(port, pairs)| {
            let mut seen = std::collections::HashSet::new();
            let rebound: Vec<PortBinding> = pairs
                .into_iter()
                .filter(|(_, host_port)| seen.insert(host_port.clone()))
                .map(|(_, host_port)| PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(host_port),
                })
                .collect();
            (port, Some(rebound))
        })
        .collect();
    host_config.port_bindings = Some(bindings);
    // Anonymous (and named) volumes that are not in Binds/Mounts would otherwise be replaced by
    // fresh empty ones: re-attach them by name.
    let mut binds = host_config.binds.clone().unwrap_or_default();
    let explicit: Vec<String> = binds
        .iter()
        .filter_map(|b| b.split(':').nth(1).map(str::to_string))
        .chain(
            host_config
                .mounts
                .clone()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| m.target),
        )
        .collect();
    for mount in inspect.mounts.clone().unwrap_or_default() {
        let is_volume = mount
            .typ
            .as_ref()
            .is_some_and(|t| t.to_string().as_str() == "volume");
        if let (true, Some(name), Some(destination)) = (is_volume, mount.name, mount.destination)
            && !explicit.contains(&destination)
        {
            let mode = if mount.rw == Some(false) { ":ro" } else { "" };
            binds.push(format!("{name}:{destination}{mode}"));
        }
    }
    host_config.binds = (!binds.is_empty()).then_some(binds);
    body.host_config = Some(host_config);

    let primary = primary_network(inspect);
    if let Some((name, endpoint)) = primary {
        body.networking_config = Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(name, keep_endpoint(&endpoint, &id))])),
        });
    }
    Ok(body)
}

fn primary_network(inspect: &ContainerInspectResponse) -> Option<(String, EndpointSettings)> {
    let mode = inspect.host_config.as_ref()?.network_mode.clone()?;
    let networks = inspect.network_settings.as_ref()?.networks.clone()?;
    let name = if mode == "default" {
        "bridge".to_string()
    } else {
        mode
    };
    networks.get(&name).cloned().map(|e| (name, e))
}

fn extra_networks(inspect: &ContainerInspectResponse) -> Vec<(String, EndpointSettings)> {
    let primary = primary_network(inspect).map(|(name, _)| name);
    inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, _)| Some(name) != primary.as_ref())
        .collect()
}

/// Aliases (minus the old short id Docker adds) and static addresses of an endpoint.
fn keep_endpoint(endpoint: &EndpointSettings, old_id: &str) -> EndpointSettings {
    EndpointSettings {
        aliases: endpoint.aliases.clone().map(|aliases| {
            aliases
                .into_iter()
                .filter(|a| Some(a.as_str()) != old_id.get(..12))
                .collect()
        }),
        ipam_config: endpoint.ipam_config.clone(),
        ..Default::default()
    }
}

/// The loopback guard to add with a rebind: one entry per rebound host port, with the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoopbackGuard {
    pub proto: Proto,
    pub port: u16,
    pub backend: Backend,
}

/// Before Docker 28, a neighbour on the L2 segment can reach ports published on 127.0.0.1:
/// the guard for each rebound port, or why none is added (a warning for the plan).
async fn loopback_guards(
    docker: &Docker,
    bindings: &HashMap<String, Vec<(String, String)>>,
    wanted: bool,
) -> (Vec<LoopbackGuard>, Option<String>) {
    let version = docker.version().await.ok().and_then(|v| v.version);
    let Some(version) = version
        .filter(|v| crate::collect::docker::major_version(v).is_some_and(|major| major < 28))
    else {
        return (Vec::new(), None);
    };
    let exposure = format!(
        "Docker {} is older than 28: ports published on 127.0.0.1 are still reachable from          hosts on the same L2 segment",
        crate::util::text::escape(&version)
    );
    if !wanted {
        return (
            Vec::new(),
            Some(format!("{exposure}; the loopback guard was switched off")),
        );
    }
    let backend = match firewall::selected_backend() {
        Ok(backend) => backend,
        Err(reason) => return (Vec::new(), Some(format!("{exposure}; no guard: {reason}"))),
    };
    if let Some(reason) = firewall::cannot_change_firewall(backend) {
        return (Vec::new(), Some(format!("{exposure}; no guard: {reason}")));
    }
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
    (guards, None)
}

fn guard_step(guards: &[LoopbackGuard]) -> Option<Step> {
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

/// Adds every guard, or none: on a failure the ones added are removed again.
fn add_guards(guards: &[LoopbackGuard]) -> Result<(), String> {
    for (index, guard) in guards.iter().enumerate() {
        if let Err(error) = guard.backend.guard_loopback(guard.proto, guard.port) {
            remove_guards(&guards[..index]);
            return Err(format!("add the loopback guard: {error}"));
        }
    }
    Ok(())
}

/// Removes guards; one already gone is not an error (the goal is that none is left).
fn remove_guards(guards: &[LoopbackGuard]) -> Vec<String> {
    guards
        .iter()
        .filter_map(|g| g.backend.unguard_loopback(g.proto, g.port).err())
        .filter(|error| !error.contains("nothing to remove"))
        .collect()
}

fn guards_of(value: &serde_json::Value) -> Vec<LoopbackGuard> {
    serde_json::from_value(value["loopback_guard"].clone()).unwrap_or_default()
}

pub async fn plan_rebind(
    docker: &Docker,
    target: &str,
    loopback_guard: bool,
) -> Result<Plan, String> {
    let inspect = docker.inspect_container(target, None).await.map_err(|e| {
        err(
            &format!("no container `{}`", crate::util::text::escape(target)),
            e,
        )
    })?;
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
    let bindings = current_bindings(&inspect);
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
    let (guards, guard_warning) = loopback_guards(docker, &bindings, loopback_guard).await;
    warnings.extend(guard_warning);
    let mut steps = steps;
    steps.extend(guard_step(&guards));
    Ok(Plan {
        undo: format!(
            "vigil undo {plan_id}  (removes the replacement, renames {name}{PREVIOUS_SUFFIX} back and starts it); `vigil commit {plan_id}` removes {name}{PREVIOUS_SUFFIX} (never its volumes)"
        ),
        id: plan_id,
        kind: ActionKind::Rebind,
        host: crate::util::host::host_name(),
        steps,
        warnings,
        confirmation: Confirmation::Type(name.clone()),
        refused: refusal(&inspect, super::planner::own_container().as_deref()),
        undoes: None,
        before: serde_json::json!({
            "name": name,
            "bindings": bindings,
            "restart_policy": inspect.host_config.as_ref().and_then(|h| h.restart_policy.clone()),
            "loopback_guard": guards,
        }),
        firewall: None,
        target,
    })
}

async fn rename(docker: &Docker, id: &str, name: &str) -> Result<(), String> {
    docker
        .rename_container(
            id,
            RenameContainerOptions {
                name: name.to_string(),
            },
        )
        .await
        .map_err(|e| err(&format!("rename to {name}"), e))
}

async fn set_restart(
    docker: &Docker,
    id: &str,
    policy: Option<RestartPolicy>,
) -> Result<(), String> {
    docker
        .update_container(
            id,
            ContainerUpdateBody {
                restart_policy: policy,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| err("update restart policy", e))
}

/// GET / on every rebound TCP port until an HTTP answer comes (any status), up to `patience`.
async fn verify_http(ports: &[u16], patience: std::time::Duration) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + patience;
    for port in ports {
        loop {
            let address = std::net::SocketAddr::from(([127, 0, 0, 1], *port));
            match crate::collect::probe::http_get(
                address,
                "/",
                std::time::Duration::from_millis(800),
            )
            .await
            {
                Ok(_) => break,
                Err(error) if tokio::time::Instant::now() >= deadline => {
                    return Err(format!(
                        "127.0.0.1:{port} gives no HTTP answer after the rebind ({error})"
                    ));
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
            }
        }
    }
    Ok(())
}

pub async fn execute(
    docker: &Docker,
    plan: &Plan,
    progress: &Progress,
) -> Result<serde_json::Value, String> {
    let inspect = docker
        .inspect_container(&plan.target.id, None)
        .await
        .map_err(|e| err("inspect", e))?;
    let name = plan.target.name.clone();
    let old_id = plan.target.id.clone();
    let body = replacement_body(&inspect)?;
    let tcp_ports: Vec<u16> = current_bindings(&inspect)
        .iter()
        .filter(|(port, _)| port.ends_with("/tcp"))
        .flat_map(|(_, pairs)| pairs.iter().filter_map(|(_, hp)| hp.parse().ok()))
        .collect();
    let original_restart = inspect
        .host_config
        .as_ref()
        .and_then(|h| h.restart_policy.clone());
    let guards = guards_of(&plan.before);

    // 1. The replacement, while the original still runs: configuration errors cost no downtime.
    let new_id = progress
        .step(0, async {
            docker
                .create_container(
                    Some(CreateContainerOptions {
                        name: Some(format!("{name}{NEW_SUFFIX}")),
                        ..Default::default()
                    }),
                    body,
                )
                .await
                .map(|created| created.id)
                .map_err(|e| err("create the replacement", e))
        })
        .await?;
    let connected = progress
        .step(1, async {
            for (network, endpoint) in extra_networks(&inspect) {
                let request = NetworkConnectRequest {
                    container: new_id.clone(),
                    endpoint_config: Some(keep_endpoint(&endpoint, &old_id)),
                };
                docker
                    .connect_network(&network, request)
                    .await
                    .map_err(|e| err(&format!("connect the replacement to {network}"), e))?;
            }
            Ok(())
        })
        .await;
    if let Err(error) = connected {
        // Nothing was stopped yet: removing the replacement is the whole rollback.
        let _ = docker
            .remove_container(
                &new_id,
                Some(RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            )
            .await;
        return Err(error);
    }

    // 2. Downtime starts here; from now on any failure rolls back.
    let switched = async {
        let grace = inspect
            .config
            .as_ref()
            .and_then(|c| c.stop_timeout)
            .unwrap_or(10)
            .max(0) as u64;
        progress
            .step(2, async {
                docker
                    .clone()
                    .with_timeout(std::time::Duration::from_secs(grace + 30))
                    .stop_container(&old_id, None::<StopContainerOptions>)
                    .await
                    .map_err(|e| err("stop the original", e))
            })
            .await?;
        progress
            .step(3, async {
                rename(docker, &old_id, &format!("{name}{PREVIOUS_SUFFIX}")).await?;
                set_restart(
                    docker,
                    &old_id,
                    Some(RestartPolicy {
                        name: Some(RestartPolicyNameEnum::NO),
                        maximum_retry_count: None,
                    }),
                )
                .await
            })
            .await?;
        progress
            .step(4, async {
                rename(docker, &new_id, &name).await?;
                docker
                    .start_container(&new_id, None)
                    .await
                    .map_err(|e| err("start the replacement", e))
            })
            .await?;
        progress
            .step(
                5,
                verify_http(&tcp_ports, std::time::Duration::from_secs(15)),
            )
            .await?;
        if !guards.is_empty() {
            let to_add = guards.clone();
            progress
                .step(6, async move {
                    tokio::task::spawn_blocking(move || add_guards(&to_add))
                        .await
                        .map_err(|e| e.to_string())?
                })
                .await?;
        }
        Ok::<(), String>(())
    }
    .await;

    match switched {
        Ok(()) => Ok(serde_json::json!({
            "new_id": new_id,
            "previous": format!("{name}{PREVIOUS_SUFFIX}"),
            "previous_id": old_id,
            "loopback_guard": guards,
            "bindings": current_bindings(&docker.inspect_container(&new_id, None).await.map_err(|e| err("inspect", e))?),
        })),
        Err(error) => {
            progress.note("rolling back: removing the replacement, starting the original again…");
            let rolled_back = roll_back(docker, &old_id, &new_id, &name, original_restart).await;
            progress.note(match &rolled_back {
                Ok(()) => "rolled back: the original runs again with its original bindings",
                Err(_) => "ROLLBACK FAILED: see the error",
            });
            Err(match rolled_back {
                Ok(()) => format!("{error}{ROLLED_BACK} with its original bindings"),
                Err(rollback_error) => format!("{error}; ROLLBACK FAILED: {rollback_error}"),
            })
        }
    }
}

/// Puts the original back: remove the replacement, restore the name and restart policy, start it.
pub async fn roll_back(
    docker: &Docker,
    old_id: &str,
    new_id: &str,
    name: &str,
    restart: Option<RestartPolicy>,
) -> Result<(), String> {
    let _ = docker
        .remove_container(
            new_id,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await;
    rename(docker, old_id, name).await.or_else(|e| {
        if e.contains("already") {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    set_restart(docker, old_id, restart).await?;
    match docker.start_container(old_id, None).await {
        Ok(()) => Ok(()),
        Err(e) if e.to_string().contains("304") => Ok(()),
        Err(e) => Err(err("start the original again", e)),
    }
}

/// Plans the undo of an applied rebind, from its audit records.
pub fn plan_unrebind(
    original: &super::AuditRecord,
    after: &serde_json::Value,
) -> Result<Plan, String> {
    let name = original.target.name.clone();
    let new_id = after["new_id"]
        .as_str()
        .ok_or("the rebind record lacks the replacement id")?;
    let previous_id = after["previous_id"]
        .as_str()
        .ok_or("the rebind record lacks the original id")?;
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
pub fn plan_commit(
    original: &super::AuditRecord,
    after: &serde_json::Value,
) -> Result<Plan, String> {
    let name = original.target.name.clone();
    let previous_id = after["previous_id"]
        .as_str()
        .ok_or("the rebind record lacks the original id")?;
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

pub async fn execute_unrebind(
    docker: &Docker,
    plan: &Plan,
    progress: &Progress,
) -> Result<serde_json::Value, String> {
    let new_id = plan.before["new_id"]
        .as_str()
        .ok_or("missing replacement id")?;
    let previous_id = plan.before["previous_id"]
        .as_str()
        .ok_or("missing original id")?;
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
                let errors = tokio::task::spawn_blocking(move || remove_guards(&to_remove))
                    .await
                    .map_err(|e| e.to_string())?;
                if errors.is_empty() {
                    Ok(())
                } else {
                    Err(format!("remove the loopback guard: {}", errors.join("; ")))
                }
            })
            .await?;
    }
    Ok(serde_json::json!({ "running": previous_id, "loopback_guard_removed": guards }))
}

pub async fn execute_commit(docker: &Docker, plan: &Plan) -> Result<serde_json::Value, String> {
    let previous_id = plan.before["previous_id"]
        .as_str()
        .ok_or("missing original id")?;
    docker
        .remove_container(
            previous_id,
            Some(RemoveContainerOptions {
                v: false,
                force: true,
                ..Default::default()
            }),
        )
        .await
        .map_err(|e| err("remove the original", e))?;
    Ok(serde_json::json!({ "removed": previous_id, "volumes": "kept" }))
}
