//! Shared, lazily connected access to the `Operator` for the TUI's background tasks. Only
//! operator mode creates one; observer mode has `None` where this would be.

use super::{Operator, Outcome, Plan, Progress, planner};
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
    pub fn new(docker_settings: DockerSettings, audit_path: PathBuf) -> OperatorHandle {
        OperatorHandle {
            docker_settings,
            audit_path,
            operator: Arc::new(Mutex::new(None)),
        }
    }

    /// Connects on first use (the engine may have been down at start-up) and keeps the operator.
    async fn ready(&self) -> Result<tokio::sync::MutexGuard<'_, Option<Operator>>, String> {
        let mut guard = self.operator.lock().await;
        if guard.is_none() {
            let client = docker::connect(&self.docker_settings)
                .await
                .map_err(|e| e.to_string())?
                .client;
            *guard = Some(Operator::new(client, &self.audit_path)?);
        }
        Ok(guard)
    }

    pub async fn plan_stop(&self, target: &str) -> Result<Plan, String> {
        let guard = self.ready().await?;
        let operator = guard.as_ref().ok_or("operator unavailable")?;
        planner::plan_stop(operator.docker(), target).await
    }

    pub async fn plan_undo(&self, action_id: &str) -> Result<Plan, String> {
        let guard = self.ready().await?;
        let operator = guard.as_ref().ok_or("operator unavailable")?;
        planner::plan_undo(operator.docker(), &self.audit_path, action_id).await
    }

    pub async fn plan_rebind(&self, target: &str) -> Result<Plan, String> {
        let guard = self.ready().await?;
        let operator = guard.as_ref().ok_or("operator unavailable")?;
        operator.plan_rebind(target).await
    }

    pub async fn plan_commit(&self, action_id: &str) -> Result<Plan, String> {
        let guard = self.ready().await?;
        let operator = guard.as_ref().ok_or("operator unavailable")?;
        operator.plan_commit(action_id).await
    }

    pub async fn plan_block(&self, spec: super::plan::FirewallSpec) -> Result<Plan, String> {
        let guard = self.ready().await?;
        let operator = guard.as_ref().ok_or("operator unavailable")?;
        planner::plan_block(operator.docker(), spec).await
    }

    pub async fn execute(&self, plan: &Plan, progress: &Progress) -> Result<Outcome, String> {
        let mut guard = self.ready().await?;
        let operator = guard.as_mut().ok_or("operator unavailable")?;
        operator.execute(plan, progress).await
    }
}
