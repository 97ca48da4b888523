//! Harmless HTTP probes that tell whether a published port asks for credentials.
//!
//! Only `GET`, no credentials, short timeouts, bounded bodies, one connection per request. Each
//! product has a signature path that answers 200 with JSON when it is open and 401 when it is not
//! (the `SIGNATURES` table below; `docs/verdicts.md` lists them). The verdict is computed by a
//! pure function over what came back, so it is tested without a network.

use crate::model::{AuthKind, ProbeHit, ProbeReport};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// One answer to one GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub location: Option<String>,
    pub content_type: Option<String>,
    /// At most `BODY_LIMIT` bytes of the body.
    pub body: Vec<u8>,
}

/// The largest body read from any probe: enough for a config JSON, never a model download.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A product signature: the path, the product name and how to recognise its open answer.
struct Signature {
    path: &'static str,
    product: &'static str,
    /// Substrings, one of which the body must contain for a 200 to count as this product.
    body_markers: &'static [&'static str],
    /// What a 401/403 on this path means.
    protected_kind: AuthKind,
}

const SIGNATURES: &[Signature] = &[
    Signature {
        path: "/config",
        product: "Gradio",
        body_markers: &["\"components\"", "\"gradio_version\"", "\"version\""],
        protected_kind: AuthKind::Login,
    },
    Signature {
        path: "/v1/models",
        product: "OpenAI-compatible API (vLLM)",
        body_markers: &["\"object\""],
        protected_kind: AuthKind::ApiKey,
    },
    Signature {
        path: "/sdapi/v1/options",
        product: "Stable Diffusion WebUI API",
        body_markers: &["\"sd_model_checkpoint\"", "{"],
        protected_kind: AuthKind::Basic,
    },
    Signature {
        path: "/sdapi/v1/cmd-flags",
        product: "Stable Diffusion WebUI API",
        body_markers: &["\"listen\"", "{"],
        protected_kind: AuthKind::Basic,
    },
    Signature {
        path: "/system_stats",
        product: "ComfyUI",
        body_markers: &["\"system\""],
        protected_kind: AuthKind::Login,
    },
    Signature {
        path: "/api/tags",
        product: "Ollama",
        body_markers: &["\"models\""],
        protected_kind: AuthKind::ApiKey,
    },
    Signature {
        path: "/info",
        product: "Text Generation Inference",
        body_markers: &["\"model_id\""],
        protected_kind: AuthKind::ApiKey,
    },
    Signature {
        path: "/api/status",
        product: "Jupyter",
        body_markers: &["\"started\"", "\"kernels\""],
        protected_kind: AuthKind::Login,
    },
    Signature {
        path: "/v2/health/ready",
        product: "Triton Inference Server",
        body_markers: &[],
        protected_kind: AuthKind::ApiKey,
    },
];

/// Probe timing and limits.
#[derive(Debug, Clone, Copy)]
pub struct ProbeSettings {
    pub request_timeout: Duration,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        ProbeSettings {
            request_timeout: Duration::from_millis(1500),
        }
    }
}

/// The address to connect to for a binding: wildcards are reached through loopback.
pub fn probe_address(host_ip: &str, port: u16) -> SocketAddr {
    let trimmed = host_ip.trim_start_matches('[').trim_end_matches(']');
    let ip = match trimmed {
        "" | "0.0.0.0" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        "::" => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    };
    SocketAddr::new(ip, port)
}

/// Why a probe got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("no answer within {ms} ms")]
    TimedOut { ms: u128 },
    #[error("connection refused")]
    Refused,
    #[error("{0}")]
    Connect(String),
    /// Something answered, but not in HTTP.
    #[error("not HTTP: {0}")]
    NotHttp(String),
}

/// One GET with a deadline and a bounded body.
pub async fn http_get(
    address: SocketAddr,
    path: &str,
    timeout: Duration,
) -> Result<HttpAnswer, ProbeError> {
    tokio::time::timeout(timeout, http_get_inner(address, path))
        .await
        .map_err(|_| ProbeError::TimedOut {
            ms: timeout.as_millis(),
        })?
}

async fn http_get_inner(address: SocketAddr, path: &str) -> Result<HttpAnswer, ProbeError> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::ConnectionRefused => ProbeError::Refused,
            _ => ProbeError::Connect(err.to_string()),
        })?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| ProbeError::NotHttp(err.to_string()))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let host = match address.ip() {
        IpAddr::V6(v6) => format!("[{v6}]:{}", address.port()),
        IpAddr::V4(v4) => format!("{v4}:{}", address.port()),
    };
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, host)
        .header(
            hyper::header::USER_AGENT,
            concat!("vigil-probe/", env!("CARGO_PKG_VERSION")),
        )
        .header(
            hyper::header::ACCEPT,
            "application/json, text/html;q=0.9, */*;q=0.5",
        )
        .header(hyper::header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(|err| ProbeError::Connect(err.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|err| ProbeError::NotHttp(err.to_string()))?;
    let header = |name: hyper::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    };
    let mut answer = HttpAnswer {
        status: response.status().as_u16(),
        www_authenticate: header(hyper::header::WWW_AUTHENTICATE),
        location: header(hyper::header::LOCATION),
        content_type: header(hyper::header::CONTENT_TYPE),
        body: Vec::new(),
    };
    let mut body = response.into_body();
    while answer.body.len() < BODY_LIMIT {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    let room = BODY_LIMIT - answer.body.len();
                    answer.body.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            _ => break,
        }
    }
    driver.abort();
    Ok(answer)
}

/// Probes one bound port: `/` first, then every product signature unless `/` already demanded
/// HTTP authentication for the whole server.
pub async fn probe_port(host_ip: &str, port: u16, settings: ProbeSettings) -> ProbeReport {
    let address = probe_address(host_ip, port);
    let mut answers: Vec<(String, Result<HttpAnswer, ProbeError>)> = Vec::new();
    let root = http_get(address, "/", settings.request_timeout).await;
    let whole_server_protected =
        matches!(&root, Ok(a) if a.status == 401 && a.www_authenticate.is_some());
    let not_http = root.is_err();
    answers.push(("/".to_string(), root));
    if !whole_server_protected && !not_http {
        for signature in SIGNATURES {
            let answer = http_get(address, signature.path, settings.request_timeout).await;
            answers.push((signature.path.to_string(), answer));
        }
        // vLLM checks the key only under /v1: a route outside it answering without one is open.
        if answers
            .iter()
            .any(|(path, a)| path == "/v1/models" && matches!(a, Ok(a) if a.status == 401))
        {
            let answer = http_get(address, "/invocations", settings.request_timeout).await;
            answers.push(("/invocations".to_string(), answer));
        }
    }
    classify(&address.to_string(), &answers)
}

fn body_text(answer: &HttpAnswer) -> String {
    String::from_utf8_lossy(&answer.body).into_owned()
}

fn looks_like_json(answer: &HttpAnswer) -> bool {
    answer
        .content_type
        .as_deref()
        .is_some_and(|ct| ct.contains("json"))
        || answer
            .body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{' || *b == b'[')
}

fn signature_matches(signature: &Signature, answer: &HttpAnswer) -> bool {
    if answer.status != 200 {
        return false;
    }
    if signature.body_markers.is_empty() {
        // Triton's readiness answer is an empty 200: a catch-all web app returns HTML instead.
        return answer.body.is_empty();
    }
    let text = body_text(answer);
    looks_like_json(answer) && signature.body_markers.iter().any(|m| text.contains(m))
}

fn challenge_kind(challenge: &str) -> AuthKind {
    let scheme = challenge
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match scheme.as_str() {
        "basic" | "digest" => AuthKind::Basic,
        "bearer" => AuthKind::ApiKey,
        _ => AuthKind::Login,
    }
}

/// Turns the answers into a verdict. Pure: unit-tested with canned answers.
pub fn classify(target: &str, answers: &[(String, Result<HttpAnswer, ProbeError>)]) -> ProbeReport {
    let mut hits = Vec::new();
    let mut open_product: Option<&'static str> = None;
    let mut protected: Option<(AuthKind, Option<&'static str>)> = None;
    let mut leaks = Vec::new();
    let mut root_verdict: Option<AuthKind> = None;

    for (path, result) in answers {
        let answer = match result {
            Ok(answer) => answer,
            Err(error) => {
                hits.push(ProbeHit {
                    path: path.clone(),
                    status: None,
                    note: error.to_string(),
                });
                continue;
            }
        };
        let mut note = String::new();
        let signature = SIGNATURES.iter().find(|s| s.path == path);
        if let Some(challenge) = &answer.www_authenticate {
            note = format!("WWW-Authenticate: {}", crate::util::text::escape(challenge));
        }
        if answer.status == 401 || (answer.status == 403 && signature.is_some()) {
            let kind = match (&answer.www_authenticate, signature) {
                (Some(challenge), _) => challenge_kind(challenge),
                (None, Some(signature)) => signature.protected_kind,
                (None, None) => AuthKind::Login,
            };
            if signature.is_none() || answer.status == 401 || protected.is_none() {
                protected = protected.or(Some((kind, signature.map(|s| s.product))));
            }
            if path == "/" {
                root_verdict = Some(kind);
            }
        } else if let Some(signature) = signature
            && signature_matches(signature, answer)
        {
            open_product = open_product.or(Some(signature.product));
            note = format!("{} answers without credentials", signature.product);
            let text = body_text(answer);
            if path == "/sdapi/v1/cmd-flags" {
                leaks.push(sd_cmd_flags_leak(&text));
            }
            if path == "/system_stats" && text.contains("\"argv\"") {
                leaks.push(
                    "GET /system_stats shows the launch arguments (argv) without login".to_string(),
                );
            }
        } else if path == "/invocations" && matches!(answer.status, 200 | 405 | 422) {
            leaks.push(format!(
                "GET /invocations -> {} without a key: inference route outside /v1 is not covered by --api-key",
                answer.status
            ));
        } else if path == "/" {
            root_verdict = Some(root_page_verdict(answer));
            if let Some(location) = &answer.location {
                note = format!("redirect to {}", crate::util::text::escape(location));
            }
        }
        hits.push(ProbeHit {
            path: path.clone(),
            status: Some(answer.status),
            note,
        });
    }

    let (auth, product) = if let Some(product) = open_product {
        (AuthKind::None, Some(product))
    } else if let Some((kind, product)) = protected {
        (kind, product)
    } else {
        (root_verdict.unwrap_or(AuthKind::Unknown), None)
    };
    ProbeReport {
        target: target.to_string(),
        auth,
        product: product.map(str::to_string),
        leaks,
        hits,
    }
}

fn sd_cmd_flags_leak(text: &str) -> String {
    let set = |key: &str| {
        let needle = format!("\"{key}\":");
        text.find(&needle).is_some_and(|at| {
            let rest = text[at + needle.len()..].trim_start();
            !(rest.starts_with("null") || rest.starts_with("\"\"") || rest.starts_with("false"))
        })
    };
    let exposed: Vec<&str> = ["gradio_auth", "api_auth"]
        .into_iter()
        .filter(|key| set(key))
        .collect();
    if exposed.is_empty() {
        "GET /sdapi/v1/cmd-flags shows every launch flag without login".to_string()
    } else {
        format!(
            "GET /sdapi/v1/cmd-flags leaks credentials in clear ({}) without login",
            exposed.join(", ")
        )
    }
}

/// What the root page alone says: a login redirect or form, an open page, or nothing useful.
fn root_page_verdict(answer: &HttpAnswer) -> AuthKind {
    let location = answer
        .location
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    if (300..400).contains(&answer.status)
        && (location.contains("login") || location.contains("auth") || location.contains("signin"))
    {
        return AuthKind::Login;
    }
    if answer.status == 200 {
        let text = body_text(answer).to_ascii_lowercase();
        if text.contains("type=\"password\"") || text.contains("type='password'") {
            return AuthKind::Login;
        }
        return AuthKind::None;
    }
    AuthKind::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(status: u16, body: &str) -> Result<HttpAnswer, ProbeError> {
        Ok(HttpAnswer {
            status,
            content_type: Some("application/json".into()),
            body: body.as_bytes().to_vec(),
            ..Default::default()
        })
    }

    fn answers(
        list: Vec<(&str, Result<HttpAnswer, ProbeError>)>,
    ) -> Vec<(String, Result<HttpAnswer, ProbeError>)> {
        list.into_iter().map(|(p, a)| (p.to_string(), a)).collect()
    }

    #[test]
    fn open_gradio_is_none() {
        let report = classify(
            "127.0.0.1:7860",
            &answers(vec![
                ("/", ok(200, "<html>gradio</html>")),
                (
                    "/config",
                    ok(200, r#"{"version":"4.44.1","components":[]}"#),
                ),
            ]),
        );
        assert_eq!(report.auth, AuthKind::None);
        assert_eq!(report.product.as_deref(), Some("Gradio"));
    }

    #[test]
    fn gradio_with_auth_is_login() {
        let report = classify(
            "t",
            &answers(vec![
                ("/", ok(200, "<html>login</html>")),
                ("/config", ok(401, r#"{"detail":"Not authenticated"}"#)),
            ]),
        );
        assert_eq!(report.auth, AuthKind::Login);
    }

    #[test]
    fn vllm_with_key_is_api_key_but_invocations_leaks() {
        let report = classify(
            "t",
            &answers(vec![
                ("/", ok(404, r#"{"detail":"Not Found"}"#)),
                ("/v1/models", ok(401, r#"{"error":"Unauthorized"}"#)),
                (
                    "/invocations",
                    ok(405, r#"{"detail":"Method Not Allowed"}"#),
                ),
            ]),
        );
        assert_eq!(report.auth, AuthKind::ApiKey);
        assert_eq!(report.leaks.len(), 1);
    }

    #[test]
    fn basic_challenge_on_root() {
        let report = classify(
            "t",
            &answers(vec![(
                "/",
                Ok(HttpAnswer {
                    status: 401,
                    www_authenticate: Some("Basic realm=\"httpd\"".into()),
                    ..Default::default()
                }),
            )]),
        );
        assert_eq!(report.auth, AuthKind::Basic);
        assert_eq!(report.hits[0].status, Some(401));
    }

    #[test]
    fn sd_api_open_even_when_ui_has_login_and_flags_leak() {
        let report = classify(
            "t",
            &answers(vec![
                ("/", ok(200, "<input type=\"password\">")),
                (
                    "/sdapi/v1/options",
                    ok(200, r#"{"sd_model_checkpoint":"x"}"#),
                ),
                (
                    "/sdapi/v1/cmd-flags",
                    ok(200, r#"{"listen":true,"gradio_auth":"admin:x"}"#),
                ),
            ]),
        );
        assert_eq!(report.auth, AuthKind::None);
        assert_eq!(report.leaks.len(), 1);
        assert!(report.leaks[0].contains("gradio_auth"));
    }

    #[test]
    fn html_catch_all_is_not_a_signature() {
        let html = |status| {
            Ok(HttpAnswer {
                status,
                content_type: Some("text/html".into()),
                body: b"<html><form><input type=\"password\"></form></html>".to_vec(),
                ..Default::default()
            })
        };
        let report = classify(
            "t",
            &answers(vec![
                ("/", html(200)),
                ("/config", html(200)),
                ("/v2/health/ready", html(200)),
            ]),
        );
        assert_eq!(report.auth, AuthKind::Login);
        assert_eq!(report.product, None);
    }

    #[test]
    fn refused_is_unknown_with_reason() {
        let report = classify("t", &answers(vec![("/", Err(ProbeError::Refused))]));
        assert_eq!(report.auth, AuthKind::Unknown);
        assert_eq!(report.hits[0].note, "connection refused");
    }

    #[test]
    fn wildcard_bindings_are_probed_on_loopback() {
        assert_eq!(probe_address("0.0.0.0", 80).to_string(), "127.0.0.1:80");
        assert_eq!(probe_address("::", 80).to_string(), "[::1]:80");
        assert_eq!(probe_address("127.0.0.5", 80).to_string(), "127.0.0.5:80");
    }

    #[tokio::test]
    async fn real_http_server_on_loopback() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            // Answers every request with a Basic challenge.
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buffer = [0u8; 1024];
                let _ = socket.read(&mut buffer).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
            }
        });
        let report = probe_port("127.0.0.1", port, ProbeSettings::default()).await;
        assert_eq!(report.auth, AuthKind::Basic);
        assert_eq!(
            report.hits.len(),
            1,
            "whole-server auth stops the probe early"
        );
        server.abort();
    }
}
