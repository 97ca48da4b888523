//! Pane 3: the suspicious commit timeline. A chart across the top, the commit list below (by
//! time or by score), the safe state at the bottom. Commit text is attacker-controlled: every
//! string from the repository is escaped before it is drawn.

use super::chart::Chart;
use super::{LoadState, Order, RepoTimeline, TimelinePane};
use crate::timeline::CommitEntry;
use crate::tui::layout::PaneId;
use crate::tui::widgets::{Ctx, pane_block};
use crate::util::text::escape;
use crate::util::text::truncate;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// `2026-03-02 10:00 +01:00`: the date as the author's clock said, with its offset.
pub fn short_time(seconds: i64, offset_minutes: i32) -> String {
    let full = crate::util::time::local_time(seconds, offset_minutes);
    // 2026-03-02T10:00:00+01:00 -> 2026-03-02 10:00 +01:00
    if full.len() == 25 {
        format!("{} {} {}", &full[..10], &full[11..16], &full[19..])
    } else {
        full
    }
}

fn title(pane: &TimelinePane, ctx: &Ctx) -> Option<String> {
    let view = pane;
    let repo = view.current()?;
    let name = repo
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| repo.path.display().to_string());
    let mut parts = vec![escape(&name).into_owned()];
    if view.repos.len() > 1 {
        parts[0] = format!("{} [{}/{}]", parts[0], view.current + 1, view.repos.len());
    }
    if let Some(timeline) = &repo.timeline {
        parts.push(format!("{} commits", timeline.commits.len()));
        let threshold = ctx.settings.timeline.threshold;
        parts.push(format!(
            "{} suspicious",
            timeline.suspicious(threshold).count()
        ));
        parts.push(match view.order {
            Order::Time => "by time".into(),
            Order::Score => "by score".into(),
        });
    }
    if repo.counting
        && let Some(progress) = repo.counts
        && progress.total > 0
    {
        parts.push(format!(
            "counting lines {}%",
            progress.done * 100 / progress.total
        ));
    }
    Some(parts.join(" · "))
}

/// The marker before a row: the first suspicious commit and the safe state stand out.
fn marker(repo: &RepoTimeline, commit: &CommitEntry) -> &'static str {
    let Some(timeline) = &repo.timeline else {
        return " ";
    };
    if timeline.first_suspicious == Some(commit.id) {
        "▲"
    } else if timeline.safe_state == Some(commit.id) {
        "◆"
    } else {
        " "
    }
}

fn row(
    ctx: &Ctx,
    repo: &RepoTimeline,
    commit: &CommitEntry,
    width: usize,
    selected: bool,
) -> Line<'static> {
    let theme = ctx.theme;
    let suspicious = commit.score >= ctx.settings.timeline.threshold;
    let score_style = if suspicious {
        theme.critical
    } else if commit.score > 0.0 {
        theme.medium
    } else {
        theme.muted
    };
    let tags: Vec<&str> = commit.signals.iter().map(|s| s.kind.tag()).collect();
    // Columns give way as the pane narrows: the author first, then the date; the id, the
    // score, the tags and the subject always stay.
    let wide = width >= 100;
    let with_date = width >= 70;
    // ✓: reviewed on the recovery checklist (`m`).
    let reviewed = ctx.marks.is_marked(
        crate::incident::marks::MarkKind::Commit,
        &commit.id.to_string(),
    );
    let mut spans = vec![
        Span::styled(marker(repo, commit).to_string(), theme.high),
        Span::styled(if reviewed { "✓" } else { " " }, theme.ok),
        Span::styled(
            format!("{} ", commit.id.short(if with_date { 10 } else { 7 })),
            theme.muted,
        ),
    ];
    if with_date {
        spans.push(Span::styled(
            format!("{} ", short_time(commit.author_time, commit.author_offset)),
            theme.text,
        ));
    }
    if wide {
        spans.push(Span::styled(
            format!("{:<14} ", truncate(&escape(&commit.author), 14)),
            theme.text,
        ));
    }
    spans.push(Span::styled(format!("{:>4.1} ", commit.score), score_style));
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let tag_width = match width {
        w if w >= 100 => 26,
        w if w >= 70 => 16,
        _ => 10,
    };
    let tags = truncate(&tags.join(","), tag_width);
    spans.push(Span::styled(
        format!("{tags:<tag_width$} "),
        if suspicious { theme.high } else { theme.muted },
    ));
    let room = width.saturating_sub(used + tag_width + 1);
    spans.push(Span::styled(
        truncate(&escape(&commit.subject), room),
        theme.text,
    ));
    let mut line = Line::from(spans);
    if selected {
        line = line.style(theme.selected);
    }
    line
}

fn message(text: String, style: ratatui::style::Style, width: u16) -> Line<'static> {
    Line::from(Span::styled(truncate(&text, width as usize), style))
}

pub fn draw(pane: &TimelinePane, ctx: &Ctx, area: Rect, frame: &mut ratatui::Frame) {
    let block = pane_block(ctx, PaneId::Commits, title(pane, ctx));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let theme = ctx.theme;
    let width = inner.width;
    let Some(repo) = pane.current() else {
        let text = if ctx.settings.repos.is_empty() {
            "no repository: start vigil inside one or pass --repo PATH (repeatable)"
        } else {
            "the commit history is read in a moment…"
        };
        frame.render_widget(
            Paragraph::new(message(text.into(), theme.warn, width)),
            inner,
        );
        return;
    };
    let timeline = match (&repo.state, &repo.timeline) {
        (LoadState::Failed(why), _) => {
            frame.render_widget(
                Paragraph::new(message(
                    format!("cannot read the history: {}", escape(why)),
                    theme.error,
                    width,
                )),
                inner,
            );
            return;
        }
        (_, Some(timeline)) => timeline,
        _ => {
            frame.render_widget(
                Paragraph::new(message(
                    format!(
                        "reading the commits of {}… the other panes work meanwhile",
                        escape(&repo.path.display().to_string())
                    ),
                    theme.muted,
                    width,
                )),
                inner,
            );
            return;
        }
    };

    // Lines above the list: repository notes (shallow, empty, damaged, rewritten), the state of
    // the line counts.
    let mut notes: Vec<Line<'static>> = timeline
        .notes
        .iter()
        .take(if inner.height >= 16 { 2 } else { 1 })
        .map(|n| message(format!("! {}", escape(n)), theme.warn, width))
        .collect();
    if let Some(error) = &repo.counts_error {
        notes.push(message(
            format!(
                "line counts failed: {} (metadata signals only)",
                escape(error)
            ),
            theme.warn,
            width,
        ));
    }
    let footer = u16::from(timeline.first_suspicious.is_some() && inner.height >= 6);
    let chart_height = match inner.height {
        h if h >= 18 => 6,
        h if h >= 11 => 4,
        _ => 0,
    };
    let [chart_area, notes_area, list_area, footer_area] = Layout::vertical([
        Constraint::Length(chart_height),
        Constraint::Length(notes.len() as u16),
        Constraint::Min(0),
        Constraint::Length(footer),
    ])
    .areas(inner);
    if chart_height > 0
        && let Some(chart) = Chart::build(
            timeline,
            chart_area.width as usize,
            ctx.settings.timeline.threshold,
        )
    {
        chart.draw(ctx.theme, chart_area, frame.buffer_mut());
    }
    frame.render_widget(Paragraph::new(notes), notes_area);

    let room = list_area.height as usize;
    let selected = pane.selected.min(repo.rows.len().saturating_sub(1));
    let offset = if selected >= room {
        selected + 1 - room
    } else {
        0
    };
    let mut lines: Vec<Line<'static>> = Vec::new();
    if timeline.commits.is_empty() {
        lines.push(message("no commits".into(), theme.muted, width));
    }
    for (index, commit_index) in repo.rows.iter().enumerate().skip(offset).take(room) {
        let commit = &timeline.commits[*commit_index];
        lines.push(row(
            ctx,
            repo,
            commit,
            width as usize,
            ctx.focus == PaneId::Commits && index == selected,
        ));
    }
    frame.render_widget(Paragraph::new(lines), list_area);

    if footer > 0 {
        let text = match (&timeline.first_suspicious, &timeline.safe_state) {
            (Some(first), Some(safe)) => format!(
                "◆ safe state {} (before ▲ {}): {}",
                safe.short(10),
                first.short(10),
                timeline
                    .safe_state_commands()
                    .first()
                    .cloned()
                    .unwrap_or_default()
            ),
            (Some(first), None) if timeline.head_chain.is_empty() => format!(
                "▲ first suspicious {}: no default branch to find a safe state on",
                first.short(10)
            ),
            (Some(first), None) => format!(
                "▲ first suspicious {}: the default branch has no commit before it",
                first.short(10)
            ),
            _ => String::new(),
        };
        frame.render_widget(Paragraph::new(message(text, theme.ok, width)), footer_area);
    }
}
