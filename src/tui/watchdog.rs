//! Notices when the terminal is gone even though nothing says so.
//!
//! crossterm 0.29's Unix event source re-reads a hung-up terminal forever (read returns 0 or
//! EIO, crossterm retries at once: crossterm-rs/crossterm#793), so the input thread never
//! reports the end. When no SIGHUP arrives (vigil started by a shell that ignores it, an SSH
//! session whose leader outlives the pty), vigil would spin at 100 % of a core forever. This
//! thread polls standard input once a second: on a hang-up it tells the event loop, which ends
//! as when the terminal closes; should the loop itself be stuck (its heartbeat silent), it exits
//! the process, losing nothing: while the loop is stuck no action can progress either.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The loop beats at least once a second (its clock); this much silence means it is stuck.
const STUCK_AFTER: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct Heartbeat {
    started: Instant,
    last_ms: Arc<AtomicU64>,
    /// Set once standard input reports a hang-up: the loop ends as if the terminal closed.
    gone: Arc<AtomicBool>,
}

impl Heartbeat {
    pub fn new() -> Heartbeat {
        Heartbeat {
            started: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
            gone: Arc::new(AtomicBool::new(false)),
        }
    }

    /// True once the terminal hung up (the input thread may be stuck in crossterm's retry loop
    /// and never say so itself).
    pub fn terminal_gone(&self) -> bool {
        self.gone.load(Ordering::Relaxed)
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
                if !terminal_hung_up() {
                    continue;
                }
                // The loop ends by itself at its next turn (at most a second away)...
                heartbeat.gone.store(true, Ordering::Relaxed);
                // ...unless it is stuck.
                if heartbeat.silent_for() >= STUCK_AFTER {
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
