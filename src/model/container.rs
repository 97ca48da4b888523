use super::exposure::{Exposure, exposure_of_ip};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }

    pub fn parse(text: &str) -> Protocol {
        match text {
            "udp" => Protocol::Udp,
            "sctp" => Protocol::Sctp,
            _ => Protocol::Tcp,
        }
    }
}

/// One published port, with the bind address exactly as Docker holds it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PortBinding {
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
    pub protocol: Protocol,
}

impl PortBinding {
    pub fn exposure(&self) -> Exposure {
        exposure_of_ip(&self.host_ip)
    }

    /// `0.0.0.0:36325->7860/tcp`, `[::]:8080->80/tcp`: the wildcard is never shortened away.
    pub fn display(&self) -> String {
        let ip = if self.host_ip.contains(':') {
            format!("[{}]", self.host_ip)
        } else if self.host_ip.is_empty() {
            "0.0.0.0".to_string()
        } else {
            self.host_ip.clone()
        };
        format!(
            "{ip}:{}->{}/{}",
            self.host_port,
            self.container_port,
            self.protocol.as_str()
        )
    }

    fn is_ipv6_wildcard(&self) -> bool {
        self.host_ip == "::"
    }

    fn is_ipv4_wildcard(&self) -> bool {
        self.host_ip == "0.0.0.0" || self.host_ip.is_empty()
    }
}

/// Merges the IPv4 and IPv6 twins Docker lists for one `-p PORT:PORT` (`0.0.0.0` and `::` with the
/// same ports) into one binding, sorts, and removes exact duplicates. The IPv4 wildcard is kept as
/// the representative; a lone `::` binding stays as it is.
pub fn dedupe_bindings(mut bindings: Vec<PortBinding>) -> Vec<PortBinding> {
    bindings.sort();
    bindings.dedup();
    let snapshot = bindings.clone();
    bindings.retain(|binding| {
        !(binding.is_ipv6_wildcard()
            && snapshot.iter().any(|other| {
                other.is_ipv4_wildcard()
                    && other.host_port == binding.host_port
                    && other.container_port == binding.container_port
                    && other.protocol == binding.protocol
            }))
    });
    bindings
}

/// The value of a label in a sorted `(key, value)` list.
fn label_in<'a>(labels: &'a [(String, String)], key: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    Unknown,
}

impl ContainerState {
    pub fn parse(text: &str) -> ContainerState {
        match text {
            "created" => ContainerState::Created,
            "running" => ContainerState::Running,
            "paused" => ContainerState::Paused,
            "restarting" => ContainerState::Restarting,
            "removing" => ContainerState::Removing,
            "exited" => ContainerState::Exited,
            "dead" => ContainerState::Dead,
            _ => ContainerState::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContainerState::Created => "created",
            ContainerState::Running => "running",
            ContainerState::Paused => "paused",
            ContainerState::Restarting => "restarting",
            ContainerState::Removing => "removing",
            ContainerState::Exited => "exited",
            ContainerState::Dead => "dead",
            ContainerState::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// No healthcheck configured.
    #[default]
    None,
    Starting,
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::None => "none",
            Health::Starting => "starting",
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
        }
    }

    /// Docker's list endpoint only carries health inside the status text:
    /// `Up 3 minutes (unhealthy)`, `Up 1 second (health: starting)`.
    pub fn from_status_text(status: &str) -> Health {
        if status.contains("(unhealthy)") {
            Health::Unhealthy
        } else if status.contains("(healthy)") {
            Health::Healthy
        } else if status.contains("health: starting") {
            Health::Starting
        } else {
            Health::None
        }
    }
}

/// One container as the list endpoint describes it. Cheap to refresh.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    pub state: ContainerState,
    pub health: Health,
    /// Docker's own human status text, e.g. `Up 5 minutes (healthy)`.
    pub status_text: String,
    pub created_unix: i64,
    /// Active published ports (empty while stopped), IPv4/IPv6 twins merged.
    pub ports: Vec<PortBinding>,
    pub labels: Vec<(String, String)>,
    pub network_mode: String,
}

impl Container {
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        label_in(&self.labels, key)
    }

    pub fn compose_project(&self) -> Option<&str> {
        self.label("com.docker.compose.project")
    }

    pub fn compose_service(&self) -> Option<&str> {
        self.label("com.docker.compose.service")
    }

    pub fn uses_host_network(&self) -> bool {
        self.network_mode == "host"
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MountInfo {
    pub kind: String,
    /// Volume name for named and anonymous volumes.
    pub name: Option<String>,
    pub source: String,
    pub destination: String,
    pub read_write: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkInfo {
    pub name: String,
    /// The network's id: a bridge network's interface is `br-` and its first 12 characters.
    pub network_id: String,
    pub ip_address: String,
    pub aliases: Vec<String>,
}

impl NetworkInfo {
    /// The host interface of this network's bridge: `docker0` for the default network,
    /// `br-<id>` for a user-defined bridge network (unless renamed by a driver option, which
    /// inspect does not show: then the firewall verdict names what it could not match).
    pub fn bridge_interface(&self) -> Option<String> {
        match self.name.as_str() {
            "bridge" => Some("docker0".into()),
            "host" | "none" => None,
            _ => self.network_id.get(..12).map(|id| format!("br-{id}")),
        }
    }
}

/// What `docker inspect` adds. Fetched once per container id and again when it (re)starts:
/// the configuration is immutable, only the state part changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ContainerDetails {
    pub id: String,
    /// Name without the leading `/`.
    pub name: String,
    /// Image as configured (tag or digest).
    pub image: String,
    pub image_id: String,
    /// Docker's creation time (RFC 3339): with the id, what tells this container from another.
    pub created: String,
    /// `running`, `exited`, ... at inspect time.
    pub state: String,
    pub labels: Vec<(String, String)>,
    /// Seconds `docker stop` waits before SIGKILL, when the container sets its own.
    pub stop_timeout: Option<i64>,
    pub stop_signal: Option<String>,
    pub path: String,
    pub args: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// Raw `KEY=VALUE` pairs. Values may be secrets: mask before display.
    pub env: Vec<String>,
    pub mounts: Vec<MountInfo>,
    pub networks: Vec<NetworkInfo>,
    pub restart_policy: String,
    pub auto_remove: bool,
    pub runtime: String,
    /// One line per device request, e.g. `nvidia: count=all caps=[gpu]`.
    pub gpu_requests: Vec<String>,
    /// Port bindings as configured, also for stopped containers.
    pub configured_ports: Vec<PortBinding>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub exit_code: Option<i64>,
    pub pid: Option<i64>,
    pub health: Health,
    pub hostname: String,
}

impl ContainerDetails {
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        label_in(&self.labels, key)
    }

    /// The full launch command line: entrypoint/path followed by its arguments.
    pub fn command_line(&self) -> Vec<String> {
        let mut argv = Vec::with_capacity(self.args.len() + 1);
        if !self.path.is_empty() {
            argv.push(self.path.clone());
        }
        argv.extend(self.args.iter().cloned());
        argv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(ip: &str, host: u16, container: u16) -> PortBinding {
        PortBinding {
            host_ip: ip.to_string(),
            host_port: host,
            container_port: container,
            protocol: Protocol::Tcp,
        }
    }

    #[test]
    fn display_keeps_wildcards_and_brackets_ipv6() {
        assert_eq!(
            binding("0.0.0.0", 36325, 7860).display(),
            "0.0.0.0:36325->7860/tcp"
        );
        assert_eq!(binding("::", 8080, 80).display(), "[::]:8080->80/tcp");
        assert_eq!(
            binding("127.0.0.1", 5000, 8000).display(),
            "127.0.0.1:5000->8000/tcp"
        );
    }

    #[test]
    fn ipv4_ipv6_twins_are_one_binding() {
        let merged = dedupe_bindings(vec![
            binding("::", 8080, 80),
            binding("0.0.0.0", 8080, 80),
            binding("0.0.0.0", 8080, 80),
            binding("::", 9090, 90),
            binding("127.0.0.1", 5000, 8000),
        ]);
        let shown: Vec<String> = merged.iter().map(PortBinding::display).collect();
        assert_eq!(
            shown,
            vec![
                "0.0.0.0:8080->80/tcp",
                "127.0.0.1:5000->8000/tcp",
                "[::]:9090->90/tcp"
            ]
        );
    }

    #[test]
    fn health_is_read_from_status_text() {
        assert_eq!(
            Health::from_status_text("Up 3 minutes (unhealthy)"),
            Health::Unhealthy
        );
        assert_eq!(
            Health::from_status_text("Up 3 minutes (healthy)"),
            Health::Healthy
        );
        assert_eq!(
            Health::from_status_text("Up 1 second (health: starting)"),
            Health::Starting
        );
        assert_eq!(Health::from_status_text("Up 2 hours"), Health::None);
    }
}
