//! Hostile input: what the intruder controls (labels, environments, the suspect repository, the
//! Docker endpoint, vigil's own state files) must cost at most a named skip. Each case builds its
//! hostile object at run time, runs the real binary, and checks that it ended in bounded time and
//! memory (peak RSS from `/proc`), said what it skipped, and changed nothing it must not.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, need_docker, need_tmux, random_token, vigil_bin};
use docker::{Containers, docker, docker_status};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The memory a hostile input may cost vigil at most.
const MEMORY_CAP_KIB: u64 = 256 * 1024;
/// How long any of these runs may take.
const TIME_CAP: Duration = Duration::from_secs(30);

struct Ended {
    code: i32,
    stdout: String,
    stderr: String,
    peak_kib: u64,
    took: Duration,
}

impl Ended {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs vigil in the sandbox, watching its peak resident memory (`VmHWM`), and fails the test if
/// it runs longer than [`TIME_CAP`] (killing it first).
fn bounded(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Ended {
    let started = Instant::now();
    let mut child = Command::new(vigil_bin())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(sandbox.env())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigil");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let mut peak_kib = 0;
    let status = loop {
        peak_kib = peak_kib.max(peak_rss_kib(child.id()).unwrap_or(0));
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > TIME_CAP {
            let _ = child.kill();
            let _ = child.wait();
            panic!("vigil {args:?} did not finish within {TIME_CAP:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let ended = Ended {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
        peak_kib,
        took: started.elapsed(),
    };
    assert!(
        ended.peak_kib < MEMORY_CAP_KIB,
        "vigil {args:?} peaked at {} KiB",
        ended.peak_kib
    );
    eprintln!(
        "vigil {args:?}: exit {}, {:?}, peak {} KiB",
        ended.code, ended.took, ended.peak_kib
    );
    ended
}

/// `VmHWM` of a process: the most memory it has held so far.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(made.success());
}

/// A repository with one committed file, so the scans have something real to read.
fn small_repository(root: &Path) {
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    std::fs::write(root.join("app.py"), "print('hello')\n").expect("write");
    git(&["add", "."]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-qm",
        "first",
    ]);
}

#[test]
#[ignore = "needs a Docker engine"]
fn a_compose_label_naming_a_fifo_or_a_device_costs_a_named_skip() {
    let test = "a_compose_label_naming_a_fifo_or_a_device_costs_a_named_skip";
    if !need_docker(test) {
        return;
    }
    let sandbox = Sandbox::new();
    let fifo = sandbox.path().join("compose.fifo");
    mkfifo(&fifo);
    let repo = sandbox.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    small_repository(&repo);
    let mut containers = Containers::new();
    let label = |path: &str| format!("com.docker.compose.project.config_files={path}");
    containers.add(
        "label-fifo",
        &["--label", &label(fifo.to_str().expect("utf8"))],
        &["/bin/busybox", "sleep", "300"],
        true,
    );
    containers.add(
        "label-zero",
        &["--label", &label("/dev/zero")],
        &["/bin/busybox", "sleep", "300"],
        true,
    );
    let repo_arg = repo.to_str().expect("utf8");
    for args in [
        vec!["scan", "secrets", "--repo", repo_arg],
        vec!["--read-only", "scan", "secrets", "--repo", repo_arg],
        vec!["report", "--repo", repo_arg],
        vec!["scan", "all", "--repo", repo_arg],
    ] {
        let ended = bounded(&sandbox, &args, &[]);
        let all = ended.all();
        assert!(all.contains("a FIFO"), "{args:?} names the FIFO:\n{all}");
        assert!(
            all.contains("/dev/zero") && all.contains("character device"),
            "{args:?} names the device:\n{all}"
        );
    }
}

#[test]
#[ignore = "needs Docker and tmux"]
fn observer_mode_survives_a_hostile_label_theme_and_log_link() {
    let test = "observer_mode_survives_a_hostile_label_theme_and_log_link";
    if !need_docker(test) || !need_tmux(test) {
        return;
    }
    let sandbox = Sandbox::new();
    let mut containers = Containers::new();
    let name = containers.add(
        "tui-zero",
        &[
            "--label",
            "com.docker.compose.project.config_files=/dev/zero",
        ],
        &["/bin/busybox", "sleep", "300"],
        true,
    );
    // The log file is a link to a file vigil must not write: it is refused, not followed.
    let victim = sandbox.path().join("victim");
    std::fs::write(&victim, "keep").expect("write");
    let state = sandbox.path().join("state/vigil");
    std::fs::create_dir_all(&state).expect("mkdir");
    std::os::unix::fs::symlink(&victim, state.join("vigil.log")).expect("symlink");
    let repo = sandbox.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    small_repository(&repo);
    let command = format!(
        "{} --read-only --theme /dev/zero --repo {}",
        vigil_bin(),
        repo.display()
    );
    let tmux = tmux::Tmux::start(&command, &sandbox.env(), 200, 50);
    // Problems are said in the status bar as vigil starts (the first of them).
    tmux.wait_for("the theme refused", Duration::from_secs(15), |s| {
        s.contains("/dev/zero") && s.contains("not a regular file")
    });
    tmux.wait_for(&name, Duration::from_secs(15), |s| s.contains(&name));
    // The secret pane finished its scan and names the compose file it skipped.
    tmux.wait_for(
        "the secret scan to name the skip",
        Duration::from_secs(20),
        |s| s.contains("compose file named by a label /dev/zero"),
    );
    std::thread::sleep(Duration::from_secs(2));
    let pid = tmux.program_pid().expect("vigil still runs");
    let peak = peak_rss_kib(pid as u32).expect("status");
    assert!(peak < MEMORY_CAP_KIB, "peak {peak} KiB");
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep");
    let screen = tmux.capture();
    assert!(screen.contains("[RO]"), "{screen}");
    tmux.keys(&["q"]);
}

#[test]
fn files_named_on_the_command_line_are_read_only_when_regular_and_small() {
    let sandbox = Sandbox::new();
    let fifo = sandbox.path().join("fifo");
    mkfifo(&fifo);
    let repo = sandbox.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    small_repository(&repo);
    let repo_arg = repo.to_str().expect("utf8");
    for path in ["/dev/zero", fifo.to_str().expect("utf8")] {
        for flag in ["--ioc-file", "--rules", "--ignore-file"] {
            let ended = bounded(
                &sandbox,
                &["scan", "secrets", "--repo", repo_arg, flag, path],
                &[],
            );
            assert_eq!(ended.code, 1, "{flag} {path}: {}", ended.all());
            assert!(
                ended.stderr.contains("not a regular file"),
                "{flag} {path}: {}",
                ended.stderr
            );
        }
        // A config file that cannot be read: vigil starts, read-only, and says why.
        let ended = bounded(
            &sandbox,
            &["--config", path, "stop", "vigil-test-none", "--yes"],
            &[],
        );
        assert_ne!(ended.code, 0);
        assert!(
            ended.stderr.contains("starting read-only") && ended.stderr.contains("read-only mode"),
            "--config {path}: {}",
            ended.stderr
        );
    }
}

#[test]
fn a_committed_ignore_list_linking_out_of_the_repository_is_refused() {
    let sandbox = Sandbox::new();
    let repo = sandbox.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    std::os::unix::fs::symlink("/dev/zero", repo.join(".vigil-ignore")).expect("symlink");
    small_repository(&repo);
    let repo_arg = repo.to_str().expect("utf8");
    for args in [
        vec!["scan", "secrets", "--repo", repo_arg],
        vec!["scan", "timeline", "--repo", repo_arg],
    ] {
        let ended = bounded(&sandbox, &args, &[]);
        assert!(
            ended.all().contains(".vigil-ignore: leads outside"),
            "{args:?}: {}",
            ended.all()
        );
    }
}

/// A fake engine on a Unix socket: answers `/version`, then streams an endless container list
/// (and an endless event line), as a hostile `DOCKER_HOST` could.
struct FakeEngine {
    path: PathBuf,
}

impl FakeEngine {
    fn start(path: PathBuf) -> FakeEngine {
        let listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || FakeEngine::serve(stream));
            }
        });
        FakeEngine { path }
    }

    fn serve(stream: std::os::unix::net::UnixStream) {
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut request = String::new();
        let _ = reader.read_line(&mut request);
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                break;
            }
        }
        let mut out = stream;
        if request.contains("/version") {
            let body = r#"{"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64"}"#;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            return;
        }
        let _ = write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        let chunk: String = if request.contains("/events") {
            "x".repeat(64 * 1024)
        } else {
            format!(
                "{{\"Id\":\"{}\",\"Names\":[\"/endless\"]}},",
                "a".repeat(64)
            )
            .repeat(512)
        };
        let _ = write!(out, "1\r\n[\r\n");
        while write!(out, "{:x}\r\n{chunk}\r\n", chunk.len()).is_ok() {}
    }
}

impl Drop for FakeEngine {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[test]
fn an_endless_docker_answer_is_cut_at_its_cap() {
    let sandbox = Sandbox::new();
    let engine = FakeEngine::start(sandbox.path().join("docker.sock"));
    let host = format!("unix://{}", engine.path.display());
    let ended = bounded(
        &sandbox,
        &["scan", "containers", "--docker-host", &host],
        &[],
    );
    assert_ne!(ended.code, 0, "{}", ended.all());
    assert!(
        ended.stderr.contains("larger than 32 MiB"),
        "{}",
        ended.stderr
    );
}

fn write_config(sandbox: &Sandbox, text: &str) -> PathBuf {
    let dir = sandbox.path().join("config/vigil");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
#[ignore = "needs a Docker engine"]
fn observer_mode_holds_through_a_typo_and_an_empty_variable() {
    let test = "observer_mode_holds_through_a_typo_and_an_empty_variable";
    if !need_docker(test) {
        return;
    }
    let sandbox = Sandbox::new();
    let mut containers = Containers::new();
    let name = containers.add("observer", &[], &["/bin/busybox", "sleep", "300"], true);
    let running = || docker(&["inspect", "-f", "{{.State.Running}}", &name]).trim() == "true";
    let config = write_config(&sandbox, "read_only = true\n\n[probe]\ntimout_ms = 5\n");
    let ended = bounded(&sandbox, &["stop", &name, "--yes"], &[]);
    assert_ne!(ended.code, 0);
    assert!(ended.stderr.contains("timout_ms"), "{}", ended.stderr);
    assert!(ended.stderr.contains("read-only mode"), "{}", ended.stderr);
    assert!(running(), "observer mode held: the container still runs");

    std::fs::remove_file(&config).expect("rm");
    for value in ["", "maybe"] {
        let ended = bounded(
            &sandbox,
            &["stop", &name, "--yes"],
            &[("VIGIL_READ_ONLY", value)],
        );
        assert_ne!(ended.code, 0);
        assert!(
            ended.stderr.contains("VIGIL_READ_ONLY") && ended.stderr.contains("read-only mode"),
            "VIGIL_READ_ONLY={value}: {}",
            ended.stderr
        );
        assert!(running());
    }
}

#[test]
fn config_init_refuses_in_observer_mode_and_never_writes_through_a_link() {
    let sandbox = Sandbox::new();
    let text = "read_only = true\n";
    let config = write_config(&sandbox, text);
    let ended = bounded(&sandbox, &["config", "init", "--force"], &[]);
    assert_ne!(ended.code, 0);
    assert!(ended.stderr.contains("observer mode"), "{}", ended.stderr);
    assert_eq!(std::fs::read_to_string(&config).expect("read"), text);

    // Outside observer mode, a link at the config's path is replaced, never written through.
    let victim = sandbox.path().join("victim");
    std::fs::write(&victim, "# keep\n").expect("write");
    std::fs::remove_file(&config).expect("rm");
    std::os::unix::fs::symlink(&victim, &config).expect("symlink");
    let ended = bounded(&sandbox, &["config", "init", "--force"], &[]);
    assert_eq!(ended.code, 0, "{}", ended.all());
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "# keep\n");
    let meta = std::fs::symlink_metadata(&config).expect("meta");
    assert!(meta.file_type().is_file());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}

#[test]
#[ignore = "needs a Docker engine"]
fn an_audit_log_that_is_a_link_stops_the_action_before_it_starts() {
    let test = "an_audit_log_that_is_a_link_stops_the_action_before_it_starts";
    if !need_docker(test) {
        return;
    }
    let sandbox = Sandbox::new();
    let mut containers = Containers::new();
    let name = containers.add("audit-link", &[], &["/bin/busybox", "sleep", "300"], true);
    let victim = sandbox.path().join("victim");
    std::fs::write(&victim, "keep").expect("write");
    let link = sandbox.path().join("audit.jsonl");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    let ended = bounded(
        &sandbox,
        &[
            "stop",
            &name,
            "--yes",
            "--audit-log",
            link.to_str().expect("utf8"),
        ],
        &[],
    );
    assert_ne!(ended.code, 0);
    assert!(ended.stderr.contains("symbolic link"), "{}", ended.stderr);
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep");
    let running = docker(&["inspect", "-f", "{{.State.Running}}", &name]);
    assert_eq!(running.trim(), "true", "nothing was stopped");
}

/// Characters a terminal draws as nothing, or that reorder or hide text.
const INVISIBLE: &[char] = &[
    '\u{AD}',
    '\u{E0001}',
    '\u{E0041}',
    '\u{E007F}',
    '\u{2061}',
    '\u{2064}',
    '\u{206A}',
    '\u{206F}',
    '\u{115F}',
    '\u{1160}',
    '\u{3164}',
    '\u{FFA0}',
    '\u{FE0F}',
    '\u{E0100}',
    '\u{FFF9}',
    '\u{FFFB}',
    '\u{202E}',
    '\u{200B}',
    '\u{1B}',
    '\u{9B}',
];

fn has_invisible(text: &str) -> Option<char> {
    text.chars()
        .find(|c| INVISIBLE.contains(c) || (c.is_control() && *c != '\n'))
}

#[test]
fn invisible_characters_never_reach_the_terminal_or_the_json() {
    let sandbox = Sandbox::new();
    let repo = sandbox.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    for (index, ch) in INVISIBLE.iter().enumerate() {
        let name = format!("conf{index}{ch}txt.env");
        let key = random_token(32);
        std::fs::write(repo.join(name), format!("VLLM_API_KEY={key}\n")).expect("write");
    }
    small_repository(&repo);
    let repo_arg = repo.to_str().expect("utf8");
    for format in ["table", "json", "sarif"] {
        let ended = bounded(
            &sandbox,
            &["scan", "secrets", "--repo", repo_arg, "--format", format],
            &[],
        );
        assert!(ended.stdout.contains("conf0"), "{format}: {}", ended.stdout);
        if let Some(ch) = has_invisible(&ended.all()) {
            panic!("{format}: U+{:04X} reached the output", ch as u32);
        }
        if format == "json" {
            // Escaped in the text, exact once decoded.
            assert!(ended.stdout.contains("\\u202e"), "{}", ended.stdout);
            let report: serde_json::Value = serde_json::from_str(&ended.stdout).expect("json");
            let paths: Vec<String> = report["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .flat_map(|f| f["locations"].as_array().cloned().unwrap_or_default())
                .filter_map(|l| l["path"].as_str().map(str::to_string))
                .collect();
            assert!(paths.iter().any(|p| p.contains('\u{202E}')), "{paths:?}");
        }
    }
    for args in [
        vec!["report", "--repo", repo_arg, "--format", "json"],
        vec!["report", "--repo", repo_arg],
        vec!["scan", "all", "--repo", repo_arg],
        vec!["scan", "timeline", "--repo", repo_arg, "--format", "json"],
    ] {
        let ended = bounded(&sandbox, &args, &[]);
        if let Some(ch) = has_invisible(&ended.all()) {
            panic!("{args:?}: U+{:04X} reached the output", ch as u32);
        }
    }

    // An action id is echoed escaped: an OSC 52 sequence cannot set the clipboard.
    let hostile = "x\u{1b}]52;c;ZXZpbA==\u{7}y\u{AD}";
    let ended = bounded(&sandbox, &["undo", hostile, "--yes"], &[]);
    assert_ne!(ended.code, 0);
    assert!(ended.stderr.contains("\\e]52"), "{}", ended.stderr);
    assert!(has_invisible(&ended.all()).is_none(), "{:?}", ended.stderr);
}

#[test]
#[ignore = "needs a Docker engine"]
fn a_secret_with_control_characters_is_found_everywhere_and_shown_escaped() {
    let test = "a_secret_with_control_characters_is_found_everywhere_and_shown_escaped";
    if !need_docker(test) {
        return;
    }
    let sandbox = Sandbox::new();
    let repo = sandbox.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    small_repository(&repo);
    let belled = format!("hf_{}\u{7}{}", random_token(17), random_token(17));
    let coloured = format!("{}\u{1b}[1;31m{}", random_token(10), random_token(10));
    let mut containers = Containers::new();
    let name = containers.add(
        "ctl-secret",
        &[
            "-e",
            &format!("MODEL_DL={belled}"),
            "-e",
            &format!("API_KEY={coloured}"),
        ],
        &["/bin/busybox", "sleep", "300"],
        true,
    );
    let fingerprint = |value: &str| {
        use sha2::Digest;
        format!("{:x}", sha2::Sha256::digest(value.as_bytes()))
    };
    let ended = bounded(
        &sandbox,
        &[
            "scan",
            "secrets",
            "--repo",
            repo.to_str().expect("utf8"),
            "--format",
            "json",
        ],
        &[],
    );
    let report: serde_json::Value = serde_json::from_str(&ended.stdout).expect("json");
    let findings = report["findings"].as_array().expect("findings");
    for value in [&belled, &coloured] {
        let found = findings
            .iter()
            .find(|f| f["fingerprint"] == fingerprint(value))
            .unwrap_or_else(|| panic!("{:?} found: {report:#}", &value[..4]));
        assert!(found.to_string().contains(&name), "{found}");
    }
    let ended = bounded(
        &sandbox,
        &["scan", "secrets", "--repo", repo.to_str().expect("utf8")],
        &[],
    );
    assert!(has_invisible(&ended.all()).is_none(), "{:?}", ended.stdout);
    assert!(!ended.all().contains(&belled[..12]), "masked");
    let ended = bounded(&sandbox, &["scan", "containers"], &[]);
    assert!(has_invisible(&ended.all()).is_none(), "{:?}", ended.stdout);
    assert!(docker_status(&["inspect", &name]));
}
