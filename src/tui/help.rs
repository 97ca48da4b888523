//! `?`: every key, generated from the keymap so it cannot drift.

use crate::tui::keymap::BINDINGS;
use crate::tui::widgets::Ctx;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn lines(ctx: &Ctx) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        if ctx.read_only {
            "Observer mode [RO]: nothing on this host can be changed from this screen."
        } else {
            "Operator mode [RW]."
        },
        ctx.theme.muted,
    ))];
    lines.push(Line::from(""));
    for binding in BINDINGS {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", binding.label), ctx.theme.title),
            Span::styled(binding.help, ctx.theme.text),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Timeline scoring (config [timeline]; weight, tag, meaning):",
        ctx.theme.title,
    )));
    for line in ctx.settings.timeline.explain() {
        lines.push(Line::from(Span::styled(line, ctx.theme.text)));
    }
    lines.push(Line::from(Span::styled(
        "▲ first suspicious commit on the default branch   ◆ safe state (the commit before it)",
        ctx.theme.text,
    )));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Mouse: click a pane to focus it, a row to select it, wheel to scroll.",
        ctx.theme.muted,
    )));
    lines
}

/// Draws the help; returns the largest scroll (see `widgets::scrolled_popup`).
pub fn draw(ctx: &Ctx, scroll: u16, frame: &mut ratatui::Frame) -> u16 {
    let area = crate::tui::widgets::centered(frame.area(), 90, 34);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(ctx.theme.border_focused)
        .title(Span::styled(" Keys (Esc closes) ", ctx.theme.title));
    let paragraph = Paragraph::new(lines(ctx)).block(block);
    crate::tui::widgets::scrolled_popup(paragraph, area, scroll, frame)
}
