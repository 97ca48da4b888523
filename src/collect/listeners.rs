//! Host TCP listeners from `/proc/net/tcp` and `/proc/net/tcp6`, with the process that owns each.
//!
//! Reading the socket tables is cheap; finding the owning process means walking every
//! `/proc/PID/fd`, which is not, so owners are cached by socket inode and the walk happens only
//! when a socket appears that has not been seen before.

use crate::collect::cgroup::container_id_of_pid;
use crate::model::{Listener, ListenerOwner};
use procfs::net::TcpState;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
struct SocketOwner {
    pid: i32,
    process: String,
    user: Option<String>,
    owner: ListenerOwner,
}

/// Keeps what it learnt about socket owners between scans.
#[derive(Default)]
pub struct ListenerScanner {
    owners: HashMap<u64, SocketOwner>,
    /// Sockets whose owner could not be found (a process in another PID namespace, say). They
    /// are not searched for again: a fruitless walk of every `/proc/PID/fd` on each scan would
    /// turn an idle vigil into a busy one.
    unowned: HashSet<u64>,
    user_names: HashMap<u32, String>,
}

impl ListenerScanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns every TCP socket in LISTEN state, sorted by port then address.
    pub fn scan(&mut self) -> std::io::Result<Vec<Listener>> {
        let mut entries = procfs::net::tcp().map_err(std::io::Error::other)?;
        // A host without IPv6 has no tcp6 table: that is not an error.
        entries.extend(procfs::net::tcp6().unwrap_or_default());
        entries.retain(|entry| entry.state == TcpState::Listen);

        let present: HashSet<u64> = entries.iter().map(|e| e.inode).collect();
        self.owners.retain(|inode, _| present.contains(inode));
        self.unowned.retain(|inode| present.contains(inode));
        let unknown: HashSet<u64> = present
            .iter()
            .filter(|inode| !self.owners.contains_key(inode) && !self.unowned.contains(inode))
            .copied()
            .collect();
        if !unknown.is_empty() {
            self.find_owners(&unknown);
            for inode in unknown {
                if !self.owners.contains_key(&inode) {
                    self.unowned.insert(inode);
                }
            }
        }

        for uid in entries.iter().map(|e| e.uid).collect::<HashSet<u32>>() {
            self.user_name(uid);
        }
        let mut listeners: Vec<Listener> = entries
            .into_iter()
            .map(|entry| {
                let owner = self.owners.get(&entry.inode);
                Listener {
                    address: entry.local_address.ip(),
                    port: entry.local_address.port(),
                    protocol: "tcp",
                    inode: entry.inode,
                    pid: owner.map(|o| o.pid),
                    process: owner.map(|o| o.process.clone()),
                    user: owner
                        .and_then(|o| o.user.clone())
                        .or_else(|| self.user_names.get(&entry.uid).cloned()),
                    owner: owner.map_or(ListenerOwner::Host, |o| o.owner.clone()),
                }
            })
            .collect();
        listeners.sort_by_key(|l| (l.port, l.address));
        listeners.dedup_by(|a, b| a.port == b.port && a.address == b.address);
        Ok(listeners)
    }

    fn user_name(&mut self, uid: u32) -> Option<String> {
        if !self.user_names.contains_key(&uid) {
            let users = sysinfo::Users::new_with_refreshed_list().ok()?;
            for user in &users {
                self.user_names.insert(**user.id(), user.name().to_string());
            }
        }
        Some(
            self.user_names
                .get(&uid)
                .cloned()
                .unwrap_or_else(|| uid.to_string()),
        )
    }

    /// Walks `/proc/*/fd` once to find the processes holding the given socket inodes.
    fn find_owners(&mut self, wanted: &HashSet<u64>) {
        let Ok(processes) = procfs::process::all_processes() else {
            return;
        };
        let mut remaining = wanted.len();
        for process in processes.flatten() {
            // Processes come and go; any of these reads may fail and that is fine.
            let Ok(fds) = process.fd() else { continue };
            let inodes: Vec<u64> = fds
                .flatten()
                .filter_map(|fd| match fd.target {
                    procfs::process::FDTarget::Socket(inode) if wanted.contains(&inode) => {
                        Some(inode)
                    }
                    _ => None,
                })
                .collect();
            if inodes.is_empty() {
                continue;
            }
            let pid = process.pid();
            let process_name = process
                .stat()
                .map(|stat| stat.comm)
                .unwrap_or_else(|_| "?".to_string());
            let user = process.uid().ok().and_then(|uid| self.user_name(uid));
            let owner = if process_name == "docker-proxy" {
                ListenerOwner::DockerProxy
            } else if let Some(id) = container_id_of_pid(pid) {
                ListenerOwner::Container(id)
            } else {
                ListenerOwner::Host
            };
            for inode in inodes {
                if self
                    .owners
                    .insert(
                        inode,
                        SocketOwner {
                            pid,
                            process: process_name.clone(),
                            user: user.clone(),
                            owner: owner.clone(),
                        },
                    )
                    .is_none()
                {
                    remaining = remaining.saturating_sub(1);
                }
            }
            if remaining == 0 {
                break;
            }
        }
    }
}

/// What the listeners thread reports.
#[derive(Debug, Clone)]
pub enum ListenerUpdate {
    Listeners(Vec<Listener>),
    Unavailable(String),
}

/// Asks the listener thread to scan now (a container started or stopped, so docker-proxy
/// sockets changed). Cheap to clone; requests made while a scan is pending are merged.
#[derive(Clone)]
pub struct RescanHandle(std::sync::mpsc::SyncSender<()>);

impl RescanHandle {
    pub fn request(&self) {
        let _ = self.0.try_send(());
    }
}

/// Reading `/proc/net/tcp` makes the kernel walk its whole established-connection hash table,
/// which costs milliseconds on hosts with large tables even when almost nothing is open. The
/// scanner therefore keeps its duty cycle under this fraction of one core by stretching the
/// interval on such hosts; Docker events still trigger an immediate scan.
const MAX_DUTY_CYCLE: f64 = 0.002;

/// The wait before the next scan: the configured interval, or longer if a scan is expensive.
pub fn next_interval(
    configured: std::time::Duration,
    scan_cost: std::time::Duration,
) -> std::time::Duration {
    configured.max(scan_cost.div_f64(MAX_DUTY_CYCLE))
}

/// Without a container list (no engine), the first scan starts after this long anyway.
const FIRST_SCAN_AT_THE_LATEST: std::time::Duration = std::time::Duration::from_secs(1);

/// Scans on a plain thread and sends only when the set changed. The first scan waits for the
/// first request (the first container list asks for one) or `FIRST_SCAN_AT_THE_LATEST`: the
/// socket tables cost tens of milliseconds of CPU on hosts with many connections, and at
/// start-up that CPU is what the first frame waits for.
pub fn spawn(
    interval: std::time::Duration,
    updates: tokio::sync::mpsc::Sender<ListenerUpdate>,
) -> std::io::Result<RescanHandle> {
    let (rescan, requests) = std::sync::mpsc::sync_channel::<()>(1);
    std::thread::Builder::new()
        .name("vigil-listeners".into())
        .spawn(move || {
            let mut scanner = ListenerScanner::new();
            let mut last: Option<Vec<Listener>> = None;
            if let Err(std::sync::mpsc::RecvTimeoutError::Disconnected) =
                requests.recv_timeout(FIRST_SCAN_AT_THE_LATEST)
            {
                return;
            }
            loop {
                let started = std::time::Instant::now();
                let update = match scanner.scan() {
                    Ok(listeners) if last.as_ref() != Some(&listeners) => {
                        last = Some(listeners.clone());
                        Some(ListenerUpdate::Listeners(listeners))
                    }
                    Ok(_) => None,
                    Err(err) => Some(ListenerUpdate::Unavailable(format!(
                        "cannot read /proc/net/tcp: {err}"
                    ))),
                };
                let cost = started.elapsed();
                if let Some(update) = update
                    && updates.blocking_send(update).is_err()
                {
                    return;
                }
                match requests.recv_timeout(next_interval(interval, cost)) {
                    Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        })?;
    Ok(RescanHandle(rescan))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_our_own_listener_with_owner() {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = socket.local_addr().expect("local addr").port();
        let mut scanner = ListenerScanner::new();
        let listeners = scanner.scan().expect("scan /proc/net/tcp");
        let ours = listeners
            .iter()
            .find(|l| l.port == port)
            .expect("our listener is listed");
        assert_eq!(ours.address.to_string(), "127.0.0.1");
        assert_eq!(ours.pid, Some(std::process::id() as i32));
        assert_eq!(ours.exposure(), crate::model::Exposure::Local);
        assert!(ours.user.is_some());
        drop(socket);
        let listeners = scanner.scan().expect("scan again");
        assert!(listeners.iter().all(|l| l.port != port));
    }

    #[test]
    fn expensive_scans_stretch_the_interval() {
        use std::time::Duration;
        let configured = Duration::from_secs(2);
        assert_eq!(
            next_interval(configured, Duration::from_micros(500)),
            configured
        );
        assert_eq!(
            next_interval(configured, Duration::from_millis(10)),
            Duration::from_secs(5)
        );
    }
}
