//! Popups drawn over the panes.

pub mod actions;
pub mod confirm;
pub mod details;
pub mod help;
pub mod port_prompt;
pub mod secret_details;

use ratatui::layout::Rect;

/// A centred rectangle of at most `width` x `height` inside `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}
