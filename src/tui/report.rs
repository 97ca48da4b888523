//! `R`: the incident report from what the panes hold now (no scan is run again), written to
//! vigil's state directory; the status bar shows the path.

use super::app::{App, DockerStatus};
use crate::incident::snapshot::{self, Held};
use crate::report::incident;
use std::path::PathBuf;

/// Builds and writes the report. Called by the event loop: it reads the audit log and writes a
/// file, which the app itself never does.
pub fn write(app: &App) -> Result<PathBuf, String> {
    let mut problems = Vec::new();
    if let DockerStatus::Down { reason, .. } = &app.docker {
        problems.push(format!(
            "Docker unavailable: {reason}; containers as last seen"
        ));
    }
    if app.secrets.state != super::secrets::ScanState::Done {
        problems.push("the secret scan had not finished: the secrets section is partial".into());
    }
    if app.settings.repos.is_empty() {
        problems.push("no repository given (--repo PATH): no commit timeline".into());
    }
    let unsampled = crate::model::GpuSnapshot::unavailable("not sampled yet");
    let held = Held {
        inventory: &app.inventory,
        gpu: app.gpu.snapshot.as_ref().unwrap_or(&unsampled),
        findings: app
            .secrets
            .report
            .as_ref()
            .map(|r| r.findings.as_slice())
            .unwrap_or_default(),
        timelines: app
            .timeline
            .repos
            .iter()
            .filter_map(|r| r.timeline.as_ref())
            .collect(),
        marks: &app.marks,
    };
    let mut settings = app.settings.clone();
    settings.read_only = app.read_only;
    let mut snapshot = snapshot::assemble(&settings, held, problems);
    if let DockerStatus::Connected { server_version, .. } = &app.docker {
        snapshot.header.docker_version = Some(server_version.clone());
    }
    let report = incident::build(&snapshot);
    let dir = crate::util::paths::state_dir()
        .ok_or("no state directory (set XDG_STATE_HOME or HOME)")?
        .join("reports");
    let path = dir.join(format!(
        "incident-{}.md",
        crate::util::time::compact_stamp()
    ));
    crate::util::fs::write_atomic(&path, &incident::to_markdown(&report))
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    Ok(path)
}
