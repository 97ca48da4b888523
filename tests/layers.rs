//! The folders of `src/` are layers and data flows one way: a module may use only the layers
//! below it. This test reads every source file and fails on a reference to a layer the file's
//! own layer may not use (`crate::tui` from `timeline/`, say), so the layout cannot rot quietly.
//! `docs/ARCHITECTURE.md` explains each layer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each layer and the layers it may use, lowest first.
const LAYERS: &[(&str, &[&str])] = &[
    ("util", &[]),
    ("model", &["util"]),
    ("collect", &["util", "model"]),
    ("git", &["util", "model"]),
    ("assess", &["util", "model"]),
    ("secrets", &["util", "model", "git"]),
    ("timeline", &["util", "model", "git", "secrets"]),
    ("ops", &["util", "model", "collect"]),
    (
        "config",
        &["util", "model", "collect", "secrets", "timeline", "ops"],
    ),
    (
        "incident",
        &[
            "util", "model", "collect", "git", "assess", "secrets", "timeline", "ops", "config",
        ],
    ),
    (
        "report",
        &[
            "util", "model", "collect", "git", "assess", "secrets", "timeline", "ops", "config",
            "incident",
        ],
    ),
    (
        "cli",
        &[
            "util", "model", "collect", "git", "assess", "secrets", "timeline", "ops", "config",
            "incident", "report",
        ],
    ),
    (
        "tui",
        &[
            "util", "model", "collect", "git", "assess", "secrets", "timeline", "ops", "config",
            "incident", "report",
        ],
    ),
];

/// Files allowed directly under `src/`: the entry points.
const ENTRY_FILES: &[&str] = &["lib.rs", "main.rs"];

fn allowed(layer: &str) -> Option<&'static [&'static str]> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == layer)
        .map(|(_, uses)| *uses)
}

/// The top-level modules a source text refers to through `crate::` paths, including the
/// members of `use crate::{a::b, c}` groups.
fn crate_references(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        // `vigil::crate::` cannot occur; `$crate::` in macros is not ours.
        let preceded_by_ident = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        if !preceded_by_ident {
            if let Some(group) = after.strip_prefix('{') {
                found.extend(group_members(group));
            } else {
                found.extend(leading_identifier(after));
            }
        }
        rest = after;
    }
    found
}

/// The identifier `text` starts with, if it starts with one.
fn leading_identifier(text: &str) -> Option<String> {
    let name: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The first path segment of each member of a `{ ... }` use group (up to its closing brace).
fn group_members(group: &str) -> Vec<String> {
    let mut depth = 0;
    let mut members = Vec::new();
    let mut current = String::new();
    let mut at_start = true;
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_start = true,
            c if at_start && (c.is_alphanumeric() || c == '_') => current.push(c),
            _ if at_start && !current.is_empty() => {
                members.push(std::mem::take(&mut current));
                at_start = false;
            }
            _ => {}
        }
    }
    if !current.is_empty() {
        members.push(current);
    }
    members
}

/// `super::` paths that climb out of a top-level module reach the crate root: `super::x` in
/// `src/tui/mod.rs` is `crate::x`.
fn root_references_through_super(relative: &Path, source: &str) -> BTreeSet<String> {
    // How many `super::` reach the crate root: one per segment of the file's module path
    // (`tui/app.rs` is `crate::tui::app`: two; `tui/mod.rs` is `crate::tui`: one).
    let file = relative.file_name().and_then(|f| f.to_str()).unwrap_or("");
    let depth = relative.iter().count() - usize::from(file == "mod.rs");
    if depth == 0 {
        return BTreeSet::new();
    }
    let mut found = BTreeSet::new();
    let climb = "super::".repeat(depth);
    let mut rest = source;
    while let Some(at) = rest.find(&climb) {
        let after = &rest[at + climb.len()..];
        if !after.starts_with("super::") {
            found.extend(leading_identifier(after));
        }
        rest = after;
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every violation in the tree under `src`, one line each.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for path in files {
        let relative = path.strip_prefix(src).expect("under src");
        let mut components = relative.iter();
        let first = components.next().and_then(|c| c.to_str()).unwrap_or("");
        if relative.components().count() == 1 {
            if !ENTRY_FILES.contains(&first) {
                problems.push(format!(
                    "src/{first}: only entry files ({}) belong directly in src/; give it a layer",
                    ENTRY_FILES.join(", ")
                ));
            }
            continue;
        }
        let Some(uses) = allowed(first) else {
            problems.push(format!(
                "src/{first}/ is not a known layer: add it to LAYERS"
            ));
            continue;
        };
        let source = std::fs::read_to_string(&path).expect("read source");
        let mut referenced = crate_references(&source);
        referenced.extend(root_references_through_super(relative, &source));
        for module in referenced {
            if module != first && allowed(&module).is_some() && !uses.contains(&module.as_str()) {
                problems.push(format!(
                    "src/{}: uses crate::{module}, but {first} may use only: {}",
                    relative.display(),
                    if uses.is_empty() {
                        "nothing".to_string()
                    } else {
                        uses.join(", ")
                    }
                ));
            }
        }
    }
    problems
}

#[test]
fn no_layer_reaches_up() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = violations(&src);
    assert!(
        problems.is_empty(),
        "{} layering problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_checker_sees_every_form_of_reference() {
    let source = "use crate::{tui::app::App, util};\nfn f() { crate::cli::run(); }\n\
                  // $crate::ignored\nuse super::super::super::report::x;";
    let found = crate_references(source);
    assert!(
        found.contains("tui") && found.contains("util") && found.contains("cli"),
        "{found:?}"
    );
    assert!(!found.contains("ignored"));
    let climbed = root_references_through_super(Path::new("timeline/sub/file.rs"), source);
    assert_eq!(
        climbed.into_iter().collect::<Vec<_>>(),
        vec!["report".to_string()]
    );
    let nested = crate_references("use crate::{a::{b, c}, d::e};");
    assert_eq!(nested.into_iter().collect::<Vec<_>>(), vec!["a", "d"]);
}

#[test]
fn a_lower_layer_reaching_up_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("timeline")).expect("mkdir");
    std::fs::write(
        src.join("timeline/mod.rs"),
        "use crate::tui::text::truncate;\n",
    )
    .expect("write");
    std::fs::write(src.join("stray.rs"), "").expect("write");
    std::fs::write(src.join("lib.rs"), "").expect("write");
    let problems = violations(src);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("src/timeline/mod.rs: uses crate::tui"))
    );
    assert!(problems.iter().any(|p| p.starts_with("src/stray.rs")));
}
