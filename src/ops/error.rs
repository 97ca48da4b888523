//! Why an action could not be planned or carried out. Callers match on the variant (a refusal,
//! an automatic rollback, nothing left to remove), never on the message; the message is what
//! the engineer reads, in the plan's terms.

use super::audit::ActionResult;
use super::plan::ActionKind;
use crate::collect::docker::DockerError;
use std::path::PathBuf;

/// A firewall tool failed.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    #[error("cannot run {tool}: {source}")]
    Spawn {
        tool: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The tool ran and said no: the command and its stderr.
    #[error("{command}: {stderr}")]
    Refused { command: String, stderr: String },
    /// None of vigil's rules for this is there (already removed, or never added).
    #[error("nothing to remove: {what}")]
    NothingToRemove { what: String },
}

/// The audit log could not be opened, written or read. No action runs unrecorded.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log could not be opened, or was refused: a link, another user's file, a directory
    /// others can write (see `util::fs`).
    #[error("audit log: {0}")]
    Open(#[from] crate::util::fs::WriteError),
    #[error("cannot write the audit log {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the audit log: {0}")]
    Read(#[from] crate::util::read::ReadError),
    #[error("cannot encode an audit record: {0}")]
    Encode(#[from] serde_json::Error),
}

/// An action could not be planned, or failed.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// Observer mode: the capability to change the host is never built.
    #[error(
        "read-only mode: observer mode cannot change anything (set by --read-only, VIGIL_READ_ONLY \
         or the config's read_only; when vigil chose it because one of them could not be read, \
         the warning above says why; --read-only=false overrides)"
    )]
    ReadOnly,
    #[error("no container named or with id `{0}`")]
    NoSuchContainer(String),
    #[error("container {0} no longer exists: nothing to start")]
    ContainerGone(String),
    /// A Docker request failed; `step` says which, in the plan's words.
    #[error("{step}: {source}")]
    Docker {
        step: String,
        #[source]
        source: DockerError,
    },
    #[error(transparent)]
    Firewall(#[from] FirewallError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// vigil will not do this; the plan says why.
    #[error("refused: {0}")]
    Refused(String),
    #[error("`{0}` is not a port (1-65535)")]
    NotAPort(String),
    #[error("range {first}-{last} runs backwards")]
    BackwardRange { first: u16, last: u16 },
    #[error("no action `{id}` in {}", path.display())]
    UnknownAction { id: String, path: PathBuf },
    #[error("no rebind `{id}` in {}", path.display())]
    UnknownRebind { id: String, path: PathBuf },
    #[error("action {id} ({kind}) has no recorded outcome")]
    NoOutcome { id: String, kind: ActionKind },
    #[error("action {0} was already undone")]
    AlreadyUndone(String),
    #[error("action {0} was committed: the original is gone")]
    Committed(String),
    #[error("action {id} ended `{result}`: nothing to undo")]
    NothingToUndo { id: String, result: ActionResult },
    #[error(
        "rebind {id} is `{result}`: only an applied rebind is committed (`vigil resume {id}` completes one that was cut short)"
    )]
    NothingToCommit { id: String, result: String },
    #[error("action {0} is not a rebind: only a rebind is committed")]
    NotARebind(String),
    #[error("action {id} is `{result}`: nothing to resume")]
    NothingToResume { id: String, result: ActionResult },
    /// An audit record or plan lacks a value the action needs.
    #[error("the record of {id} lacks {what}")]
    IncompleteRecord { id: String, what: &'static str },
    /// The action ran but the host is not in the state it should be.
    #[error("{0}")]
    NotAsExpected(String),
    /// A signal (SIGTERM, Ctrl-C) asked the action to stop at its next safe point.
    #[error("interrupted by {}", signal_name(*signal))]
    Interrupted { signal: u8 },
    /// Work handed to a thread did not come back.
    #[error("internal: {0}")]
    Task(String),
    /// What the action was about is not what the record or the plan says: nothing was done.
    #[error("the host does not match: {0}")]
    HostChanged(String),
    /// A failure after which vigil put the host back by itself: it is as before.
    #[error("{failure}; rolled back: the host is as it was before the action")]
    RolledBack { failure: Box<OpsError> },
    /// A failure of an undo or resume that started between the two states: nothing to roll
    /// back to; running undo or resume again plans from what is there.
    #[error(
        "{failure}; the host is between the two states: `vigil undo` or `vigil resume` plans from what is there now"
    )]
    LeftHalfway { failure: Box<OpsError> },
    #[error("{failure}; ROLLBACK FAILED: {rollback}")]
    RollbackFailed {
        failure: Box<OpsError>,
        rollback: Box<OpsError>,
    },
}

/// `SIGTERM` for 15: how a signal is named in messages and records.
pub fn signal_name(signal: u8) -> String {
    match signal {
        1 => "SIGHUP".into(),
        2 => "SIGINT (Ctrl-C)".into(),
        15 => "SIGTERM".into(),
        other => format!("signal {other}"),
    }
}

impl OpsError {
    /// A Docker error met during `step`.
    pub fn docker(step: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> OpsError {
        let step = step.into();
        move |err| OpsError::Docker {
            step,
            source: DockerError::from_bollard("docker", &err),
        }
    }

    /// The HTTP status Docker answered a failed request with, if it answered.
    pub fn docker_status(&self) -> Option<u16> {
        match self {
            OpsError::Docker { source, .. } => source.status(),
            _ => None,
        }
    }
}
