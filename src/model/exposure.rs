use serde::Serialize;
use std::net::IpAddr;

/// Who can reach a socket, judged from the address it is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Exposure {
    /// Nothing published.
    None,
    /// Bound to loopback only.
    Local,
    /// Bound to every interface (`0.0.0.0`, `::`) or to a non-loopback address.
    Public,
}

impl Exposure {
    /// The marker shown in the narrow column after a name.
    pub fn marker(self) -> &'static str {
        match self {
            Exposure::Public => "PUBLIC",
            Exposure::Local => "LOCAL",
            Exposure::None => "NONE",
        }
    }
}

/// Classifies a bind address as Docker or the kernel holds it. An empty string is what Docker
/// reports for "all interfaces" in some API versions, so it counts as public.
pub fn exposure_of_ip(host_ip: &str) -> Exposure {
    let trimmed = host_ip.trim().trim_start_matches('[').trim_end_matches(']');
    if trimmed.is_empty() {
        return Exposure::Public;
    }
    match trimmed.parse::<IpAddr>() {
        Ok(ip) if ip.is_loopback() => Exposure::Local,
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) if v4.is_loopback() => Exposure::Local,
            _ => Exposure::Public,
        },
        // Unparseable addresses are treated as reachable: never under-report exposure.
        _ => Exposure::Public,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_bind_addresses() {
        assert_eq!(exposure_of_ip("0.0.0.0"), Exposure::Public);
        assert_eq!(exposure_of_ip("::"), Exposure::Public);
        assert_eq!(exposure_of_ip("[::]"), Exposure::Public);
        assert_eq!(exposure_of_ip(""), Exposure::Public);
        assert_eq!(exposure_of_ip("192.168.1.20"), Exposure::Public);
        assert_eq!(exposure_of_ip("127.0.0.1"), Exposure::Local);
        assert_eq!(exposure_of_ip("127.0.1.1"), Exposure::Local);
        assert_eq!(exposure_of_ip("::1"), Exposure::Local);
        assert_eq!(exposure_of_ip("::ffff:127.0.0.1"), Exposure::Local);
        assert_eq!(exposure_of_ip("not-an-ip"), Exposure::Public);
    }

    #[test]
    fn public_outranks_local_outranks_none() {
        assert!(Exposure::Public > Exposure::Local);
        assert!(Exposure::Local > Exposure::None);
    }
}
