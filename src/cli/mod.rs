//! The command line: the argument definitions (`args`), their resolution into settings
//! (`resolve`), one file per subcommand, and one way to end (`output`): commands return an
//! `Outcome`, and only `run` prints a failure.
//!
//! The TUI is the other front end; `main` picks between the two, so neither imports the other.

mod act;
mod actions;
pub mod args;
mod block;
mod commit;
mod config_file;
mod manual;
mod output;
mod rebind;
mod report;
mod resolve;
mod resume;
mod scan_all;
mod scan_containers;
mod scan_gpu;
mod scan_secrets;
mod scan_timeline;
mod signals;
mod stop;
mod undo;

pub use args::{Cli, Command};
pub use output::EXIT_RISK_FOUND;
pub use resolve::{Resolved, resolve};

use args::{ConfigCommand, ScanCommand};
use std::process::ExitCode;

/// Runs a subcommand. Configuration problems are said once, first; the work goes on.
pub fn run(command: Command, resolved: Resolved) -> ExitCode {
    for problem in &resolved.problems {
        output::warn(problem);
    }
    let settings = &resolved.settings;
    let outcome = match &command {
        Command::Scan(ScanCommand::Containers(args)) => scan_containers::run(settings, args),
        Command::Scan(ScanCommand::Secrets(args)) => scan_secrets::run(settings, args),
        Command::Scan(ScanCommand::Timeline(args)) => scan_timeline::run(settings, args),
        Command::Scan(ScanCommand::Gpu(args)) => scan_gpu::run(settings, args),
        Command::Scan(ScanCommand::All(args)) => scan_all::run(settings, args),
        Command::Report(args) => report::run(settings, args),
        Command::Config(ConfigCommand::Path) => config_file::path(resolved.config_path.as_deref()),
        Command::Config(ConfigCommand::Init { force }) => {
            config_file::init(resolved.config_path.as_deref(), *force, settings.read_only)
        }
        Command::Stop(args) => stop::run(settings, args),
        Command::Rebind(args) => rebind::run(settings, args),
        Command::Commit(args) => commit::run(settings, args),
        Command::Block(args) => block::run(settings, args, true),
        Command::Unblock(args) => block::run(settings, args, false),
        Command::Undo(args) => undo::run(settings, args),
        Command::Resume(args) => resume::run(settings, args),
        Command::Actions(args) => actions::run(settings, args),
        Command::Completions { shell } => manual::completions(*shell),
        Command::Man { out_dir } => manual::man_page(out_dir.as_deref()),
    };
    output::exit_code(outcome)
}
