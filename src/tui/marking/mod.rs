//! `m`: mark the selected secret, commit or container as reviewed with a one-line note, or take
//! the mark back. The mark is written by the runner (an fsynced append to the marks file) and
//! taken into the state when that succeeded. `prompt` draws the note prompt.

pub mod prompt;

use super::app::{Effect, Popup, Shell};
use crate::incident::marks::{Mark, MarkKind, Marks, NOTE_MAX};
use crossterm::event::{KeyCode, KeyEvent};

/// What `m` applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkTarget {
    pub kind: MarkKind,
    pub key: String,
    /// How the prompt names it: `secret hf-token hf_a…(37 chars)`.
    pub label: String,
}

impl MarkTarget {
    /// A container, by its raw name (a rebind recreates it under the same name).
    pub fn container(raw_name: String, shown_name: &str) -> MarkTarget {
        MarkTarget {
            kind: MarkKind::Container,
            key: raw_name,
            label: format!("container {shown_name}"),
        }
    }

    pub fn secret(finding: &crate::secrets::finding::Finding) -> MarkTarget {
        MarkTarget {
            kind: MarkKind::Secret,
            key: finding.fingerprint.clone(),
            label: format!("secret {} {}", finding.rule, finding.masked),
        }
    }

    pub fn commit(commit: &crate::timeline::CommitEntry) -> MarkTarget {
        let subject = crate::util::text::escape(&commit.subject);
        MarkTarget {
            kind: MarkKind::Commit,
            key: commit.id.to_string(),
            label: format!(
                "commit {} {}",
                commit.id.short(10),
                crate::util::text::truncate(&subject, 40)
            ),
        }
    }
}

impl Shell {
    /// `m` on `target`: a prompt for the note, or, on an item already marked, the mark taken
    /// back.
    pub fn request_mark(&mut self, target: Option<MarkTarget>, marks: &Marks) {
        if self.read_only {
            self.say_warn("read-only: observer mode cannot mark anything");
            return;
        }
        let Some(target) = target else {
            self.say_info("select a secret, commit or container to mark");
            return;
        };
        if marks.is_marked(target.kind, &target.key) {
            self.say_info(format!("unmarking {}…", target.label));
            self.push(Effect::SaveMark {
                path: marks.path().map(std::path::Path::to_path_buf),
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

    /// Keys in the note prompt: Enter saves, Esc cancels.
    pub fn mark_prompt_key(&mut self, key: KeyEvent, marks: &Marks) {
        let Some(Popup::MarkPrompt { target, text }) = &mut self.popup else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                self.popup = None;
                self.say_info("not marked");
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(ch) if !ch.is_control() && text.chars().count() < NOTE_MAX => {
                text.push(ch)
            }
            KeyCode::Enter => {
                let effect = Effect::SaveMark {
                    path: marks.path().map(std::path::Path::to_path_buf),
                    kind: target.kind,
                    key: target.key.clone(),
                    note: text.clone(),
                    cleared: false,
                };
                self.popup = None;
                self.push(effect);
            }
            _ => {}
        }
        self.dirty = true;
    }

    /// The runner wrote (or failed to write) a mark: said in the status bar.
    pub fn mark_saved(&mut self, result: &Result<Mark, String>) {
        match result {
            Ok(mark) if mark.cleared => {
                self.say_info(format!("{} mark taken back", mark.kind.as_str()))
            }
            Ok(mark) => self.say_info(format!(
                "{} marked: {}",
                mark.kind.as_str(),
                crate::util::text::escape(&mark.note)
            )),
            Err(message) => self.say_error(format!("mark not saved: {message}")),
        }
    }
}

#[cfg(test)]
mod tests;
