//! The confirmation popup: the full plan, warnings, the question, then live progress and the
//! result. Default answer No.

use crate::ops::Confirmation;
use crate::tui::app::App;
use crate::tui::remediation::{ConfirmPhase, ConfirmState};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// The plan lines (may be cut on a small screen) and the answer lines (always shown).
pub fn lines(app: &App, state: &ConfirmState) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let theme = &app.theme;
    let mut plan: Vec<Line<'static>> = Vec::new();
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
        plan.push(Line::from(Span::styled(line, style)));
    }
    let mut out: Vec<Line<'static>> = Vec::new();
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
    (plan, out)
}

/// Rows `lines` take when wrapped to `width` columns.
fn wrapped_height(lines: &[Line<'_>], width: usize) -> usize {
    lines
        .iter()
        .map(|line| line.width().max(1).div_ceil(width.max(1)))
        .sum()
}

pub fn draw(app: &App, state: &ConfirmState, frame: &mut ratatui::Frame) {
    let (plan, answer) = lines(app, state);
    // Tall enough for the whole plan (long steps wrap), never taller than the screen; the answer
    // lines keep their place at the bottom even when the plan has to be cut.
    let width = frame.area().width.min(120);
    let inner_width = width.saturating_sub(2).max(1) as usize;
    let plan_rows = wrapped_height(&plan, inner_width);
    let answer_rows = wrapped_height(&answer, inner_width);
    let needed = (plan_rows + answer_rows + 3).min(u16::MAX as usize) as u16;
    let area = super::centered(frame.area(), width, needed);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.warn)
        .title(Span::styled(
            format!(" Confirm: {} ", state.plan.kind.as_str()),
            app.theme.title,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let answer_height = (answer_rows as u16 + 1).min(inner.height);
    let [plan_area, answer_area] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Min(0),
        ratatui::layout::Constraint::Length(answer_height),
    ])
    .areas(inner);
    let mut plan = plan;
    if plan_rows > plan_area.height as usize && plan_area.height > 0 {
        // Say that the plan is cut rather than cutting it silently.
        let keep = plan_area.height.saturating_sub(1) as usize;
        let mut kept = Vec::new();
        let mut used = 0;
        for line in plan {
            let rows = line.width().max(1).div_ceil(inner_width);
            if used + rows > keep {
                break;
            }
            used += rows;
            kept.push(line);
        }
        kept.push(Line::from(Span::styled(
            "… plan cut: enlarge the terminal to read it all (`vigil ... --dry-run` prints it)",
            app.theme.warn,
        )));
        plan = kept;
    }
    frame.render_widget(Paragraph::new(plan).wrap(Wrap { trim: false }), plan_area);
    let mut answer_with_gap = vec![Line::from("")];
    answer_with_gap.extend(answer);
    frame.render_widget(
        Paragraph::new(answer_with_gap).wrap(Wrap { trim: false }),
        answer_area,
    );
}
