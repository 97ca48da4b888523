//! JSON that cannot fool whoever reads it raw.
//!
//! serde_json escapes only `"`, `\` and C0 controls: a container name holding U+202E reaches a
//! SIEM, a `cat` or a `jq -r` as a live bidi override. vigil's JSON writes every character the
//! terminal escaper refuses (`util::text::needs_escape`) as a `\uXXXX` sequence instead. The
//! decoded value is exactly the same string; only its encoding changes.

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use std::io::{self, Write};

/// Pretty JSON, for reports and `--format json`.
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    encode(value, Escaping(PrettyFormatter::new()))
}

/// One-line JSON, for JSON Lines files (the audit log, marks).
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    encode(value, Escaping(CompactFormatter))
}

/// Pretty JSON streamed to `writer` (a large timeline is never held twice in memory).
pub fn to_writer_pretty<W: Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut serializer =
        serde_json::Serializer::with_formatter(writer, Escaping(PrettyFormatter::new()));
    value.serialize(&mut serializer)
}

fn encode<T: Serialize + ?Sized, F: Formatter>(
    value: &T,
    formatter: F,
) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(256);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut serializer)?;
    // serde_json writes UTF-8 only, and the escapes are ASCII.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// A formatter that passes everything to `F` but string fragments, whose dangerous characters
/// it writes as `\u` escapes (surrogate pairs above U+FFFF, as JSON requires).
struct Escaping<F>(F);

fn write_escaped<W: ?Sized + Write>(writer: &mut W, fragment: &str) -> io::Result<()> {
    let mut start = 0;
    for (index, ch) in fragment.char_indices() {
        if !crate::util::text::needs_escape(ch) {
            continue;
        }
        writer.write_all(&fragment.as_bytes()[start..index])?;
        let mut units = [0u16; 2];
        for unit in ch.encode_utf16(&mut units) {
            write!(writer, "\\u{unit:04x}")?;
        }
        start = index + ch.len_utf8();
    }
    writer.write_all(&fragment.as_bytes()[start..])
}

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name<W: ?Sized + Write>(&mut self, writer: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            self.0.$name(writer $(, $arg)*)
        })*
    };
}

impl<F: Formatter> Formatter for Escaping<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_escaped(writer, fragment)
    }

    delegate! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        end_object_key();
        begin_object_value();
        end_object_value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_and_invisible_characters_are_written_as_escapes_and_read_back_the_same() {
        let value = serde_json::json!({"path": "evil\u{202e}txt.env", "tag": "a\u{E0041}b", "ok": "日本 – é"});
        let text = to_string_pretty(&value).expect("encode");
        assert!(text.contains("evil\\u202etxt.env"), "{text}");
        assert!(text.contains("a\\udb40\\udc41b"), "{text}");
        assert!(text.contains("日本 – é"), "{text}");
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && crate::util::text::needs_escape(c))
        );
        let back: serde_json::Value = serde_json::from_str(&text).expect("decode");
        assert_eq!(back, value);
        let line = to_string(&value).expect("encode");
        assert!(!line.contains('\n'));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).expect("decode"),
            value
        );
    }

    #[test]
    fn the_same_as_serde_json_for_plain_text() {
        let value = serde_json::json!({"a": [1, 2, {"b": "c\n\"d\""}], "e": null});
        assert_eq!(
            to_string_pretty(&value).expect("encode"),
            serde_json::to_string_pretty(&value).expect("encode")
        );
        assert_eq!(
            to_string(&value).expect("encode"),
            serde_json::to_string(&value).expect("encode")
        );
    }
}
