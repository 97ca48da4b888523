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
pub mod engine;
mod error;
pub mod firewall;
pub mod handle;
pub mod identity;
pub mod plan;
pub mod planner;
pub mod progress;
pub mod rebind;
pub mod recover;
pub mod stop;
pub mod strays;

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

    /// Runs a confirmed plan: audit first, then the operations (each journaled before and
    /// after, and reported to `progress` as it starts and ends), then the outcome.
    pub async fn execute(&mut self, plan: &Plan, progress: &Progress) -> Result<Outcome, OpsError> {
        if let Some(reason) = &plan.refused {
            return Err(OpsError::Refused(reason.clone()));
        }
        self.audit
            .append(&AuditRecord::planned(plan, &self.identity))?;
        let mut journal = engine::Journal::new(&mut self.audit, plan, &self.identity);
        let carried = engine::carry_out(&self.docker, &mut journal, progress).await;
        let outcome = match carried {
            Ok(after) => Outcome {
                action_id: plan.id.clone(),
                result: ActionResult::Applied,
                error: None,
                after,
            },
            Err(error) => Outcome {
                action_id: plan.id.clone(),
                result: result_of(&error),
                error: Some(error.to_string()),
                after: serde_json::Value::Null,
            },
        };
        // The action it settles (and any cut-short sibling) is recorded first, its own outcome
        // last: a kill between the two leaves this action without an outcome, flagged and
        // recoverable, never a finished undo whose base still reads "applied".
        if outcome.error.is_none() {
            self.settle_family(plan, &outcome)?;
        }
        self.audit
            .append(&AuditRecord::outcome(plan, &self.identity, &outcome))?;
        Ok(outcome)
    }

    /// After an undo, resume or commit: the action it acted on gets its new state, and any
    /// member of its family that was cut short is marked recovered, so nothing stays flagged.
    fn settle_family(&mut self, plan: &Plan, outcome: &Outcome) -> Result<(), OpsError> {
        let Some(base) = plan.undoes.as_deref().or(plan.resumes.as_deref()) else {
            return Ok(());
        };
        let result = match plan.kind {
            ActionKind::Commit => ActionResult::Committed,
            ActionKind::Resume => ActionResult::Applied,
            _ => ActionResult::Undone,
        };
        let journal = audit::read_all(self.audit.path())?;
        let summaries = audit::summarize(&journal);
        let cut_short = journal.iter().filter(|r| {
            r.phase == audit::Phase::Planned
                && r.action_id != plan.id
                && r.action_id != base
                && (r.undoes.as_deref() == Some(base) || r.resumes.as_deref() == Some(base))
                && summaries
                    .iter()
                    .any(|s| s.action_id == r.action_id && s.needs_attention())
        });
        let mut settled: Vec<(String, ActionResult)> = cut_short
            .map(|r| (r.action_id.clone(), ActionResult::Recovered))
            .collect();
        settled.push((base.to_string(), result));
        for (action_id, result) in settled {
            let settled = Outcome {
                action_id: action_id.clone(),
                result,
                ..outcome.clone()
            };
            self.audit.append(&AuditRecord::outcome_of(
                &action_id,
                plan,
                &self.identity,
                &settled,
            ))?;
        }
        Ok(())
    }
}

/// How an action that did not complete is recorded.
fn result_of(error: &OpsError) -> ActionResult {
    match error {
        // vigil put the host back by itself (or nothing had changed): it is as before.
        OpsError::RolledBack { .. } => ActionResult::RolledBack,
        OpsError::RollbackFailed { .. } | OpsError::LeftHalfway { .. } => ActionResult::Unfinished,
        _ => ActionResult::Failed,
    }
}
