//! The collectors that feed the screen on their own, one function each: the Docker engine's
//! containers and events, the host's listening sockets, and the sampler (host summary and
//! GPUs). Each runs on its own task or thread; `next` hands their updates to the loop as `Msg`s.

use super::msg::Msg;
use crate::collect::docker::DockerUpdate;
use crate::collect::listeners::{self, ListenerUpdate, RescanHandle};
use crate::collect::sampler::{self, Sample};
use crate::config::Settings;
use std::time::Duration;
use tokio::sync::mpsc;

pub struct Producers {
    docker: mpsc::Receiver<DockerUpdate>,
    listeners: mpsc::Receiver<ListenerUpdate>,
    samples: mpsc::Receiver<Sample>,
    ruleset: mpsc::Receiver<crate::collect::ruleset::watch::RulesetUpdate>,
    /// Asks the listener scanner for a scan now (containers changed, so did docker-proxy).
    pub rescan: Option<RescanHandle>,
}

impl Producers {
    /// Starts every collector. A collector that cannot start is a problem said on screen; the
    /// others run.
    pub fn start(settings: &Settings) -> (Producers, Vec<String>) {
        let mut problems = Vec::new();
        let docker = start_docker(settings);
        let (listeners, rescan) = match start_listeners(settings) {
            Ok(started) => (started.0, Some(started.1)),
            Err((receiver, err)) => {
                problems.push(format!("cannot start the listener scanner: {err}"));
                (receiver, None)
            }
        };
        let samples = start_sampler(settings).unwrap_or_else(|(receiver, err)| {
            problems.push(format!("cannot start the GPU sampler: {err}"));
            receiver
        });
        let (sender, ruleset) = mpsc::channel(2);
        if let Err(err) =
            crate::collect::ruleset::watch::spawn(crate::collect::ruleset::watch::INTERVAL, sender)
        {
            problems.push(format!("cannot start the firewall reader: {err}"));
        }
        let producers = Producers {
            docker,
            listeners,
            samples,
            ruleset,
            rescan,
        };
        (producers, problems)
    }

    /// The next update of any collector (pending forever once all have stopped).
    pub async fn next(&mut self) -> Msg {
        tokio::select! {
            Some(update) = self.docker.recv() => Msg::Docker(update),
            Some(update) = self.listeners.recv() => Msg::Listeners(update),
            Some(sample) = self.samples.recv() => Msg::Sample(Box::new(sample)),
            Some(update) = self.ruleset.recv() => Msg::Ruleset(Box::new(update)),
            else => std::future::pending().await,
        }
    }
}

/// The terminal's keys, mouse and resizes.
pub struct Input(mpsc::Receiver<std::io::Result<crossterm::event::Event>>);

impl Input {
    pub fn start() -> std::io::Result<Input> {
        start_input().map(Input)
    }

    /// The next event; `None` once the terminal is gone.
    pub async fn next(&mut self) -> Option<crossterm::event::Event> {
        self.0.recv().await.and_then(Result::ok)
    }
}

/// Terminal input, on a thread blocking in crossterm's `read`. crossterm's `EventStream` keeps a
/// thread blocked in `poll` holding the reader's lock, and every poll of the stream from the
/// loop then spins on that lock (`sched_yield` up to 7 times a turn), giving the CPU away while
/// the collectors start: measured, 36 ms of the start-up on a loaded host.
fn start_input() -> std::io::Result<mpsc::Receiver<std::io::Result<crossterm::event::Event>>> {
    let (sender, receiver) = mpsc::channel(64);
    std::thread::Builder::new()
        .name("vigil-input".into())
        .spawn(move || {
            loop {
                let event = crossterm::event::read();
                let failed = event.is_err();
                if sender.blocking_send(event).is_err() || failed {
                    return;
                }
            }
        })?;
    Ok(receiver)
}

/// The Docker collector: connect, list, follow events, reconnect with backoff.
fn start_docker(settings: &Settings) -> mpsc::Receiver<DockerUpdate> {
    let (sender, receiver) = mpsc::channel(64);
    tokio::spawn(crate::collect::docker::run(settings.docker(), sender));
    receiver
}

type Started<T, E> = Result<T, (mpsc::Receiver<E>, std::io::Error)>;

/// The socket-table scanner, on its own thread.
fn start_listeners(
    settings: &Settings,
) -> Started<(mpsc::Receiver<ListenerUpdate>, RescanHandle), ListenerUpdate> {
    let (sender, receiver) = mpsc::channel(4);
    let interval = Duration::from_secs(settings.listener_scan_secs);
    match listeners::spawn(interval, sender) {
        Ok(handle) => Ok((receiver, handle)),
        Err(err) => Err((receiver, err)),
    }
}

/// The host and GPU sampler, on its own thread (NVML calls block in the driver).
fn start_sampler(settings: &Settings) -> Started<mpsc::Receiver<Sample>, Sample> {
    let (sender, receiver) = mpsc::channel(2);
    let interval = Duration::from_millis(settings.gpu_interval_ms);
    match sampler::spawn(settings.nvml_lib.clone(), interval, sender) {
        Ok(()) => Ok(receiver),
        Err(err) => Err((receiver, err)),
    }
}
