//! `?`: every key, generated from the keymap so it cannot drift.

use crate::tui::app::App;
use crate::tui::keymap::BINDINGS;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        if app.read_only {
            "Observer mode [RO]: nothing on this host can be changed from this screen."
        } else {
            "Operator mode [RW]."
        },
        app.theme.muted,
    ))];
    lines.push(Line::from(""));
    for binding in BINDINGS {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", binding.label), app.theme.title),
            Span::styled(binding.help, app.theme.text),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Timeline scoring (config [timeline]; weight, tag, meaning):",
        app.theme.title,
    )));
    for line in app.settings.timeline.explain() {
        lines.push(Line::from(Span::styled(line, app.theme.text)));
    }
    lines.push(Line::from(Span::styled(
        "▲ first suspicious commit on the default branch   ◆ safe state (the commit before it)",
        app.theme.text,
    )));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Mouse: click a pane to focus it, a row to select it, wheel to scroll.",
        app.theme.muted,
    )));
    lines
}

pub fn draw(app: &App, scroll: u16, frame: &mut ratatui::Frame) {
    let area = super::centered(frame.area(), 90, 34);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border_focused)
        .title(Span::styled(" Keys (Esc closes) ", app.theme.title));
    frame.render_widget(
        Paragraph::new(lines(app)).block(block).scroll((scroll, 0)),
        area,
    );
}
