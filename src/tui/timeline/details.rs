//! `Enter` on a commit: the full message, author and committer exactly as stored, parents, the
//! signature, the files with their line counts (sensitive ones marked), the secrets it
//! introduced (masked), every signal with its weight and a sentence, and for the safe state the
//! read-only commands to look at it. Everything from the repository is escaped.

use super::TimelinePane;
use super::view::short_time;
use crate::timeline::{CommitEntry, Timeline};
use crate::tui::widgets::Ctx;
use crate::util::text::escape;
use ratatui::text::{Line, Span};

pub fn lines(
    pane: &TimelinePane,
    ctx: &Ctx,
    timeline: &Timeline,
    commit: &CommitEntry,
) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let scoring = &ctx.settings.timeline;
    let field = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<11}"), theme.muted),
            Span::styled(value, theme.text),
        ])
    };
    let heading = |text: String| Line::from(Span::styled(text, theme.title));
    let suspicious = commit.score >= scoring.threshold;
    let mut out = vec![
        heading(format!("commit {}", commit.id)),
        Line::from(vec![
            Span::styled(format!("{:<11}", "score"), theme.muted),
            Span::styled(
                format!(
                    "{:.1} {}",
                    commit.score,
                    if suspicious {
                        format!("SUSPICIOUS (threshold {})", scoring.threshold)
                    } else {
                        format!("(suspicious at {})", scoring.threshold)
                    }
                ),
                if suspicious {
                    theme.critical
                } else {
                    theme.text
                },
            ),
        ]),
    ];
    if timeline.first_suspicious == Some(commit.id) {
        out.push(field(
            "",
            "▲ the first suspicious commit on the default branch".into(),
        ));
    }
    out.push(field(
        "parents",
        if commit.parents.is_empty() {
            "none (root commit)".into()
        } else {
            commit
                .parents
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        },
    ));
    let identity = |name: &str, email: &str, time: i64, offset: i32| {
        format!(
            "{} <{}>  {}",
            escape(name),
            escape(email),
            short_time(time, offset)
        )
    };
    out.push(field(
        "author",
        identity(
            &commit.author,
            &commit.author_email,
            commit.author_time,
            commit.author_offset,
        ),
    ));
    out.push(field(
        "committer",
        identity(
            &commit.committer,
            &commit.committer_email,
            commit.committer_time,
            commit.committer_offset,
        ),
    ));
    if commit.dangling {
        out.push(field("reachable", "from no ref: dangling".into()));
    }
    // The raw object, read on demand.
    match pane.details.as_ref().filter(|(id, _)| *id == commit.id) {
        Some((_, Ok(details))) => {
            out.push(field(
                "raw author",
                escape(&details.author_raw).into_owned(),
            ));
            out.push(field(
                "raw commit",
                escape(&details.committer_raw).into_owned(),
            ));
            out.push(field(
                "signature",
                match &details.signature {
                    Some(first) => format!("present ({})", escape(first)),
                    None => "none".into(),
                },
            ));
            if !details.extra_headers.is_empty() {
                out.push(field(
                    "headers",
                    escape(&details.extra_headers.join(", ")).into_owned(),
                ));
            }
            out.push(Line::from(""));
            out.push(heading("Message".into()));
            for line in details.message.lines() {
                out.push(Line::from(Span::styled(
                    format!("  {}", escape(line)),
                    theme.text,
                )));
            }
        }
        Some((_, Err(message))) => out.push(field(
            "raw",
            format!("cannot read the commit object: {}", escape(message)),
        )),
        None => {
            out.push(field(
                "signature",
                if commit.signed { "present" } else { "none" }.into(),
            ));
            out.push(field(
                "message",
                format!("{} (reading…)", escape(&commit.subject)),
            ));
        }
    }

    out.push(Line::from(""));
    out.push(heading(format!("Signals ({})", commit.signals.len())));
    if commit.signals.is_empty() {
        out.push(Line::from(Span::styled("  none", theme.muted)));
    }
    for signal in &commit.signals {
        out.push(Line::from(vec![
            Span::styled(
                format!("  +{:<4} {:<20} ", scoring.of(signal.kind), signal.kind),
                theme.high,
            ),
            Span::styled(escape(&signal.detail).into_owned(), theme.text),
        ]));
    }

    out.push(Line::from(""));
    match commit.changes.as_deref() {
        None => out.push(heading("Files: counting…".into())),
        Some(facts) if facts.merge => out.push(heading(
            "Files: a merge (not counted against a parent, as in git log --numstat)".into(),
        )),
        Some(facts) if facts.unavailable.is_some() => out.push(heading(format!(
            "Files: {}",
            escape(facts.unavailable.as_deref().unwrap_or_default())
        ))),
        Some(facts) => {
            out.push(heading(format!(
                "Files ({}): +{} -{}   ! = sensitive path",
                facts.files_changed, facts.lines_added, facts.lines_removed
            )));
            // The list itself comes with the raw object (the timeline keeps totals only).
            let files = pane
                .details
                .as_ref()
                .filter(|(id, _)| *id == commit.id)
                .and_then(|(_, details)| details.as_ref().ok())
                .and_then(|details| details.files.as_ref());
            match files {
                None => out.push(Line::from(Span::styled("  reading…", theme.muted))),
                Some(summary) => {
                    for file in &summary.files {
                        let sensitive = facts.sensitive_files().iter().any(|p| **p == *file.path);
                        let counts = if file.binary {
                            "binary".to_string()
                        } else {
                            format!("+{} -{}", file.added, file.removed)
                        };
                        out.push(Line::from(vec![
                            Span::styled(
                                format!("  {} {} ", if sensitive { "!" } else { " " }, file.status),
                                if sensitive { theme.high } else { theme.muted },
                            ),
                            Span::styled(format!("{counts:>13} "), theme.muted),
                            Span::styled(escape(&file.path).into_owned(), theme.text),
                        ]));
                    }
                }
            }
        }
    }
    if !commit.secrets.is_empty() {
        out.push(Line::from(""));
        out.push(heading(format!(
            "Secrets introduced ({}), masked",
            commit.secrets.len()
        )));
        for secret in &commit.secrets {
            out.push(Line::from(Span::styled(
                format!(
                    "  {:<8} {:<22} {:<17} {}",
                    secret.severity,
                    secret.rule,
                    secret.masked,
                    escape(&secret.path)
                ),
                theme.critical,
            )));
        }
    }
    if timeline.safe_state == Some(commit.id) {
        out.push(Line::from(""));
        out.push(heading(
            "◆ The safe state: the last commit before the intrusion. To look at it (vigil runs none of these):"
                .into(),
        ));
        for command in timeline.safe_state_commands() {
            out.push(Line::from(Span::styled(format!("  {command}"), theme.ok)));
        }
    }
    out
}

pub fn draw(
    pane: &TimelinePane,
    ctx: &Ctx,
    id: &crate::timeline::CommitId,
    scroll: u16,
    frame: &mut ratatui::Frame,
) -> u16 {
    let Some(timeline) = pane.current().and_then(|r| r.timeline.as_ref()) else {
        return 0;
    };
    let Some(commit) = timeline.find(id) else {
        return 0;
    };
    let content = lines(pane, ctx, timeline, commit);
    crate::tui::widgets::scrolling(ctx.theme, "Commit (Esc closes)", content, scroll, frame)
}
