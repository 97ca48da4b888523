//! Shared helpers for the integration tests: requirements, the sandbox and the vigil runner.
//!
//! Every test binary declares `mod common;` (this file) and, beside it, only the subjects it
//! uses, each under its file's name so that they can refer to each other:
//!
//! ```ignore
//! mod common;
//! #[path = "common/docker.rs"]
//! mod docker;
//! #[path = "common/tmux.rs"]
//! mod tmux;
//! ```
//!
//! The subjects: `docker.rs` (test image, containers, the engine's socket and daemon), `tmux.rs`
//! (the real binary on a private tmux server), `netns.rs` (an outside client in a network
//! namespace), `firewall.rs` (vigil's nft table), `nvml.rs` (the stand-in NVML library),
//! `git.rs` (repository fixtures and tree hashes) and `schema.rs` (the report's JSON Schema).
//!
//! A test that needs Docker, root, tmux, network namespaces or the firewall is
//! `#[ignore = "needs ..."]`: a plain `cargo test` lists it as ignored with that reason. CI runs
//! them with `--include-ignored` and `VIGIL_REQUIRE_DOCKER=1`, under which a missing requirement
//! fails the test (see [`need`]); without it, such a test run by hand prints `SKIPPED ...`.
//! `tests/ci_guard.rs` fails when `VIGIL_REQUIRE_DOCKER=1` is set without `--include-ignored`,
//! so CI can never be green by skipping.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

fn required() -> bool {
    std::env::var("VIGIL_REQUIRE_DOCKER").is_ok_and(|v| v == "1")
}

/// Skips (returns false) or fails, depending on VIGIL_REQUIRE_DOCKER.
pub fn need(test: &str, available: bool, what: &str) -> bool {
    if available {
        return true;
    }
    assert!(
        !required(),
        "{test}: {what} is required under VIGIL_REQUIRE_DOCKER=1 but is not available"
    );
    eprintln!("SKIPPED {test}: {what} is not available on this machine");
    false
}

#[allow(dead_code)] // not every binary needs Docker
pub fn docker_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new("docker")
            .args(["version", "--format", "{{.Server.Version}}"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

#[allow(dead_code)] // only the firewall, namespace and privilege tests need root
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[allow(dead_code)] // not every binary needs another tool
pub fn tool_available(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[allow(dead_code)] // not every binary needs Docker
pub fn need_docker(test: &str) -> bool {
    need(test, docker_available(), "a running Docker engine")
}

#[allow(dead_code)] // not every binary needs tmux
pub fn need_tmux(test: &str) -> bool {
    need(test, tool_available("tmux"), "tmux")
}

/// Runs a command and returns its output, panicking with stderr on failure.
pub fn run(program: &str, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A unique `vigil-test-*` name: the only names tests may create, stop or remove.
pub fn unique_name(label: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "vigil-test-{label}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// Random upper-case letters and digits, like the incident's vLLM keys. Generated at run time:
/// no secret is ever committed.
#[allow(dead_code)] // not every binary plants a secret
pub fn random_token(length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut file = std::fs::File::open("/dev/urandom").expect("urandom");
    let mut bytes = vec![0u8; length];
    std::io::Read::read_exact(&mut file, &mut bytes).expect("read urandom");
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// The vigil binary built by cargo for this test run.
pub fn vigil_bin() -> &'static str {
    env!("CARGO_BIN_EXE_vigil")
}

/// A private HOME/XDG tree so tests never read or write the developer's config or logs, and a
/// firewall name of its own (nft table, iptables comment prefix) so a test never touches an
/// operator's rules; whatever is left under that name is removed on drop.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub firewall_tag: String,
}

impl Sandbox {
    pub fn new() -> Self {
        static CREATED: AtomicU32 = AtomicU32::new(0);
        let n = CREATED.fetch_add(1, Ordering::SeqCst);
        Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
            firewall_tag: format!("vigil_test_{}_{n}", std::process::id()),
        }
    }

    pub fn env(&self) -> Vec<(String, String)> {
        let root = self.dir.path();
        vec![
            ("VIGIL_NFT_TABLE".into(), self.firewall_tag.clone()),
            ("HOME".into(), root.display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                root.join("config").display().to_string(),
            ),
            (
                "XDG_STATE_HOME".into(),
                root.join("state").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME".into(),
                root.join(".cache").display().to_string(),
            ),
            ("TERM".into(), "xterm-256color".into()),
        ]
    }

    #[allow(dead_code)] // the TUI-only binaries never look inside the sandbox
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// This host's checklist marks file under the sandbox's state directory (vigil names it
    /// after the host, characters outside `[A-Za-z0-9.-]` replaced), its folder created.
    #[allow(dead_code)] // only the checklist tests write marks
    pub fn marks_file(&self) -> PathBuf {
        let host: String = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .unwrap_or_else(|_| "localhost".into())
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dir = self.path().join("state/vigil/marks");
        std::fs::create_dir_all(&dir).expect("marks folder");
        dir.join(format!("{host}.jsonl"))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        remove_firewall_rules_tagged(&self.firewall_tag);
    }
}

/// Deletes the nft table and the iptables/ip6tables rules (filter and raw tables) carrying
/// `tag`, which only tests use. Exact `-D` of each listed rule; nothing else is touched. Here,
/// not in `firewall.rs`: every sandbox cleans up after itself, whatever its binary includes.
fn remove_firewall_rules_tagged(tag: &str) {
    let _ = Command::new("nft")
        .args(["delete", "table", "inet", tag])
        .output();
    for tool in ["iptables", "ip6tables"] {
        for table in ["filter", "raw"] {
            let Ok(listing) = Command::new(tool).args(["-w", "-t", table, "-S"]).output() else {
                continue;
            };
            for line in String::from_utf8_lossy(&listing.stdout).lines() {
                let Some(rule) = line.strip_prefix("-A ") else {
                    continue;
                };
                if !line.contains(&format!("{tag}:")) {
                    continue;
                }
                let mut args = vec!["-w", "-t", table, "-D"];
                args.extend(rule.split_whitespace().map(|w| w.trim_matches('"')));
                let _ = Command::new(tool).args(&args).output();
            }
        }
    }
}

/// Runs `vigil` with arguments in the sandbox and returns (status, stdout, stderr).
#[allow(dead_code)] // the TUI-only binaries never run the command line
pub fn vigil(sandbox: &Sandbox, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(vigil_bin())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(sandbox.env())
        .output()
        .expect("run vigil");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs vigil as the unprivileged user `nobody` (no docker group, no capabilities).
#[allow(dead_code)] // only the privilege tests drop privileges
pub fn vigil_as_nobody(args: &[&str]) -> (i32, String) {
    let mut full = vec![
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        vigil_bin(),
    ];
    full.extend(args);
    let output = Command::new("setpriv")
        .args(&full)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .env("DOCKER_HOST", "unix:///var/run/docker.sock")
        .output()
        .expect("setpriv");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
