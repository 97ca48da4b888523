//! The confirmation popup: the full plan, warnings, the question, then live progress and the
//! result. Default answer No.

use crate::ops::Confirmation;
use crate::tui::app::App;
use crate::tui::remediation::{ConfirmPhase, ConfirmState};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn lines(app: &App, state: &ConfirmState) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let mut out: Vec<Line<'static>> = Vec::new();
    for line in state.plan.describe() {
        let style = if line.starts_with("WARNING") || line.starts_with("REFUSED") {
            theme.warn
        } else if line.starts_with("  $ ") {
            theme.muted
        } else if line.ends_with(':') {
            theme.title
        } else {
            theme.text
        };
        // The question line is replaced by the interactive one below.
        if line.starts_with("Proceed?") || line.starts_with("Type `") {
            continue;
        }
        out.push(Line::from(Span::styled(line, style)));
    }
    out.push(Line::from(""));
    match &state.phase {
        ConfirmPhase::Asking if state.plan.refused.is_some() => {
            out.push(Line::from(Span::styled("Esc closes.", theme.muted)));
        }
        ConfirmPhase::Asking => match &state.plan.confirmation {
            Confirmation::YesNo => out.push(Line::from(vec![
                Span::styled("Proceed? ", theme.title),
                Span::styled("[y/N]", theme.warn),
                Span::styled("  (any other key cancels)", theme.muted),
            ])),
            Confirmation::Type(text) => {
                out.push(Line::from(Span::styled(
                    format!(
                        "Type `{}` and Enter to proceed; Esc cancels:",
                        crate::sanitize::escape(text)
                    ),
                    theme.title,
                )));
                out.push(Line::from(Span::styled(
                    format!("> {}█", crate::sanitize::escape(&state.typed)),
                    theme.text,
                )));
            }
        },
        ConfirmPhase::Running { since } => out.push(Line::from(Span::styled(
            format!(
                "Running: {} … {:.1}s (the screen stays live; the result appears here)",
                state
                    .plan
                    .steps
                    .first()
                    .map_or("", |s| s.description.as_str()),
                since.elapsed().as_secs_f32()
            ),
            theme.warn,
        ))),
        ConfirmPhase::Done { ok, message } => {
            out.push(Line::from(Span::styled(
                format!(
                    "{} {}",
                    if *ok { "Done:" } else { "FAILED:" },
                    crate::sanitize::escape(message)
                ),
                if *ok { theme.ok } else { theme.error },
            )));
            out.push(Line::from(Span::styled(
                "Any key closes; `a` lists actions and undo.",
                theme.muted,
            )));
        }
    }
    out
}

pub fn draw(app: &App, state: &ConfirmState, frame: &mut ratatui::Frame) {
    let content = lines(app, state);
    // Tall enough for the whole plan (long steps wrap), never taller than the screen.
    let width = frame.area().width.min(120);
    let inner_width = width.saturating_sub(2).max(1) as usize;
    let needed: usize = content
        .iter()
        .map(|line| line.width().max(1).div_ceil(inner_width))
        .sum::<usize>()
        + 2;
    let area = super::centered(frame.area(), width, needed.min(u16::MAX as usize) as u16);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.warn)
        .title(Span::styled(
            format!(" Confirm: {} ", state.plan.kind.as_str()),
            app.theme.title,
        ));
    frame.render_widget(
        Paragraph::new(lines(app, state))
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
