//! Popups drawn over the panes.

pub mod actions;
pub mod commit_details;
pub mod confirm;
pub mod details;
pub mod help;
pub mod mark_prompt;
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

/// A tall, centred, scrollable popup with a title: the frame the details views share.
pub fn scrolling(
    app: &crate::tui::app::App,
    title: &str,
    content: Vec<ratatui::text::Line<'static>>,
    scroll: u16,
    frame: &mut ratatui::Frame,
) {
    use ratatui::text::Span;
    use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
    let area = centered(frame.area(), 110, frame.area().height.saturating_sub(2));
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border_focused)
        .title(Span::styled(format!(" {title} "), app.theme.title));
    frame.render_widget(
        Paragraph::new(content)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
