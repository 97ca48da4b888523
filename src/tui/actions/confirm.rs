//! The confirmation popup: the full plan, warnings, the question, then live progress and the
//! result. Default answer No.

use super::{ConfirmPhase, ConfirmState, StepState};
use crate::ops::Confirmation;
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// The plan lines (may be cut on a small screen) and the answer lines (always shown).
pub fn lines(theme: &Theme, state: &ConfirmState) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
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
                        crate::util::text::escape(text)
                    ),
                    theme.title,
                )));
                out.push(Line::from(Span::styled(
                    format!("> {}█", crate::util::text::escape(&state.typed)),
                    theme.text,
                )));
            }
        },
        ConfirmPhase::Running { since } => {
            out.extend(progress_lines(theme, state));
            out.push(Line::from(Span::styled(
                format!(
                    "Running … {:.1}s (the screen stays live; the result appears here)",
                    since.elapsed().as_secs_f32()
                ),
                theme.warn,
            )));
        }
        ConfirmPhase::Done { ok, message } => {
            out.extend(progress_lines(theme, state));
            out.push(Line::from(Span::styled(
                format!(
                    "{} {}",
                    if *ok { "Done:" } else { "FAILED:" },
                    crate::util::text::escape(message)
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

/// One line per plan step with where it stands (· pending, ▶ running, ✓ done, ✗ failed), then
/// any notes the executor sent (an automatic rollback).
fn progress_lines(theme: &Theme, state: &ConfirmState) -> Vec<Line<'static>> {
    let total = state.steps.len();
    let mut lines: Vec<Line<'static>> = state
        .steps
        .iter()
        .zip(&state.plan.steps)
        .enumerate()
        .map(|(index, (step_state, step))| {
            let what = crate::util::text::truncate(&step.description, 70);
            let (mark, tail, style) = match step_state {
                StepState::Pending => ("·", String::new(), theme.muted),
                StepState::Running(since) => (
                    "▶",
                    format!(" … {:.1}s", since.elapsed().as_secs_f32()),
                    theme.warn,
                ),
                StepState::Done(took) => ("✓", format!(" ({:.2}s)", took.as_secs_f32()), theme.ok),
                StepState::Failed(error) => (
                    "✗",
                    format!(": {}", crate::util::text::escape(error)),
                    theme.error,
                ),
            };
            Line::from(Span::styled(
                format!("{mark} {}/{total} {what}{tail}", index + 1),
                style,
            ))
        })
        .collect();
    lines.extend(
        state
            .notes
            .iter()
            .map(|note| Line::from(Span::styled(format!("!! {note}"), theme.warn))),
    );
    lines
}

/// Rows `lines` take when wrapped to `width` columns.
fn wrapped_height(lines: &[Line<'_>], width: usize) -> usize {
    lines
        .iter()
        .map(|line| line.width().max(1).div_ceil(width.max(1)))
        .sum()
}

pub fn draw(theme: &Theme, state: &ConfirmState, frame: &mut ratatui::Frame) {
    let (plan, answer) = lines(theme, state);
    // Tall enough for the whole plan (long steps wrap), never taller than the screen; the answer
    // lines keep their place at the bottom even when the plan has to be cut.
    let width = frame.area().width.min(120);
    let inner_width = width.saturating_sub(2).max(1) as usize;
    let plan_rows = wrapped_height(&plan, inner_width);
    let answer_rows = wrapped_height(&answer, inner_width);
    let needed = (plan_rows + answer_rows + 3).min(u16::MAX as usize) as u16;
    let area = crate::tui::widgets::centered(frame.area(), width, needed);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.warn)
        .title(Span::styled(
            format!(" Confirm: {} ", state.plan.kind.as_str()),
            theme.title,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let answer_height = (answer_rows as u16 + 1).min(inner.height);
    let [plan_area, answer_area] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Min(0),
        ratatui::layout::Constraint::Length(answer_height),
    ])
    .areas(inner);
    if plan_rows > plan_area.height as usize && plan_area.height > 1 {
        // Taller than the popup: scrollable, and the last row says so and where we are.
        let visible = plan_area.height - 1;
        let max_scroll = (plan_rows as u16).saturating_sub(visible);
        state.max_scroll.set(max_scroll);
        let scroll = state.scroll.min(max_scroll);
        let [text_area, hint_area] = ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(visible),
            ratatui::layout::Constraint::Length(1),
        ])
        .areas(plan_area);
        frame.render_widget(
            Paragraph::new(plan)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            text_area,
        );
        let hint = format!(
            "↑↓ PgUp/PgDn Home/End: plan rows {}-{} of {plan_rows}",
            scroll + 1,
            (scroll + visible).min(plan_rows as u16)
        );
        frame.render_widget(Paragraph::new(Span::styled(hint, theme.warn)), hint_area);
    } else {
        state.max_scroll.set(0);
        frame.render_widget(Paragraph::new(plan).wrap(Wrap { trim: false }), plan_area);
    }
    let mut answer_with_gap = vec![Line::from("")];
    answer_with_gap.extend(answer);
    frame.render_widget(
        Paragraph::new(answer_with_gap).wrap(Wrap { trim: false }),
        answer_area,
    );
}
