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
            let detections = detect_env_entry(entry, detector);
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

/// The rule given to an environment credential no pattern recognised.
pub const ENVIRONMENT_CREDENTIAL: &str = "environment-credential";

/// What the rules find in `NAME=value`; when they find nothing but the name says it holds a
/// credential, or the value has a token's shape (as `vigil scan containers` judges), the whole
/// value, exactly as its bytes are, control characters included.
pub fn detect_env_entry(entry: &str, detector: &Detector) -> Vec<Detection> {
    let detections = detector.detect(entry.as_bytes(), TextKind::Config);
    if !detections.is_empty() {
        return detections;
    }
    let Some((name, value)) = entry.split_once('=') else {
        return detections;
    };
    use crate::model::credentials::{is_secret_env_key, looks_like_token};
    let credential =
        !value.trim().is_empty() && (is_secret_env_key(name) || looks_like_token(value));
    if !credential {
        return detections;
    }
    detector
        .whole_value(ENVIRONMENT_CREDENTIAL, value.as_bytes())
        .into_iter()
        .collect()
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

/// Scans the compose and `.env` files the labels name. Labels are the intruder's to write, so
/// each path is read as a regular file of bounded size; what could not be read is returned
/// with why (a FIFO, a device, too large), a missing file is skipped quietly (a project moved).
pub fn scan_compose(
    files: &[std::path::PathBuf],
    detector: &Detector,
    max_bytes: u64,
) -> (Vec<ComposeHit>, Vec<String>) {
    use crate::util::read::{limits, read_regular};
    let mut hits = Vec::new();
    let mut skipped = Vec::new();
    for path in files {
        let data = match read_regular(path, max_bytes.min(limits::COMPOSE)) {
            Ok(data) => data,
            Err(err) if err.is_not_found() => continue,
            Err(err) => {
                skipped.push(format!("compose file named by a label {err}"));
                continue;
            }
        };
        let detections = detector.detect(&data, TextKind::Config);
        if !detections.is_empty() {
            hits.push(ComposeHit {
                path: path.display().to_string(),
                detections,
            });
        }
    }
    (hits, skipped)
}
