//! Planning reads and never changes anything, so it needs only a Docker client: a dry run and
//! the confirmation popup use it without an `Operator`.

use super::error::OpsError;
use super::plan::{FirewallSpec, Plan};
use super::recover::Intent;
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

/// Plans `vigil undo ID`: back to the state before the action, from what the host shows.
pub async fn plan_undo(
    docker: &Docker,
    audit_path: &Path,
    action_id: &str,
) -> Result<Plan, OpsError> {
    super::recover::plan(docker, audit_path, action_id, Intent::Undo).await
}

/// Plans `vigil resume ID`: complete an action that was cut short, from what it left.
pub async fn plan_resume(
    docker: &Docker,
    audit_path: &Path,
    action_id: &str,
) -> Result<Plan, OpsError> {
    super::recover::plan(docker, audit_path, action_id, Intent::Resume).await
}

/// Plans `vigil commit ID`: remove the original a rebind kept, once the replacement holds the
/// name.
pub async fn plan_commit(
    docker: &Docker,
    audit_path: &Path,
    action_id: &str,
) -> Result<Plan, OpsError> {
    super::recover::plan(docker, audit_path, action_id, Intent::Commit).await
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
    Ok(super::block::plan_block(spec, published_by))
}
