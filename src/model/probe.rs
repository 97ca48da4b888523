use serde::Serialize;

/// What protects an HTTP endpoint, as far as vigil could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    /// Answers without any credential.
    None,
    /// HTTP basic authentication (401 with a `Basic` challenge).
    Basic,
    /// A bearer token / API key (401 on API routes, `Bearer` challenge, `--api-key`).
    ApiKey,
    /// An application login (Gradio auth, Jupyter token, redirect to a login page).
    Login,
    /// Could not be determined (not HTTP, no answer, nothing recognisable).
    Unknown,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::None => "none",
            AuthKind::Basic => "basic",
            AuthKind::ApiKey => "api-key",
            AuthKind::Login => "login",
            AuthKind::Unknown => "unknown",
        }
    }

    /// True when some credential is required.
    pub fn is_protected(self) -> bool {
        matches!(self, AuthKind::Basic | AuthKind::ApiKey | AuthKind::Login)
    }
}

/// One GET request made by the prober and what came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeHit {
    pub path: String,
    /// HTTP status, or `None` when no HTTP answer came (refused, timeout, not HTTP).
    pub status: Option<u16>,
    /// A short explanation: the challenge header, the product recognised, the error.
    pub note: String,
}

/// The result of probing one bound port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeReport {
    /// Address actually connected to, e.g. `127.0.0.1:36325`.
    pub target: String,
    pub auth: AuthKind,
    /// Product recognised from its signature (Gradio, vLLM, ...), if any.
    pub product: Option<String>,
    /// Endpoints that answered openly and are known to leak credentials or launch arguments.
    pub leaks: Vec<String>,
    pub hits: Vec<ProbeHit>,
}
