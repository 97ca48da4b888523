//! A plan: everything the user must see before saying yes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    Stop,
    /// Starting a stopped container: the undo of `Stop`.
    Start,
    /// Dropping outside traffic to a port in vigil's nftables table.
    Block,
    Unblock,
    /// Recreate with loopback bindings, keeping the original as NAME-prev.
    Rebind,
    /// Undo of a rebind: back to the original container.
    Unrebind,
    /// Make a rebind final: remove NAME-prev (never its volumes).
    Commit,
    /// Complete an action that was cut short, from what it left.
    Resume,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Stop => "stop",
            ActionKind::Start => "start",
            ActionKind::Block => "block",
            ActionKind::Unblock => "unblock",
            ActionKind::Rebind => "rebind",
            ActionKind::Unrebind => "unrebind",
            ActionKind::Commit => "commit",
            ActionKind::Resume => "resume",
        }
    }
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// How the user confirms. The default answer is always No.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Confirmation {
    /// `y` to go ahead; anything else cancels.
    YesNo,
    /// The user must type this text (the container name or the port) exactly.
    Type(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub description: String,
    /// The shell command a human could run instead.
    pub command: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub image: String,
}

impl Target {
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Unique and sortable: `20261122T042800Z-stop-3f4e5d6c7b8a`.
    pub id: String,
    pub kind: ActionKind,
    pub target: Target,
    pub host: String,
    pub steps: Vec<Step>,
    /// How to undo it, as a vigil command and as what that does.
    pub undo: String,
    pub warnings: Vec<String>,
    pub confirmation: Confirmation,
    /// Set when vigil will not do this at all, with the reason.
    pub refused: Option<String>,
    /// For an undo: the id of the action it reverses.
    pub undoes: Option<String>,
    /// State before, as recorded in the audit log (secrets masked).
    pub before: serde_json::Value,
    /// For firewall actions: which ports.
    #[serde(default)]
    pub firewall: Option<FirewallSpec>,
    /// For a resume: the id of the action it completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumes: Option<String>,
    /// What the executor carries out: the subject, the goal, the operations the steps show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<super::engine::Work>,
}

/// The ports a firewall action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallSpec {
    pub proto: super::firewall::Proto,
    pub range: super::firewall::PortRange,
    /// The tool that carries the rule; an undo uses the same one.
    #[serde(default)]
    pub backend: super::firewall::Backend,
}

/// A new action id: UTC time, kind and short target id, plus a few random hex digits so two
/// actions in the same second never collide.
pub fn new_action_id(kind: ActionKind, target: &Target) -> String {
    let now = crate::util::time::compact_stamp();
    let mut random = [0u8; 3];
    if let Ok(mut file) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut file, &mut random);
    }
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    // Ports make ids like `...-block-36325-tcp-...`: no `/` or `:` in an id.
    let subject: String = match target.id.strip_prefix("port:") {
        Some(_) => target.name.replace('/', "-"),
        None => target.short_id().to_string(),
    };
    format!("{now}-{}-{subject}-{suffix}", kind.as_str())
}

impl Plan {
    /// The plan as text lines, for the confirmation popup and the CLI.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![if self.firewall.is_some() {
            format!(
                "{} port {} on host {}",
                self.kind.as_str().to_uppercase(),
                self.target.name,
                crate::util::text::escape(&self.host),
            )
        } else {
            format!(
                "{} container {} ({}) image {} on host {}",
                self.kind.as_str().to_uppercase(),
                crate::util::text::escape(&self.target.name),
                self.target.short_id(),
                crate::util::text::escape(&self.target.image),
                crate::util::text::escape(&self.host),
            )
        }];
        if let Some(reason) = &self.refused {
            lines.push(format!("REFUSED: {reason}"));
            return lines;
        }
        lines.push("Steps:".into());
        for (index, step) in self.steps.iter().enumerate() {
            lines.push(format!("  {}. {}", index + 1, step.description));
        }
        lines.push("Equivalent commands:".into());
        for step in &self.steps {
            lines.push(format!("  $ {}", step.command));
        }
        lines.push(format!("Undo: {}", self.undo));
        for warning in &self.warnings {
            // A warning may carry a block of text (a compose override): one line each, so a
            // terminal line never contains a newline.
            let mut parts = warning.lines();
            lines.push(format!("WARNING: {}", parts.next().unwrap_or("")));
            lines.extend(parts.map(|part| format!("    {part}")));
        }
        lines.push(match &self.confirmation {
            Confirmation::YesNo => "Proceed? [y/N]".into(),
            Confirmation::Type(text) => format!(
                "Type `{}` to proceed (anything else cancels)",
                crate::util::text::escape(text)
            ),
        });
        lines
    }

    /// True when `answer` confirms this plan. Default No: only an exact answer proceeds.
    pub fn is_confirmed_by(&self, answer: &str) -> bool {
        if self.refused.is_some() {
            return false;
        }
        match &self.confirmation {
            Confirmation::YesNo => matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"),
            Confirmation::Type(text) => answer.trim() == text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(confirmation: Confirmation) -> Plan {
        Plan {
            id: "x".into(),
            kind: ActionKind::Stop,
            target: Target {
                id: "a".repeat(64),
                name: "sdnext".into(),
                image: "sdnext:latest".into(),
            },
            host: "gpu-01".into(),
            steps: vec![Step {
                description: "stop".into(),
                command: "docker stop sdnext".into(),
            }],
            undo: "vigil undo x".into(),
            warnings: vec![],
            confirmation,
            refused: None,
            undoes: None,
            before: serde_json::Value::Null,
            firewall: None,
            resumes: None,
            work: None,
        }
    }

    #[test]
    fn default_answer_is_no() {
        let p = plan(Confirmation::YesNo);
        assert!(!p.is_confirmed_by(""));
        assert!(!p.is_confirmed_by("n"));
        assert!(!p.is_confirmed_by("yep"));
        assert!(p.is_confirmed_by("y"));
        let p = plan(Confirmation::Type("sdnext".into()));
        assert!(!p.is_confirmed_by("y"));
        assert!(!p.is_confirmed_by("sdnex"));
        assert!(p.is_confirmed_by("sdnext"));
    }

    #[test]
    fn refused_plans_cannot_be_confirmed() {
        let mut p = plan(Confirmation::YesNo);
        p.refused = Some("vigil's own container".into());
        assert!(!p.is_confirmed_by("y"));
        assert!(p.describe().iter().any(|l| l.starts_with("REFUSED")));
    }

    #[test]
    fn description_has_target_steps_commands_and_undo() {
        let text = plan(Confirmation::YesNo).describe().join("\n");
        assert!(text.contains("sdnext (aaaaaaaaaaaa)"), "{text}");
        assert!(text.contains("$ docker stop sdnext"), "{text}");
        assert!(text.contains("Undo: vigil undo x"), "{text}");
        assert!(text.ends_with("[y/N]"), "{text}");
    }

    #[test]
    fn action_ids_are_unique() {
        let target = Target {
            id: "b".repeat(64),
            name: "n".into(),
            image: "i".into(),
        };
        assert_ne!(
            new_action_id(ActionKind::Stop, &target),
            new_action_id(ActionKind::Stop, &target)
        );
    }
}
