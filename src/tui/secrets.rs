//! The secrets pane's state: the background scan (started once the first containers are in,
//! `r` to run it again), its live progress, and the findings with a selection. The scan itself
//! runs on its own thread (the event loop starts it); this is state only.

use super::app::{App, Effect, Popup, Severity};
use super::keymap::Action;
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

#[derive(Debug, Clone, PartialEq)]
pub struct SecretsView {
    pub state: ScanState,
    pub report: Option<ScanReport>,
    pub selected: usize,
    pub offset: usize,
    pub finished_at: Option<jiff::Timestamp>,
    /// Which scan the updates belong to: a rescan replaces the running one.
    pub generation: u64,
    /// The containers (ids) the last scan looked at.
    pub scanned_containers: Vec<String>,
    /// Containers changed since a scan too long to repeat by itself: `r` rescans.
    pub stale: bool,
}

impl Default for SecretsView {
    fn default() -> Self {
        SecretsView {
            state: ScanState::NotStarted,
            report: None,
            selected: 0,
            offset: 0,
            finished_at: None,
            generation: 0,
            scanned_containers: Vec::new(),
            stale: false,
        }
    }
}

impl SecretsView {
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

/// A scan that took less than this is repeated by itself when containers change.
const QUICK_SCAN_SECONDS: f64 = 10.0;

fn container_ids(app: &App) -> Vec<String> {
    let mut ids: Vec<String> = app.inventory.details.keys().cloned().collect();
    ids.sort();
    ids
}

impl App {
    /// Starts a scan (or replaces the running one) with the containers known now.
    pub fn start_secret_scan(&mut self) {
        let containers: Vec<_> = self.inventory.details.values().cloned().collect();
        self.secrets.scanned_containers = container_ids(self);
        self.secrets.stale = false;
        self.secrets.generation += 1;
        self.secrets.state = ScanState::Running {
            stage: "working tree".into(),
            history: None,
            since: Instant::now(),
            history_since: None,
        };
        self.dirty = true;
        self.push_effect(Effect::ScanSecrets(
            self.secrets.generation,
            Box::new(ScanOptions {
                repos: self.settings.repos.clone(),
                history: true,
                containers: Some(containers),
                ioc_file: self.settings.ioc_file.clone(),
                ignore_file: None,
                rules_file: None,
                // One core stays free for the screen while a big history is read.
                limits: crate::secrets::sources::Limits {
                    threads: crate::secrets::sources::Limits::default()
                        .threads
                        .saturating_sub(1)
                        .max(1),
                    ..Default::default()
                },
            }),
        ));
    }

    /// Containers came or went after a scan: a quick scan (under 10 s) is simply repeated, so
    /// a container started later is covered; after a long one the pane offers `r` instead.
    pub fn secrets_containers_changed(&mut self) {
        if self.secrets.state != ScanState::Done {
            return;
        }
        if container_ids(self) == self.secrets.scanned_containers {
            return;
        }
        let quick = self
            .secrets
            .report
            .as_ref()
            .is_some_and(|r| r.summary.seconds < QUICK_SCAN_SECONDS);
        if quick {
            self.start_secret_scan();
        } else {
            self.secrets.stale = true;
            self.dirty = true;
        }
    }

    pub fn secrets_progress(&mut self, generation: u64, update: ScanProgress) {
        if generation != self.secrets.generation {
            return;
        }
        if let ScanState::Running {
            stage,
            history,
            history_since,
            ..
        } = &mut self.secrets.state
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
            self.dirty = true;
        }
    }

    pub fn secrets_done(&mut self, generation: u64, result: Result<ScanReport, String>) {
        if generation != self.secrets.generation {
            return;
        }
        self.dirty = true;
        self.secrets.finished_at = Some(self.now);
        match result {
            Ok(report) => {
                self.secrets.selected = self
                    .secrets
                    .selected
                    .min(report.findings.len().saturating_sub(1));
                self.secrets.report = Some(report);
                self.secrets.state = ScanState::Done;
                self.timeline_secrets_changed();
            }
            Err(message) => {
                self.say_status(format!("secret scan: {message}"), Severity::Error);
                self.secrets.state = ScanState::Failed(message);
            }
        }
        self.refresh_checklist();
    }

    /// Keys while the secrets pane has the focus.
    pub fn secrets_action(&mut self, action: Action) {
        let count = self.secrets.report.as_ref().map_or(0, |r| r.findings.len());
        let page = 10;
        let selected = self.secrets.selected;
        self.secrets.selected = match action {
            Action::Up => selected.saturating_sub(1),
            Action::Down => (selected + 1).min(count.saturating_sub(1)),
            Action::PageUp => selected.saturating_sub(page),
            Action::PageDown => (selected + page).min(count.saturating_sub(1)),
            Action::Home => 0,
            Action::End => count.saturating_sub(1),
            Action::Open => {
                if count > 0 {
                    self.popup = Some(Popup::SecretDetails {
                        index: selected,
                        scroll: 0,
                    });
                }
                selected
            }
            Action::Refresh => {
                self.start_secret_scan();
                self.say_status("scanning for secrets again", Severity::Info);
                selected
            }
            Action::Remediate(_) => {
                self.say_status(
                    "actions work on containers: select one in pane 1",
                    Severity::Info,
                );
                selected
            }
            _ => selected,
        };
    }
}
