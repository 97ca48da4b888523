//! Cutting an action short at a chosen step and checking where the host ended up: a test
//! container published on 0.0.0.0, vigil run with `VIGIL_PAUSE_AT` so it holds right before or
//! after one operation (once the journal says so), a signal at that moment, and the two states
//! the host may be left in afterwards, checked container by container and rule by rule.
#![allow(dead_code)] // each binary cuts the actions it tests

use crate::audit;
use crate::common::{Sandbox, vigil_bin};
use crate::docker::{Containers, docker};
use crate::firewall::{nft_table, rebind_adds_loopback_guard};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One test container and the sandbox vigil acts in.
pub struct Case {
    pub containers: Containers,
    pub sandbox: Sandbox,
    pub name: String,
    pub original_id: String,
    pub port: u16,
    pub audit: PathBuf,
}

impl Case {
    /// A web server published on 0.0.0.0 with a random port, running or only created.
    pub fn new(label: &str, running: bool) -> Case {
        Case::with_command(
            label,
            running,
            &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
        )
    }

    /// The same server, taking `seconds` to stop after SIGTERM: a stop step that lasts.
    pub fn slow_to_stop(label: &str, seconds: u32) -> Case {
        let script = format!(
            "trap 'sleep {seconds}; exit 0' TERM; /bin/busybox httpd -f -p 80 -h /www & wait"
        );
        Case::with_command(label, true, &["/bin/sh", "-c", &script])
    }

    fn with_command(label: &str, running: bool, command: &[&str]) -> Case {
        let mut containers = Containers::new();
        let name = containers.add(
            label,
            &["--init", "-p", "0.0.0.0::80", "--restart", "unless-stopped"],
            command,
            running,
        );
        // What a rebind may leave behind is removed with the container, also on failure.
        containers.names.push(format!("{name}-prev"));
        containers.names.push(format!("{name}-vigil-new"));
        let port = if running {
            containers.host_port(&name, "80/tcp")
        } else {
            0
        };
        let original_id = docker(&["inspect", "-f", "{{.Id}}", &name])
            .trim()
            .to_string();
        let sandbox = Sandbox::new();
        let audit = sandbox.path().join("audit.jsonl");
        Case {
            containers,
            sandbox,
            name,
            original_id,
            port,
            audit,
        }
    }

    pub fn audit_arg(&self) -> &str {
        self.audit.to_str().expect("utf8 path")
    }

    /// vigil with `args` (the audit log added), holding at `pause` (`before:3:20000`).
    pub fn spawn(&self, args: &[&str], pause: Option<&str>) -> Child {
        let mut command = Command::new(vigil_bin());
        command
            .args(args)
            .args(["--yes", "--audit-log", self.audit_arg()])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.sandbox.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(pause) = pause {
            command.env("VIGIL_PAUSE_AT", pause);
        }
        command.spawn().expect("start vigil")
    }

    /// Runs vigil to its end: (exit code, stdout + stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String) {
        finish(self.spawn(args, None))
    }

    /// Waits until the journal of the latest action of `kind` has a record of the step at
    /// `index` (0-based) with a status in `statuses`; the action's id.
    pub fn wait_for_step(&self, kind: &str, index: usize, statuses: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(id) = audit::last_action_of(&self.audit, kind) {
                let reached = audit::steps_of(&self.audit, &id).iter().any(|r| {
                    r["step"]["index"] == index
                        && r["step"]["rollback"] != true
                        && statuses.iter().any(|s| r["step"]["status"] == *s)
                });
                if reached {
                    return id;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no {kind} step {index} {statuses:?} in the journal: {:#?}",
                audit::all_records(&self.audit)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn inspect(&self, name: &str, format: &str) -> Option<String> {
        let output = Command::new("docker")
            .args(["inspect", "-f", format, name])
            .output()
            .expect("docker");
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    fn guarded(&self) -> bool {
        nft_table(&self.sandbox.firewall_tag)
            .is_some_and(|table| table.contains(&format!("{}", self.port)))
    }

    /// The host as before a rebind: the original under its name, running as it was, on its
    /// public binding, with its restart policy; no replacement, no -prev, no guard.
    pub fn assert_as_before(&self, running: bool, context: &str) {
        let name = &self.name;
        assert_eq!(
            self.inspect(name, "{{.Id}}").as_deref(),
            Some(self.original_id.as_str()),
            "{context}: the original holds the name"
        );
        let state = self.inspect(name, "{{.State.Status}}").unwrap_or_default();
        assert_eq!(state == "running", running, "{context}: run state {state}");
        assert_eq!(
            self.inspect(name, "{{.HostConfig.RestartPolicy.Name}}")
                .as_deref(),
            Some("unless-stopped"),
            "{context}: restart policy restored"
        );
        assert_eq!(
            self.inspect(
                name,
                "{{(index (index .HostConfig.PortBindings \"80/tcp\") 0).HostIp}}"
            )
            .as_deref(),
            Some("0.0.0.0"),
            "{context}: the public binding is back"
        );
        self.assert_no_strays(false, context);
        assert!(!self.guarded(), "{context}: no loopback guard left");
    }

    /// The host after a rebind: vigil's labelled replacement under the name, in the original's
    /// run state, on 127.0.0.1; the original stopped as -prev with restart policy `no`; the
    /// guard in place where the engine needs one.
    pub fn assert_complete(&self, running: bool, context: &str) {
        let name = &self.name;
        let id = self.inspect(name, "{{.Id}}").unwrap_or_default();
        assert_ne!(
            id, self.original_id,
            "{context}: the replacement holds the name"
        );
        assert!(
            self.inspect(name, "{{index .Config.Labels \"io.vigil.action\"}}")
                .is_some_and(|label| !label.is_empty()),
            "{context}: the replacement carries vigil's label"
        );
        let state = self.inspect(name, "{{.State.Status}}").unwrap_or_default();
        assert_eq!(state == "running", running, "{context}: run state {state}");
        assert_eq!(
            self.inspect(
                name,
                "{{(index (index .HostConfig.PortBindings \"80/tcp\") 0).HostIp}}"
            )
            .as_deref(),
            Some("127.0.0.1"),
            "{context}: rebound to loopback"
        );
        let previous = format!("{name}-prev");
        assert_eq!(
            self.inspect(&previous, "{{.Id}}").as_deref(),
            Some(self.original_id.as_str()),
            "{context}: the original is kept as -prev"
        );
        assert_eq!(
            self.inspect(
                &previous,
                "{{.State.Running}} {{.HostConfig.RestartPolicy.Name}}"
            )
            .as_deref(),
            Some("false no"),
            "{context}: -prev is stopped and stays stopped"
        );
        self.assert_no_strays(true, context);
        if rebind_adds_loopback_guard() && running {
            assert!(self.guarded(), "{context}: the loopback guard is in place");
        }
    }

    /// No temporary replacement, and -prev only when the rebind is complete.
    fn assert_no_strays(&self, prev_expected: bool, context: &str) {
        assert!(
            self.inspect(&format!("{}-vigil-new", self.name), "{{.Id}}")
                .is_none(),
            "{context}: no -vigil-new left"
        );
        assert_eq!(
            self.inspect(&format!("{}-prev", self.name), "{{.Id}}")
                .is_some(),
            prev_expected,
            "{context}: -prev"
        );
    }

    /// `vigil actions` lists nothing as cut short.
    pub fn assert_nothing_flagged(&self, context: &str) {
        let (code, out) = self.plain(&["actions", "--format", "json"]);
        assert_eq!(code, 0, "{out}");
        let actions: serde_json::Value = serde_json::from_str(&out).expect("json");
        for action in actions["actions"].as_array().expect("actions") {
            let state = action["state"].as_str().unwrap_or_default();
            assert!(
                state != "interrupted" && state != "unfinished",
                "{context}: {action} still flagged"
            );
        }
    }

    /// vigil without `--yes` (for commands that take no confirmation).
    pub fn plain(&self, args: &[&str]) -> (i32, String) {
        let output = Command::new(vigil_bin())
            .args(args)
            .args(["--audit-log", self.audit_arg()])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.sandbox.env())
            .output()
            .expect("vigil");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }
}

/// Sends `signal` (`KILL`, `TERM`, `HUP`, `INT`) to the child.
pub fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{signal}");
}

/// Waits for the child: (exit code or 128 + signal, stdout + stderr).
pub fn finish(child: Child) -> (i32, String) {
    let output = child.wait_with_output().expect("wait for vigil");
    let code = output.status.code().unwrap_or_else(|| {
        128 + std::os::unix::process::ExitStatusExt::signal(&output.status).unwrap_or(0)
    });
    (
        code,
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}
