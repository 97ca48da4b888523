//! The app: a shell that routes. It owns each feature's state (containers, GPUs, timeline,
//! secrets), the checklist marks and the `Shell` they share, and changes only in `handle`.
//! Nothing here does I/O: work for the outside world is asked for as `Effect`s, which the
//! `Runner` carries out and answers with `Msg`s.

pub use super::effect::Effect;
pub use super::shell::{Popup, Severity, Shell, StatusMessage};

use super::containers::ContainersPane;
use super::gpu::{GpuPane, GpuRequest};
use super::keymap::{self, Action, Remediation};
use super::layout::{self, Areas, PaneId};
use super::marking::MarkTarget;
use super::msg::Msg;
use super::secrets::{Rescan, ScanState, SecretsPane};
use super::theme::Theme;
use super::timeline::TimelinePane;
use crate::config::Settings;
use crate::incident::checklist::{self, Checklist};
use crate::incident::marks::Marks;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::time::{Duration, Instant};

/// How long the secret scan waits for the containers' details before it starts without them
/// (an engine that hangs must not hold the secrets back).
const INVENTORY_PATIENCE: Duration = Duration::from_secs(10);

pub struct App {
    pub(super) settings: Settings,
    pub(super) theme: Theme,
    pub(super) shell: Shell,
    pub(super) containers: ContainersPane,
    pub(super) gpu: GpuPane,
    pub(super) timeline: TimelinePane,
    pub(super) secrets: SecretsPane,
    /// Checklist marks of this host; empty (and not saved) until `with_marks`.
    pub(super) marks: Marks,
    /// The recovery checklist's numbers, recomputed when containers, findings, timelines or
    /// marks change (never while drawing: it walks every commit).
    pub(super) checklist: Checklist,
    /// The timeline's path globs, compiled when the first timeline arrives (not on the way to
    /// the first frame).
    timeline_rules: Option<crate::timeline::paths::PathRules>,
    /// When `R` was pressed, for the time shown with the written report.
    report_requested: Option<Instant>,
    /// The journal was read once for the header's marker (after the first container list).
    journal_requested: bool,
}

impl App {
    pub fn new(settings: Settings, theme: Theme) -> App {
        let endpoint = settings.docker().endpoint();
        App {
            shell: Shell::new(settings.read_only),
            containers: ContainersPane::new(endpoint, settings.probe_enabled),
            gpu: GpuPane::new(settings.gpu_interval_ms, settings.gpu_history_secs),
            timeline: TimelinePane::default(),
            secrets: SecretsPane::default(),
            marks: Marks::default(),
            checklist: Checklist::default(),
            timeline_rules: None,
            report_requested: None,
            journal_requested: false,
            settings,
            theme,
        }
    }

    /// The checklist marks of this host (loaded from vigil's state directory).
    pub fn with_marks(mut self, marks: Marks) -> App {
        self.marks = marks;
        self.rebuild_rows();
        self
    }

    /// Shows a configuration or theme problem without stopping.
    pub fn show_problem(&mut self, problem: String) {
        self.shell.say_error(problem);
    }

    pub fn show_warning(&mut self, text: &str) {
        self.shell.say_warn(text);
    }

    /// The effects for the runner. Reading the journal needs the containers the pane holds
    /// (to find strays among them): they are filled in here, where the pane is. Once the first
    /// container list is in, the journal is read once for the header's marker.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        if !self.journal_requested && self.first_list_at().is_some() {
            self.journal_requested = true;
            self.shell.push(Effect::LoadActions(Vec::new()));
        }
        let containers = || self.containers.inventory.containers.clone();
        self.shell
            .take_effects()
            .into_iter()
            .map(|effect| match effect {
                Effect::LoadActions(_) => Effect::LoadActions(containers()),
                Effect::LoadReportActions(_) => Effect::LoadReportActions(containers()),
                other => other,
            })
            .collect()
    }

    pub fn needs_redraw(&self) -> bool {
        self.shell.dirty
    }

    pub fn drawn(&mut self) {
        self.shell.dirty = false;
    }

    pub fn should_quit(&self) -> bool {
        self.shell.should_quit
    }

    /// True once after Ctrl-C was pressed (the event loop treats it like SIGINT).
    pub fn take_ctrl_c(&mut self) -> bool {
        std::mem::take(&mut self.shell.ctrl_c)
    }

    /// When the first container list arrived (for the start-up measurement).
    pub fn first_list_at(&self) -> Option<Instant> {
        self.containers.first_list_at
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.shell.size = ratatui::layout::Rect::new(0, 0, width, height);
        self.containers.keep_selection_visible(&self.areas());
        self.shell.dirty = true;
    }

    pub(super) fn areas(&self) -> Areas {
        layout::compute(
            self.shell.size,
            self.shell.focus,
            self.shell.zoom,
            self.containers.listener_rows.len(),
        )
    }

    /// The one place the app changes.
    pub fn handle(&mut self, msg: Msg) {
        if !matches!(msg, Msg::Sample(_)) {
            self.shell.dirty = true;
        }
        match msg {
            Msg::Terminal(event) => self.on_event(event),
            Msg::Tick(now) => self.tick(now),
            Msg::Docker(update) => {
                if self.containers.apply_docker(update, &mut self.shell) {
                    self.secrets_containers_changed();
                }
                self.rebuild_rows();
                self.maybe_start_secret_scan();
            }
            Msg::Listeners(update) => {
                self.containers.apply_listeners(update, &mut self.shell);
                self.rebuild_rows();
            }
            Msg::Ruleset(update) => {
                self.containers.apply_ruleset(*update);
                self.rebuild_rows();
            }
            Msg::Probe(key, report) => {
                self.containers.apply_probe(key, report);
                self.rebuild_rows();
            }
            Msg::Sample(sample) => self.apply_sample(*sample),
            Msg::SecretsProgress(update) => self.secrets.progress(update),
            Msg::SecretsDone(result) => self.secrets_done(*result),
            Msg::Timeline(stage) => {
                let scoring = &self.settings.timeline;
                let rules = self
                    .timeline_rules
                    .get_or_insert_with(|| compiled_rules(scoring));
                let findings = self.secrets.findings();
                self.timeline.apply(stage, rules, scoring, findings);
                self.refresh_checklist();
                self.maybe_start_secret_scan();
            }
            Msg::CommitDetails(id, details) => {
                self.timeline.details_loaded(id, details, &self.shell.popup)
            }
            Msg::PlanReady(result) => self.shell.plan_ready(result.map(|plan| *plan)),
            Msg::StepProgress(plan_id, update) => self.shell.action_progress(&plan_id, update),
            Msg::ActionFinished(plan_id, result) => self.shell.action_finished(&plan_id, result),
            Msg::ActionsLoaded(journal) => self.shell.actions_loaded(journal),
            Msg::ReportActions(journal) => self.build_report(journal),
            Msg::ReportWritten(result) => self.report_written(result),
            Msg::MarkSaved(result) => {
                self.shell.mark_saved(&result);
                if let Ok(mark) = result {
                    self.marks.remember(mark);
                }
                self.rebuild_rows();
            }
        }
    }

    /// Every second: the clock and uptimes move, status messages expire; the first tick starts
    /// the commit timeline.
    fn tick(&mut self, now: jiff::Timestamp) {
        self.shell.tick(now);
        if !self.timeline.started {
            self.timeline.start(&self.settings.repos, &mut self.shell);
        }
        self.maybe_start_secret_scan();
    }

    /// Recomputes the display rows (they carry their marks) and the checklist.
    fn rebuild_rows(&mut self) {
        let areas = self.areas();
        self.containers.rebuild_rows(&self.marks, &areas);
        self.refresh_checklist();
        self.shell.dirty = true;
    }

    fn refresh_checklist(&mut self) {
        self.checklist = checklist::compute(
            &self.containers.inventory,
            self.secrets.findings(),
            &self.timeline.timelines(),
            &self.marks,
            self.settings.timeline.threshold,
        );
    }

    fn apply_sample(&mut self, sample: crate::collect::sampler::Sample) {
        let names = self.containers.inventory.container_names();
        let applied = self.gpu.apply_sample(sample, &names);
        let risks_changed = self
            .gpu
            .snapshot
            .as_ref()
            .is_some_and(|s| self.containers.inventory.apply_gpu(s));
        if risks_changed {
            self.rebuild_rows();
        }
        if applied.redraw {
            self.shell.dirty = true;
        }
    }

    // ----- the secret scan -------------------------------------------------------------------

    /// The scan starts once the timelines are read (it reads the same history, and the pane
    /// should fill first) and the containers are known, so their environments and launch
    /// arguments are in it; after `INVENTORY_PATIENCE` it starts with what is known.
    fn maybe_start_secret_scan(&mut self) {
        if self.secrets.state != ScanState::NotStarted || !self.timeline.started {
            return;
        }
        let containers_known =
            self.containers.inventory_settled || self.shell.started.elapsed() >= INVENTORY_PATIENCE;
        if self.timeline.all_read() && containers_known {
            self.start_secret_scan();
        }
    }

    pub(super) fn start_secret_scan(&mut self) {
        let details = self
            .containers
            .inventory
            .details
            .values()
            .cloned()
            .collect();
        let mut options = self.settings.secret_scan(Some(details));
        // One core stays free for the screen while a big history is read.
        options.limits.threads = options.limits.threads.saturating_sub(1).max(1);
        let covering = self.containers.inspected_ids();
        self.secrets.start(options, covering, &mut self.shell);
    }

    fn secrets_done(&mut self, result: Result<crate::secrets::scan::ScanReport, String>) {
        if self.secrets.done(result, self.shell.now, &mut self.shell) {
            let findings = self.secrets.findings();
            self.timeline
                .secrets_changed(findings, &self.settings.timeline);
        }
        self.refresh_checklist();
        // Containers that came while it ran are judged now.
        self.secrets_containers_changed();
    }

    /// Containers were inspected: a quick scan is repeated so they are covered; after a long
    /// one the pane offers `r`.
    pub(super) fn secrets_containers_changed(&mut self) {
        let current = self.containers.inspected_ids();
        if self.secrets.containers_changed(&current) == Rescan::Now {
            self.start_secret_scan();
        }
    }

    // ----- the report ------------------------------------------------------------------------

    /// `R`: the audit log is read off the loop first; the report is then built from the panes.
    fn request_report(&mut self) {
        self.report_requested = Some(Instant::now());
        self.shell.say_info("writing the incident report…");
        self.shell.push(Effect::LoadReportActions(Vec::new()));
    }

    fn build_report(&mut self, journal: crate::incident::snapshot::JournalView) {
        let text = super::report::markdown(self, journal);
        self.shell.push(Effect::SaveReport(text));
    }

    fn report_written(&mut self, result: Result<std::path::PathBuf, String>) {
        let took = self
            .report_requested
            .take()
            .map_or(0, |at| at.elapsed().as_millis());
        match result {
            Ok(path) => self.shell.say_info(format!(
                "incident report written to {} ({took} ms)",
                path.display()
            )),
            Err(message) => self
                .shell
                .say_error(format!("report not written: {message}")),
        }
    }

    // ----- input -----------------------------------------------------------------------------

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Event::Mouse(mouse) => self.on_mouse(mouse),
            Event::Resize(width, height) => self.resize(width, height),
            _ => {}
        }
    }

    fn on_key(&mut self, key: KeyEvent) {
        // Ctrl-C quits from anywhere, whatever is open; `q` first closes a popup.
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.shell.should_quit = true;
            self.shell.ctrl_c = true;
            return;
        }
        if self.containers.filter_editing {
            self.containers.edit_filter(key);
            self.rebuild_rows();
            return;
        }
        match &self.shell.popup {
            Some(Popup::Confirm(_)) => self.shell.confirm_key(key),
            Some(Popup::Actions(_)) => self.shell.actions_key(key),
            Some(Popup::PortPrompt { .. }) => self.shell.port_prompt_key(key),
            Some(Popup::MarkPrompt { .. }) => self.shell.mark_prompt_key(key, &self.marks),
            _ => {
                if let Some(action) = keymap::resolve(key) {
                    self.update(action);
                }
            }
        }
    }

    /// A key's action: the app's own first, then the focused pane's.
    pub fn update(&mut self, action: Action) {
        self.shell.dirty = true;
        if let Some(popup) = self.shell.popup.clone() {
            self.update_popup(popup, action);
            return;
        }
        if !self.app_action(action) {
            self.pane_action(action);
        }
        self.containers.keep_selection_visible(&self.areas());
    }

    /// Keys that mean the same in every pane. False when the focused pane should have it.
    fn app_action(&mut self, action: Action) -> bool {
        let focus = self.shell.focus.index();
        match action {
            Action::Quit => self.shell.should_quit = true,
            Action::Help => self.shell.popup = Some(Popup::Help { scroll: 0 }),
            Action::FocusNext => self.shell.focus = PaneId::from_index(focus + 1),
            Action::FocusPrev => self.shell.focus = PaneId::from_index(focus + 3),
            Action::FocusPane(n) => self.shell.focus = PaneId::from_index(n),
            Action::Zoom => self.shell.zoom = !self.shell.zoom,
            Action::Filter => {
                self.shell.focus = PaneId::Containers;
                self.containers.filter_editing = true;
            }
            Action::Back => {
                if !self.containers.filter.is_empty() {
                    self.containers.filter.clear();
                    self.rebuild_rows();
                } else {
                    self.shell.zoom = false;
                }
            }
            Action::ShowActions => self.shell.show_actions(),
            Action::Mark => {
                let target = self.mark_target();
                self.shell.request_mark(target, &self.marks);
            }
            Action::Report => self.request_report(),
            _ => return false,
        }
        true
    }

    fn pane_action(&mut self, action: Action) {
        match self.shell.focus {
            PaneId::Secrets => {
                if self.secrets.handle(action, &mut self.shell) {
                    self.start_secret_scan();
                }
            }
            PaneId::Commits => {
                if self.timeline.handle(action, &mut self.shell) {
                    self.timeline.start(&self.settings.repos, &mut self.shell);
                }
            }
            PaneId::Gpu => match self.gpu.handle(action, &mut self.shell) {
                Some(GpuRequest::Remediate(what, Some(container))) => {
                    self.containers.select_container(container);
                    self.request_remediation(what);
                }
                Some(GpuRequest::Remediate(what, None)) => self.request_remediation(what),
                None => {}
            },
            PaneId::Containers => {
                let areas = self.areas();
                if self.containers.navigate(action, &areas, &mut self.shell) {
                    return;
                }
                match action {
                    Action::Remediate(what) => self.request_remediation(what),
                    Action::Order | Action::NextSource | Action::PrevSource => self
                        .shell
                        .say_info("o, [ and ] work in the timeline pane (3)"),
                    _ => {}
                }
            }
        }
    }

    fn request_remediation(&mut self, what: Remediation) {
        let port = self.containers.suggested_block_port();
        let selected = self.containers.selected_container();
        self.shell.request_remediation(what, selected, port);
    }

    /// The item `m` would mark in the focused pane.
    pub(super) fn mark_target(&self) -> Option<MarkTarget> {
        let container = |id: &str| {
            let (raw, shown) = self.containers.names_of(id)?;
            Some(MarkTarget::container(raw, &shown))
        };
        match self.shell.focus {
            PaneId::Containers => container(self.containers.selected_container()?),
            PaneId::Gpu => container(&self.gpu.selected_container()?),
            PaneId::Secrets => Some(MarkTarget::secret(self.secrets.selected_finding()?)),
            PaneId::Commits => Some(MarkTarget::commit(self.timeline.selected_commit()?)),
        }
    }

    /// Scrolling and closing the popup that is open.
    fn update_popup(&mut self, popup: Popup, action: Action) {
        // Never past the end the last frame measured (until a frame has, the text's own height
        // bounds it: no popup has 65,535 rows).
        let max = i32::from(self.shell.popup_max_scroll.get());
        let scroll_by =
            |scroll: u16, delta: i32| (i32::from(scroll).min(max) + delta).clamp(0, max) as u16;
        let page = self.shell.size.height.saturating_sub(6).max(1) as i32;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Home => -max,
            Action::End => max,
            Action::Back | Action::Quit | Action::Open | Action::Help => {
                self.shell.popup = None;
                return;
            }
            Action::Remediate(_) => {
                self.shell.popup = None;
                self.update(action);
                return;
            }
            _ => 0,
        };
        self.shell.popup = Some(match popup {
            Popup::Help { scroll } => Popup::Help {
                scroll: scroll_by(scroll, delta),
            },
            Popup::Details { row, scroll } => Popup::Details {
                row,
                scroll: scroll_by(scroll, delta),
            },
            Popup::SecretDetails { index, scroll } => Popup::SecretDetails {
                index,
                scroll: scroll_by(scroll, delta),
            },
            Popup::CommitDetails { id, scroll } => Popup::CommitDetails {
                id,
                scroll: scroll_by(scroll, delta),
            },
            other => other,
        });
    }

    fn on_mouse(&mut self, mouse: crossterm::event::MouseEvent) {
        use crossterm::event::{MouseButton, MouseEventKind};
        let position = ratatui::layout::Position::new(mouse.column, mouse.row);
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if self.shell.popup.take().is_some() {
                    return;
                }
                let areas = self.areas();
                if let Some(tabs) = areas.tabs
                    && tabs.contains(position)
                {
                    let slot = ((mouse.column - tabs.x) as usize * 4) / tabs.width.max(1) as usize;
                    self.shell.focus = PaneId::from_index(slot.min(3));
                    return;
                }
                if let Some(pane) = PaneId::ALL
                    .into_iter()
                    .find(|p| areas.pane(*p).is_some_and(|r| r.contains(position)))
                {
                    self.shell.focus = pane;
                }
                self.containers.click(&areas, position);
            }
            MouseEventKind::ScrollDown => self.update(Action::Down),
            MouseEventKind::ScrollUp => self.update(Action::Up),
            _ => {}
        }
    }
}

fn compiled_rules(
    scoring: &crate::timeline::signals::Scoring,
) -> crate::timeline::paths::PathRules {
    scoring.path_rules().unwrap_or_else(|_| {
        crate::timeline::signals::Scoring::default()
            .path_rules()
            .expect("the built-in globs compile")
    })
}
