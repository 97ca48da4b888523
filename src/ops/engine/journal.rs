//! The journal of an action's operations: a record in the audit log, fsynced, before each
//! operation starts and after it ends, so a SIGKILL, an OOM kill, a reboot or a Docker daemon
//! restart at any point leaves the last thing vigil was doing on disk.

use crate::ops::audit::{AuditLog, AuditRecord, StepRecord, StepStatus};
use crate::ops::error::AuditError;
use crate::ops::identity::Identity;
use crate::ops::plan::Plan;

pub(in crate::ops) struct Journal<'a> {
    log: &'a mut AuditLog,
    plan: &'a Plan,
    identity: &'a Identity,
}

impl<'a> Journal<'a> {
    pub fn new(log: &'a mut AuditLog, plan: &'a Plan, identity: &'a Identity) -> Journal<'a> {
        Journal {
            log,
            plan,
            identity,
        }
    }

    pub fn plan(&self) -> &Plan {
        self.plan
    }

    pub fn write(&mut self, step: StepRecord) -> Result<(), AuditError> {
        self.log
            .append(&AuditRecord::step(self.plan, self.identity, step))
    }

    /// Writes a record with `status` for `step`, keeping the rest of it.
    pub fn mark(
        &mut self,
        step: &StepRecord,
        status: StepStatus,
        facts: serde_json::Value,
        error: Option<String>,
    ) -> Result<(), AuditError> {
        self.write(StepRecord {
            status,
            facts,
            error,
            ..step.clone()
        })
    }
}
