//! `vigil completions SHELL` and `vigil man`: generated from the same definitions that parse
//! the command line, so they cannot drift from it.

use super::args::Cli;
use super::output::{Failure, Outcome, Status, print_out, write_stdout};
use clap::CommandFactory;
use std::path::Path;

pub fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut command = Cli::command();
    write_stdout(|out| {
        clap_complete::generate(shell, &mut command, "vigil", out);
        Ok(())
    });
    Ok(Status::Success)
}

/// The main page on stdout, or every page written to `out_dir`.
pub fn man_page(out_dir: Option<&Path>) -> Outcome {
    let failed = |err: std::io::Error| Failure(format!("cannot write the manual: {err}"));
    if let Some(dir) = out_dir {
        std::fs::create_dir_all(dir).map_err(failed)?;
        clap_mangen::generate_to(Cli::command(), dir).map_err(failed)?;
        print_out(&format!("wrote the manual pages to {}", dir.display()));
        return Ok(Status::Success);
    }
    let mut roff = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut roff)
        .map_err(failed)?;
    write_stdout(|out| std::io::Write::write_all(out, &roff));
    Ok(Status::Success)
}
