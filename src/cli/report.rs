//! `vigil report`: the incident report from one fresh snapshot, as Markdown or JSON, to
//! standard output or (atomically) to a file.

use super::args::{ReportArgs, ReportFormat};
use super::output::{Failure, Outcome, Status, print_out, runtime};
use crate::config::Settings;
use crate::report::incident;

pub fn run(settings: &Settings, args: &ReportArgs) -> Outcome {
    let settings = settings
        .clone()
        .with_sources(&args.repo, args.ioc_file.as_deref());
    let gathered = crate::incident::snapshot::gather(&settings, &runtime()?);
    let report = incident::build(&gathered.snapshot(&settings));
    let text = match args.format {
        ReportFormat::Md => incident::to_markdown(&report),
        ReportFormat::Json => incident::to_json(&report),
    };
    match &args.output {
        Some(path) => {
            crate::util::fs::write_atomic(path, &text)
                .map_err(|err| Failure(format!("cannot write {}: {err}", path.display())))?;
            eprintln!("vigil: report written to {}", path.display());
        }
        None => print_out(&text),
    }
    Ok(Status::Success)
}
