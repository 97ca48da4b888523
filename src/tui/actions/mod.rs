//! The TUI side of remediation: plan -> confirmation popup -> execution with live progress ->
//! result, and the actions view with undo. State changes only (on the shell, where popups
//! live); the runner does the work (`Effect::PlanStop`, `Effect::Execute`, ...) through an
//! `Operator` that observer mode never builds. `confirm`, `list` and `port_prompt` draw the
//! three popups.

pub mod confirm;
pub mod list;
pub mod port_prompt;

use super::app::{Effect, Popup, Severity, Shell};
use super::keymap::Remediation;
use crate::incident::snapshot::JournalView;
use crate::ops::audit::ActionSummary;
use crate::ops::strays::Stray;
use crate::ops::{Confirmation, Outcome, Plan, StepUpdate};
use crossterm::event::{KeyCode, KeyEvent};
use std::time::Instant;

#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmPhase {
    /// Waiting for the answer. The default is No.
    Asking,
    /// Confirmed and running; the UI keeps redrawing meanwhile.
    Running {
        since: Instant,
    },
    Done {
        ok: bool,
        message: String,
    },
}

/// Where one step of a running plan stands.
#[derive(Debug, Clone, PartialEq)]
pub enum StepState {
    Pending,
    Running(Instant),
    Done(std::time::Duration),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmState {
    pub plan: Plan,
    pub typed: String,
    pub phase: ConfirmPhase,
    /// One entry per plan step, updated live while the action runs.
    pub steps: Vec<StepState>,
    /// Things outside the steps the executor reported (an automatic rollback).
    pub notes: Vec<String>,
    /// First plan row shown when the plan is taller than the popup.
    pub scroll: u16,
    /// The largest useful `scroll`, as of the last draw (drawing cannot change state).
    pub max_scroll: std::cell::Cell<u16>,
}

impl ConfirmState {
    pub fn new(plan: Plan) -> ConfirmState {
        ConfirmState {
            steps: vec![StepState::Pending; plan.steps.len()],
            plan,
            typed: String::new(),
            phase: ConfirmPhase::Asking,
            notes: Vec::new(),
            scroll: 0,
            max_scroll: std::cell::Cell::new(0),
        }
    }

    /// Applies one progress update from the executor.
    pub fn apply(&mut self, update: StepUpdate) {
        let now = Instant::now();
        match update {
            StepUpdate::Started(step) => {
                if let Some(state) = self.steps.get_mut(step) {
                    *state = StepState::Running(now);
                }
            }
            StepUpdate::Finished(step) => {
                if let Some(state) = self.steps.get_mut(step) {
                    let took = match state {
                        StepState::Running(since) => now.duration_since(*since),
                        _ => std::time::Duration::ZERO,
                    };
                    *state = StepState::Done(took);
                }
            }
            StepUpdate::Failed(step, error) => {
                if let Some(state) = self.steps.get_mut(step) {
                    *state = StepState::Failed(error);
                }
            }
            StepUpdate::Note(text) => self.notes.push(text),
        }
    }

    /// Arrow keys, PgUp/PgDn, Home/End move through a plan taller than the popup. Returns
    /// whether the key was a scroll key.
    fn scroll_key(&mut self, code: KeyCode) -> bool {
        let max = self.max_scroll.get();
        let page = 10;
        self.scroll = match code {
            KeyCode::Up => self.scroll.saturating_sub(1),
            KeyCode::Down => self.scroll.saturating_add(1).min(max),
            KeyCode::PageUp => self.scroll.saturating_sub(page),
            KeyCode::PageDown => self.scroll.saturating_add(page).min(max),
            KeyCode::Home => 0,
            KeyCode::End => max,
            _ => return false,
        };
        true
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActionsView {
    pub list: Vec<ActionSummary>,
    /// What vigil left that no journaled action accounts for, with the command to remove it.
    pub strays: Vec<Stray>,
    pub selected: usize,
    pub error: Option<String>,
    pub loading: bool,
}

impl Shell {
    /// `s`, `b`, `f`: refused in observer mode; otherwise a plan is asked for. `selected` is
    /// the selected container, `port` the port `f` suggests.
    pub fn request_remediation(
        &mut self,
        what: Remediation,
        selected: Option<&str>,
        port: Option<String>,
    ) {
        if self.read_only {
            self.say(
                format!(
                    "read-only: observer mode cannot {} anything",
                    what.verb().split(' ').next().unwrap_or("change")
                ),
                Severity::Warn,
            );
            return;
        }
        if what == Remediation::Block {
            // A port prompt, prefilled with the selected row's outside-reachable port; a range
            // like 5000-5003 can be typed instead.
            self.popup = Some(Popup::PortPrompt {
                text: port.unwrap_or_default(),
            });
            return;
        }
        let Some(id) = selected.map(str::to_string) else {
            self.say("select a container first", Severity::Info);
            return;
        };
        match what {
            Remediation::Stop => {
                self.say("planning stop…", Severity::Info);
                self.push(Effect::PlanStop(id));
            }
            Remediation::Rebind => {
                self.say("planning rebind…", Severity::Info);
                self.push(Effect::PlanRebind(id));
            }
            Remediation::Block => {}
        }
    }

    /// Keys in the port prompt of `f`: digits and `-`, Enter plans the block, Esc cancels.
    pub fn port_prompt_key(&mut self, key: KeyEvent) {
        let Some(Popup::PortPrompt { text }) = &mut self.popup else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                self.popup = None;
                self.say("cancelled; nothing was changed", Severity::Info);
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(ch) if (ch.is_ascii_digit() || ch == '-') && text.len() < 11 => {
                text.push(ch)
            }
            KeyCode::Enter => {
                let ports = text.clone();
                match crate::ops::block::spec(&ports, crate::ops::firewall::Proto::Tcp) {
                    Ok(spec) => {
                        self.popup = None;
                        self.say(format!("planning block of {ports}/tcp…"), Severity::Info);
                        self.push(Effect::PlanBlock(spec));
                    }
                    Err(error) => self.say(error.to_string(), Severity::Error),
                }
            }
            _ => {}
        }
        self.dirty = true;
    }

    /// `a`: the actions of this and earlier runs, from the audit log (readable in observer mode).
    /// What is known already shows at once, an action cut short selected: `u` or `r` is one
    /// key away.
    pub fn show_actions(&mut self) {
        let mut view = ActionsView {
            loading: true,
            ..ActionsView::default()
        };
        fill(&mut view, &self.journal);
        self.popup = Some(Popup::Actions(view));
        self.push(Effect::LoadActions(Vec::new()));
    }

    pub fn plan_ready(&mut self, result: Result<Plan, String>) {
        self.dirty = true;
        match result {
            Ok(plan) => {
                self.status = None;
                self.popup = Some(Popup::Confirm(Box::new(ConfirmState::new(plan))));
            }
            Err(error) => self.say(error.to_string(), Severity::Error),
        }
    }

    /// A step of the running action started, ended or failed: shown live in its popup.
    pub fn action_progress(&mut self, plan_id: &str, update: StepUpdate) {
        if let Some(Popup::Confirm(state)) = &mut self.popup
            && state.plan.id == plan_id
        {
            state.apply(update);
            self.dirty = true;
        }
    }

    pub fn action_finished(&mut self, plan_id: &str, result: Result<Outcome, String>) {
        self.dirty = true;
        let (ok, message) = match result {
            Ok(outcome) if outcome.error.is_none() => {
                (true, format!("{}: {}", outcome.result, plan_id))
            }
            Ok(outcome) => (
                false,
                format!("failed: {}", outcome.error.unwrap_or_default()),
            ),
            Err(message) => (false, message),
        };
        self.say(
            message.clone(),
            if ok { Severity::Info } else { Severity::Error },
        );
        if let Some(Popup::Confirm(state)) = &mut self.popup
            && state.plan.id == plan_id
        {
            state.phase = ConfirmPhase::Done { ok, message };
        }
        // The header's marker and the actions view follow the audit log.
        self.push(Effect::LoadActions(Vec::new()));
    }

    /// The audit log was read: kept for the header's marker, shown in the actions view.
    pub fn actions_loaded(&mut self, journal: JournalView) {
        self.dirty = true;
        self.journal = journal;
        if let Some(Popup::Actions(view)) = &mut self.popup {
            let first = view.loading;
            view.loading = false;
            fill(view, &self.journal);
            if first {
                select_first_cut_short(view);
            }
        }
    }

    /// Keys while the confirmation popup is open. Anything but the exact answer cancels.
    pub fn confirm_key(&mut self, key: KeyEvent) {
        let Some(Popup::Confirm(state)) = &mut self.popup else {
            return;
        };
        if state.scroll_key(key.code) {
            self.dirty = true;
            return;
        }
        match &state.phase {
            ConfirmPhase::Running { .. } => {}
            ConfirmPhase::Done { .. } => self.popup = None,
            ConfirmPhase::Asking => match (&state.plan.confirmation, key.code) {
                (_, KeyCode::Esc) => self.cancel_plan("cancelled"),
                (Confirmation::YesNo, KeyCode::Char('y' | 'Y')) => self.start_execution(),
                (Confirmation::YesNo, _) => self.cancel_plan("cancelled (default answer is No)"),
                (Confirmation::Type(_), KeyCode::Backspace) => {
                    state.typed.pop();
                }
                (Confirmation::Type(_), KeyCode::Enter) => {
                    let typed = state.typed.clone();
                    if state.plan.is_confirmed_by(&typed) {
                        self.start_execution();
                    } else {
                        self.cancel_plan("cancelled: the typed text did not match");
                    }
                }
                (Confirmation::Type(_), KeyCode::Char(ch))
                    if !ch.is_control() && state.typed.len() < 256 =>
                {
                    state.typed.push(ch);
                }
                _ => {}
            },
        }
        self.dirty = true;
    }

    fn cancel_plan(&mut self, why: &str) {
        self.popup = None;
        self.say(format!("{why}; nothing was changed"), Severity::Info);
    }

    fn start_execution(&mut self) {
        let Some(Popup::Confirm(state)) = &mut self.popup else {
            return;
        };
        if state.plan.refused.is_some() {
            return;
        }
        state.phase = ConfirmPhase::Running {
            since: Instant::now(),
        };
        let plan = state.plan.clone();
        self.push(Effect::Execute(Box::new(plan)));
    }

    /// Keys in the actions view: move, `u` undo the selected action, `r` reload, Esc close.
    pub fn actions_key(&mut self, key: KeyEvent) {
        let Some(Popup::Actions(view)) = &mut self.popup else {
            return;
        };
        match key.code {
            KeyCode::Esc | KeyCode::Char('q' | 'a') => self.popup = None,
            KeyCode::Char('j') | KeyCode::Down => {
                view.selected = (view.selected + 1).min(view.list.len().saturating_sub(1));
            }
            KeyCode::Char('k') | KeyCode::Up => view.selected = view.selected.saturating_sub(1),
            KeyCode::Char('l') => self.push(Effect::LoadActions(Vec::new())),
            KeyCode::Char('r') => {
                let Some(action) = view.list.get(view.selected).cloned() else {
                    return;
                };
                if self.read_only {
                    self.say(
                        "read-only: observer mode cannot resume anything",
                        Severity::Warn,
                    );
                } else {
                    self.say(
                        format!("planning resume of {}…", action.action_id),
                        Severity::Info,
                    );
                    self.push(Effect::PlanResume(action.action_id));
                }
            }
            KeyCode::Char('c') => {
                let Some(action) = view.list.get(view.selected).cloned() else {
                    return;
                };
                if self.read_only {
                    self.say(
                        "read-only: observer mode cannot commit anything",
                        Severity::Warn,
                    );
                } else {
                    self.say(
                        format!("planning commit of {}…", action.action_id),
                        Severity::Info,
                    );
                    self.push(Effect::PlanCommit(action.action_id));
                }
            }
            KeyCode::Char('u') => {
                let Some(action) = view.list.get(view.selected).cloned() else {
                    return;
                };
                if self.read_only {
                    self.say(
                        "read-only: observer mode cannot undo anything",
                        Severity::Warn,
                    );
                } else {
                    self.say(
                        format!("planning undo of {}…", action.action_id),
                        Severity::Info,
                    );
                    self.push(Effect::PlanUndo(action.action_id));
                }
            }
            _ => {}
        }
        self.dirty = true;
    }
}

/// The journal's actions (newest first: the last action is the one most likely to be undone),
/// strays and problems, in the view.
fn fill(view: &mut ActionsView, journal: &JournalView) {
    let mut list = journal.actions.clone();
    list.reverse();
    view.selected = view.selected.min(list.len().saturating_sub(1));
    view.list = list;
    view.strays = journal.strays.clone();
    view.error = (!journal.problems.is_empty()).then(|| journal.problems.join("; "));
}

/// Selects the newest action cut short, if any.
fn select_first_cut_short(view: &mut ActionsView) {
    if let Some(index) = view.list.iter().position(ActionSummary::needs_attention) {
        view.selected = index;
    }
}
