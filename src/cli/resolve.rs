//! The command line parsed once, resolved once: defaults, then the config file, then the
//! environment and the flags, into one `Settings`. Problems met on the way (a broken config
//! file, a bad `VIGIL_FIREWALL`) are collected, shown and never fatal: mid-incident vigil runs
//! on its defaults rather than not at all.

use super::args::Cli;
use crate::config::{self, FileProblem, Settings};
use std::path::PathBuf;

/// Settings after defaults, file and flags, plus any problem met on the way.
pub struct Resolved {
    pub settings: Settings,
    pub config_path: Option<PathBuf>,
    pub problems: Vec<String>,
}

pub fn resolve(cli: &Cli) -> Resolved {
    let explicit = cli.global.config.is_some();
    let config_path = cli
        .global
        .config
        .clone()
        .or_else(crate::util::paths::default_config_path);
    let mut problems = Vec::new();
    let file = match &config_path {
        Some(path) => config::load_file(path, explicit).unwrap_or_else(|problem: FileProblem| {
            problems.push(format!("config {problem}; using defaults"));
            config::FileConfig::default()
        }),
        None => config::FileConfig::default(),
    };
    let mut settings = Settings::default().overlay(&file);
    apply_flags(cli, &mut settings);
    if let Err(message) = settings.timeline.path_rules() {
        problems.push(format!(
            "config {message}; using the default timeline globs"
        ));
        settings.timeline.reset_paths();
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

/// The global flags over the file's values.
fn apply_flags(cli: &Cli, settings: &mut Settings) {
    let global = &cli.global;
    if let Some(read_only) = global.read_only {
        settings.read_only = read_only;
    }
    if let Some(host) = global.docker_host.clone() {
        settings.docker_host = Some(host);
    }
    if let Some(theme) = global.theme.clone() {
        settings.theme = theme;
    }
    settings.audit_log = global.audit_log.clone();
    settings.repos = crate::git::repositories_or_current(&cli.repo);
    settings.ioc_file = cli.ioc_file.clone();
    if let Some(path) = global
        .nvml_lib
        .clone()
        .filter(|p| !p.as_os_str().is_empty())
    {
        settings.nvml_lib = Some(path);
    }
}
