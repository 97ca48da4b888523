//! Latest-wins background jobs, as gitui's `AsyncSingleJob`: starting a job of a kind cancels
//! the one running, and only the newest job's messages reach the app. The features keep no
//! generation counters: a replaced job's late messages are dropped here, on the event loop's
//! thread, where jobs are also started, so no race can let one through.

use super::msg::Msg;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc::UnboundedSender;

/// The kinds of replaceable background work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    SecretScan,
    Timeline,
}

/// A message on its way to the app, with the job it came from (if it came from one).
pub struct Envelope {
    pub job: Option<(JobKind, u64)>,
    pub msg: Msg,
}

/// How a job's work talks back: `send` forwards a message, `cancel` says it was replaced.
pub struct JobContext {
    pub cancel: Arc<AtomicBool>,
    kind: JobKind,
    id: u64,
    inbox: UnboundedSender<Envelope>,
}

impl JobContext {
    pub fn send(&self, msg: Msg) {
        let _ = self.inbox.send(Envelope {
            job: Some((self.kind, self.id)),
            msg,
        });
    }
}

/// The running job of one kind.
pub struct LatestJob {
    kind: JobKind,
    current: u64,
    cancel: Option<Arc<AtomicBool>>,
}

impl LatestJob {
    pub fn new(kind: JobKind) -> LatestJob {
        LatestJob {
            kind,
            current: 0,
            cancel: None,
        }
    }

    /// Cancels the running job and starts `work` on a thread of its own.
    pub fn start(
        &mut self,
        inbox: &UnboundedSender<Envelope>,
        work: impl FnOnce(JobContext) + Send + 'static,
    ) {
        if let Some(previous) = self.cancel.take() {
            previous.store(true, Ordering::Relaxed);
        }
        self.current += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancel = Some(cancel.clone());
        let context = JobContext {
            cancel,
            kind: self.kind,
            id: self.current,
            inbox: inbox.clone(),
        };
        let name = format!("vigil-{:?}", self.kind).to_lowercase();
        let spawned = std::thread::Builder::new()
            .name(name)
            .spawn(move || work(context));
        if let Err(err) = spawned {
            tracing::error!(%err, "cannot start a background job");
        }
    }

    /// True for the newest job's id.
    pub fn is_current(&self, id: u64) -> bool {
        id == self.current
    }
}
