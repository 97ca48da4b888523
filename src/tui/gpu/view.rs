//! Pane 2: one block per card (figures, sparklines of the last minutes, alerts) and the processes
//! on it with their containers; a process of a container that is open to the world without
//! authentication is flagged.

use super::GpuPane;
use crate::model::{AuthKind, Exposure, GpuCard, GpuProcess, GpuSnapshot, short_bytes};
use crate::tui::containers::ContainerRow;
use crate::tui::layout::PaneId;
use crate::tui::widgets::{Ctx, pane_block};
use crate::util::text::escape;
use crate::util::text::truncate;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// What the GPU pane draws from: its state, and the container rows (a process's container is
/// flagged by its exposure and authentication).
pub struct GpuView<'a> {
    pub pane: &'a GpuPane,
    pub rows: &'a [ContainerRow],
    pub ctx: &'a Ctx<'a>,
}

/// Eight levels, lowest first; a reading of 0 is the lowest bar, so the time axis stays visible.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Width of the label in front of a sparkline: `util 100% `.
const LABEL: usize = 10;
/// Below this width a process row keeps only PID, memory, container and name.
const FULL_ROW: usize = 64;

pub fn draw(view: &GpuView, area: Rect, frame: &mut ratatui::Frame) {
    let block = pane_block(view.ctx, PaneId::Gpu, title_summary(view));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let (lines, selected_line) = content(view, inner.width as usize);
    // Scroll just enough to keep the selected process on screen; drawing stays a pure function.
    let height = inner.height as usize;
    let offset = selected_line.map_or(0, |line| (line + 1).saturating_sub(height));
    let shown: Vec<Line> = lines.into_iter().skip(offset).take(height).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

fn title_summary(view: &GpuView) -> Option<String> {
    let snapshot = view.pane.snapshot.as_ref()?;
    if !snapshot.available {
        return Some("n/a".into());
    }
    let processes = snapshot.processes().count();
    Some(format!(
        "driver {} · CUDA {} · {} GPU{} · {} proc",
        escape(snapshot.driver.as_deref().unwrap_or("n/a")),
        escape(snapshot.cuda.as_deref().unwrap_or("n/a")),
        snapshot.gpus.len(),
        if snapshot.gpus.len() == 1 { "" } else { "s" },
        processes
    ))
}

/// Every line of the pane and the index of the selected process's line.
fn content(view: &GpuView, width: usize) -> (Vec<Line<'static>>, Option<usize>) {
    let theme = view.ctx.theme;
    let Some(snapshot) = &view.pane.snapshot else {
        return (
            vec![Line::from(Span::styled("Sampling GPUs…", theme.muted))],
            None,
        );
    };
    if !snapshot.available {
        return (unavailable_lines(view, snapshot), None);
    }
    let mut lines = Vec::new();
    if let Some(reason) = &snapshot.reason {
        lines.push(Line::from(Span::styled(
            escape(reason).into_owned(),
            theme.muted,
        )));
    }
    // NVML reports host PIDs: from a container without the host's PID namespace none of them
    // can be looked up, and the containers cannot be named.
    if snapshot.processes().next().is_some() && snapshot.processes().all(|(_, p)| !p.visible) {
        lines.push(Line::from(Span::styled(
            "GPU processes not visible here: run vigil in the host PID namespace (--pid=host) to map them",
            theme.warn,
        )));
    }
    let mut selected_line = None;
    for card in &snapshot.gpus {
        card_lines(view, card, width, &mut lines);
        if !card.processes.is_empty() {
            lines.push(Line::from(Span::styled(process_header(width), theme.muted)));
        }
        for process in &card.processes {
            let selected = view.pane.selected == Some((card.index, process.pid))
                && view.ctx.focus == PaneId::Gpu;
            if view.pane.selected == Some((card.index, process.pid)) {
                selected_line = Some(lines.len());
            }
            lines.push(process_line(view, process, width, selected));
        }
    }
    (lines, selected_line)
}

fn unavailable_lines(view: &GpuView, snapshot: &GpuSnapshot) -> Vec<Line<'static>> {
    vec![
        Line::from(vec![
            Span::styled("No GPU data: ", view.ctx.theme.warn),
            Span::styled(
                escape(snapshot.reason.as_deref().unwrap_or("unknown reason")).into_owned(),
                view.ctx.theme.text,
            ),
        ]),
        Line::from(Span::styled(
            "Everything else works without it; vigil tries NVML again every 30 s.",
            view.ctx.theme.muted,
        )),
    ]
}

fn card_lines(view: &GpuView, card: &GpuCard, width: usize, lines: &mut Vec<Line<'static>>) {
    let theme = view.ctx.theme;
    let identity = vec![
        Span::styled(format!("GPU {} ", card.index), theme.title),
        Span::styled(
            format!(
                "{} {} ",
                escape(card.name.as_deref().unwrap_or("n/a")),
                escape(&card.short_uuid())
            ),
            theme.text,
        ),
    ];
    let mut head = vec![Span::styled(card.figures(), theme.muted)];
    if card.mig_enabled == Some(true) {
        head.push(Span::styled(" MIG", theme.info));
    }
    if let Some(reasons) = card.throttle_reasons.as_ref().filter(|r| !r.is_empty()) {
        head.push(Span::styled(
            format!(" throttled: {}", reasons.join(", ")),
            theme.warn,
        ));
    }
    if let Some(errors) = card
        .ecc
        .and_then(|e| e.uncorrected_volatile)
        .filter(|n| *n > 0)
    {
        head.push(Span::styled(
            format!(" ECC {errors} uncorrected"),
            theme.high,
        ));
    }
    if let Some(last) = card.xid_events.last() {
        head.push(Span::styled(
            format!(" XID {} (×{})", last.code, card.xid_events.len()),
            theme.high,
        ));
    }
    // One line when it fits, else the figures go on a line of their own.
    let identity_width: usize = identity.iter().map(|s| s.width()).sum();
    let figures_width: usize = head.iter().map(|s| s.width()).sum();
    if identity_width + figures_width <= width {
        lines.push(Line::from([identity, head].concat()));
    } else {
        lines.push(Line::from(identity));
        lines.push(Line::from(head));
    }
    if let Some(problem) = &card.problem {
        lines.push(Line::from(Span::styled(
            format!("! {}", escape(problem)),
            theme.error,
        )));
    }
    let history = view.pane.history_of(card);
    let memory = match (card.memory_used_bytes, card.memory_total_bytes) {
        (Some(used), Some(total)) => format!(" mem {}/{}", short_bytes(used), short_bytes(total)),
        _ => " mem n/a".into(),
    };
    let busy = card.busy_without_known_workload(view.ctx.settings.gpu_busy_percent);
    let util_style = if busy { theme.critical } else { theme.ok };
    lines.push(sparkline_line(
        "util",
        card.utilization_gpu,
        history.map(|h| &h.gpu),
        width,
        "",
        util_style,
        view,
    ));
    lines.push(sparkline_line(
        "mem-bw",
        card.utilization_memory,
        history.map(|h| &h.memory),
        width,
        &memory,
        theme.info,
        view,
    ));
    if busy {
        lines.push(Line::from(Span::styled(
            format!(
                "! {}% busy with no visible process: hidden workload, another PID namespace or a VM?",
                card.utilization_gpu.unwrap_or(0)
            ),
            theme.critical,
        )));
    }
}

fn sparkline_line(
    label: &str,
    now: Option<u32>,
    history: Option<&std::collections::VecDeque<u8>>,
    width: usize,
    suffix: &str,
    style: Style,
    view: &GpuView,
) -> Line<'static> {
    let value = now.map_or("n/a".to_string(), |v| format!("{v}%"));
    let head = format!("{label:<6}{value:>4} ");
    let room = width.saturating_sub(LABEL + suffix.chars().count());
    let bars = history.map(|h| sparkline(h, room)).unwrap_or_default();
    Line::from(vec![
        Span::styled(head, view.ctx.theme.text),
        Span::styled(bars, style),
        Span::styled(suffix.to_string(), view.ctx.theme.muted),
    ])
}

/// The newest `width` readings as bars, newest on the right.
pub fn sparkline(history: &std::collections::VecDeque<u8>, width: usize) -> String {
    let skip = history.len().saturating_sub(width);
    history
        .iter()
        .skip(skip)
        .map(|value| BARS[(*value as usize * (BARS.len() - 1) + 50) / 100])
        .collect()
}

fn process_header(width: usize) -> String {
    let text = if width >= FULL_ROW {
        format!(
            "  {:>7} {:<8} {:<14} {:>6} {:>4} CONTAINER",
            "PID", "USER", "NAME", "MEM", "SM"
        )
    } else {
        " PID MEM CONTAINER NAME".to_string()
    };
    truncate(&text, width)
}

fn process_line(
    view: &GpuView,
    process: &GpuProcess,
    width: usize,
    selected: bool,
) -> Line<'static> {
    let theme = view.ctx.theme;
    let marker = if selected { "▸" } else { " " };
    let memory = process
        .used_memory_bytes
        .map_or("n/a".to_string(), short_bytes);
    let name = escape(process.name.as_deref().unwrap_or("?")).into_owned();
    let fixed = if width >= FULL_ROW {
        format!(
            "{marker} {:>7} {:<8} {:<14} {:>6} {:>4} ",
            process.pid,
            truncate(&escape(process.user.as_deref().unwrap_or("?")), 8),
            truncate(&name, 14),
            memory,
            process
                .sm_utilization
                .map_or("n/a".to_string(), |v| format!("{v}%")),
        )
    } else {
        // Narrow: who it is (the container) matters more than its user and SM share.
        format!("{marker}{} {} ", process.pid, memory)
    };
    let (container, flag) = container_cells(view, process, width >= FULL_ROW);
    let flag_width = flag.as_ref().map_or(0, |(text, _)| text.chars().count());
    let room = width.saturating_sub(fixed.chars().count() + flag_width);
    let base = if selected { theme.selected } else { theme.text };
    let mut spans = vec![
        Span::styled(fixed, base),
        Span::styled(truncate(&container, room), base),
    ];
    if let Some((text, style)) = flag {
        spans.push(Span::styled(text, style));
    }
    if width < FULL_ROW {
        spans.push(Span::styled(format!(" {name}"), theme.muted));
    }
    Line::from(spans)
}

/// The container's name (or `host`), and a flag when that container is reachable from outside.
fn container_cells(
    view: &GpuView,
    process: &GpuProcess,
    wide: bool,
) -> (String, Option<(String, Style)>) {
    let Some(id) = &process.container_id else {
        return if process.visible {
            ("host".into(), None)
        } else {
            (
                "? (pid not visible)".into(),
                Some((" hidden".into(), view.ctx.theme.warn)),
            )
        };
    };
    // The containers pane's row is fresher than the sample (the list may have arrived after it).
    let row = view.rows.iter().find(|r| &r.id == id);
    let name = row
        .map(|r| r.name.clone())
        .or_else(|| {
            process
                .container_name
                .as_deref()
                .map(|n| escape(n).into_owned())
        })
        .unwrap_or_else(|| id.chars().take(12).collect());
    let pick = |long: &str, short: &str| if wide { long } else { short }.to_string();
    let flag = row.and_then(|row| match (row.exposure, row.auth) {
        (Exposure::Public, AuthKind::None) => Some((
            pick(" ⚠ PUBLIC, NO AUTH", " ⚠ OPEN"),
            view.ctx.theme.critical,
        )),
        (Exposure::Public, AuthKind::Unknown) => Some((
            pick(" public, auth unknown", " public?"),
            view.ctx.theme.high,
        )),
        (Exposure::Public, _) => Some((" public".to_string(), view.ctx.theme.medium)),
        _ => None,
    });
    (name, flag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_keeps_the_newest_readings() {
        let history: std::collections::VecDeque<u8> = [0, 50, 100, 100].into_iter().collect();
        assert_eq!(sparkline(&history, 10), "▁▅██");
        assert_eq!(sparkline(&history, 2), "██");
        assert_eq!(sparkline(&history, 0), "");
    }
}
