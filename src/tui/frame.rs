//! Draws one frame: the shell's own parts (header, tabs, status line) and each visible pane
//! and popup from its feature's state, through a small `Ctx`. Pure: no I/O, no state changes.

use super::app::{App, Popup, Severity};
use super::containers::DockerStatus;
use super::layout::{Areas, PaneId};
use super::widgets::Ctx;
use crate::model::RiskLevel;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(app: &App, frame: &mut ratatui::Frame) {
    let area = frame.area();
    let shell = &app.shell;
    let areas = super::layout::compute(
        area,
        shell.focus,
        shell.zoom,
        app.containers.listener_rows.len(),
    );
    if areas.too_small {
        let text = format!(
            "vigil: terminal too small ({}x{}); need {}x{}",
            area.width,
            area.height,
            super::layout::MIN_WIDTH,
            super::layout::MIN_HEIGHT
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let ctx = Ctx {
        theme: &app.theme,
        now: shell.now,
        focus: shell.focus,
        read_only: shell.read_only,
        areas: &areas,
        settings: &app.settings,
        marks: &app.marks,
        strays: &shell.journal.strays,
    };
    draw_header(app, areas.header, frame);
    if let Some(tabs) = areas.tabs {
        draw_tabs(app, tabs, frame);
    }
    draw_panes(app, &ctx, &areas, frame);
    draw_status(app, areas.status, frame);
    draw_popup(app, &ctx, frame);
}

fn draw_panes(app: &App, ctx: &Ctx, areas: &Areas, frame: &mut ratatui::Frame) {
    for pane in PaneId::ALL {
        let Some(rect) = areas.pane(pane) else {
            continue;
        };
        match pane {
            PaneId::Containers => super::containers::view::draw(&app.containers, ctx, rect, frame),
            PaneId::Gpu => {
                let view = super::gpu::view::GpuView {
                    pane: &app.gpu,
                    rows: &app.containers.rows,
                    ctx,
                };
                super::gpu::view::draw(&view, rect, frame)
            }
            PaneId::Commits => super::timeline::view::draw(&app.timeline, ctx, rect, frame),
            PaneId::Secrets => super::secrets::view::draw(&app.secrets, ctx, rect, frame),
        }
    }
}

fn draw_popup(app: &App, ctx: &Ctx, frame: &mut ratatui::Frame) {
    let theme = ctx.theme;
    let max_scroll = match &app.shell.popup {
        Some(Popup::Help { scroll }) => super::help::draw(ctx, *scroll, frame),
        Some(Popup::Details { row, scroll }) => {
            super::containers::details::draw(&app.containers.inventory, theme, row, *scroll, frame)
        }
        Some(Popup::SecretDetails { index, scroll }) => {
            super::secrets::details::draw(&app.secrets, theme, *index, *scroll, frame)
        }
        Some(Popup::CommitDetails { id, scroll }) => {
            super::timeline::details::draw(&app.timeline, ctx, id, *scroll, frame)
        }
        // The popups below keep their own scrolling (or have none).
        Some(Popup::Confirm(state)) => {
            super::actions::confirm::draw(theme, state, frame);
            return;
        }
        Some(Popup::Actions(view)) => {
            super::actions::list::draw(theme, ctx.read_only, view, frame);
            return;
        }
        Some(Popup::PortPrompt { text }) => {
            super::actions::port_prompt::draw(theme, text, frame);
            return;
        }
        Some(Popup::MarkPrompt { target, text }) => {
            super::marking::prompt::draw(theme, target, text, frame);
            return;
        }
        None => return,
    };
    app.shell.popup_max_scroll.set(max_scroll);
}

fn draw_header(app: &App, area: Rect, frame: &mut ratatui::Frame) {
    let theme = &app.theme;
    let badge = if app.shell.read_only {
        Span::styled(" [RO] ", theme.read_only)
    } else {
        Span::styled(" [RW] ", theme.read_write)
    };
    let docker = match &app.containers.docker {
        DockerStatus::Connected {
            endpoint,
            server_version,
            api_version,
        } => Span::styled(
            format!("docker {endpoint} {server_version} (API {api_version})"),
            theme.header,
        ),
        DockerStatus::Connecting { endpoint } => {
            Span::styled(format!("docker {endpoint} connecting…"), theme.header)
        }
        DockerStatus::Down { endpoint, .. } => {
            Span::styled(format!("docker {endpoint} DOWN"), theme.error)
        }
    };
    let clock = app.shell.now.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
    let mut left = vec![Span::styled(" vigil ", theme.title), badge];
    // Right after the mode, before anything a narrow terminal would cut: the host may be
    // half-changed until these are settled.
    left.extend(unsettled_marker(app));
    left.extend([
        Span::styled(format!(" {} ", app.shell.host_name), theme.header),
        Span::styled("│ ", theme.header),
        docker,
    ]);
    // The recovery checklist first: it is what the hand-over is measured by.
    let checklist = app.checklist;
    if checklist != Default::default() {
        let text = format!(" │ ✓ {}", checklist.line());
        let used: usize = left.iter().map(|s| s.width()).sum();
        if used + text.chars().count() + clock.len() + 2 <= area.width as usize {
            left.push(Span::styled(text, theme.header));
        }
    }
    // The host at a glance, as much of it as fits next to the clock.
    if let Some(host) = &app.gpu.host {
        let used: usize = left.iter().map(|s| s.width()).sum();
        let room = (area.width as usize).saturating_sub(used + clock.len() + 2);
        let mut summary = String::new();
        for part in host_parts(host) {
            let next = if summary.is_empty() {
                format!(" │ {part}")
            } else {
                format!(" · {part}")
            };
            if summary.chars().count() + next.chars().count() > room {
                break;
            }
            summary.push_str(&next);
        }
        left.push(Span::styled(summary, theme.header));
    }
    let used: usize = left.iter().map(|s| s.width()).sum();
    let room = (area.width as usize).saturating_sub(used);
    let mut spans = left;
    if room > clock.len() + 1 {
        spans.push(Span::styled(
            " ".repeat(room - clock.len() - 1),
            theme.header,
        ));
        spans.push(Span::styled(clock, theme.header));
        spans.push(Span::styled(" ", theme.header));
    } else {
        spans.push(Span::styled(" ".repeat(room), theme.header));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.header), area);
}

/// `⚠ 1 ACTION CUT SHORT · 2 STRAY (a)`: actions interrupted or unfinished, and what vigil left
/// that no action accounts for, from the audit log as last read.
fn unsettled_marker(app: &App) -> Option<Span<'static>> {
    let journal = &app.shell.journal;
    let cut_short = journal.cut_short().count();
    let strays = journal.strays.len();
    if cut_short == 0 && strays == 0 {
        return None;
    }
    let mut parts = Vec::new();
    if cut_short > 0 {
        parts.push(format!(
            "{cut_short} ACTION{} CUT SHORT",
            if cut_short == 1 { "" } else { "S" }
        ));
    }
    if strays > 0 {
        parts.push(format!("{strays} STRAY"));
    }
    Some(Span::styled(
        format!(" ⚠ {} (a) ", parts.join(" · ")),
        app.theme.critical,
    ))
}

/// Load, CPU, memory, uptime: most telling first, so a narrow header keeps those.
fn host_parts(host: &crate::collect::host::HostSummary) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some([one, five, fifteen]) = host.load {
        parts.push(format!("load {one:.2} {five:.2} {fifteen:.2}"));
    }
    if host.cpus > 0 {
        parts.push(format!("cpu {:.0}% of {}", host.cpu_percent, host.cpus));
    }
    if host.memory_total_bytes > 0 {
        parts.push(format!(
            "mem {}/{}",
            crate::model::short_bytes(host.memory_used_bytes),
            crate::model::short_bytes(host.memory_total_bytes)
        ));
    }
    if let Some(up) = host.uptime_secs {
        parts.push(format!("up {}", crate::collect::host::short_duration(up)));
    }
    parts
}

fn draw_tabs(app: &App, area: Rect, frame: &mut ratatui::Frame) {
    let spans: Vec<Span> = PaneId::ALL
        .iter()
        .map(|pane| {
            let label = format!(" {} {} ", pane.index() + 1, pane.short_title());
            if *pane == app.shell.focus {
                Span::styled(label, app.theme.selected)
            } else {
                Span::styled(label, app.theme.muted)
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(app: &App, area: Rect, frame: &mut ratatui::Frame) {
    let theme = &app.theme;
    let left: Vec<Span> = if app.containers.filter_editing {
        vec![
            Span::styled("filter: ", theme.title),
            Span::styled(format!("{}█", app.containers.filter), theme.text),
            Span::styled("  Enter keep · Esc clear", theme.muted),
        ]
    } else if let Some(status) = &app.shell.status {
        let style = match status.severity {
            Severity::Info => theme.text,
            Severity::Warn => theme.warn,
            Severity::Error => theme.error,
        };
        vec![Span::styled(
            crate::util::text::escape(&status.text).into_owned(),
            style,
        )]
    } else {
        let hints = if app.shell.popup.is_some() {
            "Esc close · ↑↓ scroll"
        } else {
            "q quit · ? keys · Tab pane · ↑↓ move · Enter details · / filter · z zoom"
        };
        vec![Span::styled(hints, theme.muted)]
    };
    let mut counts: Vec<Span> = Vec::new();
    for level in [RiskLevel::Critical, RiskLevel::High] {
        let n = app.containers.count_at(level);
        if n > 0 {
            counts.push(Span::styled(
                format!(" {n} {} ", level.as_str()),
                theme.risk(level),
            ));
            counts.push(Span::raw(" "));
        }
    }
    let left_width: usize = left.iter().map(|s| s.width()).sum();
    let right_width: usize = counts.iter().map(|s| s.width()).sum();
    let mut spans = left;
    if left_width + right_width < area.width as usize {
        spans.push(Span::raw(
            " ".repeat(area.width as usize - left_width - right_width),
        ));
        spans.extend(counts);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
