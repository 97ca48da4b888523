//! Loading the config file so that one mistake never costs the rest of it.
//!
//! A file that says `read_only = true` and misspells another key must still start vigil in
//! observer mode. So the file is read as a TOML table, each key is tried on its own (down to the
//! leaves of nested tables), the keys that fit are kept and the others are reported one by one.
//! When whether the file sets `read_only` cannot be known (unreadable file, broken TOML, a
//! `read_only` that is not a boolean) the load says so, and vigil starts read-only: observer
//! mode fails closed.

use super::{FileConfig, FileProblem};
use std::path::Path;

/// What the file gave, what was wrong with it, and whether `read_only` is in doubt.
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: FileConfig,
    pub problems: Vec<FileProblem>,
    /// Why the file's `read_only` could not be read, when it could not.
    pub read_only_unknown: Option<String>,
}

/// Loads the config file. A missing file at the default location is not a problem; a missing file
/// that was asked for explicitly is, and so is one that cannot be read or parsed.
pub fn load_file(path: &Path, explicit: bool) -> Loaded {
    use crate::util::read::{limits, read_regular_text};
    let text = match read_regular_text(path, limits::SETTINGS) {
        Ok(text) => text,
        Err(err) if err.is_not_found() && !explicit => return Loaded::default(),
        Err(err) => {
            return unreadable(FileProblem {
                path: path.to_path_buf(),
                line: None,
                message: err.to_string(),
            });
        }
    };
    let table = match text.parse::<toml::Table>() {
        Ok(table) => table,
        Err(err) => return unreadable(syntax_problem(path, &text, &err)),
    };
    salvage(path, &text, table)
}

fn unreadable(problem: FileProblem) -> Loaded {
    Loaded {
        read_only_unknown: Some(format!("config {problem}")),
        problems: vec![problem],
        ..Loaded::default()
    }
}

fn syntax_problem(path: &Path, text: &str, err: &toml::de::Error) -> FileProblem {
    FileProblem {
        path: path.to_path_buf(),
        line: err.span().map(|span| line_of(text, span.start)),
        message: err.message().trim().to_string(),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .unwrap_or(text)
        .matches('\n')
        .count()
        + 1
}

/// Keeps every key that deserializes on its own, reports the rest.
fn salvage(path: &Path, text: &str, table: toml::Table) -> Loaded {
    let mut kept = toml::Table::new();
    let mut loaded = Loaded::default();
    for (key, value) in table {
        keep_what_fits(&[key], value, &mut kept, &mut |keys, message| {
            loaded.problems.push(FileProblem {
                path: path.to_path_buf(),
                line: line_of_key(text, keys),
                message: format!("`{}`: {message}; ignored", keys.join(".")),
            });
            if keys == ["read_only"] {
                loaded.read_only_unknown =
                    Some(format!("config {}: read_only {message}", path.display()));
            }
        });
    }
    loaded.config = toml::Value::Table(kept).try_into().unwrap_or_default();
    loaded
}

/// Tries `value` at `keys` alone; when it does not fit and is a table, tries each entry.
fn keep_what_fits(
    keys: &[String],
    value: toml::Value,
    kept: &mut toml::Table,
    report: &mut dyn FnMut(&[String], String),
) {
    let alone = nest(keys, value.clone());
    match toml::Value::Table(alone).try_into::<FileConfig>() {
        Ok(_) => insert(kept, keys, value),
        Err(err) => match value {
            toml::Value::Table(entries) if !entries.is_empty() => {
                for (key, inner) in entries {
                    let mut deeper = keys.to_vec();
                    deeper.push(key);
                    keep_what_fits(&deeper, inner, kept, report);
                }
            }
            _ => report(keys, err.message().trim().to_string()),
        },
    }
}

/// `{a: {b: value}}` for keys `[a, b]`.
fn nest(keys: &[String], value: toml::Value) -> toml::Table {
    let mut current = value;
    for key in keys.iter().skip(1).rev() {
        let mut table = toml::Table::new();
        table.insert(key.clone(), current);
        current = toml::Value::Table(table);
    }
    let mut top = toml::Table::new();
    if let Some(first) = keys.first() {
        top.insert(first.clone(), current);
    }
    top
}

fn insert(kept: &mut toml::Table, keys: &[String], value: toml::Value) {
    let Some((last, parents)) = keys.split_last() else {
        return;
    };
    let mut table = kept;
    for key in parents {
        let entry = table
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(inner) = entry else {
            return;
        };
        table = inner;
    }
    table.insert(last.clone(), value);
}

/// The line of `keys`' last key, looked up under its section header: TOML tables lose spans,
/// and the line is what helps an engineer fix the file.
fn line_of_key(text: &str, keys: &[String]) -> Option<usize> {
    let (last, sections) = keys.split_last()?;
    let header = format!("[{}]", sections.join("."));
    let mut in_section = sections.is_empty();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            in_section = line == header;
            continue;
        }
        let key = line.split('=').next().unwrap_or_default().trim();
        if in_section && key.trim_matches('"') == last {
            return Some(index + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("write");
        load_file(&path, true)
    }

    #[test]
    fn a_typo_costs_only_its_own_key() {
        let loaded = load(
            "read_only = true\ntheme = \"light\"\n\n[probe]\ntimout_ms = 5\nenabled = false\n",
        );
        assert_eq!(loaded.config.read_only, Some(true));
        assert_eq!(loaded.config.theme.as_deref(), Some("light"));
        assert_eq!(loaded.config.probe.enabled, Some(false));
        assert!(loaded.read_only_unknown.is_none());
        assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
        let problem = loaded.problems[0].to_string();
        assert!(
            problem.contains("line 5") && problem.contains("probe.timout_ms"),
            "{problem}"
        );
    }

    #[test]
    fn an_unreadable_read_only_is_doubt() {
        let loaded = load("read_only = \"yes\"\n");
        assert!(loaded.read_only_unknown.is_some());
        assert_eq!(loaded.config.read_only, None);
    }

    #[test]
    fn broken_toml_is_doubt_and_names_the_line() {
        let loaded = load("theme = \"dark\"\nread_only = tru e\n");
        assert!(loaded.read_only_unknown.is_some());
        assert_eq!(loaded.problems[0].line, Some(2), "{:?}", loaded.problems);
    }

    #[test]
    fn nested_tables_keep_their_good_leaves() {
        let loaded = load("[timeline]\nburst_gap_secs = 60\nburst_gap = 1\n");
        let timeline = loaded.config.timeline.expect("timeline kept");
        assert_eq!(timeline.burst_gap_secs, 60);
        assert_eq!(loaded.problems.len(), 1);
    }

    #[test]
    fn a_missing_default_file_is_silent_an_explicit_one_is_doubt() {
        let missing = Path::new("/no/such/vigil/config.toml");
        let quiet = load_file(missing, false);
        assert!(quiet.problems.is_empty() && quiet.read_only_unknown.is_none());
        let asked = load_file(missing, true);
        assert!(asked.read_only_unknown.is_some());
    }
}
