//! The detector: finds secrets in a buffer of bytes.
//!
//! One Aho-Corasick pass over the buffer finds every rule keyword (ASCII, case-insensitive).
//! Each rule's regex, anchored, is then tried only at the start of the word around each of its
//! keywords' hits, so the regex work grows with the number of hits, not the size of the text.
//! A match becomes a `Detection` at once: the raw secret is hashed and masked here and never
//! leaves this module.

use super::filters;
use super::rules::{Check, Rule};
use aho_corasick::AhoCorasick;
use sha2::{Digest, Sha256};

/// What kind of text a buffer holds: in source code an unquoted value after `password =` is a
/// variable, in a config file it is the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    Code,
    Config,
}

const CODE_EXTENSIONS: &[&str] = &[
    "py", "pyi", "js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "rs", "java", "kt", "kts", "scala",
    "rb", "php", "c", "h", "cc", "cpp", "hpp", "cs", "swift", "m", "mm", "lua", "pl", "r", "jl",
    "dart", "ex", "exs", "erl", "clj", "groovy", "vue", "svelte", "ipynb",
];

impl TextKind {
    /// Guesses from the file name.
    pub fn of_path(path: &str) -> TextKind {
        let name = path.rsplit('/').next().unwrap_or(path);
        match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => {
                if CODE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) {
                    TextKind::Code
                } else {
                    TextKind::Config
                }
            }
            _ => TextKind::Config,
        }
    }
}

/// One secret found in a buffer. No raw secret: its SHA-256 and masked form only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// Index of the rule in the detector's rule list.
    pub rule: usize,
    /// Lowercase hex SHA-256 of the exact secret bytes.
    pub fingerprint: String,
    pub masked: String,
    /// 1-based line of the secret's first byte.
    pub line: u32,
    /// The line carries a pragma such as `gitleaks:allow`.
    pub pragma: bool,
    /// The value was unquoted (`password = x`): in source code that is usually a variable.
    pub bare: bool,
}

/// Compiled rules plus the keyword automaton.
pub struct Detector {
    rules: Vec<Rule>,
    automaton: AhoCorasick,
    /// For each automaton pattern, the rules that listed that keyword.
    keyword_rules: Vec<Vec<usize>>,
}

/// How far back from a keyword the start of its word is looked for.
const WORD_LIMIT: usize = 256;

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-' | b'+')
}

/// The start of the word around `at`: back over letters, digits and `_ . - +` (identifier,
/// flag, token and URL-scheme characters), at most `WORD_LIMIT` bytes.
fn word_start(text: &[u8], at: usize) -> usize {
    let floor = at.saturating_sub(WORD_LIMIT);
    let mut start = at;
    while start > floor && is_word_byte(text[start - 1]) {
        start -= 1;
    }
    start
}

impl Detector {
    pub fn new(rules: Vec<Rule>) -> Result<Detector, String> {
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            for keyword in &rule.keywords {
                match keywords.iter().position(|k| k == keyword) {
                    Some(at) => keyword_rules[at].push(index),
                    None => {
                        keywords.push(keyword.clone());
                        keyword_rules.push(vec![index]);
                    }
                }
            }
        }
        // A full DFA: a few dozen short keywords make a small one, and it is the fastest kind
        // for the overlapping search the detector needs.
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&keywords)
            .map_err(|err| format!("cannot build the keyword automaton: {err}"))?;
        Ok(Detector {
            rules,
            automaton,
            keyword_rules,
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The whole of `value` as a finding of the rule `rule_id` (when it is enabled): for values
    /// known to be secrets from where they sit (a credential-named environment variable), whose
    /// bytes no pattern need recognise. Fingerprinted on the exact bytes.
    pub fn whole_value(&self, rule_id: &str, value: &[u8]) -> Option<Detection> {
        let rule = self.rules.iter().position(|rule| rule.id == rule_id)?;
        Some(Detection {
            rule,
            fingerprint: fingerprint(value),
            masked: crate::util::mask::mask_secret(&String::from_utf8_lossy(value)),
            line: 1,
            pragma: false,
            bare: false,
        })
    }

    /// Every secret in `text`, at most one detection per byte range; where rules overlap the
    /// earlier (more specific) rule wins.
    pub fn detect(&self, text: &[u8], kind: TextKind) -> Vec<Detection> {
        // 1. Anchors per rule: the start of the word around each keyword hit (`OPENAI_API_KEY`
        //    for a hit on `key`, `--password` for `--`, the scheme of a URL for `://`).
        let mut anchors: Vec<Vec<usize>> = vec![Vec::new(); self.rules.len()];
        // Overlapping: `hf_` inside `HF_TOKEN` and `pass` inside `--password` count as well.
        for hit in self.automaton.find_overlapping_iter(text) {
            let anchor = word_start(text, hit.start());
            for &rule in &self.keyword_rules[hit.pattern().as_usize()] {
                let list = &mut anchors[rule];
                if list.last() != Some(&anchor) {
                    list.push(anchor);
                }
            }
        }
        // 2. Each rule's anchored regex at each of its anchors.
        let mut found: Vec<(usize, usize, usize, bool)> = Vec::new(); // (rule, start, end, bare)
        let mut vetoed: Vec<(usize, usize)> = Vec::new();
        for (rule_index, rule_anchors) in anchors.iter_mut().enumerate() {
            if rule_anchors.is_empty() {
                continue;
            }
            rule_anchors.sort_unstable();
            rule_anchors.dedup();
            let rule = &self.rules[rule_index];
            for &anchor in rule_anchors.iter() {
                let end = (anchor + WORD_LIMIT + rule.max_after).min(text.len());
                let window = &text[anchor..end];
                // Most anchors do not match: the DFA says so cheaply; capture groups are
                // resolved only over a span known to match.
                let Some(matched) = rule.regex.find(window) else {
                    continue;
                };
                let window = &window[..matched.end()];
                let Some(captures) = rule.regex.captures(window) else {
                    continue;
                };
                let (group, bare) = match (
                    captures.name("secret").or_else(|| captures.name("secret2")),
                    captures.name("bare"),
                ) {
                    (Some(group), _) => (group, false),
                    (None, Some(group)) => (group, true),
                    (None, None) => match captures.get(0) {
                        Some(group) => (group, false),
                        None => continue,
                    },
                };
                let secret = &window[group.start()..group.end()];
                let at = anchor + group.start();
                match self.accepts(rule, secret, bare, kind) {
                    Ok(length) => found.push((rule_index, at, at + length, bare)),
                    Err(Veto::Span(length)) => vetoed.push((at, at + length)),
                    Err(Veto::No) => {}
                }
            }
        }
        // 3. One detection per byte range: the earliest rule wins an overlap.
        found.sort_by_key(|(rule, start, end, _)| (*rule, *start, *end));
        found.dedup_by_key(|(rule, start, end, _)| (*rule, *start, *end));
        let mut kept: Vec<(usize, usize, usize, bool)> = Vec::new();
        for (rule, start, end, bare) in found {
            let overlaps = kept.iter().any(|(_, s, e, _)| start < *e && *s < end)
                || vetoed.iter().any(|(s, e)| start < *e && *s < end);
            if !overlaps {
                kept.push((rule, start, end, bare));
            }
        }
        kept.sort_by_key(|(_, start, _, _)| *start);
        let mut line = 1u32;
        let mut counted_to = 0usize;
        kept.into_iter()
            .map(|(rule, start, end, bare)| {
                line += memchr::memchr_iter(b'\n', &text[counted_to..start]).count() as u32;
                counted_to = start;
                let line_start = memchr::memrchr(b'\n', &text[..start]).map_or(0, |i| i + 1);
                let line_end =
                    memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
                let secret = &text[start..end];
                Detection {
                    rule,
                    fingerprint: fingerprint(secret),
                    masked: crate::util::mask::mask_secret(&String::from_utf8_lossy(secret)),
                    line,
                    pragma: filters::has_inline_pragma(&text[line_start..line_end]),
                    bare,
                }
            })
            .collect()
    }

    /// The rule's filters: length, entropy, placeholders, references, checksums. Returns the
    /// secret's length once the syntax around it (a closing quote or bracket) is trimmed.
    fn accepts(
        &self,
        rule: &Rule,
        secret: &[u8],
        bare: bool,
        kind: TextKind,
    ) -> Result<usize, Veto> {
        if bare && kind == TextKind::Code && !rule.bare_in_code {
            return Err(Veto::No);
        }
        let value = std::str::from_utf8(secret).map_err(|_| Veto::No)?;
        let value = value.trim_end_matches(['"', '\'', ')', '`']);
        if value.len() < rule.min_length
            || filters::is_placeholder(value)
            || (bare && filters::is_reference(value))
            || value.starts_with('-')
            // `passwd::pw_gecos`, `token: cpuid::InitToken`: paths and type names.
            || value.starts_with(':')
            || (bare && value.contains("::"))
            // Keys and tokens have no spaces (`"invalid token"` is a message); passwords may.
            || (!rule.spaces_ok && value.contains(char::is_whitespace))
        {
            return Err(Veto::No);
        }
        if !rule.low_entropy_ok && filters::entropy(value.as_bytes()) < rule.entropy {
            return Err(Veto::No);
        }
        if rule.low_entropy_ok && value.len() < 6 && value.bytes().all(|b| b.is_ascii_digit()) {
            // `--pass 1`, `password: 0`: flags and counters, not passwords.
            return Err(Veto::No);
        }
        if matches!(rule.id.as_str(), "secret-assignment" | "cli-key-flag")
            && (filters::is_uuid(value) || filters::is_hash(value))
        {
            return Err(Veto::No);
        }
        let valid = match rule.check {
            Some(Check::GithubChecksum) => filters::github_token_is_valid(value),
            Some(Check::UpperAlnumKey) => filters::is_upper_alnum_key(value),
            None => true,
        };
        match (valid, rule.check) {
            (true, _) => Ok(value.len()),
            // A GitHub-shaped token whose checksum does not add up is not a GitHub token, and
            // no generic rule may report it either.
            (false, Some(Check::GithubChecksum)) => Err(Veto::Span(value.len())),
            (false, _) => Err(Veto::No),
        }
    }
}

/// Why a candidate was rejected.
enum Veto {
    /// Just not this rule.
    No,
    /// These bytes (of this length) are known not to be a secret: no other rule may claim them.
    Span(usize),
}

/// Lowercase hex SHA-256 of the exact bytes.
pub fn fingerprint(secret: &[u8]) -> String {
    let digest = Sha256::digest(secret);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// True when the first 8000 bytes contain a NUL: binary content, not scanned.
pub fn looks_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8000)]).is_some()
}
