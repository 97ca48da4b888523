//! The audit trail: JSON lines, appended and fsynced before each action starts and again with
//! its outcome. Secrets never reach it: plans carry masked values only.

use super::Outcome;
use super::identity::Identity;
use super::plan::{Plan, Step, Target};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// UTC, RFC 3339.
    pub time: String,
    pub action_id: String,
    /// `planned` (written before the first step) or `outcome`.
    pub phase: String,
    pub action: String,
    pub target: Target,
    #[serde(flatten)]
    pub identity: Identity,
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
    pub before: serde_json::Value,
    #[serde(default)]
    pub after: serde_json::Value,
    /// `applied`, `failed`, `undone` (on the outcome record).
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    pub undo: String,
    /// For an undo: the action it reverses.
    #[serde(default)]
    pub undoes: Option<String>,
    /// For firewall actions: which ports (needed to undo them).
    #[serde(default)]
    pub firewall: Option<super::plan::FirewallSpec>,
}

fn now() -> String {
    crate::util::time::record_stamp()
}

impl AuditRecord {
    pub fn planned(plan: &Plan, identity: &Identity) -> AuditRecord {
        AuditRecord {
            time: now(),
            action_id: plan.id.clone(),
            phase: "planned".into(),
            action: plan.kind.as_str().into(),
            target: plan.target.clone(),
            identity: identity.clone(),
            steps: plan.steps.clone(),
            warnings: plan.warnings.clone(),
            before: plan.before.clone(),
            after: serde_json::Value::Null,
            result: None,
            error: None,
            undo: plan.undo.clone(),
            undoes: plan.undoes.clone(),
            firewall: plan.firewall,
        }
    }

    pub fn outcome(plan: &Plan, identity: &Identity, outcome: &Outcome) -> AuditRecord {
        AuditRecord {
            phase: "outcome".into(),
            after: outcome.after.clone(),
            result: Some(outcome.result.clone()),
            error: outcome.error.clone(),
            ..AuditRecord::planned(plan, identity)
        }
    }

    /// The outcome record of an earlier action, written when `plan` undid it.
    pub fn outcome_of(
        original: &str,
        plan: &Plan,
        identity: &Identity,
        outcome: &Outcome,
    ) -> AuditRecord {
        AuditRecord {
            action_id: original.to_string(),
            undoes: None,
            undo: format!("undone by {}", plan.id),
            ..AuditRecord::outcome(plan, identity, outcome)
        }
    }
}

/// An open, append-only audit log.
pub struct AuditLog {
    path: PathBuf,
    file: std::fs::File,
}

/// `$XDG_STATE_HOME/vigil/audit.jsonl`.
pub fn default_path() -> Option<PathBuf> {
    crate::util::paths::state_dir().map(|dir| dir.join("audit.jsonl"))
}

impl AuditLog {
    /// Opens (creating if needed) the log for appending. An unwritable log is an error here, before
    /// any action could start.
    pub fn open(path: &Path) -> Result<AuditLog, String> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|err| {
                format!(
                    "audit log {}: cannot create {}: {err}",
                    path.display(),
                    parent.display()
                )
            })?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|err| format!("audit log {} is not writable: {err}", path.display()))?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and fsyncs it: after a crash the record is there or was never written.
    pub fn append(&mut self, record: &AuditRecord) -> Result<(), String> {
        let mut line = serde_json::to_string(record).map_err(|err| err.to_string())?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|err| format!("cannot write the audit log {}: {err}", self.path.display()))
    }
}

/// Reads every record; lines that do not parse are skipped (a torn last line after a crash).
pub fn read_all(path: &Path) -> Result<Vec<AuditRecord>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(err) => Err(format!(
            "cannot read the audit log {}: {err}",
            path.display()
        )),
    }
}

/// The latest recorded result of an action (`applied`, `failed`, `undone`), if any.
pub fn latest_result(records: &[AuditRecord], action_id: &str) -> Option<String> {
    records
        .iter()
        .filter(|r| r.action_id == action_id && r.phase == "outcome")
        .filter_map(|r| r.result.clone())
        .next_back()
}

/// One line per action for `vigil actions` and the actions view: id, action, target, state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionSummary {
    pub action_id: String,
    pub time: String,
    pub action: String,
    pub target: String,
    pub user: String,
    /// `applied`, `failed`, `undone`, or `interrupted` (planned but no outcome recorded).
    pub state: String,
    pub undo: String,
}

pub fn summarize(records: &[AuditRecord]) -> Vec<ActionSummary> {
    records
        .iter()
        .filter(|r| r.phase == "planned")
        .map(|r| ActionSummary {
            action_id: r.action_id.clone(),
            time: r.time.clone(),
            action: r.action.clone(),
            target: r.target.name.clone(),
            user: r.identity.display_operator(),
            state: latest_result(records, &r.action_id).unwrap_or_else(|| "interrupted".into()),
            undo: r.undo.clone(),
        })
        .collect()
}
