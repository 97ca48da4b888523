//! The one `select!` loop: terminal input, collector channels, probe results, the clock and
//! signals. It redraws only when something changed, at most once per frame interval.

use super::app::{App, Effect};
use super::terminal;
use crate::collect::{docker, listeners, probe};
use crate::config::Settings;
use crate::incident::inventory::ProbeKey;
use crate::model::ProbeReport;
use crate::ops::handle::OperatorHandle;
use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::EventStream;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Signal(u8),
    TerminalGone,
}

impl Exit {
    /// Conventional status: 128 + signal number for a signal.
    pub fn code(self) -> u8 {
        match self {
            Exit::Quit => 0,
            Exit::Signal(number) => 128 + number,
            Exit::TerminalGone => 1,
        }
    }
}

/// Shortest interval between two frames: bursts of updates cost one redraw.
const FRAME: Duration = Duration::from_millis(16);
/// How long a signal waits for a running action to finish and be recorded.
const ACTION_GRACE: Duration = Duration::from_secs(60);
/// At most this many probes run at once, so a host with hundreds of ports is not hammered.
const PROBE_CONCURRENCY: usize = 8;

pub async fn run(mut app: App, settings: Settings) -> Result<Exit> {
    let mut tui = terminal::enter().wrap_err("cannot enter full-screen mode")?;
    let outcome = drive(&mut app, &mut tui, settings).await;
    terminal::restore();
    if let Some(at) = app.first_list_at {
        tracing::info!(?at, "first container list was shown");
    }
    outcome
}

async fn drive(app: &mut App, tui: &mut terminal::Tui, settings: Settings) -> Result<Exit> {
    let size = tui.size()?;
    app.resize(size.width, size.height);

    let (docker_tx, mut docker_rx) = mpsc::channel(64);
    tokio::spawn(docker::run(settings.docker(), docker_tx));
    let (listener_tx, mut listener_rx) = mpsc::channel(4);
    let rescan = match listeners::spawn(
        Duration::from_secs(settings.listener_scan_secs),
        listener_tx,
    ) {
        Ok(handle) => Some(handle),
        Err(err) => {
            app.show_problem(format!("cannot start the listener scanner: {err}"));
            None
        }
    };
    let (probe_tx, mut probe_rx) = mpsc::channel::<(ProbeKey, ProbeReport)>(64);
    let probe_slots = Arc::new(Semaphore::new(PROBE_CONCURRENCY));
    let probe_settings = settings.probe();

    // Operator mode only: observer mode never builds the value that can change the host.
    let docker_settings = settings.docker();
    let audit_path = settings.audit_path();
    let access = crate::ops::Access::from_read_only(settings.read_only);
    let operator: Option<OperatorHandle> = audit_path
        .clone()
        .and_then(|path| OperatorHandle::new(access, docker_settings, path));
    let (ops_tx, mut ops_rx) = mpsc::channel::<OpsEvent>(16);
    // Step progress is small and must not be lost (a missed "done" would leave a step spinning):
    // unbounded, fed from the executing task.
    let (progress_tx, mut progress_rx) =
        mpsc::unbounded_channel::<(String, crate::ops::StepUpdate)>();
    // The secret scan runs on its own thread; a newer scan cancels the one before it.
    let (secrets_tx, mut secrets_rx) = mpsc::unbounded_channel::<(u64, SecretsEvent)>();
    let mut secrets_cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>> = None;
    // The timeline reader likewise; commit details are read on demand.
    let (timeline_tx, mut timeline_rx) =
        mpsc::unbounded_channel::<(u64, super::timeline::TimelineEvent)>();
    let mut timeline_cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>> = None;
    let (details_tx, mut details_rx) = mpsc::unbounded_channel::<(
        crate::timeline::CommitId,
        Result<crate::timeline::details::CommitDetails, String>,
    )>();

    // Host summary and GPUs, sampled on their own thread (NVML calls block in the driver).
    let (sample_tx, mut sample_rx) = mpsc::channel::<crate::collect::sampler::Sample>(2);
    if let Err(err) = crate::collect::sampler::spawn(
        settings.nvml_lib.clone(),
        Duration::from_millis(settings.gpu_interval_ms),
        sample_tx,
    ) {
        app.show_problem(format!("cannot start the GPU sampler: {err}"));
    }

    // Who marks checklist items: the login user behind sudo when there is one. Looked up at
    // the first mark (it reads the user database), not on the way to the first frame.
    let mut operator_name: Option<String> = None;

    let mut terminal_events = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    // Test hook: lets the tmux tests check that a panic restores the terminal.
    let panic_after_first_frame = std::env::var_os("VIGIL_TEST_PANIC").is_some();
    let mut last_draw = Instant::now() - FRAME;
    let mut exit_requested: Option<Exit> = None;
    let mut exit_deadline: Option<Instant> = None;
    let mut actions_running: usize = 0;
    let heartbeat = super::watchdog::Heartbeat::new();
    super::watchdog::spawn(heartbeat.clone());
    loop {
        heartbeat.beat();
        if app.dirty && last_draw.elapsed() >= FRAME {
            tui.draw(|frame| super::view::draw(app, frame))?;
            app.dirty = false;
            last_draw = Instant::now();
            if panic_after_first_frame {
                panic!("VIGIL_TEST_PANIC was set: panicking on purpose after the first frame");
            }
        }
        let frame_due = async {
            if app.dirty {
                tokio::time::sleep_until(last_draw + FRAME).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            event = terminal_events.next() => match event {
                Some(Ok(event)) => app.on_event(event),
                // The terminal is gone (SSH dropped without SIGHUP reaching us): stop cleanly.
                Some(Err(_)) | None => return Ok(Exit::TerminalGone),
            },
            Some(update) = docker_rx.recv() => app.apply_docker(update),
            Some(update) = listener_rx.recv() => app.apply_listeners(update),
            Some((key, report)) = probe_rx.recv() => app.apply_probe(key, report),
            Some(sample) = sample_rx.recv() => app.apply_sample(sample),
            Some((plan_id, update)) = progress_rx.recv() => app.action_progress(&plan_id, update),
            Some((generation, event)) = secrets_rx.recv() => match event {
                SecretsEvent::Progress(update) => app.secrets_progress(generation, update),
                SecretsEvent::Done(result) => {
                    app.secrets_done(generation, *result);
                    crate::util::memory::give_back();
                }
            },
            Some((generation, event)) = timeline_rx.recv() => {
                let finished = matches!(event, super::timeline::TimelineEvent::CountsDone(..));
                app.timeline_event(generation, event);
                if finished {
                    crate::util::memory::give_back();
                }
            }
            Some((id, details)) = details_rx.recv() => app.commit_details_loaded(id, details),
            Some(event) = ops_rx.recv() => match event {
                OpsEvent::Plan(result) => app.plan_ready(result),
                OpsEvent::Finished(plan_id, result) => {
                    actions_running = actions_running.saturating_sub(1);
                    app.action_finished(&plan_id, result);
                }
                OpsEvent::Actions(result) => app.actions_loaded(result),
            },
            _ = clock.tick() => app.tick(jiff::Timestamp::now()),
            _ = sigterm.recv() => exit_requested = Some(Exit::Signal(libc_signal::TERM)),
            _ = sighup.recv() => exit_requested = Some(Exit::Signal(libc_signal::HUP)),
            _ = sigint.recv() => exit_requested = Some(Exit::Signal(libc_signal::INT)),
            () = frame_due => {}
        }
        for effect in app.take_effects() {
            match effect {
                Effect::PlanStop(target) => spawn_ops(&operator, &ops_tx, move |op| async move {
                    OpsEvent::Plan(op.plan_stop(&target).await.map_err(|e| e.to_string()))
                }),
                Effect::PlanUndo(action_id) => {
                    spawn_ops(&operator, &ops_tx, move |op| async move {
                        OpsEvent::Plan(op.plan_undo(&action_id).await.map_err(|e| e.to_string()))
                    })
                }
                Effect::PlanRebind(target) => spawn_ops(&operator, &ops_tx, move |op| async move {
                    OpsEvent::Plan(op.plan_rebind(&target).await.map_err(|e| e.to_string()))
                }),
                Effect::PlanCommit(action_id) => {
                    spawn_ops(&operator, &ops_tx, move |op| async move {
                        OpsEvent::Plan(op.plan_commit(&action_id).await.map_err(|e| e.to_string()))
                    })
                }
                Effect::PlanBlock(spec) => spawn_ops(&operator, &ops_tx, move |op| async move {
                    OpsEvent::Plan(op.plan_block(spec).await.map_err(|e| e.to_string()))
                }),
                Effect::Execute(plan) => spawn_ops(&operator, &ops_tx, {
                    actions_running += 1;
                    let progress_tx = progress_tx.clone();
                    move |op| async move {
                        let plan_id = plan.id.clone();
                        let progress = crate::ops::Progress::new(move |update| {
                            let _ = progress_tx.send((plan_id.clone(), update));
                        });
                        let result = op
                            .execute(&plan, &progress)
                            .await
                            .map_err(|e| e.to_string());
                        OpsEvent::Finished(plan.id.clone(), result)
                    }
                }),
                Effect::LoadActions => {
                    let path = audit_path.clone();
                    let results = ops_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let loaded = match path {
                            Some(path) => crate::ops::audit::read_all(&path)
                                .map(|records| crate::ops::audit::summarize(&records))
                                .map_err(|e| e.to_string()),
                            None => Err("no audit log location (set XDG_STATE_HOME or HOME, or --audit-log)".into()),
                        };
                        let _ = results.blocking_send(OpsEvent::Actions(loaded));
                    });
                }
                Effect::ScanSecrets(generation, options) => {
                    if let Some(previous) = secrets_cancel.take() {
                        previous.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                    secrets_cancel = Some(cancel.clone());
                    let events = secrets_tx.clone();
                    std::thread::spawn(move || {
                        let progress_events = events.clone();
                        let progress = move |update| {
                            let _ =
                                progress_events.send((generation, SecretsEvent::Progress(update)));
                        };
                        let result = crate::secrets::scan::run(&options, &progress, &cancel);
                        let _ = events.send((generation, SecretsEvent::Done(Box::new(result))));
                    });
                }
                Effect::LoadTimelines(generation, repos) => {
                    if let Some(previous) = timeline_cancel.take() {
                        previous.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                    timeline_cancel = Some(cancel.clone());
                    let events = timeline_tx.clone();
                    // One core stays free for the screen.
                    let threads = crate::secrets::sources::Limits::default()
                        .threads
                        .saturating_sub(1)
                        .max(1);
                    std::thread::spawn(move || {
                        let send = |event| {
                            let _ = events.send((generation, event));
                        };
                        super::timeline::read_in_background(&repos, threads, true, &cancel, &send);
                    });
                }
                Effect::LoadCommitDetails(path, id) => {
                    let results = details_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let details = crate::timeline::details::read(&path, id);
                        let _ = results.send((id, details));
                    });
                }
                Effect::WriteReport => {
                    let started = std::time::Instant::now();
                    match super::report::write(app) {
                        Ok(path) => app.say_status(
                            format!(
                                "incident report written to {} ({} ms)",
                                path.display(),
                                started.elapsed().as_millis()
                            ),
                            super::app::Severity::Info,
                        ),
                        Err(message) => app.say_status(
                            format!("report not written: {message}"),
                            super::app::Severity::Error,
                        ),
                    }
                }
                Effect::SaveMark {
                    kind,
                    key,
                    note,
                    cleared,
                } => {
                    // A small fsynced append to vigil's own state file.
                    let user = operator_name.get_or_insert_with(|| {
                        let identity = crate::ops::identity::Identity::current();
                        identity.login_user.unwrap_or(identity.user)
                    });
                    let result = app.marks.record(kind, &key, &note, user, cleared);
                    app.mark_saved(result);
                }
                Effect::RescanListeners => {
                    if let Some(rescan) = &rescan {
                        rescan.request();
                    }
                }
                Effect::Probe(targets) => {
                    for (key, binding) in targets {
                        let results = probe_tx.clone();
                        let slots = probe_slots.clone();
                        tokio::spawn(async move {
                            let Ok(_slot) = slots.acquire_owned().await else {
                                return;
                            };
                            let report = probe::probe_port(
                                &binding.host_ip,
                                binding.host_port,
                                probe_settings,
                            )
                            .await;
                            let _ = results.send((key, report)).await;
                        });
                    }
                }
            }
        }
        if app.should_quit {
            return Ok(Exit::Quit);
        }
        // A signal (SIGTERM, an SSH drop) while an action runs: let the action finish and record
        // its outcome first, so the host is never left half-changed and unrecorded. Bounded, so a
        // hung engine cannot keep vigil alive forever.
        if let Some(exit) = exit_requested {
            if actions_running == 0 {
                return Ok(exit);
            }
            let deadline = *exit_deadline.get_or_insert_with(|| {
                app.say_status(
                    "signal received: finishing the running action before exiting…",
                    super::app::Severity::Warn,
                );
                Instant::now() + ACTION_GRACE
            });
            if Instant::now() >= deadline {
                tracing::warn!("exiting with an action still running after {ACTION_GRACE:?}");
                return Ok(exit);
            }
        }
    }
}

/// Results of remediation work done in the background, so the UI keeps redrawing meanwhile.
enum SecretsEvent {
    Progress(crate::secrets::scan::ScanProgress),
    Done(Box<Result<crate::secrets::scan::ScanReport, String>>),
}

enum OpsEvent {
    Plan(Result<crate::ops::Plan, String>),
    Finished(String, Result<crate::ops::Outcome, String>),
    Actions(Result<Vec<crate::ops::audit::ActionSummary>, String>),
}

/// Runs `work` with the operator on a task. Without an operator (observer mode) nothing runs:
/// the app refuses these keys before asking, so this is a second wall, not the first.
fn spawn_ops<F, Fut>(operator: &Option<OperatorHandle>, results: &mpsc::Sender<OpsEvent>, work: F)
where
    F: FnOnce(OperatorHandle) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = OpsEvent> + Send + 'static,
{
    let Some(operator) = operator.clone() else {
        let results = results.clone();
        tokio::spawn(async move {
            let _ = results
                .send(OpsEvent::Plan(Err(
                    "read-only: observer mode cannot change anything".into(),
                )))
                .await;
        });
        return;
    };
    let results = results.clone();
    tokio::spawn(async move {
        let event = work(operator).await;
        let _ = results.send(event).await;
    });
}

/// Signal numbers on Linux, named so the exit codes read clearly.
mod libc_signal {
    pub const HUP: u8 = 1;
    pub const INT: u8 = 2;
    pub const TERM: u8 = 15;
}
