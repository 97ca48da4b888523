//! The sampling thread: every interval, the host summary and one NVML sample of every card.
//!
//! NVML calls block (each is an ioctl into the driver), so they run here and never on the event
//! loop. When NVML cannot be opened the thread keeps sampling the host and tries NVML again now
//! and then: a driver loaded later is picked up without a restart.

use super::gpu::{self, CardReader};
use super::host::{HostSampler, HostSummary};
use crate::model::GpuSnapshot;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How often an unusable NVML is tried again.
const REOPEN_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct Sample {
    pub host: HostSummary,
    pub gpu: GpuSnapshot,
}

/// Starts the thread. It ends when the receiving side is dropped.
pub fn spawn(
    library: Option<PathBuf>,
    interval: Duration,
    send: mpsc::Sender<Sample>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("vigil-sampler".into())
        .spawn(move || run(library, interval, send))
        .map(|_| ())
}

fn run(library: Option<PathBuf>, interval: Duration, send: mpsc::Sender<Sample>) {
    let mut host = HostSampler::default();
    let mut ticks = Ticks::new(interval);
    loop {
        match gpu::open(library.as_deref()) {
            Ok(nvml) => {
                let events = gpu::register_xids(&nvml);
                let mut reader = CardReader::default();
                loop {
                    let gpu = reader.sample(&nvml, events.as_ref());
                    if !deliver(&send, &mut host, gpu) {
                        return;
                    }
                    ticks.wait();
                }
            }
            Err(reason) => {
                let until = Instant::now() + REOPEN_EVERY;
                while Instant::now() < until {
                    let gpu = GpuSnapshot::unavailable(reason.to_string());
                    if !deliver(&send, &mut host, gpu) {
                        return;
                    }
                    ticks.wait();
                }
            }
        }
    }
}

/// Sends one sample; false once nobody listens. A full channel (a busy screen) drops the sample:
/// the next one is a second away and the sampler must never queue up behind the UI.
fn deliver(send: &mpsc::Sender<Sample>, host: &mut HostSampler, gpu: GpuSnapshot) -> bool {
    let sample = Sample {
        host: host.sample(),
        gpu,
    };
    !matches!(
        send.try_send(sample),
        Err(mpsc::error::TrySendError::Closed(_))
    )
}

/// A fixed-rate schedule that does not drift and does not catch up after a stall.
struct Ticks {
    interval: Duration,
    next: Instant,
}

impl Ticks {
    fn new(interval: Duration) -> Ticks {
        Ticks {
            interval,
            next: Instant::now() + interval,
        }
    }

    fn wait(&mut self) {
        let now = Instant::now();
        if self.next > now {
            std::thread::sleep(self.next - now);
            self.next += self.interval;
        } else {
            self.next = now + self.interval;
        }
    }
}
