//! The full-screen triage view.
//!
//! - `app` is a shell that routes: it owns each feature's state and the `Shell` they share,
//!   and changes only in `App::handle(Msg)`. It does no I/O; it asks for `Effect`s.
//! - One folder per feature, its state and update in `mod.rs` beside its drawing:
//!   `containers`, `gpu`, `timeline`, `secrets`, plus `actions` (plan, confirm, progress,
//!   undo) and `marking` (the checklist's marks).
//! - `runner` carries out the effects off the event loop (latest-wins jobs in `jobs`),
//!   `producers` starts the collectors, `event_loop` turns all of it into `Msg`s.
//! - `frame` draws one frame from the app through small per-pane contexts; `widgets`,
//!   `layout`, `keymap`, `theme`, `help` are shared by the views.

pub mod actions;
pub mod app;
pub mod containers;
pub mod effect;
mod event_loop;
pub mod frame;
pub mod gpu;
pub mod help;
mod jobs;
pub mod keymap;
pub mod layout;
pub mod marking;
pub mod msg;
mod producers;
pub mod report;
pub mod runner;
pub mod secrets;
pub mod shell;
pub mod terminal;
pub mod theme;
pub mod timeline;
mod watchdog;
pub mod widgets;

use std::process::ExitCode;

/// Runs the TUI until the user quits or a signal arrives. `problems` (a broken config file …)
/// are shown in the status bar. Returns the exit status.
pub fn run(settings: crate::config::Settings, problems: Vec<String>) -> ExitCode {
    let mut problems = problems;
    let log = crate::util::logging::init()
        .map_err(|problem| problems.push(problem))
        .ok();
    terminal::install_panic_hook();
    let (theme, theme_problem) = theme::load(&settings.theme, theme::no_color_requested());
    problems.extend(theme_problem);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("vigil: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let (marks, marks_problem) = load_marks();
    problems.extend(marks_problem);
    let mut app = app::App::new(settings.clone(), theme).with_marks(marks);
    for problem in problems {
        tracing::warn!(%problem, "configuration problem");
        app.show_problem(problem);
    }
    let outcome = runtime.block_on(event_loop::run(app, settings));
    // Collectors may be parked in blocking reads: do not wait for them on the way out.
    runtime.shutdown_background();
    drop(log);
    match outcome {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(err) => {
            eprintln!("vigil: {err:?}");
            ExitCode::FAILURE
        }
    }
}

/// The recovery checklist's marks of this host (never in the suspect repository).
fn load_marks() -> (crate::incident::marks::Marks, Option<String>) {
    use crate::incident::marks::Marks;
    let Some(path) = Marks::default_path() else {
        return (Marks::default(), None);
    };
    match Marks::load(&path) {
        Ok(marks) => {
            let problem = (marks.unreadable_lines > 0).then(|| {
                format!(
                    "{}: {} unreadable line(s) skipped",
                    path.display(),
                    marks.unreadable_lines
                )
            });
            (marks, problem)
        }
        Err(message) => (Marks::default(), Some(message)),
    }
}

#[cfg(test)]
mod tests;
