//! `vigil report`: gathers one snapshot (containers with probes, GPUs, the secret scan of the
//! repositories' trees, history and the containers, the commit timelines, the audit log, the
//! checklist marks) and writes the incident report as Markdown or JSON.
//!
//! A part that cannot be gathered (Docker down, no repository, no audit log) is said in the
//! report's header; the rest is still written.

use crate::cli::ReportArgs;
use crate::commands::{collect_inventory, runtime};
use crate::config::Settings;
use crate::inventory::Inventory;
use crate::marks::Marks;
use crate::report::containers::ContainersReport;
use crate::report::incident::{self, IncidentReport, Parts, ReportHeader};

/// One snapshot of everything, as the report and `vigil scan all` show it, with the marks it
/// was made with. `Err` carries the exit status when vigil cannot run at all.
pub fn gather(
    settings: &Settings,
    repo_args: &[std::path::PathBuf],
    ioc_file: Option<&std::path::Path>,
) -> Result<(IncidentReport, Marks), i32> {
    let mut problems = Vec::new();
    let runtime = runtime()?;
    let inventory = match runtime.block_on(collect_inventory(settings, true)) {
        Ok(inventory) => inventory,
        Err(message) => {
            problems.push(format!("Docker: {message}"));
            Inventory::default()
        }
    };
    let mut gpu = crate::collect::gpu::sample_once(settings.nvml_lib.as_deref());
    let names = inventory
        .containers
        .iter()
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect();
    gpu.attach_container_names(&names);

    let repos = if repo_args.is_empty() {
        settings.repos.clone()
    } else {
        repo_args.to_vec()
    };
    if repos.is_empty() {
        problems
            .push("no repository: the current directory is not in one (use --repo PATH)".into());
    }
    let options = crate::secrets::scan::ScanOptions {
        repos: repos.clone(),
        history: true,
        containers: Some(inventory.details.values().cloned().collect()),
        ioc_file: ioc_file
            .map(std::path::Path::to_path_buf)
            .or_else(|| settings.ioc_file.clone()),
        ignore_file: None,
        rules_file: None,
        limits: Default::default(),
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let findings = match crate::secrets::scan::run(&options, &|_| {}, &cancel) {
        Ok(report) => report.findings,
        Err(message) => {
            problems.push(format!("secret scan: {message}"));
            Vec::new()
        }
    };

    let analyze = crate::timeline::AnalyzeOptions {
        line_counts: true,
        use_cache: true,
        threads: crate::secrets::sources::Limits::default().threads,
    };
    let mut timelines = Vec::new();
    for repo in &repos {
        // The history scan above already found what each commit introduced: not read twice.
        let introduced =
            crate::timeline::introduced_secrets(&findings, &repo.display().to_string());
        match crate::timeline::analyze(repo, &settings.timeline, &analyze, &introduced) {
            Ok(timeline) => timelines.push(timeline),
            Err(message) => problems.push(message),
        }
    }
    let timeline_refs: Vec<&crate::timeline::Timeline> = timelines.iter().collect();

    let actions = match crate::runbook::audit_path(settings.audit_log.as_deref()) {
        Some(path) => match crate::ops::audit::read_all(&path) {
            Ok(records) => crate::ops::audit::summarize(&records),
            Err(message) => {
                problems.push(format!("audit log: {message}"));
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let marks = match Marks::default_path() {
        Some(path) => Marks::load(&path).unwrap_or_else(|message| {
            problems.push(message);
            Marks::default()
        }),
        None => Marks::default(),
    };
    let checklist = crate::checklist::compute(
        &inventory,
        &findings,
        &timeline_refs,
        &marks,
        settings.timeline.threshold,
    );
    let header = header(settings, &inventory, problems);
    let report = incident::build(Parts {
        header,
        exposure: ContainersReport::build(&inventory),
        gpu,
        findings: &findings,
        timelines: &timeline_refs,
        threshold: settings.timeline.threshold,
        actions,
        marks: &marks,
        checklist,
    });
    Ok((report, marks))
}

pub fn run(settings: &Settings, args: &ReportArgs) -> i32 {
    let report = match gather(settings, &args.repo, args.ioc_file.as_deref()) {
        Ok((report, _)) => report,
        Err(code) => return code,
    };
    let text = match args.format {
        crate::cli::ReportFormat::Md => incident::to_markdown(&report),
        crate::cli::ReportFormat::Json => incident::to_json(&report),
    };
    match &args.output {
        Some(path) => match write_report(path, &text) {
            Ok(()) => {
                eprintln!("vigil: report written to {}", path.display());
                0
            }
            Err(message) => {
                eprintln!("vigil: {message}");
                1
            }
        },
        None => {
            crate::commands::print_out(&text);
            0
        }
    }
}

pub fn header(settings: &Settings, inventory: &Inventory, problems: Vec<String>) -> ReportHeader {
    let identity = crate::ops::identity::Identity::current();
    let now = jiff::Zoned::now();
    ReportHeader {
        host: identity.host.clone(),
        time_utc: now.timestamp().to_string(),
        time_local: now.strftime("%Y-%m-%d %H:%M:%S %:z %Z").to_string(),
        vigil_version: env!("CARGO_PKG_VERSION").to_string(),
        docker_version: inventory.docker_version.clone(),
        operator: match &identity.login_user {
            Some(login) => format!("{} (sudo by {login})", identity.user),
            None => identity.user.clone(),
        },
        read_only: settings.read_only,
        problems,
    }
}

/// Written whole or not at all: a temporary file renamed over the target.
fn write_report(path: &std::path::Path, text: &str) -> Result<(), String> {
    let temporary = path.with_extension("vigil-tmp");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|err| {
            let _ = std::fs::remove_file(&temporary);
            format!("cannot write {}: {err}", path.display())
        })
}

/// `vigil scan all`: the same snapshot as the report, for cron and monitoring; with
/// `--fail-on LEVEL`, exit status 3 while anything at or above that level is neither fixed nor
/// marked on the checklist.
pub fn scan_all(settings: &Settings, args: &crate::cli::ScanAllArgs) -> i32 {
    let (report, marks) = match gather(settings, &args.repo, args.ioc_file.as_deref()) {
        Ok(gathered) => gathered,
        Err(code) => return code,
    };
    match args.format {
        crate::cli::OutputFormat::Json => crate::commands::print_out(&incident::to_json(&report)),
        crate::cli::OutputFormat::Table => {
            crate::commands::print_out(&incident::to_markdown(&report))
        }
    }
    match args.fail_on {
        Some(level) if !open_at_or_above(&report, &marks, level).is_empty() => {
            crate::cli::EXIT_RISK_FOUND
        }
        _ => 0,
    }
}

/// The open items at or above `level`: containers by their risk (unless marked), secrets by
/// their severity (compromised ones count as critical; unless marked rotated), suspicious
/// commits as high (unless marked reviewed).
pub fn open_at_or_above(
    report: &IncidentReport,
    marks: &Marks,
    level: crate::model::RiskLevel,
) -> Vec<String> {
    use crate::marks::MarkKind;
    use crate::model::RiskLevel;
    let mut open = Vec::new();
    for c in &report.exposure.containers {
        if c.risk >= level && !marks.is_marked(MarkKind::Container, &c.name) {
            open.push(format!("container {} ({})", c.name, c.risk));
        }
    }
    for s in report.secrets.iter().filter(|s| s.rotated.is_none()) {
        let severity = if s.compromised {
            RiskLevel::Critical
        } else {
            RiskLevel::parse(&s.severity).unwrap_or(RiskLevel::High)
        };
        if severity >= level {
            open.push(format!("secret {} {} ({severity})", s.rule, s.masked));
        }
    }
    if RiskLevel::High >= level {
        for repo in &report.repositories {
            for c in repo.suspicious.iter().filter(|c| c.reviewed.is_none()) {
                open.push(format!("commit {} in {}", c.id, repo.repo));
            }
        }
    }
    open
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RiskLevel;
    use crate::report::incident::{CommitEntry, RepositoryEntry, SecretEntry};

    fn report(secret_severity: &str, compromised: bool) -> IncidentReport {
        IncidentReport {
            schema: incident::SCHEMA,
            header: header(&Settings::default(), &Inventory::default(), Vec::new()),
            checklist: Default::default(),
            exposure: ContainersReport::build(&Inventory::default()),
            gpu: crate::model::GpuSnapshot::unavailable("none"),
            secrets: vec![SecretEntry {
                rule: "hf-token".into(),
                masked: "hf_a…(37 chars)".into(),
                fingerprint: "ab".repeat(32),
                severity: secret_severity.into(),
                compromised,
                worktree: vec![],
                history: vec![],
                containers: vec![],
                rotate: "revoke it".into(),
                rotated: None,
            }],
            repositories: vec![RepositoryEntry {
                repo: "/srv/app".into(),
                commits: 2,
                suspicious: vec![CommitEntry {
                    id: "c0".repeat(20),
                    time: "2026-03-27T03:00:00Z".into(),
                    author: "ci-bot".into(),
                    score: 5.0,
                    signals: vec!["burst".into()],
                    subject: "update".into(),
                    reviewed: None,
                }],
                bursts: vec![],
                first_suspicious: None,
                safe_state: None,
                safe_state_commands: vec![],
            }],
            actions: vec![],
            remaining: vec![],
        }
    }

    #[test]
    fn fail_on_levels_for_secrets_and_commits() {
        let marks = Marks::default();
        // A medium secret and a suspicious commit (counted as high).
        let open = open_at_or_above(&report("medium", false), &marks, RiskLevel::Critical);
        assert!(open.is_empty(), "{open:?}");
        let open = open_at_or_above(&report("medium", false), &marks, RiskLevel::High);
        assert_eq!(open.len(), 1, "only the commit: {open:?}");
        assert!(open[0].starts_with("commit "));
        let open = open_at_or_above(&report("medium", false), &marks, RiskLevel::Medium);
        assert_eq!(open.len(), 2);
        // A compromised secret is critical whatever its rule's severity.
        let open = open_at_or_above(&report("low", true), &marks, RiskLevel::Critical);
        assert_eq!(open.len(), 1);
        assert!(open[0].contains("(critical)"), "{open:?}");
        // Reviewed and rotated: nothing open.
        let mut done = report("low", true);
        done.secrets[0].rotated = Some("rotated".into());
        done.repositories[0].suspicious[0].reviewed = Some("audited".into());
        assert!(open_at_or_above(&done, &marks, RiskLevel::Info).is_empty());
    }
}
