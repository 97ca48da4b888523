//! The command line parsed once, resolved once: defaults, then the config file, then the
//! environment and the flags, into one `Settings`. Problems met on the way (a broken config
//! file, a bad `VIGIL_FIREWALL`) are collected, shown and never fatal: mid-incident vigil runs
//! on its defaults rather than not at all.

use super::args::Cli;
use crate::config::{self, Settings};
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
    let loaded = match &config_path {
        Some(path) => config::load_file(path, explicit),
        None => config::Loaded::default(),
    };
    problems.extend(loaded.problems.iter().map(|p| format!("config {p}")));
    let file = loaded.config;
    let mut settings = Settings::default().overlay(&file);
    apply_flags(cli, &mut settings);
    decide_read_only(cli, loaded.read_only_unknown, &mut settings, &mut problems);
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

/// Observer mode fails closed. The flag decides when given; else `VIGIL_READ_ONLY` when set, and
/// a value that is not a clear boolean (empty, `maybe`) means read-only; else the file, and a file
/// whose `read_only` could not be read means read-only too. Each doubt is said.
fn decide_read_only(
    cli: &Cli,
    file_doubt: Option<String>,
    settings: &mut Settings,
    problems: &mut Vec<String>,
) {
    if let Some(read_only) = cli.global.read_only {
        settings.read_only = read_only;
        return;
    }
    if let Some(value) = std::env::var_os("VIGIL_READ_ONLY") {
        let text = value.to_string_lossy();
        settings.read_only = parse_boolish(&text).unwrap_or_else(|| {
            problems.push(format!(
                "VIGIL_READ_ONLY is set to `{}`, not true or false: starting read-only",
                crate::util::text::escape(&text)
            ));
            true
        });
        return;
    }
    if let Some(why) = file_doubt {
        settings.read_only = true;
        problems.push(format!(
            "starting read-only: whether the config sets read_only is unknown ({why}); fix the \
             file or pass --read-only=false"
        ));
    }
}

/// `true`/`false` and the usual spellings (`1`, `yes`, `on` …), as clap's boolish parser reads
/// them; anything else is `None`.
fn parse_boolish(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}
