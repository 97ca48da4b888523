//! Planning reads and never changes anything, so it needs only a Docker client: a dry run and
//! the confirmation popup use it without an `Operator`.

use super::audit::{self, ActionResult, AuditRecord, Phase};
use super::error::OpsError;
use super::plan::{ActionKind, FirewallSpec, Plan};
use super::stop;
use bollard::Docker;
use std::path::Path;

/// The id of the container vigil itself runs in, if any: vigil refuses to act on it.
pub fn own_container() -> Option<String> {
    crate::collect::cgroup::own_container_id()
}

async fn inspect(
    docker: &Docker,
    target: &str,
) -> Result<crate::model::ContainerDetails, OpsError> {
    crate::collect::docker::inspect(docker, target)
        .await
        .ok_or_else(|| OpsError::NoSuchContainer(crate::util::text::escape(target).into_owned()))
}

/// Plans stopping a container. Refusals come back as a plan with `refused` set, so the user sees
/// why.
pub async fn plan_stop(docker: &Docker, target: &str) -> Result<Plan, OpsError> {
    let details = inspect(docker, target).await?;
    Ok(stop::plan_stop(&details, own_container().as_deref()))
}

/// Plans the undo of a recorded action, from the audit log.
pub async fn plan_undo(
    docker: &Docker,
    audit_path: &Path,
    action_id: &str,
) -> Result<Plan, OpsError> {
    let records = audit::read_all(audit_path)?;
    let original = planned_record(&records, action_id).ok_or_else(|| OpsError::UnknownAction {
        id: action_id.to_string(),
        path: audit_path.to_path_buf(),
    })?;
    let id = action_id.to_string();
    let applied = match audit::latest_result(&records, action_id) {
        Some(ActionResult::Applied) => original,
        Some(ActionResult::Undone) => return Err(OpsError::AlreadyUndone(id)),
        Some(ActionResult::Committed) => return Err(OpsError::Committed(id)),
        Some(result) => return Err(OpsError::NothingToUndo { id, result }),
        None => {
            return Err(OpsError::NoOutcome {
                id,
                kind: original.action,
            });
        }
    };
    match applied.action {
        ActionKind::Stop => {
            let details = crate::collect::docker::inspect(docker, &applied.target.id)
                .await
                .ok_or_else(|| OpsError::ContainerGone(applied.target.name.clone()))?;
            Ok(stop::plan_start(&details, action_id))
        }
        ActionKind::Rebind => {
            super::rebind::plan_unrebind(applied, &outcome_after(&records, action_id))
        }
        ActionKind::Block => Ok(super::block::plan_unblock(
            firewall_spec(applied)?,
            Some(id),
        )),
        ActionKind::Unblock => Ok(super::block::plan_block(
            firewall_spec(applied)?,
            Vec::new(),
            Some(id),
        )),
        // An undo or a commit is not undone in turn: the original action is run again.
        ActionKind::Start | ActionKind::Unrebind | ActionKind::Commit => {
            Err(OpsError::NothingToUndo {
                id,
                result: ActionResult::Applied,
            })
        }
    }
}

fn planned_record<'r>(records: &'r [AuditRecord], action_id: &str) -> Option<&'r AuditRecord> {
    records
        .iter()
        .find(|r| r.action_id == action_id && r.phase == Phase::Planned)
}

fn firewall_spec(record: &AuditRecord) -> Result<FirewallSpec, OpsError> {
    record.firewall.ok_or_else(|| OpsError::IncompleteRecord {
        id: record.action_id.clone(),
        what: "a port specification",
    })
}

/// Plans blocking ports, naming the containers that publish them so the user sees what goes dark.
pub async fn plan_block(docker: &Docker, spec: FirewallSpec) -> Result<Plan, OpsError> {
    let containers = crate::collect::docker::list_containers(docker)
        .await
        .map_err(OpsError::docker("list the containers"))?;
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
fn outcome_after(records: &[AuditRecord], action_id: &str) -> serde_json::Value {
    records
        .iter()
        .filter(|r| {
            r.action_id == action_id
                && r.phase == Phase::Outcome
                && r.result == Some(ActionResult::Applied)
        })
        .map(|r| r.after.clone())
        .next_back()
        .unwrap_or_default()
}

/// Plans committing an applied rebind.
pub fn plan_commit(audit_path: &Path, action_id: &str) -> Result<Plan, OpsError> {
    let records = audit::read_all(audit_path)?;
    let original = records
        .iter()
        .find(|r| {
            r.action_id == action_id && r.phase == Phase::Planned && r.action == ActionKind::Rebind
        })
        .ok_or_else(|| OpsError::UnknownRebind {
            id: action_id.to_string(),
            path: audit_path.to_path_buf(),
        })?;
    match audit::latest_result(&records, action_id) {
        Some(ActionResult::Applied) => {
            super::rebind::plan_commit(original, &outcome_after(&records, action_id))
        }
        Some(result) => Err(OpsError::NothingToCommit {
            id: action_id.to_string(),
            result,
        }),
        None => Err(OpsError::NoOutcome {
            id: action_id.to_string(),
            kind: ActionKind::Rebind,
        }),
    }
}
