//! What separates a secret from text that only looks like one: placeholders, variable
//! references, example keys, hashes, and checksums that do not add up.

/// Shannon entropy in bits per character.
pub fn entropy(value: &[u8]) -> f64 {
    if value.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for byte in value {
        counts[*byte as usize] += 1;
    }
    let length = value.len() as f64;
    counts
        .iter()
        .filter(|count| **count > 0)
        .map(|count| {
            let p = *count as f64 / length;
            -p * p.log2()
        })
        .sum()
}

/// Marks that mean "a value goes here", not a value. Symbols and long words are looked for
/// anywhere (in one case, as people write them: `EXAMPLE`, `example`); a random key spells a
/// mixed-case `ExAmPlE` far more often than either.
const PLACEHOLDER_MARKS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "example",
    "redacted",
    "replace",
    "your_",
    "your-",
    "yourapi",
    "yourtoken",
    "yourkey",
    "yourpassword",
    "_here",
    "-here",
    "***",
    "...",
    "<",
    ">",
    "{{",
    "}}",
];

/// Short words that are placeholders only as a whole part of the value (`todo`, `my-dummy`),
/// since four random letters spell them now and then.
const PLACEHOLDER_PARTS: &[&str] = &["todo", "fixme", "dummy", "sample", "insert", "test"];

/// Whole values that are not secrets (types, literals, the name of the thing itself).
const NOT_SECRETS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "apikey",
    "api_key",
    "api-key",
    "none",
    "null",
    "nil",
    "true",
    "false",
    "yes",
    "no",
    "undefined",
    "empty",
    "str",
    "string",
    "bool",
    "int",
    "bytes",
    "optional",
    "required",
    "env",
    "value",
    "hidden",
    "masked",
    "default",
];

/// True for placeholders and references: `${VAR}`, `$VAR`, `%VAR%`, `<...>`, `{{ }}`,
/// `changeme`, `xxx`, `hf_XXX`, `YOUR_API_KEY_HERE`, example keys, one repeated character.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if value.is_empty()
        || value.starts_with('$')
        || value.starts_with('%')
        || value.starts_with('@')
        || value.starts_with('&')
        || value.starts_with('*')
        || value.starts_with('{')
        || value.starts_with("#{")
        || value.contains("${")
        || value.contains("$(")
    {
        return true;
    }
    if NOT_SECRETS.contains(&lower.as_str()) {
        return true;
    }
    let first = value.as_bytes()[0];
    if value.bytes().all(|b| b == first) {
        return true;
    }
    // Long values (key blocks, JWTs) are not placeholders for a word they contain by chance:
    // 1,700 characters of base64 hold "todo" or "xxxx" now and then.
    if value.len() > 64 {
        return false;
    }
    if PLACEHOLDER_MARKS
        .iter()
        .any(|mark| value.contains(mark) || value.contains(mark.to_ascii_uppercase().as_str()))
    {
        return true;
    }
    if lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| PLACEHOLDER_PARTS.contains(&part))
    {
        return true;
    }
    // `hf_XXX`, `sk-xxxxxxxx`: a run of x's. A random key holds a short run by chance now and
    // then (four in a row in about one 40-character key of 25,000), so the longer the value,
    // the longer the run it takes.
    let longest_x_run = lower
        .split(|c: char| c != 'x')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let needed = match value.len() {
        0..12 => 3,
        12..20 => 4,
        _ => 6,
    };
    longest_x_run >= needed
}

/// True for values that name something else rather than being a value: `settings.SECRET_KEY`,
/// `os.environ["X"]`, `getenv("X")`, `process.env.TOKEN`, `self.password`.
pub fn is_reference(value: &str) -> bool {
    if value.contains('(') || value.contains('[') {
        return true;
    }
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// UUIDs are identifiers, not credentials, when they stand alone as a generic value.
pub fn is_uuid(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Content hashes and digests (`sha512-…` integrity strings, 40/64-hex git and SHA-256 ids).
pub fn is_hash(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    ["sha1-", "sha256-", "sha384-", "sha512-", "sha256:", "md5-"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
        || (matches!(value.len(), 32 | 40 | 64 | 128)
            && value.bytes().all(|b| b.is_ascii_hexdigit())
            && value.bytes().all(|b| !b.is_ascii_uppercase())
            && value.bytes().any(|b| b.is_ascii_digit()))
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The six-character base62 CRC32 checksum GitHub appends to classic tokens.
pub fn github_checksum(body: &str) -> String {
    let mut value = crc32fast::hash(body.as_bytes()) as u64;
    let mut digits = Vec::new();
    while value > 0 {
        digits.push(BASE62[(value % 62) as usize]);
        value /= 62;
    }
    while digits.len() < 6 {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8_lossy(&digits).into_owned()
}

/// `ghp_` + 30 characters + their checksum.
pub fn github_token_is_valid(token: &str) -> bool {
    let Some(rest) = token.get(4..) else {
        return false;
    };
    rest.len() == 36 && github_checksum(&rest[..30]) == rest[30..]
}

/// A generated key of upper-case letters and digits: both present, and letters beyond A-F (so
/// not an upper-case hex digest).
pub fn is_upper_alnum_key(value: &str) -> bool {
    value.bytes().any(|b| b.is_ascii_digit())
        && value.bytes().any(|b| b.is_ascii_uppercase() && b > b'F')
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// The comments people already write to mark a line as a known, accepted non-secret.
pub const INLINE_PRAGMAS: &[&str] = &[
    "gitleaks:allow",
    "pragma: allowlist secret",
    "kingfisher:ignore",
    "trufflehog:ignore",
    "vigil:ignore",
    "nosec",
];

pub fn has_inline_pragma(line: &[u8]) -> bool {
    let lower = line.to_ascii_lowercase();
    INLINE_PRAGMAS
        .iter()
        .any(|pragma| memchr::memmem::find(&lower, pragma.as_bytes()).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::fixtures::random_token;

    #[test]
    fn placeholders_are_recognised() {
        let hf = crate::util::fixtures::hf_placeholder();
        let (aws_id, _) = crate::util::fixtures::aws_example_keys();
        for value in [
            "${HF_TOKEN}",
            "$VLLM_API_KEY",
            "%PASSWORD%",
            "<your-token>",
            "{{ vault_password }}",
            "{password}",
            "changeme",
            hf.as_str(),
            "YOUR_API_KEY_HERE",
            aws_id.as_str(),
            "********",
            "password",
            "None",
            "aaaaaaaaaaaa",
        ] {
            assert!(is_placeholder(value), "{value}");
        }
        for value in ["goldman", "admin", &random_token("", 32)] {
            assert!(!is_placeholder(value), "{value}");
        }
    }

    #[test]
    fn references_uuids_and_hashes_are_not_secrets() {
        assert!(is_reference("settings.SECRET_KEY"));
        assert!(is_reference("os.environ.get(\"X\")"));
        assert!(!is_reference("goldman"));
        assert!(!is_reference("s3cr3t.pw!"));
        assert!(is_uuid("550e8400-e29b-41d4-a716-446655440000"));
        assert!(is_hash("sha512-abcdefabcdef"));
        assert!(is_hash("e83c5163316f89bfbde7d9ab23ca2e25604af290"));
        assert!(!is_hash(&random_token("", 40)));
    }

    #[test]
    fn github_checksums_are_verified() {
        let body = random_token("", 30);
        let token = format!("ghp_{body}{}", github_checksum(&body));
        assert!(github_token_is_valid(&token));
        let mut wrong = token.clone();
        let last = if wrong.ends_with('0') { "1" } else { "0" };
        wrong.replace_range(39.., last);
        assert!(!github_token_is_valid(&wrong));
    }

    #[test]
    fn upper_alnum_keys_are_not_hex_digests() {
        assert!(is_upper_alnum_key(&format!("Z9{}", random_token("", 30))));
        assert!(!is_upper_alnum_key("0123456789ABCDEF0123456789ABCDEF"));
        assert!(!is_upper_alnum_key("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF"));
        assert!(entropy(b"goldman") < 3.0);
        assert!(entropy(random_token("", 32).as_bytes()) > 3.5);
    }

    #[test]
    fn pragmas_suppress_a_line() {
        assert!(has_inline_pragma(b"KEY=abc # gitleaks:allow"));
        assert!(has_inline_pragma(b"x = 'y'  # pragma: allowlist secret"));
        assert!(!has_inline_pragma(b"KEY=abc"));
    }
}
