//! The panes whose capability has not been built yet. They say so in one line and show nothing
//! that could be mistaken for data.

use super::pane_block;
use crate::tui::app::App;
use crate::tui::layout::PaneId;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// The one-line notice for a pane that is not built yet.
pub fn notice(pane: PaneId) -> &'static str {
    match pane {
        PaneId::Gpu => {
            "Not available yet: per-card GPU utilization via NVML, with GPU processes mapped to containers."
        }
        PaneId::Commits | PaneId::Secrets | PaneId::Containers => "",
    }
}

pub fn draw(app: &App, pane: PaneId, area: Rect, frame: &mut ratatui::Frame) {
    let block = pane_block(app, pane, None);
    let text = Paragraph::new(Line::from(Span::styled(notice(pane), app.theme.muted)))
        .wrap(Wrap { trim: true })
        .block(block);
    frame.render_widget(text, area);
}
