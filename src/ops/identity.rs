//! Who is acting, for the audit trail: the effective user, the login user behind sudo, the SSH
//! client address and the host.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user: String,
    /// The user who ran `sudo`, when vigil runs under it.
    pub login_user: Option<String>,
    /// `SSH_CLIENT`/`SSH_CONNECTION`'s client address, when the session came over SSH.
    pub ssh_client: Option<String>,
    pub host: String,
}

fn user_name(uid: u32) -> String {
    sysinfo::Users::new_with_refreshed_list()
        .ok()
        .and_then(|users| {
            users
                .iter()
                .find(|user| **user.id() == uid)
                .map(|user| user.name().to_string())
        })
        .unwrap_or_else(|| uid.to_string())
}

/// The client address from `SSH_CLIENT` ("addr port port") or `SSH_CONNECTION`.
pub fn ssh_client_from(ssh_client: Option<&str>, ssh_connection: Option<&str>) -> Option<String> {
    ssh_client
        .or(ssh_connection)
        .and_then(|value| value.split_whitespace().next())
        .map(|address| crate::util::text::escape(address).into_owned())
}

impl Identity {
    /// `root (sudo by alice)`, or the user alone.
    pub fn display_operator(&self) -> String {
        match &self.login_user {
            Some(login) => format!("{} (sudo by {login})", self.user),
            None => self.user.clone(),
        }
    }

    pub fn current() -> Identity {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Identity {
            user: crate::util::host::effective_uid()
                .map_or_else(|| env("USER").unwrap_or_else(|| "?".into()), user_name),
            login_user: env("SUDO_USER").map(|u| crate::util::text::escape(&u).into_owned()),
            ssh_client: ssh_client_from(
                env("SSH_CLIENT").as_deref(),
                env("SSH_CONNECTION").as_deref(),
            ),
            host: crate::util::host::host_name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_client_address_is_the_first_field() {
        assert_eq!(
            ssh_client_from(Some("203.0.113.7 52144 22"), None).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            ssh_client_from(None, Some("198.51.100.2 4000 10.0.0.1 22")).as_deref(),
            Some("198.51.100.2")
        );
        assert_eq!(ssh_client_from(None, None), None);
    }

    #[test]
    fn current_identity_names_this_process_user() {
        let identity = Identity::current();
        assert!(!identity.user.is_empty());
        assert!(!identity.host.is_empty());
    }
}
