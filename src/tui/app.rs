//! The TUI's state and the only place it changes: `apply_*` for collector updates, `update` for
//! actions, `on_mouse` for clicks. Nothing here does I/O; work for the outside world is returned as
//! `Effect`s for the event loop to carry out.

use super::keymap::{self, Action};
use super::layout::{self, Areas, PaneId};
use crate::collect::docker::DockerUpdate;
use crate::collect::listeners::ListenerUpdate;
use crate::config::Settings;
use crate::incident::inventory::{Inventory, ProbeKey};
use crate::model::{
    AuthKind, ContainerState, Exposure, Health, PortBinding, ProbeReport, RiskLevel,
};
use crate::tui::theme::Theme;
use crate::util::text::escape;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Work the event loop does on the app's behalf.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Probe(Vec<(ProbeKey, PortBinding)>),
    /// Plan stopping this container (read-only work; the plan comes back for confirmation).
    PlanStop(String),
    /// Plan the undo of a recorded action.
    PlanUndo(String),
    /// Plan rebinding this container's ports to 127.0.0.1.
    PlanRebind(String),
    /// Plan committing a rebind (removing NAME-prev).
    PlanCommit(String),
    /// Plan blocking these ports in the firewall.
    PlanBlock(crate::ops::plan::FirewallSpec),
    /// Carry out a confirmed plan through the Operator.
    Execute(Box<crate::ops::Plan>),
    /// Read the audit log for the actions view.
    LoadActions,
    /// Containers changed, so docker-proxy sockets did too: read the socket table now.
    RescanListeners,
    /// Run the secret scan (this generation; a newer one replaces it).
    ScanSecrets(u64, Box<crate::secrets::scan::ScanOptions>),
    /// Read the commit timelines of these repositories (this generation), then count lines.
    LoadTimelines(u64, Vec<std::path::PathBuf>),
    /// Read one commit's full message and raw identity lines for its details.
    LoadCommitDetails(std::path::PathBuf, crate::timeline::CommitId),
    /// Write the incident report from the panes' data.
    WriteReport,
    /// Write a checklist mark (or take one back) to vigil's state directory.
    SaveMark {
        kind: crate::incident::marks::MarkKind,
        key: String,
        note: String,
        cleared: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum DockerStatus {
    Connecting {
        endpoint: String,
    },
    Connected {
        endpoint: String,
        server_version: String,
        api_version: String,
    },
    Down {
        endpoint: String,
        reason: String,
        retry_in: Duration,
    },
}

/// What the selection points at. Ids, not indexes, so rows can re-sort under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowId {
    Container(String),
    Listener(IpAddr, u16),
}

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
    Details {
        row: RowId,
        scroll: u16,
    },
    Confirm(Box<super::remediation::ConfirmState>),
    Actions(super::remediation::ActionsView),
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
        target: Box<super::marking::MarkTarget>,
        text: String,
    },
    /// One commit of the timeline: message, identities, files, signals, secrets.
    CommitDetails {
        id: crate::timeline::CommitId,
        scroll: u16,
    },
}

/// One container row, display-ready: every host string already escaped.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerRow {
    pub id: String,
    pub name: String,
    pub short_id: String,
    pub image: String,
    pub state: ContainerState,
    pub health: Health,
    pub exit_code: Option<i64>,
    pub started_at: Option<String>,
    pub exposure: Exposure,
    pub auth: AuthKind,
    pub auth_pending: bool,
    pub risk: RiskLevel,
    pub top_reason: String,
    pub ports: Vec<String>,
    /// `0:2.0G 1:512M`: GPU memory its processes hold, per card; empty when none.
    pub gpu: String,
    /// Marked on the recovery checklist (isolated, or exposure accepted).
    pub marked: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListenerRow {
    pub address: IpAddr,
    pub port: u16,
    pub shown_address: String,
    pub exposure: Exposure,
    pub owner: String,
}

pub struct App {
    pub settings: Settings,
    pub theme: Theme,
    pub host_name: String,
    pub read_only: bool,
    pub focus: PaneId,
    pub zoom: bool,
    pub docker: DockerStatus,
    pub inventory: Inventory,
    pub listeners_problem: Option<String>,
    pub container_rows: Vec<ContainerRow>,
    pub listener_rows: Vec<ListenerRow>,
    pub selected: Option<RowId>,
    /// False until the user moves the selection: until then it follows the first (riskiest) row.
    pub selection_chosen: bool,
    pub container_offset: usize,
    pub listener_offset: usize,
    pub filter: String,
    pub filter_editing: bool,
    pub popup: Option<Popup>,
    pub status: Option<StatusMessage>,
    pub size: Rect,
    pub now: jiff::Timestamp,
    pub should_quit: bool,
    pub dirty: bool,
    /// Set once the first container list arrived, for the start-up measurement.
    pub first_list_at: Option<Instant>,
    pub secrets: super::secrets::SecretsView,
    pub timeline: super::timeline::TimelineView,
    pub gpu: super::gpu::GpuView,
    /// Checklist marks of this host; empty (and not saved) until `tui::run` loads them.
    pub marks: crate::incident::marks::Marks,
    /// The recovery checklist's numbers, recomputed when containers, findings, timelines or
    /// marks change (never while drawing: it walks every commit).
    pub checklist: crate::incident::checklist::Checklist,
    /// The timeline's path globs, compiled once.
    pub timeline_rules: crate::timeline::paths::PathRules,
    effects: Vec<Effect>,
}

impl App {
    pub fn new(settings: Settings, theme: Theme) -> App {
        let endpoint = settings.docker().endpoint();
        let settings_timeline = settings.timeline.clone();
        let settings_gpu = (settings.gpu_interval_ms, settings.gpu_history_secs);
        App {
            read_only: settings.read_only,
            settings,
            theme,
            host_name: escape(&crate::util::host::host_name()).into_owned(),
            focus: PaneId::Containers,
            zoom: false,
            docker: DockerStatus::Connecting { endpoint },
            inventory: Inventory::default(),
            listeners_problem: None,
            container_rows: Vec::new(),
            listener_rows: Vec::new(),
            selected: None,
            selection_chosen: false,
            container_offset: 0,
            listener_offset: 0,
            filter: String::new(),
            filter_editing: false,
            popup: None,
            status: None,
            size: Rect::new(0, 0, 80, 24),
            now: jiff::Timestamp::now(),
            should_quit: false,
            dirty: true,
            first_list_at: None,
            secrets: Default::default(),
            timeline: Default::default(),
            gpu: super::gpu::GpuView::new(settings_gpu.0, settings_gpu.1),
            marks: Default::default(),
            checklist: Default::default(),
            // Checked when the settings were resolved; the defaults always compile.
            timeline_rules: settings_rules(&settings_timeline),
            effects: Vec::new(),
        }
    }

    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    pub fn areas(&self) -> Areas {
        layout::compute(self.size, self.focus, self.zoom, self.listener_rows.len())
    }

    pub fn say_status(&mut self, text: impl Into<String>, severity: Severity) {
        self.say(text, severity);
    }

    pub fn push_effect(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    fn say(&mut self, text: impl Into<String>, severity: Severity) {
        let seconds = if severity == Severity::Info { 6 } else { 15 };
        self.status = Some(StatusMessage {
            text: text.into(),
            severity,
            until: Instant::now() + Duration::from_secs(seconds),
        });
        self.dirty = true;
    }

    /// Shows a configuration or theme problem without stopping.
    pub fn show_problem(&mut self, problem: String) {
        self.say(problem, Severity::Error);
    }

    // ----- collector updates -------------------------------------------------------------

    pub fn apply_docker(&mut self, update: DockerUpdate) {
        match update {
            DockerUpdate::Connecting { endpoint } => {
                if !matches!(self.docker, DockerStatus::Down { .. }) {
                    self.docker = DockerStatus::Connecting { endpoint };
                }
            }
            DockerUpdate::Connected {
                endpoint,
                server_version,
                api_version,
            } => {
                self.docker = DockerStatus::Connected {
                    endpoint,
                    server_version,
                    api_version,
                };
            }
            DockerUpdate::Down {
                endpoint,
                reason,
                retry_in,
            } => {
                self.docker = DockerStatus::Down {
                    endpoint,
                    reason,
                    retry_in,
                };
            }
            DockerUpdate::Containers(containers) => {
                self.first_list_at.get_or_insert_with(Instant::now);
                self.inventory.apply_containers(containers);
                self.effects.push(Effect::RescanListeners);
                self.schedule_probes();
            }
            DockerUpdate::Details(details) => {
                self.inventory.apply_details(*details);
                self.schedule_probes();
                self.secrets_containers_changed();
            }
        }
        self.rebuild_rows();
    }

    pub fn apply_listeners(&mut self, update: ListenerUpdate) {
        match update {
            ListenerUpdate::Listeners(listeners) => {
                self.listeners_problem = None;
                self.inventory.listeners = listeners;
                self.schedule_probes();
            }
            ListenerUpdate::Unavailable(problem) => self.listeners_problem = Some(problem),
        }
        self.rebuild_rows();
    }

    pub fn apply_probe(&mut self, key: ProbeKey, report: ProbeReport) {
        self.inventory.apply_probe(key, report);
        self.rebuild_rows();
    }

    /// Called every second: the clock and uptimes move, status messages expire.
    pub fn tick(&mut self, now: jiff::Timestamp) {
        self.now = now;
        if self
            .status
            .as_ref()
            .is_some_and(|s| s.until <= Instant::now())
        {
            self.status = None;
        }
        // The first tick starts the commit timeline. The secret scan (heavier, and it reads
        // the same history) starts once the timeline's commits are in, or at the next tick: the
        // container details are in by then.
        if !self.timeline.started {
            self.start_timelines();
        } else if self.secrets.state == super::secrets::ScanState::NotStarted {
            self.start_secret_scan();
        }
        self.dirty = true;
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = Rect::new(0, 0, width, height);
        self.keep_selection_visible();
        self.dirty = true;
    }

    fn schedule_probes(&mut self) {
        if !self.settings.probe_enabled {
            return;
        }
        let needed = self.inventory.probes_needed();
        if needed.is_empty() {
            return;
        }
        for (key, _) in &needed {
            self.inventory.pending.insert(key.clone());
        }
        self.effects.push(Effect::Probe(needed));
    }

    /// Recomputes the display rows from the inventory: assessment, sort, filter, selection.
    pub fn rebuild_rows(&mut self) {
        let filter = self.filter.to_lowercase();
        let assessed = self.inventory.assess_all();
        self.container_rows = assessed
            .into_iter()
            .map(|item| {
                let c = item.container;
                ContainerRow {
                    id: c.id.clone(),
                    name: escape(&c.name).into_owned(),
                    short_id: c.short_id().to_string(),
                    image: escape(&c.image).into_owned(),
                    state: c.state,
                    // The inspect result is fresher than the list's status text when both exist.
                    health: item.details.map_or(c.health, |d| {
                        if c.state == ContainerState::Running {
                            d.health.max_severity(c.health)
                        } else {
                            c.health
                        }
                    }),
                    exit_code: item.details.and_then(|d| d.exit_code),
                    started_at: item.details.and_then(|d| d.started_at.clone()),
                    exposure: item.assessment.exposure,
                    auth: item.assessment.auth,
                    auth_pending: item.assessment.ports.iter().any(|p| p.probe_pending),
                    risk: item.assessment.risk.level,
                    top_reason: item
                        .assessment
                        .risk
                        .reasons
                        .first()
                        .map(|r| escape(r).into_owned())
                        .unwrap_or_default(),
                    ports: item
                        .assessment
                        .ports
                        .iter()
                        .map(|p| p.binding.display())
                        .collect(),
                    gpu: item
                        .assessment
                        .gpu
                        .as_ref()
                        .map(|g| g.display())
                        .unwrap_or_default(),
                    marked: self
                        .marks
                        .is_marked(crate::incident::marks::MarkKind::Container, &c.name),
                }
            })
            .filter(|row| filter.is_empty() || row_matches(row, &filter))
            .collect();
        self.listener_rows = self
            .inventory
            .host_listeners()
            .into_iter()
            .map(|l| ListenerRow {
                address: l.address,
                port: l.port,
                shown_address: l.address_display(),
                exposure: l.exposure(),
                owner: escape(&l.owner_display()).into_owned(),
            })
            .filter(|row| {
                filter.is_empty()
                    || row.shown_address.to_lowercase().contains(&filter)
                    || row.owner.to_lowercase().contains(&filter)
                    || row.exposure.marker().to_lowercase().contains(&filter)
            })
            .collect();
        self.repair_selection();
        self.refresh_checklist();
        self.dirty = true;
    }

    fn selectable(&self) -> Vec<RowId> {
        self.container_rows
            .iter()
            .map(|r| RowId::Container(r.id.clone()))
            .chain(
                self.listener_rows
                    .iter()
                    .map(|r| RowId::Listener(r.address, r.port)),
            )
            .collect()
    }

    fn selected_index(&self) -> Option<usize> {
        let selected = self.selected.as_ref()?;
        self.selectable().iter().position(|row| row == selected)
    }

    /// Keeps a selection that still exists; otherwise selects the first row.
    fn repair_selection(&mut self) {
        if self.selected_index().is_none() || !self.selection_chosen {
            self.selected = self.selectable().into_iter().next();
        }
        self.keep_selection_visible();
    }

    fn select_index(&mut self, index: usize) {
        self.selection_chosen = true;
        let rows = self.selectable();
        if rows.is_empty() {
            self.selected = None;
            return;
        }
        self.selected = Some(rows[index.min(rows.len() - 1)].clone());
        self.keep_selection_visible();
    }

    /// Scrolls each table so the selected row is on screen.
    fn keep_selection_visible(&mut self) {
        let areas = self.areas();
        let visible_containers = areas.container_rows().max(1);
        let visible_listeners = areas.listener_rows().max(1);
        match self.selected_index() {
            Some(index) if index < self.container_rows.len() => {
                self.container_offset = scroll_to(self.container_offset, index, visible_containers);
            }
            Some(index) => {
                let index = index - self.container_rows.len();
                self.listener_offset = scroll_to(self.listener_offset, index, visible_listeners);
            }
            None => {}
        }
        self.container_offset = self
            .container_offset
            .min(self.container_rows.len().saturating_sub(visible_containers));
        self.listener_offset = self
            .listener_offset
            .min(self.listener_rows.len().saturating_sub(visible_listeners));
    }

    // ----- input ------------------------------------------------------------------------

    pub fn on_event(&mut self, event: Event) {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Event::Mouse(mouse) => self.on_mouse(mouse),
            Event::Resize(width, height) => self.resize(width, height),
            _ => {}
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        self.dirty = true;
        // Ctrl-C quits from anywhere, whatever is open; `q` first closes a popup.
        if key.code == KeyCode::Char('c')
            && key
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL)
        {
            self.should_quit = true;
            return;
        }
        if self.filter_editing {
            self.edit_filter(key);
            return;
        }
        match &self.popup {
            Some(Popup::Confirm(_)) => return self.confirm_key(key),
            Some(Popup::Actions(_)) => return self.actions_key(key),
            Some(Popup::PortPrompt { .. }) => return self.port_prompt_key(key),
            Some(Popup::MarkPrompt { .. }) => return self.mark_prompt_key(key),
            _ => {}
        }
        if let Some(action) = keymap::resolve(key) {
            self.update(action);
        }
    }

    fn edit_filter(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Enter => self.filter_editing = false,
            KeyCode::Esc => {
                self.filter_editing = false;
                self.filter.clear();
            }
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(ch) if !ch.is_control() && self.filter.chars().count() < 64 => {
                self.filter.push(ch);
            }
            _ => {}
        }
        self.rebuild_rows();
    }

    pub fn update(&mut self, action: Action) {
        self.dirty = true;
        if let Some(popup) = self.popup.clone() {
            self.update_popup(popup, action);
            return;
        }
        let rows = self.selectable().len();
        let page = self.areas().container_rows().max(1);
        let index = self.selected_index().unwrap_or(0);
        match action {
            Action::Quit => self.should_quit = true,
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::FocusNext => self.focus = PaneId::from_index(self.focus.index() + 1),
            Action::FocusPrev => self.focus = PaneId::from_index(self.focus.index() + 3),
            Action::FocusPane(n) => self.focus = PaneId::from_index(n),
            Action::Zoom => self.zoom = !self.zoom,
            Action::Filter => {
                self.focus = PaneId::Containers;
                self.filter_editing = true;
            }
            Action::Back => {
                if !self.filter.is_empty() {
                    self.filter.clear();
                    self.rebuild_rows();
                } else if self.zoom {
                    self.zoom = false;
                }
            }
            Action::ShowActions => self.show_actions(),
            Action::Mark => self.request_mark(),
            Action::Report => {
                self.say("writing the incident report…", Severity::Info);
                self.effects.push(Effect::WriteReport);
            }
            _ if self.focus == PaneId::Secrets => self.secrets_action(action),
            _ if self.focus == PaneId::Commits => self.timeline_action(action),
            _ if self.focus == PaneId::Gpu => self.gpu_action(action),
            _ if self.focus != PaneId::Containers => {
                if let Action::Remediate(what) = action {
                    self.request_remediation(what);
                }
            }
            Action::Up => self.select_index(index.saturating_sub(1)),
            Action::Down => self.select_index(index + 1),
            Action::PageUp => self.select_index(index.saturating_sub(page)),
            Action::PageDown => self.select_index(index + page),
            Action::Home => self.select_index(0),
            Action::End => self.select_index(rows.saturating_sub(1)),
            Action::Open => {
                if let Some(row) = self.selected.clone() {
                    self.popup = Some(Popup::Details { row, scroll: 0 });
                }
            }
            Action::Refresh => self.reprobe_selected(),
            Action::Remediate(what) => self.request_remediation(what),
            Action::Order | Action::NextSource | Action::PrevSource => {
                self.say("o, [ and ] work in the timeline pane (3)", Severity::Info)
            }
        }
        self.keep_selection_visible();
    }

    fn reprobe_selected(&mut self) {
        let Some(RowId::Container(id)) = self.selected.clone() else {
            self.say("select a container to probe again", Severity::Info);
            return;
        };
        self.inventory
            .probes
            .retain(|key, _| key.container_id != id);
        self.schedule_probes();
        self.say("probing again", Severity::Info);
        self.rebuild_rows();
    }

    fn update_popup(&mut self, popup: Popup, action: Action) {
        let scroll_by = |scroll: u16, delta: i32| (scroll as i32 + delta).clamp(0, 10_000) as u16;
        let page = self.size.height.saturating_sub(6).max(1) as i32;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Home => -10_000,
            Action::End => 10_000,
            Action::Back | Action::Quit | Action::Open | Action::Help => {
                self.popup = None;
                return;
            }
            Action::Remediate(_) => {
                self.popup = None;
                self.update(action);
                return;
            }
            _ => 0,
        };
        self.popup = Some(match popup {
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

    pub fn on_mouse(&mut self, mouse: MouseEvent) {
        let position = Position::new(mouse.column, mouse.row);
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                self.dirty = true;
                if self.popup.is_some() {
                    self.popup = None;
                    return;
                }
                let areas = self.areas();
                if let Some(tabs) = areas.tabs
                    && tabs.contains(position)
                {
                    let slot = ((mouse.column - tabs.x) as usize * 4) / tabs.width.max(1) as usize;
                    self.focus = PaneId::from_index(slot.min(3));
                    return;
                }
                if let Some(pane) = PaneId::ALL
                    .into_iter()
                    .find(|p| areas.pane(*p).is_some_and(|r| r.contains(position)))
                {
                    self.focus = pane;
                }
                self.click_row(&areas, position);
            }
            MouseEventKind::ScrollDown => self.update(Action::Down),
            MouseEventKind::ScrollUp => self.update(Action::Up),
            _ => {}
        }
    }

    fn click_row(&mut self, areas: &Areas, position: Position) {
        if let Some(table) = areas.container_table
            && table.contains(position)
        {
            let row = position.y - table.y;
            if row >= layout::CONTAINER_TABLE_HEADER_ROWS {
                let index =
                    self.container_offset + (row - layout::CONTAINER_TABLE_HEADER_ROWS) as usize;
                if index < self.container_rows.len() {
                    self.select_index(index);
                }
            }
        }
        if let Some(table) = areas.listener_table
            && table.contains(position)
        {
            let row = position.y - table.y;
            if row >= layout::LISTENER_TABLE_HEADER_ROWS {
                let index =
                    self.listener_offset + (row - layout::LISTENER_TABLE_HEADER_ROWS) as usize;
                if index < self.listener_rows.len() {
                    self.select_index(self.container_rows.len() + index);
                }
            }
        }
    }
}

trait HealthExt {
    fn max_severity(self, other: Health) -> Health;
}

impl HealthExt for Health {
    /// Of two health readings, the more alarming one: unhealthy must never look healthy.
    fn max_severity(self, other: Health) -> Health {
        let rank = |h: Health| match h {
            Health::None => 0,
            Health::Healthy => 1,
            Health::Starting => 2,
            Health::Unhealthy => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

fn row_matches(row: &ContainerRow, filter: &str) -> bool {
    row.name.to_lowercase().contains(filter)
        || row.image.to_lowercase().contains(filter)
        || row.short_id.contains(filter)
        || row.risk.as_str().contains(filter)
        || row.exposure.marker().to_lowercase().contains(filter)
        || row.state.as_str().contains(filter)
        || row.ports.iter().any(|p| p.contains(filter))
}

/// The new offset that keeps `index` within a window of `visible` rows.
fn scroll_to(offset: usize, index: usize, visible: usize) -> usize {
    if index < offset {
        index
    } else if index >= offset + visible {
        index + 1 - visible
    } else {
        offset
    }
}

fn settings_rules(
    scoring: &crate::timeline::signals::Scoring,
) -> crate::timeline::paths::PathRules {
    scoring.path_rules().unwrap_or_else(|_| {
        crate::timeline::signals::Scoring::default()
            .path_rules()
            .expect("the built-in globs compile")
    })
}
