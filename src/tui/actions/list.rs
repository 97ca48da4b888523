//! `a`: the actions taken in this and earlier runs, from the audit log, newest first.

use super::ActionsView;
use crate::ops::audit::{ActionResult, ActionState};
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(theme: &Theme, read_only: bool, view: &ActionsView, frame: &mut ratatui::Frame) {
    let area = crate::tui::widgets::centered(frame.area(), 120, 20);
    frame.render_widget(Clear, area);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<46} {:<6} {:<28} {:<12} USER",
            "ACTION", "KIND", "TARGET", "STATE"
        ),
        theme.title,
    ))];
    if view.loading {
        lines.push(Line::from(Span::styled(
            "reading the audit log…",
            theme.muted,
        )));
    }
    if let Some(error) = &view.error {
        lines.push(Line::from(Span::styled(error.clone(), theme.error)));
    }
    if !view.loading && view.error.is_none() && view.list.is_empty() {
        lines.push(Line::from(Span::styled(
            "No actions recorded yet.",
            theme.muted,
        )));
    }
    for (index, action) in view.list.iter().enumerate() {
        let state_style = match action.state {
            ActionState::Ended(ActionResult::Applied) => theme.ok,
            state if state.needs_attention() => theme.critical,
            ActionState::Ended(ActionResult::Failed) => theme.error,
            ActionState::Ended(_) | ActionState::Interrupted => theme.muted,
        };
        let row_style = if index == view.selected {
            theme.selected
        } else {
            ratatui::style::Style::default()
        };
        lines.push(
            Line::from(vec![
                Span::styled(format!("{:<46} ", action.action_id), theme.text),
                Span::styled(format!("{:<6} ", action.action), theme.text),
                Span::styled(
                    format!(
                        "{:<28} ",
                        crate::util::text::truncate(&crate::util::text::escape(&action.target), 28)
                    ),
                    theme.text,
                ),
                Span::styled(format!("{:<12} ", action.state), state_style),
                Span::styled(
                    crate::util::text::escape(&action.user).into_owned(),
                    theme.muted,
                ),
            ])
            .style(row_style),
        );
        if let Some(stood) = action
            .stopped_at
            .as_ref()
            .filter(|_| index == view.selected)
        {
            lines.push(Line::from(Span::styled(
                format!(
                    "  cut short: u undoes it, r completes it; its journal ends at {}",
                    crate::util::text::escape(stood)
                ),
                theme.warn,
            )));
        }
    }
    if !view.strays.is_empty() {
        lines.push(Line::from(Span::styled(
            "Not accounted for by any journaled action (look, then remove by hand):",
            theme.title,
        )));
        for stray in &view.strays {
            lines.push(Line::from(Span::styled(
                format!("  {}", crate::util::text::escape(&stray.describe())),
                theme.warn,
            )));
        }
    }
    let hint = if read_only {
        "j/k move · l reload · Esc close · read-only: no undo"
    } else {
        "j/k move · u undo · r resume (cut short) · c commit rebind · l reload · Esc close"
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(" Actions (audit log) ", theme.title))
        .title_bottom(Span::styled(format!(" {hint} "), theme.muted));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
