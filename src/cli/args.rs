//! The command-line contract.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  vigil                                   open the triage screen
  vigil --read-only                       observer mode: watch, change nothing
  vigil --docker-host tcp://10.0.0.5:2376 watch another engine (TLS with DOCKER_TLS_VERIFY=1)
  vigil scan containers                   print exposed containers as a table
  vigil scan containers --format json --fail-on critical
                                          for cron/CI: exit 3 if anything is critical
  vigil scan secrets --repo /srv/app --ioc-file revoked.txt
                                          every leaked secret in the tree, history, containers
  vigil scan gpu --format json            every GPU, its processes and their containers
  vigil --nvml-lib /opt/nvidia/libnvidia-ml.so.1
                                          use this NVML library (also VIGIL_NVML_LIB)
  vigil config init                       write a commented config file
  vigil stop sdnext --dry-run             show what stopping would do, change nothing
  vigil stop sdnext                       stop it after confirmation (recorded in the audit log)
  vigil block 36325                       drop outside traffic to port 36325 (IPv4 and IPv6)
  vigil actions                           what was done, by whom, and how to undo it
  vigil undo 20261122T042800Z-stop-3f4e5d6c7b8a-1a2b3c
";

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "Live incident triage for GPU hosts running GenAI containers",
    long_about = "vigil shows, in one screen, which containers and host services are exposed and \
                  to whom, whether they ask for credentials, and how risky each one is.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// A repository for the timeline and secrets panes; repeat for several (default: the git
    /// repository of the current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Vec<PathBuf>,

    /// Known-compromised secrets for the secrets pane (`sha256:<hex>` or raw values, one per
    /// line; raw values are hashed at load and never kept).
    #[arg(long, value_name = "PATH")]
    pub ioc_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Observer mode: show everything, change nothing. Also `VIGIL_READ_ONLY=1`; a value that
    /// is not clearly true or false (even empty) means read-only.
    #[arg(long, global = true, value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub read_only: Option<bool>,

    /// Docker endpoint (unix://, tcp://, https://); default: DOCKER_HOST or the local socket.
    #[arg(long, global = true, value_name = "URL")]
    pub docker_host: Option<String>,

    /// Theme: dark, light, high-contrast, or a path to a theme file.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,

    /// Config file (default: $XDG_CONFIG_HOME/vigil/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Audit log of actions (default: $XDG_STATE_HOME/vigil/audit.jsonl).
    #[arg(long, global = true, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,

    /// NVML library to load instead of the loader's libnvidia-ml.so.1.
    #[arg(long, global = true, value_name = "PATH", env = "VIGIL_NVML_LIB")]
    pub nvml_lib: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan without the TUI and print the result.
    #[command(subcommand)]
    Scan(ScanCommand),
    /// Manage the configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Stop a container gracefully (its own stop timeout); undo starts it again.
    Stop(ActionArgs),
    /// Recreate a container with its published ports on 127.0.0.1 (the original is kept as
    /// NAME-prev until `vigil commit`; undo restores it). On Docker < 28 it also adds a
    /// firewall guard so the loopback ports cannot be reached from the L2 segment.
    Rebind(RebindArgs),
    /// Make a rebind final: remove NAME-prev (never its volumes), once vigil's replacement
    /// holds the name.
    Commit(UndoArgs),
    /// Block outside access to a port or range (e.g. 36325 or 5000-5003) in vigil's nftables
    /// table, before Docker's DNAT; the host itself can still reach it.
    Block(FirewallArgs),
    /// Remove exactly that block again.
    Unblock(FirewallArgs),
    /// Undo a recorded action by its id (see `vigil actions`), also one that was cut short:
    /// the plan starts from what the host shows now and returns to the state before it.
    Undo(UndoArgs),
    /// Complete an action that was cut short (a dropped session, SIGKILL, a Docker restart),
    /// from what the host shows now.
    Resume(UndoArgs),
    /// List the actions recorded in the audit log, with their state.
    Actions(ActionsArgs),
    /// The incident report for the hand-over: exposure audit, GPUs, secrets (masked), suspicious
    /// commits, actions taken, the recovery checklist and what remains.
    Report(ReportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell), e.g.
    /// `vigil completions bash > /etc/bash_completion.d/vigil`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `vigil man | man -l -`; with `--out-dir`, write it and
    /// one page per subcommand (vigil.1, vigil-scan.1, vigil-scan-secrets.1 …) there.
    Man {
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Repositories to read (repeatable; default: the one around the current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Vec<PathBuf>,
    /// The incident's known-compromised secrets (fingerprints or raw values).
    #[arg(long, value_name = "PATH")]
    pub ioc_file: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Md,
    Json,
}

#[derive(Debug, Args)]
pub struct ActionArgs {
    /// Container name or id.
    pub target: String,
    /// Do not ask: the plan is still printed and recorded.
    #[arg(long)]
    pub yes: bool,
    /// Only print the plan and the equivalent commands; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct RebindArgs {
    #[command(flatten)]
    pub action: ActionArgs,
    /// Docker < 28: do not add the raw-prerouting drop that keeps hosts on the same L2 segment
    /// away from the new 127.0.0.1 bindings.
    #[arg(long)]
    pub no_loopback_guard: bool,
}

#[derive(Debug, Args)]
pub struct FirewallArgs {
    /// A port (36325) or an inclusive range (5000-5003).
    pub ports: String,
    #[arg(long, value_enum, default_value_t = ProtoArg::Tcp)]
    pub proto: ProtoArg,
    #[arg(long)]
    pub yes: bool,
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ProtoArg {
    Tcp,
    Udp,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The action id.
    pub action_id: String,
    #[arg(long)]
    pub yes: bool,
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ActionsArgs {
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Subcommand)]
pub enum ScanCommand {
    /// Containers and host listeners with exposure, authentication and risk.
    Containers(ScanContainersArgs),
    /// Leaked secrets in the working tree, the whole git history (deleted branches and
    /// dangling objects included) and the containers, one finding per secret, masked.
    Secrets(ScanSecretsArgs),
    /// The commit timeline of a repository: every commit with its suspicious signals and score,
    /// the bursts, the first suspicious commit and the last safe one.
    Timeline(ScanTimelineArgs),
    /// Every GPU through NVML: utilization, memory, temperature, power, and each GPU process
    /// with its user and container.
    Gpu(ScanGpuArgs),
    /// Everything in one snapshot (the incident report's content); with --fail-on, exit 3 while
    /// anything at or above that level is neither fixed nor marked on the checklist.
    All(ScanAllArgs),
}

#[derive(Debug, Args)]
pub struct ScanAllArgs {
    #[arg(long, value_name = "PATH")]
    pub repo: Vec<PathBuf>,
    #[arg(long, value_name = "PATH")]
    pub ioc_file: Option<PathBuf>,
    /// `json` for machines; `table` prints the Markdown report.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub fail_on: Option<crate::model::RiskLevel>,
}

#[derive(Debug, Args)]
pub struct ScanGpuArgs {
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ScanTimelineArgs {
    /// Repository; repeat for several (default: the git repository of the current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Vec<std::path::PathBuf>,

    /// Skip the line counts (files changed, large changes, sensitive paths, binaries).
    #[arg(long)]
    pub no_line_counts: bool,

    /// Count every commit again instead of using the cache ($XDG_CACHE_HOME/vigil).
    #[arg(long)]
    pub no_cache: bool,

    /// Skip the secret scan of the history (no "secret-introduced" signal).
    #[arg(long)]
    pub no_secrets: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ScanSecretsArgs {
    /// Repository or directory to scan; repeat for several (default: the git repository of the
    /// current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Vec<std::path::PathBuf>,

    /// Scan the working tree only, not the history.
    #[arg(long)]
    pub no_history: bool,

    /// Do not read containers' environment and launch arguments from Docker.
    #[arg(long)]
    pub no_containers: bool,

    /// Known-compromised secrets, one per line: `sha256:<hex>` or the raw value (hashed at
    /// load, never kept). Matches are marked compromised.
    #[arg(long, value_name = "PATH")]
    pub ioc_file: Option<std::path::PathBuf>,

    /// Fingerprints to suppress, one `FINGERPRINT reason` per line (in addition to the
    /// repository's `.vigil-ignore`).
    #[arg(long, value_name = "PATH")]
    pub ignore_file: Option<std::path::PathBuf>,

    /// A rule file that adds to, replaces or switches off built-in rules.
    #[arg(long, value_name = "PATH")]
    pub rules: Option<std::path::PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = SecretsFormat::Table)]
    pub format: SecretsFormat,

    /// Exit with status 3 when an unsuppressed finding is at or above this level
    /// (a compromised one counts as critical).
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub fail_on: Option<crate::model::RiskLevel>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SecretsFormat {
    Table,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub struct ScanContainersArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Exit with status 3 when anything is at or above this level.
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub fail_on: Option<crate::model::RiskLevel>,

    /// Do not send HTTP probes; judge authentication from launch arguments only.
    #[arg(long)]
    pub no_probe: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a commented default config file (refuses to overwrite unless --force).
    Init {
        #[arg(long)]
        force: bool,
    },
    /// Print the path of the config file in use.
    Path,
}

fn parse_level(text: &str) -> Result<crate::model::RiskLevel, String> {
    crate::model::RiskLevel::parse(text)
        .ok_or_else(|| "expected one of: critical, high, medium, low, info".to_string())
}
