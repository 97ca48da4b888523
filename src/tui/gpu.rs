//! The GPU pane's state: the latest sample, a bounded utilization history per card for the
//! sparklines, the host summary for the header, and which GPU process is selected.

use super::app::{App, Popup, RowId, Severity};
use super::keymap::Action;
use crate::collect::host::HostSummary;
use crate::collect::sampler::Sample;
use crate::model::GpuSnapshot;
use std::collections::{HashMap, VecDeque};

/// The last `capacity` utilization readings of one card: fixed memory whatever the uptime.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CardHistory {
    pub gpu: VecDeque<u8>,
    pub memory: VecDeque<u8>,
}

impl CardHistory {
    fn push(&mut self, gpu: Option<u32>, memory: Option<u32>, capacity: usize) {
        for (series, value) in [(&mut self.gpu, gpu), (&mut self.memory, memory)] {
            // A missing reading is drawn as 0, so the sparkline keeps its time axis.
            series.push_back(value.unwrap_or(0).min(100) as u8);
            while series.len() > capacity {
                series.pop_front();
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct GpuView {
    /// `None` until the first sample arrives.
    pub snapshot: Option<GpuSnapshot>,
    pub host: Option<HostSummary>,
    /// Keyed by UUID (stable across re-enumeration), else by index.
    pub history: HashMap<String, CardHistory>,
    /// Samples kept per card.
    pub capacity: usize,
    /// The selected process, as (card index, pid): survives re-sorting between samples.
    pub selected: Option<(u32, u32)>,
    /// Sampling faster than the once-a-second clock redraw: each sample redraws.
    pub faster_than_clock: bool,
}

impl GpuView {
    pub fn new(interval_ms: u64, history_secs: u64) -> GpuView {
        GpuView {
            capacity: ((history_secs * 1000) / interval_ms.max(1)).clamp(2, 7200) as usize,
            faster_than_clock: interval_ms < 1000,
            ..GpuView::default()
        }
    }

    pub fn history_of(&self, card: &crate::model::GpuCard) -> Option<&CardHistory> {
        self.history.get(&history_key(card))
    }

    /// Every GPU process in display order, as (card index, pid, container id).
    pub fn process_rows(&self) -> Vec<(u32, u32, Option<String>)> {
        self.snapshot
            .iter()
            .flat_map(|s| s.processes())
            .map(|(card, p)| (card.index, p.pid, p.container_id.clone()))
            .collect()
    }

    fn record(&mut self, snapshot: &GpuSnapshot) {
        let capacity = self.capacity.max(2);
        for card in &snapshot.gpus {
            self.history.entry(history_key(card)).or_default().push(
                card.utilization_gpu,
                card.utilization_memory,
                capacity,
            );
        }
        // Cards that went away take their history with them.
        let present: std::collections::HashSet<String> =
            snapshot.gpus.iter().map(history_key).collect();
        self.history.retain(|key, _| present.contains(key));
    }
}

/// Cards, processes, availability or a card's problem differ: worth a redraw now.
fn structure_changed(old: &GpuSnapshot, new: &GpuSnapshot) -> bool {
    let processes = |s: &GpuSnapshot| -> Vec<(u32, u32)> {
        s.processes().map(|(card, p)| (card.index, p.pid)).collect()
    };
    let problems = |s: &GpuSnapshot| -> Vec<Option<String>> {
        s.gpus.iter().map(|card| card.problem.clone()).collect()
    };
    old.available != new.available
        || old.reason != new.reason
        || old.gpus.len() != new.gpus.len()
        || processes(old) != processes(new)
        || problems(old) != problems(new)
}

fn history_key(card: &crate::model::GpuCard) -> String {
    card.uuid
        .clone()
        .unwrap_or_else(|| format!("#{}", card.index))
}

impl App {
    /// A new sample from the sampling thread.
    pub fn apply_sample(&mut self, sample: Sample) {
        let mut snapshot = sample.gpu;
        let names: HashMap<String, String> = self
            .inventory
            .containers
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect();
        snapshot.attach_container_names(&names);
        self.gpu.record(&snapshot);
        let structural = self
            .gpu
            .snapshot
            .as_ref()
            .is_none_or(|old| structure_changed(old, &snapshot));
        let risks_changed = self.inventory.apply_gpu(&snapshot);
        self.gpu.snapshot = Some(snapshot);
        self.gpu.host = Some(sample.host);
        let rows = self.gpu.process_rows();
        if self
            .gpu
            .selected
            .is_none_or(|(card, pid)| !rows.iter().any(|r| r.0 == card && r.1 == pid))
        {
            self.gpu.selected = rows.first().map(|r| (r.0, r.1));
        }
        if risks_changed {
            self.rebuild_rows();
        }
        // Figures that move with every sample are shown by the once-a-second clock redraw; a
        // sample redraws on its own only when something appeared, went away or broke, so an idle
        // screen is drawn once a second, not twice.
        if structural || self.gpu.faster_than_clock {
            self.dirty = true;
        }
    }

    pub fn gpu_action(&mut self, action: Action) {
        let rows = self.gpu.process_rows();
        let index = self
            .gpu
            .selected
            .and_then(|(card, pid)| rows.iter().position(|r| r.0 == card && r.1 == pid))
            .unwrap_or(0);
        let last = rows.len().saturating_sub(1);
        let target = match action {
            Action::Up => Some(index.saturating_sub(1)),
            Action::Down => Some((index + 1).min(last)),
            Action::PageUp => Some(index.saturating_sub(10)),
            Action::PageDown => Some((index + 10).min(last)),
            Action::Home => Some(0),
            Action::End => Some(last),
            _ => None,
        };
        if let Some(target) = target {
            self.gpu.selected = rows.get(target).map(|r| (r.0, r.1));
            return;
        }
        let container = rows.get(index).and_then(|r| r.2.clone());
        match action {
            Action::Open => match container {
                Some(id) => {
                    self.popup = Some(Popup::Details {
                        row: RowId::Container(id),
                        scroll: 0,
                    })
                }
                None => self.say_status("this GPU process is not in a container", Severity::Info),
            },
            // Stop, rebind: act on the selected process's container, through the same
            // confirmation as in the containers pane.
            Action::Remediate(what) => match container {
                Some(id) => {
                    self.selected = Some(RowId::Container(id));
                    self.selection_chosen = true;
                    self.request_remediation(what);
                }
                None if what == super::keymap::Remediation::Block => self.request_remediation(what),
                None => self.say_status(
                    "this GPU process is not in a container: nothing to stop or rebind here",
                    Severity::Info,
                ),
            },
            Action::Order | Action::NextSource | Action::PrevSource | Action::Refresh => self
                .say_status(
                    "o, [, ] and r work in the timeline and secrets panes",
                    Severity::Info,
                ),
            _ => {}
        }
    }
}
