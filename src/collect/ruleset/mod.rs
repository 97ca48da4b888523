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
    let v4_text = run("iptables-save", &[]).map(|out| String::from_utf8_lossy(&out).into_owned());
    // Its header says which backend `iptables` is: `(legacy)` or `(nf_tables)`.
    let primary_is_legacy = v4_text.as_ref().is_ok_and(|t| t.contains("(legacy)"));
    let v4 = v4_text.map(|text| parse_save(&text, false));
    let v6 = run("ip6tables-save", &[]).map(|out| parse_save(&String::from_utf8_lossy(&out), true));
    if let (Err(err), Err(_)) = (&nft, &v4) {
        return Err(err.clone());
    }
    let mut ruleset = merge(
        nft.unwrap_or_default(),
        [v4.ok(), v6.ok()].into_iter().flatten(),
    );
    // Where `iptables` is the nft variant, legacy tables may still be loaded beside it (an older
    // Docker, a distribution's firewall service): the kernel runs both, so both count.
    for (tool, v6) in [
        ("iptables-legacy-save", false),
        ("ip6tables-legacy-save", true),
    ] {
        if primary_is_legacy {
            break;
        }
        if let Ok(out) = run(tool, &[]) {
            ruleset
                .chains
                .extend(legacy_chains(&String::from_utf8_lossy(&out), v6));
        }
    }
    Ok(ruleset)
}

/// The legacy backend's chains, when it holds anything (a rule or a policy other than accept),
/// their tables named `filter (legacy)` so they never mix with the nft variant's.
pub fn legacy_chains(text: &str, v6: bool) -> Vec<crate::model::firewall::Chain> {
    let mut chains = parse_save(text, v6).chains;
    let in_use = chains
        .iter()
        .any(|c| !c.rules.is_empty() || c.base.as_ref().is_some_and(|b| b.policy_drops));
    if !in_use {
        return Vec::new();
    }
    for chain in &mut chains {
        chain.table = format!("{} (legacy)", chain.table);
    }
    chains
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
