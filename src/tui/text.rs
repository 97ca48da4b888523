//! Small text helpers for the panes: durations, truncation.

use unicode_width::UnicodeWidthStr;

/// `45s`, `12m`, `3h05m`, `2d04h`: compact and sortable by eye.
pub fn human_duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        0..=59 => format!("{seconds}s"),
        60..=3599 => format!("{}m", seconds / 60),
        3600..=86_399 => format!("{}h{:02}m", seconds / 3600, (seconds % 3600) / 60),
        _ => format!("{}d{:02}h", seconds / 86_400, (seconds % 86_400) / 3600),
    }
}

/// Seconds since an RFC 3339 timestamp (Docker's `StartedAt`), if it parses.
pub fn seconds_since(timestamp: &str, now: jiff::Timestamp) -> Option<i64> {
    let started: jiff::Timestamp = timestamp.parse().ok()?;
    Some(now.as_second() - started.as_second())
}

/// Cuts `text` to at most `width` columns, ending with `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(125), "2m");
        assert_eq!(human_duration(3 * 3600 + 5 * 60), "3h05m");
        assert_eq!(human_duration(2 * 86_400 + 4 * 3600), "2d04h");
        assert_eq!(human_duration(-3), "0s");
    }

    #[test]
    fn truncation_respects_width() {
        assert_eq!(truncate("sdnext", 10), "sdnext");
        assert_eq!(truncate("stable-diffusion-webui", 8), "stable-…");
        assert_eq!(truncate("日本語テキスト", 5), "日本…");
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn seconds_since_parses_docker_timestamps() {
        let now: jiff::Timestamp = "2026-11-22T03:10:00Z".parse().expect("ts");
        assert_eq!(
            seconds_since("2026-11-22T03:07:27.809219515Z", now),
            Some(153)
        );
        assert_eq!(seconds_since("garbage", now), None);
    }
}
