//! Which paths matter: the sensitive ones an intruder edits (deploy scripts, compose files, env
//! profiles, tool parsers, CI), the generated ones that do not count towards a change's size
//! (vendored code, lock files), and the binaries that are ordinary in a repository (images,
//! fonts). All are globs from the config; matching is on the path inside the repository.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The globs that make a path sensitive unless the config says otherwise.
pub const DEFAULT_SENSITIVE: &[&str] = &[
    // Tool-call parsers: where a model's output becomes an action.
    "**/*tool*parser*",
    "**/tool_parsers/**",
    "**/*tool_call*",
    // Images and how they run.
    "**/Dockerfile",
    "**/Dockerfile.*",
    "**/*.dockerfile",
    "**/Containerfile",
    "**/docker-compose*.yml",
    "**/docker-compose*.yaml",
    "**/compose.yml",
    "**/compose.yaml",
    "**/compose.*.yml",
    "**/compose.*.yaml",
    // Environment files and profiles (SD web UIs read their launch flags from webui-user.*).
    "**/.env",
    "**/.env.*",
    "**/*.env",
    "**/.envrc",
    "**/webui-user.sh",
    "**/webui-user.bat",
    "**/.profile",
    "**/.bashrc",
    "**/.bash_profile",
    "**/.zshrc",
    "**/profile.d/**",
    // Deploy and install scripts.
    "**/*.ps1",
    "**/*.psm1",
    "**/*.sh",
    "**/*.bat",
    "**/*.cmd",
    "**/install*",
    "**/setup.py",
    "**/requirements*.txt",
    // CI and hooks.
    ".github/workflows/**",
    "**/.gitlab-ci.yml",
    "**/Jenkinsfile",
    ".circleci/**",
    "**/azure-pipelines.yml",
    ".husky/**",
    "**/.pre-commit-config.yaml",
    // Persistence.
    "**/authorized_keys",
    "**/.ssh/**",
    "**/crontab",
    "**/cron.d/**",
    "**/*.service",
];

/// Generated or vendored files: their size says nothing about the author's change.
pub const DEFAULT_SIZE_EXCLUDED: &[&str] = &[
    "**/vendor/**",
    "**/node_modules/**",
    "**/third_party/**",
    "**/*.lock",
    "**/package-lock.json",
    "**/pnpm-lock.yaml",
    "**/go.sum",
    "**/*.min.js",
    "**/*.min.css",
    "**/*.map",
    "**/*_pb2.py",
    "**/*.pb.go",
];

/// Binaries that belong in a repository (artwork, fonts, documents).
pub const DEFAULT_ORDINARY_BINARIES: &[&str] = &[
    "**/*.png",
    "**/*.jpg",
    "**/*.jpeg",
    "**/*.gif",
    "**/*.ico",
    "**/*.webp",
    "**/*.bmp",
    "**/*.svg",
    "**/*.woff",
    "**/*.woff2",
    "**/*.ttf",
    "**/*.otf",
    "**/*.eot",
    "**/*.pdf",
];

/// Files whose removed lines weaken what git (or docker build) keeps out.
const IGNORE_FILES: &[&str] = &[".gitignore", ".dockerignore"];

/// The compiled globs.
#[derive(Debug, Clone)]
pub struct PathRules {
    sensitive: GlobSet,
    sensitive_patterns: Vec<String>,
    size_excluded: GlobSet,
    ordinary_binaries: GlobSet,
}

fn compile(patterns: &[String], what: &str) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern)
            // `*` stays inside one directory; `**/` crosses them.
            .literal_separator(true)
            .case_insensitive(true)
            .build()
            .map_err(|err| format!("{what}: bad glob {pattern:?}: {err}"))?;
        builder.add(glob);
    }
    builder.build().map_err(|err| format!("{what}: {err}"))
}

impl PathRules {
    pub fn new(
        sensitive: &[String],
        size_excluded: &[String],
        ordinary_binaries: &[String],
    ) -> Result<PathRules, String> {
        Ok(PathRules {
            sensitive: compile(sensitive, "timeline.sensitive_paths")?,
            sensitive_patterns: sensitive.to_vec(),
            size_excluded: compile(size_excluded, "timeline.size_excluded_paths")?,
            ordinary_binaries: compile(ordinary_binaries, "timeline.ordinary_binaries")?,
        })
    }

    /// The first glob that makes `path` sensitive.
    pub fn sensitive_because(&self, path: &str) -> Option<&str> {
        self.sensitive
            .matches(path)
            .first()
            .map(|index| self.sensitive_patterns[*index].as_str())
    }

    pub fn is_size_excluded(&self, path: &str) -> bool {
        self.size_excluded.is_match(path)
    }

    pub fn is_ordinary_binary(&self, path: &str) -> bool {
        self.ordinary_binaries.is_match(path)
    }

    /// `.gitignore` or `.dockerignore`, at any depth.
    pub fn is_ignore_file(path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        IGNORE_FILES.contains(&name)
    }
}

pub fn owned(patterns: &[&str]) -> Vec<String> {
    patterns.iter().map(|p| p.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> PathRules {
        PathRules::new(
            &owned(DEFAULT_SENSITIVE),
            &owned(DEFAULT_SIZE_EXCLUDED),
            &owned(DEFAULT_ORDINARY_BINARIES),
        )
        .expect("defaults compile")
    }

    #[test]
    fn sensitive_paths_of_the_incident() {
        let rules = defaults();
        for path in [
            "vllm/entrypoints/openai/tool_parsers/hermes_tool_parser.py",
            "deploy/docker-compose.yml",
            "docker-compose.gpu.yaml",
            "compose.yaml",
            ".env",
            "services/whisper/.env.production",
            "scripts/deploy.ps1",
            "install.sh",
            ".github/workflows/release.yml",
            "sdnext/webui-user.sh",
            "Dockerfile",
            "images/comfyui/Dockerfile.cuda",
        ] {
            assert!(rules.sensitive_because(path).is_some(), "{path}");
        }
        for path in [
            "README.md",
            "src/server.py",
            "docs/env.md",
            "tests/test_api.py",
        ] {
            assert!(rules.sensitive_because(path).is_none(), "{path}");
        }
    }

    #[test]
    fn size_exclusions_and_ordinary_binaries() {
        let rules = defaults();
        assert!(rules.is_size_excluded("web/package-lock.json"));
        assert!(rules.is_size_excluded("Cargo.lock"));
        assert!(rules.is_size_excluded("third_party/cutlass/include/a.h"));
        assert!(!rules.is_size_excluded("src/lock.rs"));
        assert!(rules.is_ordinary_binary("docs/logo.PNG"));
        assert!(!rules.is_ordinary_binary("tools/payload.exe"));
        assert!(PathRules::is_ignore_file("web/.gitignore"));
        assert!(!PathRules::is_ignore_file("gitignore.md"));
    }

    #[test]
    fn a_bad_glob_is_named() {
        let error = PathRules::new(&["[".to_string()], &[], &[]).expect_err("bad glob");
        assert!(error.contains("timeline.sensitive_paths"), "{error}");
    }
}
