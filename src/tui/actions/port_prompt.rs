//! `f`: the port or range to block, prefilled from the selected row.

use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(theme: &Theme, text: &str, frame: &mut ratatui::Frame) {
    let area = crate::tui::widgets::centered(frame.area(), 64, 7);
    frame.render_widget(Clear, area);
    let lines = vec![
        Line::from(Span::styled(
            "Block outside access (IPv4 and IPv6) to TCP port or range:",
            theme.text,
        )),
        Line::from(Span::styled(format!("> {text}█"), theme.title)),
        Line::from(Span::styled(
            "e.g. 36325 or 5000-5003 · Enter shows the plan · Esc cancels",
            theme.muted,
        )),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.warn)
        .title(Span::styled(" Block in the firewall ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
