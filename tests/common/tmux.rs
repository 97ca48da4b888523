//! The real binary on a tmux server of its own: keys in, screens out, terminal modes read back.

use crate::common::{run, unique_name};
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of its own (private socket) running one command in a detached session.
pub struct Tmux {
    socket: String,
    pub session: String,
}

impl Tmux {
    /// Starts `command` through `sh -c` so that its exit status is printed and the pane stays
    /// open afterwards for inspection.
    pub fn start(command: &str, env: &[(String, String)], width: u16, height: u16) -> Tmux {
        let socket = format!("vigil-test-{}-{}", std::process::id(), unique_name("tmux"));
        let session = "vigil".to_string();
        let mut exports = String::new();
        for (key, value) in env {
            exports.push_str(&format!("{key}='{value}' "));
        }
        let wrapped = format!("env {exports} {command}; echo VIGIL-EXITED:$?; sleep 600");
        let w = width.to_string();
        let h = height.to_string();
        run(
            "tmux",
            &[
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                &w,
                "-y",
                &h,
                "sh",
                "-c",
                &wrapped,
            ],
        );
        let tmux = Tmux { socket, session };
        tmux.tmux(&["set-option", "-g", "status", "off"]);
        tmux.tmux(&["resize-window", "-t", &tmux.session, "-x", &w, "-y", &h]);
        tmux
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let mut full = vec!["-L", &self.socket];
        full.extend(args);
        let output = Command::new("tmux").args(&full).output().expect("tmux");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn capture(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.session])
    }

    /// Capture with escape sequences, for colour checks and screenshots.
    #[allow(dead_code)] // only the colour tests read escape sequences
    pub fn capture_ansi(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", &self.session])
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend(keys);
        self.tmux(&args);
    }

    #[allow(dead_code)] // only the layout test resizes
    pub fn resize(&self, width: u16, height: u16) {
        self.tmux(&[
            "resize-window",
            "-t",
            &self.session,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// Polls the screen every 20 ms until `check` holds; returns how long it took.
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&str) -> bool,
    ) -> Duration {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if check(&screen) {
                return start.elapsed();
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `#{alternate_on} #{mouse_any_flag}` of the pane: what a crashed TUI leaves behind.
    #[allow(dead_code)] // only the terminal-restore tests
    pub fn terminal_modes(&self) -> (bool, bool) {
        let out = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.session,
            "#{alternate_on} #{mouse_any_flag} #{mouse_button_flag} #{mouse_all_flag}",
        ]);
        let flags: Vec<&str> = out.split_whitespace().collect();
        let alternate = flags.first() == Some(&"1");
        let mouse = flags.iter().skip(1).any(|f| *f == "1");
        (alternate, mouse)
    }

    /// PID of the program started in the pane (the child of the wrapping shell).
    #[allow(dead_code)] // only the signal tests
    pub fn program_pid(&self) -> Option<i32> {
        let shell: i32 = self
            .tmux(&["display-message", "-p", "-t", &self.session, "#{pane_pid}"])
            .trim()
            .parse()
            .ok()?;
        let children =
            std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// The row of the screen that mentions `needle`.
#[allow(dead_code)] // not every TUI test reads one row
pub fn line_with<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(needle))
}

#[allow(dead_code)] // only the signal tests
pub fn send_signal(pid: i32, signal: &str) {
    run("kill", &[&format!("-{signal}"), &pid.to_string()]);
}
