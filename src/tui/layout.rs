//! Where everything goes, as a pure function of the terminal size and a few state bits. Drawing
//! and mouse hit-testing both use it, so a click lands where the eye sees.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

/// The four panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Containers,
    Gpu,
    Commits,
    Secrets,
}

impl PaneId {
    pub const ALL: [PaneId; 4] = [
        PaneId::Containers,
        PaneId::Gpu,
        PaneId::Commits,
        PaneId::Secrets,
    ];

    pub fn index(self) -> usize {
        PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn from_index(index: usize) -> PaneId {
        PaneId::ALL[index % PaneId::ALL.len()]
    }

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Containers => "Containers & exposed ports",
            PaneId::Gpu => "GPUs",
            PaneId::Commits => "Commit timeline",
            PaneId::Secrets => "Secret findings",
        }
    }

    pub fn short_title(self) -> &'static str {
        match self {
            PaneId::Containers => "Containers",
            PaneId::Gpu => "GPU",
            PaneId::Commits => "Commits",
            PaneId::Secrets => "Secrets",
        }
    }
}

/// Below this size only the focused pane is shown, with a tab line to switch.
pub const COMPACT_WIDTH: u16 = 60;
pub const COMPACT_HEIGHT: u16 = 16;
/// Below this size nothing useful fits; a notice is drawn instead.
pub const MIN_WIDTH: u16 = 20;
pub const MIN_HEIGHT: u16 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Areas {
    pub too_small: bool,
    pub header: Rect,
    pub status: Rect,
    /// Present in compact or zoomed mode.
    pub tabs: Option<Rect>,
    /// Outer rectangles of the visible panes, in `PaneId::ALL` order.
    pub panes: [Option<Rect>; 4],
    /// Inside the containers pane: the container table (header row included).
    pub container_table: Option<Rect>,
    /// Inside the containers pane: the host listener table (title and header rows included).
    pub listener_table: Option<Rect>,
    /// Inside the containers pane: one line with the selected row's main risk reason.
    pub reason_line: Option<Rect>,
}

/// Rows above the first data row in each table.
pub const CONTAINER_TABLE_HEADER_ROWS: u16 = 1;
pub const LISTENER_TABLE_HEADER_ROWS: u16 = 2;

impl Areas {
    pub fn pane(&self, pane: PaneId) -> Option<Rect> {
        self.panes[pane.index()]
    }

    /// Data rows visible in the container table.
    pub fn container_rows(&self) -> usize {
        self.container_table.map_or(0, |r| {
            r.height.saturating_sub(CONTAINER_TABLE_HEADER_ROWS) as usize
        })
    }

    pub fn listener_rows(&self) -> usize {
        self.listener_table.map_or(0, |r| {
            r.height.saturating_sub(LISTENER_TABLE_HEADER_ROWS) as usize
        })
    }
}

fn inner(rect: Rect) -> Rect {
    Rect {
        x: rect.x.saturating_add(1),
        y: rect.y.saturating_add(1),
        width: rect.width.saturating_sub(2),
        height: rect.height.saturating_sub(2),
    }
}

/// Computes the layout. `listener_count` sizes the listener table inside the containers pane.
pub fn compute(area: Rect, focus: PaneId, zoom: bool, listener_count: usize) -> Areas {
    let mut areas = Areas::default();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        areas.too_small = true;
        return areas;
    }
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    areas.header = header;
    areas.status = status;

    let compact = zoom || area.width < COMPACT_WIDTH || area.height < COMPACT_HEIGHT;
    if compact {
        let [tabs, pane] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
        areas.tabs = Some(tabs);
        areas.panes[focus.index()] = Some(pane);
    } else {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(64), Constraint::Percentage(36)]).areas(body);
        areas.panes[PaneId::Containers.index()] = Some(top);
        let bottom_panes = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Ratio(1, 3); 3])
            .split(bottom);
        for (slot, rect) in [PaneId::Gpu, PaneId::Commits, PaneId::Secrets]
            .into_iter()
            .zip(bottom_panes.iter())
        {
            areas.panes[slot.index()] = Some(*rect);
        }
    }

    if let Some(pane) = areas.pane(PaneId::Containers) {
        let mut content = inner(pane);
        if content.height >= 6 {
            let [rest, reason] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(content);
            areas.reason_line = Some(reason);
            content = rest;
        }
        let wanted = if listener_count == 0 {
            0
        } else {
            (listener_count as u16 + LISTENER_TABLE_HEADER_ROWS).min(content.height / 3)
        };
        if wanted > LISTENER_TABLE_HEADER_ROWS {
            let [containers, listeners] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(wanted)]).areas(content);
            areas.container_table = Some(containers);
            areas.listener_table = Some(listeners);
        } else {
            areas.container_table = Some(content);
        }
    }
    areas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_terminal_shows_all_four_panes() {
        let areas = compute(Rect::new(0, 0, 160, 45), PaneId::Containers, false, 3);
        assert!(areas.panes.iter().all(Option::is_some));
        assert!(areas.tabs.is_none());
        assert!(areas.listener_table.is_some());
        assert!(areas.container_rows() > 10);
    }

    #[test]
    fn eighty_by_twenty_four_keeps_all_panes() {
        let areas = compute(Rect::new(0, 0, 80, 24), PaneId::Containers, false, 2);
        assert!(areas.panes.iter().all(Option::is_some));
        assert!(areas.container_rows() >= 5, "{}", areas.container_rows());
    }

    #[test]
    fn small_terminal_is_compact_with_focused_pane_only() {
        let areas = compute(Rect::new(0, 0, 40, 12), PaneId::Gpu, false, 0);
        assert!(areas.tabs.is_some());
        assert!(areas.pane(PaneId::Gpu).is_some());
        assert!(areas.pane(PaneId::Containers).is_none());
    }

    #[test]
    fn tiny_terminal_is_flagged_and_nothing_overflows() {
        assert!(compute(Rect::new(0, 0, 10, 3), PaneId::Containers, false, 0).too_small);
        for width in 0..50 {
            for height in 0..20 {
                let area = Rect::new(0, 0, width, height);
                let areas = compute(area, PaneId::Containers, false, 5);
                for rect in areas.panes.iter().flatten() {
                    assert!(area.contains(rect.as_position()) || rect.area() == 0);
                }
            }
        }
    }
}
