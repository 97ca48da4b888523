//! The chart across the top of the timeline pane: commits over time in auto-scaled buckets,
//! buckets with suspicious commits in the alert colour, bursts marked `▼`, the suspected
//! intrusion window drawn as a bar above and shaded behind.
//!
//! Dates are attacker-controlled: one commit dated 1970 must not squash the rest into a single
//! column. The range is taken between the 0.5th and 99.5th percentiles; commits outside are
//! drawn in the edge columns and counted on the axis (`◀3`, `2▶`).

use crate::timeline::Timeline;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// Bucket sizes the chart may use, in seconds: each column is one of them.
const STEPS: &[(i64, &str)] = &[
    (60, "1 min"),
    (300, "5 min"),
    (900, "15 min"),
    (1800, "30 min"),
    (3600, "1 h"),
    (3 * 3600, "3 h"),
    (6 * 3600, "6 h"),
    (12 * 3600, "12 h"),
    (86_400, "1 day"),
    (2 * 86_400, "2 days"),
    (7 * 86_400, "1 week"),
    (14 * 86_400, "2 weeks"),
    (30 * 86_400, "30 days"),
    (91 * 86_400, "quarter"),
    (182 * 86_400, "half-year"),
    (365 * 86_400, "year"),
    (5 * 365 * 86_400, "5 years"),
    (50 * 365 * 86_400, "50 years"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Column {
    pub commits: u32,
    pub suspicious: u32,
    pub burst: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Start of the first column (seconds since the epoch, UTC).
    pub start: i64,
    pub step: i64,
    pub step_label: &'static str,
    pub columns: Vec<Column>,
    pub before_range: usize,
    pub after_range: usize,
    /// Columns of the suspected intrusion window (first to last suspicious commit).
    pub window: Option<(usize, usize)>,
}

impl Chart {
    /// Buckets for at most `width` columns, or `None` with no commits.
    pub fn build(timeline: &Timeline, width: usize, threshold: f64) -> Option<Chart> {
        if timeline.commits.is_empty() || width == 0 {
            return None;
        }
        // Drawn every frame: the two percentiles are selected in linear time, not by sorting.
        let mut times: Vec<i64> = timeline.commits.iter().map(|c| c.author_time).collect();
        let trim = if times.len() >= 50 {
            times.len() / 200
        } else {
            0
        };
        let last = times.len() - 1;
        let low = *times.select_nth_unstable(trim).1;
        let high = *times.select_nth_unstable(last - trim).1;
        let (step, step_label, start, count) = STEPS
            .iter()
            .find_map(|(step, label)| {
                let start = low.div_euclid(*step) * step;
                let count = ((high - start).div_euclid(*step) + 1) as usize;
                (count <= width).then_some((*step, *label, start, count))
            })
            .unwrap_or_else(|| {
                let (step, label) = STEPS[STEPS.len() - 1];
                (step, label, low, width)
            });
        let column_of = |time: i64| -> usize {
            ((time - start).div_euclid(step)).clamp(0, count as i64 - 1) as usize
        };
        let mut chart = Chart {
            start,
            step,
            step_label,
            columns: vec![Column::default(); count],
            before_range: times.iter().filter(|t| **t < low).count(),
            after_range: times.iter().filter(|t| **t > high).count(),
            window: None,
        };
        let mut window: Option<(i64, i64)> = None;
        let first_time = timeline
            .first_suspicious
            .and_then(|id| timeline.find(&id))
            .map(|c| c.author_time);
        for commit in &timeline.commits {
            let column = &mut chart.columns[column_of(commit.author_time)];
            column.commits += 1;
            if commit.score >= threshold {
                column.suspicious += 1;
                if first_time.is_some_and(|first| commit.author_time >= first) {
                    window = Some(match window {
                        None => (commit.author_time, commit.author_time),
                        Some((a, b)) => (a.min(commit.author_time), b.max(commit.author_time)),
                    });
                }
            }
        }
        for burst in &timeline.bursts {
            chart.columns[column_of(burst.start)].burst = true;
        }
        if let Some(first) = first_time {
            let (from, to) = window.unwrap_or((first, first));
            chart.window = Some((column_of(from.min(first)), column_of(to)));
        }
        Some(chart)
    }

    fn label(&self, time: i64) -> String {
        let format = if self.step < 86_400 {
            "%Y-%m-%d %H:%M"
        } else {
            "%Y-%m-%d"
        };
        jiff::Timestamp::from_second(time)
            .map(|t| t.strftime(format).to_string())
            .unwrap_or_else(|_| time.to_string())
    }

    /// Draws the chart: a marker row, `area.height - 2` rows of bars, an axis row.
    pub fn draw(&self, theme: &Theme, area: Rect, buffer: &mut Buffer) {
        if area.height < 3 || area.width == 0 {
            return;
        }
        let bar_rows = (area.height - 2) as u32;
        let most = self
            .columns
            .iter()
            .map(|c| c.commits)
            .max()
            .unwrap_or(1)
            .max(1);
        let in_window = |x: usize| self.window.is_some_and(|(from, to)| x >= from && x <= to);
        const EIGHTHS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
        for (x, column) in self.columns.iter().enumerate().take(area.width as usize) {
            let cell_x = area.x + x as u16;
            // Marker row: the window as a bar, bursts as arrows.
            let marker = if column.burst {
                Some(("▼", theme.high))
            } else if in_window(x) {
                Some(("━", theme.critical))
            } else {
                None
            };
            if let Some((symbol, style)) = marker {
                buffer[(cell_x, area.y)].set_symbol(symbol).set_style(style);
            }
            let eighths = if column.commits == 0 {
                0
            } else {
                (column.commits * bar_rows * 8).div_ceil(most).max(1)
            };
            let style: Style = if column.suspicious > 0 {
                theme.critical
            } else {
                theme.info
            };
            for row in 0..bar_rows {
                let y = area.y + 1 + (bar_rows - 1 - row) as u16;
                let fill = eighths.saturating_sub(row * 8).min(8) as usize;
                let cell = &mut buffer[(cell_x, y)];
                if fill > 0 {
                    cell.set_symbol(EIGHTHS[fill]).set_style(style);
                } else if in_window(x) {
                    cell.set_symbol("░").set_style(theme.muted);
                }
            }
        }
        // Axis: first and last date, the bucket size, commits outside the range.
        let width = area.width as usize;
        let end = self.start + self.step * self.columns.len() as i64;
        let mut left = self.label(self.start);
        if self.before_range > 0 {
            left = format!("◀{} {left}", self.before_range);
        }
        let mut right = self.label(end);
        if self.after_range > 0 {
            right = format!("{right} {}▶", self.after_range);
        }
        let middle = format!("1 col = {}", self.step_label);
        let used = left.chars().count() + right.chars().count();
        let axis = if used + middle.chars().count() + 2 <= width {
            let gap = width - used - middle.chars().count();
            format!(
                "{left}{}{middle}{}{right}",
                " ".repeat(gap / 2),
                " ".repeat(gap - gap / 2)
            )
        } else if used < width {
            format!("{left}{}{right}", " ".repeat(width - used))
        } else {
            crate::util::text::truncate(&left, width)
        };
        buffer.set_stringn(area.x, area.y + area.height - 1, axis, width, theme.muted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{CommitEntry, CommitId};

    fn commit(n: u32, time: i64) -> CommitEntry {
        let name: std::sync::Arc<str> = "dev".into();
        CommitEntry {
            id: CommitId::parse(&format!("{n:040x}")).expect("id"),
            parents: Box::new([]),
            author: name.clone(),
            author_email: name.clone(),
            author_time: time,
            author_offset: 0,
            committer: name.clone(),
            committer_email: name,
            committer_time: time,
            committer_offset: 0,
            subject: "change".into(),
            signed: false,
            dangling: false,
            rewritten: None,
            changes: None,
            secrets: Vec::new(),
            score: 0.0,
            signals: Vec::new(),
        }
    }

    #[test]
    fn a_forged_date_does_not_squash_the_chart() {
        // 200 commits an hour apart, one dated 1970 and one dated 2099.
        let start = 1_772_409_600;
        let mut commits: Vec<CommitEntry> = (0..200)
            .map(|n| commit(n, start + n as i64 * 3600))
            .collect();
        commits.push(commit(1000, 0));
        commits.push(commit(1001, 4_070_908_800));
        let timeline = Timeline {
            commits,
            ..Default::default()
        };
        let chart = Chart::build(&timeline, 100, 3.0).expect("chart");
        assert_eq!((chart.before_range, chart.after_range), (1, 1));
        // Eight days of hourly commits fit in 100 columns at a few hours per column.
        assert!(chart.step <= 3 * 3600, "step {}", chart.step);
        assert_eq!(chart.columns.iter().map(|c| c.commits).sum::<u32>(), 202);
    }
}
