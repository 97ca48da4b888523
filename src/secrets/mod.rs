//! Secret handling. The full scanner arrives with the secret-findings pane; what is here is the
//! part every pane needs already: masking, so no raw secret ever reaches the screen or a report.

pub mod mask;

/// Secrets for unit tests, generated at run time so none is ever committed.
#[cfg(test)]
pub mod fixtures {
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
}
