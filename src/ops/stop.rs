//! Stop a container (gracefully, with its own stop timeout). Its undo, starting it again, is
//! planned by `recover` from what the record says and what the host shows.

use super::engine::{self, Goal, Recorded, Scene, Seen, Subject, Work};
use super::plan::{ActionKind, Confirmation, Plan, Target, new_action_id};
use crate::model::ContainerDetails;
use crate::util::text::{escape, shell_quote as quote};

fn target_of(details: &ContainerDetails) -> Target {
    Target {
        id: details.id.clone(),
        name: details.name.clone(),
        image: details.image.clone(),
    }
}

/// What is recorded as the state before: never env or args (they may hold secrets).
fn state_snapshot(details: &ContainerDetails) -> serde_json::Value {
    serde_json::json!({
        "state": details.state,
        "restart_policy": details.restart_policy,
        "ports": details.configured_ports.iter().map(|p| p.display()).collect::<Vec<_>>(),
    })
}

/// What a stop is about: the container, identified by id, image and creation time.
fn subject_of(details: &ContainerDetails, action_id: &str) -> Subject {
    Subject {
        action_id: action_id.to_string(),
        kind: ActionKind::Stop,
        name: details.name.clone(),
        original: Some(Recorded {
            id: details.id.clone(),
            image_id: Some(details.image_id.clone()),
            created: Some(details.created.clone()),
        }),
        was_running: matches!(details.state.as_str(), "running" | "restarting" | "paused"),
        restart: None,
        bindings: Default::default(),
        guards: Vec::new(),
        firewall: None,
        legacy_replacement: None,
        auto_remove: details.auto_remove,
    }
}

/// Plans `docker stop`. Refuses vigil's own container; warns about `--rm` (stopping deletes it,
/// so there is no undo), compose (the next `compose up` starts it again) and restart policies
/// that bring it back when dockerd restarts.
pub fn plan_stop(details: &ContainerDetails, own_container: Option<&str>) -> Plan {
    let target = target_of(details);
    let id = new_action_id(ActionKind::Stop, &target);
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
    let subject = subject_of(details, &id);
    let scene = Scene {
        original: Some(Seen::from_details(details)),
        ..Scene::default()
    };
    let ops = engine::converge(&subject, &scene, Goal::Complete).unwrap_or_default();
    let (work, steps) = Work::new(subject, Goal::Complete, ops, &scene);
    let name = quote(&details.name);
    Plan {
        undo: if details.auto_remove {
            "none: the container is deleted when it stops".into()
        } else {
            format!("vigil undo {id}  (starts the container again: docker start {name})")
        },
        steps,
        id,
        kind: ActionKind::Stop,
        host: crate::util::host::host_name(),
        target,
        warnings,
        confirmation,
        refused,
        undoes: None,
        before: state_snapshot(details),
        firewall: None,
        resumes: None,
        work: Some(work),
    }
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
        // Commands name the container by id: exactly the one the plan shows.
        assert_eq!(
            plan.steps[0].command,
            format!("docker stop {}", "c".repeat(12))
        );
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
        assert_eq!(
            plan.steps[0].command,
            format!("docker stop -t 30 {}", "c".repeat(12))
        );
    }

    #[test]
    fn hostile_names_are_quoted_and_escaped() {
        let plan = plan_stop(&running("it's a $(reboot)\u{1b}[2J"), None);
        // One single-quoted word: the quote closed, escaped and reopened; `$(...)` inert inside
        // single quotes; the escape sequence shown as `\e`, never raw.
        let quoted = r"'it'\''s a $(reboot)\e[2J'";
        // Commands act on the id, so a hostile name never reaches them.
        let id = "c".repeat(12);
        assert_eq!(plan.steps[0].command, format!("docker stop {id}"));
        assert_eq!(
            plan.steps[1].command,
            format!("docker inspect -f '{{{{.State.Status}}}}' {id}")
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
                crate::util::text::escape(&crate::util::host::host_name())
            )
        );
        assert!(lines.contains(&format!("  $ docker stop {id}")), "{text}");
        assert!(
            lines.iter().any(|line| line.starts_with(&format!(
                r"  1. send SIGTERM to it's a $(reboot)\e[2J (id {id}, "
            )) && line
                .ends_with("wait up to 10 s (Docker's default), then SIGKILL")),
            "{text}"
        );
    }
}
