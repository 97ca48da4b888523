//! Text for terminals, reports and command lines: escaping attacker-controlled strings,
//! shell quoting, truncation to a width, compact durations, one-line notes.
//!
//! Container names, labels, arguments, environment values, commit messages and process names come
//! from whoever controls the host's workloads or the repository. Control characters could move
//! the cursor or rewrite the screen, and bidirectional overrides could make `evil` read as `live`.
//! ratatui silently drops control characters, which hides the attack instead of showing it, so
//! vigil escapes them visibly.

use std::borrow::Cow;
use unicode_width::UnicodeWidthStr;

/// True for characters that must never reach the terminal raw.
fn needs_escape(ch: char) -> bool {
    ch.is_control()
        || matches!(ch,
            // Bidirectional formatting: embeddings, overrides, isolates, marks.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
            // Zero-width characters that hide content or split look-alike names.
            | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
            // Line and paragraph separators.
            | '\u{2028}' | '\u{2029}')
}

/// Escapes control, bidi and zero-width characters as visible `\n`, `\e`, `\u{202e}` sequences.
/// Clean text is returned borrowed, so the common case costs nothing.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        if !needs_escape(ch) {
            out.push(ch);
            continue;
        }
        match ch {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{1b}' => out.push_str("\\e"),
            other => out.push_str(&format!("\\u{{{:x}}}", other as u32)),
        }
    }
    Cow::Owned(out)
}

/// Shell-quotes text for the "equivalent command" lines vigil shows (never runs): plain words
/// stay as they are, anything else is single-quoted, with control characters escaped visibly.
pub fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", escape(text).replace('\'', "'\\''"))
    }
}

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

/// One printable line of at most `max` characters: control characters become spaces.
pub fn one_line(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("sdnext"), "sdnext");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("x\u{1b}[2J"), "'x\\e[2J'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(escape("sdnext-web_1"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\e[2Jb");
        assert_eq!(escape("line1\nline2\r"), "line1\\nline2\\r");
        assert_eq!(escape("bell\u{7}"), "bell\\u{7}");
        assert_eq!(escape("c1\u{9b}31m"), "c1\\u{9b}31m");
    }

    #[test]
    fn bidi_and_zero_width_become_visible() {
        assert_eq!(escape("admin\u{202e}txt.exe"), "admin\\u{202e}txt.exe");
        assert_eq!(escape("a\u{2066}b\u{2069}"), "a\\u{2066}b\\u{2069}");
        assert_eq!(escape("ro\u{200b}ot"), "ro\\u{200b}ot");
    }

    #[test]
    fn ordinary_unicode_is_kept() {
        assert_eq!(
            escape("Stable Diffusion – ñ 日本"),
            "Stable Diffusion – ñ 日本"
        );
    }

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
}
