//! What the replacement container is: the original's configuration with its published ports
//! on 127.0.0.1, and why a container cannot be rebound at all. Pure functions of the original's
//! inspect response, so they are tested without Docker.

use super::Bindings;
use crate::ops::error::OpsError;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, EndpointSettings, NetworkingConfig, PortBinding,
};
use std::collections::HashMap;

/// Published bindings as configured, with random host ports pinned to the port bound now.
pub(in crate::ops) fn current_bindings(inspect: &ContainerInspectResponse) -> Bindings {
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
pub(in crate::ops) fn refusal(
    inspect: &ContainerInspectResponse,
    own: Option<&str>,
) -> Option<String> {
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
pub fn replacement_body(
    inspect: &ContainerInspectResponse,
) -> Result<ContainerCreateBody, OpsError> {
    replacement_body_bound(inspect, current_bindings(inspect))
}

/// The same, with the host ports of `bindings`: those recorded when the rebind was planned, so
/// a replacement created later (a resume, an undo of an undo) keeps the ports the plan showed
/// even when the original no longer runs and its random ports are gone.
pub fn replacement_body_bound(
    inspect: &ContainerInspectResponse,
    bindings: Bindings,
) -> Result<ContainerCreateBody, OpsError> {
    let config = inspect.config.clone().unwrap_or_default();
    // Config and the create body share their JSON form: going through it keeps every field,
    // including ones this code does not name.
    let unusable = |e: serde_json::Error| {
        OpsError::NotAsExpected(format!("cannot reuse the container configuration: {e}"))
    };
    let mut body: ContainerCreateBody =
        serde_json::from_value(serde_json::to_value(&config).map_err(unusable)?)
            .map_err(unusable)?;
    let id = inspect.id.clone().unwrap_or_default();
    if body.hostname.as_deref() == id.get(..12) {
        // Docker set it to the old short id: the new container gets its own.
        body.hostname = None;
    }
    body.image = inspect.image.clone().or(body.image);

    let mut host_config = inspect.host_config.clone().unwrap_or_default();
    let bindings = bindings
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

pub(in crate::ops) fn extra_networks(
    inspect: &ContainerInspectResponse,
) -> Vec<(String, EndpointSettings)> {
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
pub(in crate::ops) fn keep_endpoint(endpoint: &EndpointSettings, old_id: &str) -> EndpointSettings {
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
