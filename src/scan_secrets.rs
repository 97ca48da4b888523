//! `vigil scan secrets`: the secret scan without the TUI, for runbooks and CI.

use crate::cli::{EXIT_RISK_FOUND, ScanSecretsArgs, SecretsFormat};
use crate::config::Settings;
use crate::model::RiskLevel;
use crate::secrets::rules::Severity;
use crate::secrets::scan::{ScanOptions, ScanProgress, ScanReport};
use std::io::IsTerminal;
use std::path::PathBuf;

/// The repositories to read: the ones given, else the git repository around the current
/// directory (its working tree), else none.
pub fn default_repositories(given: &[PathBuf]) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    default_repository(None).into_iter().collect()
}

/// The repository to scan: the one given, else the git repository around the current
/// directory (its working tree), else nothing.
pub fn default_repository(given: Option<&PathBuf>) -> Option<PathBuf> {
    if let Some(path) = given {
        return Some(path.clone());
    }
    let cwd = std::env::current_dir().ok()?;
    let repo = git2::Repository::discover(&cwd).ok()?;
    Some(
        repo.workdir()
            .map(|w| w.to_path_buf())
            .unwrap_or_else(|| repo.path().to_path_buf()),
    )
}

/// Every container's configuration from Docker, or why not.
fn container_details(settings: &Settings) -> Result<Vec<crate::model::ContainerDetails>, String> {
    use futures_util::StreamExt;
    let runtime = crate::commands::runtime().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let docker_settings = crate::collect::docker::DockerSettings {
            host: settings.docker_host.clone(),
            ..Default::default()
        };
        let (client, _, _) = crate::collect::docker::connect(&docker_settings).await?;
        let containers = crate::collect::docker::list_containers(&client)
            .await
            .map_err(|err| crate::collect::docker::explain_error("docker", &err))?;
        let client_ref = &client;
        let details: Vec<_> = futures_util::stream::iter(containers.into_iter().map(|c| c.id))
            .map(|id| async move { crate::collect::docker::inspect(client_ref, &id).await })
            .buffer_unordered(8)
            .collect()
            .await;
        Ok(details.into_iter().flatten().collect())
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

pub fn run(settings: &Settings, args: &ScanSecretsArgs) -> i32 {
    let repos = default_repositories(&args.repo);
    let mut notes = Vec::new();
    if repos.is_empty() {
        notes.push(
            "no repository: the current directory is not in a git repository (use --repo PATH)"
                .to_string(),
        );
    }
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
    let options = ScanOptions {
        repos,
        history: !args.no_history,
        containers,
        ioc_file: args.ioc_file.clone(),
        ignore_file: args.ignore_file.clone(),
        rules_file: args.rules.clone(),
        limits: Default::default(),
    };
    // A progress line on a terminal's stderr; nothing when piped.
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
    let result = crate::secrets::scan::run(&options, &progress, &cancel);
    if interactive {
        eprint!("\r\x1b[2K");
    }
    let mut report = match result {
        Ok(report) => report,
        Err(message) => {
            eprintln!("vigil: {message}");
            return 1;
        }
    };
    report.summary.notes.splice(0..0, notes);
    let text = match args.format {
        SecretsFormat::Table => crate::report::secrets::table(&report),
        SecretsFormat::Json => crate::report::secrets::json(&report),
        SecretsFormat::Sarif => crate::report::secrets::sarif(&report),
    };
    crate::commands::print_out(&text);
    match args.fail_on {
        Some(level) if fails(&report, level) => EXIT_RISK_FOUND,
        _ => 0,
    }
}
