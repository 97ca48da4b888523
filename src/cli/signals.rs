//! What a signal does while an action runs from the command line. A hang-up (the SSH session
//! dropped) does not stop it: the action goes on to its end or its rollback and records the
//! outcome. SIGTERM or Ctrl-C asks it to stop at its next safe point (a recreate rolls back; a
//! step that cannot be cut finishes). A second SIGTERM or Ctrl-C within a few seconds stops at
//! once, after recording in the audit log the step it was in.

use crate::ops::{Interrupt, Plan, signal_name};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::signal::unix::{SignalKind, signal};

/// A second SIGTERM or Ctrl-C within this long stops at once.
const AT_ONCE_WITHIN: Duration = Duration::from_secs(5);

/// The watching task; it ends (and the default signal handling returns) when dropped.
pub struct Watch(tokio::task::JoinHandle<()>);

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Watches SIGHUP, SIGTERM and SIGINT while `plan` runs.
pub fn watch(interrupt: Interrupt, plan: Plan, audit: PathBuf) -> std::io::Result<Watch> {
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let task = tokio::spawn(async move {
        let mut first: Option<Instant> = None;
        loop {
            let number = tokio::select! {
                _ = hup.recv() => {
                    say("the terminal hung up: the action goes on, its outcome goes to the audit log");
                    continue;
                }
                _ = term.recv() => 15,
                _ = int.recv() => 2,
            };
            if first.is_some_and(|at| at.elapsed() <= AT_ONCE_WITHIN) {
                stop_at_once(number, &plan, &audit);
            }
            first = Some(Instant::now());
            interrupt.request(number);
            say(&format!(
                "{}: stopping at the next safe point (a recreate rolls back); send it again \
                 within {} s to stop at once",
                signal_name(number),
                AT_ONCE_WITHIN.as_secs()
            ));
        }
    });
    Ok(Watch(task))
}

/// Records where the action stood (from its journal) and exits with 128 + the signal.
fn stop_at_once(number: u8, plan: &Plan, audit: &std::path::Path) -> ! {
    match crate::ops::audit::record_stopped_at_once(audit, plan, number) {
        Ok(place) => say(&format!("stopped at once {place}")),
        Err(err) => say(&format!("stopped at once; cannot record where: {err}")),
    }
    std::process::exit(128 + i32::from(number));
}

/// A line on stderr; a terminal that is gone is not an error worth dying for.
pub fn say(text: &str) {
    use std::io::Write;
    let shown = crate::util::text::escape_keeping_lines(text);
    let _ = writeln!(std::io::stderr(), "vigil: {shown}");
}
