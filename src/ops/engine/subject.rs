//! What an action is about, as recorded when it was planned: the facts that undo, resume and
//! commit check the host against. It travels in the plan and in the planned audit record.

use crate::ops::firewall::{Backend, Proto};
use crate::ops::plan::{ActionKind, FirewallSpec};
use bollard::models::RestartPolicy;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Suffix of a rebind's kept original.
pub const PREVIOUS_SUFFIX: &str = "-prev";
/// Suffix of a rebind's replacement while it is being prepared.
pub const NEW_SUFFIX: &str = "-vigil-new";

/// Published bindings: container port (`7860/tcp`) -> (host IP, host port) pairs.
pub type Bindings = HashMap<String, Vec<(String, String)>>;

/// The loopback guard a rebind adds (Docker < 28): one per rebound host port, with the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LoopbackGuard {
    pub proto: Proto,
    pub port: u16,
    pub backend: Backend,
}

/// A container as recorded: what identifies it beyond its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    pub id: String,
    /// `sha256:…` of the image it runs; absent in records of older versions.
    #[serde(default)]
    pub image_id: Option<String>,
    /// Docker's creation time (RFC 3339); absent in records of older versions.
    #[serde(default)]
    pub created: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// The action whose changes these are (for an undo or a resume: the original action).
    pub action_id: String,
    /// What that action does: stop, rebind, block or unblock.
    pub kind: ActionKind,
    /// The container's name when the action was planned (for a port: `80/tcp`).
    pub name: String,
    /// The container acted on; none for a firewall action.
    #[serde(default)]
    pub original: Option<Recorded>,
    /// Whether it ran before the action: a rebind keeps the run state, an undo restores it.
    #[serde(default)]
    pub was_running: bool,
    /// Its restart policy before the action (a rebind sets `no` on the kept original).
    #[serde(default)]
    pub restart: Option<RestartPolicy>,
    /// Published bindings before a rebind.
    #[serde(default)]
    pub bindings: Bindings,
    /// Loopback guards a rebind adds.
    #[serde(default)]
    pub guards: Vec<LoopbackGuard>,
    /// The ports of a firewall action.
    #[serde(default)]
    pub firewall: Option<FirewallSpec>,
    /// Records of older versions: the replacement's id from the outcome (it carries no label).
    #[serde(default)]
    pub legacy_replacement: Option<String>,
    /// Started with `--rm`: a stop removes it.
    #[serde(default)]
    pub auto_remove: bool,
}

impl Subject {
    pub fn previous_name(&self) -> String {
        format!("{}{PREVIOUS_SUFFIX}", self.name)
    }

    pub fn new_name(&self) -> String {
        format!("{}{NEW_SUFFIX}", self.name)
    }

    /// The host ports of the TCP bindings: what must answer HTTP once a rebind is done.
    pub fn tcp_ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self
            .bindings
            .iter()
            .filter(|(port, _)| port.ends_with("/tcp"))
            .flat_map(|(_, pairs)| pairs.iter().filter_map(|(_, hp)| hp.parse().ok()))
            .collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }

    /// The subject of an action recorded by an older version, from its planned record's
    /// `before` and its outcome's `after`.
    pub fn from_legacy(
        record: &crate::ops::AuditRecord,
        after: &serde_json::Value,
    ) -> Option<Subject> {
        let before = &record.before;
        let guards = serde_json::from_value(before["loopback_guard"].clone()).unwrap_or_default();
        let container = record.firewall.is_none();
        Some(Subject {
            action_id: record.action_id.clone(),
            kind: record.action,
            name: record.target.name.clone(),
            original: container.then(|| Recorded {
                id: record.target.id.clone(),
                image_id: None,
                created: None,
            }),
            // A rebind of an older version always started the replacement; a stop stopped a
            // running container.
            was_running: before["state"].as_str().is_none_or(|s| s == "running"),
            restart: legacy_restart(&before["restart_policy"]),
            bindings: serde_json::from_value(before["bindings"].clone()).unwrap_or_default(),
            guards,
            firewall: record.firewall,
            legacy_replacement: after["new_id"].as_str().map(str::to_string),
            auto_remove: false,
        })
    }
}

/// A restart policy as older records hold it: the inspect object, or `always` / `on-failure:3`.
fn legacy_restart(value: &serde_json::Value) -> Option<RestartPolicy> {
    if let Ok(policy) = serde_json::from_value::<RestartPolicy>(value.clone())
        && policy.name.is_some()
    {
        return Some(policy);
    }
    let text = value.as_str()?;
    let (name, count) = text.split_once(':').unwrap_or((text, ""));
    serde_json::from_value(serde_json::json!({
        "Name": name,
        "MaximumRetryCount": count.parse::<i64>().ok(),
    }))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies_of_older_records_read_back() {
        let policy = legacy_restart(&serde_json::json!({"Name": "unless-stopped"}));
        assert_eq!(
            policy.and_then(|p| p.name).map(|n| n.to_string()),
            Some("unless-stopped".into())
        );
        let policy = legacy_restart(&serde_json::json!("on-failure:3")).expect("policy");
        assert_eq!(policy.maximum_retry_count, Some(3));
        assert!(legacy_restart(&serde_json::Value::Null).is_none());
    }
}
