//! Docker for the tests: the busybox test image, containers named `vigil-test-*` (removed on
//! drop), a recording proxy in front of the engine's socket and a daemon restart.

use crate::common::{random_token, run, unique_name};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const IMAGE: &str = "vigil-test-busybox:latest";

pub fn docker(args: &[&str]) -> String {
    String::from_utf8_lossy(&run("docker", args).stdout)
        .trim()
        .to_string()
}

/// True when `docker ARGS` succeeds (`inspect` of a name that may be gone).
#[allow(dead_code)] // only the recovery tests ask
pub fn docker_status(args: &[&str]) -> bool {
    Command::new("docker")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
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
    #[allow(dead_code)] // the scale test creates its containers itself
    pub fn add(
        &mut self,
        label: &str,
        docker_args: &[&str],
        command: &[&str],
        start: bool,
    ) -> String {
        let name = unique_name(label);
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
    #[allow(dead_code)] // not every binary serves HTTP
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
    #[allow(dead_code)] // only some binaries need an authenticated service
    pub fn basic_auth_http(&mut self, label: &str, bind: &str) -> String {
        let script = format!(
            "echo '/:admin:{}' > /tmp/httpd.conf && exec /bin/busybox httpd -f -p 80 -h /www -c /tmp/httpd.conf",
            random_token(16)
        );
        self.add(label, &["-p", bind], &["/bin/sh", "-c", &script], true)
    }

    #[allow(dead_code)] // only some binaries need the published port
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

/// The host PID of a running container's main process.
#[allow(dead_code)] // only the GPU and report tests need a container's PID
pub fn container_pid(name: &str) -> u32 {
    docker(&["inspect", "-f", "{{.State.Pid}}", name])
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no pid for {name}"))
}

/// One container of a `vigil scan containers --format json` report, by name.
#[allow(dead_code)] // not every binary reads a scan's JSON
pub fn container<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["containers"]
        .as_array()
        .expect("containers array")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in scan: {json:#}"))
}

/// The engine's major version (Docker < 28 gets vigil's loopback guard with a rebind).
#[allow(dead_code)] // only the rebind tests depend on the engine's version
pub fn docker_major() -> u32 {
    docker(&["version", "--format", "{{.Server.Version}}"])
        .split('.')
        .next()
        .and_then(|major| major.parse().ok())
        .expect("docker version")
}

/// A Unix socket in front of the real Docker socket, owned by a test. Stopping it removes the
/// socket and cuts every connection (what vigil sees when dockerd stops); it also records the
/// method and path of every request, to prove what vigil sent.
#[allow(dead_code)] // used by the outage and observer-mode tests only
pub struct DockerProxy {
    path: PathBuf,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Request lines (`GET /v1.41/containers/json`) found in a chunk sent to the daemon.
#[allow(dead_code)] // used by the outage and observer-mode tests only
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

#[allow(dead_code)] // used by the outage and observer-mode tests only
impl DockerProxy {
    pub fn start(path: &Path) -> DockerProxy {
        DockerProxy::start_delayed(path, std::time::Duration::ZERO)
    }

    /// A proxy that holds every request `delay` before passing it on: a slow engine.
    pub fn start_delayed(path: &Path, delay: std::time::Duration) -> DockerProxy {
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
                                        tokio::time::sleep(delay).await;
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

/// Restarts the Docker daemon the way it was started (systemd unit, or the same command line
/// relaunched), and makes sure it is running again when dropped, also when a test fails.
#[allow(dead_code)] // used by the firewall tests only
pub struct DockerdRestart {
    command: Vec<String>,
    systemd: bool,
}

#[allow(dead_code)] // used by the firewall tests only
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

#[allow(dead_code)] // used by the firewall tests only
impl DockerdRestart {
    pub fn restart() -> DockerdRestart {
        let restart = DockerdRestart::stop();
        restart.start_again();
        restart
    }

    /// Stops the daemon (every container without live-restore stops with it); it is started
    /// again by `start_again` or, at the latest, on drop.
    pub fn stop() -> DockerdRestart {
        let pid = dockerd_pid().expect("dockerd is running");
        let command: Vec<String> = std::fs::read(format!("/proc/{pid}/cmdline"))
            .expect("dockerd cmdline")
            .split(|b| *b == 0)
            .filter(|part| !part.is_empty())
            .map(|part| String::from_utf8_lossy(part).into_owned())
            .collect();
        let systemd = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .is_ok_and(|cgroup| cgroup.contains("docker.service"));
        if systemd {
            run("systemctl", &["stop", "docker"]);
        } else {
            run("kill", &["-TERM", &pid.to_string()]);
            let deadline = Instant::now() + Duration::from_secs(30);
            while std::path::Path::new(&format!("/proc/{pid}")).exists()
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        DockerdRestart { command, systemd }
    }

    /// Starts the daemon again the way it ran, and waits until it answers.
    pub fn start_again(&self) {
        if self.systemd {
            run("systemctl", &["start", "docker"]);
        } else {
            self.start();
        }
        self.wait_until_up();
    }

    fn start(&self) {
        launch_detached(&self.command, Path::new("/tmp/vigil-test-dockerd.log"));
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

/// Starts `command` in a session of its own (`setsid -f` forks it and returns at once: dockerd
/// outlives the test, as it would have without the restart), its output to `log`, without the
/// descriptors this process would pass on: a lock that `flock(1)` holds for the whole test run
/// is one, and a daemon that inherited it would hold it for as long as it runs.
#[allow(dead_code)] // used by the firewall tests only
fn launch_detached(command: &[String], log: &Path) {
    let log = std::fs::File::create(log).expect("daemon log");
    let closes: String = inherited_descriptors()
        .iter()
        .map(|fd| format!("exec {fd}<&-; "))
        .collect();
    let status = Command::new("setsid")
        .args([
            "-f",
            "bash",
            "-c",
            &format!("{closes}exec \"$@\""),
            "vigil-test-launch",
        ])
        .args(command)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .status()
        .expect("setsid");
    assert!(status.success(), "setsid {command:?} failed");
}

/// This process's descriptors above stderr that a child would inherit (not close-on-exec).
#[allow(dead_code)] // used by the firewall tests only
fn inherited_descriptors() -> Vec<u32> {
    const O_CLOEXEC: u32 = 0o2000000;
    let descriptors: Vec<u32> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    descriptors
        .into_iter()
        .filter(|fd| {
            std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
                .ok()
                .and_then(|info| {
                    let flags = info.lines().find_map(|l| l.strip_prefix("flags:"))?;
                    u32::from_str_radix(flags.trim(), 8).ok()
                })
                .is_some_and(|flags| flags & O_CLOEXEC == 0)
        })
        .collect()
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
