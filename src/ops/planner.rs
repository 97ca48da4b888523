//! Planning reads and never changes anything, so it needs only a Docker client: a dry run and the
//! confirmation popup use it without an `Operator`.

use super::audit;
use super::plan::Plan;
use super::stop;
use bollard::Docker;
use std::path::Path;

/// The id of the container vigil itself runs in, if any: vigil refuses to act on it.
pub fn own_container() -> Option<String> {
    crate::collect::cgroup::own_container_id()
}

/// Plans stopping a container. Refusals come back as a plan with `refused` set, so the user sees
/// why.
pub async fn plan_stop(docker: &Docker, target: &str) -> Result<Plan, String> {
    let details = crate::collect::docker::inspect(docker, target)
        .await
        .ok_or_else(|| {
            format!(
                "no container named or with id `{}`",
                crate::util::text::escape(target)
            )
        })?;
    Ok(stop::plan_stop(&details, own_container().as_deref()))
}

/// Plans the undo of a recorded action, from the audit log.
pub async fn plan_undo(
    docker: &Docker,
    audit_path: &Path,
    action_id: &str,
) -> Result<Plan, String> {
    let records = audit::read_all(audit_path)?;
    let original = records
        .iter()
        .find(|r| r.action_id == action_id && r.phase == "planned")
        .ok_or_else(|| format!("no action `{action_id}` in {}", audit_path.display()))?;
    let state = audit::latest_result(&records, action_id);
    match (original.action.as_str(), state.as_deref()) {
        ("stop", Some("applied")) => {
            let details = crate::collect::docker::inspect(docker, &original.target.id)
                .await
                .ok_or_else(|| {
                    format!(
                        "container {} no longer exists: nothing to start",
                        original.target.name
                    )
                })?;
            Ok(stop::plan_start(&details, action_id))
        }
        ("rebind", Some("applied")) => {
            let after = outcome_after(&records, action_id);
            super::rebind::plan_unrebind(original, &after)
        }
        ("block", Some("applied")) => {
            let spec = original
                .firewall
                .ok_or("the recorded block has no port specification")?;
            Ok(super::block::plan_unblock(
                spec,
                Some(action_id.to_string()),
            ))
        }
        ("unblock", Some("applied")) => {
            let spec = original
                .firewall
                .ok_or("the recorded unblock has no port specification")?;
            Ok(super::block::plan_block(
                spec,
                Vec::new(),
                Some(action_id.to_string()),
            ))
        }
        (_, Some("undone")) => Err(format!("action {action_id} was already undone")),
        (_, Some("committed")) => Err(format!(
            "action {action_id} was committed: the original is gone"
        )),
        (_, Some(result)) => Err(format!(
            "action {action_id} ended `{result}`: nothing to undo"
        )),
        (kind, None) => Err(format!(
            "action {action_id} ({kind}) has no recorded outcome"
        )),
    }
}

/// Plans blocking ports, naming the containers that publish them so the user sees what goes dark.
pub async fn plan_block(docker: &Docker, spec: super::plan::FirewallSpec) -> Result<Plan, String> {
    let containers = crate::collect::docker::list_containers(docker)
        .await
        .map_err(|err| crate::collect::docker::explain_error("docker", &err))?;
    let published_by = containers
        .iter()
        .flat_map(|c| {
            c.ports
                .iter()
                .filter(|p| {
                    p.protocol.as_str() == spec.proto.as_str()
                        && p.host_port >= spec.range.first
                        && p.host_port <= spec.range.last
                })
                .map(move |p| format!("{} ({})", crate::util::text::escape(&c.name), p.display()))
        })
        .collect();
    Ok(super::block::plan_block(spec, published_by, None))
}

/// The `after` state recorded with an action's applied outcome.
fn outcome_after(records: &[audit::AuditRecord], action_id: &str) -> serde_json::Value {
    records
        .iter()
        .filter(|r| {
            r.action_id == action_id
                && r.phase == "outcome"
                && r.result.as_deref() == Some("applied")
        })
        .map(|r| r.after.clone())
        .next_back()
        .unwrap_or_default()
}

/// Plans committing an applied rebind.
pub fn plan_commit(audit_path: &Path, action_id: &str) -> Result<Plan, String> {
    let records = audit::read_all(audit_path)?;
    let original = records
        .iter()
        .find(|r| r.action_id == action_id && r.phase == "planned" && r.action == "rebind")
        .ok_or_else(|| format!("no rebind `{action_id}` in {}", audit_path.display()))?;
    match audit::latest_result(&records, action_id).as_deref() {
        Some("applied") => {
            super::rebind::plan_commit(original, &outcome_after(&records, action_id))
        }
        Some(other) => Err(format!(
            "rebind {action_id} is `{other}`: nothing to commit"
        )),
        None => Err(format!("rebind {action_id} has no recorded outcome")),
    }
}
