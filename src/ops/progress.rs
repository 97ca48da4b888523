//! Live progress of a running action, step by step, so nothing happens without a visible result:
//! the TUI shows it in the confirmation popup, the CLI prints it as it goes.
//!
//! Step numbers are indices into the plan's `steps`, so what is shown lines up with what was
//! confirmed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// A request to stop a running action at its next safe point (SIGTERM, Ctrl-C): a recreate
/// rolls back; a step that cannot be cut (one Docker call, one firewall transaction) finishes.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicU8>);

impl Interrupt {
    /// Asks for the stop, naming the signal that asked.
    pub fn request(&self, signal: u8) {
        let _ = self
            .0
            .compare_exchange(0, signal.max(1), Ordering::SeqCst, Ordering::SeqCst);
    }

    /// The signal that asked, once one did.
    pub fn requested(&self) -> Option<u8> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(signal),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepUpdate {
    /// The step began.
    Started(usize),
    /// The step completed.
    Finished(usize),
    /// The step failed with this error.
    Failed(usize, String),
    /// Something outside the plan's steps is happening (an automatic rollback).
    Note(String),
}

type Sink = Arc<dyn Fn(StepUpdate) + Send + Sync>;

/// Where step updates go, and the interrupt the action checks between its steps. Cheap to
/// clone; `silent()` drops the updates.
#[derive(Clone)]
pub struct Progress {
    sink: Option<Sink>,
    interrupt: Interrupt,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.sink.is_some() {
            "Progress(reporting)"
        } else {
            "Progress(silent)"
        })
    }
}

impl Progress {
    pub fn silent() -> Progress {
        Progress {
            sink: None,
            interrupt: Interrupt::default(),
        }
    }

    pub fn new(sink: impl Fn(StepUpdate) + Send + Sync + 'static) -> Progress {
        Progress {
            sink: Some(Arc::new(sink)),
            interrupt: Interrupt::default(),
        }
    }

    /// The same updates, checking `interrupt` between steps.
    pub fn with_interrupt(mut self, interrupt: Interrupt) -> Progress {
        self.interrupt = interrupt;
        self
    }

    /// The signal that asked the action to stop at its next safe point, if one did.
    pub fn interrupted(&self) -> Option<u8> {
        self.interrupt.requested()
    }

    fn send(&self, update: StepUpdate) {
        if let Some(sink) = &self.sink {
            sink(update);
        }
    }

    pub fn started(&self, step: usize) {
        self.send(StepUpdate::Started(step));
    }

    pub fn finished(&self, step: usize) {
        self.send(StepUpdate::Finished(step));
    }

    pub fn failed(&self, step: usize, error: &impl std::fmt::Display) {
        self.send(StepUpdate::Failed(step, error.to_string()));
    }

    pub fn note(&self, text: &str) {
        self.send(StepUpdate::Note(text.to_string()));
    }

    /// Runs one step: started, then finished or failed with the error.
    pub async fn step<T, E, F>(&self, step: usize, work: F) -> Result<T, E>
    where
        E: std::fmt::Display,
        F: std::future::Future<Output = Result<T, E>>,
    {
        self.started(step);
        let result = work.await;
        match &result {
            Ok(_) => self.finished(step),
            Err(error) => self.failed(step, error),
        }
        result
    }

    /// Several plan steps carried out as one indivisible operation (one nft transaction).
    pub async fn steps<T, E, F>(&self, steps: std::ops::Range<usize>, work: F) -> Result<T, E>
    where
        E: std::fmt::Display,
        F: std::future::Future<Output = Result<T, E>>,
    {
        for step in steps.clone() {
            self.started(step);
        }
        let result = work.await;
        for step in steps {
            match &result {
                Ok(_) => self.finished(step),
                Err(error) => self.failed(step, error),
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test(flavor = "current_thread")]
    async fn steps_report_start_and_end_in_order() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorder = seen.clone();
        let progress = Progress::new(move |u| recorder.lock().expect("lock").push(u));
        let ok: Result<u8, &str> = progress.step(0, async { Ok(1) }).await;
        assert_eq!(ok, Ok(1));
        let failed: Result<(), &str> = progress.step(1, async { Err("boom") }).await;
        assert!(failed.is_err());
        progress.note("rolling back");
        assert_eq!(
            *seen.lock().expect("lock"),
            vec![
                StepUpdate::Started(0),
                StepUpdate::Finished(0),
                StepUpdate::Started(1),
                StepUpdate::Failed(1, "boom".into()),
                StepUpdate::Note("rolling back".into()),
            ]
        );
        // Silent progress accepts everything and reports nothing.
        let quiet: Result<(), &str> = Progress::silent().step(0, async { Ok(()) }).await;
        assert!(quiet.is_ok());
    }
}
