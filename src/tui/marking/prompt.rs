//! `m`: the one-line note for a checklist mark.

use super::MarkTarget;
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn draw(theme: &Theme, target: &MarkTarget, text: &str, frame: &mut ratatui::Frame) {
    let area = crate::tui::widgets::centered(frame.area(), 72, 8);
    frame.render_widget(Clear, area);
    let lines = vec![
        Line::from(Span::styled(
            format!("Mark {} as reviewed. Note:", target.label),
            theme.text,
        )),
        Line::from(Span::styled(format!("> {text}█"), theme.title)),
        Line::from(Span::styled(
            "one line (rotated, audited, isolated, exposure accepted because …) · Enter saves · Esc cancels",
            theme.muted,
        )),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(" Recovery checklist ", theme.title));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        area,
    );
}
