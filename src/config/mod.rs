//! Configuration: embedded defaults, overlaid by the user's file, overlaid by CLI flags.
//!
//! A broken file never stops vigil mid-incident: each problem names the file, line and key, the
//! keys that could be read are kept (`salvage`), and when `read_only` cannot be read vigil starts
//! in observer mode.

mod salvage;

pub use salvage::{Loaded, load_file};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file format. Every field is optional; unknown fields are errors, so typos are reported
/// (and only that key is dropped: see `salvage`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Built-in theme name (`dark`, `light`, `high-contrast`) or a path to a theme file.
    pub theme: Option<String>,
    /// Start in observer mode: nothing can be changed.
    pub read_only: Option<bool>,
    /// Docker endpoint; empty means `DOCKER_HOST` or the default socket.
    pub docker_host: Option<String>,
    #[serde(default)]
    pub docker: DockerConfig,
    #[serde(default)]
    pub probe: ProbeConfig,
    #[serde(default)]
    pub listeners: ListenersConfig,
    #[serde(default)]
    pub firewall: FirewallConfig,
    #[serde(default)]
    pub gpu: GpuConfig,
    /// The commit timeline's signal weights, thresholds and path globs.
    pub timeline: Option<crate::timeline::signals::Scoring>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FirewallConfig {
    /// `auto` (nft when installed, else iptables), `nftables` or `iptables`.
    pub backend: Option<crate::ops::firewall::BackendChoice>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GpuConfig {
    /// Path of libnvidia-ml.so.1 when the loader cannot find it (`--nvml-lib` wins).
    pub nvml_lib: Option<PathBuf>,
    /// Milliseconds between two samples of every card.
    pub interval_ms: Option<u64>,
    /// Seconds of utilization history kept for the sparklines.
    pub history_secs: Option<u64>,
    /// Utilization (percent) at which a card with no visible process stands out.
    pub busy_percent: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DockerConfig {
    /// Seconds between safety re-lists (events do the real work).
    pub safety_poll_secs: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    /// Send harmless GET probes to published ports to learn whether they ask for credentials.
    pub enabled: Option<bool>,
    /// Per-request timeout in milliseconds.
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ListenersConfig {
    /// Seconds between scans of /proc/net/tcp.
    pub scan_secs: Option<u64>,
}

/// The effective settings after defaults, file and flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub theme: String,
    pub read_only: bool,
    pub docker_host: Option<String>,
    pub safety_poll_secs: u64,
    pub probe_enabled: bool,
    pub probe_timeout_ms: u64,
    pub listener_scan_secs: u64,
    /// `--audit-log`; `None` means `$XDG_STATE_HOME/vigil/audit.jsonl`.
    pub audit_log: Option<PathBuf>,
    /// Which firewall tool carries vigil's rules (`VIGIL_FIREWALL` wins over the file).
    pub firewall_backend: crate::ops::firewall::BackendChoice,
    /// The repositories the timeline and secrets panes read (`--repo`, repeatable, else the
    /// one around the current directory).
    pub repos: Vec<PathBuf>,
    /// How the timeline scores commits.
    pub timeline: crate::timeline::signals::Scoring,
    /// `--ioc-file`: the incident's known-compromised secrets.
    pub ioc_file: Option<PathBuf>,
    /// The NVML library to load; `None` means the loader's `libnvidia-ml.so.1`.
    pub nvml_lib: Option<PathBuf>,
    pub gpu_interval_ms: u64,
    pub gpu_history_secs: u64,
    pub gpu_busy_percent: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: "dark".into(),
            read_only: false,
            docker_host: None,
            safety_poll_secs: 30,
            probe_enabled: true,
            probe_timeout_ms: 1500,
            listener_scan_secs: 2,
            audit_log: None,
            firewall_backend: crate::ops::firewall::BackendChoice::Auto,
            repos: Vec::new(),
            timeline: Default::default(),
            ioc_file: None,
            nvml_lib: None,
            gpu_interval_ms: 1000,
            gpu_history_secs: 300,
            gpu_busy_percent: 50,
        }
    }
}

impl Settings {
    /// Applies the file's values over the defaults.
    pub fn overlay(mut self, file: &FileConfig) -> Settings {
        if let Some(theme) = &file.theme {
            self.theme = theme.clone();
        }
        if let Some(read_only) = file.read_only {
            self.read_only = read_only;
        }
        if let Some(host) = file.docker_host.as_ref().filter(|h| !h.is_empty()) {
            self.docker_host = Some(host.clone());
        }
        if let Some(secs) = file.docker.safety_poll_secs {
            self.safety_poll_secs = secs.max(1);
        }
        if let Some(enabled) = file.probe.enabled {
            self.probe_enabled = enabled;
        }
        if let Some(ms) = file.probe.timeout_ms {
            self.probe_timeout_ms = ms.clamp(50, 30_000);
        }
        if let Some(secs) = file.listeners.scan_secs {
            self.listener_scan_secs = secs.max(1);
        }
        if let Some(backend) = file.firewall.backend {
            self.firewall_backend = backend;
        }
        if let Some(timeline) = &file.timeline {
            self.timeline = timeline.clone();
        }
        if let Some(path) = &file.gpu.nvml_lib {
            self.nvml_lib = Some(path.clone());
        }
        if let Some(ms) = file.gpu.interval_ms {
            self.gpu_interval_ms = ms.clamp(100, 60_000);
        }
        if let Some(secs) = file.gpu.history_secs {
            self.gpu_history_secs = secs.clamp(10, 3600);
        }
        if let Some(percent) = file.gpu.busy_percent {
            self.gpu_busy_percent = percent.clamp(1, 100);
        }
        self
    }
}

impl Settings {
    /// How to reach the Docker engine: the endpoint, and how often to re-list for safety.
    pub fn docker(&self) -> crate::collect::docker::DockerSettings {
        crate::collect::docker::DockerSettings {
            host: self.docker_host.clone(),
            safety_poll: std::time::Duration::from_secs(self.safety_poll_secs),
            ..Default::default()
        }
    }

    /// Where the audit log is: `--audit-log`, else `$XDG_STATE_HOME/vigil/audit.jsonl`.
    pub fn audit_path(&self) -> Option<PathBuf> {
        self.audit_log
            .clone()
            .or_else(crate::ops::audit::default_path)
    }

    /// The secret scan the panes and the report run: every repository (tree and history), the
    /// given containers, the incident's compromised list.
    pub fn secret_scan(
        &self,
        containers: Option<Vec<crate::model::ContainerDetails>>,
    ) -> crate::secrets::scan::ScanOptions {
        crate::secrets::scan::ScanOptions {
            repos: self.repos.clone(),
            history: true,
            containers,
            ioc_file: self.ioc_file.clone(),
            ..Default::default()
        }
    }

    /// These repositories and this compromised list instead of the global ones, when given
    /// (`vigil report --repo PATH --ioc-file FILE`).
    pub fn with_sources(mut self, repos: &[PathBuf], ioc_file: Option<&Path>) -> Settings {
        if !repos.is_empty() {
            self.repos = repos.to_vec();
        }
        if let Some(path) = ioc_file {
            self.ioc_file = Some(path.to_path_buf());
        }
        self
    }

    /// The probe settings for authentication probes.
    pub fn probe(&self) -> crate::collect::probe::ProbeSettings {
        crate::collect::probe::ProbeSettings {
            request_timeout: std::time::Duration::from_millis(self.probe_timeout_ms),
        }
    }
}

/// A config or theme file problem, with enough context to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {}: {}", self.path.display(), line, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// Parses TOML text into `T`, turning errors into a `FileProblem` with the line number.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, FileProblem> {
    toml::from_str(text).map_err(|err| {
        let line = err
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        FileProblem {
            path: path.to_path_buf(),
            line,
            // toml's message already names the field ("unknown field `themee`, expected ...").
            message: err.message().trim().to_string(),
        }
    })
}

/// The commented file written by `vigil config init`.
pub const SAMPLE_CONFIG: &str = include_str!("../../assets/config.sample.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_config_parses_and_matches_defaults() {
        let file: FileConfig =
            parse_toml(Path::new("sample"), SAMPLE_CONFIG).expect("sample parses");
        assert_eq!(Settings::default().overlay(&file), Settings::default());
    }

    #[test]
    fn unknown_field_names_line_and_field() {
        let text = "theme = \"dark\"\n\n[probe]\ntimeout_msec = 5\n";
        let problem =
            parse_toml::<FileConfig>(Path::new("/x/config.toml"), text).expect_err("typo");
        assert_eq!(problem.line, Some(4));
        assert!(
            problem.message.contains("timeout_msec"),
            "{}",
            problem.message
        );
        assert!(problem.to_string().starts_with("/x/config.toml line 4:"));
    }

    #[test]
    fn wrong_type_is_reported() {
        let problem =
            parse_toml::<FileConfig>(Path::new("c"), "read_only = \"yes\"\n").expect_err("type");
        assert_eq!(problem.line, Some(1));
    }

    #[test]
    fn overlay_applies_and_clamps() {
        let file = FileConfig {
            theme: Some("light".into()),
            read_only: Some(true),
            probe: ProbeConfig {
                enabled: Some(false),
                timeout_ms: Some(1),
            },
            ..Default::default()
        };
        let settings = Settings::default().overlay(&file);
        assert_eq!(settings.theme, "light");
        assert!(settings.read_only);
        assert!(!settings.probe_enabled);
        assert_eq!(settings.probe_timeout_ms, 50);
    }

    #[test]
    fn gpu_section_overlays_and_clamps() {
        let text = "[gpu]\nnvml_lib = \"/opt/nvidia/libnvidia-ml.so.1\"\ninterval_ms = 5\nhistory_secs = 999999\nbusy_percent = 0\n";
        let file: FileConfig = parse_toml(Path::new("c"), text).expect("parses");
        let settings = Settings::default().overlay(&file);
        assert_eq!(
            settings.nvml_lib.as_deref(),
            Some(Path::new("/opt/nvidia/libnvidia-ml.so.1"))
        );
        assert_eq!(settings.gpu_interval_ms, 100, "never faster than 10 Hz");
        assert_eq!(settings.gpu_history_secs, 3600);
        assert_eq!(settings.gpu_busy_percent, 1);
        let typo = parse_toml::<FileConfig>(Path::new("c"), "[gpu]\ninterval = 1\n");
        assert!(typo.is_err(), "unknown keys are reported");
    }
}
