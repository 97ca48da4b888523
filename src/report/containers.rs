//! `vigil scan containers`: the containers pane as JSON or a plain table.

use crate::incident::inventory::Inventory;
use crate::model::{AuthKind, Exposure, RiskLevel};
use serde::Serialize;

#[derive(Serialize)]
pub struct PortJson {
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
    pub protocol: &'static str,
    pub exposure: Exposure,
    pub auth: AuthKind,
    /// `open`, `filtered` or `unknown`; null when not judged (loopback, or no rule set read).
    pub firewall: Option<&'static str>,
    /// The rule that drops it (filtered), or why vigil could not tell (unknown).
    pub firewall_rule: Option<String>,
    /// Rules that decide otherwise for some sources or interfaces only.
    pub firewall_exceptions: Vec<String>,
}

#[derive(Serialize)]
pub struct ContainerJson {
    pub id: String,
    pub name: String,
    pub image: String,
    pub state: &'static str,
    pub health: &'static str,
    pub ports: Vec<PortJson>,
    pub exposure: Exposure,
    pub auth: AuthKind,
    pub risk: RiskLevel,
    pub reasons: Vec<String>,
    /// GPU memory its processes hold, per card (empty when none).
    pub gpu: Vec<GpuUseJson>,
}

#[derive(Serialize)]
pub struct GpuUseJson {
    pub index: u32,
    pub used_memory_bytes: u64,
}

#[derive(Serialize)]
pub struct ListenerJson {
    pub address: String,
    pub port: u16,
    pub protocol: &'static str,
    pub pid: Option<i32>,
    pub process: Option<String>,
    pub user: Option<String>,
    pub exposure: Exposure,
    /// As on a published port: `open`, `filtered`, `unknown`, or null when not judged.
    pub firewall: Option<&'static str>,
    pub firewall_rule: Option<String>,
    pub firewall_exceptions: Vec<String>,
}

#[derive(Serialize)]
pub struct ContainersReport {
    pub containers: Vec<ContainerJson>,
    pub listeners: Vec<ListenerJson>,
}

use crate::assess::firewall::FirewallVerdict;

/// The verdict as one word, for JSON and tables.
pub fn firewall_word(verdict: &FirewallVerdict) -> &'static str {
    match verdict {
        FirewallVerdict::Open { .. } => "open",
        FirewallVerdict::Filtered { .. } => "filtered",
        FirewallVerdict::Unknown { .. } => "unknown",
    }
}

fn firewall_rule(verdict: &FirewallVerdict) -> Option<String> {
    match verdict {
        FirewallVerdict::Open { .. } => None,
        FirewallVerdict::Filtered { rule, .. } => Some(rule.clone()),
        FirewallVerdict::Unknown { why } => Some(why.clone()),
    }
}

fn firewall_exceptions(verdict: Option<&FirewallVerdict>) -> Vec<String> {
    let exceptions = match verdict {
        Some(
            FirewallVerdict::Open { exceptions } | FirewallVerdict::Filtered { exceptions, .. },
        ) => exceptions,
        Some(FirewallVerdict::Unknown { .. }) | None => return Vec::new(),
    };
    exceptions
        .iter()
        .map(|e| {
            format!(
                "{} {} by {}",
                if e.dropped { "dropped" } else { "accepted" },
                e.when,
                e.rule
            )
        })
        .collect()
}

impl ContainersReport {
    pub fn build(inventory: &Inventory) -> Self {
        let containers = inventory
            .assess_all()
            .into_iter()
            .map(|item| ContainerJson {
                id: item.container.id.clone(),
                name: item.container.name.clone(),
                image: item.container.image.clone(),
                state: item.container.state.as_str(),
                health: item.container.health.as_str(),
                ports: item
                    .assessment
                    .ports
                    .iter()
                    .map(|port| PortJson {
                        host_ip: port.binding.host_ip.clone(),
                        host_port: port.binding.host_port,
                        container_port: port.binding.container_port,
                        protocol: port.binding.protocol.as_str(),
                        exposure: port.exposure,
                        auth: port.auth,
                        firewall: port.firewall.as_ref().map(firewall_word),
                        firewall_rule: port.firewall.as_ref().and_then(firewall_rule),
                        firewall_exceptions: firewall_exceptions(port.firewall.as_ref()),
                    })
                    .collect(),
                exposure: item.assessment.exposure,
                auth: item.assessment.auth,
                risk: item.assessment.risk.level,
                reasons: item.assessment.risk.reasons.clone(),
                gpu: item
                    .assessment
                    .gpu
                    .iter()
                    .flat_map(|use_| use_.cards.iter())
                    .map(|(index, bytes)| GpuUseJson {
                        index: *index,
                        used_memory_bytes: *bytes,
                    })
                    .collect(),
            })
            .collect();
        let listeners = inventory
            .host_listeners()
            .into_iter()
            .map(|l| (l, inventory.listener_firewall(l)))
            .map(|(l, verdict)| ListenerJson {
                address: l.address.to_string(),
                port: l.port,
                protocol: l.protocol,
                pid: l.pid,
                process: l.process.clone(),
                user: l.user.clone(),
                exposure: l.exposure(),
                firewall: verdict.map(firewall_word),
                firewall_rule: verdict.and_then(firewall_rule),
                firewall_exceptions: firewall_exceptions(verdict),
            })
            .collect();
        ContainersReport {
            containers,
            listeners,
        }
    }

    /// The worst risk in the report, for `--fail-on`.
    pub fn worst(&self) -> Option<RiskLevel> {
        self.containers.iter().map(|c| c.risk).max()
    }

    pub fn to_json(&self) -> String {
        crate::util::json::to_string_pretty(self)
            .unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"))
    }

    /// A plain table for people and grep. Host strings are escaped: they are attacker-controlled.
    pub fn to_table(&self) -> String {
        use crate::util::text::escape;
        let mut out = String::new();
        out.push_str(&format!(
            "{:<24} {:<6} {:<8} {:<7} {:<10} {:<12} PORTS\n",
            "NAME", "EXP", "RISK", "AUTH", "STATE", "ID"
        ));
        for c in &self.containers {
            let ports: Vec<String> = c
                .ports
                .iter()
                .map(|p| {
                    let ip = if p.host_ip.contains(':') {
                        format!("[{}]", p.host_ip)
                    } else {
                        p.host_ip.clone()
                    };
                    // A port the firewall drops, or whose fate vigil cannot tell, says so.
                    let firewall = match p.firewall {
                        Some("filtered") => " (firewall: filtered)",
                        Some("unknown") => " (firewall: unknown)",
                        _ => "",
                    };
                    format!(
                        "{ip}:{}->{}/{}{firewall}",
                        p.host_port, p.container_port, p.protocol
                    )
                })
                .collect();
            let state = if c.health == "none" {
                c.state.to_string()
            } else {
                c.health.to_string()
            };
            out.push_str(&format!(
                "{:<24} {:<6} {:<8} {:<7} {:<10} {:<12} {}\n",
                escape(&c.name),
                c.exposure.marker(),
                c.risk.as_str(),
                c.auth.as_str(),
                state,
                c.id.get(..12).unwrap_or(&c.id),
                ports.join(", ")
            ));
            for reason in &c.reasons {
                out.push_str(&format!("    - {}\n", escape(reason)));
            }
        }
        if !self.listeners.is_empty() {
            out.push_str("\nHOST LISTENERS (not containers)\n");
            for l in &self.listeners {
                let address = if l.address.contains(':') {
                    format!("[{}]:{}", l.address, l.port)
                } else {
                    format!("{}:{}", l.address, l.port)
                };
                let owner = match (l.pid, l.process.as_deref()) {
                    (Some(pid), process) => format!(
                        "{} (pid {pid}, {})",
                        escape(process.unwrap_or("?")),
                        escape(l.user.as_deref().unwrap_or("?"))
                    ),
                    (None, _) => format!(
                        "process not visible to vigil (socket owned by {})",
                        escape(l.user.as_deref().unwrap_or("?"))
                    ),
                };
                out.push_str(&format!(
                    "{:<24} {:<6} {owner}\n",
                    address,
                    l.exposure.marker()
                ));
            }
        }
        out
    }
}
