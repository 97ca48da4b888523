//! How commands end and what they print: one place for the exit statuses, the `vigil:` prefix
//! on problems, and a reader that went away (`vigil scan all | head`), which is not an error.

use std::io::Write;
use std::process::ExitCode;

/// How a command ended when it did its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit 0.
    Success,
    /// Exit 3: `--fail-on` found something at or above its level.
    RiskFound,
    /// Exit 1: part of the work failed and was said (the rest was printed).
    Partial,
}

/// A command that could not do its job. `run` prints it once, as `vigil: MESSAGE`, and exits 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(error: E) -> Failure {
        Failure(error.to_string())
    }
}

pub type Outcome = Result<Status, Failure>;

/// Exit status when `--fail-on` is met.
pub const EXIT_RISK_FOUND: u8 = 3;

pub fn exit_code(outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(Status::Success) => ExitCode::SUCCESS,
        Ok(Status::RiskFound) => ExitCode::from(EXIT_RISK_FOUND),
        Ok(Status::Partial) => ExitCode::FAILURE,
        Err(Failure(message)) => {
            warn(&message);
            ExitCode::FAILURE
        }
    }
}

/// A problem said on stderr, the work going on (a terminal that is gone is ignored). Messages
/// carry what the user typed and what files and engines said: escaped here, once, for all.
pub fn warn(message: &str) {
    let shown = crate::util::text::escape_keeping_lines(message);
    let _ = writeln!(std::io::stderr(), "vigil: {shown}");
}

/// Writes a command's output to stdout, with one final newline.
pub fn print_out(text: &str) {
    write_stdout(|out| {
        out.write_all(text.trim_end().as_bytes())?;
        out.write_all(b"\n")
    });
}

/// Writes to stdout with `write`; a closed pipe ends the output quietly, any other error is said.
pub fn write_stdout(write: impl FnOnce(&mut std::io::StdoutLock<'_>) -> std::io::Result<()>) {
    let mut stdout = std::io::stdout().lock();
    let written = write(&mut stdout).and_then(|()| stdout.flush());
    if let Err(err) = written
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        warn(&format!("cannot write the output: {err}"));
    }
}

/// Pretty JSON of `value` to stdout.
pub fn print_json(value: &impl serde::Serialize) {
    match crate::util::json::to_string_pretty(value) {
        Ok(text) => print_out(&text),
        Err(err) => warn(&format!("cannot encode the output: {err}")),
    }
}

/// The single-threaded runtime every command uses: vigil's work is I/O-bound, and blocking
/// work goes to its own threads.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure(format!("cannot start the async runtime: {err}")))
}
