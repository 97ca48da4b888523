//! Dispatch of the command line to the TUI and the headless commands.

use crate::cli::{Cli, Command, ConfigCommand, OutputFormat, ScanCommand, ScanContainersArgs};
use crate::collect::{docker, listeners::ListenerScanner, probe};
use crate::config::{self, FileProblem, Settings};
use crate::inventory::Inventory;
use crate::report::containers::ContainersReport;
use futures_util::StreamExt;

/// Settings after defaults, file and flags, plus any problem met on the way (shown, not fatal).
pub struct Resolved {
    pub settings: Settings,
    pub config_path: Option<std::path::PathBuf>,
    pub problems: Vec<String>,
}

pub fn resolve(cli: &Cli) -> Resolved {
    let explicit = cli.global.config.is_some();
    let config_path = cli
        .global
        .config
        .clone()
        .or_else(config::default_config_path);
    let mut problems = Vec::new();
    let file = match &config_path {
        Some(path) => config::load_file(path, explicit).unwrap_or_else(|problem: FileProblem| {
            problems.push(format!("config {problem}; using defaults"));
            config::FileConfig::default()
        }),
        None => config::FileConfig::default(),
    };
    let mut settings = Settings::default().overlay(&file);
    if let Some(read_only) = cli.global.read_only {
        settings.read_only = read_only;
    }
    if let Some(host) = cli.global.docker_host.clone() {
        settings.docker_host = Some(host);
    }
    if let Some(theme) = cli.global.theme.clone() {
        settings.theme = theme;
    }
    settings.audit_log = cli.global.audit_log.clone();
    settings.repos = crate::scan_secrets::default_repositories(&cli.repo);
    if let Err(message) = settings.timeline.path_rules() {
        problems.push(format!(
            "config {message}; using the default timeline globs"
        ));
        let defaults = crate::timeline::signals::Scoring::default();
        settings.timeline.sensitive_paths = defaults.sensitive_paths;
        settings.timeline.size_excluded_paths = defaults.size_excluded_paths;
        settings.timeline.ordinary_binaries = defaults.ordinary_binaries;
    }
    settings.ioc_file = cli.ioc_file.clone();
    if let Some(path) = cli
        .global
        .nvml_lib
        .clone()
        .filter(|p| !p.as_os_str().is_empty())
    {
        settings.nvml_lib = Some(path);
    }
    if let Ok(choice) = std::env::var("VIGIL_FIREWALL") {
        match crate::ops::firewall::BackendChoice::parse(&choice) {
            Ok(choice) => settings.firewall_backend = choice,
            Err(message) => problems.push(format!("VIGIL_FIREWALL: {message}; using auto")),
        }
    }
    crate::ops::firewall::prefer(settings.firewall_backend);
    Resolved {
        settings,
        config_path,
        problems,
    }
}

/// Runs the command and returns the process exit status.
pub fn run(cli: Cli) -> i32 {
    crate::secrets::scan::configure_libgit2();
    let resolved = resolve(&cli);
    match cli.command {
        None => crate::tui::run(resolved),
        Some(Command::Scan(ScanCommand::Containers(args))) => {
            for problem in &resolved.problems {
                eprintln!("vigil: {problem}");
            }
            scan_containers(&resolved.settings, &args)
        }
        Some(Command::Scan(ScanCommand::Secrets(args))) => {
            for problem in &resolved.problems {
                eprintln!("vigil: {problem}");
            }
            crate::scan_secrets::run(&resolved.settings, &args)
        }
        Some(Command::Scan(ScanCommand::Timeline(args))) => {
            for problem in &resolved.problems {
                eprintln!("vigil: {problem}");
            }
            scan_timeline(&resolved.settings, &args)
        }
        Some(Command::Scan(ScanCommand::All(args))) => {
            for problem in &resolved.problems {
                eprintln!("vigil: {problem}");
            }
            crate::incident::scan_all(&resolved.settings, &args)
        }
        Some(Command::Scan(ScanCommand::Gpu(args))) => {
            for problem in &resolved.problems {
                eprintln!("vigil: {problem}");
            }
            crate::scan_gpu::run(&resolved.settings, &args)
        }
        Some(Command::Config(ConfigCommand::Path)) => match resolved.config_path {
            Some(path) => {
                println!("{}", path.display());
                0
            }
            None => {
                eprintln!("vigil: neither XDG_CONFIG_HOME nor HOME is set");
                1
            }
        },
        Some(Command::Config(ConfigCommand::Init { force })) => {
            config_init(resolved.config_path, force)
        }
        Some(Command::Stop(args)) => {
            crate::runbook::stop(&resolved.settings, cli.global.audit_log.as_deref(), &args)
        }
        Some(Command::Rebind(args)) => {
            crate::runbook::rebind(&resolved.settings, cli.global.audit_log.as_deref(), &args)
        }
        Some(Command::Commit(args)) => {
            crate::runbook::commit(&resolved.settings, cli.global.audit_log.as_deref(), &args)
        }
        Some(Command::Block(args)) => crate::runbook::block(
            &resolved.settings,
            cli.global.audit_log.as_deref(),
            &args,
            true,
        ),
        Some(Command::Unblock(args)) => crate::runbook::block(
            &resolved.settings,
            cli.global.audit_log.as_deref(),
            &args,
            false,
        ),
        Some(Command::Undo(args)) => {
            crate::runbook::undo(&resolved.settings, cli.global.audit_log.as_deref(), &args)
        }
        Some(Command::Report(args)) => {
            for problem in &resolved.problems {
                eprintln!("vigil: {problem}");
            }
            crate::incident::run(&resolved.settings, &args)
        }
        Some(Command::Actions(args)) => {
            crate::runbook::actions(cli.global.audit_log.as_deref(), &args)
        }
    }
}

fn config_init(path: Option<std::path::PathBuf>, force: bool) -> i32 {
    let Some(path) = path else {
        eprintln!("vigil: neither XDG_CONFIG_HOME nor HOME is set; use --config PATH");
        return 1;
    };
    if path.exists() && !force {
        eprintln!(
            "vigil: {} already exists (use --force to overwrite)",
            path.display()
        );
        return 1;
    }
    if let Some(parent) = path.parent()
        && let Err(err) = std::fs::create_dir_all(parent)
    {
        eprintln!("vigil: cannot create {}: {err}", parent.display());
        return 1;
    }
    match std::fs::write(&path, config::SAMPLE_CONFIG) {
        Ok(()) => {
            println!("wrote {}", path.display());
            0
        }
        Err(err) => {
            eprintln!("vigil: cannot write {}: {err}", path.display());
            1
        }
    }
}

/// The single-threaded runtime every command uses: vigil's work is I/O-bound, and blocking work
/// goes to its own threads.
pub fn runtime() -> Result<tokio::runtime::Runtime, i32> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| {
            eprintln!("vigil: cannot start the async runtime: {err}");
            1
        })
}

fn scan_containers(settings: &Settings, args: &ScanContainersArgs) -> i32 {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let inventory = match runtime.block_on(collect_inventory(settings, !args.no_probe)) {
        Ok(inventory) => inventory,
        Err(message) => {
            eprintln!("vigil: {message}");
            return 1;
        }
    };
    let report = ContainersReport::build(&inventory);
    match args.format {
        OutputFormat::Json => print_out(&report.to_json()),
        OutputFormat::Table => print_out(&report.to_table()),
    }
    match (args.fail_on, report.worst()) {
        (Some(threshold), Some(worst)) if worst >= threshold => crate::cli::EXIT_RISK_FOUND,
        _ => 0,
    }
}

/// One complete pass: list, inspect, listeners, probes. Used by `vigil scan`.
pub async fn collect_inventory(
    settings: &Settings,
    probe_ports: bool,
) -> Result<Inventory, String> {
    let docker_settings = docker::DockerSettings {
        host: settings.docker_host.clone(),
        ..Default::default()
    };
    let endpoint = docker_settings.endpoint();
    let (client, server_version, _) = docker::connect(&docker_settings).await?;
    let mut inventory = Inventory {
        docker_version: Some(server_version),
        ..Inventory::default()
    };
    let containers = docker::list_containers(&client)
        .await
        .map_err(|err| docker::explain_error(&endpoint, &err))?;
    let ids: Vec<String> = containers.iter().map(|c| c.id.clone()).collect();
    inventory.apply_containers(containers);
    let client_ref = &client;
    let details: Vec<_> = futures_util::stream::iter(ids)
        .map(|id| async move { docker::inspect(client_ref, &id).await })
        .buffer_unordered(8)
        .collect()
        .await;
    for found in details.into_iter().flatten() {
        inventory.apply_details(found);
    }
    let library = settings.nvml_lib.clone();
    let gpu =
        tokio::task::spawn_blocking(move || crate::collect::gpu::sample_once(library.as_deref()))
            .await
            .map_err(|err| err.to_string())?;
    inventory.apply_gpu(&gpu);
    inventory.listeners = tokio::task::spawn_blocking(|| ListenerScanner::new().scan())
        .await
        .map_err(|err| err.to_string())?
        .unwrap_or_default();
    if probe_ports {
        let probe_settings = probe::ProbeSettings {
            request_timeout: std::time::Duration::from_millis(settings.probe_timeout_ms),
        };
        let needed = inventory.probes_needed();
        let reports: Vec<_> = futures_util::stream::iter(needed)
            .map(|(key, binding)| async move {
                let report =
                    probe::probe_port(&binding.host_ip, binding.host_port, probe_settings).await;
                (key, report)
            })
            .buffer_unordered(16)
            .collect()
            .await;
        for (key, report) in reports {
            inventory.apply_probe(key, report);
        }
    }
    Ok(inventory)
}

/// `vigil scan timeline`: per repository, the secret scan of its history (for the
/// "secret-introduced" signal), the metadata, the line counts (cached) and the scores.
fn scan_timeline(settings: &Settings, args: &crate::cli::ScanTimelineArgs) -> i32 {
    let repos = crate::scan_secrets::default_repositories(&args.repo);
    if repos.is_empty() {
        eprintln!("vigil: the current directory is not in a git repository (use --repo PATH)");
        return 1;
    }
    let options = crate::timeline::AnalyzeOptions {
        line_counts: !args.no_line_counts,
        use_cache: !args.no_cache,
        threads: crate::secrets::sources::Limits::default().threads,
    };
    let mut timelines = Vec::new();
    let mut status = 0;
    for repo in &repos {
        let secrets = if args.no_secrets {
            Default::default()
        } else {
            history_secrets(repo)
        };
        match crate::timeline::analyze(repo, &settings.timeline, &options, &secrets) {
            Ok(timeline) => timelines.push(timeline),
            Err(message) => {
                eprintln!("vigil: {message}");
                status = 1;
            }
        }
    }
    match args.format {
        OutputFormat::Json => {
            let written = crate::report::timeline::write_json(&timelines, std::io::stdout().lock());
            if let Err(err) = written
                && err.kind() != std::io::ErrorKind::BrokenPipe
            {
                eprintln!("vigil: cannot write the output: {err}");
            }
        }
        OutputFormat::Table => {
            let tables: Vec<String> = timelines
                .iter()
                .map(|t| crate::report::timeline::table(t, &settings.timeline))
                .collect();
            print_out(&tables.join("\n"));
        }
    }
    status
}

/// The secrets each commit of `repo` introduced; a failed scan is said and counts as none.
fn history_secrets(
    repo: &std::path::Path,
) -> std::collections::HashMap<crate::timeline::CommitId, Vec<crate::timeline::IntroducedSecret>> {
    let options = crate::secrets::scan::ScanOptions {
        repos: vec![repo.to_path_buf()],
        history: true,
        containers: None,
        ioc_file: None,
        ignore_file: None,
        rules_file: None,
        limits: Default::default(),
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    match crate::secrets::scan::run(&options, &|_| {}, &cancel) {
        Ok(report) => {
            crate::timeline::introduced_secrets(&report.findings, &repo.display().to_string())
        }
        Err(message) => {
            eprintln!("vigil: secret scan of {}: {message}", repo.display());
            Default::default()
        }
    }
}

/// Writes a command's output to stdout. A reader that went away (`| head`) is not an error
/// worth a panic: the output is simply cut there.
pub fn print_out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.trim_end().as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    if let Err(err) = written
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("vigil: cannot write the output: {err}");
    }
}
