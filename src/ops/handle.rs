//! Shared, lazily connected access to the `Operator` for the TUI's background tasks. Built only
//! with `Access::ReadWrite`; observer mode has `None` where this would be.

use super::error::OpsError;
use super::plan::FirewallSpec;
use super::{Access, Operator, Outcome, Plan, Progress, planner};
use crate::collect::docker::{self, DockerSettings};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;

#[derive(Clone)]
pub struct OperatorHandle {
    docker_settings: DockerSettings,
    audit_path: PathBuf,
    operator: Arc<Mutex<Option<Operator>>>,
}

impl OperatorHandle {
    /// `None` in observer mode: nothing that could change the host exists then.
    pub fn new(
        access: Access,
        docker_settings: DockerSettings,
        audit_path: PathBuf,
    ) -> Option<OperatorHandle> {
        (access == Access::ReadWrite).then(|| OperatorHandle {
            docker_settings,
            audit_path,
            operator: Arc::new(Mutex::new(None)),
        })
    }

    /// Connects on first use (the engine may have been down at start-up) and keeps the operator.
    async fn ready(&self) -> Result<tokio::sync::MappedMutexGuard<'_, Operator>, OpsError> {
        let mut guard = self.operator.lock().await;
        if guard.is_none() {
            let connection = docker::connect(&self.docker_settings)
                .await
                .map_err(|source| OpsError::Docker {
                    step: "connect to the engine".into(),
                    source,
                })?;
            *guard = Some(Operator::new(
                Access::ReadWrite,
                connection.client,
                &self.audit_path,
            )?);
        }
        tokio::sync::MutexGuard::try_map(guard, Option::as_mut)
            .map_err(|_| OpsError::Task("the operator vanished".into()))
    }

    pub async fn plan_stop(&self, target: &str) -> Result<Plan, OpsError> {
        let operator = self.ready().await?;
        planner::plan_stop(operator.docker(), target).await
    }

    pub async fn plan_undo(&self, action_id: &str) -> Result<Plan, OpsError> {
        let operator = self.ready().await?;
        planner::plan_undo(operator.docker(), &self.audit_path, action_id).await
    }

    pub async fn plan_rebind(&self, target: &str) -> Result<Plan, OpsError> {
        let operator = self.ready().await?;
        super::rebind::plan_rebind(operator.docker(), target, true).await
    }

    pub async fn plan_resume(&self, action_id: &str) -> Result<Plan, OpsError> {
        let operator = self.ready().await?;
        planner::plan_resume(operator.docker(), &self.audit_path, action_id).await
    }

    pub async fn plan_commit(&self, action_id: &str) -> Result<Plan, OpsError> {
        let operator = self.ready().await?;
        planner::plan_commit(operator.docker(), &self.audit_path, action_id).await
    }

    pub async fn plan_block(&self, spec: FirewallSpec) -> Result<Plan, OpsError> {
        let operator = self.ready().await?;
        planner::plan_block(operator.docker(), spec).await
    }

    pub async fn execute(&self, plan: &Plan, progress: &Progress) -> Result<Outcome, OpsError> {
        let mut operator = self.ready().await?;
        operator.execute(plan, progress).await
    }
}
