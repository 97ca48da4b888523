//! `vigil scan containers`: every container and host listener with exposure, authentication and
//! risk, as a table or JSON.

use super::args::{OutputFormat, ScanContainersArgs};
use super::output::{Outcome, Status, print_out, runtime};
use crate::config::Settings;
use crate::report::containers::ContainersReport;

pub fn run(settings: &Settings, args: &ScanContainersArgs) -> Outcome {
    let inventory = runtime()?.block_on(crate::incident::inventory::collect(
        settings,
        !args.no_probe,
    ))?;
    let report = ContainersReport::build(&inventory);
    match args.format {
        OutputFormat::Json => print_out(&report.to_json()),
        OutputFormat::Table => print_out(&report.to_table()),
    }
    Ok(match (args.fail_on, report.worst()) {
        (Some(threshold), Some(worst)) if worst >= threshold => Status::RiskFound,
        _ => Status::Success,
    })
}
