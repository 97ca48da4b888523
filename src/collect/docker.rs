//! The Docker collector: container list, on-demand inspect, live events, reconnect with backoff.
//!
//! Idle cost is one long-lived `/events` request plus a slow safety poll. The list is refreshed
//! only when an event says something changed (debounced), and each container is inspected once
//! per start, because its configuration is immutable.

use crate::model::{
    Container, ContainerDetails, ContainerState, Health, MountInfo, NetworkInfo, PortBinding,
    Protocol, dedupe_bindings,
};
use bollard::Docker;
use bollard::models::{ContainerInspectResponse, ContainerSummary, EventMessage};
use bollard::query_parameters::{EventsOptions, ListContainersOptions};
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::mpsc;

/// What the Docker collector reports.
#[derive(Debug, Clone)]
pub enum DockerUpdate {
    Connecting {
        endpoint: String,
    },
    Connected {
        endpoint: String,
        server_version: String,
        api_version: String,
    },
    /// The full current list (running and stopped).
    Containers(Vec<Container>),
    Details(Box<ContainerDetails>),
    Down {
        endpoint: String,
        reason: String,
        retry_in: Duration,
    },
}

/// How to reach the engine and how often to double-check.
#[derive(Debug, Clone)]
pub struct DockerSettings {
    /// Explicit endpoint (`--docker-host`); `None` means `DOCKER_HOST` or the default socket.
    pub host: Option<String>,
    /// Safety poll in case an event was missed.
    pub safety_poll: Duration,
    /// Delay after an event before re-listing, so a burst of events costs one request.
    pub debounce: Duration,
}

impl Default for DockerSettings {
    fn default() -> Self {
        DockerSettings {
            host: None,
            safety_poll: Duration::from_secs(30),
            debounce: Duration::from_millis(80),
        }
    }
}

impl DockerSettings {
    /// The endpoint as the user would write it.
    pub fn endpoint(&self) -> String {
        self.host
            .clone()
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string())
    }
}

/// Why the engine could not be used, in words that tell the engineer what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DockerError {
    #[error("socket {socket} not found: is dockerd running?")]
    SocketNotFound { socket: String },
    #[error("permission denied on {socket}: run as root or as a member of the docker group")]
    PermissionDenied { socket: String },
    #[error("connection refused at {endpoint}: the daemon is stopped or restarting")]
    Refused { endpoint: String },
    #[error("no answer from {endpoint} (timed out)")]
    TimedOut { endpoint: String },
    /// The engine's answer broke a limit (see `docker_transport`): a hostile or broken endpoint.
    #[error("{endpoint}: {limit}")]
    Exceeded {
        endpoint: String,
        limit: super::docker_transport::Exceeded,
    },
    /// The engine answered with an error status: 404 no such container, 409 a conflict (a
    /// name in use), 304 nothing to do (already started, already stopped).
    #[error("{message}")]
    Status { status: u16, message: String },
    /// Anything else, with the whole error chain (escaped: the engine's text is not trusted).
    #[error("{message}")]
    Other { message: String },
}

impl DockerError {
    /// Classifies a client error by its type and the I/O error under it, never by its text.
    pub fn from_bollard(endpoint: &str, err: &bollard::errors::Error) -> DockerError {
        use bollard::errors::Error as B;
        let socket = endpoint
            .strip_prefix("unix://")
            .unwrap_or(endpoint)
            .to_string();
        match err {
            B::SocketNotFoundError(_) => return DockerError::SocketNotFound { socket },
            B::RequestTimeoutError => {
                return DockerError::TimedOut {
                    endpoint: endpoint.to_string(),
                };
            }
            B::DockerResponseServerError {
                status_code,
                message,
            } => {
                return DockerError::Status {
                    status: *status_code,
                    message: crate::util::text::escape(message).into_owned(),
                };
            }
            _ => {}
        }
        // bollard's I/O error is `transparent`: its own source is the I/O error's source, so
        // the I/O error itself is taken from the variant.
        let io = match err {
            B::IOError { err } => Some(err),
            _ => io_error_in(err),
        };
        if let Some(io) = io {
            if let Some(exceeded) = super::docker_transport::exceeded_in(io) {
                return DockerError::Exceeded {
                    endpoint: endpoint.to_string(),
                    limit: exceeded.clone(),
                };
            }
            match io.kind() {
                std::io::ErrorKind::NotFound => return DockerError::SocketNotFound { socket },
                std::io::ErrorKind::PermissionDenied => {
                    return DockerError::PermissionDenied { socket };
                }
                std::io::ErrorKind::ConnectionRefused => {
                    return DockerError::Refused {
                        endpoint: endpoint.to_string(),
                    };
                }
                std::io::ErrorKind::TimedOut => {
                    return DockerError::TimedOut {
                        endpoint: endpoint.to_string(),
                    };
                }
                _ => {}
            }
        }
        DockerError::Other {
            message: crate::util::text::escape(&error_chain(err)).into_owned(),
        }
    }

    /// The HTTP status the engine answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            DockerError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when the engine could not be reached at all (as opposed to refusing a request).
    pub fn is_unreachable(&self) -> bool {
        !matches!(self, DockerError::Status { .. } | DockerError::Other { .. })
    }
}

/// The first I/O error in an error's source chain.
fn io_error_in<'e>(err: &'e (dyn std::error::Error + 'static)) -> Option<&'e std::io::Error> {
    let mut current: Option<&'e (dyn std::error::Error + 'static)> = Some(err);
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        current = error.source();
    }
    None
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        chain.push_str(": ");
        chain.push_str(&inner.to_string());
        source = inner.source();
    }
    chain
}

/// A connected client with what the engine said about itself.
#[derive(Clone)]
pub struct Connection {
    pub client: Docker,
    pub endpoint: String,
    pub server_version: String,
    pub api_version: String,
}

/// Connects and negotiates the API version (the crate's default is newer than most daemons).
pub async fn connect(settings: &DockerSettings) -> Result<Connection, DockerError> {
    let endpoint = settings.endpoint();
    let explain = |err: bollard::errors::Error| DockerError::from_bollard(&endpoint, &err);
    let docker = client(&endpoint, bollard::API_DEFAULT_VERSION).map_err(explain)?;
    // One `/version` both names the engine and gives the API version to speak (the crate's
    // `negotiate_version` would ask the same question again, ~10 ms on the start-up path).
    let version = docker.version().await.map_err(explain)?;
    let server = version.api_version.as_deref().and_then(parse_api_version);
    let docker = match server {
        Some(server) if server < docker.client_version() => {
            match super::docker_transport::connect(&endpoint, &server) {
                Some(bounded) => bounded.map_err(explain)?,
                None => docker.negotiate_version().await.map_err(explain)?,
            }
        }
        _ => docker,
    };
    Ok(Connection {
        client: docker,
        server_version: version.version.unwrap_or_else(|| "?".into()),
        api_version: version.api_version.unwrap_or_else(|| "?".into()),
        endpoint,
    })
}

/// A client speaking API `version`: bounded in size and time (`docker_transport`) for Unix and
/// plain TCP endpoints; TLS and SSH endpoints keep bollard's transport, whose 10 s timeout
/// covers only the answer's headers.
fn client(
    endpoint: &str,
    version: &bollard::ClientVersion,
) -> Result<Docker, bollard::errors::Error> {
    match super::docker_transport::connect(endpoint, version) {
        Some(bounded) => bounded,
        None => Docker::connect_with_host(endpoint)
            .map(|docker| docker.with_timeout(Duration::from_secs(10))),
    }
}

/// `1.41` -> API version 1.41.
fn parse_api_version(text: &str) -> Option<bollard::ClientVersion> {
    let (major, minor) = text.split_once('.')?;
    Some(bollard::ClientVersion {
        major_version: major.parse().ok()?,
        minor_version: minor.parse().ok()?,
    })
}

/// The major version of an engine version string (`20.10.24+dfsg1` -> 20).
pub fn major_version(version: &str) -> Option<u32> {
    version
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// A client error as a sentence for the engineer (`endpoint` names the engine in it).
pub fn explain_error(endpoint: &str, err: &bollard::errors::Error) -> String {
    DockerError::from_bollard(endpoint, err).to_string()
}

fn list_options() -> ListContainersOptions {
    ListContainersOptions {
        all: true,
        ..Default::default()
    }
}

/// Container events that change what the pane shows. Exec events (healthchecks run one every
/// interval) are left out on purpose: they would turn events back into polling.
const WATCHED_ACTIONS: &[&str] = &[
    "create",
    "start",
    "restart",
    "die",
    "stop",
    "kill",
    "pause",
    "unpause",
    "destroy",
    "rename",
    "update",
    "health_status",
    "oom",
];

fn events_options() -> EventsOptions {
    let mut filters = HashMap::new();
    filters.insert("type".to_string(), vec!["container".to_string()]);
    filters.insert(
        "event".to_string(),
        WATCHED_ACTIONS.iter().map(|a| a.to_string()).collect(),
    );
    EventsOptions {
        filters: Some(filters),
        ..Default::default()
    }
}

/// Lists every container once, for `vigil scan` and the collector.
pub async fn list_containers(docker: &Docker) -> Result<Vec<Container>, bollard::errors::Error> {
    let summaries = docker.list_containers(Some(list_options())).await?;
    Ok(summaries
        .into_iter()
        .filter_map(container_from_summary)
        .collect())
}

/// Inspects one container; `None` when it vanished in the meantime.
pub async fn inspect(docker: &Docker, id: &str) -> Option<ContainerDetails> {
    docker
        .inspect_container(id, None)
        .await
        .ok()
        .map(details_from_inspect)
}

/// Every container and the details of each (those that vanished meanwhile are left out), with
/// at most 8 inspections at a time.
pub async fn list_and_inspect(
    docker: &Docker,
) -> Result<(Vec<Container>, Vec<ContainerDetails>), bollard::errors::Error> {
    let containers = list_containers(docker).await?;
    let details: Vec<ContainerDetails> = futures_util::stream::iter(containers.iter())
        .map(|c| inspect(docker, &c.id))
        .buffer_unordered(8)
        .filter_map(|found| async move { found })
        .collect()
        .await;
    Ok((containers, details))
}

/// Runs forever: connect, list, follow events, and reconnect with backoff when the engine goes.
pub async fn run(settings: DockerSettings, updates: mpsc::Sender<DockerUpdate>) {
    let endpoint = settings.endpoint();
    let mut backoff = Duration::from_millis(250);
    loop {
        if updates
            .send(DockerUpdate::Connecting {
                endpoint: endpoint.clone(),
            })
            .await
            .is_err()
        {
            return;
        }
        let reason = match connect(&settings).await {
            Ok(connection) => {
                backoff = Duration::from_millis(250);
                let docker = connection.client;
                if updates
                    .send(DockerUpdate::Connected {
                        endpoint: endpoint.clone(),
                        server_version: connection.server_version,
                        api_version: connection.api_version,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                match follow(&docker, &settings, &endpoint, &updates).await {
                    Some(reason) => reason,
                    None => return,
                }
            }
            Err(reason) => reason.to_string(),
        };
        tracing::warn!(%endpoint, %reason, "docker engine unavailable");
        if updates
            .send(DockerUpdate::Down {
                endpoint: endpoint.clone(),
                reason,
                retry_in: backoff,
            })
            .await
            .is_err()
        {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// The task that drives the event stream; it ends when this is dropped.
struct Subscription(tokio::task::JoinHandle<()>);

impl Drop for Subscription {
    fn drop(&mut self) {
        self.0.abort();
    }
}

type EventItem = Result<EventMessage, bollard::errors::Error>;

/// The engine's container events, read by a task of its own into a channel.
fn subscribe(docker: &Docker) -> (mpsc::Receiver<EventItem>, Subscription) {
    let (sender, receiver) = mpsc::channel(64);
    let docker = docker.clone();
    let task = tokio::spawn(async move {
        let mut events = Box::pin(docker.events(Some(events_options())));
        while let Some(item) = events.next().await {
            if sender.send(item).await.is_err() {
                return;
            }
        }
    });
    (receiver, Subscription(task))
}

/// Follows one connection until it breaks. Returns the reason, or `None` when the receiver is gone.
async fn follow(
    docker: &Docker,
    settings: &DockerSettings,
    endpoint: &str,
    updates: &mpsc::Sender<DockerUpdate>,
) -> Option<String> {
    // Subscribe before listing so nothing that happens in between is missed: the event stream
    // is driven by a task of its own, so its request goes out now, not after the first list and
    // every inspect.
    let (mut events, _subscription) = subscribe(docker);
    let mut inspected: HashMap<String, ContainerState> = HashMap::new();
    let mut must_inspect: HashSet<String> = HashSet::new();
    let mut relist_due: Option<tokio::time::Instant> = Some(tokio::time::Instant::now());
    let mut poll = tokio::time::interval(settings.safety_poll);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    poll.tick().await;

    loop {
        let debounce_sleep = async {
            match relist_due {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = events.recv() => match event {
                Some(Ok(message)) => {
                    if let Some(id) = event_container_id(&message) {
                        must_inspect.insert(id);
                    }
                    if relist_due.is_none() {
                        relist_due = Some(tokio::time::Instant::now() + settings.debounce);
                    }
                }
                Some(Err(err)) => return Some(explain_error(endpoint, &err)),
                None => return Some("the event stream closed: the daemon stopped or restarted".into()),
            },
            _ = debounce_sleep => {
                relist_due = None;
                let containers = match list_containers(docker).await {
                    Ok(containers) => containers,
                    Err(err) => return Some(explain_error(endpoint, &err)),
                };
                let to_inspect: Vec<String> = containers
                    .iter()
                    .filter(|c| must_inspect.contains(&c.id) || inspected.get(&c.id) != Some(&c.state))
                    .map(|c| c.id.clone())
                    .collect();
                let present: HashSet<&str> = containers.iter().map(|c| c.id.as_str()).collect();
                inspected.retain(|id, _| present.contains(id.as_str()));
                let states: HashMap<String, ContainerState> =
                    containers.iter().map(|c| (c.id.clone(), c.state)).collect();
                if updates.send(DockerUpdate::Containers(containers)).await.is_err() {
                    return None;
                }
                must_inspect.clear();
                // Bounded concurrency: a host with hundreds of containers must not flood the daemon.
                let mut details = futures_util::stream::iter(to_inspect)
                    .map(|id| async move { inspect(docker, &id).await })
                    .buffer_unordered(4);
                while let Some(found) = details.next().await {
                    if let Some(found) = found {
                        if let Some(state) = states.get(&found.id) {
                            inspected.insert(found.id.clone(), *state);
                        }
                        if updates.send(DockerUpdate::Details(Box::new(found))).await.is_err() {
                            return None;
                        }
                    }
                }
            },
            _ = poll.tick() => {
                if relist_due.is_none() {
                    relist_due = Some(tokio::time::Instant::now());
                }
            },
            () = updates.closed() => return None,
        }
    }
}

fn event_container_id(message: &EventMessage) -> Option<String> {
    message.actor.as_ref().and_then(|actor| actor.id.clone())
}

/// Converts the list endpoint's summary into the domain type. Entries without an id are dropped.
pub fn container_from_summary(summary: ContainerSummary) -> Option<Container> {
    let id = summary.id?;
    let name = summary
        .names
        .unwrap_or_default()
        .into_iter()
        .next()
        .map(|n| n.trim_start_matches('/').to_string())
        .unwrap_or_else(|| id.chars().take(12).collect());
    let status_text = summary.status.unwrap_or_default();
    let ports = summary
        .ports
        .unwrap_or_default()
        .into_iter()
        .filter_map(|port| {
            Some(PortBinding {
                host_port: port.public_port?,
                host_ip: port.ip.unwrap_or_default(),
                container_port: port.private_port,
                protocol: Protocol::parse(&port.typ.map(|t| t.to_string()).unwrap_or_default()),
            })
        })
        .collect();
    let mut labels: Vec<(String, String)> =
        summary.labels.unwrap_or_default().into_iter().collect();
    labels.sort();
    Some(Container {
        health: Health::from_status_text(&status_text),
        state: ContainerState::parse(&summary.state.map(|s| s.to_string()).unwrap_or_default()),
        name,
        image: summary.image.unwrap_or_default(),
        status_text,
        created_unix: summary.created.unwrap_or_default(),
        ports: dedupe_bindings(ports),
        labels,
        network_mode: summary
            .host_config
            .and_then(|hc| hc.network_mode)
            .unwrap_or_default(),
        id,
    })
}

/// Converts an inspect response into the details the pane and the assessment need.
pub fn details_from_inspect(response: ContainerInspectResponse) -> ContainerDetails {
    let config = response.config.unwrap_or_default();
    let host_config = response.host_config.unwrap_or_default();
    let state = response.state.unwrap_or_default();

    let mounts = response
        .mounts
        .unwrap_or_default()
        .into_iter()
        .map(|mount| MountInfo {
            kind: mount.typ.map(|t| t.to_string()).unwrap_or_default(),
            name: mount.name,
            source: mount.source.unwrap_or_default(),
            destination: mount.destination.unwrap_or_default(),
            read_write: mount.rw.unwrap_or(false),
        })
        .collect();
    let mut networks: Vec<NetworkInfo> = response
        .network_settings
        .and_then(|settings| settings.networks)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, endpoint)| NetworkInfo {
            name,
            network_id: endpoint.network_id.unwrap_or_default(),
            ip_address: endpoint.ip_address.unwrap_or_default(),
            aliases: endpoint.aliases.unwrap_or_default(),
        })
        .collect();
    networks.sort_by(|a, b| a.name.cmp(&b.name));
    let gpu_requests = host_config
        .device_requests
        .unwrap_or_default()
        .into_iter()
        .map(|request| {
            let count = match request.count {
                Some(-1) => "all".to_string(),
                Some(n) => n.to_string(),
                None => "-".to_string(),
            };
            let ids = request.device_ids.unwrap_or_default();
            let caps: Vec<String> = request
                .capabilities
                .unwrap_or_default()
                .into_iter()
                .map(|set| set.join("+"))
                .collect();
            let driver = request
                .driver
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "default".into());
            if ids.is_empty() {
                format!("{driver}: count={count} caps=[{}]", caps.join(","))
            } else {
                format!(
                    "{driver}: devices={} caps=[{}]",
                    ids.join(","),
                    caps.join(",")
                )
            }
        })
        .collect();
    let mut configured_ports = Vec::new();
    for (container_port, bindings) in host_config.port_bindings.unwrap_or_default() {
        let (number, protocol) = container_port
            .split_once('/')
            .unwrap_or((container_port.as_str(), "tcp"));
        let Ok(number) = number.parse::<u16>() else {
            continue;
        };
        for binding in bindings.unwrap_or_default() {
            configured_ports.push(PortBinding {
                host_ip: binding.host_ip.unwrap_or_default(),
                // An empty host port means "random": shown as 0 until the container runs.
                host_port: binding.host_port.and_then(|p| p.parse().ok()).unwrap_or(0),
                container_port: number,
                protocol: Protocol::parse(protocol),
            });
        }
    }
    let restart_policy = host_config
        .restart_policy
        .map(|policy| {
            let name = policy.name.map(|n| n.to_string()).unwrap_or_default();
            match policy.maximum_retry_count {
                Some(retries) if retries > 0 => format!("{name}:{retries}"),
                _ => name,
            }
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "no".to_string());
    let health = match state.health.and_then(|h| h.status) {
        Some(bollard::models::HealthStatusEnum::HEALTHY) => Health::Healthy,
        Some(bollard::models::HealthStatusEnum::UNHEALTHY) => Health::Unhealthy,
        Some(bollard::models::HealthStatusEnum::STARTING) => Health::Starting,
        _ => Health::None,
    };
    let zero_time = |t: &String| t.starts_with("0001-01-01");
    let mut labels: Vec<(String, String)> = config
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    labels.sort();
    ContainerDetails {
        id: response.id.unwrap_or_default(),
        name: response
            .name
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string(),
        image: config.image.clone().unwrap_or_default(),
        state: state.status.map(|s| s.to_string()).unwrap_or_default(),
        labels,
        stop_timeout: config.stop_timeout,
        stop_signal: config.stop_signal.clone().filter(|s| !s.is_empty()),
        image_id: response.image.unwrap_or_default(),
        created: response.created.unwrap_or_default(),
        path: response.path.unwrap_or_default(),
        args: response.args.unwrap_or_default(),
        entrypoint: config.entrypoint.unwrap_or_default(),
        cmd: config.cmd.unwrap_or_default(),
        env: config.env.unwrap_or_default(),
        mounts,
        networks,
        restart_policy,
        auto_remove: host_config.auto_remove.unwrap_or(false),
        runtime: host_config.runtime.unwrap_or_default(),
        gpu_requests,
        configured_ports: dedupe_bindings(configured_ports),
        started_at: state.started_at.filter(|t| !zero_time(t)),
        finished_at: state.finished_at.filter(|t| !zero_time(t)),
        exit_code: state.exit_code,
        pid: state.pid.filter(|pid| *pid > 0),
        health,
        hostname: config.hostname.unwrap_or_default(),
    }
}
