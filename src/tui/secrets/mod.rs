//! Pane 4's state: the background secret scan (the runner runs it on its own thread; a newer
//! scan replaces a running one), its live progress, and the findings with a selection. `view`
//! draws the pane, `details` every place one secret lives.

pub mod details;
pub mod view;

use super::app::{Effect, Popup, Shell};
use super::keymap::Action;
use crate::secrets::finding::Finding;
use crate::secrets::scan::{ScanOptions, ScanProgress, ScanReport};
use crate::secrets::sources::history::HistoryProgress;
use std::time::Instant;

#[derive(Debug, Clone, PartialEq)]
pub enum ScanState {
    NotStarted,
    Running {
        stage: String,
        history: Option<HistoryProgress>,
        since: Instant,
        /// When the history stage began (for its rate and time left).
        history_since: Option<Instant>,
    },
    Done,
    Failed(String),
}

/// What to do about containers that changed since a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rescan {
    /// Nothing changed, or a scan is under way (it is judged when it ends).
    No,
    /// The last scan was quick: repeat it now, so a container started later is covered.
    Now,
    /// The last scan was long: the pane offers `r` instead.
    Offered,
}

/// A scan that took less than this is repeated by itself when containers change.
const QUICK_SCAN_SECONDS: f64 = 10.0;

#[derive(Debug, Clone, PartialEq)]
pub struct SecretsPane {
    pub state: ScanState,
    pub report: Option<ScanReport>,
    pub selected: usize,
    pub offset: usize,
    pub finished_at: Option<jiff::Timestamp>,
    /// The containers (ids) the running or last scan covers.
    pub scanned_containers: Vec<String>,
    /// Containers changed since a scan too long to repeat by itself: `r` rescans.
    pub stale: bool,
}

impl Default for SecretsPane {
    fn default() -> Self {
        SecretsPane {
            state: ScanState::NotStarted,
            report: None,
            selected: 0,
            offset: 0,
            finished_at: None,
            scanned_containers: Vec::new(),
            stale: false,
        }
    }
}

impl SecretsPane {
    /// The findings of the last scan.
    pub fn findings(&self) -> &[Finding] {
        self.report.as_ref().map_or(&[], |r| r.findings.as_slice())
    }

    pub fn selected_finding(&self) -> Option<&Finding> {
        self.findings().get(self.selected)
    }

    /// Starts a scan (or replaces the running one) that covers the containers `covering`.
    pub fn start(&mut self, options: ScanOptions, covering: Vec<String>, shell: &mut Shell) {
        self.scanned_containers = covering;
        self.stale = false;
        self.state = ScanState::Running {
            stage: "working tree".into(),
            history: None,
            since: Instant::now(),
            history_since: None,
        };
        shell.push(Effect::ScanSecrets(Box::new(options)));
    }

    pub fn progress(&mut self, update: ScanProgress) {
        if let ScanState::Running {
            stage,
            history,
            history_since,
            ..
        } = &mut self.state
        {
            match update {
                ScanProgress::Stage(name) => {
                    if name == "history" {
                        *history_since = Some(Instant::now());
                    }
                    *stage = name;
                }
                ScanProgress::History(progress) => *history = Some(progress),
            }
        }
    }

    /// The scan ended. True when it produced findings (the timeline takes them).
    pub fn done(
        &mut self,
        result: Result<ScanReport, String>,
        now: jiff::Timestamp,
        shell: &mut Shell,
    ) -> bool {
        self.finished_at = Some(now);
        match result {
            Ok(report) => {
                self.selected = self.selected.min(report.findings.len().saturating_sub(1));
                self.report = Some(report);
                self.state = ScanState::Done;
                true
            }
            Err(message) => {
                shell.say_error(format!("secret scan: {message}"));
                self.state = ScanState::Failed(message);
                false
            }
        }
    }

    /// The containers are `current` now (ids, sorted): whether the scan should be repeated.
    pub fn containers_changed(&mut self, current: &[String]) -> Rescan {
        if self.state != ScanState::Done || current == self.scanned_containers.as_slice() {
            return Rescan::No;
        }
        let quick = self
            .report
            .as_ref()
            .is_some_and(|r| r.summary.seconds < QUICK_SCAN_SECONDS);
        if quick {
            Rescan::Now
        } else {
            self.stale = true;
            Rescan::Offered
        }
    }

    /// Keys while the pane has the focus. True when the user asked for a new scan.
    pub fn handle(&mut self, action: Action, shell: &mut Shell) -> bool {
        let count = self.findings().len();
        let selected = self.selected;
        if let Some(moved) = action.moved(selected, count, 10) {
            self.selected = moved;
            return false;
        }
        match action {
            Action::Open if count > 0 => {
                shell.popup = Some(Popup::SecretDetails {
                    index: selected,
                    scroll: 0,
                });
            }
            Action::Refresh => {
                shell.say_info("scanning for secrets again");
                return true;
            }
            Action::Remediate(_) => {
                shell.say_info("actions work on containers: select one in pane 1")
            }
            _ => {}
        }
        false
    }

    /// `objects done/total, MB, MB/s, time left` while the history is read.
    pub fn gauge(&self) -> Option<(f64, String)> {
        let ScanState::Running {
            stage,
            history,
            since,
            history_since,
        } = &self.state
        else {
            return None;
        };
        let Some(progress) = history.filter(|p| p.objects_total > 0) else {
            return Some((
                0.0,
                format!(
                    "scanning the {stage}… {:.1}s",
                    since.elapsed().as_secs_f32()
                ),
            ));
        };
        let ratio = progress.objects_done as f64 / progress.objects_total as f64;
        let elapsed = history_since
            .map(|s| s.elapsed().as_secs_f64())
            .unwrap_or(0.0)
            .max(0.001);
        let rate = progress.bytes_done as f64 / 1e6 / elapsed;
        let left = if ratio > 0.0 {
            elapsed * (1.0 - ratio) / ratio
        } else {
            0.0
        };
        Some((
            ratio.clamp(0.0, 1.0),
            format!(
                "history {}/{} objects · {:.0} MB · {:.0} MB/s · ~{:.0}s left",
                progress.objects_done,
                progress.objects_total,
                progress.bytes_done as f64 / 1e6,
                rate,
                left
            ),
        ))
    }
}
