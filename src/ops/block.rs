//! Block and unblock ports in vigil's nftables table: plans and execution.

use super::firewall::{self, PortRange, Proto};
use super::plan::{ActionKind, Confirmation, FirewallSpec, Plan, Step, Target, new_action_id};

fn target(spec: &FirewallSpec) -> Target {
    Target {
        id: format!("port:{}/{}", spec.proto.as_str(), spec.range.element()),
        name: format!("{}/{}", spec.range.element(), spec.proto.as_str()),
        image: String::new(),
    }
}

fn snapshot(table: &str) -> serde_json::Value {
    match firewall::blocked(table) {
        Ok(list) => serde_json::json!({
            "table": format!("inet {table}"),
            "blocked": list.iter().map(|(p, e)| format!("{e}/{}", p.as_str())).collect::<Vec<_>>(),
        }),
        Err(error) => serde_json::json!({ "error": error }),
    }
}

/// Plans blocking. `published_by` names the containers that publish these ports (for the plan).
pub fn plan_block(spec: FirewallSpec, published_by: Vec<String>, undoes: Option<String>) -> Plan {
    let table = firewall::table_name();
    let target = target(&spec);
    let id = new_action_id(ActionKind::Block, &target);
    let descriptions = [
        format!("create vigil's own table inet {table} if missing"),
        "create its set of blocked TCP ports if missing".to_string(),
        "create its set of blocked UDP ports if missing".to_string(),
        "create its prerouting chain at priority dstnat - 10 (before Docker's DNAT) if missing, \
         with one drop rule per set for traffic not arriving on lo"
            .to_string(),
    ];
    let mut steps: Vec<Step> = firewall::ensure_table_script(&table)
        .lines()
        .zip(descriptions)
        .map(|(line, description)| Step {
            description,
            command: format!("nft '{line}'"),
        })
        .collect();
    steps.push(Step {
        description: format!(
            "drop {} traffic to local port(s) {} arriving from any interface, IPv4 and IPv6, before \
             Docker's DNAT; the host itself can still connect; open connections are cut",
            spec.proto.as_str(),
            spec.range.element()
        ),
        command: firewall::add_element_command(&table, spec.proto, spec.range),
    });
    let mut warnings = firewall::misleading_firewalls();
    if published_by.is_empty() {
        warnings.push(
            "no container publishes this port now; a host service may still listen on it".into(),
        );
    } else {
        warnings.push(format!("published by: {}", published_by.join(", ")));
    }
    let refused = firewall::cannot_change_firewall();
    Plan {
        undo: format!(
            "vigil undo {id}  ({})",
            firewall::delete_element_command(&table, spec.proto, spec.range)
        ),
        id,
        kind: ActionKind::Block,
        host: sysinfo::System::host_name().unwrap_or_else(|_| "?".into()),
        steps,
        warnings,
        confirmation: Confirmation::Type(spec.range.element()),
        refused,
        undoes,
        before: snapshot(&table),
        firewall: Some(spec),
        target,
    }
}

/// Plans removing exactly these ports from vigil's set (and the table once it is empty).
pub fn plan_unblock(spec: FirewallSpec, undoes: Option<String>) -> Plan {
    let table = firewall::table_name();
    let target = target(&spec);
    let id = new_action_id(ActionKind::Unblock, &target);
    let blocked_now = firewall::blocked(&table).unwrap_or_default();
    let present = blocked_now
        .iter()
        .any(|(proto, element)| *proto == spec.proto && *element == spec.range.element());
    Plan {
        undo: format!(
            "vigil undo {id}  ({})",
            firewall::add_element_command(&table, spec.proto, spec.range)
        ),
        id,
        kind: ActionKind::Unblock,
        host: sysinfo::System::host_name().unwrap_or_else(|_| "?".into()),
        steps: vec![
            Step {
                description: format!(
                    "let {} traffic to port(s) {} through again",
                    spec.proto.as_str(),
                    spec.range.element()
                ),
                command: firewall::delete_element_command(&table, spec.proto, spec.range),
            },
            Step {
                description:
                    "delete vigil's table when nothing else is blocked (no rule left behind)".into(),
                command: format!("nft delete table inet {table}"),
            },
        ],
        warnings: Vec::new(),
        confirmation: Confirmation::Type(spec.range.element()),
        refused: firewall::cannot_change_firewall().or_else(|| {
            (!present).then(|| {
                format!(
                    "{}/{} is not blocked by vigil (exactly this port or range must be given)",
                    spec.range.element(),
                    spec.proto.as_str()
                )
            })
        }),
        undoes,
        before: snapshot(&table),
        firewall: Some(spec),
        target,
    }
}

pub async fn execute(plan: &Plan) -> Result<serde_json::Value, String> {
    let spec = plan
        .firewall
        .ok_or("the plan has no firewall specification")?;
    let kind = plan.kind;
    tokio::task::spawn_blocking(move || {
        let table = firewall::table_name();
        match kind {
            ActionKind::Block => firewall::block(&table, spec.proto, spec.range)?,
            ActionKind::Unblock => firewall::unblock(&table, spec.proto, spec.range)?,
            _ => return Err("not a firewall action".to_string()),
        }
        Ok(snapshot(&table))
    })
    .await
    .map_err(|err| err.to_string())?
}

/// Parses what the user typed into a firewall spec.
pub fn spec(ports: &str, proto: Proto) -> Result<FirewallSpec, String> {
    Ok(FirewallSpec {
        proto,
        range: PortRange::parse(ports)?,
    })
}
