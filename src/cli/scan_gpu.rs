//! `vigil scan gpu`: one NVML sample of every card, with each GPU process's container named.

use super::args::{OutputFormat, ScanGpuArgs};
use super::output::{Outcome, Status, print_out, runtime, warn};
use crate::collect::{docker, gpu};
use crate::config::Settings;
use std::collections::HashMap;

pub fn run(settings: &Settings, args: &ScanGpuArgs) -> Outcome {
    let mut snapshot = gpu::sample_once(settings.nvml_lib.as_deref());
    if snapshot.processes().any(|(_, p)| p.container_id.is_some()) {
        match container_names(settings) {
            Ok(names) => snapshot.attach_container_names(&names),
            Err(message) => warn(&format!("container names unknown: {message}")),
        }
    }
    match args.format {
        OutputFormat::Json => print_out(&crate::report::gpu::to_json(&snapshot)),
        OutputFormat::Table => print_out(&crate::report::gpu::to_table(&snapshot)),
    }
    Ok(Status::Success)
}

/// Container id -> name, from one container list.
fn container_names(settings: &Settings) -> Result<HashMap<String, String>, String> {
    runtime().map_err(|f| f.0)?.block_on(async {
        let connection = docker::connect(&settings.docker())
            .await
            .map_err(|e| e.to_string())?;
        let containers = docker::list_containers(&connection.client)
            .await
            .map_err(|err| docker::explain_error(&connection.endpoint, &err))?;
        Ok(containers.into_iter().map(|c| (c.id, c.name)).collect())
    })
}
