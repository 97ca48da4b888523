//! Where vigil keeps its own files (XDG base directories), never inside the suspect repository.

use std::path::PathBuf;

/// `$XDG_CONFIG_HOME/vigil/config.toml`, else `~/.config/vigil/config.toml`.
pub fn default_config_path() -> Option<PathBuf> {
    config_dir().map(|dir| dir.join("config.toml"))
}

/// `$XDG_CONFIG_HOME/vigil`, else `~/.config/vigil`: the config file and user themes.
pub fn config_dir() -> Option<PathBuf> {
    xdg_dir("XDG_CONFIG_HOME", ".config").map(|dir| dir.join("vigil"))
}

/// `$XDG_STATE_HOME/vigil`, else `~/.local/state/vigil`: the log, the audit log, marks, reports.
pub fn state_dir() -> Option<PathBuf> {
    xdg_dir("XDG_STATE_HOME", ".local/state").map(|dir| dir.join("vigil"))
}

/// `$XDG_CACHE_HOME/vigil`, else `~/.cache/vigil`: line counts of commits (immutable, so
/// safe to keep).
pub fn cache_dir() -> Option<PathBuf> {
    xdg_dir("XDG_CACHE_HOME", ".cache").map(|dir| dir.join("vigil"))
}

/// The variable when it holds an absolute path, else `$HOME/<fallback>`.
fn xdg_dir(variable: &str, fallback_under_home: &str) -> Option<PathBuf> {
    std::env::var_os(variable)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|home| !home.is_empty())
                .map(PathBuf::from)
                .map(|home| home.join(fallback_under_home))
        })
}
