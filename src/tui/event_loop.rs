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
    let mut ending = Ending::default();
    let heartbeat = super::watchdog::Heartbeat::new();
    super::watchdog::spawn(heartbeat.clone());
    // The first container list is drawn at once, not held back by a frame drawn a moment before
    // (the header's "connected", a host sample): that wait would be pure start-up latency.
    let mut first_list_drawn = false;
    loop {
        heartbeat.beat();
        if heartbeat.terminal_gone() {
            ending.terminal_closed();
        }
        let first_list = !first_list_drawn && app.first_list_at().is_some();
        let frame_wanted = app.needs_redraw() && !ending.terminal_gone;
        if frame_wanted && (first_list || last_draw.elapsed() >= FRAME) {
            first_list_drawn |= first_list;
            // A terminal that cannot be written to is gone (the pty closed before SIGHUP came):
            // vigil ends as on a hang-up, after a running action, never in the middle of it.
            if let Err(error) = tui.draw(|frame| super::frame::draw(app, frame)) {
                tracing::warn!(%error, "the terminal cannot be drawn on: it is gone");
                ending.terminal_closed();
                continue;
            }
            app.drawn();
            last_draw = Instant::now();
            if panic_after_first_frame {
                panic!("VIGIL_TEST_PANIC was set: panicking on purpose after the first frame");
            }
        }
        let frame_due = async {
            if frame_wanted {
                tokio::time::sleep_until(last_draw + FRAME).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            event = input.next(), if !ending.terminal_gone => match event {
                Some(event) => app.handle(Msg::Terminal(event)),
                // The terminal is gone (SSH dropped without SIGHUP reaching us).
                None => ending.terminal_closed(),
            },
            msg = producers.next() => app.handle(msg),
            msg = runner.next() => app.handle(msg),
            _ = clock.tick() => app.handle(Msg::Tick(jiff::Timestamp::now())),
            signal = signals.next() => {
                if let Some(exit) = ending.signal(signal, &runner, app) {
                    return Ok(exit);
                }
            }
            () = frame_due => {}
        }
        for effect in app.take_effects() {
            runner.run(effect);
        }
        // Ctrl-C quits like `q`; while an action runs it is SIGINT: stop at the next safe point.
        if app.take_ctrl_c() {
            if runner.actions_running() == 0 {
                ending.quit();
            } else if let Some(exit) = ending.signal(Exit::Signal(2), &runner, app) {
                return Ok(exit);
            }
        }
        if app.should_quit() {
            ending.quit();
        }
        if let Some(exit) = ending.due(app, runner.actions_running()) {
            return Ok(exit);
        }
    }
}

/// Why vigil is ending, and what it still waits for. A started action always gets to its end
/// or its rollback first, whatever happens to the terminal: a hang-up (SIGHUP, the terminal
/// gone) or `q` waits for it; SIGTERM or Ctrl-C asks it to stop at its next safe point (a
/// recreate rolls back) and waits; only a second one within a few seconds stops at once, after
/// recording in the audit log where the action stood.
#[derive(Default)]
struct Ending {
    exit: Option<Exit>,
    /// When the last SIGTERM or Ctrl-C came.
    interrupted_at: Option<Instant>,
    /// No terminal to draw on or read from any more.
    terminal_gone: bool,
    waiting_said: bool,
}

/// A second SIGTERM or Ctrl-C within this long stops at once.
const AT_ONCE_WITHIN: Duration = Duration::from_secs(5);

impl Ending {
    fn terminal_closed(&mut self) {
        self.terminal_gone = true;
        self.exit.get_or_insert(Exit::TerminalGone);
    }

    fn quit(&mut self) {
        self.exit.get_or_insert(Exit::Quit);
    }

    /// A signal arrived (or Ctrl-C was pressed). `Some` when vigil must stop now.
    fn signal(&mut self, exit: Exit, runner: &Runner, app: &mut App) -> Option<Exit> {
        let Exit::Signal(number) = exit else {
            return None;
        };
        if number == 1 {
            // The SSH session dropped: nothing to draw on; an action goes on to its end.
            self.terminal_gone = true;
            self.exit.get_or_insert(exit);
            return None;
        }
        if runner.actions_running() == 0 {
            return Some(exit);
        }
        if self
            .interrupted_at
            .is_some_and(|at| at.elapsed() <= AT_ONCE_WITHIN)
        {
            runner.record_stop_at_once(number);
            return Some(exit);
        }
        self.interrupted_at = Some(Instant::now());
        self.exit = Some(exit);
        runner.interrupt(number);
        tracing::warn!(number, "stopping the running action at its next safe point");
        app.show_warning(&format!(
            "{}: stopping the running action at its next safe point (a recreate rolls back); \
             again within {} s stops at once",
            crate::ops::signal_name(number),
            AT_ONCE_WITHIN.as_secs()
        ));
        None
    }

    /// The exit to take now: the one asked for, once no action runs.
    fn due(&mut self, app: &mut App, actions_running: usize) -> Option<Exit> {
        let exit = self.exit?;
        if actions_running == 0 {
            return Some(exit);
        }
        if !self.waiting_said {
            self.waiting_said = true;
            tracing::warn!("finishing the running action before exiting");
            app.show_warning("finishing the running action before exiting…");
        }
        None
    }
}
