//! The audit trail: JSON lines, appended and fsynced before each action starts and again with
//! its outcome. Secrets never reach it: plans carry masked values only.
//!
//! The record's `phase`, `action` and `result` are typed here and written as the same words
//! every version of vigil has written (`planned`/`outcome`, `stop`, `rolled back` …), so older
//! logs read back unchanged.

use super::Outcome;
use super::error::AuditError;
use super::identity::Identity;
use super::plan::{ActionKind, FirewallSpec, Plan, Step, Target};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Which record of an action this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Written and fsynced before the first step runs.
    Planned,
    /// Written when the action ended, with its result.
    Outcome,
    /// Written before and after each operation, with the facts needed to reverse it.
    Step,
}

/// Where an operation stands in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// About to run (fsynced before the host is touched).
    Started,
    Done,
    /// Not needed when its turn came: the host had it done already.
    Skipped,
    /// A SIGTERM or Ctrl-C came first: it never ran.
    NotRun,
    Failed,
}

/// One journal entry of an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The plan step (0-based) the operation starts at, and how many steps the plan has.
    pub index: usize,
    pub total: usize,
    pub op: super::engine::Op,
    pub status: StepStatus,
    pub description: String,
    /// What was learned (a new container's id) or changed.
    #[serde(default)]
    pub facts: serde_json::Value,
    #[serde(default)]
    pub error: Option<String>,
    /// Part of a rollback, not of the confirmed plan.
    #[serde(default)]
    pub rollback: bool,
}

/// How an action ended (or what later became of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionResult {
    #[serde(rename = "applied")]
    Applied,
    #[serde(rename = "failed")]
    Failed,
    /// It failed and vigil put the original back by itself.
    #[serde(rename = "rolled back")]
    RolledBack,
    /// A later action reversed it.
    #[serde(rename = "undone")]
    Undone,
    /// A rebind made final: the original is gone.
    #[serde(rename = "committed")]
    Committed,
    /// It stopped between the two states (its rollback failed, or it was stopped at once):
    /// `vigil undo` or `vigil resume` plans from what is there.
    #[serde(rename = "unfinished")]
    Unfinished,
    /// It was cut short, and a later undo or resume of the same action settled the host.
    #[serde(rename = "recovered")]
    Recovered,
}

impl ActionResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionResult::Applied => "applied",
            ActionResult::Failed => "failed",
            ActionResult::RolledBack => "rolled back",
            ActionResult::Undone => "undone",
            ActionResult::Committed => "committed",
            ActionResult::Unfinished => "unfinished",
            ActionResult::Recovered => "recovered",
        }
    }

    /// True when the host may be between the two states of the action.
    pub fn needs_attention(self) -> bool {
        self == ActionResult::Unfinished
    }
}

impl std::fmt::Display for ActionResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// UTC, RFC 3339.
    pub time: String,
    pub action_id: String,
    pub phase: Phase,
    pub action: ActionKind,
    pub target: Target,
    #[serde(flatten)]
    pub identity: Identity,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub before: serde_json::Value,
    #[serde(default)]
    pub after: serde_json::Value,
    /// On the outcome record.
    #[serde(default)]
    pub result: Option<ActionResult>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub undo: String,
    /// For an undo: the action it reverses.
    #[serde(default)]
    pub undoes: Option<String>,
    /// For a resume: the action it completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumes: Option<String>,
    /// For firewall actions: which ports (needed to undo them).
    #[serde(default)]
    pub firewall: Option<FirewallSpec>,
    /// On the planned record: the subject and the operations, as confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<super::engine::Work>,
    /// On a step record: the operation and where it stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<StepRecord>,
}

impl AuditRecord {
    pub fn planned(plan: &Plan, identity: &Identity) -> AuditRecord {
        AuditRecord {
            time: crate::util::time::record_stamp(),
            action_id: plan.id.clone(),
            phase: Phase::Planned,
            action: plan.kind,
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
            resumes: plan.resumes.clone(),
            firewall: plan.firewall,
            work: plan.work.clone(),
            step: None,
        }
    }

    /// A journal entry of one operation of `plan`: small, the plan itself is in the planned
    /// record.
    pub fn step(plan: &Plan, identity: &Identity, step: StepRecord) -> AuditRecord {
        AuditRecord {
            phase: Phase::Step,
            steps: Vec::new(),
            warnings: Vec::new(),
            before: serde_json::Value::Null,
            undo: String::new(),
            work: None,
            step: Some(step),
            ..AuditRecord::planned(plan, identity)
        }
    }

    pub fn outcome(plan: &Plan, identity: &Identity, outcome: &Outcome) -> AuditRecord {
        AuditRecord {
            phase: Phase::Outcome,
            work: None,
            after: outcome.after.clone(),
            result: Some(outcome.result),
            error: outcome.error.clone(),
            ..AuditRecord::planned(plan, identity)
        }
    }

    /// The outcome record of an earlier action, written when `plan` undid (or committed) it.
    pub fn outcome_of(
        original: &str,
        plan: &Plan,
        identity: &Identity,
        outcome: &Outcome,
    ) -> AuditRecord {
        AuditRecord {
            action_id: original.to_string(),
            undoes: None,
            resumes: None,
            undo: match plan.kind {
                ActionKind::Resume => format!("completed by {}", plan.id),
                ActionKind::Commit => format!("committed by {}", plan.id),
                _ => format!("undone by {}", plan.id),
            },
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
    /// Opens (creating if needed) the log for appending. An unwritable log is an error here,
    /// before any action could start.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        // Read as well as append: an append looks at the last byte first (see `append`).
        let file = crate::util::fs::open_private_append(path, true)?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and fsyncs it: after a crash the record is there or was never written.
    /// The file is locked meanwhile, so records of two vigil processes never interleave; a torn
    /// last line (a crash mid-write) is ended first, so the new record stays readable.
    pub fn append(&mut self, record: &AuditRecord) -> Result<(), AuditError> {
        let line = crate::util::json::to_string(record)?;
        let failed = |source| AuditError::Write {
            path: self.path.clone(),
            source,
        };
        self.file.lock().map_err(failed)?;
        let written = append_line(&mut self.file, &line);
        let unlocked = self.file.unlock();
        written.and(unlocked).map_err(failed)
    }
}

/// Records that `plan` was stopped at once by a second `signal`: the outcome says where, from
/// the last step its journal holds, so whoever looks next knows the host may be half-changed
/// and how to plan from there. The place, for the message.
pub fn record_stopped_at_once(audit: &Path, plan: &Plan, signal: u8) -> Result<String, AuditError> {
    let journal = read(audit)?;
    let place = journal
        .records
        .iter()
        .rev()
        .filter(|r| r.action_id == plan.id && r.phase == Phase::Step)
        .find_map(|r| r.step.as_ref())
        .map_or("before its first step".to_string(), |step| {
            format!("during {}", step.where_it_stood())
        });
    let outcome = Outcome {
        action_id: plan.id.clone(),
        result: ActionResult::Unfinished,
        error: Some(format!(
            "stopped at once by a second {} {place}: the host may be half-changed; `vigil undo \
             {id}` or `vigil resume {id}` plans from what is there",
            super::error::signal_name(signal),
            id = plan.id,
        )),
        after: serde_json::Value::Null,
    };
    let record = AuditRecord::outcome(plan, &Identity::current(), &outcome);
    AuditLog::open(audit)?.append(&record)?;
    Ok(place)
}

/// Writes `line` and a newline at the end of `file`, after a newline of its own when the file
/// ends in the middle of a line, then fsyncs.
fn append_line(file: &mut std::fs::File, line: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::FileExt;
    let length = file.metadata()?.len();
    let mut last = [b'\n'];
    if length > 0 {
        file.read_exact_at(&mut last, length - 1)?;
    }
    let mut bytes = Vec::with_capacity(line.len() + 2);
    if last[0] != b'\n' {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    file.write_all(&bytes)?;
    file.sync_data()
}

/// The records of an audit log, and how many lines could not be read.
#[derive(Debug, Default)]
pub struct Journal {
    pub records: Vec<AuditRecord>,
    /// Lines that are not a record: a torn last line after a crash, invalid UTF-8, damage.
    pub unreadable: usize,
}

/// Reads every record; a line that is not one (torn, not UTF-8, damaged) is skipped and counted,
/// never fatal. A missing log is an empty one.
pub fn read(path: &Path) -> Result<Journal, AuditError> {
    let bytes = match crate::util::read::read_regular(path, crate::util::read::limits::STATE) {
        Ok(bytes) => bytes,
        Err(err) if err.is_not_found() => return Ok(Journal::default()),
        Err(err) => return Err(err.into()),
    };
    let mut journal = Journal::default();
    for line in bytes.split(|b| *b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice(line) {
            Ok(record) => journal.records.push(record),
            Err(_) => journal.unreadable += 1,
        }
    }
    Ok(journal)
}

/// Every readable record (see `read` for the count of the others).
pub fn read_all(path: &Path) -> Result<Vec<AuditRecord>, AuditError> {
    read(path).map(|journal| journal.records)
}

/// The latest recorded result of an action, if any.
pub fn latest_result(records: &[AuditRecord], action_id: &str) -> Option<ActionResult> {
    records
        .iter()
        .filter(|r| r.action_id == action_id && r.phase == Phase::Outcome)
        .filter_map(|r| r.result)
        .next_back()
}

/// Where an action stands now, for `vigil actions` and the actions view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionState {
    Ended(ActionResult),
    /// Planned, but no outcome was ever recorded.
    Interrupted,
}

/// Written as the word the tables show (`applied`, `rolled back`, `interrupted`).
impl Serialize for ActionState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl ActionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionState::Ended(result) => result.as_str(),
            ActionState::Interrupted => "interrupted",
        }
    }
}

impl std::fmt::Display for ActionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `{:<12}` in the tables pads this.
        f.pad(self.as_str())
    }
}

impl ActionState {
    /// Interrupted, or stopped between the two states: undo or resume it.
    pub fn needs_attention(self) -> bool {
        match self {
            ActionState::Interrupted => true,
            ActionState::Ended(result) => result.needs_attention(),
        }
    }
}

/// One line per action for `vigil actions` and the actions view: id, action, target, state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionSummary {
    pub action_id: String,
    pub time: String,
    pub action: ActionKind,
    pub target: String,
    pub user: String,
    pub state: ActionState,
    /// How to undo it; for an action cut short, how to undo or complete it.
    pub undo: String,
    /// For an action cut short: the last step its journal records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
}

impl ActionSummary {
    pub fn needs_attention(&self) -> bool {
        self.state.needs_attention()
    }
}

pub fn summarize(records: &[AuditRecord]) -> Vec<ActionSummary> {
    let mut latest: std::collections::HashMap<&str, ActionResult> = Default::default();
    let mut last_steps: std::collections::HashMap<&str, &StepRecord> = Default::default();
    for record in records {
        match (record.phase, record.result, &record.step) {
            (Phase::Outcome, Some(result), _) => {
                latest.insert(&record.action_id, result);
            }
            (Phase::Step, _, Some(step)) => {
                last_steps.insert(&record.action_id, step);
            }
            _ => {}
        }
    }
    records
        .iter()
        .filter(|r| r.phase == Phase::Planned)
        .map(|r| {
            let id = r.action_id.as_str();
            let state = latest.get(id).map_or(ActionState::Interrupted, |result| {
                ActionState::Ended(*result)
            });
            let attention = state.needs_attention();
            ActionSummary {
                action_id: r.action_id.clone(),
                time: r.time.clone(),
                action: r.action,
                target: r.target.name.clone(),
                user: r.identity.display_operator(),
                state,
                undo: if attention {
                    format!(
                        "vigil undo {id}  (back to before it)  or  vigil resume {id}  (complete it)"
                    )
                } else {
                    r.undo.clone()
                },
                stopped_at: attention
                    .then(|| last_steps.get(id).map(|step| step.where_it_stood()))
                    .flatten(),
            }
        })
        .collect()
}

impl StepRecord {
    /// `step 3/8 (stop the original) started, never finished`.
    pub fn where_it_stood(&self) -> String {
        let status = match self.status {
            StepStatus::Started => "started, never finished",
            StepStatus::Done => "done",
            StepStatus::Skipped => "skipped (already done)",
            StepStatus::NotRun => "not run",
            StepStatus::Failed => "failed",
        };
        format!(
            "{}step {}/{} ({}) {status}",
            if self.rollback { "rollback " } else { "" },
            self.index + 1,
            self.total,
            self.description
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as vigil 0.1 (free-string phases and results) wrote them.
    const OLD_LOG: &str = r#"{"time":"2026-11-22T04:28:00.000Z","action_id":"20261122T042800Z-stop-aaaaaaaaaaaa-010203","phase":"planned","action":"stop","target":{"id":"aaaa","name":"sdnext","image":"img"},"user":"root","login_user":"alice","ssh_client":"203.0.113.7","host":"gpu-01","steps":[],"warnings":[],"before":null,"undo":"vigil undo x"}
{"time":"2026-11-22T04:28:01.000Z","action_id":"20261122T042800Z-stop-aaaaaaaaaaaa-010203","phase":"outcome","action":"stop","target":{"id":"aaaa","name":"sdnext","image":"img"},"user":"root","login_user":"alice","ssh_client":null,"host":"gpu-01","steps":[],"warnings":[],"before":null,"after":{"state":"exited"},"result":"applied","error":null,"undo":"vigil undo x"}
{"time":"2026-11-22T04:30:00.000Z","action_id":"r1","phase":"planned","action":"rebind","target":{"id":"bbbb","name":"comfy","image":"img"},"user":"root","login_user":null,"ssh_client":null,"host":"gpu-01","steps":[],"warnings":[],"before":null,"undo":"vigil undo r1"}
{"time":"2026-11-22T04:30:09.000Z","action_id":"r1","phase":"outcome","action":"rebind","target":{"id":"bbbb","name":"comfy","image":"img"},"user":"root","login_user":null,"ssh_client":null,"host":"gpu-01","steps":[],"warnings":[],"before":null,"after":null,"result":"rolled back","error":"boom; rolled back: the original is running again with its original bindings","undo":"vigil undo r1"}
{"time":"2026-11-22T04:31:00.000Z","action_id":"b1","phase":"planned","action":"block","target":{"id":"port:tcp/36325","name":"36325/tcp","image":""},"user":"root","login_user":null,"ssh_client":null,"host":"gpu-01","steps":[],"warnings":[],"before":null,"undo":"vigil undo b1","firewall":{"proto":"tcp","range":{"first":36325,"last":36325}}}
{"time":"2026-11-22T04"#;

    #[test]
    fn logs_written_by_earlier_versions_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, OLD_LOG).expect("write");
        let records = read_all(&path).expect("read");
        assert_eq!(records.len(), 5, "the torn last line is skipped");
        let summary = summarize(&records);
        let states: Vec<&str> = summary.iter().map(|s| s.state.as_str()).collect();
        assert_eq!(states, ["applied", "rolled back", "interrupted"]);
        assert_eq!(summary[0].user, "root (sudo by alice)");
        assert_eq!(summary[2].action, ActionKind::Block);
        // Firewall records from before the iptables fallback name no backend: nft.
        let spec = records[4].firewall.expect("firewall spec");
        assert_eq!(spec.backend, super::super::firewall::Backend::Nftables);
    }

    #[test]
    fn records_write_the_same_words_they_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, OLD_LOG).expect("write");
        let records = read_all(&path).expect("read");
        let again = serde_json::to_value(&records[3]).expect("encode");
        assert_eq!(again["phase"], "outcome");
        assert_eq!(again["action"], "rebind");
        assert_eq!(again["result"], "rolled back");
        let summary = serde_json::to_value(summarize(&records)).expect("encode");
        assert_eq!(summary[2]["state"], "interrupted");
        assert_eq!(summary[1]["state"], "rolled back");
        assert_eq!(summary[0]["action"], "stop");
    }

    #[test]
    fn a_torn_or_foreign_line_is_counted_and_the_next_record_stays_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        // A crash mid-write left half a record, then a line that is not UTF-8.
        let mut damaged = OLD_LOG.as_bytes().to_vec();
        damaged.extend_from_slice(b"\n\xff\xfe not json");
        std::fs::write(&path, &damaged).expect("write");
        let before = read(&path).expect("read");
        assert_eq!((before.records.len(), before.unreadable), (5, 2));
        let mut log = AuditLog::open(&path).expect("open");
        let mut record = before.records[0].clone();
        record.action_id = "after-the-crash".into();
        log.append(&record).expect("append");
        let after = read(&path).expect("read again");
        assert_eq!((after.records.len(), after.unreadable), (6, 2));
        assert_eq!(after.records[5].action_id, "after-the-crash");
    }

    #[test]
    fn two_writers_never_interleave_their_records() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, OLD_LOG.lines().next().expect("a line")).expect("write");
        let record = read(&path).expect("read").records[0].clone();
        let writers: Vec<_> = (0..4)
            .map(|n| {
                let path = path.clone();
                let mut record = record.clone();
                std::thread::spawn(move || {
                    let mut log = AuditLog::open(&path).expect("open");
                    for i in 0..50 {
                        record.action_id = format!("w{n}-{i}");
                        log.append(&record).expect("append");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer");
        }
        let journal = read(&path).expect("read");
        assert_eq!((journal.records.len(), journal.unreadable), (201, 0));
    }

    #[test]
    fn an_unwritable_log_is_refused_before_anything_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").expect("write");
        let error = AuditLog::open(&blocker.join("audit.jsonl")).err();
        assert!(matches!(error, Some(AuditError::Open(_))), "{error:?}");
    }
}
