//! What the views share: the context they draw with (never the whole app), the bordered block
//! every pane sits in, and the centred popups.

use super::layout::{Areas, PaneId};
use super::theme::Theme;
use crate::config::Settings;
use crate::incident::marks::Marks;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

/// What a view may read besides its own feature's state.
pub struct Ctx<'a> {
    pub theme: &'a Theme,
    pub now: jiff::Timestamp,
    pub focus: PaneId,
    pub read_only: bool,
    pub areas: &'a Areas,
    pub settings: &'a Settings,
    pub marks: &'a Marks,
    /// What vigil left that no journaled action accounts for (pane 1 marks those containers).
    pub strays: &'a [crate::ops::strays::Stray],
}

/// The bordered block every pane sits in; the focused one is highlighted and numbered.
pub fn pane_block(ctx: &Ctx, pane: PaneId, extra_title: Option<String>) -> Block<'static> {
    let focused = ctx.focus == pane;
    let theme = ctx.theme;
    let border_style = if focused {
        theme.border_focused
    } else {
        theme.border
    };
    let mut title = vec![
        Span::styled(format!(" {} ", pane.index() + 1), border_style),
        Span::styled(format!("{} ", pane.title()), theme.title),
    ];
    if let Some(extra) = extra_title {
        title.push(Span::styled(format!("{extra} "), theme.muted));
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

/// A tall, centred, scrollable popup with a title: the frame the details views share. Returns
/// the largest scroll that still shows content (the last row at the bottom).
pub fn scrolling(
    theme: &Theme,
    title: &str,
    content: Vec<Line<'static>>,
    scroll: u16,
    frame: &mut ratatui::Frame,
) -> u16 {
    let area = centered(frame.area(), 110, frame.area().height.saturating_sub(2));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(format!(" {title} "), theme.title));
    let paragraph = Paragraph::new(content)
        .block(block)
        .wrap(Wrap { trim: false });
    scrolled_popup(paragraph, area, scroll, frame)
}

/// Draws `paragraph` (with its block) in `area`, scrolled to `scroll` but never past its end;
/// returns the largest scroll, so keys can stop there (`End` shows the last page, not nothing).
pub fn scrolled_popup(
    paragraph: Paragraph<'_>,
    area: Rect,
    scroll: u16,
    frame: &mut ratatui::Frame,
) -> u16 {
    // The block's borders take a column each side: the text wraps inside them.
    let rows = paragraph.line_count(area.width.saturating_sub(2));
    let max = u16::try_from(rows.saturating_sub(area.height as usize)).unwrap_or(u16::MAX);
    frame.render_widget(Clear, area);
    frame.render_widget(paragraph.scroll((scroll.min(max), 0)), area);
    max
}
