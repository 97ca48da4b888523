//! Pane 1's state: the Docker engine's status, the inventory of containers and host listeners
//! with their verdicts, the display rows built from it (assessed, sorted, filtered), the
//! selection and the filter. `view` draws it, `details` draws one row's details.

pub mod details;
pub mod view;

use super::app::{Effect, Popup, Shell};
use super::keymap::Action;
use super::layout::{self, Areas};
use crate::collect::docker::DockerUpdate;
use crate::collect::listeners::ListenerUpdate;
use crate::incident::inventory::{Inventory, ProbeKey};
use crate::incident::marks::{MarkKind, Marks};
use crate::model::{AuthKind, ContainerState, Exposure, Health, ProbeReport, RiskLevel};
use crate::util::text::escape;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Position;
use std::net::IpAddr;
use std::time::{Duration, Instant};

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
    /// Public, but the firewall drops every public port for every outsider.
    pub firewalled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListenerRow {
    pub address: IpAddr,
    pub port: u16,
    pub shown_address: String,
    pub exposure: Exposure,
    pub owner: String,
}

/// The containers pane.
pub struct ContainersPane {
    pub docker: DockerStatus,
    pub inventory: Inventory,
    pub listeners_problem: Option<String>,
    pub rows: Vec<ContainerRow>,
    pub listener_rows: Vec<ListenerRow>,
    pub selected: Option<RowId>,
    /// False until the user moves the selection: until then it follows the first (riskiest) row.
    pub selection_chosen: bool,
    pub offset: usize,
    pub listener_offset: usize,
    pub filter: String,
    pub filter_editing: bool,
    /// Whether probes are sent at all (`[probe] enabled`).
    probes_enabled: bool,
    /// Set once the first container list arrived, for the start-up measurement.
    pub first_list_at: Option<Instant>,
    /// The host's rule set as last read, to judge ports again when containers change.
    ruleset: Option<(crate::model::firewall::Ruleset, Vec<String>)>,
    /// Why the rule set could not be read, if it could not.
    pub firewall_problem: Option<String>,
    /// Set once every container of the first list was inspected (or Docker is down): the secret
    /// scan waits for it, so the containers' environments are in it.
    pub inventory_settled: bool,
}

impl ContainersPane {
    pub fn new(endpoint: String, probes_enabled: bool) -> ContainersPane {
        ContainersPane {
            docker: DockerStatus::Connecting { endpoint },
            inventory: Inventory::default(),
            listeners_problem: None,
            rows: Vec::new(),
            listener_rows: Vec::new(),
            selected: None,
            selection_chosen: false,
            offset: 0,
            listener_offset: 0,
            filter: String::new(),
            filter_editing: false,
            probes_enabled,
            first_list_at: None,
            inventory_settled: false,
            ruleset: None,
            firewall_problem: None,
        }
    }

    /// Judges every public port against the rule set: when the rule set changes and when the
    /// containers do, never on a timer.
    fn judge_firewall(&mut self) {
        if let Some((ruleset, interfaces)) = &self.ruleset {
            self.inventory.apply_ruleset(ruleset, interfaces);
        }
    }

    /// A new read of the host's rule set: every public port is judged again.
    pub fn apply_ruleset(&mut self, update: crate::collect::ruleset::watch::RulesetUpdate) {
        use crate::collect::ruleset::watch::RulesetUpdate;
        match update {
            RulesetUpdate::Read {
                ruleset,
                interfaces,
            } => {
                self.firewall_problem = None;
                self.ruleset = Some((ruleset, interfaces));
                self.judge_firewall();
            }
            RulesetUpdate::Unavailable(why) => {
                self.firewall_problem = Some(why);
                self.ruleset = None;
                self.inventory.firewall.clear();
            }
        }
    }

    /// An update from the Docker collector. True when the set of inspected containers changed
    /// (what the secret scan reads).
    pub fn apply_docker(&mut self, update: DockerUpdate, shell: &mut Shell) -> bool {
        let mut details_changed = false;
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
                // Nothing more will come for now: what is known is what there is.
                self.inventory_settled = true;
            }
            DockerUpdate::Containers(containers) => {
                self.first_list_at.get_or_insert_with(Instant::now);
                self.inventory.apply_containers(containers);
                self.judge_firewall();
                shell.push(Effect::RescanListeners);
                self.schedule_probes(shell);
                self.check_settled();
            }
            DockerUpdate::Details(details) => {
                self.inventory.apply_details(*details);
                // The container's address and bridge are known now.
                self.judge_firewall();
                self.schedule_probes(shell);
                self.check_settled();
                details_changed = true;
            }
        }
        details_changed
    }

    /// Every container of the list has its details: the inventory is complete.
    fn check_settled(&mut self) {
        if self.first_list_at.is_some()
            && self
                .inventory
                .containers
                .iter()
                .all(|c| self.inventory.details.contains_key(&c.id))
        {
            self.inventory_settled = true;
        }
    }

    pub fn apply_listeners(&mut self, update: ListenerUpdate, shell: &mut Shell) {
        self.apply_listener_update(update, shell);
        self.judge_firewall();
    }

    fn apply_listener_update(&mut self, update: ListenerUpdate, shell: &mut Shell) {
        match update {
            ListenerUpdate::Listeners(listeners) => {
                self.listeners_problem = None;
                self.inventory.listeners = listeners;
                self.schedule_probes(shell);
            }
            ListenerUpdate::Unavailable(problem) => self.listeners_problem = Some(problem),
        }
    }

    pub fn apply_probe(&mut self, key: ProbeKey, report: ProbeReport) {
        self.inventory.apply_probe(key, report);
    }

    fn schedule_probes(&mut self, shell: &mut Shell) {
        if !self.probes_enabled {
            return;
        }
        let needed = self.inventory.probes_needed();
        if needed.is_empty() {
            return;
        }
        for (key, _) in &needed {
            self.inventory.pending.insert(key.clone());
        }
        shell.push(Effect::Probe(needed));
    }

    /// Recomputes the display rows from the inventory: assessment, sort, filter, selection.
    pub fn rebuild_rows(&mut self, marks: &Marks, areas: &Areas) {
        let filter = self.filter.to_lowercase();
        self.rows = self
            .inventory
            .assess_all()
            .into_iter()
            .map(|item| container_row(&item, marks))
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
            .filter(|row| filter.is_empty() || listener_matches(row, &filter))
            .collect();
        self.repair_selection(areas);
    }

    fn selectable(&self) -> Vec<RowId> {
        self.rows
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

    /// The id of the selected container, if a container is selected.
    pub fn selected_container(&self) -> Option<&str> {
        match &self.selected {
            Some(RowId::Container(id)) => Some(id),
            _ => None,
        }
    }

    /// Selects a container (from another pane: the GPU process's container).
    pub fn select_container(&mut self, id: String) {
        self.selected = Some(RowId::Container(id));
        self.selection_chosen = true;
    }

    /// Keeps a selection that still exists; otherwise selects the first row.
    fn repair_selection(&mut self, areas: &Areas) {
        if self.selected_index().is_none() || !self.selection_chosen {
            self.selected = self.selectable().into_iter().next();
        }
        self.keep_selection_visible(areas);
    }

    fn select_index(&mut self, index: usize, areas: &Areas) {
        self.selection_chosen = true;
        let rows = self.selectable();
        if rows.is_empty() {
            self.selected = None;
            return;
        }
        self.selected = Some(rows[index.min(rows.len() - 1)].clone());
        self.keep_selection_visible(areas);
    }

    /// Scrolls each table so the selected row is on screen.
    pub fn keep_selection_visible(&mut self, areas: &Areas) {
        let visible_containers = areas.container_rows().max(1);
        let visible_listeners = areas.listener_rows().max(1);
        match self.selected_index() {
            Some(index) if index < self.rows.len() => {
                self.offset = scroll_to(self.offset, index, visible_containers);
            }
            Some(index) => {
                let index = index - self.rows.len();
                self.listener_offset = scroll_to(self.listener_offset, index, visible_listeners);
            }
            None => {}
        }
        self.offset = self
            .offset
            .min(self.rows.len().saturating_sub(visible_containers));
        self.listener_offset = self
            .listener_offset
            .min(self.listener_rows.len().saturating_sub(visible_listeners));
    }

    /// Keys while the filter is being typed (the caller rebuilds the rows).
    pub fn edit_filter(&mut self, key: KeyEvent) {
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
    }

    /// Moves through the rows or opens one; other keys are not the pane's. Returns whether the
    /// key was handled.
    pub fn navigate(&mut self, action: Action, areas: &Areas, shell: &mut Shell) -> bool {
        let rows = self.selectable().len();
        let page = areas.container_rows().max(1);
        let index = self.selected_index().unwrap_or(0);
        match action {
            Action::Up => self.select_index(index.saturating_sub(1), areas),
            Action::Down => self.select_index(index + 1, areas),
            Action::PageUp => self.select_index(index.saturating_sub(page), areas),
            Action::PageDown => self.select_index(index + page, areas),
            Action::Home => self.select_index(0, areas),
            Action::End => self.select_index(rows.saturating_sub(1), areas),
            Action::Open => {
                if let Some(row) = self.selected.clone() {
                    shell.popup = Some(Popup::Details { row, scroll: 0 });
                }
            }
            Action::Refresh => self.reprobe_selected(shell),
            _ => return false,
        }
        true
    }

    fn reprobe_selected(&mut self, shell: &mut Shell) {
        let Some(id) = self.selected_container().map(str::to_string) else {
            shell.say_info("select a container to probe again");
            return;
        };
        self.inventory
            .probes
            .retain(|key, _| key.container_id != id);
        self.schedule_probes(shell);
        shell.say_info("probing again");
    }

    /// A click inside one of the tables selects that row.
    pub fn click(&mut self, areas: &Areas, position: Position) {
        if let Some(table) = areas.container_table
            && table.contains(position)
        {
            let row = position.y - table.y;
            if row >= layout::CONTAINER_TABLE_HEADER_ROWS {
                let index = self.offset + (row - layout::CONTAINER_TABLE_HEADER_ROWS) as usize;
                if index < self.rows.len() {
                    self.select_index(index, areas);
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
                    self.select_index(self.rows.len() + index, areas);
                }
            }
        }
    }

    /// The port `f` suggests: the selected container's first public TCP port, or the selected
    /// host listener's port.
    pub fn suggested_block_port(&self) -> Option<String> {
        match self.selected.as_ref()? {
            RowId::Container(id) => {
                let container = self.inventory.containers.iter().find(|c| &c.id == id)?;
                let extra = self.inventory.host_network_ports(id);
                container
                    .ports
                    .iter()
                    .chain(extra.iter())
                    .find(|p| {
                        p.exposure() == Exposure::Public
                            && p.protocol == crate::model::Protocol::Tcp
                    })
                    .map(|p| p.host_port.to_string())
            }
            RowId::Listener(_, port) => Some(port.to_string()),
        }
    }

    /// The container's raw name (a rebind recreates the container under it) and its escaped
    /// row name.
    pub fn names_of(&self, id: &str) -> Option<(String, String)> {
        let row = self.rows.iter().find(|r| r.id == id)?;
        let raw = self
            .inventory
            .containers
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| row.name.clone(), |c| c.name.clone());
        Some((raw, row.name.clone()))
    }

    /// The ids of the containers inspected so far, sorted: what a secret scan covers.
    pub fn inspected_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.inventory.details.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The rows at a risk level, for the status bar's counts.
    pub fn count_at(&self, level: RiskLevel) -> usize {
        self.rows.iter().filter(|r| r.risk == level).count()
    }
}

/// True when there is a public port and the firewall drops each one for every outsider.
fn all_public_ports_dropped(ports: &[crate::assess::risk::PortVerdict]) -> bool {
    use crate::assess::firewall::FirewallVerdict;
    let mut public = ports
        .iter()
        .filter(|p| p.exposure == Exposure::Public)
        .peekable();
    public.peek().is_some()
        && public.all(|p| {
            matches!(&p.firewall, Some(FirewallVerdict::Filtered { exceptions, .. })
                if exceptions.iter().all(|e| e.dropped))
        })
}

fn container_row(item: &crate::incident::inventory::Assessed<'_>, marks: &Marks) -> ContainerRow {
    let c = item.container;
    let assessment = &item.assessment;
    ContainerRow {
        id: c.id.clone(),
        name: escape(&c.name).into_owned(),
        short_id: c.short_id().to_string(),
        image: escape(&c.image).into_owned(),
        state: c.state,
        // The inspect result is fresher than the list's status text when both exist.
        health: item.details.map_or(c.health, |d| {
            if c.state == ContainerState::Running {
                more_alarming(d.health, c.health)
            } else {
                c.health
            }
        }),
        exit_code: item.details.and_then(|d| d.exit_code),
        started_at: item.details.and_then(|d| d.started_at.clone()),
        exposure: assessment.exposure,
        firewalled: all_public_ports_dropped(&assessment.ports),
        auth: assessment.auth,
        auth_pending: assessment.ports.iter().any(|p| p.probe_pending),
        risk: assessment.risk.level,
        top_reason: assessment
            .risk
            .reasons
            .first()
            .map(|r| escape(r).into_owned())
            .unwrap_or_default(),
        ports: assessment
            .ports
            .iter()
            .map(|p| p.binding.display())
            .collect(),
        gpu: assessment
            .gpu
            .as_ref()
            .map(|g| g.display())
            .unwrap_or_default(),
        marked: marks.is_marked(MarkKind::Container, &c.name),
    }
}

/// Of two health readings, the more alarming one: unhealthy must never look healthy.
fn more_alarming(a: Health, b: Health) -> Health {
    let rank = |h: Health| match h {
        Health::None => 0,
        Health::Healthy => 1,
        Health::Starting => 2,
        Health::Unhealthy => 3,
    };
    if rank(b) > rank(a) { b } else { a }
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

fn listener_matches(row: &ListenerRow, filter: &str) -> bool {
    row.shown_address.to_lowercase().contains(filter)
        || row.owner.to_lowercase().contains(filter)
        || row.exposure.marker().to_lowercase().contains(filter)
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
