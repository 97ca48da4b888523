//! The full-screen triage view: app state, keymap, layout, drawing and the event loop.

pub mod app;
mod event_loop;
pub mod gpu;
pub mod keymap;
pub mod layout;
pub mod marking;
pub mod panes;
pub mod popups;
pub mod remediation;
pub mod report;
pub mod secrets;
pub mod terminal;
pub mod text;
pub mod timeline;
pub mod view;
mod watchdog;

use crate::commands::Resolved;

/// Runs the TUI until the user quits or a signal arrives. Returns the exit status.
pub fn run(resolved: Resolved) -> i32 {
    let log = crate::logging::init();
    terminal::install_panic_hook();
    let no_color = crate::theme::no_color_requested();
    let (theme, theme_problem) = crate::theme::load(&resolved.settings.theme, no_color);
    let mut problems = resolved.problems.clone();
    problems.extend(theme_problem);
    for problem in &problems {
        tracing::warn!(%problem, "configuration problem");
    }
    let runtime = match crate::commands::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let mut app = app::App::new(resolved.settings.clone(), theme);
    // The recovery checklist's marks of this host (never in the suspect repository).
    if let Some(path) = crate::marks::Marks::default_path() {
        match crate::marks::Marks::load(&path) {
            Ok(marks) => {
                if marks.unreadable_lines > 0 {
                    problems.push(format!(
                        "{}: {} unreadable line(s) skipped",
                        path.display(),
                        marks.unreadable_lines
                    ));
                }
                app.marks = marks;
                app.rebuild_rows();
            }
            Err(message) => problems.push(message),
        }
    }
    for problem in problems {
        app.show_problem(problem);
    }
    let outcome = runtime.block_on(event_loop::run(app, resolved.settings));
    // Collectors may be parked in blocking reads: do not wait for them on the way out.
    runtime.shutdown_background();
    drop(log);
    match outcome {
        Ok(exit) => exit.code(),
        Err(err) => {
            eprintln!("vigil: {err:?}");
            1
        }
    }
}

#[cfg(test)]
mod gpu_tests;
#[cfg(test)]
mod marking_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod timeline_tests;
