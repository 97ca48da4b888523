//! The executor: carries out a confirmed plan's operations one by one. Before each: the
//! interrupt is checked (a SIGTERM or Ctrl-C stops here and rolls back), the step is journaled,
//! the host is looked at again and the operation checked against it; after each: journaled
//! with what was learned. A failure or an interrupt rolls back to where the action started
//! from, planned afresh from the host as it is then.

use super::check::check;
use super::container::perform;
use super::converge::{Goal, converge};
use super::journal::Journal;
use super::op::{Op, PlannedOp, Work};
use super::pause::{Pause, When};
use super::scene::{Scene, observe};
use crate::ops::audit::{StepRecord, StepStatus};
use crate::ops::error::OpsError;
use crate::ops::progress::Progress;
use bollard::Docker;

/// Where the action is: what the rollback and the journal need.
struct Run<'j, 'a> {
    docker: &'j Docker,
    journal: &'j mut Journal<'a>,
    work: &'j Work,
    progress: &'j Progress,
}

/// Runs the plan in `journal`; the state after it, for the outcome record.
pub(in crate::ops) async fn carry_out(
    docker: &Docker,
    journal: &mut Journal<'_>,
    progress: &Progress,
) -> Result<serde_json::Value, OpsError> {
    let plan = journal.plan().clone();
    let work = plan
        .work
        .as_ref()
        .ok_or_else(|| OpsError::IncompleteRecord {
            id: plan.id.clone(),
            what: "its operations",
        })?;
    let scene = observe(docker, &work.subject).await?;
    let needed =
        converge(&work.subject, &scene, work.goal).map_err(|why| OpsError::HostChanged(why.0))?;
    if needed != work.ops() {
        return Err(OpsError::HostChanged(
            "the host changed since the plan was made: plan again to see what would happen now"
                .into(),
        ));
    }
    // The end the action starts from, if the host is at one: where a rollback returns to.
    let start = work
        .goal
        .opposite()
        .filter(|goal| reached(work, &scene, *goal));
    let mut run = Run {
        docker,
        journal,
        work,
        progress,
    };
    let done = match run.all_ops().await {
        Ok(()) => run.confirm().await.map_err(|error| (error, true)),
        Err(failure) => Err(failure),
    };
    match done {
        Ok(()) => super::after::state(docker, work, &observe(docker, &work.subject).await?).await,
        Err((error, false)) => Err(OpsError::RolledBack {
            failure: Box::new(error),
        }),
        Err((error, true)) => Err(match start {
            Some(goal) => run.roll_back(goal, error).await,
            None => OpsError::LeftHalfway {
                failure: Box::new(error),
            },
        }),
    }
}

/// True when nothing but checks is left to do to be at `goal`.
fn reached(work: &Work, scene: &Scene, goal: Goal) -> bool {
    converge(&work.subject, scene, goal)
        .is_ok_and(|ops| ops.iter().all(|op| matches!(op, Op::VerifyHttp { .. })))
}

impl Run<'_, '_> {
    /// Every operation in order; on an error, whether anything had changed by then.
    async fn all_ops(&mut self) -> Result<(), (OpsError, bool)> {
        let pause = Pause::from_env();
        let mut index = 0;
        let mut changed = false;
        for planned in &self.work.ops {
            if let Some(signal) = self.progress.interrupted() {
                return Err((OpsError::Interrupted { signal }, changed));
            }
            let record = self.record(index, &planned.op, false);
            if let Err(error) = self.journal.write(record.clone()) {
                return Err((error.into(), changed));
            }
            Pause::at(pause, When::Before, index, self.progress).await;
            if let Some(signal) = self.progress.interrupted() {
                let _ = self
                    .journal
                    .mark(&record, StepStatus::NotRun, Default::default(), None);
                return Err((OpsError::Interrupted { signal }, changed));
            }
            changed = true;
            let done = self.one(planned, index).await;
            let marked = match &done {
                Ok(Some(facts)) => {
                    self.journal
                        .mark(&record, StepStatus::Done, facts.clone(), None)
                }
                Ok(None) => {
                    self.journal
                        .mark(&record, StepStatus::Skipped, Default::default(), None)
                }
                Err(error) => self.journal.mark(
                    &record,
                    StepStatus::Failed,
                    Default::default(),
                    Some(error.to_string()),
                ),
            };
            done.map_err(|e| (e, true))?;
            marked.map_err(|e| (e.into(), true))?;
            Pause::at(pause, When::After, index, self.progress).await;
            index += planned.steps;
        }
        Ok(())
    }

    /// One operation, shown as its plan steps: `None` when the host had it done already.
    async fn one(
        &self,
        planned: &PlannedOp,
        index: usize,
    ) -> Result<Option<serde_json::Value>, OpsError> {
        let range = index..index + planned.steps.max(1);
        self.progress
            .steps(range, self.act(&planned.op, self.work.goal))
            .await
    }

    /// Looks at the host, skips `op` if it is not needed any more, checks it, does it.
    async fn act(&self, op: &Op, goal: Goal) -> Result<Option<serde_json::Value>, OpsError> {
        let subject = &self.work.subject;
        let scene = observe(self.docker, subject).await?;
        let needed = converge(subject, &scene, goal).map_err(|why| OpsError::HostChanged(why.0))?;
        if !needed.contains(op) {
            return Ok(None);
        }
        check(op, subject, &scene).map_err(|why| OpsError::HostChanged(why.0))?;
        perform(self.docker, op, subject, &scene).await.map(Some)
    }

    fn record(&self, index: usize, op: &Op, rollback: bool) -> StepRecord {
        let plan = self.journal.plan();
        StepRecord {
            index,
            total: plan.steps.len(),
            op: op.clone(),
            status: StepStatus::Started,
            description: plan
                .steps
                .get(index)
                .map(|s| s.description.clone())
                .unwrap_or_default(),
            facts: serde_json::Value::Null,
            error: None,
            rollback,
        }
    }

    /// Back to `goal` after `failure`, planned from the host as it is now; the error says
    /// whether that worked.
    async fn roll_back(&mut self, goal: Goal, failure: OpsError) -> OpsError {
        self.progress.note(&format!(
            "rolling back ({}), planned from the host as it is now…",
            goal.as_str()
        ));
        let rolled_back = self.rollback_ops(goal).await;
        self.progress.note(match &rolled_back {
            Ok(()) => "rolled back: the host is as it was before",
            Err(_) => "ROLLBACK FAILED: see the error; `vigil undo` plans from what is there",
        });
        match rolled_back {
            Ok(()) => OpsError::RolledBack {
                failure: Box::new(failure),
            },
            Err(rollback) => OpsError::RollbackFailed {
                failure: Box::new(failure),
                rollback: Box::new(rollback),
            },
        }
    }

    async fn rollback_ops(&mut self, goal: Goal) -> Result<(), OpsError> {
        let subject = &self.work.subject;
        let scene = observe(self.docker, subject).await?;
        let ops = converge(subject, &scene, goal).map_err(|why| OpsError::HostChanged(why.0))?;
        for (index, op) in ops.iter().enumerate() {
            let mut record = self.record(index, op, true);
            record.description = super::op::describe(op, subject, &scene)
                .first()
                .map(|s| s.description.clone())
                .unwrap_or_default();
            self.journal.write(record.clone())?;
            let done = self.act(op, goal).await;
            let (status, facts, error) = match &done {
                Ok(Some(facts)) => (StepStatus::Done, facts.clone(), None),
                Ok(None) => (StepStatus::Skipped, Default::default(), None),
                Err(error) => (
                    StepStatus::Failed,
                    Default::default(),
                    Some(error.to_string()),
                ),
            };
            self.journal.mark(&record, status, facts, error)?;
            done?;
        }
        Ok(())
    }

    /// After the last step: the host is at the goal (anything else is a failure that rolls
    /// back).
    async fn confirm(&self) -> Result<(), OpsError> {
        let scene = observe(self.docker, &self.work.subject).await?;
        if reached(self.work, &scene, self.work.goal) {
            Ok(())
        } else {
            Err(OpsError::NotAsExpected(format!(
                "the host is not at {} after the last step",
                self.work.goal.as_str()
            )))
        }
    }
}
