//! The connection to the Docker API, bounded in size and time.
//!
//! bollard's own timeout covers a request until the response headers arrive; the body is then
//! read whole with no limit, and a stream (`/events`) line by line with no limit on a line. An
//! endpoint that keeps sending (a hostile socket at `DOCKER_HOST`, a broken proxy) would grow
//! vigil without end. So vigil speaks HTTP to the engine itself, one connection per request,
//! through [`Bounded`], which ends the connection with a typed error when an answer is larger
//! than [`MAX_ANSWER`], takes longer than its deadline, or (on a stream) sends a line longer than
//! [`MAX_STREAM_LINE`]. The cost is one connect per request, microseconds on a Unix socket.

use bollard::{BollardRequest, ClientVersion, Docker};
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The largest answer vigil reads: a list of a thousand containers is a few MiB.
pub const MAX_ANSWER: u64 = 32 * 1024 * 1024;
/// The longest line of a stream (one event).
pub const MAX_STREAM_LINE: usize = 1024 * 1024;
/// How long an ordinary answer may take, headers and body.
pub const ANSWER_DEADLINE: Duration = Duration::from_secs(60);

/// An answer that went over a limit. Carried inside the I/O error, so the caller can tell it
/// apart by type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    #[error("the answer was larger than {} MiB; refused", .0 / (1024 * 1024))]
    Size(u64),
    #[error("a streamed line was longer than {} KiB; refused", .0 / 1024)]
    Line(usize),
    #[error("the answer took longer than {} s; cut", .0.as_secs())]
    Time(Duration),
}

/// Where the engine listens, for the endpoints vigil can bound itself.
#[derive(Debug, Clone)]
enum Target {
    Unix(PathBuf),
    Tcp(String),
}

impl Target {
    fn of(endpoint: &str) -> Option<Target> {
        if let Some(path) = endpoint.strip_prefix("unix://") {
            return Some(Target::Unix(PathBuf::from(path)));
        }
        let address = endpoint
            .strip_prefix("tcp://")
            .or_else(|| endpoint.strip_prefix("http://"))?;
        Some(Target::Tcp(address.trim_end_matches('/').to_string()))
    }
}

/// A client for `endpoint` whose every answer is bounded, speaking API `version`; `None` for
/// endpoints it cannot serve (TLS, SSH), which keep bollard's own transport.
pub fn connect(
    endpoint: &str,
    version: &ClientVersion,
) -> Option<Result<Docker, bollard::errors::Error>> {
    let target = Target::of(endpoint)?;
    let transport = move |request: BollardRequest| {
        let target = target.clone();
        Box::pin(send(target, request))
            as Pin<Box<dyn Future<Output = Result<_, bollard::errors::Error>> + Send>>
    };
    // bollard's own header timeout stays as a second fence; the deadline below is the real one.
    let timeout = ANSWER_DEADLINE.as_secs();
    Some(Docker::connect_with_custom_transport(
        transport,
        Some("http://docker"),
        timeout,
        version,
    ))
}

async fn send(
    target: Target,
    request: BollardRequest,
) -> Result<hyper::Response<hyper::body::Incoming>, bollard::errors::Error> {
    let limits = Limits::for_request(request.uri());
    let request = origin_form(request);
    let stream: Box<dyn Stream> = match &target {
        Target::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
        Target::Tcp(address) => Box::new(tokio::net::TcpStream::connect(address).await?),
    };
    let io = hyper_util::rt::TokioIo::new(Bounded::new(stream, limits));
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    // The connection task reads the body as the caller consumes it, and ends with it.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender.send_request(request).await?)
}

/// `http://docker/v1.41/containers/json` -> `/v1.41/containers/json`, with a `Host` header:
/// what an HTTP/1.1 server expects on a direct connection.
fn origin_form(request: BollardRequest) -> BollardRequest {
    let (mut parts, body) = request.into_parts();
    if let Some(path) = parts.uri.path_and_query().cloned()
        && let Ok(uri) = hyper::Uri::builder().path_and_query(path).build()
    {
        parts.uri = uri;
    }
    parts
        .headers
        .entry(hyper::header::HOST)
        .or_insert(hyper::header::HeaderValue::from_static("docker"));
    BollardRequest::from_parts(parts, body)
}

trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// The limits of one request's answer.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Limits {
    /// Total bytes; `None` for a stream, which is bounded per line instead.
    max_bytes: Option<u64>,
    max_line: Option<usize>,
    deadline: Option<Duration>,
}

impl Limits {
    fn for_request(uri: &hyper::Uri) -> Limits {
        let path = uri.path();
        if path.ends_with("/events") {
            // Events come whenever the engine has one: no deadline, but no endless line.
            return Limits {
                max_bytes: None,
                max_line: Some(MAX_STREAM_LINE),
                deadline: None,
            };
        }
        // A stop (or restart, or wait) lasts as long as the container's grace period.
        let waits = ["/stop", "/restart", "/wait"]
            .iter()
            .any(|end| path.ends_with(end));
        let grace = uri
            .query()
            .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("t=")))
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(600);
        let deadline = if waits {
            Duration::from_secs(grace.min(3600)) + ANSWER_DEADLINE
        } else {
            ANSWER_DEADLINE
        };
        Limits {
            max_bytes: Some(MAX_ANSWER),
            max_line: None,
            deadline: Some(deadline),
        }
    }
}

/// A stream that fails, with [`Exceeded`] inside the I/O error, once its answer goes over a limit.
struct Bounded {
    inner: Box<dyn Stream>,
    limits: Limits,
    read: u64,
    line: usize,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Bounded {
    fn new(inner: Box<dyn Stream>, limits: Limits) -> Bounded {
        Bounded {
            inner,
            limits,
            read: 0,
            line: 0,
            timer: limits.deadline.map(|d| Box::pin(tokio::time::sleep(d))),
        }
    }

    /// Counts what was just read; the limit it broke, if any.
    fn account(&mut self, bytes: &[u8]) -> Option<Exceeded> {
        self.read += bytes.len() as u64;
        if let Some(max) = self.limits.max_bytes
            && self.read > max
        {
            return Some(Exceeded::Size(max));
        }
        let max_line = self.limits.max_line?;
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => self.line = bytes.len() - last - 1,
            None => self.line += bytes.len(),
        }
        (self.line > max_line).then_some(Exceeded::Line(max_line))
    }
}

fn refuse(exceeded: Exceeded) -> io::Error {
    let kind = match exceeded {
        Exceeded::Time(_) => io::ErrorKind::TimedOut,
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, exceeded)
}

impl AsyncRead for Bounded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(timer) = this.timer.as_mut()
            && timer.as_mut().poll(cx).is_ready()
        {
            let deadline = this.limits.deadline.unwrap_or_default();
            return Poll::Ready(Err(refuse(Exceeded::Time(deadline))));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && let Some(exceeded) = this.account(&buf.filled()[before..])
        {
            // An error reads nothing (AsyncRead's contract): what came is dropped.
            buf.set_filled(before);
            return Poll::Ready(Err(refuse(exceeded)));
        }
        polled
    }
}

impl AsyncWrite for Bounded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The limit an error broke, if it broke one of these.
pub fn exceeded_in(err: &io::Error) -> Option<&Exceeded> {
    err.get_ref()?.downcast_ref::<Exceeded>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(uri: &str) -> Limits {
        Limits::for_request(&uri.parse().expect("uri"))
    }

    #[test]
    fn events_are_bounded_per_line_and_the_rest_in_size_and_time() {
        let events = limits("http://docker/v1.41/events?filters=x");
        assert_eq!((events.max_bytes, events.deadline), (None, None));
        let list = limits("http://docker/v1.41/containers/json?all=true");
        assert_eq!(list.max_bytes, Some(MAX_ANSWER));
        assert_eq!(list.deadline, Some(ANSWER_DEADLINE));
        let stop = limits("http://docker/v1.41/containers/abc/stop?t=30");
        assert_eq!(
            stop.deadline,
            Some(Duration::from_secs(30) + ANSWER_DEADLINE)
        );
    }

    #[tokio::test]
    async fn an_endless_answer_is_cut_at_the_cap() {
        let (mut writer, reader) = tokio::io::duplex(64 * 1024);
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let chunk = vec![b'x'; 64 * 1024];
            while writer.write_all(&chunk).await.is_ok() {}
        });
        let mut bounded = Bounded::new(
            Box::new(reader),
            Limits {
                max_bytes: Some(1024 * 1024),
                max_line: None,
                deadline: None,
            },
        );
        let mut sink = Vec::new();
        let err = tokio::io::AsyncReadExt::read_to_end(&mut bounded, &mut sink)
            .await
            .expect_err("cut");
        assert_eq!(exceeded_in(&err), Some(&Exceeded::Size(1024 * 1024)));
        assert!(sink.len() <= 1024 * 1024 + 64 * 1024);
    }

    #[tokio::test]
    async fn a_silent_answer_is_cut_at_its_deadline() {
        let (_writer, reader) = tokio::io::duplex(1024);
        let deadline = Duration::from_millis(100);
        let mut bounded = Bounded::new(
            Box::new(reader),
            Limits {
                max_bytes: Some(10),
                max_line: None,
                deadline: Some(deadline),
            },
        );
        let mut sink = Vec::new();
        let err = tokio::io::AsyncReadExt::read_to_end(&mut bounded, &mut sink)
            .await
            .expect_err("cut");
        assert_eq!(exceeded_in(&err), Some(&Exceeded::Time(deadline)));
    }

    #[tokio::test]
    async fn a_stream_line_without_end_is_cut() {
        let (mut writer, reader) = tokio::io::duplex(4096);
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let _ = writer.write_all(b"{\"a\":1}\n{\"b\":").await;
            while writer.write_all(&[b'x'; 512]).await.is_ok() {}
        });
        let mut bounded = Bounded::new(
            Box::new(reader),
            Limits {
                max_bytes: None,
                max_line: Some(2048),
                deadline: None,
            },
        );
        let mut sink = Vec::new();
        let err = tokio::io::AsyncReadExt::read_to_end(&mut bounded, &mut sink)
            .await
            .expect_err("cut");
        assert_eq!(exceeded_in(&err), Some(&Exceeded::Line(2048)));
    }
}
