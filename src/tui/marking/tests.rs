//! `m` on TestBackend: the prompt, the saved mark (through the real file), the ✓ in the panes,
//! the checklist in the header, unmarking, observer mode.

use crate::incident::marks::{MarkKind, Marks};
use crate::tui::app::{App, Effect, Popup};
use crate::tui::keymap::Action;
use crate::tui::layout::PaneId;
use crate::tui::tests::{marking_user, press, render, save_marks, scene, text_of};
use crossterm::event::KeyCode;

fn key(app: &mut App, code: KeyCode) {
    press(app, code);
}

fn with_marks(dir: &tempfile::TempDir) -> App {
    let app = scene();
    let marks = Marks::load(&dir.path().join("marks.jsonl")).expect("marks");
    app.with_marks(marks)
}

#[test]
fn marking_a_container_shows_it_persists_and_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = with_marks(&dir);
    let before = app.checklist;
    assert_eq!(
        before.exposures_found, 1,
        "sdnext is public without authentication"
    );
    assert_eq!(before.exposures_isolated, 0);
    app.update(Action::FocusPane(PaneId::Containers.index()));
    app.update(Action::Home);
    app.update(Action::Mark);
    assert!(matches!(app.shell.popup, Some(Popup::MarkPrompt { .. })));
    let text = text_of(&render(&mut app, 140, 30));
    assert!(text.contains("Mark container sdnext as reviewed"), "{text}");
    assert!(text.contains("> isolated█"), "a suggestion to edit: {text}");
    for _ in 0.."isolated".len() {
        key(&mut app, KeyCode::Backspace);
    }
    for ch in "rebound to 127.0.0.1\u{7}".chars() {
        key(&mut app, KeyCode::Char(ch));
    }
    key(&mut app, KeyCode::Enter);
    save_marks(&mut app);
    assert!(app.shell.popup.is_none());
    let after = app.checklist;
    assert_eq!((after.exposures_isolated, after.exposures_found), (1, 1));
    let text = text_of(&render(&mut app, 200, 30));
    assert!(text.contains("✓sdnext"), "{text}");
    assert!(text.contains("isolated 1/1"), "{text}");

    // A restart reads the same file.
    let again = Marks::load(&dir.path().join("marks.jsonl")).expect("reload");
    let mark = again.get(MarkKind::Container, "sdnext").expect("mark");
    assert_eq!(
        mark.note, "rebound to 127.0.0.1",
        "control characters are not stored"
    );
    assert_eq!(mark.user, marking_user());

    // m again takes it back.
    app.update(Action::Mark);
    save_marks(&mut app);
    assert_eq!(app.checklist.exposures_isolated, 0);
    assert!(!text_of(&render(&mut app, 200, 30)).contains("✓sdnext"));
}

#[test]
fn escape_cancels_and_observer_mode_cannot_mark() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saves = |app: &mut App| {
        app.take_effects()
            .into_iter()
            .filter(|e| matches!(e, Effect::SaveMark { .. }))
            .count()
    };
    let mut app = with_marks(&dir);
    app.update(Action::Mark);
    key(&mut app, KeyCode::Esc);
    assert!(app.shell.popup.is_none());
    assert_eq!(saves(&mut app), 0);
    let mut observer = with_marks(&dir);
    observer.shell.read_only = true;
    observer.update(Action::Mark);
    assert!(observer.shell.popup.is_none());
    assert_eq!(saves(&mut observer), 0);
    let text = text_of(&render(&mut observer, 140, 30));
    assert!(
        text.contains("read-only: observer mode cannot mark"),
        "{text}"
    );
}

#[test]
fn marking_a_secret_counts_it_rotated_and_shows_a_check() {
    use crate::secrets::scan::{ScanOptions, run};
    let repo = tempfile::tempdir().expect("tempdir");
    let token = crate::util::fixtures::random_token("hf_", 34);
    std::fs::write(repo.path().join(".env"), format!("HF_TOKEN={token}\n")).expect("write");
    let options = ScanOptions {
        repos: vec![repo.path().to_path_buf()],
        history: false,
        ..ScanOptions::default()
    };
    let report = run(
        &options,
        &|_| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .expect("scan");
    let found = report.findings.len();
    assert!(found >= 1);
    let fingerprint = report.findings[0].fingerprint.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = with_marks(&dir);
    app.secrets.state = crate::tui::secrets::ScanState::Done;
    app.secrets.report = Some(report);
    app.update(Action::FocusPane(PaneId::Secrets.index()));
    app.update(Action::Mark);
    let text = text_of(&render(&mut app, 160, 30));
    assert!(text.contains("Mark secret "), "{text}");
    assert!(
        !text.contains(&token),
        "the prompt never shows the raw secret"
    );
    key(&mut app, KeyCode::Enter);
    save_marks(&mut app);
    let list = app.checklist;
    assert_eq!((list.secrets_rotated, list.secrets_found), (1, found));
    assert!(app.marks.is_marked(MarkKind::Secret, &fingerprint));
    app.update(Action::Zoom);
    let text = text_of(&render(&mut app, 160, 30));
    assert!(
        text.lines().any(|l| l.contains("✓") && l.contains("hf_")),
        "{text}"
    );
    let stored = std::fs::read_to_string(dir.path().join("marks.jsonl")).expect("marks file");
    assert!(
        !stored.contains(&token),
        "the marks file holds the fingerprint, never the secret"
    );
}
