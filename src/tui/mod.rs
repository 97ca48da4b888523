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
pub mod theme;
pub mod timeline;
pub mod view;
mod watchdog;

/// Runs the TUI until the user quits or a signal arrives. `problems` (a broken config file …)
/// are shown in the status bar. Returns the exit status.
pub fn run(settings: crate::config::Settings, problems: Vec<String>) -> std::process::ExitCode {
    let log = crate::util::logging::init();
    terminal::install_panic_hook();
    let no_color = theme::no_color_requested();
    let (theme, theme_problem) = theme::load(&settings.theme, no_color);
    let mut problems = problems;
    problems.extend(theme_problem);
    for problem in &problems {
        tracing::warn!(%problem, "configuration problem");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("vigil: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut app = app::App::new(settings.clone(), theme);
    // The recovery checklist's marks of this host (never in the suspect repository).
    if let Some(path) = crate::incident::marks::Marks::default_path() {
        match crate::incident::marks::Marks::load(&path) {
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
    let outcome = runtime.block_on(event_loop::run(app, settings));
    // Collectors may be parked in blocking reads: do not wait for them on the way out.
    runtime.shutdown_background();
    drop(log);
    match outcome {
        Ok(exit) => std::process::ExitCode::from(exit.code()),
        Err(err) => {
            eprintln!("vigil: {err:?}");
            std::process::ExitCode::FAILURE
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
