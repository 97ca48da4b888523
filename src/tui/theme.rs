//! Themes: styles named by meaning, loaded from TOML. The built-ins are embedded; a user file is a
//! partial overlay on the dark default, so a theme that sets only `critical` still works.

use crate::config::{FileProblem, parse_toml};
use crate::model::RiskLevel;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Built-in themes, embedded at compile time.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// One style entry as written in a theme file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StyleSpec {
    pub fg: Option<String>,
    pub bg: Option<String>,
    pub bold: Option<bool>,
    pub reversed: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    styles: BTreeMap<String, StyleSpec>,
}

/// The meanings a theme gives a style to.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub title: Style,
    pub border: Style,
    pub border_focused: Style,
    pub header: Style,
    pub selected: Style,
    pub critical: Style,
    pub high: Style,
    pub medium: Style,
    pub low: Style,
    pub info: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub read_only: Style,
    pub read_write: Style,
}

const STYLE_NAMES: &[&str] = &[
    "text",
    "muted",
    "title",
    "border",
    "border_focused",
    "header",
    "selected",
    "critical",
    "high",
    "medium",
    "low",
    "info",
    "ok",
    "warn",
    "error",
    "read_only",
    "read_write",
];

impl Theme {
    pub fn risk(&self, level: RiskLevel) -> Style {
        match level {
            RiskLevel::Critical => self.critical,
            RiskLevel::High => self.high,
            RiskLevel::Medium => self.medium,
            RiskLevel::Low => self.low,
            RiskLevel::Info => self.info,
        }
    }

    fn slot(&mut self, name: &str) -> Option<&mut Style> {
        Some(match name {
            "text" => &mut self.text,
            "muted" => &mut self.muted,
            "title" => &mut self.title,
            "border" => &mut self.border,
            "border_focused" => &mut self.border_focused,
            "header" => &mut self.header,
            "selected" => &mut self.selected,
            "critical" => &mut self.critical,
            "high" => &mut self.high,
            "medium" => &mut self.medium,
            "low" => &mut self.low,
            "info" => &mut self.info,
            "ok" => &mut self.ok,
            "warn" => &mut self.warn,
            "error" => &mut self.error,
            "read_only" => &mut self.read_only,
            "read_write" => &mut self.read_write,
            _ => return None,
        })
    }

    /// A theme with no colour at all, for `NO_COLOR`: emphasis by bold and reverse video only.
    /// Every risk level is written as text anyway, so nothing depends on colour.
    pub fn monochrome() -> Theme {
        let plain = Style::default();
        let bold = Style::default().add_modifier(Modifier::BOLD);
        Theme {
            name: "monochrome".into(),
            text: plain,
            muted: plain,
            title: bold,
            border: plain,
            border_focused: bold,
            header: Style::default().add_modifier(Modifier::REVERSED),
            selected: Style::default().add_modifier(Modifier::REVERSED),
            critical: bold.add_modifier(Modifier::REVERSED),
            high: bold,
            medium: plain,
            low: plain,
            info: plain,
            ok: plain,
            warn: bold,
            error: bold,
            read_only: bold.add_modifier(Modifier::REVERSED),
            read_write: bold.add_modifier(Modifier::REVERSED),
        }
    }

    /// Applies a file's entries over this theme. Unknown names and bad colours are problems.
    fn apply(&mut self, path: &Path, text: &str) -> Result<(), FileProblem> {
        let file: ThemeFile = parse_toml(path, text)?;
        for (name, spec) in &file.styles {
            let line = line_of_key(text, name);
            let problem = |message: String| FileProblem {
                path: path.to_path_buf(),
                line,
                message,
            };
            let style =
                resolve_style(spec).map_err(|msg| problem(format!("styles.{name}: {msg}")))?;
            let Some(slot) = self.slot(name) else {
                return Err(problem(format!(
                    "unknown style `{name}`, expected one of: {}",
                    STYLE_NAMES.join(", ")
                )));
            };
            *slot = style;
        }
        Ok(())
    }
}

fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let trimmed = line.trim_start();
            trimmed.starts_with(key) && trimmed[key.len()..].trim_start().starts_with('=')
        })
        .map(|index| index + 1)
}

fn parse_color(text: &str) -> Result<Color, String> {
    text.parse::<Color>().map_err(|_| {
        format!("`{text}` is not a colour (use a name like \"red\", \"#rrggbb\" or 0-255)")
    })
}

fn resolve_style(spec: &StyleSpec) -> Result<Style, String> {
    let mut style = Style::default();
    if let Some(fg) = &spec.fg {
        style = style.fg(parse_color(fg)?);
    }
    if let Some(bg) = &spec.bg {
        style = style.bg(parse_color(bg)?);
    }
    if spec.bold == Some(true) {
        style = style.add_modifier(Modifier::BOLD);
    }
    if spec.reversed == Some(true) {
        style = style.add_modifier(Modifier::REVERSED);
    }
    Ok(style)
}

fn blank(name: &str) -> Theme {
    let plain = Style::default();
    Theme {
        name: name.to_string(),
        text: plain,
        muted: plain,
        title: plain,
        border: plain,
        border_focused: plain,
        header: plain,
        selected: plain,
        critical: plain,
        high: plain,
        medium: plain,
        low: plain,
        info: plain,
        ok: plain,
        warn: plain,
        error: plain,
        read_only: plain,
        read_write: plain,
    }
}

/// The default dark theme. Its embedded file is checked by a unit test, so this cannot fail.
pub fn default_theme() -> Theme {
    let mut theme = blank("dark");
    let _ = theme.apply(Path::new("themes/dark.toml"), BUILT_IN[0].1);
    theme
}

/// Where a theme request points.
fn locate(request: &str) -> Result<(String, Option<PathBuf>, Option<&'static str>), String> {
    if let Some((name, text)) = BUILT_IN.iter().find(|(name, _)| *name == request) {
        return Ok((name.to_string(), None, Some(text)));
    }
    if request.contains('/') || request.ends_with(".toml") {
        return Ok((request.to_string(), Some(PathBuf::from(request)), None));
    }
    if let Some(dir) = crate::util::paths::config_dir() {
        let candidate = dir.join("themes").join(format!("{request}.toml"));
        if candidate.exists() {
            return Ok((request.to_string(), Some(candidate), None));
        }
    }
    Err(format!(
        "unknown theme `{request}`: built-ins are {}, or give a path to a .toml file",
        BUILT_IN
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Loads a theme by name or path. On any problem it returns the default theme and the problem,
/// so the caller can show it and carry on.
pub fn load(request: &str, no_color: bool) -> (Theme, Option<String>) {
    if no_color {
        return (Theme::monochrome(), None);
    }
    let (name, path, embedded) = match locate(request) {
        Ok(found) => found,
        Err(problem) => return (default_theme(), Some(problem)),
    };
    let mut theme = default_theme();
    theme.name = name;
    let result = match (path, embedded) {
        (_, Some(text)) => theme.apply(Path::new(request), text),
        (Some(path), None) => {
            use crate::util::read::{limits, read_regular_text};
            match read_regular_text(&path, limits::SETTINGS) {
                Ok(text) => theme.apply(&path, &text),
                Err(err) => Err(FileProblem {
                    path: path.clone(),
                    line: None,
                    message: format!("theme not read: {err}"),
                }),
            }
        }
        (None, None) => Ok(()),
    };
    match result {
        Ok(()) => (theme, None),
        Err(problem) => (
            default_theme(),
            Some(format!("theme {problem}; using the default theme")),
        ),
    }
}

/// True when the NO_COLOR convention asks for no colour (set and not empty).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_is_complete_and_valid() {
        for (name, text) in BUILT_IN {
            let file: ThemeFile = parse_toml(Path::new(name), text).expect("built-in parses");
            for style in STYLE_NAMES {
                assert!(file.styles.contains_key(*style), "{name} lacks {style}");
            }
            let (theme, problem) = load(name, false);
            assert_eq!(problem, None, "{name}");
            assert_eq!(theme.name, *name);
        }
    }

    #[test]
    fn risk_levels_have_distinct_styles() {
        for (name, _) in BUILT_IN {
            let (theme, _) = load(name, false);
            let styles: Vec<Style> = RiskLevel::ALL.iter().map(|l| theme.risk(*l)).collect();
            for (i, a) in styles.iter().enumerate() {
                for b in &styles[i + 1..] {
                    assert_ne!(a, b, "{name}: two risk levels look the same");
                }
            }
        }
    }

    #[test]
    fn partial_user_theme_overlays_the_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, "[styles]\ncritical = { fg = \"#010203\" }\n").expect("write");
        let (theme, problem) = load(path.to_str().expect("utf8"), false);
        assert_eq!(problem, None);
        assert_eq!(theme.critical.fg, Some(Color::Rgb(1, 2, 3)));
        assert_eq!(theme.high, default_theme().high);
    }

    #[test]
    fn broken_theme_names_file_line_and_field_and_falls_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.toml");
        std::fs::write(
            &path,
            "[styles]\nok = { fg = \"green\" }\nhigh = { fg = \"notacolour\" }\n",
        )
        .expect("write");
        let (theme, problem) = load(path.to_str().expect("utf8"), false);
        let problem = problem.expect("a problem");
        assert!(problem.contains("bad.toml line 3"), "{problem}");
        assert!(problem.contains("styles.high"), "{problem}");
        assert_eq!(theme, default_theme());
    }

    #[test]
    fn unknown_theme_name_is_reported() {
        let (_, problem) = load("solarized-neon", false);
        assert!(problem.expect("problem").contains("unknown theme"));
    }

    #[test]
    fn no_color_is_monochrome() {
        let (theme, _) = load("dark", true);
        assert_eq!(theme.critical.fg, None);
        assert_eq!(theme.critical.bg, None);
    }
}
