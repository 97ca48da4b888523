//! `Enter` on a secret finding: every place it lives, the commit that introduced it, the refs
//! that still reach it, and what to do. Masked value and fingerprint only.

use super::SecretsPane;
use crate::secrets::finding::{Finding, Source};
use crate::tui::theme::Theme;
use crate::util::text::escape;
use ratatui::text::{Line, Span};

pub fn lines(theme: &Theme, finding: &Finding) -> Vec<Line<'static>> {
    let field = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<13}"), theme.muted),
            Span::styled(value, theme.text),
        ])
    };
    let mut out = vec![
        Line::from(Span::styled(
            format!("{} ({})", finding.description, finding.rule),
            theme.title,
        )),
        field("secret", finding.masked.clone()),
        field("fingerprint", format!("sha256:{}", finding.fingerprint)),
        field(
            "severity",
            format!(
                "{}{}",
                finding.severity.as_str(),
                if finding.compromised {
                    " · COMPROMISED: on the incident's list, rotate now"
                } else {
                    ""
                }
            ),
        ),
    ];
    if let Some(reason) = &finding.suppressed {
        out.push(field("suppressed", escape(reason).into_owned()));
    }
    out.push(field("rotate", finding.rotate.clone()));
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(
        format!("Lives in {} place(s):", finding.locations.len()),
        theme.title,
    )));
    for location in &finding.locations {
        out.push(Line::from(Span::styled(
            format!("• {}", location.short()),
            theme.text,
        )));
        let mut facts = Vec::new();
        if let Some(commit) = &location.commit {
            facts.push(format!("introduced by commit {commit}"));
        }
        if let Some(count) = location.commits {
            facts.push(format!("in {count} commit(s)"));
        }
        if location.source == Source::History {
            facts.push(if location.refs.is_empty() {
                "reachable from no ref (deleted branch or dangling object)".to_string()
            } else {
                let shown: Vec<&str> = location.refs.iter().take(4).map(String::as_str).collect();
                let more = location.refs.len().saturating_sub(shown.len());
                format!(
                    "refs: {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" +{more}")
                    } else {
                        String::new()
                    }
                )
            });
        }
        match location.in_head {
            Some(true) => facts.push("still in HEAD".into()),
            Some(false) if location.source == Source::History => facts.push("not in HEAD".into()),
            _ => {}
        }
        if let Some(status) = &location.status {
            facts.push(format!("{status} file"));
        }
        if location.running == Some(true) {
            facts.push("container is running".into());
        }
        if location.pragma {
            facts.push("line carries an allow pragma".into());
        }
        facts.push(format!("rule {}", location.rule));
        out.push(Line::from(Span::styled(
            format!("    {}", escape(&facts.join(" · "))),
            theme.muted,
        )));
    }
    out
}

pub fn draw(
    pane: &SecretsPane,
    theme: &Theme,
    index: usize,
    scroll: u16,
    frame: &mut ratatui::Frame,
) -> u16 {
    let content = pane
        .findings()
        .get(index)
        .map(|f| lines(theme, f))
        .unwrap_or_else(|| {
            vec![Line::from(Span::styled(
                "This finding no longer exists.",
                theme.muted,
            ))]
        });
    crate::tui::widgets::scrolling(
        theme,
        "Secret (Esc closes, ↑↓ scroll)",
        content,
        scroll,
        frame,
    )
}
