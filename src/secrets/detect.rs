//! The detector: finds secrets in a buffer of bytes.
//!
//! One Aho-Corasick pass over the buffer finds every rule keyword (ASCII, case-insensitive).
//! Each rule's regex then runs only in windows around its keywords' hits (merged where they
//! overlap), so the regex work grows with the number of hits, not with the size of the text.
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
    /// Keyword length per pattern (to place windows).
    keyword_lengths: Vec<usize>,
}

/// How far before a keyword a match may start (the name before `_API_KEY`, `--` before a flag).
const LOOK_BEHIND: usize = 200;

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
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&keywords)
            .map_err(|err| format!("cannot build the keyword automaton: {err}"))?;
        Ok(Detector {
            keyword_lengths: keywords.iter().map(String::len).collect(),
            rules,
            automaton,
            keyword_rules,
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Every secret in `text`, at most one detection per rule and byte range; where rules
    /// overlap the earlier (more specific) rule wins.
    pub fn detect(&self, text: &[u8], kind: TextKind) -> Vec<Detection> {
        // 1. Windows per rule around keyword hits.
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.rules.len()];
        // Overlapping matches: "hf_" inside "HF_TOKEN" must be found as well as the name.
        for hit in self.automaton.find_overlapping_iter(text) {
            let pattern = hit.pattern().as_usize();
            let start = hit.start().saturating_sub(LOOK_BEHIND);
            for &rule in &self.keyword_rules[pattern] {
                let end =
                    (hit.start() + self.keyword_lengths[pattern] + self.rules[rule].max_after)
                        .min(text.len());
                let list = &mut windows[rule];
                match list.last_mut() {
                    Some(last) if start <= last.1 => last.1 = last.1.max(end),
                    _ => list.push((start, end)),
                }
            }
        }
        // 2. The regexes in their windows.
        let mut found: Vec<(usize, usize, usize, bool)> = Vec::new(); // (rule, start, end, bare)
        let mut vetoed: Vec<(usize, usize)> = Vec::new();
        for (rule_index, rule_windows) in windows.iter().enumerate() {
            let rule = &self.rules[rule_index];
            for &(start, end) in rule_windows {
                let window = &text[start..end];
                for captures in rule.regex.captures_iter(window) {
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
                    let at = start + group.start();
                    match self.accepts(rule, secret, bare, kind) {
                        Ok(length) => found.push((rule_index, at, at + length, bare)),
                        Err(Veto::Span(length)) => vetoed.push((at, at + length)),
                        Err(Veto::No) => {}
                    }
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
                    masked: super::mask::mask_secret(&String::from_utf8_lossy(secret)),
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
