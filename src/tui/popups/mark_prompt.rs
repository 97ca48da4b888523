//! `m`: the one-line note for a checklist mark.

use crate::tui::app::App;
use crate::tui::marking::MarkTarget;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn draw(app: &App, target: &MarkTarget, text: &str, frame: &mut ratatui::Frame) {
    let area = super::centered(frame.area(), 72, 8);
    frame.render_widget(Clear, area);
    let lines = vec![
        Line::from(Span::styled(
            format!("Mark {} as reviewed. Note:", target.label),
            app.theme.text,
        )),
        Line::from(Span::styled(format!("> {text}█"), app.theme.title)),
        Line::from(Span::styled(
            "one line (rotated, audited, isolated, exposure accepted because …) · Enter saves · Esc cancels",
            app.theme.muted,
        )),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border_focused)
        .title(Span::styled(" Recovery checklist ", app.theme.title));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        area,
    );
}
