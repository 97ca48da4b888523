//! Everything known about the host's containers and listeners at one moment, and the derived
//! assessment. The TUI and `vigil scan` both build one of these, so they cannot disagree.

use crate::assess::{ContainerAssessment, assess_container, risk::HostContext};
use crate::model::{
    Container, ContainerDetails, ContainerState, Listener, ListenerOwner, PortBinding, ProbeReport,
    Protocol,
};
use std::collections::{HashMap, HashSet};

/// Identifies one probed binding of one container.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProbeKey {
    pub container_id: String,
    pub host_ip: String,
    pub host_port: u16,
}

impl ProbeKey {
    pub fn new(container_id: &str, binding: &PortBinding) -> Self {
        ProbeKey {
            container_id: container_id.to_string(),
            host_ip: binding.host_ip.clone(),
            host_port: binding.host_port,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Inventory {
    pub containers: Vec<Container>,
    pub details: HashMap<String, ContainerDetails>,
    pub probes: HashMap<ProbeKey, ProbeReport>,
    pub pending: HashSet<ProbeKey>,
    pub listeners: Vec<Listener>,
    /// The engine's version string, e.g. `20.10.24+dfsg1`.
    pub docker_version: Option<String>,
    /// GPU memory per container id, from the latest NVML sample.
    pub gpu_use: HashMap<String, crate::model::ContainerGpuUse>,
    /// The firewall's verdict on each public published port, from the last rule set read.
    pub firewall: HashMap<ProbeKey, crate::assess::firewall::FirewallVerdict>,
    /// The same for each public host listener, by (address, port).
    pub listener_firewall:
        HashMap<(std::net::IpAddr, u16), crate::assess::firewall::FirewallVerdict>,
}

/// One container with its verdict.
pub struct Assessed<'a> {
    pub container: &'a Container,
    pub details: Option<&'a ContainerDetails>,
    pub assessment: ContainerAssessment,
}

impl HostContext for Inventory {
    fn report_for(&self, container_id: &str, binding: &PortBinding) -> Option<&ProbeReport> {
        self.probes.get(&ProbeKey::new(container_id, binding))
    }

    fn is_pending(&self, container_id: &str, binding: &PortBinding) -> bool {
        self.pending.contains(&ProbeKey::new(container_id, binding))
    }

    fn docker_major_version(&self) -> Option<u32> {
        crate::collect::docker::major_version(self.docker_version.as_deref()?)
    }

    fn gpu_use(&self, container_id: &str) -> Option<&crate::model::ContainerGpuUse> {
        self.gpu_use.get(container_id)
    }

    fn firewall_for(
        &self,
        container_id: &str,
        binding: &PortBinding,
    ) -> Option<&crate::assess::firewall::FirewallVerdict> {
        self.firewall.get(&ProbeKey::new(container_id, binding))
    }
}

impl Inventory {
    /// Container id -> name, for naming GPU processes.
    pub fn container_names(&self) -> HashMap<String, String> {
        self.containers
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect()
    }

    /// Replaces the container list; forgets details and probes of containers that are gone.
    pub fn apply_containers(&mut self, containers: Vec<Container>) {
        let present: HashSet<&str> = containers.iter().map(|c| c.id.as_str()).collect();
        self.details.retain(|id, _| present.contains(id.as_str()));
        let running: HashSet<&str> = containers
            .iter()
            .filter(|c| c.state == ContainerState::Running)
            .map(|c| c.id.as_str())
            .collect();
        // A stopped container's old probe result says nothing about its next start.
        self.probes
            .retain(|key, _| running.contains(key.container_id.as_str()));
        self.pending
            .retain(|key| running.contains(key.container_id.as_str()));
        self.containers = containers;
    }

    /// Stores inspect details. A new start time means a restart: earlier probes are stale.
    pub fn apply_details(&mut self, details: ContainerDetails) {
        let restarted = self
            .details
            .get(&details.id)
            .is_some_and(|old| old.started_at != details.started_at);
        if restarted {
            self.probes.retain(|key, _| key.container_id != details.id);
        }
        self.details.insert(details.id.clone(), details);
    }

    pub fn apply_probe(&mut self, key: ProbeKey, report: ProbeReport) {
        self.pending.remove(&key);
        let still_bound = self
            .containers
            .iter()
            .any(|c| c.id == key.container_id && c.state == ContainerState::Running);
        if still_bound {
            self.probes.insert(key, report);
        }
    }

    /// TCP bindings of running containers that have no probe result and none under way.
    pub fn probes_needed(&self) -> Vec<(ProbeKey, PortBinding)> {
        let mut needed = Vec::new();
        for container in &self.containers {
            if container.state != ContainerState::Running {
                continue;
            }
            let extra = self.host_network_ports(&container.id);
            for binding in container.ports.iter().chain(extra.iter()) {
                if binding.protocol != Protocol::Tcp {
                    continue;
                }
                let key = ProbeKey::new(&container.id, binding);
                if !self.probes.contains_key(&key) && !self.pending.contains(&key) {
                    needed.push((key, binding.clone()));
                }
            }
        }
        needed
    }

    /// Ports that a host-network container listens on, from the host's socket table.
    pub fn host_network_ports(&self, container_id: &str) -> Vec<PortBinding> {
        let mut ports: Vec<PortBinding> = self
            .listeners
            .iter()
            .filter(|l| matches!(&l.owner, ListenerOwner::Container(id) if id == container_id))
            .map(|l| PortBinding {
                host_ip: l.address.to_string(),
                host_port: l.port,
                container_port: l.port,
                protocol: Protocol::Tcp,
            })
            .collect();
        ports = crate::model::dedupe_bindings(ports);
        ports
    }

    /// Listeners that belong to no container. docker-proxy sockets are Docker's published ports,
    /// shown on their container's row; one whose container is not in the list yet (it was created
    /// a moment ago) appears there with the next list, so it is never a host listener. Sockets of
    /// host-network containers are attributed to their container too.
    pub fn host_listeners(&self) -> Vec<&Listener> {
        let known_ids: HashSet<&str> = self.containers.iter().map(|c| c.id.as_str()).collect();
        self.listeners
            .iter()
            .filter(|listener| match &listener.owner {
                ListenerOwner::Host => true,
                ListenerOwner::DockerProxy => false,
                ListenerOwner::Container(id) => !known_ids.contains(id.as_str()),
            })
            .collect()
    }

    /// Judges every public published port of every container against `ruleset`, for packets
    /// arriving on `interfaces` (the host's outside interfaces).
    pub fn apply_ruleset(
        &mut self,
        ruleset: &crate::model::firewall::Ruleset,
        interfaces: &[String],
    ) {
        use crate::assess::firewall::{Forwarded, Probe, judge};
        let mut verdicts = HashMap::new();
        for container in &self.containers {
            let network = self
                .details
                .get(&container.id)
                .and_then(|d| d.networks.iter().find(|n| n.bridge_interface().is_some()));
            for binding in container
                .ports
                .iter()
                .filter(|b| b.exposure() == crate::model::Exposure::Public)
            {
                let probe = Probe {
                    v6: binding.host_ip.contains(':'),
                    l4: match binding.protocol {
                        Protocol::Udp => crate::model::firewall::L4::Udp,
                        _ => crate::model::firewall::L4::Tcp,
                    },
                    host_port: binding.host_port,
                    forwarded: Some(Forwarded {
                        container_port: binding.container_port,
                        container_ip: network.and_then(|n| n.ip_address.parse().ok()),
                        bridge: network.and_then(|n| n.bridge_interface()),
                    }),
                    interfaces: interfaces.to_vec(),
                };
                verdicts.insert(
                    ProbeKey::new(&container.id, binding),
                    judge(ruleset, &probe),
                );
            }
        }
        self.firewall = verdicts;
        // Host listeners are filtered in INPUT, at the port they listen on.
        let mut listeners = HashMap::new();
        for listener in self
            .listeners
            .iter()
            .filter(|l| l.exposure() == crate::model::Exposure::Public)
        {
            let probe = Probe {
                v6: listener.address.is_ipv6(),
                l4: if listener.protocol == "udp" {
                    crate::model::firewall::L4::Udp
                } else {
                    crate::model::firewall::L4::Tcp
                },
                host_port: listener.port,
                forwarded: None,
                interfaces: interfaces.to_vec(),
            };
            listeners.insert((listener.address, listener.port), judge(ruleset, &probe));
        }
        self.listener_firewall = listeners;
    }

    /// The firewall's verdict on a host listener, when judged.
    pub fn listener_firewall(
        &self,
        listener: &Listener,
    ) -> Option<&crate::assess::firewall::FirewallVerdict> {
        self.listener_firewall
            .get(&(listener.address, listener.port))
    }

    /// Takes the GPU use from a new sample. True when it changed (the risks may have).
    pub fn apply_gpu(&mut self, snapshot: &crate::model::GpuSnapshot) -> bool {
        let uses = snapshot.use_by_container();
        let changed = uses != self.gpu_use;
        self.gpu_use = uses;
        changed
    }

    /// Every container with its assessment, most at risk first (at one level, those using a
    /// GPU first), then by name.
    pub fn assess_all(&self) -> Vec<Assessed<'_>> {
        let mut assessed: Vec<Assessed<'_>> = self
            .containers
            .iter()
            .map(|container| {
                let details = self.details.get(&container.id);
                let extra = self.host_network_ports(&container.id);
                Assessed {
                    container,
                    details,
                    assessment: assess_container(container, details, &extra, self),
                }
            })
            .collect();
        assessed.sort_by(|a, b| {
            b.assessment
                .risk
                .level
                .cmp(&a.assessment.risk.level)
                .then_with(|| b.assessment.gpu.is_some().cmp(&a.assessment.gpu.is_some()))
                .then_with(|| a.container.name.cmp(&b.container.name))
        });
        assessed
    }
}

/// One complete pass for the command line: the container list, every container's details,
/// the host's listeners, one GPU sample (for the GPU-use reasons) and, with `probe_ports`, the
/// authentication probes.
pub async fn collect(
    settings: &crate::config::Settings,
    probe_ports: bool,
) -> Result<Inventory, String> {
    use futures_util::StreamExt;
    let docker = crate::collect::docker::connect(&settings.docker())
        .await
        .map_err(|e| e.to_string())?;
    let mut inventory = Inventory {
        docker_version: Some(docker.server_version.clone()),
        ..Inventory::default()
    };
    let (containers, details) = crate::collect::docker::list_and_inspect(&docker.client)
        .await
        .map_err(|err| crate::collect::docker::explain_error(&docker.endpoint, &err))?;
    inventory.apply_containers(containers);
    for found in details {
        inventory.apply_details(found);
    }
    let library = settings.nvml_lib.clone();
    let gpu =
        tokio::task::spawn_blocking(move || crate::collect::gpu::sample_once(library.as_deref()))
            .await
            .map_err(|err| err.to_string())?;
    inventory.apply_gpu(&gpu);
    // The firewall's verdicts: a rule set that cannot be read leaves them unjudged (and said).
    let ruleset = tokio::task::spawn_blocking(|| {
        (
            crate::collect::ruleset::read_host(),
            crate::collect::ruleset::outside_interfaces(),
        )
    })
    .await
    .map_err(|err| err.to_string())?;
    inventory.listeners =
        tokio::task::spawn_blocking(|| crate::collect::listeners::ListenerScanner::new().scan())
            .await
            .map_err(|err| err.to_string())?
            .unwrap_or_default();
    if let (Ok(ruleset), interfaces) = ruleset {
        inventory.apply_ruleset(&ruleset, &interfaces);
    }
    if probe_ports {
        let probe = settings.probe();
        let reports: Vec<_> = futures_util::stream::iter(inventory.probes_needed())
            .map(|(key, binding)| async move {
                let report =
                    crate::collect::probe::probe_port(&binding.host_ip, binding.host_port, probe)
                        .await;
                (key, report)
            })
            .buffer_unordered(16)
            .collect()
            .await;
        for (key, report) in reports {
            inventory.apply_probe(key, report);
        }
    }
    Ok(inventory)
}
