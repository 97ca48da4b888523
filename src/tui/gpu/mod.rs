//! Pane 2's state: the latest sample, a bounded utilization history per card for the
//! sparklines, the host summary for the header, and which GPU process is selected. `view` draws
//! it.

pub mod view;

use super::app::{Popup, Shell};
use super::containers::RowId;
use super::keymap::{Action, Remediation};
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
pub struct GpuPane {
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

impl GpuPane {
    pub fn new(interval_ms: u64, history_secs: u64) -> GpuPane {
        GpuPane {
            capacity: ((history_secs * 1000) / interval_ms.max(1)).clamp(2, 7200) as usize,
            faster_than_clock: interval_ms < 1000,
            ..GpuPane::default()
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

/// What a key in the GPU pane asks of the rest of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuRequest {
    /// Stop, rebind or block for this container (or, for a block, the host process's port).
    Remediate(Remediation, Option<String>),
}

/// What a new sample changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleApplied {
    /// Cards or processes came or went, or a card broke: worth a redraw now.
    pub redraw: bool,
}

impl GpuPane {
    /// A new sample from the sampling thread, with its processes' containers named.
    pub fn apply_sample(
        &mut self,
        sample: Sample,
        names: &HashMap<String, String>,
    ) -> SampleApplied {
        let mut snapshot = sample.gpu;
        snapshot.attach_container_names(names);
        self.record(&snapshot);
        let structural = self
            .snapshot
            .as_ref()
            .is_none_or(|old| structure_changed(old, &snapshot));
        self.snapshot = Some(snapshot);
        self.host = Some(sample.host);
        let rows = self.process_rows();
        if self
            .selected
            .is_none_or(|(card, pid)| !rows.iter().any(|r| r.0 == card && r.1 == pid))
        {
            self.selected = rows.first().map(|r| (r.0, r.1));
        }
        // Figures that move with every sample are shown by the once-a-second clock redraw; a
        // sample redraws on its own only when something appeared, went away or broke, so an
        // idle screen is drawn once a second, not twice.
        SampleApplied {
            redraw: structural || self.faster_than_clock,
        }
    }

    /// The container of the selected process, if it runs in one.
    pub fn selected_container(&self) -> Option<String> {
        let (card, pid) = self.selected?;
        self.process_rows()
            .into_iter()
            .find(|r| r.0 == card && r.1 == pid)?
            .2
    }

    /// Keys while the pane has the focus.
    pub fn handle(&mut self, action: Action, shell: &mut Shell) -> Option<GpuRequest> {
        let rows = self.process_rows();
        let index = self
            .selected
            .and_then(|(card, pid)| rows.iter().position(|r| r.0 == card && r.1 == pid))
            .unwrap_or(0);
        if let Some(target) = action.moved(index, rows.len(), 10) {
            self.selected = rows.get(target).map(|r| (r.0, r.1));
            return None;
        }
        let container = rows.get(index).and_then(|r| r.2.clone());
        match action {
            Action::Open => match container {
                Some(id) => {
                    shell.popup = Some(Popup::Details {
                        row: RowId::Container(id),
                        scroll: 0,
                    })
                }
                None => shell.say_info("this GPU process is not in a container"),
            },
            // Stop, rebind: act on the selected process's container, through the same
            // confirmation as in the containers pane.
            Action::Remediate(what) => match container {
                Some(id) => return Some(GpuRequest::Remediate(what, Some(id))),
                None if what == Remediation::Block => {
                    return Some(GpuRequest::Remediate(what, None));
                }
                None => shell.say_info(
                    "this GPU process is not in a container: nothing to stop or rebind here",
                ),
            },
            Action::Order | Action::NextSource | Action::PrevSource | Action::Refresh => {
                shell.say_info("o, [, ] and r work in the timeline and secrets panes")
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests;
