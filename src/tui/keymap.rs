//! Keys resolve to actions through this table; the help popup is generated from it, so the help
//! can never drift from what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key can ask for. Handlers in `App::update` turn these into state changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    FocusNext,
    FocusPrev,
    FocusPane(usize),
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Open,
    Back,
    Filter,
    Help,
    Zoom,
    Refresh,
    /// The actions taken in this and earlier runs (from the audit log), with undo.
    ShowActions,
    /// Timeline: order by time or by score.
    Order,
    /// Timeline: the next / previous repository.
    NextSource,
    PrevSource,
    /// Mark the selected secret, commit or container as reviewed (or take the mark back).
    Mark,
    /// Write the incident report from what the panes hold.
    Report,
    /// Keys reserved for remediation (stop, rebind, block): refused in observer mode.
    Remediate(Remediation),
}

impl Action {
    /// Where a movement key takes the selection `index` in a list of `len` rows (`page` rows at
    /// a time); `None` for keys that do not move.
    pub fn moved(self, index: usize, len: usize, page: usize) -> Option<usize> {
        let last = len.saturating_sub(1);
        Some(match self {
            Action::Up => index.saturating_sub(1),
            Action::Down => (index + 1).min(last),
            Action::PageUp => index.saturating_sub(page),
            Action::PageDown => (index + page).min(last),
            Action::Home => 0,
            Action::End => last,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remediation {
    Stop,
    Rebind,
    Block,
}

impl Remediation {
    pub fn verb(self) -> &'static str {
        match self {
            Remediation::Stop => "stop",
            Remediation::Rebind => "rebind to 127.0.0.1",
            Remediation::Block => "block in the firewall",
        }
    }
}

/// One line of the keymap.
pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the keys are written in the help.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[(KeyCode::Char('q'), NONE), (KeyCode::Char('c'), CTRL)],
        label: "q, Ctrl-C",
        action: Action::Quit,
        help: "quit (q closes a popup first)",
    },
    Binding {
        keys: &[
            (KeyCode::Char('?'), NONE),
            (KeyCode::Char('?'), SHIFT),
            (KeyCode::F(1), NONE),
        ],
        label: "?, F1",
        action: Action::Help,
        help: "show every key",
    },
    Binding {
        keys: &[(KeyCode::Tab, NONE)],
        label: "Tab",
        action: Action::FocusNext,
        help: "focus the next pane",
    },
    Binding {
        keys: &[(KeyCode::BackTab, SHIFT), (KeyCode::BackTab, NONE)],
        label: "Shift-Tab",
        action: Action::FocusPrev,
        help: "focus the previous pane",
    },
    Binding {
        keys: &[(KeyCode::Char('1'), NONE)],
        label: "1",
        action: Action::FocusPane(0),
        help: "containers and exposed ports",
    },
    Binding {
        keys: &[(KeyCode::Char('2'), NONE)],
        label: "2",
        action: Action::FocusPane(1),
        help: "GPUs: cards, processes and their containers",
    },
    Binding {
        keys: &[(KeyCode::Char('3'), NONE)],
        label: "3",
        action: Action::FocusPane(2),
        help: "commit timeline",
    },
    Binding {
        keys: &[(KeyCode::Char('4'), NONE)],
        label: "4",
        action: Action::FocusPane(3),
        help: "secret findings",
    },
    Binding {
        keys: &[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)],
        label: "k, ↑",
        action: Action::Up,
        help: "move up",
    },
    Binding {
        keys: &[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)],
        label: "j, ↓",
        action: Action::Down,
        help: "move down",
    },
    Binding {
        keys: &[(KeyCode::PageUp, NONE), (KeyCode::Char('b'), CTRL)],
        label: "PgUp",
        action: Action::PageUp,
        help: "page up",
    },
    Binding {
        keys: &[(KeyCode::PageDown, NONE), (KeyCode::Char('f'), CTRL)],
        label: "PgDn",
        action: Action::PageDown,
        help: "page down",
    },
    Binding {
        keys: &[(KeyCode::Home, NONE), (KeyCode::Char('g'), NONE)],
        label: "Home, g",
        action: Action::Home,
        help: "first row",
    },
    Binding {
        keys: &[
            (KeyCode::End, NONE),
            (KeyCode::Char('G'), SHIFT),
            (KeyCode::Char('G'), NONE),
        ],
        label: "End, G",
        action: Action::End,
        help: "last row",
    },
    Binding {
        keys: &[(KeyCode::Enter, NONE)],
        label: "Enter",
        action: Action::Open,
        help: "details of the selected row (GPU pane: the process's container)",
    },
    Binding {
        keys: &[(KeyCode::Esc, NONE)],
        label: "Esc",
        action: Action::Back,
        help: "close popup / clear filter",
    },
    Binding {
        keys: &[(KeyCode::Char('/'), NONE)],
        label: "/",
        action: Action::Filter,
        help: "filter rows (name, image, port, risk)",
    },
    Binding {
        keys: &[(KeyCode::Char('z'), NONE)],
        label: "z",
        action: Action::Zoom,
        help: "zoom the focused pane",
    },
    Binding {
        keys: &[(KeyCode::Char('r'), NONE)],
        label: "r",
        action: Action::Refresh,
        help: "probe the container again / scan secrets / read the timeline again",
    },
    Binding {
        keys: &[(KeyCode::Char('a'), NONE)],
        label: "a",
        action: Action::ShowActions,
        help: "actions taken (audit log); u undoes, c commits a rebind",
    },
    Binding {
        keys: &[(KeyCode::Char('R'), SHIFT), (KeyCode::Char('R'), NONE)],
        label: "R",
        action: Action::Report,
        help: "write the incident report (Markdown) and show where",
    },
    Binding {
        keys: &[(KeyCode::Char('m'), NONE)],
        label: "m",
        action: Action::Mark,
        help: "mark the selected secret, commit or container reviewed (again: unmark)",
    },
    Binding {
        keys: &[(KeyCode::Char('o'), NONE)],
        label: "o",
        action: Action::Order,
        help: "timeline: order commits by time / by score",
    },
    Binding {
        keys: &[(KeyCode::Char(']'), NONE)],
        label: "]",
        action: Action::NextSource,
        help: "timeline: next repository (with several --repo)",
    },
    Binding {
        keys: &[(KeyCode::Char('['), NONE)],
        label: "[",
        action: Action::PrevSource,
        help: "timeline: previous repository",
    },
    Binding {
        keys: &[(KeyCode::Char('s'), NONE)],
        label: "s",
        action: Action::Remediate(Remediation::Stop),
        help: "stop the selected container (GPU pane: the process's), after confirmation",
    },
    Binding {
        keys: &[(KeyCode::Char('b'), NONE)],
        label: "b",
        action: Action::Remediate(Remediation::Rebind),
        help: "rebind published ports to 127.0.0.1 (keeps NAME-prev)",
    },
    Binding {
        keys: &[(KeyCode::Char('f'), NONE)],
        label: "f",
        action: Action::Remediate(Remediation::Block),
        help: "block a port or range in the firewall, after confirmation",
    },
];

/// Finds the action bound to a key, if any.
pub fn resolve(key: KeyEvent) -> Option<Action> {
    // Terminals disagree on whether Shift is reported with upper-case letters and symbols.
    let modifiers =
        key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::SHIFT | KeyModifiers::ALT);
    BINDINGS
        .iter()
        .find(|binding| {
            binding
                .keys
                .iter()
                .any(|(code, mods)| *code == key.code && *mods == modifiers)
        })
        .map(|binding| binding.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn common_keys_resolve() {
        assert_eq!(resolve(key(KeyCode::Char('q'), NONE)), Some(Action::Quit));
        assert_eq!(resolve(key(KeyCode::Char('c'), CTRL)), Some(Action::Quit));
        assert_eq!(
            resolve(key(KeyCode::Char('3'), NONE)),
            Some(Action::FocusPane(2))
        );
        assert_eq!(
            resolve(key(KeyCode::BackTab, SHIFT)),
            Some(Action::FocusPrev)
        );
        assert_eq!(resolve(key(KeyCode::Char('?'), SHIFT)), Some(Action::Help));
        assert_eq!(resolve(key(KeyCode::Char('x'), NONE)), None);
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = std::collections::HashSet::new();
        for binding in BINDINGS {
            for key in binding.keys {
                assert!(seen.insert(*key), "{key:?} bound twice");
            }
        }
    }
}
