//! `m`: mark the selected secret, commit or container as reviewed with a one-line note, or take
//! the mark back; and the recovery checklist those marks feed (shown in the header).

use super::app::{App, Effect, Popup, RowId, Severity};
use super::layout::PaneId;
use crate::incident::marks::{Mark, MarkKind, NOTE_MAX};
use crossterm::event::{KeyCode, KeyEvent};

/// What `m` applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkTarget {
    pub kind: MarkKind,
    pub key: String,
    /// How the prompt names it: `secret hf-token hf_a…(37 chars)`.
    pub label: String,
}

impl App {
    /// The item `m` would mark in the focused pane.
    pub fn mark_target(&self) -> Option<MarkTarget> {
        match self.focus {
            PaneId::Containers => match &self.selected {
                Some(RowId::Container(id)) => self.container_target(id),
                _ => None,
            },
            PaneId::Gpu => {
                let (card, pid) = self.gpu.selected?;
                let id = self
                    .gpu
                    .process_rows()
                    .into_iter()
                    .find(|r| r.0 == card && r.1 == pid)?
                    .2?;
                self.container_target(&id)
            }
            PaneId::Secrets => {
                let report = self.secrets.report.as_ref()?;
                let finding = report.findings.get(self.secrets.selected)?;
                Some(MarkTarget {
                    kind: MarkKind::Secret,
                    key: finding.fingerprint.clone(),
                    label: format!("secret {} {}", finding.rule, finding.masked),
                })
            }
            PaneId::Commits => {
                let commit = self
                    .timeline
                    .current()
                    .and_then(|r| r.commit_at(self.timeline.selected))?;
                Some(MarkTarget {
                    kind: MarkKind::Commit,
                    key: commit.id.to_string(),
                    label: format!(
                        "commit {} {}",
                        commit.id.short(10),
                        crate::util::text::truncate(
                            &crate::util::text::escape(&commit.subject),
                            40
                        )
                    ),
                })
            }
        }
    }

    fn container_target(&self, id: &str) -> Option<MarkTarget> {
        let row = self.container_rows.iter().find(|r| r.id == id)?;
        Some(MarkTarget {
            kind: MarkKind::Container,
            // The raw name (a rebind recreates the container under it), not the escaped one.
            key: self
                .inventory
                .containers
                .iter()
                .find(|c| c.id == id)
                .map_or_else(|| row.name.clone(), |c| c.name.clone()),
            label: format!("container {}", row.name),
        })
    }

    /// `m`: a prompt for the note, or, on an item already marked, the mark taken back.
    pub fn request_mark(&mut self) {
        if self.read_only {
            self.say_status(
                "read-only: observer mode cannot mark anything",
                Severity::Warn,
            );
            return;
        }
        let Some(target) = self.mark_target() else {
            self.say_status(
                "select a secret, commit or container to mark",
                Severity::Info,
            );
            return;
        };
        if self.marks.is_marked(target.kind, &target.key) {
            self.say_status(format!("unmarking {}…", target.label), Severity::Info);
            self.push_effect(Effect::SaveMark {
                kind: target.kind,
                key: target.key,
                note: String::new(),
                cleared: true,
            });
            return;
        }
        let suggestion = match target.kind {
            MarkKind::Secret => "rotated",
            MarkKind::Commit => "audited",
            MarkKind::Container => "isolated",
        };
        self.popup = Some(Popup::MarkPrompt {
            target: Box::new(target),
            text: suggestion.to_string(),
        });
    }

    pub fn mark_prompt_key(&mut self, key: KeyEvent) {
        let Some(Popup::MarkPrompt { target, text }) = &mut self.popup else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                self.popup = None;
                self.say_status("not marked", Severity::Info);
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(ch) if !ch.is_control() && text.chars().count() < NOTE_MAX => {
                text.push(ch)
            }
            KeyCode::Enter => {
                let effect = Effect::SaveMark {
                    kind: target.kind,
                    key: target.key.clone(),
                    note: text.clone(),
                    cleared: false,
                };
                self.popup = None;
                self.push_effect(effect);
            }
            _ => {}
        }
        self.dirty = true;
    }

    /// The event loop wrote (or failed to write) a mark.
    pub fn mark_saved(&mut self, result: Result<Mark, String>) {
        match result {
            Ok(mark) if mark.cleared => self.say_status(
                format!("{} mark taken back", mark.kind.as_str()),
                Severity::Info,
            ),
            Ok(mark) => self.say_status(
                format!(
                    "{} marked: {}",
                    mark.kind.as_str(),
                    crate::util::text::escape(&mark.note)
                ),
                Severity::Info,
            ),
            Err(message) => self.say_status(format!("mark not saved: {message}"), Severity::Error),
        }
        // The rows carry their marks; the checklist is refreshed with them.
        self.rebuild_rows();
    }

    /// Recomputes the recovery checklist from what the panes hold now.
    pub fn refresh_checklist(&mut self) {
        let timelines: Vec<&crate::timeline::Timeline> = self
            .timeline
            .repos
            .iter()
            .filter_map(|r| r.timeline.as_ref())
            .collect();
        self.checklist = crate::incident::checklist::compute(
            &self.inventory,
            self.secrets
                .report
                .as_ref()
                .map_or(&[][..], |r| r.findings.as_slice()),
            &timelines,
            &self.marks,
            self.settings.timeline.threshold,
        );
    }
}
