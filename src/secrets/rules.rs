//! Secret rules are data: `assets/secret-rules.toml` is embedded, a user file adds rules,
//! replaces one with the same id or switches one off. Each rule compiles to an ASCII byte regex
//! plus the keywords that must be near a match (the prefilter).

use serde::{Deserialize, Serialize};

/// The default rules, embedded at build time.
pub const DEFAULT_RULES: &str = include_str!("../../assets/secret-rules.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// Extra validation a match must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// GitHub's classic tokens end in a CRC32 of their body, base62-encoded.
    GithubChecksum,
    /// Upper-case letters and digits, both present, not just hex: a generated key, not a hash.
    UpperAlnumKey,
}

/// One rule as written in a rule file.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_severity")]
    pub severity: Severity,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub regex: String,
    #[serde(default)]
    pub entropy: f64,
    #[serde(default)]
    pub min_length: Option<usize>,
    #[serde(default)]
    pub max_after: Option<usize>,
    #[serde(default)]
    pub check: Option<Check>,
    #[serde(default)]
    pub bare_in_code: bool,
    #[serde(default)]
    pub low_entropy_ok: bool,
    /// The secret may contain whitespace (key blocks, passphrases).
    #[serde(default)]
    pub spaces_ok: bool,
    #[serde(default)]
    pub rotate: String,
    /// In a user file: switch off the built-in rule with this id.
    #[serde(default)]
    pub disabled: bool,
    /// Given by where a value sits (a credential-named variable), never matched in text: the
    /// only kind of rule that needs no keyword.
    #[serde(default)]
    pub context_only: bool,
}

fn default_severity() -> Severity {
    Severity::High
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub severity: Severity,
    pub keywords: Vec<String>,
    /// The rule's regex, anchored at the start of the haystack.
    pub regex: regex::bytes::Regex,
    pub entropy: f64,
    pub min_length: usize,
    pub max_after: usize,
    pub check: Option<Check>,
    pub bare_in_code: bool,
    pub low_entropy_ok: bool,
    pub spaces_ok: bool,
    pub rotate: String,
}

/// Parses a rule file's text. `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Vec<RuleSpec>, String> {
    toml::from_str::<RuleFile>(text)
        .map(|file| file.rule)
        .map_err(|err| format!("{origin}: {}", err.to_string().trim()))
}

/// The built-in rules with the user's overlaid: same id replaces, `disabled` removes, new ids
/// are appended (after the built-in ones, so specific built-in rules keep precedence).
pub fn merge(mut base: Vec<RuleSpec>, user: Vec<RuleSpec>) -> Vec<RuleSpec> {
    for spec in user {
        match base.iter().position(|b| b.id == spec.id) {
            Some(index) if spec.disabled => {
                base.remove(index);
            }
            Some(index) => base[index] = spec,
            None if spec.disabled => {}
            None => base.push(spec),
        }
    }
    base
}

/// Compiles rule specs. Every problem is reported with the rule id; nothing is half-loaded.
pub fn compile(specs: &[RuleSpec]) -> Result<Vec<Rule>, String> {
    specs
        .iter()
        .map(|spec| {
            if spec.keywords.is_empty() && !spec.context_only {
                return Err(format!(
                    "rule `{}`: needs at least one keyword (the prefilter)",
                    spec.id
                ));
            }
            if let Some(keyword) = spec.keywords.iter().find(|k| !k.is_ascii() || k.is_empty()) {
                return Err(format!(
                    "rule `{}`: keyword `{}` must be non-empty ASCII",
                    spec.id,
                    crate::util::text::escape(keyword)
                ));
            }
            // ASCII-only: `\w`, `\s`, `\b` and classes mean ASCII, and no UTF-8 decoding cost.
            // Anchored: the detector tries each rule only at the start of the word around a
            // keyword hit, so a match costs its own length, not a scan of the text.
            let regex = regex::bytes::RegexBuilder::new(&format!("^(?:{})", spec.regex))
                .unicode(false)
                .size_limit(1 << 22)
                .build()
                .map_err(|err| format!("rule `{}`: bad regex: {err}", spec.id))?;
            Ok(Rule {
                id: spec.id.clone(),
                description: spec.description.clone(),
                severity: spec.severity,
                keywords: spec
                    .keywords
                    .iter()
                    .map(|k| k.to_ascii_lowercase())
                    .collect(),
                regex,
                entropy: spec.entropy,
                min_length: spec
                    .min_length
                    .unwrap_or(if spec.low_entropy_ok { 3 } else { 1 }),
                max_after: spec.max_after.unwrap_or(400),
                check: spec.check,
                bare_in_code: spec.bare_in_code,
                low_entropy_ok: spec.low_entropy_ok,
                spaces_ok: spec.spaces_ok || spec.low_entropy_ok,
                rotate: spec.rotate.clone(),
            })
        })
        .collect()
}

/// The effective rules: built-in, overlaid by the user's file when given.
pub fn load(user_file: Option<&std::path::Path>) -> Result<Vec<Rule>, String> {
    let base = parse(DEFAULT_RULES, "built-in rules")?;
    let specs = match user_file {
        Some(path) => {
            use crate::util::read::{limits, read_regular_text};
            let text = read_regular_text(path, limits::SETTINGS)
                .map_err(|err| format!("rules file {err}"))?;
            merge(base, parse(&text, &path.display().to_string())?)
        }
        None => base,
    };
    compile(&specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_rules_compile_and_cover_the_incident() {
        let rules = load(None).expect("built-in rules compile");
        let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        for id in [
            "huggingface-token",
            "openai-key",
            "anthropic-key",
            "github-token",
            "github-fine-grained-token",
            "gitlab-token",
            "slack-token",
            "aws-access-key-id",
            "aws-secret-access-key",
            "google-api-key",
            "stripe-key",
            "private-key",
            "jwt",
            "bearer-token",
            "url-credentials",
            "cli-password-flag",
            "cli-auth-flag",
            "cli-key-flag",
            "vllm-api-key",
            "huggingface-env",
            "api-key-32",
            "password-assignment",
            "secret-assignment",
        ] {
            assert!(ids.contains(&id), "missing rule {id}");
        }
    }

    #[test]
    fn a_user_file_replaces_disables_and_adds() {
        let base = parse(DEFAULT_RULES, "built-in").expect("parse");
        let user = parse(
            "[[rule]]\nid = \"jwt\"\ndisabled = true\n\n[[rule]]\nid = \"acme-key\"\nkeywords = [\"acme_\"]\nregex = 'acme_[a-z0-9]{20}'\nseverity = \"critical\"\n\n[[rule]]\nid = \"stripe-key\"\nkeywords = [\"sk_live_\"]\nregex = 'sk_live_[0-9a-z]{10}'\nseverity = \"low\"\n",
            "user",
        )
        .expect("parse user");
        let merged = merge(base.clone(), user);
        assert!(!merged.iter().any(|r| r.id == "jwt"));
        assert_eq!(merged.last().map(|r| r.id.as_str()), Some("acme-key"));
        let stripe = merged
            .iter()
            .find(|r| r.id == "stripe-key")
            .expect("stripe");
        assert_eq!(stripe.severity, Severity::Low);
        assert_eq!(merged.len(), base.len());
        assert!(compile(&merged).is_ok());
    }

    #[test]
    fn bad_rules_are_named() {
        let specs = parse(
            "[[rule]]\nid = \"broken\"\nkeywords = [\"x\"]\nregex = '(unclosed'\n",
            "user",
        )
        .expect("parse");
        let error = compile(&specs).expect_err("bad regex");
        assert!(error.contains("rule `broken`"), "{error}");
        let error = parse("[[rule]]\nid = 1\n", "mine.toml").expect_err("type");
        assert!(error.starts_with("mine.toml"), "{error}");
    }
}
