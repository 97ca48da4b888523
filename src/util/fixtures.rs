//! Secrets for unit tests, generated at run time so none is ever committed.

/// `length` random upper-case letters and digits after `prefix` (like a vLLM key, or
/// `hf_` + 32 for a HuggingFace token).
pub fn random_token(prefix: &str, length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bytes = vec![0u8; length];
    let mut urandom = std::fs::File::open("/dev/urandom").expect("urandom");
    std::io::Read::read_exact(&mut urandom, &mut bytes).expect("read urandom");
    let body: String = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("{prefix}{body}")
}

/// `length` random characters from `alphabet`.
pub fn random_from(alphabet: &[u8], length: usize) -> String {
    let mut bytes = vec![0u8; length];
    let mut urandom = std::fs::File::open("/dev/urandom").expect("urandom");
    std::io::Read::read_exact(&mut urandom, &mut bytes).expect("read urandom");
    bytes
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

/// A PEM block around `body`, its armour assembled here so no key-shaped literal is
/// committed.
pub fn pem_block(label: &str, body: &str) -> String {
    let dashes = "-".repeat(5);
    format!(
        "{dashes}BEGIN {label} PRIVATE KEY{dashes}{body}{dashes}END {label} PRIVATE KEY{dashes}\n"
    )
}

/// The placeholder people put in example files: `hf_` and 34 x's.
pub fn hf_placeholder() -> String {
    format!("hf_{}", "X".repeat(34))
}

/// AWS's documented example credentials (id, secret), assembled at run time.
pub fn aws_example_keys() -> (String, String) {
    let example = "EXAMPLE";
    (
        format!("AKIA{}{example}", "IOSFODNN7"),
        format!("wJalrXUtnFEMI/K7MDENG/bPxRfiCY{example}KEY"),
    )
}

pub const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
