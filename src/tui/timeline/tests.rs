//! The timeline pane on TestBackend, fed by the real background reader on a repository built
//! here with git2: chart, list, order toggle, details, safe state, hostile commit text, small
//! terminals.

use crate::timeline::CommitId;
use crate::timeline::stages::{Stage, read_in_stages};
use crate::tui::app::{App, Popup};
use crate::tui::keymap::Action;
use crate::tui::msg::Msg;
use crate::tui::tests::{find, press, render, save_marks, scene, text_of};
use git2::{Oid, Repository, Signature, Time};
use std::path::Path;

const DAY: i64 = 86_400;
/// 2026-03-02 00:00 UTC.
const START: i64 = 1_772_409_600;
/// A subject that tries to clear the screen and reverse the text after it.
const HOSTILE: &str = "feat\u{1b}[2J\u{202e}exe.txt";

fn commit(
    repo: &Repository,
    email: &str,
    offset: i32,
    time: i64,
    message: &str,
    file: &str,
) -> Oid {
    let dir = repo.workdir().expect("workdir");
    std::fs::write(dir.join(file), format!("{message}\n{time}\n")).expect("write");
    let mut index = repo.index().expect("index");
    index.add_path(Path::new(file)).expect("add");
    index.write().expect("index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let signature = Signature::new(email, email, &Time::new(time, offset)).expect("signature");
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let refs: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &refs)
        .expect("commit")
}

/// Two months of ordinary work by two people, then a night burst by a new identity whose
/// last subject is hostile. Returns (directory, last good commit, burst commits).
fn incident_repo() -> (tempfile::TempDir, Oid, Vec<Oid>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = Repository::init(dir.path()).expect("init");
    let mut last = Oid::ZERO_SHA1;
    for day in 0..60 {
        let (email, offset) = if day % 2 == 0 {
            ("alice@team.example", 60)
        } else {
            ("bob@team.example", -300)
        };
        let time = START + day * DAY + 10 * 3600 - offset as i64 * 60;
        last = commit(
            &repo,
            email,
            offset,
            time,
            &format!("Handle case {day} in the request router"),
            &format!("file{}.txt", day % 7),
        );
    }
    let night = START + 64 * DAY + 19 * 3600;
    let burst = [(0, "feat"), (44, "refactor"), (97, HOSTILE)]
        .iter()
        .map(|(gap, subject)| {
            commit(
                &repo,
                "ci-bot@users.example",
                480,
                night + gap,
                subject,
                "payload.txt",
            )
        })
        .collect();
    (dir, last, burst)
}

/// The app with the repository read in the stages the runner reads it in (no cache).
fn app_with(dir: &Path) -> App {
    let mut app = scene();
    app.settings.repos = vec![dir.to_path_buf()];
    app.handle(Msg::Tick(jiff::Timestamp::now()));
    let options = crate::timeline::AnalyzeOptions {
        line_counts: true,
        use_cache: false,
        threads: 2,
    };
    let mut stages = Vec::new();
    let cancel = std::sync::atomic::AtomicBool::new(false);
    read_in_stages(
        &[dir.to_path_buf()],
        &options,
        &cancel,
        &mut |stage: Stage| stages.push(stage),
    );
    for stage in stages {
        app.handle(Msg::Timeline(stage));
    }
    app
}

#[test]
fn the_pane_shows_chart_list_safe_state_and_escapes_hostile_subjects() {
    let (dir, last_good, burst) = incident_repo();
    let mut app = app_with(dir.path());
    app.update(Action::FocusPane(2));
    app.update(Action::Zoom);
    let buffer = render(&mut app, 140, 40);
    let text = text_of(&buffer);
    assert!(text.contains("63 commits"), "{text}");
    // The hostile subject is not a vague word: burst alone, under the threshold.
    assert!(text.contains("2 suspicious"), "{text}");
    assert!(text.contains("by time"), "{text}");
    // The chart: a burst marker, an axis with the bucket size.
    assert!(text.contains('▼'), "{text}");
    assert!(text.contains("1 col = "), "{text}");
    // The hostile subject is drawn escaped; no raw escape or bidi character reaches the screen.
    assert!(text.contains("feat\\e[2J\\u{202e}exe.txt"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "raw control text"
    );
    // The intrusion commits carry their tags; the first one is marked, the safe state too.
    let first_row = find(&buffer, &burst[0].to_string()[..10]).expect("first burst row");
    let row_text = text.lines().nth(first_row.1 as usize).expect("row");
    assert!(
        row_text.contains('▲') && row_text.contains("burst"),
        "{row_text}"
    );
    assert!(
        text.contains(&format!("◆ safe state {}", &last_good.to_string()[..10])),
        "{text}"
    );
    // A suspicious score is drawn in the theme's critical style.
    let (_, row) = find(&buffer, &burst[1].to_string()[..10]).expect("row");
    let line = text.lines().nth(row as usize).expect("row text");
    let score_x = line[..line.find(" 3.0 ").expect("score")].chars().count() as u16 + 1;
    assert_eq!(
        buffer[(score_x, row)].fg,
        app.theme.critical.fg.expect("critical colour")
    );
}

#[test]
fn order_toggle_details_and_small_terminals() {
    let (dir, last_good, burst) = incident_repo();
    let mut app = app_with(dir.path());
    app.update(Action::FocusPane(2));
    app.update(Action::Zoom);
    // By score: the first burst commit (new identity, burst, vague) leads.
    app.update(Action::Order);
    let text = text_of(&render(&mut app, 140, 40));
    assert!(text.contains("by score"), "{text}");
    let top = app
        .timeline
        .current()
        .and_then(|r| r.commit_at(0))
        .expect("row");
    assert_eq!(top.id, CommitId::from_oid(burst[0]));
    // The selection followed its commit (the newest one) across the re-sort.
    let selected = app
        .timeline
        .current()
        .and_then(|r| r.commit_at(app.timeline.selected));
    assert_eq!(selected.map(|c| &*c.subject), Some(HOSTILE));
    app.update(Action::Home);
    // Enter: the details with every signal explained; the raw object arrives afterwards.
    app.update(Action::Open);
    assert!(
        matches!(&app.shell.popup, Some(Popup::CommitDetails { id, .. }) if *id == CommitId::from_oid(burst[0]))
    );
    let details = crate::timeline::details::read(dir.path(), CommitId::from_oid(burst[0]));
    app.handle(Msg::CommitDetails(CommitId::from_oid(burst[0]), details));
    let text = text_of(&render(&mut app, 140, 40));
    for expected in [
        "SUSPICIOUS",
        "new-identity",
        "burst",
        "raw author",
        "ci-bot@users.example",
        "+0800",
        "signature  none",
        "Files (1)",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    // The safe state's details carry the read-only commands.
    app.update(Action::Back);
    app.timeline.select_commit(&CommitId::from_oid(last_good));
    app.update(Action::Open);
    let text = text_of(&render(&mut app, 140, 40));
    assert!(text.contains("git -C"), "{text}");
    assert!(text.contains("worktree add --detach"), "{text}");
    app.update(Action::Back);
    // 80x24, zoomed and not, and tinier: the rows keep the id, the score and the tags.
    let text = text_of(&render(&mut app, 80, 24));
    let row = text
        .lines()
        .find(|l| l.contains(&burst[0].to_string()[..7]))
        .expect("burst row at 80x24");
    assert!(row.contains("4.0") && row.contains("vague"), "{row}");
    app.update(Action::Zoom);
    let text = text_of(&render(&mut app, 80, 24));
    assert!(text.contains("Commit timeline"), "{text}");
    for (width, height) in [(40, 12), (20, 6)] {
        render(&mut app, width, height);
    }
}

#[test]
fn the_pane_says_when_there_is_no_repository_or_it_cannot_be_read() {
    let mut app = scene();
    app.update(Action::FocusPane(2));
    app.update(Action::Zoom);
    app.handle(Msg::Tick(jiff::Timestamp::now()));
    let text = text_of(&render(&mut app, 120, 30));
    assert!(text.contains("no repository"), "{text}");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = app_with(dir.path());
    app.update(Action::FocusPane(2));
    app.update(Action::Zoom);
    let text = text_of(&render(&mut app, 120, 30));
    assert!(text.contains("cannot read the history"), "{text}");
    assert!(text.contains("not a readable git repository"), "{text}");
}

#[test]
fn the_help_shows_the_scoring_weights_and_threshold_in_use() {
    let mut app = scene();
    app.settings.timeline.threshold = 4.5;
    app.settings.timeline.burst = 2.25;
    let text: String = crate::tui::tests::with_ctx(&app, crate::tui::help::lines)
        .iter()
        .map(|line| {
            line.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("suspicious at >= 4.5"), "{text}");
    assert!(text.contains("2.25  burst"), "{text}");
    for kind in crate::timeline::signals::SignalKind::ALL {
        assert!(text.contains(kind.tag()), "{kind} missing from the help");
    }
}

#[test]
fn marking_a_suspicious_commit_counts_it_reviewed() {
    let (dir, _, _) = incident_repo();
    let app = app_with(dir.path());
    let marks_dir = tempfile::tempdir().expect("tempdir");
    let marks =
        crate::incident::marks::Marks::load(&marks_dir.path().join("marks.jsonl")).expect("marks");
    let mut app = app.with_marks(marks);
    let before = app.checklist;
    assert!(
        before.commits_flagged > 0,
        "the incident has suspicious commits"
    );
    assert_eq!(before.commits_reviewed, 0);
    app.update(Action::FocusPane(2));
    app.update(Action::Order); // by score: the most suspicious first
    app.update(Action::Home);
    let id = app
        .timeline
        .current()
        .and_then(|r| r.commit_at(app.timeline.selected))
        .map(|c| c.id)
        .expect("selected commit");
    app.update(Action::Mark);
    assert!(matches!(app.shell.popup, Some(Popup::MarkPrompt { .. })));
    press(&mut app, crossterm::event::KeyCode::Enter);
    save_marks(&mut app);
    assert!(
        app.marks
            .is_marked(crate::incident::marks::MarkKind::Commit, &id.to_string())
    );
    assert_eq!(app.checklist.commits_reviewed, 1);
    app.update(Action::Zoom);
    let text = text_of(&render(&mut app, 140, 30));
    let short = id.short(10);
    assert!(
        text.lines().any(|l| l.contains(&format!("✓{short}"))),
        "{text}"
    );
}
