//! Draws one frame from `&App`. Pure: no I/O, no state changes.

use super::app::{App, DockerStatus, Popup, Severity};
use super::layout::PaneId;
use super::panes;
use super::popups;
use crate::model::RiskLevel;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(app: &App, frame: &mut ratatui::Frame) {
    let area = frame.area();
    let areas = super::layout::compute(area, app.focus, app.zoom, app.listener_rows.len());
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
    draw_header(app, areas.header, frame);
    if let Some(tabs) = areas.tabs {
        draw_tabs(app, tabs, frame);
    }
    for pane in PaneId::ALL {
        if let Some(rect) = areas.pane(pane) {
            panes::draw_pane(app, pane, rect, frame);
        }
    }
    draw_status(app, areas.status, frame);
    match &app.popup {
        Some(Popup::Help { scroll }) => popups::help::draw(app, *scroll, frame),
        Some(Popup::Details { row, scroll }) => popups::details::draw(app, row, *scroll, frame),
        Some(Popup::Confirm(state)) => popups::confirm::draw(app, state, frame),
        Some(Popup::Actions(view)) => popups::actions::draw(app, view, frame),
        Some(Popup::PortPrompt { text }) => popups::port_prompt::draw(app, text, frame),
        Some(Popup::MarkPrompt { target, text }) => {
            popups::mark_prompt::draw(app, target, text, frame)
        }
        Some(Popup::SecretDetails { index, scroll }) => {
            popups::secret_details::draw(app, *index, *scroll, frame)
        }
        Some(Popup::CommitDetails { id, scroll }) => {
            popups::commit_details::draw(app, id, *scroll, frame)
        }
        None => {}
    }
}

fn draw_header(app: &App, area: Rect, frame: &mut ratatui::Frame) {
    let theme = &app.theme;
    let badge = if app.read_only {
        Span::styled(" [RO] ", theme.read_only)
    } else {
        Span::styled(" [RW] ", theme.read_write)
    };
    let docker = match &app.docker {
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
    let clock = app.now.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
    let left = vec![
        Span::styled(" vigil ", theme.title),
        badge,
        Span::styled(format!(" {} ", app.host_name), theme.header),
        Span::styled("│ ", theme.header),
        docker,
    ];
    let mut left = left;
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
            if *pane == app.focus {
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
    let left: Vec<Span> = if app.filter_editing {
        vec![
            Span::styled("filter: ", theme.title),
            Span::styled(format!("{}█", app.filter), theme.text),
            Span::styled("  Enter keep · Esc clear", theme.muted),
        ]
    } else if let Some(status) = &app.status {
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
        let hints = if app.popup.is_some() {
            "Esc close · ↑↓ scroll"
        } else {
            "q quit · ? keys · Tab pane · ↑↓ move · Enter details · / filter · z zoom"
        };
        vec![Span::styled(hints, theme.muted)]
    };
    let mut counts: Vec<Span> = Vec::new();
    for level in [RiskLevel::Critical, RiskLevel::High] {
        let n = app
            .container_rows
            .iter()
            .filter(|r| r.risk == level)
            .count();
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
