//! Everything the app is told: terminal input, the clock, collector updates and the results of
//! the work it asked for. The app changes only in `App::handle(Msg)`.

use crate::collect::docker::DockerUpdate;
use crate::collect::listeners::ListenerUpdate;
use crate::collect::sampler::Sample;
use crate::incident::inventory::ProbeKey;
use crate::incident::marks::Mark;
use crate::model::ProbeReport;
use crate::ops::{Outcome, Plan, StepUpdate};
use crate::secrets::scan::{ScanProgress, ScanReport};
use crate::timeline::CommitId;
use crate::timeline::details::CommitDetails;
use crate::timeline::stages::Stage;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Msg {
    Terminal(crossterm::event::Event),
    /// Once a second: the clock, uptimes, expiring status messages.
    Tick(jiff::Timestamp),
    Docker(DockerUpdate),
    Listeners(ListenerUpdate),
    /// The host's firewall rule set, when it changed.
    Ruleset(Box<crate::collect::ruleset::watch::RulesetUpdate>),
    Probe(ProbeKey, ProbeReport),
    Sample(Box<Sample>),
    /// The running secret scan's progress (never a replaced scan's).
    SecretsProgress(ScanProgress),
    SecretsDone(Box<Result<ScanReport, String>>),
    /// A stage of the running timeline read (never a replaced read's).
    Timeline(Stage),
    CommitDetails(CommitId, Result<CommitDetails, String>),
    PlanReady(Result<Box<Plan>, String>),
    /// A step of a running action started, ended or failed.
    StepProgress(String, StepUpdate),
    ActionFinished(String, Result<Outcome, String>),
    ActionsLoaded(crate::incident::snapshot::JournalView),
    /// The audit log's actions for the report, and why they could not be read.
    ReportActions(crate::incident::snapshot::JournalView),
    /// The report was written (its path and how long it took from `R`), or why not.
    ReportWritten(Result<PathBuf, String>),
    MarkSaved(Result<Mark, String>),
}
