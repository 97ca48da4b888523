//! What a container's launch arguments and environment say about authentication and exposure.
//!
//! GenAI web UIs take their credentials on the command line (`--gradio-auth admin:pass`,
//! `--password`, `--api-key`) or in the environment (`VLLM_API_KEY`, `HF_TOKEN`). Anyone who can
//! run `docker inspect` reads them, so they are both a hint that authentication is on and a
//! finding of their own. Values are masked here, at the source: raw values never leave this module.

use crate::model::AuthKind;
use crate::util::mask::mask_secret;
use crate::util::text::escape;

/// Flags whose value is a credential, and the kind of authentication they switch on.
const CREDENTIAL_FLAGS: &[(&str, AuthKind)] = &[
    ("--password", AuthKind::Login),
    ("--passwd", AuthKind::Login),
    ("--gradio-auth", AuthKind::Login),
    ("--api-auth", AuthKind::Basic),
    ("--auth", AuthKind::Login),
    ("--basic-auth", AuthKind::Basic),
    ("--api-key", AuthKind::ApiKey),
    ("--api_key", AuthKind::ApiKey),
    ("--apikey", AuthKind::ApiKey),
    ("--token", AuthKind::ApiKey),
    ("--auth-token", AuthKind::ApiKey),
    ("--hf-token", AuthKind::ApiKey),
    ("--secret", AuthKind::ApiKey),
    ("--NotebookApp.token", AuthKind::Login),
    ("--NotebookApp.password", AuthKind::Login),
    ("--ServerApp.token", AuthKind::Login),
    ("--ServerApp.password", AuthKind::Login),
];

/// Flags that switch authentication on without putting the credential on the command line.
const AUTH_FILE_FLAGS: &[(&str, AuthKind)] = &[
    ("--gradio-auth-path", AuthKind::Login),
    ("--api-auth-path", AuthKind::Basic),
    ("--api-key-file", AuthKind::ApiKey),
    ("--password-file", AuthKind::Login),
];

/// Flags naming the user that goes with a password (used to spot password == user name).
const USER_FLAGS: &[&str] = &["--username", "--user", "--login"];

/// Flags whose value is the listen address.
const HOST_FLAGS: &[&str] = &[
    "--host",
    "--ip",
    "--listen-address",
    "--server-name",
    "--bind",
];

/// Passwords that every scanner of the internet tries first.
const DEFAULT_PASSWORDS: &[&str] = &[
    "admin",
    "administrator",
    "password",
    "passw0rd",
    "changeme",
    "secret",
    "root",
    "toor",
    "123456",
    "12345678",
    "qwerty",
    "letmein",
    "default",
    "test",
    "guest",
    "user",
    "gradio",
    "comfyui",
    "jupyter",
];

/// A credential seen in the launch configuration, already masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSignal {
    /// Where it was seen: `arg --password`, `env VLLM_API_KEY`.
    pub source: String,
    /// The masked value.
    pub masked: String,
    /// Why the value is weak, if it is.
    pub weakness: Option<String>,
    /// The authentication it implies.
    pub implies: AuthKind,
}

/// Everything the launch configuration says, ready for the risk assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchFacts {
    pub credentials: Vec<CredentialSignal>,
    /// Authentication configured through a file or an env switch (no visible credential).
    pub auth_configured: Vec<(String, AuthKind)>,
    /// A public share tunnel was requested (`--share`, `GRADIO_SHARE`).
    pub share_tunnel: Option<String>,
    /// The app was told to listen on every interface (`--listen`, `--host 0.0.0.0`).
    pub listen_all: Option<String>,
}

impl LaunchFacts {
    /// The strongest authentication the launch configuration implies, if any.
    pub fn implied_auth(&self) -> Option<AuthKind> {
        self.credentials
            .iter()
            .map(|signal| signal.implies)
            .chain(self.auth_configured.iter().map(|(_, kind)| *kind))
            .next()
    }
}

pub use crate::model::credentials::{is_secret_env_key, looks_like_token};

/// Splits shell-wrapped commands (`sh -c "python app.py --password x"`) into words so the flags
/// inside are seen too. Quotes are stripped naively: this is for recognising flags, not for running.
fn words_of(argv: &[String]) -> Vec<String> {
    argv.iter()
        .flat_map(|arg| {
            arg.split_whitespace()
                .map(|word| word.trim_matches(|c| c == '"' || c == '\'').to_string())
                .collect::<Vec<_>>()
        })
        .filter(|word| !word.is_empty())
        .collect()
}

/// Finds `--flag value` or `--flag=value` for any of `flags`; returns (flag, value) pairs.
fn flag_values<'a>(words: &'a [String], flags: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    let mut found = Vec::new();
    for (index, word) in words.iter().enumerate() {
        for flag in flags {
            if let Some(value) = word
                .strip_prefix(flag)
                .and_then(|rest| rest.strip_prefix('='))
            {
                found.push((*flag, value));
            } else if word == flag
                && let Some(next) = words.get(index + 1)
                && !next.starts_with("--")
            {
                found.push((*flag, next.as_str()));
            }
        }
    }
    found
}

fn has_flag(words: &[String], flag: &str) -> bool {
    words
        .iter()
        .any(|word| word == flag || word.starts_with(&format!("{flag}=")))
}

/// Why a password is weak, if it is.
pub fn weakness_of(password: &str, user: Option<&str>) -> Option<String> {
    let lower = password.to_ascii_lowercase();
    if DEFAULT_PASSWORDS.contains(&lower.as_str()) {
        return Some("a well-known default".to_string());
    }
    if let Some(user) = user
        && !user.is_empty()
        && lower == user.to_ascii_lowercase()
    {
        return Some("equal to the user name".to_string());
    }
    let length = password.chars().count();
    if length < 8 {
        return Some(format!("only {length} characters"));
    }
    None
}

/// Splits `user:pass[,user2:pass2]` credentials as Gradio and SD WebUI take them.
fn user_password_pairs(value: &str) -> Vec<(Option<&str>, &str)> {
    value
        .split(',')
        .map(|pair| match pair.split_once(':') {
            Some((user, password)) => (Some(user), password),
            None => (None, pair),
        })
        .collect()
}

fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

fn is_all_interfaces(address: &str) -> bool {
    matches!(address.trim(), "0.0.0.0" | "::" | "[::]" | "*" | "")
}

/// Reads the launch arguments and environment of one container.
pub fn analyze_launch(argv: &[String], env: &[String]) -> LaunchFacts {
    let words = words_of(argv);
    let mut facts = LaunchFacts::default();

    let user_from_flags = flag_values(&words, USER_FLAGS)
        .first()
        .map(|(_, value)| *value);
    let credential_flag_names: Vec<&str> = CREDENTIAL_FLAGS.iter().map(|(flag, _)| *flag).collect();
    for (flag, value) in flag_values(&words, &credential_flag_names) {
        let implies = CREDENTIAL_FLAGS
            .iter()
            .find(|(name, _)| *name == flag)
            .map(|(_, kind)| *kind)
            .unwrap_or(AuthKind::Login);
        let pairs = if matches!(
            flag,
            "--gradio-auth" | "--api-auth" | "--auth" | "--basic-auth"
        ) {
            user_password_pairs(value)
        } else {
            vec![(user_from_flags, value)]
        };
        for (user, password) in pairs {
            facts.credentials.push(CredentialSignal {
                source: format!("arg {flag}"),
                masked: mask_secret(password),
                weakness: weakness_of(password, user.or(user_from_flags)),
                implies,
            });
        }
    }
    let file_flag_names: Vec<&str> = AUTH_FILE_FLAGS.iter().map(|(flag, _)| *flag).collect();
    for (flag, _) in flag_values(&words, &file_flag_names) {
        if let Some((_, kind)) = AUTH_FILE_FLAGS.iter().find(|(name, _)| *name == flag) {
            facts.auth_configured.push((format!("arg {flag}"), *kind));
        }
    }
    // Tokens with a recognisable format passed positionally or under an unknown flag.
    for word in &words {
        let value = word.split_once('=').map_or(word.as_str(), |(_, v)| v);
        if looks_like_token(value)
            && !facts
                .credentials
                .iter()
                .any(|c| c.masked == mask_secret(value))
        {
            facts.credentials.push(CredentialSignal {
                source: "arg (token format)".to_string(),
                masked: mask_secret(value),
                weakness: None,
                implies: AuthKind::ApiKey,
            });
        }
    }

    if has_flag(&words, "--share") {
        facts.share_tunnel = Some("arg --share".to_string());
    }
    if has_flag(&words, "--listen") {
        facts.listen_all = Some("arg --listen".to_string());
    }
    for (flag, value) in flag_values(&words, HOST_FLAGS) {
        if is_all_interfaces(value) {
            facts.listen_all = Some(format!("arg {flag} {value}"));
        }
    }

    for entry in env {
        let (key, value) = entry.split_once('=').unwrap_or((entry.as_str(), ""));
        let upper = key.to_ascii_uppercase();
        match upper.as_str() {
            "GRADIO_SHARE" if truthy(value) => {
                facts.share_tunnel = Some(format!("env {key}={value}"));
                continue;
            }
            "GRADIO_SERVER_NAME" | "HOST" | "LISTEN_ADDR" if is_all_interfaces(value) => {
                facts.listen_all = Some(format!("env {key}={value}"));
                continue;
            }
            _ => {}
        }
        if value.is_empty() {
            continue;
        }
        if is_secret_env_key(key) || looks_like_token(value) {
            let implies = match upper.as_str() {
                "VLLM_API_KEY" | "OPENAI_API_KEY" | "API_KEY" => AuthKind::ApiKey,
                "JUPYTER_TOKEN" | "JUPYTER_PASSWORD" | "GRADIO_PASSWORD" | "GRADIO_AUTH" => {
                    AuthKind::Login
                }
                _ => AuthKind::Unknown,
            };
            let (user, password) = if upper == "GRADIO_AUTH" {
                user_password_pairs(value)
                    .first()
                    .copied()
                    .unwrap_or((None, value))
            } else {
                (None, value)
            };
            let is_password = upper.contains("PASS") || upper.contains("AUTH");
            facts.credentials.push(CredentialSignal {
                source: format!("env {}", crate::util::text::escape(key)),
                masked: mask_secret(password),
                weakness: if is_password {
                    weakness_of(password, user)
                } else {
                    None
                },
                implies,
            });
        }
    }
    // Environment secrets that imply no authentication (a HuggingFace token used to download
    // models, say) are still findings, but they must not make the service look protected.
    facts
}

/// Masks credential values in a command line for display: values of credential flags, `--flag=value`
/// forms and anything with a token format. Other words are kept, escaped.
pub fn mask_argv(argv: &[String]) -> Vec<String> {
    let flag_is_credential = |word: &str| {
        CREDENTIAL_FLAGS
            .iter()
            .any(|(flag, _)| word == *flag || word.to_ascii_lowercase() == *flag)
    };
    let mut masked = Vec::with_capacity(argv.len());
    let mut previous_was_flag = false;
    for arg in argv {
        // Shell-wrapped commands carry flags inside one argument: mask word by word.
        let words: Vec<String> = arg
            .split(' ')
            .map(|word| {
                if previous_was_flag && !word.is_empty() && !word.starts_with("--") {
                    previous_was_flag = false;
                    mask_secret(word.trim_matches(|c| c == '"' || c == '\''))
                } else if let Some((flag, value)) = word.split_once('=')
                    && (flag_is_credential(flag) || is_secret_env_key(flag.trim_start_matches('-')))
                {
                    previous_was_flag = false;
                    format!("{}={}", crate::util::text::escape(flag), mask_secret(value))
                } else if looks_like_token(word) {
                    mask_secret(word)
                } else {
                    if !word.is_empty() {
                        previous_was_flag = flag_is_credential(word);
                    }
                    crate::util::text::escape(word).into_owned()
                }
            })
            .collect();
        masked.push(words.join(" "));
    }
    masked
}

/// Masks the value of `KEY=VALUE` when the key or the value looks secret.
/// Returns the display form and whether anything was masked.
pub fn mask_env_entry(entry: &str) -> (String, bool) {
    let (key, value) = entry.split_once('=').unwrap_or((entry, ""));
    if is_secret_env_key(key) || looks_like_token(value) {
        (format!("{}={}", escape(key), mask_secret(value)), true)
    } else {
        (escape(entry).into_owned(), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn env_key_words() {
        assert!(is_secret_env_key("HF_TOKEN"));
        assert!(is_secret_env_key("VLLM_API_KEY"));
        assert!(is_secret_env_key("WEBUI_PASSWORD"));
        assert!(is_secret_env_key("AWS_SECRET_ACCESS_KEY"));
        assert!(!is_secret_env_key("TOKENIZERS_PARALLELISM"));
        assert!(!is_secret_env_key("PATH"));
        assert!(!is_secret_env_key("PWD"));
        assert!(!is_secret_env_key("KEYBOARD_LAYOUT"));
    }

    #[test]
    fn weak_password_in_launch_args() {
        let facts = analyze_launch(
            &strings(&[
                "python",
                "webui.py",
                "--listen",
                "--username",
                "admin",
                "--password",
                "goldman",
            ]),
            &[],
        );
        assert_eq!(facts.credentials.len(), 1);
        let signal = &facts.credentials[0];
        assert_eq!(signal.source, "arg --password");
        assert_eq!(signal.masked, "g…(7 chars)");
        assert_eq!(signal.weakness.as_deref(), Some("only 7 characters"));
        assert_eq!(facts.listen_all.as_deref(), Some("arg --listen"));
    }

    #[test]
    fn gradio_auth_pairs_and_equals_form() {
        let facts = analyze_launch(
            &strings(&["--gradio-auth=admin:admin,ops:Str0ngPassphrase!"]),
            &[],
        );
        assert_eq!(facts.credentials.len(), 2);
        assert_eq!(
            facts.credentials[0].weakness.as_deref(),
            Some("a well-known default")
        );
        assert_eq!(facts.credentials[1].weakness, None);
        assert_eq!(facts.implied_auth(), Some(AuthKind::Login));
    }

    use crate::util::fixtures::random_token;

    #[test]
    fn shell_wrapped_commands_are_read() {
        let key = random_token("", 32);
        let facts = analyze_launch(
            &strings(&[
                "sh",
                "-c",
                &format!("python launch.py --share --api-key {key}"),
            ]),
            &[],
        );
        assert_eq!(facts.share_tunnel.as_deref(), Some("arg --share"));
        assert_eq!(facts.implied_auth(), Some(AuthKind::ApiKey));
        assert_eq!(
            facts.credentials[0].masked,
            format!("{}…(32 chars)", &key[..4])
        );
    }

    #[test]
    fn env_switches_and_secrets() {
        let facts = analyze_launch(
            &[],
            &strings(&[
                "GRADIO_SHARE=True",
                "GRADIO_SERVER_NAME=0.0.0.0",
                &format!("VLLM_API_KEY={}", random_token("", 32)),
                "TOKENIZERS_PARALLELISM=false",
            ]),
        );
        assert!(facts.share_tunnel.is_some());
        assert!(facts.listen_all.is_some());
        assert_eq!(facts.credentials.len(), 1);
        assert_eq!(facts.credentials[0].source, "env VLLM_API_KEY");
        assert_eq!(facts.implied_auth(), Some(AuthKind::ApiKey));
    }

    #[test]
    fn host_flag_all_interfaces() {
        let facts = analyze_launch(&strings(&["vllm", "serve", "--host", "0.0.0.0"]), &[]);
        assert_eq!(facts.listen_all.as_deref(), Some("arg --host 0.0.0.0"));
        let facts = analyze_launch(&strings(&["vllm", "serve", "--host=127.0.0.1"]), &[]);
        assert_eq!(facts.listen_all, None);
    }

    #[test]
    fn mask_argv_hides_every_credential_form() {
        let secret = random_token("", 32);
        let hf = random_token("hf_", 30);
        let argv = strings(&[
            "python",
            "--password",
            "goldman",
            &format!("--api-key={secret}"),
            &format!("sh -c 'serve --token {secret}'"),
            &hf,
        ]);
        let shown = mask_argv(&argv).join(" ");
        assert!(!shown.contains("goldman"), "{shown}");
        assert!(!shown.contains(&secret), "{shown}");
        assert!(!shown.contains(&hf[..12]), "{shown}");
        assert!(shown.contains("--password g…(7 chars)"), "{shown}");
    }

    #[test]
    fn env_entries_with_secret_keys_are_masked() {
        let token = crate::util::fixtures::random_token("hf_", 32);
        let (shown, masked) = mask_env_entry(&format!("HF_TOKEN={token}"));
        assert!(masked);
        assert_eq!(shown, format!("HF_TOKEN={}…(35 chars)", &token[..4]));
        let (shown, masked) = mask_env_entry("PATH=/usr/bin:/bin");
        assert!(!masked);
        assert_eq!(shown, "PATH=/usr/bin:/bin");
    }
}
