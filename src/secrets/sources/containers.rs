//! Containers, running and stopped: their environment and launch arguments as Docker holds
//! them, and the compose files their compose labels point to (read from this host).

use super::super::detect::{Detection, Detector, TextKind};
use crate::model::ContainerDetails;

/// One container text and what was found in it.
pub struct ContainerHit {
    pub container: String,
    pub running: bool,
    /// `env NAME` or `args`.
    pub detail: String,
    pub detections: Vec<Detection>,
}

/// A compose file (or the project's `.env`) and what was found in it.
pub struct ComposeHit {
    pub path: String,
    pub detections: Vec<Detection>,
}

pub fn scan(containers: &[ContainerDetails], detector: &Detector) -> Vec<ContainerHit> {
    let mut hits = Vec::new();
    for container in containers {
        let running = container.state == "running";
        for entry in &container.env {
            let detections = detector.detect(entry.as_bytes(), TextKind::Config);
            if !detections.is_empty() {
                let name = entry.split_once('=').map_or(entry.as_str(), |(k, _)| k);
                hits.push(ContainerHit {
                    container: container.name.clone(),
                    running,
                    detail: format!("env {}", crate::util::text::escape(name)),
                    detections,
                });
            }
        }
        // The argv as one line, so `--password X` and `--gradio-auth u:p` read as written.
        let argv = container.command_line().join(" ");
        let detections = detector.detect(argv.as_bytes(), TextKind::Config);
        if !detections.is_empty() {
            hits.push(ContainerHit {
                container: container.name.clone(),
                running,
                detail: "args".into(),
                detections,
            });
        }
    }
    hits
}

/// The compose files named by the containers' labels, and each project's `.env`.
pub fn compose_files(containers: &[ContainerDetails]) -> Vec<std::path::PathBuf> {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for container in containers {
        if let Some(list) = container.label("com.docker.compose.project.config_files") {
            files.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(std::path::PathBuf::from),
            );
        }
        if let Some(dir) = container.label("com.docker.compose.project.working_dir") {
            files.push(std::path::Path::new(dir).join(".env"));
        }
    }
    files.sort();
    files.dedup();
    files
}

pub fn scan_compose(
    files: &[std::path::PathBuf],
    detector: &Detector,
    max_bytes: u64,
) -> Vec<ComposeHit> {
    files
        .iter()
        .filter_map(|path| {
            let size = std::fs::metadata(path).ok()?.len();
            if size > max_bytes {
                return None;
            }
            let data = std::fs::read(path).ok()?;
            let detections = detector.detect(&data, TextKind::Config);
            (!detections.is_empty()).then(|| ComposeHit {
                path: path.display().to_string(),
                detections,
            })
        })
        .collect()
}
