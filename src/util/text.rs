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

/// True for characters that must never reach the terminal raw: every character Unicode classes
/// as a control (Cc), a format character (Cf: bidi controls, zero-width characters, the soft
/// hyphen, tag characters, interlinear annotation …) or a line or paragraph separator, and every
/// other character a terminal draws as nothing (default-ignorable code points such as variation
/// selectors and the Hangul fillers, the blank Braille pattern, noncharacters).
pub fn needs_escape(ch: char) -> bool {
    use unicode_general_category::{GeneralCategory as Category, get_general_category};
    if ch.is_ascii() {
        return ch.is_ascii_control();
    }
    matches!(
        get_general_category(ch),
        Category::Control
            | Category::Format
            | Category::LineSeparator
            | Category::ParagraphSeparator
            | Category::Unassigned
            | Category::Surrogate
    ) || is_invisible(ch)
}

/// Default-ignorable code points that are not format characters, and other blanks used to hide
/// text or forge names.
fn is_invisible(ch: char) -> bool {
    matches!(ch,
        // Combining grapheme joiner; Hangul fillers; Khmer inherent vowels.
        '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{17B4}' | '\u{17B5}'
        // Mongolian free variation selectors, variation selectors and their supplement.
        | '\u{180B}'..='\u{180F}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}'
        // The rest of the tag block and reserved default-ignorables around the Cf ranges.
        | '\u{E0000}'..='\u{E0FFF}' | '\u{2065}' | '\u{FFF0}'..='\u{FFF8}'
        // The blank Braille pattern, drawn as nothing.
        | '\u{2800}'
        // Noncharacters.
        | '\u{FDD0}'..='\u{FDEF}')
        || (ch as u32) & 0xFFFE == 0xFFFE
}

/// Escapes every character [`needs_escape`] names as visible `\n`, `\e`, `\u{202e}` sequences.
/// Clean text is returned borrowed, so the common case costs nothing. This is the one escaper:
/// the TUI, tables, Markdown, plans and errors all go through it (JSON through `util::json`).
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

/// Like [`escape`], but line breaks stay: for messages of several lines printed to stderr.
pub fn escape_keeping_lines(text: &str) -> String {
    text.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// One printable line of at most `max` characters: control characters become spaces, other
/// characters that must not reach the terminal are escaped.
pub fn one_line(text: &str, max: usize) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    escape(&spaced)
        .chars()
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

    #[test]
    fn invisible_characters_become_visible() {
        let hidden = [
            '\u{AD}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{E007F}',
            '\u{2061}',
            '\u{2064}',
            '\u{206A}',
            '\u{206F}',
            '\u{115F}',
            '\u{1160}',
            '\u{3164}',
            '\u{FFA0}',
            '\u{FE0F}',
            '\u{E0100}',
            '\u{FFF9}',
            '\u{FFFB}',
            '\u{180E}',
            '\u{34F}',
            '\u{2800}',
        ];
        for ch in hidden {
            let text = format!("ad{ch}min");
            let shown = escape(&text);
            assert_eq!(
                shown,
                format!("ad\\u{{{:x}}}min", ch as u32),
                "U+{:04X}",
                ch as u32
            );
        }
    }

    #[test]
    fn messages_keep_their_lines() {
        assert_eq!(
            escape_keeping_lines("a\u{1b}]52;c;x\u{7}\nb"),
            "a\\e]52;c;x\\u{7}\nb"
        );
    }

    /// An independent statement of what must never come out of the escaper raw.
    fn forbidden(ch: char) -> bool {
        use unicode_general_category::{GeneralCategory as Category, get_general_category};
        let category = get_general_category(ch);
        matches!(
            category,
            Category::Control
                | Category::Format
                | Category::LineSeparator
                | Category::ParagraphSeparator
        ) || matches!(ch as u32,
            0x34F | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F | 0x2060..=0x206F | 0x3164
            | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFFB | 0xE0000..=0xE0FFF | 0x2800)
    }

    proptest::proptest! {
        #[test]
        fn nothing_forbidden_survives_the_escaper(text in "\\PC*|.*|[\u{0}-\u{3000}\u{E0000}-\u{E0FFF}\u{FE00}-\u{FFFF}]{0,40}") {
            let shown = escape(&text);
            proptest::prop_assert!(!shown.chars().any(forbidden), "{:?} -> {:?}", text, shown);
            let joined = escape_keeping_lines(&text);
            proptest::prop_assert!(!joined.chars().any(|c| c != '\n' && forbidden(c)));
        }

        #[test]
        fn any_string_at_all(text in proptest::prelude::any::<String>()) {
            proptest::prop_assert!(!escape(&text).chars().any(forbidden));
            proptest::prop_assert!(!one_line(&text, 200).chars().any(forbidden));
        }
    }
}
