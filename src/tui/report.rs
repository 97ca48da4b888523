//! `R`: the incident report from what the panes hold now (no scan is run again), written to
//! vigil's state directory; the status bar shows the path.

use super::app::{App, DockerStatus};
use crate::report::containers::ContainersReport;
use crate::report::incident::{self, Parts};
use std::path::PathBuf;

/// Builds and writes the report. Called by the event loop: it reads the audit log and writes a
/// file, which the app itself never does.
pub fn write(app: &App, audit_log: Option<&std::path::Path>) -> Result<PathBuf, String> {
    let mut problems = Vec::new();
    if let DockerStatus::Down { reason, .. } = &app.docker {
        problems.push(format!(
            "Docker unavailable: {reason}; containers as last seen"
        ));
    }
    if app.secrets.state != super::secrets::ScanState::Done {
        problems.push("the secret scan had not finished: the secrets section is partial".into());
    }
    let timelines: Vec<&crate::timeline::Timeline> = app
        .timeline
        .repos
        .iter()
        .filter_map(|r| r.timeline.as_ref())
        .collect();
    if app.settings.repos.is_empty() {
        problems.push("no repository given (--repo PATH): no commit timeline".into());
    }
    let actions = match audit_log {
        Some(path) => crate::ops::audit::read_all(path)
            .map(|records| crate::ops::audit::summarize(&records))
            .unwrap_or_else(|message| {
                problems.push(format!("audit log: {message}"));
                Vec::new()
            }),
        None => Vec::new(),
    };
    let findings = app
        .secrets
        .report
        .as_ref()
        .map(|r| r.findings.as_slice())
        .unwrap_or_default();
    let mut settings = app.settings.clone();
    settings.read_only = app.read_only;
    let mut header = crate::incident::header(&settings, &app.inventory, problems);
    if let DockerStatus::Connected { server_version, .. } = &app.docker {
        header.docker_version = Some(server_version.clone());
    }
    let report = incident::build(Parts {
        header,
        exposure: ContainersReport::build(&app.inventory),
        gpu: app
            .gpu
            .snapshot
            .clone()
            .unwrap_or_else(|| crate::model::GpuSnapshot::unavailable("not sampled yet")),
        findings,
        timelines: &timelines,
        threshold: app.settings.timeline.threshold,
        actions,
        marks: &app.marks,
        checklist: app.checklist,
    });
    let dir = crate::config::state_dir()
        .ok_or("no state directory (set XDG_STATE_HOME or HOME)")?
        .join("reports");
    std::fs::create_dir_all(&dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let path = dir.join(format!("incident-{stamp}.md"));
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, incident::to_markdown(&report))
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    Ok(path)
}
