//! One file per pane. Each draws from `&App` only.

pub mod containers;
pub mod gpu;
pub mod secrets;
pub mod timeline;
pub mod timeline_chart;

use super::app::App;
use super::layout::PaneId;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

/// The bordered block every pane sits in; the focused one is highlighted and numbered.
pub fn pane_block(app: &App, pane: PaneId, extra_title: Option<String>) -> Block<'static> {
    let focused = app.focus == pane;
    let border_style = if focused {
        app.theme.border_focused
    } else {
        app.theme.border
    };
    let mut title = vec![
        Span::styled(format!(" {} ", pane.index() + 1), border_style),
        Span::styled(format!("{} ", pane.title()), app.theme.title),
    ];
    if let Some(extra) = extra_title {
        title.push(Span::styled(format!("{extra} "), app.theme.muted));
    }
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(border_style)
        .title(Line::from(title))
}

pub fn draw_pane(app: &App, pane: PaneId, area: Rect, frame: &mut ratatui::Frame) {
    match pane {
        PaneId::Containers => containers::draw(app, area, frame),
        PaneId::Secrets => secrets::draw(app, area, frame),
        PaneId::Commits => timeline::draw(app, area, frame),
        PaneId::Gpu => gpu::draw(app, area, frame),
    }
}
