//! `R`: the incident report from what the panes hold now (no scan is run again). The audit
//! log is read and the file written by the runner, off the event loop; this builds the
//! Markdown in between, from the same snapshot `vigil report` makes.

use super::app::App;
use super::containers::DockerStatus;
use super::secrets::ScanState;
use crate::incident::snapshot::{self, Held, JournalView};
use crate::report::incident;

/// The report's Markdown, with the journal as read from the audit log.
pub fn markdown(app: &App, journal: JournalView) -> String {
    let mut problems = Vec::new();
    if let DockerStatus::Down { reason, .. } = &app.containers.docker {
        problems.push(format!(
            "Docker unavailable: {reason}; containers as last seen"
        ));
    }
    if app.secrets.state != ScanState::Done {
        problems.push("the secret scan had not finished: the secrets section is partial".into());
    }
    if let Some(report) = &app.secrets.report {
        problems.extend(snapshot::scan_problems(report));
    }
    if app.settings.repos.is_empty() {
        problems.push("no repository given (--repo PATH): no commit timeline".into());
    }
    problems.extend(journal.problems.iter().cloned());
    let unsampled = crate::model::GpuSnapshot::unavailable("not sampled yet");
    let held = Held {
        inventory: &app.containers.inventory,
        gpu: app.gpu.snapshot.as_ref().unwrap_or(&unsampled),
        findings: app.secrets.findings(),
        timelines: app.timeline.timelines(),
        marks: &app.marks,
    };
    let mut snapshot = snapshot::complete(&app.settings, held, journal, problems);
    if let DockerStatus::Connected { server_version, .. } = &app.containers.docker {
        snapshot.header.docker_version = Some(server_version.clone());
    }
    incident::to_markdown(&incident::build(&snapshot))
}

/// Where `R` writes: `$XDG_STATE_HOME/vigil/reports/incident-<UTC>.md`.
pub fn path() -> Result<std::path::PathBuf, String> {
    let dir = crate::util::paths::state_dir()
        .ok_or("no state directory (set XDG_STATE_HOME or HOME)")?
        .join("reports");
    Ok(dir.join(format!(
        "incident-{}.md",
        crate::util::time::compact_stamp()
    )))
}
