//! Shared helpers for the integration tests: real Docker, real tmux, real network namespaces.
//!
//! Tests that need something this machine lacks skip with a printed reason when run by hand;
//! under `VIGIL_REQUIRE_DOCKER=1` (set by CI) they fail instead, so CI can never be green by
//! skipping.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const IMAGE: &str = "vigil-test-busybox:latest";

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

pub fn tool_available(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn need_docker(test: &str) -> bool {
    need(test, docker_available(), "a running Docker engine")
}

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

pub fn docker(args: &[&str]) -> String {
    String::from_utf8_lossy(&run("docker", args).stdout)
        .trim()
        .to_string()
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

fn static_busybox() -> Option<PathBuf> {
    ["/bin/busybox", "/usr/bin/busybox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Imports the test image from a tar of the static busybox (no registry here). Once per process;
/// importing again is harmless, so parallel test binaries do not need to coordinate.
pub fn ensure_image() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let busybox = static_busybox().expect("busybox-static is installed (/bin/busybox)");
        let root = tempfile::tempdir().expect("tempdir");
        let bin = root.path().join("bin");
        std::fs::create_dir_all(&bin).expect("mkdir bin");
        std::fs::copy(&busybox, bin.join("busybox")).expect("copy busybox");
        for applet in ["sh", "httpd", "sleep", "cat", "echo", "wget", "nc"] {
            std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("symlink");
        }
        std::fs::create_dir_all(root.path().join("www")).expect("mkdir www");
        std::fs::write(
            root.path().join("www/index.html"),
            "<html>vigil test</html>\n",
        )
        .expect("index");
        std::fs::create_dir_all(root.path().join("tmp")).expect("mkdir tmp");
        let tar = root.path().join("image.tar");
        run(
            "tar",
            &[
                "-C",
                root.path().to_str().expect("utf8"),
                "--exclude=./image.tar",
                "-cf",
                tar.to_str().expect("utf8"),
                ".",
            ],
        );
        run("docker", &["import", tar.to_str().expect("utf8"), IMAGE]);
    });
}

/// Containers created by one test; removed on drop, also when the test fails.
#[derive(Default)]
pub struct Containers {
    pub names: Vec<String>,
}

impl Containers {
    pub fn new() -> Self {
        ensure_image();
        Containers::default()
    }

    /// `docker run -d` (or `create` when `start` is false) with a `vigil-test-*` name.
    pub fn add(
        &mut self,
        label: &str,
        docker_args: &[&str],
        command: &[&str],
        start: bool,
    ) -> String {
        let name = unique_name(label);
        assert!(name.starts_with("vigil-test-"));
        let mut args: Vec<&str> = vec![if start { "run" } else { "create" }];
        if start {
            args.push("-d");
        }
        args.extend(["--name", &name]);
        args.extend(docker_args);
        args.push(IMAGE);
        args.extend(command);
        self.names.push(name.clone());
        docker(&args);
        name
    }

    /// An open web server on `bind` (e.g. `0.0.0.0::80` for a random port on all interfaces).
    pub fn open_http(&mut self, label: &str, bind: &str, extra: &[&str]) -> String {
        let mut args = vec!["-p", bind];
        args.extend(extra);
        self.add(
            label,
            &args,
            &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
            true,
        )
    }

    /// A web server behind HTTP basic auth with a password generated now.
    pub fn basic_auth_http(&mut self, label: &str, bind: &str) -> String {
        let script = format!(
            "echo '/:admin:{}' > /tmp/httpd.conf && exec /bin/busybox httpd -f -p 80 -h /www -c /tmp/httpd.conf",
            random_token(16)
        );
        self.add(label, &["-p", bind], &["/bin/sh", "-c", &script], true)
    }

    pub fn host_port(&self, name: &str, container_port: &str) -> u16 {
        let out = docker(&["port", name, container_port]);
        out.lines()
            .next()
            .and_then(|l| l.rsplit(':').next())
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("no host port for {name} {container_port}: {out}"))
    }
}

impl Drop for Containers {
    fn drop(&mut self) {
        for chunk in self.names.chunks(100) {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(chunk.iter().map(String::as_str));
            let _ = Command::new("docker").args(&args).output();
        }
    }
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

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// This host's checklist marks file under the sandbox's state directory (vigil names it
    /// after the host, characters outside `[A-Za-z0-9.-]` replaced), its folder created.
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

/// The engine's major version (Docker < 28 gets vigil's loopback guard with a rebind).
pub fn docker_major() -> u32 {
    docker(&["version", "--format", "{{.Server.Version}}"])
        .split('.')
        .next()
        .and_then(|major| major.parse().ok())
        .expect("docker version")
}

/// True when a rebind here adds the loopback guard: an old engine and the rights to add it.
pub fn rebind_adds_loopback_guard() -> bool {
    docker_major() < 28 && is_root() && tool_available("nft")
}

/// `nft list table inet TAG`, or `None` when the table does not exist.
pub fn nft_table(tag: &str) -> Option<String> {
    let output = Command::new("nft")
        .args(["list", "table", "inet", tag])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Deletes the nft table and the iptables/ip6tables rules (filter and raw tables) carrying
/// `tag`, which only tests use. Exact `-D` of each listed rule; nothing else is touched.
pub fn remove_firewall_rules_tagged(tag: &str) {
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
    pub fn capture_ansi(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", &self.session])
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend(keys);
        self.tmux(&args);
    }

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
pub fn line_with<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(needle))
}

pub fn send_signal(pid: i32, signal: &str) {
    run("kill", &[&format!("-{signal}"), &pid.to_string()]);
}

/// A namespace with a veth pair to the host, removed on drop (deleting the namespace deletes the
/// pair), also when the test fails.
pub struct Outsider {
    pub namespace: String,
    pub host_ip: String,
    pub host_ip6: String,
    ns_if: String,
    loopback_routed: std::sync::Once,
}

impl Outsider {
    pub fn create() -> Outsider {
        // Unique per instance: tests in one binary run in parallel, each with its own outsider.
        static CREATED: AtomicU32 = AtomicU32::new(0);
        let n = CREATED.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let id = (pid * 8 + n) % 250 + 1;
        let namespace = format!("vigil-test-ns-{pid}-{n}");
        let host_if = format!("vth{}{n}", pid % 100_000);
        let ns_if = format!("vtn{}{n}", pid % 100_000);
        let host_ip = format!("198.18.{id}.1");
        let ns_ip = format!("198.18.{id}.2");
        // IPv6 from the benchmarking range 2001:2::/48 (RFC 5180), never a real network.
        let host_ip6 = format!("2001:2:0:{id:x}::1");
        let ns_ip6 = format!("2001:2:0:{id:x}::2");
        let outsider = Outsider {
            namespace: namespace.clone(),
            host_ip: host_ip.clone(),
            host_ip6: host_ip6.clone(),
            ns_if: ns_if.clone(),
            loopback_routed: std::sync::Once::new(),
        };
        run("ip", &["netns", "add", &namespace]);
        run(
            "ip",
            &[
                "link", "add", &host_if, "type", "veth", "peer", "name", &ns_if,
            ],
        );
        run("ip", &["link", "set", &ns_if, "netns", &namespace]);
        run(
            "ip",
            &["addr", "add", &format!("{host_ip}/30"), "dev", &host_if],
        );
        run(
            "ip",
            &[
                "-6",
                "addr",
                "add",
                &format!("{host_ip6}/64"),
                "dev",
                &host_if,
                "nodad",
            ],
        );
        run("ip", &["link", "set", &host_if, "up"]);
        let in_ns = |args: &[&str]| {
            let mut full = vec!["netns", "exec", &namespace, "ip"];
            full.extend(args);
            run("ip", &full);
        };
        in_ns(&["addr", "add", &format!("{ns_ip}/30"), "dev", &ns_if]);
        in_ns(&["link", "set", &ns_if, "up"]);
        in_ns(&["link", "set", "lo", "up"]);
        in_ns(&["route", "add", "default", "via", &host_ip]);
        in_ns(&[
            "-6",
            "addr",
            "add",
            &format!("{ns_ip6}/64"),
            "dev",
            &ns_if,
            "nodad",
        ]);
        outsider
    }

    /// True when a TCP connection from the namespace to the host's port gets an HTTP answer
    /// (any status, 401 included). Refused or timed out means not reachable.
    pub fn reaches(&self, port: u16) -> bool {
        self.reaches_address(&self.host_ip, port)
    }

    pub fn reaches_v6(&self, port: u16) -> bool {
        self.reaches_address(&self.host_ip6, port)
    }

    /// What a neighbour on the L2 segment can do: send a packet for 127.0.0.1 to the host's
    /// interface. The namespace routes 127.0.0.1 out of its veth (its own `local` table moved
    /// behind a rule for it, and `route_localnet` so the kernel lets such packets out and the
    /// answers in); true when the host's 127.0.0.1:port answers HTTP that way.
    pub fn reaches_host_loopback(&self, port: u16) -> bool {
        self.loopback_routed.call_once(|| {
            let script = format!(
                "sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.{dev}.route_localnet=1 \
                 && ip rule add pref 5 to 127.0.0.1 lookup 100 \
                 && ip route add 127.0.0.1/32 via {host} dev {dev} table 100 \
                 && ip rule del pref 0 && ip rule add pref 300 lookup local",
                dev = self.ns_if,
                host = self.host_ip
            );
            run("ip", &["netns", "exec", &self.namespace, "sh", "-c", &script]);
        });
        self.reaches_address("127.0.0.1", port)
    }

    /// Opens a TCP connection from the namespace to the host's IPv4 address and keeps it open.
    pub fn connect(&self, port: u16) -> Session {
        let mut child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.namespace,
                "busybox",
                "nc",
                &self.host_ip,
                &port.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ip netns exec nc");
        let stdout = child.stdout.take().expect("stdout");
        let (lines, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        Session { child, received }
    }

    fn reaches_address(&self, address: &str, port: u16) -> bool {
        use std::io::Write;
        let mut child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.namespace,
                "busybox",
                "nc",
                "-w",
                "3",
                address,
                &port.to_string(),
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("ip netns exec");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(b"GET / HTTP/1.0\r\n\r\n");
        }
        let output = child.wait_with_output().expect("nc output");
        String::from_utf8_lossy(&output.stdout).starts_with("HTTP/")
    }
}

/// An open connection from the outsider to an echo service.
pub struct Session {
    child: std::process::Child,
    received: std::sync::mpsc::Receiver<String>,
}

impl Session {
    /// Sends a line and waits up to `patience` for it to come back.
    pub fn echoes(&mut self, text: &str, patience: Duration) -> bool {
        use std::io::Write;
        let Some(stdin) = self.child.stdin.as_mut() else {
            return false;
        };
        if stdin.write_all(format!("{text}\n").as_bytes()).is_err() || stdin.flush().is_err() {
            return false;
        }
        let deadline = Instant::now() + patience;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.received.recv_timeout(left) {
                Ok(line) if line == text => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
        false
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Restarts the Docker daemon the way it was started (systemd unit, or the same command line
/// relaunched), and makes sure it is running again when dropped, also when a test fails.
pub struct DockerdRestart {
    command: Vec<String>,
    systemd: bool,
}

fn dockerd_pid() -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(entry.path().join("comm")).ok()?;
            (comm.trim() == "dockerd").then_some(pid)
        })
}

impl DockerdRestart {
    pub fn restart() -> DockerdRestart {
        let pid = dockerd_pid().expect("dockerd is running");
        let command: Vec<String> = std::fs::read(format!("/proc/{pid}/cmdline"))
            .expect("dockerd cmdline")
            .split(|b| *b == 0)
            .filter(|part| !part.is_empty())
            .map(|part| String::from_utf8_lossy(part).into_owned())
            .collect();
        let systemd = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .is_ok_and(|cgroup| cgroup.contains("docker.service"));
        let restart = DockerdRestart { command, systemd };
        if systemd {
            run("systemctl", &["restart", "docker"]);
        } else {
            run("kill", &["-TERM", &pid.to_string()]);
            let deadline = Instant::now() + Duration::from_secs(30);
            while std::path::Path::new(&format!("/proc/{pid}")).exists()
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            restart.start();
        }
        restart.wait_until_up();
        restart
    }

    fn start(&self) {
        let log = std::fs::File::create("/tmp/vigil-test-dockerd.log").expect("dockerd log");
        // `setsid -f` forks the daemon into its own session and returns at once: dockerd
        // outlives the test, as it would have without the restart.
        let status = Command::new("setsid")
            .arg("-f")
            .args(&self.command)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .status()
            .expect("start dockerd");
        assert!(status.success(), "setsid dockerd failed");
    }

    fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if Command::new("docker")
                .args(["version"])
                .output()
                .is_ok_and(|o| o.status.success())
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("dockerd did not come back within 60 s");
    }
}

impl Drop for DockerdRestart {
    fn drop(&mut self) {
        if dockerd_pid().is_none() {
            if self.systemd {
                let _ = Command::new("systemctl").args(["start", "docker"]).output();
            } else {
                self.start();
            }
            self.wait_until_up();
        }
    }
}

impl Drop for Outsider {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.namespace])
            .output();
    }
}

/// A Unix socket in front of the real Docker socket, owned by a test. Stopping it removes the
/// socket and cuts every connection (what vigil sees when dockerd stops); it also records the
/// method and path of every request, to prove what vigil sent.
pub struct DockerProxy {
    path: PathBuf,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Request lines (`GET /v1.41/containers/json`) found in a chunk sent to the daemon.
fn request_lines(chunk: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(chunk)
        .split("\r\n")
        .filter_map(|line| {
            let (method, rest) = line.split_once(' ')?;
            let is_request =
                rest.contains(" HTTP/1.") && method.chars().all(|c| c.is_ascii_uppercase());
            is_request.then(|| format!("{method} {}", rest.split(' ').next().unwrap_or("")))
        })
        .collect()
}

impl DockerProxy {
    pub fn start(path: &Path) -> DockerProxy {
        let _ = std::fs::remove_file(path);
        let listener = std::os::unix::net::UnixListener::bind(path).expect("bind proxy socket");
        listener.set_nonblocking(true).expect("nonblocking");
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let listener = tokio::net::UnixListener::from_std(listener).expect("tokio listener");
                let mut connections = tokio::task::JoinSet::new();
                tokio::pin!(stopped);
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((client, _)) = accepted else { continue };
                            let recorded = recorded.clone();
                            connections.spawn(async move {
                                let Ok(daemon) = tokio::net::UnixStream::connect("/var/run/docker.sock").await else { return };
                                let (mut client_read, mut client_write) = client.into_split();
                                let (mut daemon_read, mut daemon_write) = daemon.into_split();
                                let upstream = async {
                                    let mut buffer = vec![0u8; 65536];
                                    loop {
                                        let n = match client_read.read(&mut buffer).await {
                                            Ok(0) | Err(_) => break,
                                            Ok(n) => n,
                                        };
                                        recorded.lock().expect("lock").extend(request_lines(&buffer[..n]));
                                        if daemon_write.write_all(&buffer[..n]).await.is_err() {
                                            break;
                                        }
                                    }
                                };
                                let downstream = tokio::io::copy(&mut daemon_read, &mut client_write);
                                let _ = tokio::join!(upstream, downstream);
                            });
                        }
                        _ = &mut stopped => break,
                    }
                }
                // Aborting the set cuts every forwarded connection, the event stream included.
                connections.abort_all();
            });
        });
        DockerProxy {
            path: path.to_path_buf(),
            requests,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Every request seen so far, as `METHOD /path`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }

    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for DockerProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs vigil as the unprivileged user `nobody` (no docker group, no capabilities).
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

/// Every file below `root`, sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            if entry.file_type().expect("type").is_dir() {
                pending.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

/// Hash of every file under `root` (paths and contents): proof that a run wrote nothing there
/// (the tests hash a repository's `.git` before and after vigil reads it).
pub fn hash_tree(root: &Path) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for file in files_under(root) {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).unwrap_or_default());
    }
    format!("{:x}", hasher.finalize())
}

/// Commits the index's tree on top of HEAD's commit (none for the first) and moves HEAD.
pub fn commit_index_on_head(
    repo: &git2::Repository,
    index: &mut git2::Index,
    signature: &git2::Signature,
    message: &str,
) -> git2::Oid {
    index.write().expect("index write");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let refs: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), signature, signature, message, &tree, &refs)
        .expect("commit")
}

/// Which build of the stand-in NVML library (tests/nvml/fake_nvml.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NvmlBuild {
    /// Exports the current calls (MemoryInfo_v2, the _v3 process lists, FanSpeed_v2).
    Current,
    /// An old driver: only the older forms of those calls.
    OldDriver,
}

/// Compiles the stand-in NVML library once per test process with gcc, as part of the test build.
fn fake_nvml_library(build: NvmlBuild) -> PathBuf {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    let (_, current, old) = BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/nvml/fake_nvml.c");
        let compile = |out: &Path, defines: &[&str]| {
            let mut args = vec!["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o"];
            args.push(out.to_str().expect("utf8"));
            args.extend(defines);
            args.push(source);
            let output = run("gcc", &args);
            assert!(
                output.status.success(),
                "gcc failed to build the test NVML library: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let current = dir.path().join("current.so");
        let old = dir.path().join("old.so");
        compile(&current, &[]);
        compile(&old, &["-DOLD_DRIVER"]);
        (dir, current, old)
    });
    match build {
        NvmlBuild::Current => current.clone(),
        NvmlBuild::OldDriver => old.clone(),
    }
}

/// One fake GPU host: a copy of the stand-in library in a directory of its own, named like the
/// real one, with its scenario file beside it. Each copy is loaded as a separate library, so
/// tests in one process do not share state.
pub struct FakeNvml {
    pub dir: tempfile::TempDir,
    pub library: PathBuf,
}

impl FakeNvml {
    pub fn new(build: NvmlBuild, scenario: &str) -> FakeNvml {
        let dir = tempfile::tempdir().expect("tempdir");
        let library = dir.path().join("libnvidia-ml.so.1");
        std::fs::copy(fake_nvml_library(build), &library).expect("copy the test NVML library");
        let fake = FakeNvml { dir, library };
        fake.set_scenario(scenario);
        fake
    }

    /// Replaces the scenario atomically (a new file renamed over the old), so a reader never sees
    /// half a file and always notices the change.
    pub fn set_scenario(&self, scenario: &str) {
        let path = PathBuf::from(format!("{}.scenario", self.library.display()));
        let temporary = self.dir.path().join("scenario.tmp");
        std::fs::write(&temporary, scenario).expect("write scenario");
        std::fs::rename(&temporary, &path).expect("rename scenario");
    }

    pub fn path(&self) -> &str {
        self.library.to_str().expect("utf8 path")
    }
}

/// The host PID of a running container's main process.
pub fn container_pid(name: &str) -> u32 {
    docker(&["inspect", "-f", "{{.State.Pid}}", name])
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no pid for {name}"))
}

/// One container of a `vigil scan containers --format json` report, by name.
pub fn container<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["containers"]
        .as_array()
        .expect("containers array")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in scan: {json:#}"))
}

/// Checks a report or `scan all` JSON against the schema documented in assets/.
pub fn assert_matches_report_schema(json: &serde_json::Value) {
    let errors = report_schema_errors(json);
    assert!(
        errors.is_empty(),
        "report does not match its schema:\n{}",
        errors.join("\n")
    );
}

/// What the report schema finds wrong with `json`.
pub fn report_schema_errors(json: &serde_json::Value) -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/report.schema.json"
    ))
    .expect("schema file");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator
        .iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
