//! Masking of secret values: a few leading characters and the length, never the rest.

use super::text::escape;

/// Masks a secret value as `abcd…(32 chars)`.
///
/// How much is shown scales with the length, so short passwords reveal at most one character
/// and long random keys four: enough to tell two keys apart, never enough to guess one.
pub fn mask_secret(value: &str) -> String {
    let length = value.chars().count();
    if length == 0 {
        return "(empty)".to_string();
    }
    let shown = match length {
        0..=5 => 0,
        6..=11 => 1,
        12..=19 => 2,
        _ => 4,
    };
    let prefix: String = value.chars().take(shown).collect();
    format!("{}…({length} chars)", escape(&prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_reveal_nothing_but_length() {
        assert_eq!(mask_secret("admin"), "…(5 chars)");
        assert_eq!(mask_secret("goldman"), "g…(7 chars)");
        assert_eq!(mask_secret(""), "(empty)");
    }

    #[test]
    fn long_values_show_four_characters() {
        let value = "Q7ABCDEFGHJKLMNPQRSTUVWXYZ234567";
        let masked = mask_secret(value);
        assert_eq!(masked, "Q7AB…(32 chars)");
        assert!(!masked.contains("CDEF"));
    }

    #[test]
    fn control_characters_in_the_shown_prefix_are_escaped() {
        assert_eq!(
            mask_secret("\u{1b}[2Jabcdefghijklmnopqrs"),
            "\\e[2J…(23 chars)"
        );
    }
}
