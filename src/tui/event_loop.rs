//! The one `select!` loop: terminal input, the collectors, the runner's results, the clock and
//! signals, each turned into a `Msg` for the app; the app's effects go to the runner. It
//! redraws only when something changed, at most once per frame interval.

use super::app::App;
use super::msg::Msg;
use super::producers::{Input, Producers};
use super::runner::Runner;
use super::terminal;
use crate::config::Settings;
use color_eyre::eyre::{Result, WrapErr};
use std::time::Duration;
use tokio::signal::unix::{Signal, SignalKind, signal};
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

pub async fn run(mut app: App, settings: Settings) -> Result<Exit> {
    let mut tui = terminal::enter().wrap_err("cannot enter full-screen mode")?;
    let outcome = drive(&mut app, &mut tui, settings).await;
    terminal::restore();
    if let Some(at) = app.first_list_at() {
        tracing::info!(?at, "first container list was shown");
    }
    outcome
}

/// The signals that end vigil.
struct Signals {
    term: Signal,
    hup: Signal,
    int: Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn next(&mut self) -> Exit {
        tokio::select! {
            _ = self.term.recv() => Exit::Signal(15),
            _ = self.hup.recv() => Exit::Signal(1),
            _ = self.int.recv() => Exit::Signal(2),
        }
    }
}

async fn drive(app: &mut App, tui: &mut terminal::Tui, settings: Settings) -> Result<Exit> {
    let size = tui.size()?;
    app.resize(size.width, size.height);
    let mut input = Input::start()?;
    let (mut producers, problems) = Producers::start(&settings);
    for problem in problems {
        app.show_problem(problem);
    }
    let mut runner = Runner::new(&settings, producers.rescan.take());
    let mut signals = Signals::install()?;
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Test hook: lets the tmux tests check that a panic restores the terminal.
    let panic_after_first_frame = std::env::var_os("VIGIL_TEST_PANIC").is_some();
    let mut last_draw = Instant::now() - FRAME;
    let mut exit = ExitRequest::default();
    let heartbeat = super::watchdog::Heartbeat::new();
    super::watchdog::spawn(heartbeat.clone());
    // The first container list is drawn at once, not held back by a frame drawn a moment before
    // (the header's "connected", a host sample): that wait would be pure start-up latency.
    let mut first_list_drawn = false;
    loop {
        heartbeat.beat();
        if heartbeat.terminal_gone() {
            return Ok(Exit::TerminalGone);
        }
        let first_list = !first_list_drawn && app.first_list_at().is_some();
        if app.needs_redraw() && (first_list || last_draw.elapsed() >= FRAME) {
            first_list_drawn |= first_list;
            tui.draw(|frame| super::frame::draw(app, frame))?;
            app.drawn();
            last_draw = Instant::now();
            if panic_after_first_frame {
                panic!("VIGIL_TEST_PANIC was set: panicking on purpose after the first frame");
            }
        }
        let frame_due = async {
            if app.needs_redraw() {
                tokio::time::sleep_until(last_draw + FRAME).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            event = input.next() => match event {
                Some(event) => app.handle(Msg::Terminal(event)),
                // The terminal is gone (SSH dropped without SIGHUP reaching us): stop cleanly.
                None => return Ok(Exit::TerminalGone),
            },
            msg = producers.next() => app.handle(msg),
            msg = runner.next() => app.handle(msg),
            _ = clock.tick() => app.handle(Msg::Tick(jiff::Timestamp::now())),
            signal = signals.next() => exit.requested = Some(signal),
            () = frame_due => {}
        }
        for effect in app.take_effects() {
            runner.run(effect);
        }
        if app.should_quit() {
            return Ok(Exit::Quit);
        }
        if let Some(exit) = exit.due(app, runner.actions_running()) {
            return Ok(exit);
        }
    }
}

/// A signal that asked vigil to end, and how long a running action may still take.
#[derive(Default)]
struct ExitRequest {
    requested: Option<Exit>,
    deadline: Option<Instant>,
}

impl ExitRequest {
    /// The exit to take now, if any. A signal (SIGTERM, an SSH drop) while an action runs lets
    /// the action finish and record its outcome first, so the host is never left half-changed
    /// and unrecorded; bounded, so a hung engine cannot keep vigil alive forever.
    fn due(&mut self, app: &mut App, actions_running: usize) -> Option<Exit> {
        let exit = self.requested?;
        if actions_running == 0 {
            return Some(exit);
        }
        let deadline = *self.deadline.get_or_insert_with(|| {
            app.show_warning("signal received: finishing the running action before exiting…");
            Instant::now() + ACTION_GRACE
        });
        if Instant::now() >= deadline {
            tracing::warn!("exiting with an action still running after {ACTION_GRACE:?}");
            return Some(exit);
        }
        None
    }
}
