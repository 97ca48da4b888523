//! One snapshot of everything the hand-over needs: containers with their verdicts, GPUs, secret
//! findings, commit timelines, the actions taken, the checklist and its marks.
//!
//! There is one way to make it, with two sources: the command line gathers everything afresh
//! (`gather`), the TUI hands over what its panes already hold (`Held`, no scan run again). Both
//! end in `assemble`, which reads the audit log, computes the checklist and writes the header,
//! so the report, `vigil scan all` and `R` cannot disagree. A part that cannot be gathered
//! (Docker down, no repository, an unreadable audit log) is a problem line in the header; the
//! rest is still there.

use super::checklist::{self, Checklist};
use super::inventory::Inventory;
use super::marks::Marks;
use crate::config::Settings;
use crate::model::GpuSnapshot;
use crate::ops::audit::{self, ActionSummary};
use crate::ops::strays::Stray;
use crate::secrets::finding::Finding;
use crate::timeline::Timeline;
use serde::Serialize;

/// Who took the snapshot, where and when, and what could not be gathered.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    pub host: String,
    pub time_utc: String,
    pub time_local: String,
    pub vigil_version: String,
    pub docker_version: Option<String>,
    pub operator: String,
    pub read_only: bool,
    /// Parts that could not be gathered (daemon down, no repository, …), one line each.
    pub problems: Vec<String>,
}

/// Everything the report is made of.
pub struct Snapshot<'a> {
    pub header: Header,
    pub inventory: &'a Inventory,
    pub gpu: &'a GpuSnapshot,
    pub findings: &'a [Finding],
    pub timelines: Vec<&'a Timeline>,
    /// The score at which a commit is suspicious.
    pub threshold: f64,
    pub actions: Vec<ActionSummary>,
    /// What vigil left that no journaled action accounts for.
    pub strays: Vec<Stray>,
    pub marks: &'a Marks,
    pub checklist: Checklist,
}

/// What the caller already holds: the TUI's panes, or what `gather` collected.
pub struct Held<'a> {
    pub inventory: &'a Inventory,
    pub gpu: &'a GpuSnapshot,
    pub findings: &'a [Finding],
    pub timelines: Vec<&'a Timeline>,
    pub marks: &'a Marks,
}

/// Completes a snapshot from what is held: the actions from the audit log, the checklist, the
/// header with `problems` (and any met here).
pub fn assemble<'a>(
    settings: &Settings,
    held: Held<'a>,
    mut problems: Vec<String>,
) -> Snapshot<'a> {
    let journal = read_journal(settings, &held.inventory.containers);
    problems.extend(journal.problems.iter().cloned());
    complete(settings, held, journal, problems)
}

/// The audit log as the hand-over needs it: every action with its state, what vigil left that
/// no action accounts for, and what could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JournalView {
    pub actions: Vec<ActionSummary>,
    pub strays: Vec<Stray>,
    pub problems: Vec<String>,
}

impl JournalView {
    /// The actions cut short (interrupted, unfinished): undo or resume each.
    pub fn cut_short(&self) -> impl Iterator<Item = &ActionSummary> {
        self.actions.iter().filter(|a| a.needs_attention())
    }
}

/// Reads the audit log and vigil's firewall rules, and finds what is stray among `containers`.
/// Blocking (file and firewall tools): the TUI runs it off its event loop.
pub fn read_journal(settings: &Settings, containers: &[crate::model::Container]) -> JournalView {
    let mut view = JournalView::default();
    let Some(path) = settings.audit_path() else {
        return view;
    };
    let journal = match audit::read(&path) {
        Ok(journal) => journal,
        Err(err) => {
            view.problems.push(format!("audit log: {err}"));
            return view;
        }
    };
    if journal.unreadable > 0 {
        view.problems.push(format!(
            "audit log {}: {} unreadable line(s) skipped",
            path.display(),
            journal.unreadable
        ));
    }
    // Observer mode runs no firewall tool at all, not even to read: strays there stay unknown.
    let holdings = if settings.read_only {
        crate::ops::strays::Holdings {
            unreadable: vec!["observer mode runs no firewall tool".into()],
            ..Default::default()
        }
    } else {
        crate::ops::strays::read_holdings()
    };
    for reason in &holdings.unreadable {
        view.problems.push(format!(
            "vigil's firewall rules could not be read ({reason}): stray rules are unknown"
        ));
    }
    view.strays = crate::ops::strays::find(&journal.records, containers, &holdings);
    view.actions = audit::summarize(&journal.records);
    view
}

/// A snapshot from held parts and the journal read already. Pure.
pub fn complete<'a>(
    settings: &Settings,
    held: Held<'a>,
    journal: JournalView,
    problems: Vec<String>,
) -> Snapshot<'a> {
    let checklist = checklist::compute(
        held.inventory,
        held.findings,
        &held.timelines,
        held.marks,
        settings.timeline.threshold,
    );
    Snapshot {
        header: header(settings, held.inventory, problems),
        inventory: held.inventory,
        gpu: held.gpu,
        findings: held.findings,
        timelines: held.timelines,
        threshold: settings.timeline.threshold,
        actions: journal.actions,
        strays: journal.strays,
        marks: held.marks,
        checklist,
    }
}

fn header(settings: &Settings, inventory: &Inventory, problems: Vec<String>) -> Header {
    let identity = crate::ops::identity::Identity::current();
    let now = jiff::Zoned::now();
    Header {
        host: identity.host.clone(),
        time_utc: now.timestamp().to_string(),
        time_local: now.strftime("%Y-%m-%d %H:%M:%S %:z %Z").to_string(),
        vigil_version: env!("CARGO_PKG_VERSION").to_string(),
        docker_version: inventory.docker_version.clone(),
        operator: identity.display_operator(),
        read_only: settings.read_only,
        problems,
    }
}

/// What the secret scan skipped (a compose file that is a FIFO, a file too large), as the
/// report's problems: the secrets section may miss what could not be read.
pub fn scan_problems(
    report: &crate::secrets::scan::ScanReport,
) -> impl Iterator<Item = String> + '_ {
    report
        .summary
        .notes
        .iter()
        .map(|n| format!("secret scan: {n}"))
}

/// Everything collected afresh for the command line.
pub struct Gathered {
    pub inventory: Inventory,
    pub gpu: GpuSnapshot,
    pub findings: Vec<Finding>,
    pub timelines: Vec<Timeline>,
    pub marks: Marks,
    pub problems: Vec<String>,
}

impl Gathered {
    /// The snapshot of what was gathered.
    pub fn snapshot<'a>(&'a self, settings: &Settings) -> Snapshot<'a> {
        let held = Held {
            inventory: &self.inventory,
            gpu: &self.gpu,
            findings: &self.findings,
            timelines: self.timelines.iter().collect(),
            marks: &self.marks,
        };
        assemble(settings, held, self.problems.clone())
    }
}

/// Collects everything now: containers with probes (on `runtime`), one GPU sample, the secret
/// scan of the repositories' trees and histories and of the containers, the commit timelines
/// (line counts cached), the marks.
pub fn gather(settings: &Settings, runtime: &tokio::runtime::Runtime) -> Gathered {
    let mut problems = Vec::new();
    let inventory = match runtime.block_on(super::inventory::collect(settings, true)) {
        Ok(inventory) => inventory,
        Err(message) => {
            problems.push(format!("Docker: {message}"));
            Inventory::default()
        }
    };
    let mut gpu = crate::collect::gpu::sample_once(settings.nvml_lib.as_deref());
    gpu.attach_container_names(&inventory.container_names());
    if settings.repos.is_empty() {
        problems
            .push("no repository: the current directory is not in one (use --repo PATH)".into());
    }
    let options = settings.secret_scan(Some(inventory.details.values().cloned().collect()));
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let findings = match crate::secrets::scan::run(&options, &|_| {}, &cancel) {
        Ok(report) => {
            problems.extend(scan_problems(&report));
            report.findings
        }
        Err(message) => {
            problems.push(format!("secret scan: {message}"));
            Vec::new()
        }
    };
    let mut timelines = Vec::new();
    for repo in &settings.repos {
        // The history scan above already found what each commit introduced: not read twice.
        let introduced =
            crate::timeline::introduced_secrets(&findings, &repo.display().to_string());
        let options = crate::timeline::AnalyzeOptions::complete();
        match crate::timeline::analyze(repo, &settings.timeline, &options, &introduced) {
            Ok(timeline) => timelines.push(timeline),
            Err(message) => problems.push(message),
        }
    }
    let marks = match Marks::default_path() {
        Some(path) => Marks::load(&path).unwrap_or_else(|message| {
            problems.push(message);
            Marks::default()
        }),
        None => Marks::default(),
    };
    Gathered {
        inventory,
        gpu,
        findings,
        timelines,
        marks,
        problems,
    }
}
