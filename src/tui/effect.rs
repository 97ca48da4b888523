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
    /// Plan completing an action that was cut short.
    PlanResume(String),
    /// Plan blocking these ports in the firewall.
    PlanBlock(FirewallSpec),
    /// Carry out a confirmed plan through the Operator.
    Execute(Box<Plan>),
    /// Read the audit log (and vigil's firewall rules) for the actions view and the header's
    /// marker; the containers are the pane's, to find what is stray among them (the app fills
    /// them in as the effect leaves it).
    LoadActions(Vec<crate::model::Container>),
    /// Run the secret scan; a newer one replaces a running one.
    ScanSecrets(Box<crate::secrets::scan::ScanOptions>),
    /// Read the commit timelines of these repositories, then count lines; a newer read
    /// replaces a running one.
    LoadTimelines(Vec<PathBuf>),
    /// Read one commit's full message and raw identity lines for its details.
    LoadCommitDetails(PathBuf, CommitId),
    /// Read the audit log for the incident report (`R`); containers as for `LoadActions`.
    LoadReportActions(Vec<crate::model::Container>),
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
