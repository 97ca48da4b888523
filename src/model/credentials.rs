//! What a credential looks like from outside: the names of variables that hold one, the shapes
//! of well-known tokens. Shared by the launch-argument assessment and the secret scanner, so that
//! both call the same value a credential.

/// True for environment variable names that hold credentials. Matching is by `_`-separated word so
/// that `HF_TOKEN` matches and `TOKENIZERS_PARALLELISM` does not.
pub fn is_secret_env_key(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    let words: Vec<&str> = upper.split(['_', '-', '.']).collect();
    let has = |word: &str| words.contains(&word);
    if upper == "PWD" || upper == "OLDPWD" {
        return false;
    }
    has("TOKEN")
        || has("PASSWORD")
        || has("PASSWD")
        || has("PASS")
        || has("SECRET")
        || has("APIKEY")
        || has("CREDENTIALS")
        || has("AUTH")
        || (has("KEY") && (has("API") || has("ACCESS") || has("PRIVATE") || has("SECRET")))
}

/// True for values that look like a well-known token format, whatever the variable is called.
pub fn looks_like_token(value: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "hf_",
        "sk-",
        "ghp_",
        "gho_",
        "ghs_",
        "github_pat_",
        "glpat-",
        "xoxb-",
        "xoxp-",
        "AKIA",
        "ASIA",
        "AIza",
        "r8_",
    ];
    value.len() >= 20
        && !value.contains(char::is_whitespace)
        && PREFIXES.iter().any(|prefix| value.starts_with(prefix))
}
