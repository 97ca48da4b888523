//! `vigil scan all`: the report's snapshot for cron and monitoring, as JSON (or its Markdown);
//! with `--fail-on LEVEL`, exit status 3 while anything at or above that level is neither fixed
//! nor marked on the checklist.

use super::args::{OutputFormat, ScanAllArgs};
use super::output::{Outcome, Status, print_out, runtime};
use crate::config::Settings;
use crate::report::incident;

pub fn run(settings: &Settings, args: &ScanAllArgs) -> Outcome {
    let settings = settings
        .clone()
        .with_sources(&args.repo, args.ioc_file.as_deref());
    let gathered = crate::incident::snapshot::gather(&settings, &runtime()?);
    let report = incident::build(&gathered.snapshot(&settings));
    match args.format {
        OutputFormat::Json => print_out(&incident::to_json(&report)),
        OutputFormat::Table => print_out(&incident::to_markdown(&report)),
    }
    Ok(match args.fail_on {
        Some(level) if !incident::open_at_or_above(&report, &gathered.marks, level).is_empty() => {
            Status::RiskFound
        }
        _ => Status::Success,
    })
}
