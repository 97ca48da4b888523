//! Logs go to a file under the XDG state directory, never to the screen (the TUI owns it).

use tracing_appender::non_blocking::WorkerGuard;

/// Starts file logging. Returns the guard that flushes on drop, or `None` when no state dir can
/// be created: vigil then runs without a log rather than not at all.
pub fn init() -> Option<(WorkerGuard, std::path::PathBuf)> {
    let dir = crate::util::paths::state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "vigil.log");
    // vigil logs a few lines a minute: the default queue (128,000 lines) is a channel allocated
    // and touched up front, 4 MB resident for nothing. 1,024 lines is 32 KB.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(1024)
        .finish(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some((guard, dir.join("vigil.log")))
}
