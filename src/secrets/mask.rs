//! Masking of secret values: a few leading characters and the length, never the rest.

use crate::sanitize::escape;

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

/// Masks the value of `KEY=VALUE` when the key or the value looks secret.
/// Returns the display form and whether anything was masked.
pub fn mask_env_entry(entry: &str) -> (String, bool) {
    let (key, value) = entry.split_once('=').unwrap_or((entry, ""));
    if crate::assess::credentials::is_secret_env_key(key)
        || crate::assess::credentials::looks_like_token(value)
    {
        (format!("{}={}", escape(key), mask_secret(value)), true)
    } else {
        (escape(entry).into_owned(), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_reveal_nothing_but_length() {
        assert_eq!(mask_secret("admin"), "…(5 chars)");
        assert_eq!(mask_secret("goldman"), "g…(7 chars)");
    }

    #[test]
    fn long_keys_show_four_characters() {
        let key = crate::secrets::fixtures::random_token("", 32);
        let masked = mask_secret(&key);
        assert_eq!(masked, format!("{}…(32 chars)", &key[..4]));
        assert!(!masked.contains(&key[4..8]));
    }

    #[test]
    fn env_entries_with_secret_keys_are_masked() {
        let token = crate::secrets::fixtures::random_token("hf_", 32);
        let (shown, masked) = mask_env_entry(&format!("HF_TOKEN={token}"));
        assert!(masked);
        assert_eq!(shown, format!("HF_TOKEN={}…(35 chars)", &token[..4]));
        let (shown, masked) = mask_env_entry("PATH=/usr/bin:/bin");
        assert!(!masked);
        assert_eq!(shown, "PATH=/usr/bin:/bin");
    }
}
