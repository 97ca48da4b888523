//! What the outcome record keeps of a completed action: what undo and commit of older
//! versions read, and what the engineer looks at in `vigil actions`.

use super::converge::Goal;
use super::op::Work;
use super::scene::Scene;
use crate::ops::error::OpsError;
use crate::ops::plan::ActionKind;
use bollard::Docker;
use serde_json::json;

pub async fn state(
    docker: &Docker,
    work: &Work,
    scene: &Scene,
) -> Result<serde_json::Value, OpsError> {
    let subject = &work.subject;
    let original = scene.original.as_ref();
    Ok(match (subject.kind, work.goal) {
        (ActionKind::Rebind, Goal::Complete) => {
            let replacement = scene.replacement.as_ref();
            let bindings = match replacement {
                Some(r) => docker
                    .inspect_container(&r.id, None)
                    .await
                    .map(|inspect| crate::ops::rebind::replacement::current_bindings(&inspect))
                    .unwrap_or_default(),
                None => Default::default(),
            };
            json!({
                "new_id": replacement.map(|r| r.id.clone()),
                "previous": subject.previous_name(),
                "previous_id": original.map(|o| o.id.clone()),
                "loopback_guard": subject.guards,
                "bindings": bindings,
                "state": replacement.map(|r| r.status.clone()),
            })
        }
        (ActionKind::Rebind, Goal::Before) => json!({
            "running": original.filter(|o| o.running()).map(|o| o.id.clone()),
            "state": original.map(|o| o.status.clone()),
            "loopback_guard_removed": subject.guards,
        }),
        (ActionKind::Rebind, Goal::Committed) => json!({
            "removed": subject.original.as_ref().map(|o| o.id.clone()),
            "volumes": "kept",
        }),
        (ActionKind::Stop, _) => json!({
            "state": original.map_or("removed".to_string(), |o| o.status.clone()),
            "restart_policy": original.map(|o| o.restart_name()),
        }),
        (_, _) => match subject.firewall {
            Some(spec) => {
                tokio::task::spawn_blocking(move || crate::ops::block::snapshot(spec.backend))
                    .await
                    .map_err(|e| OpsError::Task(e.to_string()))?
            }
            None => serde_json::Value::Null,
        },
    })
}
