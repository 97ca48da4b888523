//! Pane 4: secret findings, one row per secret, most urgent first (compromised, live in a
//! running container, in HEAD, history only). Only masked values are ever drawn.

use super::{ScanState, SecretsPane};
use crate::secrets::finding::Finding;
use crate::secrets::rules::Severity;
use crate::tui::layout::PaneId;
use crate::tui::theme::Theme;
use crate::tui::widgets::{Ctx, pane_block};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

pub fn severity_style(theme: &Theme, finding: &Finding) -> Style {
    if finding.suppressed.is_some() {
        return theme.muted;
    }
    if finding.compromised {
        return theme.critical;
    }
    match finding.severity {
        Severity::Critical => theme.critical,
        Severity::High => theme.high,
        Severity::Medium => theme.medium,
        Severity::Low => theme.low,
    }
}

fn title(pane: &SecretsPane) -> Option<String> {
    let report = pane.report.as_ref()?;
    let s = &report.summary;
    let mut parts = vec![format!("{} findings", s.findings)];
    if s.critical > 0 {
        parts.push(format!("{} critical", s.critical));
    }
    if s.compromised > 0 {
        parts.push(format!("{} compromised", s.compromised));
    }
    if s.suppressed > 0 {
        parts.push(format!("{} suppressed", s.suppressed));
    }
    if matches!(pane.state, ScanState::Running { .. }) {
        parts.push("rescanning…".into());
    } else if pane.stale {
        parts.push("containers changed: r rescans".into());
    }
    Some(parts.join(" · "))
}

fn row(ctx: &Ctx, finding: &Finding, width: usize, selected: bool) -> Line<'static> {
    let severity = match (&finding.suppressed, finding.compromised) {
        (Some(_), _) => "suppr".to_string(),
        (None, true) => "ROTATE".to_string(),
        (None, false) => finding.severity.as_str().to_string(),
    };
    let style = severity_style(ctx.theme, finding);
    let text = crate::util::text::truncate(
        &format!(
            "{:<22} {:<17} {}",
            finding.rule,
            finding.masked,
            finding.where_summary()
        ),
        width.saturating_sub(9),
    );
    // ✓: rotated on the recovery checklist (`m`).
    let rotated = ctx.marks.is_marked(
        crate::incident::marks::MarkKind::Secret,
        &finding.fingerprint,
    );
    let mut line = Line::from(vec![
        Span::styled(if rotated { "✓" } else { " " }, ctx.theme.ok),
        Span::styled(format!("{severity:<7} "), style),
        Span::styled(text, ctx.theme.text),
    ]);
    if selected {
        line = line.style(ctx.theme.selected);
    }
    line
}

pub fn draw(pane: &SecretsPane, ctx: &Ctx, area: Rect, frame: &mut ratatui::Frame) {
    let block = pane_block(ctx, PaneId::Secrets, title(pane));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let view = pane;
    let gauge = view.gauge();
    let [gauge_area, list_area] = Layout::vertical([
        Constraint::Length(u16::from(gauge.is_some())),
        Constraint::Min(0),
    ])
    .areas(inner);
    if let Some((ratio, label)) = gauge {
        frame.render_widget(
            Gauge::default()
                .ratio(ratio)
                .label(label)
                .gauge_style(ctx.theme.warn),
            gauge_area,
        );
    }
    let mut lines: Vec<Line<'static>> = Vec::new();
    match (&view.report, &view.state) {
        (_, ScanState::Failed(message)) => lines.push(Line::from(Span::styled(
            format!("secret scan failed: {}", crate::util::text::escape(message)),
            ctx.theme.error,
        ))),
        (None, ScanState::NotStarted) => lines.push(Line::from(Span::styled(
            "the secret scan starts in a moment…",
            ctx.theme.muted,
        ))),
        (None, _) => lines.push(Line::from(Span::styled(
            "findings appear when the scan completes; the other panes work meanwhile",
            ctx.theme.muted,
        ))),
        (Some(report), _) => {
            if ctx.settings.repos.is_empty() {
                lines.push(Line::from(Span::styled(
                    crate::util::text::truncate(
                        "no repository scanned: start vigil inside it or pass --repo PATH",
                        list_area.width as usize,
                    ),
                    ctx.theme.warn,
                )));
            }
            // Notes (what was not scanned) one line each; the CLI prints them whole.
            for note in report.summary.notes.iter().take(2) {
                lines.push(Line::from(Span::styled(
                    crate::util::text::truncate(
                        &crate::util::text::escape(note),
                        list_area.width as usize,
                    ),
                    ctx.theme.warn,
                )));
            }
            if report.findings.is_empty() {
                lines.push(Line::from(Span::styled(
                    "no secrets found in the working tree, the history or the containers",
                    ctx.theme.ok,
                )));
            }
            let room = (list_area.height as usize)
                .saturating_sub(lines.len())
                .max(1);
            let selected = view.selected.min(report.findings.len().saturating_sub(1));
            let offset = if selected >= room {
                selected + 1 - room
            } else {
                0
            };
            for (index, finding) in report.findings.iter().enumerate().skip(offset).take(room) {
                lines.push(row(
                    ctx,
                    finding,
                    list_area.width as usize,
                    ctx.focus == PaneId::Secrets && index == selected,
                ));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), list_area);
}
