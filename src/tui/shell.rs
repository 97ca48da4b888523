//! What every feature shares and may change: which pane has the focus, the open popup, the
//! status line, the terminal's size and the clock, whether a redraw is due, and the effects
//! asked for so far. Features get `&mut Shell` next to their own state, so they never need the
//! whole app.

use super::actions::{ActionsView, ConfirmState};
use super::containers::RowId;
use super::effect::Effect;
use super::layout::PaneId;
use super::marking::MarkTarget;
use crate::timeline::CommitId;
use ratatui::layout::Rect;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusMessage {
    pub text: String,
    pub severity: Severity,
    pub until: Instant,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help {
        scroll: u16,
    },
    /// One container's or host listener's details.
    Details {
        row: RowId,
        scroll: u16,
    },
    Confirm(Box<ConfirmState>),
    Actions(ActionsView),
    /// `f`: which port or range to block.
    PortPrompt {
        text: String,
    },
    /// Every location of one secret finding.
    SecretDetails {
        index: usize,
        scroll: u16,
    },
    /// `m`: the one-line note for a checklist mark.
    MarkPrompt {
        target: Box<MarkTarget>,
        text: String,
    },
    /// One commit of the timeline: message, identities, files, signals, secrets.
    CommitDetails {
        id: CommitId,
        scroll: u16,
    },
}

pub struct Shell {
    pub focus: PaneId,
    pub zoom: bool,
    pub popup: Option<Popup>,
    pub status: Option<StatusMessage>,
    pub size: Rect,
    pub now: jiff::Timestamp,
    /// Something changed since the last frame.
    pub dirty: bool,
    pub should_quit: bool,
    /// Ctrl-C was pressed: like SIGINT, it stops a running action at its next safe point.
    pub ctrl_c: bool,
    /// Observer mode: every key that would change the host is refused here, and the runner has
    /// no `Operator` to do it with anyway.
    pub read_only: bool,
    /// Escaped for the header.
    pub host_name: String,
    /// When this session started (the secret scan waits a little for the containers).
    pub started: Instant,
    /// The audit log as last read: actions cut short and strays raise the header's marker.
    pub journal: crate::incident::snapshot::JournalView,
    /// The largest scroll of the open text popup, as its last frame measured it: keys stop
    /// there, so `End` shows the last page and `Up` moves at once.
    pub popup_max_scroll: std::cell::Cell<u16>,
    effects: Vec<Effect>,
}

impl Shell {
    pub fn new(read_only: bool) -> Shell {
        Shell {
            focus: PaneId::Containers,
            zoom: false,
            popup: None,
            status: None,
            size: Rect::new(0, 0, 80, 24),
            now: jiff::Timestamp::now(),
            dirty: true,
            should_quit: false,
            ctrl_c: false,
            read_only,
            host_name: crate::util::text::escape(&crate::util::host::host_name()).into_owned(),
            started: Instant::now(),
            journal: Default::default(),
            popup_max_scroll: std::cell::Cell::new(u16::MAX),
            effects: Vec::new(),
        }
    }

    /// Asks the runner for some work.
    pub fn push(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    /// The effects asked for since the last call.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// A status line: information for a few seconds, warnings and errors longer.
    pub fn say(&mut self, text: impl Into<String>, severity: Severity) {
        let seconds = if severity == Severity::Info { 6 } else { 15 };
        self.status = Some(StatusMessage {
            text: text.into(),
            severity,
            until: Instant::now() + Duration::from_secs(seconds),
        });
        self.dirty = true;
    }

    pub fn say_info(&mut self, text: impl Into<String>) {
        self.say(text, Severity::Info);
    }

    pub fn say_warn(&mut self, text: impl Into<String>) {
        self.say(text, Severity::Warn);
    }

    pub fn say_error(&mut self, text: impl Into<String>) {
        self.say(text, Severity::Error);
    }

    /// The clock moved: expired status messages go.
    pub fn tick(&mut self, now: jiff::Timestamp) {
        self.now = now;
        if self
            .status
            .as_ref()
            .is_some_and(|s| s.until <= Instant::now())
        {
            self.status = None;
        }
        self.dirty = true;
    }
}
