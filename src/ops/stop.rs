//! Stop a container (gracefully, with its own stop timeout) and its undo, start.

use super::error::OpsError;
use super::plan::{ActionKind, Confirmation, Plan, Step, Target, new_action_id};
use crate::model::ContainerDetails;
use crate::util::text::{escape, shell_quote as quote};
use bollard::Docker;
use bollard::query_parameters::StopContainerOptions;

fn target_of(details: &ContainerDetails) -> Target {
    Target {
        id: details.id.clone(),
        name: details.name.clone(),
        image: details.image.clone(),
    }
}

fn host() -> String {
    crate::util::host::host_name()
}

/// What is recorded as the state before: never env or args (they may hold secrets).
fn state_snapshot(details: &ContainerDetails) -> serde_json::Value {
    serde_json::json!({
        "state": details.state,
        "restart_policy": details.restart_policy,
        "ports": details.configured_ports.iter().map(|p| p.display()).collect::<Vec<_>>(),
    })
}

/// Plans `docker stop`. Refuses vigil's own container; warns about `--rm` (stopping deletes it,
/// so there is no undo), compose (the next `compose up` starts it again) and restart policies
/// that bring it back when dockerd restarts.
pub fn plan_stop(details: &ContainerDetails, own_container: Option<&str>) -> Plan {
    let target = target_of(details);
    let id = new_action_id(ActionKind::Stop, &target);
    let timeout = details
        .stop_timeout
        .map_or("10 s (Docker's default)".to_string(), |t| {
            format!("{t} s (the container's own)")
        });
    let signal = details
        .stop_signal
        .clone()
        .unwrap_or_else(|| "SIGTERM".into());
    let mut warnings = Vec::new();
    let mut confirmation = Confirmation::YesNo;
    let mut refused = None;
    if own_container == Some(details.id.as_str()) {
        refused = Some("this is the container vigil itself runs in".to_string());
    }
    if details.state != "running" && details.state != "restarting" && details.state != "paused" {
        refused = Some(format!(
            "the container is not running (state: {})",
            escape(&details.state)
        ));
    }
    if details.auto_remove {
        warnings.push("started with --rm: stopping DELETES it; there is no undo".to_string());
        confirmation = Confirmation::Type(details.name.clone());
    }
    if let Some(project) = details.label("com.docker.compose.project") {
        warnings.push(format!(
            "managed by docker compose (project {}): the next `docker compose up` starts it again",
            escape(project)
        ));
    }
    if matches!(details.restart_policy.split(':').next(), Some("always")) {
        warnings.push(
            "restart policy `always`: it starts again when dockerd restarts; also run \
             `docker update --restart=no` to keep it down"
                .to_string(),
        );
    }
    let name = quote(&details.name);
    Plan {
        undo: if details.auto_remove {
            "none: the container is deleted when it stops".into()
        } else {
            format!("vigil undo {id}  (starts the container again: docker start {name})")
        },
        steps: vec![
            Step {
                description: format!("send {signal} to {name}, wait up to {timeout}, then SIGKILL"),
                command: match details.stop_timeout {
                    Some(t) => format!("docker stop -t {t} {name}"),
                    None => format!("docker stop {name}"),
                },
            },
            Step {
                description: "check that the container is no longer running".into(),
                command: format!("docker inspect -f '{{{{.State.Status}}}}' {name}"),
            },
        ],
        id,
        kind: ActionKind::Stop,
        host: host(),
        target,
        warnings,
        confirmation,
        refused,
        undoes: None,
        before: state_snapshot(details),
        firewall: None,
    }
}

/// Plans starting a container again: the undo of a stop.
pub fn plan_start(details: &ContainerDetails, undoes: &str) -> Plan {
    let target = target_of(details);
    let name = quote(&details.name);
    let refused =
        (details.state == "running").then(|| "the container is already running".to_string());
    Plan {
        id: new_action_id(ActionKind::Start, &target),
        kind: ActionKind::Start,
        host: host(),
        steps: vec![
            Step {
                description: format!("start {name} again with its original configuration"),
                command: format!("docker start {name}"),
            },
            Step {
                description: "check that it is running".into(),
                command: format!("docker inspect -f '{{{{.State.Status}}}}' {name}"),
            },
        ],
        undo: format!("vigil stop {name}"),
        warnings: Vec::new(),
        confirmation: Confirmation::YesNo,
        refused,
        undoes: Some(undoes.to_string()),
        before: state_snapshot(details),
        firewall: None,
        target,
    }
}

async fn state_after(docker: &Docker, id: &str) -> Result<serde_json::Value, OpsError> {
    let details = crate::collect::docker::inspect(docker, id)
        .await
        .ok_or_else(|| OpsError::ContainerGone(id.chars().take(12).collect()))?;
    Ok(state_snapshot(&details))
}

/// `docker stop` with the container's own timeout, then a check that it stopped.
pub(super) async fn execute_stop(
    docker: &Docker,
    plan: &Plan,
) -> Result<serde_json::Value, OpsError> {
    // The request lasts as long as the container takes to exit, up to its stop timeout and the
    // SIGKILL after it: the client must wait longer than that.
    let grace = crate::collect::docker::inspect(docker, &plan.target.id)
        .await
        .and_then(|d| d.stop_timeout)
        .unwrap_or(10)
        .max(0) as u64;
    let patient = docker
        .clone()
        .with_timeout(std::time::Duration::from_secs(grace + 30));
    // No timeout given: Docker uses the container's own StopTimeout, as the plan says.
    let stopped = patient
        .stop_container(&plan.target.id, None::<StopContainerOptions>)
        .await
        .map_err(OpsError::docker("stop the container"));
    let after = state_after(docker, &plan.target.id).await;
    if let Err(error) = stopped
        && matches!(&after, Ok(state) if state["state"] == "running")
    {
        return Err(error);
    }
    match after {
        Ok(state) if state["state"] == "running" => Err(OpsError::NotAsExpected(
            "the container is still running".into(),
        )),
        Ok(state) => Ok(state),
        // With --rm the container is gone once stopped: that is the expected end state.
        Err(_) => Ok(serde_json::json!({"state": "removed"})),
    }
}

/// `docker start`, then a check that it stayed up.
pub(super) async fn execute_start(
    docker: &Docker,
    plan: &Plan,
) -> Result<serde_json::Value, OpsError> {
    docker
        .start_container(&plan.target.id, None)
        .await
        .map_err(OpsError::docker("start the container"))?;
    let state = state_after(docker, &plan.target.id).await?;
    if state["state"] != "running" {
        return Err(OpsError::NotAsExpected(format!(
            "the container did not stay up (state {})",
            state["state"]
        )));
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(name: &str) -> ContainerDetails {
        ContainerDetails {
            id: "c".repeat(64),
            name: name.into(),
            image: "img".into(),
            state: "running".into(),
            restart_policy: "no".into(),
            ..ContainerDetails::default()
        }
    }

    #[test]
    fn plain_stop_is_yes_no_with_undo() {
        let plan = plan_stop(&running("sdnext"), None);
        assert_eq!(plan.confirmation, Confirmation::YesNo);
        assert!(plan.refused.is_none());
        assert!(plan.undo.starts_with("vigil undo "));
        assert_eq!(plan.steps[0].command, "docker stop sdnext");
    }

    #[test]
    fn own_container_and_stopped_containers_are_refused() {
        let details = running("vigil");
        assert!(plan_stop(&details, Some(&details.id)).refused.is_some());
        let mut stopped = running("x");
        stopped.state = "exited".into();
        assert!(plan_stop(&stopped, None).refused.is_some());
    }

    #[test]
    fn rm_compose_and_always_are_warned() {
        let mut details = running("web");
        details.auto_remove = true;
        details.restart_policy = "always".into();
        details.stop_timeout = Some(30);
        details.labels = vec![("com.docker.compose.project".into(), "genai".into())];
        let plan = plan_stop(&details, None);
        assert_eq!(plan.confirmation, Confirmation::Type("web".into()));
        assert_eq!(plan.warnings.len(), 3, "{:?}", plan.warnings);
        assert!(plan.undo.starts_with("none"));
        assert_eq!(plan.steps[0].command, "docker stop -t 30 web");
    }

    #[test]
    fn hostile_names_are_quoted_and_escaped() {
        let plan = plan_stop(&running("it's a $(reboot)\u{1b}[2J"), None);
        // One single-quoted word: the quote closed, escaped and reopened; `$(...)` inert inside
        // single quotes; the escape sequence shown as `\e`, never raw.
        let quoted = r"'it'\''s a $(reboot)\e[2J'";
        assert_eq!(plan.steps[0].command, format!("docker stop {quoted}"));
        assert_eq!(
            plan.steps[1].command,
            format!("docker inspect -f '{{{{.State.Status}}}}' {quoted}")
        );
        assert!(
            plan.undo.ends_with(&format!(
                "(starts the container again: docker start {quoted})"
            )),
            "{}",
            plan.undo
        );
        // A shell reads the quoted name back as one word, with nothing substituted.
        let output = std::process::Command::new("sh")
            .args(["-c", &format!("printf '%s|' {quoted}")])
            .output()
            .expect("sh");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            r"it's a $(reboot)\e[2J|"
        );

        let lines = plan.describe();
        let text = lines.join("\n");
        assert!(!text.contains('\u{1b}'), "raw escape in the plan: {text:?}");
        assert_eq!(
            lines[0],
            format!(
                r"STOP container it's a $(reboot)\e[2J ({}) image img on host {}",
                "c".repeat(12),
                crate::util::text::escape(&host())
            )
        );
        assert!(
            lines.contains(&format!("  $ docker stop {quoted}")),
            "{text}"
        );
        assert!(
            lines.contains(&format!(
                "  1. send SIGTERM to {quoted}, wait up to 10 s (Docker's default), then SIGKILL"
            )),
            "{text}"
        );
    }
}
