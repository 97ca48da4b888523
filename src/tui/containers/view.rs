//! Pane 1: every container with its exposure, authentication, risk and ports, and below it the
//! host listeners that are not containers.

use super::{ContainerRow, ContainersPane, DockerStatus, ListenerRow, RowId};
use crate::model::{AuthKind, ContainerState, Exposure, Health};
use crate::tui::layout::PaneId;
use crate::tui::theme::Theme;
use crate::tui::widgets::{Ctx, pane_block};
use crate::util::text::{human_duration, truncate};
use crate::util::time::seconds_since;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

/// Optional columns appear as the pane gets wider; the exposure marker is always right after the
/// name so it survives an 80-column terminal.
struct Columns {
    auth: bool,
    gpu: bool,
    state: bool,
    ports: bool,
    id: bool,
    uptime: bool,
    image: bool,
}

fn columns_for(width: u16) -> Columns {
    Columns {
        auth: width >= 36,
        gpu: width >= 72,
        state: width >= 48,
        ports: width >= 60,
        uptime: width >= 96,
        id: width >= 110,
        image: width >= 140,
    }
}

pub fn exposure_style(theme: &Theme, exposure: Exposure) -> Style {
    match exposure {
        Exposure::Public => theme.high,
        Exposure::Local => theme.low,
        Exposure::None => theme.muted,
    }
}

pub fn auth_style(theme: &Theme, auth: AuthKind) -> Style {
    match auth {
        AuthKind::None => theme.high,
        AuthKind::Unknown => theme.warn,
        _ => theme.ok,
    }
}

/// `running`, `UNHEALTHY`, `exited(1)`: health wins over the plain state because an unhealthy
/// container must never look healthy.
pub fn state_label(row: &ContainerRow) -> String {
    match (row.state, row.health) {
        (ContainerState::Running, Health::Unhealthy) => "UNHEALTHY".into(),
        (ContainerState::Running, Health::Healthy) => "healthy".into(),
        (ContainerState::Running, Health::Starting) => "starting".into(),
        (ContainerState::Exited, _) => match row.exit_code {
            Some(code) => format!("exited({code})"),
            None => "exited".into(),
        },
        (state, _) => state.as_str().into(),
    }
}

fn state_style(theme: &Theme, row: &ContainerRow) -> Style {
    match (row.state, row.health) {
        (ContainerState::Running, Health::Unhealthy) => theme.critical,
        (ContainerState::Running, Health::Starting) => theme.warn,
        (ContainerState::Running, _) => theme.ok,
        (ContainerState::Restarting | ContainerState::Paused | ContainerState::Dead, _) => {
            theme.warn
        }
        _ => theme.muted,
    }
}

fn uptime(now: jiff::Timestamp, row: &ContainerRow) -> String {
    if row.state != ContainerState::Running {
        return "-".into();
    }
    row.started_at
        .as_deref()
        .and_then(|t| seconds_since(t, now))
        .map(human_duration)
        .unwrap_or_else(|| "?".into())
}

fn auth_label(row: &ContainerRow) -> String {
    if row.exposure == Exposure::None {
        "-".into()
    } else if row.auth_pending && row.auth == AuthKind::Unknown {
        "probing".into()
    } else {
        row.auth.as_str().into()
    }
}

fn title_summary(pane: &ContainersPane) -> String {
    let total = pane.inventory.containers.len();
    let running = pane
        .inventory
        .containers
        .iter()
        .filter(|c| c.state == ContainerState::Running)
        .count();
    let mut text = format!("{running}/{total} running");
    if !pane.filter.is_empty() {
        text.push_str(&format!(
            " · filter \"{}\" ({} shown)",
            pane.filter,
            pane.rows.len()
        ));
    }
    text
}

pub fn draw(pane: &ContainersPane, ctx: &Ctx, area: Rect, frame: &mut ratatui::Frame) {
    let block = pane_block(ctx, PaneId::Containers, Some(title_summary(pane)));
    frame.render_widget(block, area);
    let areas = ctx.areas;
    let Some(table_area) = areas.container_table else {
        return;
    };

    if let Some(notice) = docker_notice(pane, ctx) {
        let message = Paragraph::new(notice).wrap(Wrap { trim: true });
        if pane.rows.is_empty() {
            frame.render_widget(message, table_area);
            draw_listeners(pane, ctx, areas, frame);
            return;
        }
        // Keep the last known rows visible under the notice: stale data is labelled, not hidden.
        let [notice_area, rest] = ratatui::layout::Layout::vertical([
            Constraint::Length(2.min(table_area.height)),
            Constraint::Min(0),
        ])
        .areas(table_area);
        frame.render_widget(message, notice_area);
        draw_containers(pane, ctx, rest, frame);
    } else if pane.rows.is_empty() {
        let text = if pane.filter.is_empty() {
            "No containers on this engine."
        } else {
            "No container matches the filter (Esc clears it)."
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, ctx.theme.muted)),
            table_area,
        );
    } else {
        draw_containers(pane, ctx, table_area, frame);
    }
    draw_listeners(pane, ctx, areas, frame);
    draw_reason(pane, ctx, areas, frame);
}

/// The selected container's most severe reason, so the "why" is visible without opening details.
fn draw_reason(
    pane: &ContainersPane,
    ctx: &Ctx,
    areas: &crate::tui::layout::Areas,
    frame: &mut ratatui::Frame,
) {
    let Some(area) = areas.reason_line else {
        return;
    };
    let Some(RowId::Container(id)) = &pane.selected else {
        return;
    };
    let Some(row) = pane.rows.iter().find(|r| &r.id == id) else {
        return;
    };
    if let Some(stray) = stray_of(ctx, id) {
        let line = Line::from(vec![
            Span::styled("why ", ctx.theme.muted),
            Span::styled("STRAY ", ctx.theme.critical),
            Span::styled(
                format!(" {}; remove: {}", stray.why, stray.remove),
                ctx.theme.text,
            ),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let line = Line::from(vec![
        Span::styled("why ", ctx.theme.muted),
        Span::styled(
            format!("{} ", row.risk.as_str().to_uppercase()),
            ctx.theme.risk(row.risk),
        ),
        Span::styled(format!(" {}", row.top_reason), ctx.theme.text),
        Span::styled("  (Enter: all reasons)", ctx.theme.muted),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// The stray entry of a container, if vigil left it and no action accounts for it.
fn stray_of<'c>(ctx: &'c Ctx, id: &str) -> Option<&'c crate::ops::strays::Stray> {
    ctx.strays.iter().find(|s| s.id.as_deref() == Some(id))
}

/// A line saying why the list may be stale or empty: connecting, or the engine is down.
fn docker_notice(pane: &ContainersPane, ctx: &Ctx) -> Option<Line<'static>> {
    match &pane.docker {
        DockerStatus::Connected { .. } => None,
        DockerStatus::Connecting { endpoint } if pane.first_list_at.is_none() => Some(Line::from(
            Span::styled(format!("Connecting to {endpoint} …"), ctx.theme.muted),
        )),
        DockerStatus::Connecting { .. } => None,
        DockerStatus::Down {
            reason, retry_in, ..
        } => Some(Line::from(vec![
            Span::styled("Docker unavailable: ", ctx.theme.error),
            Span::styled(
                format!(
                    "{} (retrying every {:.1}s; rows below may be stale)",
                    crate::util::text::escape(reason),
                    retry_in.as_secs_f32()
                ),
                ctx.theme.text,
            ),
        ])),
    }
}

fn draw_containers(pane: &ContainersPane, ctx: &Ctx, area: Rect, frame: &mut ratatui::Frame) {
    if area.height == 0 {
        return;
    }
    let columns = columns_for(area.width);
    let mut header = vec!["NAME", "EXP", "RISK"];
    // Names get the most room: they are what the engineer searches for.
    let mut widths = vec![
        Constraint::Fill(4),
        Constraint::Length(6),
        Constraint::Length(8),
    ];
    if columns.auth {
        header.push("AUTH");
        widths.push(Constraint::Length(7));
    }
    if columns.state {
        header.push("STATE");
        widths.push(Constraint::Length(11));
    }
    // Only when a container uses a GPU: an empty column is noise.
    let gpu_width = pane
        .rows
        .iter()
        .map(|r| r.gpu.chars().count())
        .max()
        .unwrap_or(0);
    let show_gpu = columns.gpu && gpu_width > 0;
    if show_gpu {
        header.push("GPU");
        widths.push(Constraint::Length(gpu_width.clamp(3, 18) as u16));
    }
    if columns.uptime {
        header.push("UP");
        widths.push(Constraint::Length(6));
    }
    if columns.id {
        header.push("ID");
        widths.push(Constraint::Length(12));
    }
    if columns.image {
        header.push("IMAGE");
        widths.push(Constraint::Fill(2));
    }
    if columns.ports {
        header.push("PORTS");
        widths.push(Constraint::Fill(3));
    }

    let visible = area.height.saturating_sub(1) as usize;
    let selected_id = match &pane.selected {
        Some(RowId::Container(id)) => Some(id.as_str()),
        _ => None,
    };
    let rows: Vec<Row> = pane
        .rows
        .iter()
        .skip(pane.offset)
        .take(visible)
        .map(|row| {
            // ⚠: left by vigil, accounted for by no action; ✓: isolated or accepted on the
            // recovery checklist (`m`).
            let name = if stray_of(ctx, &row.id).is_some() {
                Line::from(vec![
                    Span::styled("⚠", ctx.theme.critical),
                    Span::styled(row.name.clone(), ctx.theme.text),
                ])
            } else if row.marked {
                Line::from(vec![
                    Span::styled("✓", ctx.theme.ok),
                    Span::styled(row.name.clone(), ctx.theme.text),
                ])
            } else {
                Line::from(Span::styled(row.name.clone(), ctx.theme.text))
            };
            let mut cells = vec![
                Cell::from(name),
                // Published on 0.0.0.0 but dropped by the firewall: said in the exposure column.
                if row.firewalled {
                    Cell::from(Span::styled("PUB/FW", ctx.theme.ok))
                } else {
                    Cell::from(Span::styled(
                        row.exposure.marker(),
                        exposure_style(ctx.theme, row.exposure),
                    ))
                },
                Cell::from(Span::styled(
                    row.risk.as_str().to_uppercase(),
                    ctx.theme.risk(row.risk),
                )),
            ];
            if columns.auth {
                cells.push(Cell::from(Span::styled(
                    auth_label(row),
                    auth_style(ctx.theme, row.auth),
                )));
            }
            if columns.state {
                cells.push(Cell::from(Span::styled(
                    state_label(row),
                    state_style(ctx.theme, row),
                )));
            }
            if show_gpu {
                cells.push(Cell::from(Span::styled(row.gpu.clone(), ctx.theme.info)));
            }
            if columns.uptime {
                cells.push(Cell::from(Span::styled(
                    uptime(ctx.now, row),
                    ctx.theme.muted,
                )));
            }
            if columns.id {
                cells.push(Cell::from(Span::styled(
                    row.short_id.clone(),
                    ctx.theme.muted,
                )));
            }
            if columns.image {
                cells.push(Cell::from(Span::styled(row.image.clone(), ctx.theme.muted)));
            }
            if columns.ports {
                let ports = if row.ports.is_empty() {
                    Span::styled("-", ctx.theme.muted)
                } else {
                    Span::styled(row.ports.join(", "), ctx.theme.text)
                };
                cells.push(Cell::from(ports));
            }
            let style = if selected_id == Some(row.id.as_str()) {
                ctx.theme.selected
            } else {
                Style::default()
            };
            Row::new(cells).style(style)
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(ctx.theme.title))
        .column_spacing(1);
    frame.render_widget(table, area);
}

fn draw_listeners(
    pane: &ContainersPane,
    ctx: &Ctx,
    areas: &crate::tui::layout::Areas,
    frame: &mut ratatui::Frame,
) {
    let Some(area) = areas.listener_table else {
        return;
    };
    let title = match &pane.listeners_problem {
        Some(problem) => Line::from(Span::styled(
            format!("Host listeners: {problem}"),
            ctx.theme.error,
        )),
        None => Line::from(Span::styled(
            format!(
                "Host listeners (not containers): {}",
                pane.listener_rows.len()
            ),
            ctx.theme.title,
        )),
    };
    let [title_area, table_area] =
        ratatui::layout::Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(title), title_area);
    let visible = table_area.height.saturating_sub(1) as usize;
    let rows: Vec<Row> = pane
        .listener_rows
        .iter()
        .skip(pane.listener_offset)
        .take(visible)
        .map(|row| listener_row(pane, ctx, row))
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(24),
            Constraint::Length(6),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(vec!["ADDRESS", "EXP", "PROCESS"]).style(ctx.theme.muted))
    .column_spacing(1);
    frame.render_widget(table, table_area);
}

fn listener_row<'a>(pane: &ContainersPane, ctx: &Ctx, row: &'a ListenerRow) -> Row<'a> {
    let selected = matches!(&pane.selected, Some(RowId::Listener(a, p)) if *a == row.address && *p == row.port);
    Row::new(vec![
        Cell::from(Span::styled(
            truncate(&row.shown_address, 24),
            ctx.theme.text,
        )),
        Cell::from(Span::styled(
            row.exposure.marker(),
            exposure_style(ctx.theme, row.exposure),
        )),
        Cell::from(Span::styled(row.owner.clone(), ctx.theme.muted)),
    ])
    .style(if selected {
        ctx.theme.selected
    } else {
        Style::default()
    })
}
