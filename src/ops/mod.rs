//! The ONLY code that changes the host. Everything here is reachable only through an `Operator`,
//! and observer mode never constructs one: read-only is a fact of the types, not a flag checked
//! in many places.
//!
//! Every action follows the same path: plan (what exactly will happen, the equivalent shell
//! commands, how to undo it) -> confirmation -> audit record written and fsynced -> execute ->
//! audit record with the outcome.

pub mod audit;
pub mod block;
pub mod firewall;
pub mod handle;
pub mod identity;
pub mod plan;
pub mod planner;
pub mod progress;
pub mod rebind;
pub mod stop;

pub use audit::{AuditLog, AuditRecord};
pub use identity::Identity;
pub use plan::{ActionKind, Confirmation, Plan, Step};
pub use progress::{Progress, StepUpdate};

use bollard::Docker;

/// What an executed action reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub action_id: String,
    /// `applied`, `failed`, `undone`.
    pub result: String,
    pub error: Option<String>,
    pub after: serde_json::Value,
}

/// The capability to change the host. Holds the Docker client, the audit log and who is acting.
pub struct Operator {
    docker: Docker,
    audit: AuditLog,
    identity: Identity,
}

impl Operator {
    /// Builds the operator. Fails before anything is changed when the audit log cannot be
    /// written: no action may run unrecorded.
    pub fn new(docker: Docker, audit_path: &std::path::Path) -> Result<Operator, String> {
        let audit = AuditLog::open(audit_path)?;
        Ok(Operator {
            docker,
            audit,
            identity: Identity::current(),
        })
    }

    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    pub fn audit_path(&self) -> &std::path::Path {
        self.audit.path()
    }

    pub async fn plan_stop(&self, target: &str) -> Result<Plan, String> {
        planner::plan_stop(&self.docker, target).await
    }

    pub async fn plan_rebind(&self, target: &str) -> Result<Plan, String> {
        rebind::plan_rebind(&self.docker, target, true).await
    }

    pub async fn plan_commit(&self, action_id: &str) -> Result<Plan, String> {
        planner::plan_commit(self.audit.path(), action_id)
    }

    pub async fn plan_undo(&self, action_id: &str) -> Result<Plan, String> {
        planner::plan_undo(&self.docker, self.audit.path(), action_id).await
    }

    /// Runs a confirmed plan: audit first, then the steps (each reported to `progress` as it
    /// starts and ends), then the outcome.
    pub async fn execute(&mut self, plan: &Plan, progress: &Progress) -> Result<Outcome, String> {
        if let Some(reason) = &plan.refused {
            return Err(format!("refused: {reason}"));
        }
        self.audit
            .append(&AuditRecord::planned(plan, &self.identity))?;
        // Single-call actions report all their steps around that call; the recreate reports
        // each of its own.
        let all_steps = 0..plan.steps.len();
        let result = match plan.kind {
            ActionKind::Stop => {
                progress
                    .steps(all_steps, stop::execute_stop(&self.docker, plan))
                    .await
            }
            ActionKind::Start => {
                progress
                    .steps(all_steps, stop::execute_start(&self.docker, plan))
                    .await
            }
            ActionKind::Block | ActionKind::Unblock => {
                progress.steps(all_steps, block::execute(plan)).await
            }
            ActionKind::Rebind => rebind::execute(&self.docker, plan, progress).await,
            ActionKind::Unrebind => rebind::execute_unrebind(&self.docker, plan, progress).await,
            ActionKind::Commit => {
                progress
                    .steps(all_steps, rebind::execute_commit(&self.docker, plan))
                    .await
            }
        };
        let outcome = match result {
            Ok(after) => Outcome {
                action_id: plan.id.clone(),
                result: "applied".into(),
                error: None,
                after,
            },
            Err(error) => Outcome {
                action_id: plan.id.clone(),
                // A failure that vigil undid by itself leaves the host as it was: say so.
                result: if error.contains(rebind::ROLLED_BACK) {
                    "rolled back".into()
                } else {
                    "failed".into()
                },
                error: Some(error),
                after: serde_json::Value::Null,
            },
        };
        self.audit
            .append(&AuditRecord::outcome(plan, &self.identity, &outcome))?;
        if let (Some(original), None) = (&plan.undoes, &outcome.error) {
            // Mark the original action as undone, so it is not undone twice.
            let mut undone = outcome.clone();
            undone.action_id = original.clone();
            undone.result = if plan.kind == ActionKind::Commit {
                "committed"
            } else {
                "undone"
            }
            .into();
            self.audit.append(&AuditRecord::outcome_of(
                original,
                plan,
                &self.identity,
                &undone,
            ))?;
        }
        Ok(outcome)
    }
}
