//! `vigil scan gpu`: one NVML sample of every card, with each GPU process's container named.

use crate::cli::{OutputFormat, ScanGpuArgs};
use crate::collect::{docker, gpu};
use crate::commands::{print_out, runtime};
use crate::config::Settings;
use std::collections::HashMap;

pub fn run(settings: &Settings, args: &ScanGpuArgs) -> i32 {
    let mut snapshot = gpu::sample_once(settings.nvml_lib.as_deref());
    if snapshot.processes().any(|(_, p)| p.container_id.is_some()) {
        match container_names(settings) {
            Ok(names) => snapshot.attach_container_names(&names),
            Err(message) => eprintln!("vigil: container names unknown: {message}"),
        }
    }
    match args.format {
        OutputFormat::Json => print_out(&crate::report::gpu::to_json(&snapshot)),
        OutputFormat::Table => print_out(&crate::report::gpu::to_table(&snapshot)),
    }
    0
}

/// Container id -> name, from one container list.
fn container_names(settings: &Settings) -> Result<HashMap<String, String>, String> {
    let runtime = runtime().map_err(|_| "no async runtime".to_string())?;
    runtime.block_on(async {
        let docker_settings = docker::DockerSettings {
            host: settings.docker_host.clone(),
            ..Default::default()
        };
        let endpoint = docker_settings.endpoint();
        let (client, _, _) = docker::connect(&docker_settings).await?;
        let containers = docker::list_containers(&client)
            .await
            .map_err(|err| docker::explain_error(&endpoint, &err))?;
        Ok(containers.into_iter().map(|c| (c.id, c.name)).collect())
    })
}
