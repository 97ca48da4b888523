//! `vigil scan secrets`: the secret scan without the TUI, for runbooks and CI.

use super::args::{ScanSecretsArgs, SecretsFormat};
use super::output::{Outcome, Status, print_out, runtime};
use crate::config::Settings;
use crate::model::RiskLevel;
use crate::secrets::rules::Severity;
use crate::secrets::scan::{ScanProgress, ScanReport};
use std::io::IsTerminal;

pub fn run(settings: &Settings, args: &ScanSecretsArgs) -> Outcome {
    let mut notes = Vec::new();
    let containers = if args.no_containers {
        None
    } else {
        match container_details(settings) {
            Ok(list) => Some(list),
            Err(message) => {
                notes.push(format!("containers not scanned: {message}"));
                None
            }
        }
    };
    let mut options = settings.secret_scan(containers);
    if !args.repo.is_empty() {
        options.repos = args.repo.clone();
    }
    if options.repos.is_empty() {
        notes.insert(
            0,
            "no repository: the current directory is not in a git repository (use --repo PATH)"
                .to_string(),
        );
    }
    options.history = !args.no_history;
    options.ioc_file = args.ioc_file.clone();
    options.ignore_file = args.ignore_file.clone();
    options.rules_file = args.rules.clone();
    let mut report = scan_with_progress_line(&options)?;
    report.summary.notes.splice(0..0, notes);
    let text = match args.format {
        SecretsFormat::Table => crate::report::secrets::table(&report),
        SecretsFormat::Json => crate::report::secrets::json(&report),
        SecretsFormat::Sarif => crate::report::secrets::sarif(&report),
    };
    print_out(&text);
    Ok(match args.fail_on {
        Some(level) if fails(&report, level) => Status::RiskFound,
        _ => Status::Success,
    })
}

/// Runs the scan with a progress line on a terminal's stderr (nothing when piped).
fn scan_with_progress_line(
    options: &crate::secrets::scan::ScanOptions,
) -> Result<ScanReport, String> {
    let interactive = std::io::stderr().is_terminal();
    let progress = move |update: ScanProgress| {
        if !interactive {
            return;
        }
        match update {
            ScanProgress::Stage(stage) => eprint!("\r\x1b[2Kscanning {stage}…"),
            ScanProgress::History(p) => eprint!(
                "\r\x1b[2Kscanning history: {}/{} objects, {:.1} MB",
                p.objects_done,
                p.objects_total,
                p.bytes_done as f64 / 1e6
            ),
        }
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let result = crate::secrets::scan::run(options, &progress, &cancel);
    if interactive {
        eprint!("\r\x1b[2K");
    }
    result
}

/// Every container's configuration from Docker, or why not.
fn container_details(settings: &Settings) -> Result<Vec<crate::model::ContainerDetails>, String> {
    use crate::collect::docker;
    runtime().map_err(|f| f.0)?.block_on(async {
        let connection = docker::connect(&settings.docker())
            .await
            .map_err(|e| e.to_string())?;
        let (_, details) = docker::list_and_inspect(&connection.client)
            .await
            .map_err(|err| docker::explain_error(&connection.endpoint, &err))?;
        Ok(details)
    })
}

fn level_of(severity: Severity) -> RiskLevel {
    match severity {
        Severity::Critical => RiskLevel::Critical,
        Severity::High => RiskLevel::High,
        Severity::Medium => RiskLevel::Medium,
        Severity::Low => RiskLevel::Low,
    }
}

/// True when an unsuppressed finding is at or above `level` (compromised counts as critical).
pub fn fails(report: &ScanReport, level: RiskLevel) -> bool {
    report.findings.iter().any(|f| {
        f.suppressed.is_none()
            && (f.compromised && level <= RiskLevel::Critical || level_of(f.severity) >= level)
    })
}
