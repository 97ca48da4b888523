//! Block and unblock ports in the firewall (nft table or the iptables fallback): plans and
//! execution.

use super::error::OpsError;
use super::firewall::{self, Backend, PortRange, Proto};
use super::plan::{ActionKind, Confirmation, FirewallSpec, Plan, Target, new_action_id};

fn target(spec: &FirewallSpec) -> Target {
    Target {
        id: format!("port:{}/{}", spec.proto.as_str(), spec.range.element()),
        name: format!("{}/{}", spec.range.element(), spec.proto.as_str()),
        image: String::new(),
    }
}

fn snapshot(backend: Backend) -> serde_json::Value {
    match backend.blocked() {
        Ok(list) => serde_json::json!({
            "backend": backend.as_str(),
            "owner": firewall::table_name(),
            "blocked": list.iter().map(|(p, e)| format!("{e}/{}", p.as_str())).collect::<Vec<_>>(),
        }),
        Err(error) => {
            serde_json::json!({ "backend": backend.as_str(), "error": error.to_string() })
        }
    }
}

fn host() -> String {
    crate::util::host::host_name()
}

/// Plans blocking. `published_by` names the containers that publish these ports (for the plan).
pub fn plan_block(spec: FirewallSpec, published_by: Vec<String>, undoes: Option<String>) -> Plan {
    let target = target(&spec);
    let id = new_action_id(ActionKind::Block, &target);
    let backend = spec.backend;
    let mut warnings = firewall::misleading_firewalls();
    warnings.extend(backend.coverage_warnings());
    if published_by.is_empty() {
        warnings.push(
            "no container publishes this port now; a host service may still listen on it".into(),
        );
    } else {
        warnings.push(format!("published by: {}", published_by.join(", ")));
    }
    Plan {
        undo: format!(
            "vigil undo {id}  ({})",
            backend.unblock_command(spec.proto, spec.range)
        ),
        id,
        kind: ActionKind::Block,
        host: host(),
        steps: backend.block_steps(spec.proto, spec.range),
        warnings,
        confirmation: Confirmation::Type(spec.range.element()),
        refused: firewall::cannot_change_firewall(backend)
            .or_else(|| is_blocked(&spec).then(|| already_blocked(&spec))),
        undoes,
        before: snapshot(backend),
        firewall: Some(spec),
        target,
    }
}

/// True when vigil's rules already block exactly these ports.
fn is_blocked(spec: &FirewallSpec) -> bool {
    spec.backend
        .blocked()
        .unwrap_or_default()
        .iter()
        .any(|(proto, element)| *proto == spec.proto && *element == spec.range.element())
}

fn already_blocked(spec: &FirewallSpec) -> String {
    format!(
        "{}/{} is already blocked by vigil: nothing to add (`vigil actions` names the action)",
        spec.range.element(),
        spec.proto.as_str()
    )
}

/// Plans removing exactly these ports (and nft's table once it is empty).
pub fn plan_unblock(spec: FirewallSpec, undoes: Option<String>) -> Plan {
    let target = target(&spec);
    let id = new_action_id(ActionKind::Unblock, &target);
    let backend = spec.backend;
    let present = is_blocked(&spec);
    let reblock = backend
        .block_steps(spec.proto, spec.range)
        .last()
        .map(|step| step.command.clone())
        .unwrap_or_default();
    Plan {
        undo: format!("vigil undo {id}  ({reblock})"),
        id,
        kind: ActionKind::Unblock,
        host: host(),
        steps: backend.unblock_steps(spec.proto, spec.range),
        warnings: Vec::new(),
        confirmation: Confirmation::Type(spec.range.element()),
        refused: firewall::cannot_change_firewall(backend).or_else(|| {
            (!present).then(|| {
                format!(
                    "{}/{} is not blocked by vigil (exactly this port or range must be given)",
                    spec.range.element(),
                    spec.proto.as_str()
                )
            })
        }),
        undoes,
        before: snapshot(backend),
        firewall: Some(spec),
        target,
    }
}

/// Adds or removes the rules of a confirmed firewall plan; the firewall's state after it.
pub(super) async fn execute(plan: &Plan) -> Result<serde_json::Value, OpsError> {
    let spec = plan.firewall.ok_or_else(|| OpsError::IncompleteRecord {
        id: plan.id.clone(),
        what: "a firewall specification",
    })?;
    let blocking = plan.kind == ActionKind::Block;
    tokio::task::spawn_blocking(move || {
        if blocking {
            spec.backend.block(spec.proto, spec.range)?;
        } else {
            spec.backend.unblock(spec.proto, spec.range)?;
        }
        Ok(snapshot(spec.backend))
    })
    .await
    .map_err(|err| OpsError::Task(err.to_string()))?
}

/// Parses what the user typed into a firewall spec for the backend in use. Without a usable
/// backend the spec still parses; its plan is then refused with the reason.
pub fn spec(ports: &str, proto: Proto) -> Result<FirewallSpec, OpsError> {
    Ok(FirewallSpec {
        proto,
        range: PortRange::parse(ports)?,
        backend: firewall::selected_backend().unwrap_or_default(),
    })
}
