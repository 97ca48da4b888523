//! Logs go to a file under the XDG state directory, never to the screen (the TUI owns it).
//!
//! Observer mode writes this log too (see docs/safety.md), so it is opened like every vigil file
//! (`util::fs`): never through a link, 0600, refused when another user owns it.

use tracing_appender::non_blocking::WorkerGuard;

/// Starts file logging. Returns the guard that flushes on drop and the log's path, or why there
/// is no log: vigil then runs without one rather than not at all, and says so.
pub fn init() -> Result<(WorkerGuard, std::path::PathBuf), String> {
    let dir = crate::util::paths::state_dir()
        .ok_or("no state directory for the log (set XDG_STATE_HOME or HOME)")?;
    let path = dir.join("vigil.log");
    let file = crate::util::fs::open_private_append(&path, false)
        .map_err(|err| format!("log not written: {err}"))?;
    // vigil logs a few lines a minute: the default queue (128,000 lines) is a channel allocated
    // and touched up front, 4 MB resident for nothing. 1,024 lines is 32 KB.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(1024)
        .finish(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|err| format!("log not started: {err}"))?;
    Ok((guard, path))
}
