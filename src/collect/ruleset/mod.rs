//! The host's firewall rule set, read-only (listing changes nothing, so observer mode reads it
//! too) and reduced to `model::firewall`:
//!
//! - `nft -j list ruleset` (`nft`): every nftables table, vigil's own included;
//! - `iptables-save` and `ip6tables-save` (`iptables`): the iptables tables (`filter`, `raw`,
//!   `mangle`, `nat`, `security`), legacy or iptables-nft. Those read as JSON would hide their
//!   `xt` matches (Docker's `--ctstate RELATED,ESTABLISHED` among them), so where both list them
//!   the iptables text wins.

mod iptables;
mod nft;
pub mod watch;

pub use iptables::parse_save;
pub use nft::parse_nft_json;

use crate::model::firewall::{Family, Ruleset};

/// Why the rule set could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesetError {
    #[error("`{0}` is not installed")]
    NoTool(&'static str),
    #[error("`{tool}` failed: {said}")]
    Failed { tool: &'static str, said: String },
    #[error("`nft -j list ruleset` printed no JSON vigil can read: {0}")]
    Unreadable(String),
}

/// The tables iptables (legacy or nft) owns.
const IPTABLES_TABLES: &[&str] = &["filter", "raw", "mangle", "nat", "security"];

/// Reads the whole rule set of this network namespace: nftables, and the iptables tables from
/// their own tools. Either may be missing; both missing is an error.
pub fn read_host() -> Result<Ruleset, RulesetError> {
    let nft = run("nft", &["-j", "list", "ruleset"]).and_then(|out| parse_nft_json(&out));
    let v4 = run("iptables-save", &[]).map(|out| parse_save(&String::from_utf8_lossy(&out), false));
    let v6 = run("ip6tables-save", &[]).map(|out| parse_save(&String::from_utf8_lossy(&out), true));
    if let (Err(err), Err(_)) = (&nft, &v4) {
        return Err(err.clone());
    }
    Ok(merge(
        nft.unwrap_or_default(),
        [v4.ok(), v6.ok()].into_iter().flatten(),
    ))
}

/// The nftables rule set with its iptables-owned tables replaced by what iptables-save says.
pub fn merge(mut nft: Ruleset, iptables: impl IntoIterator<Item = Ruleset>) -> Ruleset {
    for saved in iptables {
        let family = saved.chains.first().map(|c| c.family);
        nft.chains.retain(|c| {
            Some(c.family) != family
                || !matches!(c.family, Family::Ip | Family::Ip6)
                || !IPTABLES_TABLES.contains(&c.table.as_str())
        });
        nft.chains.extend(saved.chains);
    }
    nft
}

/// The interfaces an outside packet may arrive on: every interface but loopback and Docker's
/// own (`docker0`, `br-…` bridges, `veth…` pairs).
pub fn outside_interfaces() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    n != "lo" && n != "docker0" && !n.starts_with("br-") && !n.starts_with("veth")
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn run(tool: &'static str, args: &[&str]) -> Result<Vec<u8>, RulesetError> {
    let output = std::process::Command::new(tool)
        .args(args)
        .output()
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => RulesetError::NoTool(tool),
            _ => RulesetError::Failed {
                tool,
                said: err.to_string(),
            },
        })?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        return Err(RulesetError::Failed {
            tool,
            said: crate::util::text::one_line(&said, 200),
        });
    }
    Ok(output.stdout)
}
