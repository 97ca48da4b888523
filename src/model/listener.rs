use super::exposure::{Exposure, exposure_of_ip};
use serde::Serialize;
use std::net::IpAddr;

/// Who owns a listening socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ListenerOwner {
    /// An ordinary host process.
    Host,
    /// Docker's userland proxy for a published port: belongs to the container that publishes it.
    DockerProxy,
    /// A process inside a container that shares the host network namespace (full container id).
    Container(String),
}

/// A TCP socket in LISTEN state in the host network namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listener {
    pub address: IpAddr,
    pub port: u16,
    pub protocol: &'static str,
    pub inode: u64,
    pub pid: Option<i32>,
    pub process: Option<String>,
    pub user: Option<String>,
    #[serde(skip)]
    pub owner: ListenerOwner,
}

impl Listener {
    pub fn exposure(&self) -> Exposure {
        exposure_of_ip(&self.address.to_string())
    }

    /// `0.0.0.0:5003`, `[::]:8080`.
    pub fn address_display(&self) -> String {
        match self.address {
            IpAddr::V4(v4) => format!("{v4}:{}", self.port),
            IpAddr::V6(v6) => format!("[{v6}]:{}", self.port),
        }
    }

    /// `busybox (pid 4242, root)`. A socket whose process cannot be found belongs to a process
    /// vigil cannot see (another PID namespace, or vigil is not root): said so, not guessed.
    pub fn owner_display(&self) -> String {
        let user = self.user.as_deref().unwrap_or("?");
        match (self.pid, self.process.as_deref()) {
            (Some(pid), Some(process)) => format!("{process} (pid {pid}, {user})"),
            (Some(pid), None) => format!("? (pid {pid}, {user})"),
            _ => format!("process not visible to vigil (socket owned by {user})"),
        }
    }
}
