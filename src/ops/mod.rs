//! The ONLY code that changes the host. The functions that change it are visible only inside
//! this module; from outside, the one way to them is `Operator::execute`, and an `Operator` is
//! never built in observer mode (`Operator::new` refuses `Access::ReadOnly`). Planning only
//! reads, so it is public: a dry run and the confirmation popup use it without an `Operator`.
//!
//! Every action follows the same path: plan (what exactly will happen, the equivalent shell
//! commands, how to undo it) -> confirmation -> audit record written and fsynced -> execute ->
//! audit record with the outcome.
//!
//! Through an `Operator`, a confirmed plan runs:
//!
//! ```no_run
//! # async fn carry_out(docker: bollard::Docker, plan: vigil::ops::Plan) -> Result<(), vigil::ops::OpsError> {
//! use vigil::ops::{Access, Operator, Progress};
//! let mut operator = Operator::new(Access::ReadWrite, docker, "/tmp/audit.jsonl".as_ref())?;
//! let outcome = operator.execute(&plan, &Progress::silent()).await?;
//! # Ok(()) }
//! ```
//!
//! and nothing outside `ops` can call the step that changes the host itself:
//!
//! ```compile_fail,E0603
//! # async fn go_around(docker: bollard::Docker, plan: vigil::ops::Plan) {
//! vigil::ops::stop::execute_stop(&docker, &plan).await;
//! # }
//! ```

pub mod audit;
pub mod block;
mod error;
pub mod firewall;
pub mod handle;
pub mod identity;
pub mod plan;
pub mod planner;
pub mod progress;
pub mod rebind;
pub mod stop;

pub use audit::{ActionResult, AuditLog, AuditRecord};
pub use error::{AuditError, FirewallError, OpsError, signal_name};
pub use identity::Identity;
pub use plan::{ActionKind, Confirmation, Plan, Step};
pub use progress::{Interrupt, Progress, StepUpdate};

use bollard::Docker;

/// Whether this vigil may change the host: `ReadOnly` in observer mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    ReadWrite,
}

impl Access {
    pub fn from_read_only(read_only: bool) -> Access {
        if read_only {
            Access::ReadOnly
        } else {
            Access::ReadWrite
        }
    }
}

/// What an executed action reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub action_id: String,
    pub result: ActionResult,
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
    /// Builds the operator. Refuses observer mode, and fails before anything is changed when
    /// the audit log cannot be written: no action may run unrecorded.
    pub fn new(
        access: Access,
        docker: Docker,
        audit_path: &std::path::Path,
    ) -> Result<Operator, OpsError> {
        if access == Access::ReadOnly {
            return Err(OpsError::ReadOnly);
        }
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

    /// Runs a confirmed plan: audit first, then the steps (each reported to `progress` as it
    /// starts and ends), then the outcome.
    pub async fn execute(&mut self, plan: &Plan, progress: &Progress) -> Result<Outcome, OpsError> {
        if let Some(reason) = &plan.refused {
            return Err(OpsError::Refused(reason.clone()));
        }
        self.audit
            .append(&AuditRecord::planned(plan, &self.identity))?;
        let outcome = match self.run_steps(plan, progress).await {
            Ok(after) => Outcome {
                action_id: plan.id.clone(),
                result: ActionResult::Applied,
                error: None,
                after,
            },
            Err(error) => Outcome {
                action_id: plan.id.clone(),
                // A failure that vigil undid by itself leaves the host as it was: say so.
                result: match error {
                    OpsError::RolledBack { .. } => ActionResult::RolledBack,
                    _ => ActionResult::Failed,
                },
                error: Some(error.to_string()),
                after: serde_json::Value::Null,
            },
        };
        self.audit
            .append(&AuditRecord::outcome(plan, &self.identity, &outcome))?;
        if let (Some(original), None) = (&plan.undoes, &outcome.error) {
            self.record_reversed(original, plan, &outcome)?;
        }
        Ok(outcome)
    }

    /// The steps of each kind of action. Single-call actions report all their steps around
    /// that call; the recreate reports each of its own.
    async fn run_steps(
        &self,
        plan: &Plan,
        progress: &Progress,
    ) -> Result<serde_json::Value, OpsError> {
        let docker = &self.docker;
        let all_steps = 0..plan.steps.len();
        match plan.kind {
            ActionKind::Stop => {
                progress
                    .steps(all_steps, stop::execute_stop(docker, plan))
                    .await
            }
            ActionKind::Start => {
                progress
                    .steps(all_steps, stop::execute_start(docker, plan))
                    .await
            }
            ActionKind::Block | ActionKind::Unblock => {
                progress.steps(all_steps, block::execute(plan)).await
            }
            ActionKind::Rebind => rebind::execute(docker, plan, progress).await,
            ActionKind::Unrebind => rebind::execute_unrebind(docker, plan, progress).await,
            ActionKind::Commit => {
                progress
                    .steps(all_steps, rebind::execute_commit(docker, plan))
                    .await
            }
        }
    }

    /// Marks the action `plan` reversed as undone (or committed), so it is not undone twice.
    fn record_reversed(
        &mut self,
        original: &str,
        plan: &Plan,
        outcome: &Outcome,
    ) -> Result<(), OpsError> {
        let reversed = Outcome {
            action_id: original.to_string(),
            result: if plan.kind == ActionKind::Commit {
                ActionResult::Committed
            } else {
                ActionResult::Undone
            },
            ..outcome.clone()
        };
        self.audit.append(&AuditRecord::outcome_of(
            original,
            plan,
            &self.identity,
            &reversed,
        ))?;
        Ok(())
    }
}
