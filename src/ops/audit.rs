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
}

impl ActionResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionResult::Applied => "applied",
            ActionResult::Failed => "failed",
            ActionResult::RolledBack => "rolled back",
            ActionResult::Undone => "undone",
            ActionResult::Committed => "committed",
        }
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
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
    pub before: serde_json::Value,
    #[serde(default)]
    pub after: serde_json::Value,
    /// On the outcome record.
    #[serde(default)]
    pub result: Option<ActionResult>,
    #[serde(default)]
    pub error: Option<String>,
    pub undo: String,
    /// For an undo: the action it reverses.
    #[serde(default)]
    pub undoes: Option<String>,
    /// For firewall actions: which ports (needed to undo them).
    #[serde(default)]
    pub firewall: Option<FirewallSpec>,
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
            firewall: plan.firewall,
        }
    }

    pub fn outcome(plan: &Plan, identity: &Identity, outcome: &Outcome) -> AuditRecord {
        AuditRecord {
            phase: Phase::Outcome,
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
    /// Opens (creating if needed) the log for appending. An unwritable log is an error here,
    /// before any action could start.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        // Read as well as append: an append looks at the last byte first (see `append`).
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| AuditError::CreateDir {
                path: path.to_path_buf(),
                dir: parent.to_path_buf(),
                source,
            })?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|source| AuditError::Open {
                path: path.to_path_buf(),
                source,
            })?;
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
        let line = serde_json::to_string(record)?;
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

/// Records that `plan` was stopped at once by a second `signal` while at `step` (its index, if
/// a step had started): the outcome says exactly where, so whoever looks next knows the host
/// may be half-changed.
pub fn record_stopped_at_once(
    audit: &Path,
    plan: &Plan,
    signal: u8,
    step: Option<usize>,
) -> Result<String, AuditError> {
    let place = match step.and_then(|index| Some((index, plan.steps.get(index)?))) {
        Some((index, current)) => format!(
            "during step {}/{} ({})",
            index + 1,
            plan.steps.len(),
            current.description
        ),
        None => "before its first step".to_string(),
    };
    let outcome = Outcome {
        action_id: plan.id.clone(),
        result: ActionResult::Failed,
        error: Some(format!(
            "stopped at once by a second {} {place}: the host may be half-changed; look at it \
             before undoing",
            super::error::signal_name(signal)
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
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Journal::default()),
        Err(source) => {
            return Err(AuditError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
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

/// One line per action for `vigil actions` and the actions view: id, action, target, state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionSummary {
    pub action_id: String,
    pub time: String,
    pub action: ActionKind,
    pub target: String,
    pub user: String,
    pub state: ActionState,
    pub undo: String,
}

pub fn summarize(records: &[AuditRecord]) -> Vec<ActionSummary> {
    records
        .iter()
        .filter(|r| r.phase == Phase::Planned)
        .map(|r| ActionSummary {
            action_id: r.action_id.clone(),
            time: r.time.clone(),
            action: r.action,
            target: r.target.name.clone(),
            user: r.identity.display_operator(),
            state: latest_result(records, &r.action_id)
                .map_or(ActionState::Interrupted, ActionState::Ended),
            undo: r.undo.clone(),
        })
        .collect()
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
        assert!(
            matches!(error, Some(AuditError::CreateDir { .. })),
            "{error:?}"
        );
    }
}
