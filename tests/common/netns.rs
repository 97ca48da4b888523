//! An outside client: a network namespace with a veth pair to the host, in the RFC 2544
//! benchmarking range (198.18.0.0/15) and the RFC 5180 IPv6 one, never a real network.

use crate::common::run;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A namespace with a veth pair to the host, removed on drop (deleting the namespace deletes the
/// pair), also when the test fails.
#[allow(dead_code)] // each binary uses some of the ways in (IPv6, loopback, connections)
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

    #[allow(dead_code)] // not every binary checks IPv6
    pub fn reaches_v6(&self, port: u16) -> bool {
        self.reaches_address(&self.host_ip6, port)
    }

    /// What a neighbour on the L2 segment can do: send a packet for 127.0.0.1 to the host's
    /// interface. The namespace routes 127.0.0.1 out of its veth (its own `local` table moved
    /// behind a rule for it, and `route_localnet` so the kernel lets such packets out and the
    /// answers in); true when the host's 127.0.0.1:port answers HTTP that way.
    #[allow(dead_code)] // only the loopback-guard test
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
    #[allow(dead_code)] // only the open-connection test
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
#[allow(dead_code)] // only the open-connection test
pub struct Session {
    child: std::process::Child,
    received: std::sync::mpsc::Receiver<String>,
}

#[allow(dead_code)] // only the open-connection test
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

impl Drop for Outsider {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.namespace])
            .output();
    }
}
