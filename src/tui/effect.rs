//! Work for the outside world that the app asks for instead of doing it: the app stays a pure
//! state machine, and the `Runner` carries these out off the event loop.

use crate::incident::inventory::ProbeKey;
use crate::incident::marks::MarkKind;
use crate::model::PortBinding;
use crate::ops::Plan;
use crate::ops::plan::FirewallSpec;
use crate::timeline::CommitId;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Probe these bindings for authentication.
    Probe(Vec<(ProbeKey, PortBinding)>),
    /// Containers changed, so docker-proxy sockets did too: read the socket table now.
    RescanListeners,
    /// Plan stopping this container (read-only work; the plan comes back for confirmation).
    PlanStop(String),
    /// Plan the undo of a recorded action.
    PlanUndo(String),
    /// Plan rebinding this container's ports to 127.0.0.1.
    PlanRebind(String),
    /// Plan committing a rebind (removing NAME-prev).
    PlanCommit(String),
    /// Plan blocking these ports in the firewall.
    PlanBlock(FirewallSpec),
    /// Carry out a confirmed plan through the Operator.
    Execute(Box<Plan>),
    /// Read the audit log for the actions view.
    LoadActions,
    /// Run the secret scan; a newer one replaces a running one.
    ScanSecrets(Box<crate::secrets::scan::ScanOptions>),
    /// Read the commit timelines of these repositories, then count lines; a newer read
    /// replaces a running one.
    LoadTimelines(Vec<PathBuf>),
    /// Read one commit's full message and raw identity lines for its details.
    LoadCommitDetails(PathBuf, CommitId),
    /// Read the audit log's actions for the incident report (`R`).
    LoadReportActions,
    /// Write the incident report's Markdown to the state directory.
    SaveReport(String),
    /// Append a checklist mark (or the taking back of one) to the marks file at `path`,
    /// fsynced, made by the user behind this session.
    SaveMark {
        path: Option<PathBuf>,
        kind: MarkKind,
        key: String,
        note: String,
        cleared: bool,
    },
}
