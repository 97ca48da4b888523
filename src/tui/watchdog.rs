//! Leaves when the terminal is gone and the event loop cannot notice.
//!
//! crossterm 0.29's Unix event source re-reads a hung-up terminal forever (read returns 0 or
//! EIO, crossterm retries at once: crossterm-rs/crossterm#793), holding the thread that runs the
//! event loop. When no SIGHUP arrives (vigil started by a shell that ignores it, an SSH session
//! whose leader outlives the pty), vigil would spin at 100 % of a core forever. This thread sees
//! the loop's heartbeat stop while standard input reports a hang-up, and exits the process.
//! Nothing is lost: while the loop is stuck no action can progress either.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The loop beats at least once a second (its clock); this much silence means it is stuck.
const STUCK_AFTER: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct Heartbeat {
    started: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Heartbeat {
    pub fn new() -> Heartbeat {
        Heartbeat {
            started: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Called by the event loop on every turn.
    pub fn beat(&self) {
        self.last_ms
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn silent_for(&self) -> Duration {
        let now = self.started.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// Starts the watchdog thread.
pub fn spawn(heartbeat: Heartbeat) {
    let _ = std::thread::Builder::new()
        .name("vigil-watchdog".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                if heartbeat.silent_for() >= STUCK_AFTER && terminal_hung_up() {
                    tracing::warn!("the terminal hung up and the event loop is stuck: exiting");
                    // 128 + SIGHUP, as if the hang-up signal had arrived.
                    std::process::exit(129);
                }
            }
        });
}

/// Whether standard input reports a hang-up (the terminal went away).
#[allow(unsafe_code)]
fn terminal_hung_up() -> bool {
    let mut descriptor = libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout; poll only writes `revents`.
    let ready = unsafe { libc::poll(&mut descriptor, 1, 0) };
    ready > 0 && descriptor.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}
