//! `vigil scan secrets` on repositories built here with git2 (secrets generated at run time,
//! never committed): the working tree, the whole history including a deleted branch and a
//! dangling blob, containers, the IOC list, suppression, every output format, and the
//! repository left byte-identical.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/git.rs"]
mod git;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, need_docker, need_tmux, vigil, vigil_bin};
use docker::{Containers, DockerProxy};
use git::{commit_index_on_head, hash_tree};
use git2::{Repository, Signature, Time};
use serde_json::Value;
use std::path::Path;
use tmux::Tmux;

const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn random_from(alphabet: &str, length: usize) -> String {
    let bytes = alphabet.as_bytes();
    let mut raw = vec![0u8; length];
    std::io::Read::read_exact(
        &mut std::fs::File::open("/dev/urandom").expect("urandom"),
        &mut raw,
    )
    .expect("random");
    raw.iter()
        .map(|b| bytes[*b as usize % bytes.len()] as char)
        .collect()
}

/// A vLLM-style key: 32 upper-case letters and digits, with both present.
fn vllm_key() -> String {
    format!("Q7{}", random_from(UPPER_DIGITS, 30))
}

fn word(length: usize) -> String {
    random_from("abcdefghijklmnopqrstuvwxyz", length)
}

fn sha256(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A repository in a temp dir with helpers to write files and commit them.
struct Fixture {
    dir: tempfile::TempDir,
    repo: Repository,
    clock: i64,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init(dir.path()).expect("init");
        Fixture {
            dir,
            repo,
            clock: 1_760_000_000,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, path: &str, text: &str) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }

    /// Stages exactly `add` and removes `remove` from the index, then commits on HEAD.
    fn commit(&mut self, message: &str, add: &[&str], remove: &[&str]) -> git2::Oid {
        let mut index = self.repo.index().expect("index");
        for path in add {
            index.add_path(Path::new(path)).expect("add");
        }
        for path in remove {
            index.remove_path(Path::new(path)).expect("remove");
        }
        self.clock += 50;
        let signature =
            Signature::new("dev", "dev@example.invalid", &Time::new(self.clock, 0)).expect("sig");
        commit_index_on_head(&self.repo, &mut index, &signature, message)
    }
}

fn scan(sandbox: &Sandbox, args: &[&str]) -> (i32, String, String) {
    vigil(sandbox, args)
}

fn findings(json: &str) -> Vec<Value> {
    let value: Value = serde_json::from_str(json).expect("JSON output");
    value["findings"].as_array().expect("findings").clone()
}

fn finding<'a>(all: &'a [Value], secret: &str) -> &'a Value {
    let fingerprint = sha256(secret);
    all.iter()
        .find(|f| f["fingerprint"] == fingerprint.as_str())
        .unwrap_or_else(|| panic!("no finding for a planted secret (fingerprint {fingerprint})"))
}

fn locations(finding: &Value) -> Vec<Value> {
    finding["locations"].as_array().expect("locations").clone()
}

/// The incident, replayed: three generations of vLLM keys, a HuggingFace token, launch-argument
/// passwords, a deleted branch, a dangling blob, decoys.
struct Incident {
    fixture: Fixture,
    key_gen1: String,
    key_gen2: String,
    key_gen3: String,
    hf_token: String,
    compose_password: String,
    gradio_password: String,
    db_password: String,
    dangling_key: String,
    first_commit: String,
}

fn incident() -> Incident {
    let mut fixture = Fixture::new();
    let key_gen1 = vllm_key();
    let key_gen2 = vllm_key();
    let key_gen3 = vllm_key();
    let hf_token = format!("hf_{}", random_from(LETTERS, 34));
    let compose_password = word(7);
    let gradio_password = word(8);
    let db_password = word(9);
    let dangling_key = vllm_key();

    fixture.write(".env", &format!("VLLM_API_KEY={key_gen1}\n"));
    fixture.write(
        "docker-compose.yml",
        &format!(
            "services:\n  sdnext:\n    image: sdnext\n    command:\n      - --listen\n      - --username\n      - admin\n      - --password\n      - {compose_password}\n    environment:\n      - HUGGING_FACE_HUB_TOKEN={hf_token}\n"
        ),
    );
    fixture.write(
        "config/app.ini",
        &format!("[db]\nuser = app\npassword = {db_password}\n"),
    );
    // Decoys, the placeholder assembled here so no token-shaped literal is committed.
    let hf_placeholder = format!("hf_{}", "X".repeat(34));
    let integrity = random_from(&format!("{LETTERS}0123456789+/"), 86);
    fixture.write(
        "decoys.md",
        &format!(
            "Set `--api-key YOUR_API_KEY_HERE` and HF_TOKEN={hf_placeholder}\n\
             request_id: 550e8400-e29b-41d4-a716-446655440000\n\
             commit e83c5163316f89bfbde7d9ab23ca2e25604af290\n\
             \"integrity\": \"sha512-{integrity}==\"\n\
             from huggingface_hub import hf_hub_download\n\
             VLLM_API_KEY=${{VLLM_API_KEY}}\n"
        ),
    );
    let first = fixture.commit(
        "feat",
        &[".env", "docker-compose.yml", "config/app.ini", "decoys.md"],
        &[],
    );
    // The same DB password in two more commits, in a changed file each time.
    fixture.write(
        "config/app.ini",
        &format!("[db]\nuser = app\npassword = {db_password}\npool = 5\n"),
    );
    fixture.write(".env", &format!("VLLM_API_KEY={key_gen2}\n"));
    fixture.commit("refactor", &["config/app.ini", ".env"], &[]);
    fixture.write(
        "config/app.ini",
        &format!("[db]\nuser = app\npassword = {db_password}\npool = 10\n"),
    );
    fixture.commit("chore", &["config/app.ini"], &[]);
    // The .env leaves the tree, is ignored from now on, and a third key lives on disk only.
    fixture.write(".gitignore", ".env\n");
    fixture.commit("fix", &[".gitignore"], &[".env"]);
    fixture.write(".env", &format!("VLLM_API_KEY={key_gen3}\n"));

    // A branch with the web UI's password, deleted afterwards: only dangling objects remain.
    let main_head = fixture.repo.head().expect("head").target().expect("target");
    let main_branch = fixture
        .repo
        .head()
        .expect("head")
        .shorthand()
        .expect("name")
        .to_string();
    {
        let commit = fixture.repo.find_commit(main_head).expect("commit");
        fixture.repo.branch("wip", &commit, false).expect("branch");
    }
    fixture
        .repo
        .set_head("refs/heads/wip")
        .expect("checkout wip");
    fixture.write(
        "run.sh",
        &format!("#!/bin/sh\nexec python app.py --listen --gradio-auth admin:{gradio_password}\n"),
    );
    fixture.commit("update", &["run.sh"], &[]);
    fixture
        .repo
        .set_head(&format!("refs/heads/{main_branch}"))
        .expect("back to main");
    fixture
        .repo
        .find_branch("wip", git2::BranchType::Local)
        .expect("wip")
        .delete()
        .expect("delete wip");
    std::fs::remove_file(fixture.path().join("run.sh")).expect("rm run.sh");
    // Restore the index to main's tree (the wip commit staged run.sh).
    {
        let tree = fixture
            .repo
            .find_commit(main_head)
            .expect("commit")
            .tree()
            .expect("tree");
        let mut index = fixture.repo.index().expect("index");
        index.read_tree(&tree).expect("read tree");
        index.write().expect("write index");
    }
    // A blob in no tree at all (what `git add` then `git reset` leaves behind).
    fixture
        .repo
        .blob(format!("VLLM_API_KEY={dangling_key}\n").as_bytes())
        .expect("blob");
    Incident {
        fixture,
        key_gen1,
        key_gen2,
        key_gen3,
        hf_token,
        compose_password,
        gradio_password,
        db_password,
        dangling_key,
        first_commit: first.to_string(),
    }
}

fn all_secrets(incident: &Incident) -> Vec<&str> {
    vec![
        &incident.key_gen1,
        &incident.key_gen2,
        &incident.key_gen3,
        &incident.hf_token,
        &incident.compose_password,
        &incident.gradio_password,
        &incident.db_password,
        &incident.dangling_key,
    ]
}

#[test]
fn every_planted_secret_is_found_where_it_lives_and_nothing_is_written() {
    let incident = incident();
    let repo = incident.fixture.path();
    let git_before = hash_tree(&repo.join(".git"));
    let sandbox = Sandbox::new();
    let repo_arg = repo.to_str().expect("utf8");
    let (code, stdout, stderr) = scan(
        &sandbox,
        &[
            "scan",
            "secrets",
            "--repo",
            repo_arg,
            "--no-containers",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let all = findings(&stdout);

    // Generation 1: deleted from the tree, alive in history since the first commit.
    let gen1 = finding(&all, &incident.key_gen1);
    let gen1_places = locations(gen1);
    assert!(
        gen1_places.iter().all(|l| l["source"] == "history"),
        "{gen1}"
    );
    assert_eq!(gen1_places[0]["commit"], incident.first_commit.as_str());
    assert_eq!(gen1_places[0]["path"], ".env");
    assert_eq!(gen1_places[0]["in_head"], false);
    assert!(
        gen1_places[0]["refs"]
            .as_array()
            .expect("refs")
            .iter()
            .any(|r| r.as_str().is_some_and(|r| r.starts_with("refs/heads/"))),
        "{gen1}"
    );
    assert_eq!(gen1["severity"], "critical");
    // Generation 2 likewise; generation 3 only on disk, in an ignored file.
    assert!(
        locations(finding(&all, &incident.key_gen2))
            .iter()
            .all(|l| l["source"] == "history")
    );
    let gen3 = locations(finding(&all, &incident.key_gen3));
    assert_eq!(gen3.len(), 1);
    assert_eq!(gen3[0]["source"], "worktree");
    assert_eq!(gen3[0]["status"], "ignored");
    // The HF token and the compose password: in HEAD and in history.
    for secret in [&incident.hf_token, &incident.compose_password] {
        let places = locations(finding(&all, secret));
        assert!(
            places
                .iter()
                .any(|l| l["source"] == "worktree" && l["in_head"] == true)
        );
        assert!(
            places
                .iter()
                .any(|l| l["source"] == "history" && l["in_head"] == true)
        );
    }
    assert_eq!(
        finding(&all, &incident.hf_token)["rule"],
        "huggingface-token"
    );
    assert_eq!(
        finding(&all, &incident.compose_password)["rule"],
        "cli-password-flag"
    );
    // The deleted branch: reachable from no ref.
    let gradio = finding(&all, &incident.gradio_password);
    assert_eq!(gradio["rule"], "cli-auth-flag");
    let gradio_places = locations(gradio);
    assert_eq!(gradio_places.len(), 1);
    assert_eq!(gradio_places[0]["path"], "run.sh");
    assert_eq!(gradio_places[0]["refs"], serde_json::json!([]));
    // The dangling blob.
    let dangling = locations(finding(&all, &incident.dangling_key));
    assert!(
        dangling[0]["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("dangling blob")),
        "{dangling:?}"
    );
    // Three commits, three versions of the file: one finding, three places plus the tree.
    let db = locations(finding(&all, &incident.db_password));
    assert_eq!(
        db.iter().filter(|l| l["source"] == "history").count(),
        3,
        "{db:?}"
    );
    // The committed .env is a finding in itself.
    assert!(
        all.iter()
            .any(|f| f["rule"] == "committed-env-file" && f["masked"] == ".env")
    );
    // Decoys: nothing found in that file.
    let decoy_hits: Vec<&Value> = all
        .iter()
        .filter(|f| locations(f).iter().any(|l| l["path"] == "decoys.md"))
        .collect();
    assert!(decoy_hits.is_empty(), "decoys reported: {decoy_hits:?}");
    // No raw secret anywhere in the output.
    for secret in all_secrets(&incident) {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "raw secret printed"
        );
    }
    assert_eq!(hash_tree(&repo.join(".git")), git_before, ".git changed");
}

#[test]
fn ioc_list_suppression_formats_and_fail_on() {
    let incident = incident();
    let repo = incident.fixture.path();
    let repo_arg = repo.to_str().expect("utf8");
    let sandbox = Sandbox::new();
    let ioc = sandbox.path().join("revoked.txt");
    std::fs::write(
        &ioc,
        format!(
            "# revoked keys\n{}\nsha256:{}\n",
            incident.key_gen1,
            sha256(&incident.key_gen2)
        ),
    )
    .expect("ioc");
    let ignore = sandbox.path().join("ignore.txt");
    std::fs::write(
        &ignore,
        format!(
            "{} staging database, rotated on 2026-11-20\n",
            sha256(&incident.db_password)
        ),
    )
    .expect("ignore");
    let ioc_arg = ioc.to_str().expect("utf8");
    let ignore_arg = ignore.to_str().expect("utf8");
    let base = [
        "scan",
        "secrets",
        "--repo",
        repo_arg,
        "--no-containers",
        "--ioc-file",
        ioc_arg,
        "--ignore-file",
        ignore_arg,
    ];
    let with = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(extra);
        scan(&sandbox, &args)
    };
    let (code, json, stderr) = with(&["--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let all = findings(&json);
    assert_eq!(finding(&all, &incident.key_gen1)["compromised"], true);
    assert_eq!(finding(&all, &incident.key_gen2)["compromised"], true);
    assert_eq!(finding(&all, &incident.key_gen3)["compromised"], false);
    // Compromised first.
    assert_eq!(all[0]["compromised"], true);
    let db = finding(&all, &incident.db_password);
    assert!(
        db["suppressed"]
            .as_str()
            .is_some_and(|r| r.contains("staging database"))
    );
    let summary: Value = serde_json::from_str::<Value>(&json).expect("json")["summary"].clone();
    assert_eq!(summary["compromised"], 2);
    assert_eq!(summary["suppressed"], 1);

    let (code, table, _) = with(&[]);
    assert_eq!(code, 0);
    assert!(table.contains("ROTATE NOW"), "{table}");
    assert!(table.contains("suppressed"), "{table}");

    let (code, sarif, _) = with(&["--format", "sarif"]);
    assert_eq!(code, 0);
    let sarif: Value = serde_json::from_str(&sarif).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "vigil");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), all.len());
    for result in results {
        let rule_index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            run["tool"]["driver"]["rules"][rule_index]["id"],
            result["ruleId"]
        );
        assert!(
            !result["locations"]
                .as_array()
                .expect("locations")
                .is_empty()
        );
        assert!(result["partialFingerprints"]["secretSha256/v1"].is_string());
    }
    for output in [&json, &table, &sarif.to_string()] {
        for secret in all_secrets(&incident) {
            assert!(!output.contains(secret), "raw secret in an output format");
        }
    }

    let (code, _, _) = with(&["--fail-on", "critical"]);
    assert_eq!(code, 3, "critical findings present");
    let (code, _, _) = scan(
        &sandbox,
        &[
            "scan",
            "secrets",
            "--repo",
            repo_arg,
            "--no-containers",
            "--no-history",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
}

#[test]
fn no_history_sees_only_the_tree_and_the_ioc_file_is_never_echoed() {
    let incident = incident();
    let sandbox = Sandbox::new();
    let repo_arg = incident.fixture.path().to_str().expect("utf8");
    let (code, json, _) = scan(
        &sandbox,
        &[
            "scan",
            "secrets",
            "--repo",
            repo_arg,
            "--no-containers",
            "--no-history",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let all = findings(&json);
    let fingerprints: Vec<&str> = all
        .iter()
        .filter_map(|f| f["fingerprint"].as_str())
        .collect();
    assert!(!fingerprints.contains(&sha256(&incident.key_gen1).as_str()));
    assert!(fingerprints.contains(&sha256(&incident.key_gen3).as_str()));
    assert!(json.contains("history not scanned"));
}

#[test]
fn a_damaged_repository_and_a_plain_directory_still_get_scanned() {
    let incident = incident();
    let repo = incident.fixture.path();
    // Garble one loose object: a damaged object database.
    let objects = repo.join(".git/objects");
    let victim = std::fs::read_dir(&objects)
        .expect("objects")
        .flatten()
        .filter(|e| e.file_name().len() == 2)
        .flat_map(|dir| std::fs::read_dir(dir.path()).expect("dir").flatten())
        .next()
        .expect("a loose object");
    let mut permissions = std::fs::metadata(victim.path())
        .expect("meta")
        .permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(victim.path(), permissions).expect("chmod");
    std::fs::write(victim.path(), b"this is not a zlib stream").expect("garble object");
    let sandbox = Sandbox::new();
    let (code, json, stderr) = scan(
        &sandbox,
        &[
            "scan",
            "secrets",
            "--repo",
            repo.to_str().expect("utf8"),
            "--no-containers",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let value: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        value["summary"]["missing_objects"], 1,
        "{}",
        value["summary"]
    );
    assert!(json.contains("could not be read"), "{}", value["summary"]);
    // Everything else was still scanned.
    let all = findings(&json);
    finding(&all, &incident.key_gen3);
    finding(&all, &incident.hf_token);

    let plain = tempfile::tempdir().expect("tempdir");
    let key = vllm_key();
    std::fs::write(plain.path().join(".env"), format!("VLLM_API_KEY={key}\n")).expect("write");
    let (code, json, _) = scan(
        &sandbox,
        &[
            "scan",
            "secrets",
            "--repo",
            plain.path().to_str().expect("utf8"),
            "--no-containers",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let all = findings(&json);
    assert_eq!(locations(finding(&all, &key))[0]["source"], "worktree");
    assert!(json.contains("not a readable git repository"), "{json}");
}

#[test]
#[ignore = "needs a Docker engine"]
fn a_secret_in_three_commits_and_a_container_is_one_finding_with_four_locations() {
    if !need_docker("a_secret_in_three_commits_and_a_container_is_one_finding_with_four_locations")
    {
        return;
    }
    let incident = incident();
    let mut containers = Containers::new();
    let env = format!("DB_PASSWORD={}", incident.db_password);
    let webui_password = word(8);
    let script = "exec /bin/busybox sleep 600";
    // A compose file on this host, named by the container's compose labels.
    let compose_dir = tempfile::tempdir().expect("compose dir");
    let compose_file = compose_dir.path().join("docker-compose.yml");
    let compose_key = vllm_key();
    std::fs::write(
        &compose_file,
        format!("services:\n  vllm:\n    environment:\n      - VLLM_API_KEY={compose_key}\n"),
    )
    .expect("compose file");
    let label = format!(
        "com.docker.compose.project.config_files={}",
        compose_file.display()
    );
    let name = containers.add(
        "secrets",
        &[
            "--init",
            "-e",
            &env,
            "--label",
            "com.docker.compose.project=genai",
            "--label",
            &label,
        ],
        &[
            "/bin/busybox",
            "sh",
            "-c",
            script,
            "webui",
            "--username",
            "admin",
            "--password",
            &webui_password,
        ],
        true,
    );
    // Make the working-tree copy differ from the three committed versions: four locations
    // are the three history ones and the container.
    std::fs::remove_file(incident.fixture.path().join("config/app.ini")).expect("rm");
    let sandbox = Sandbox::new();
    let (code, json, stderr) = scan(
        &sandbox,
        &[
            "scan",
            "secrets",
            "--repo",
            incident.fixture.path().to_str().expect("utf8"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let all = findings(&json);
    let db = finding(&all, &incident.db_password);
    let places = locations(db);
    assert_eq!(places.len(), 4, "{places:?}");
    assert_eq!(
        places.iter().filter(|l| l["source"] == "history").count(),
        3
    );
    let container = places
        .iter()
        .find(|l| l["source"] == "container")
        .expect("container location");
    assert_eq!(container["container"], name.as_str());
    assert_eq!(container["detail"], "env DB_PASSWORD");
    // The launch-argument password of the running container.
    let webui = locations(finding(&all, &webui_password));
    assert_eq!(webui[0]["container"], name.as_str());
    assert_eq!(webui[0]["detail"], "args");
    assert_eq!(webui[0]["running"], true);
    assert!(!json.contains(&webui_password) && !json.contains(&incident.db_password));
    let compose = locations(finding(&all, &compose_key));
    assert_eq!(compose[0]["source"], "compose");
    assert_eq!(compose[0]["path"], compose_file.display().to_string());
    assert!(!json.contains(&compose_key));
}

#[test]
#[ignore = "needs tmux"]
fn the_secrets_pane_of_the_real_binary_never_shows_a_raw_secret() {
    if !need_tmux("the_secrets_pane_of_the_real_binary_never_shows_a_raw_secret") {
        return;
    }
    let incident = incident();
    let sandbox = Sandbox::new();
    let repo = incident.fixture.path().to_str().expect("utf8").to_string();
    let ioc = sandbox.path().join("revoked.txt");
    std::fs::write(&ioc, format!("{}\n", incident.key_gen1)).expect("ioc");
    let command = format!("{} --repo {repo} --ioc-file {}", vigil_bin(), ioc.display());
    let tmux = Tmux::start(&command, &sandbox.env(), 160, 45);
    let wait = std::time::Duration::from_secs(20);
    tmux.wait_for("secret findings in pane 4", wait, |s| {
        s.contains("4 Secret findings") && s.contains(" findings · ") && s.contains("ROTATE")
    });
    let overview = tmux.capture();
    tmux.keys(&["4", "z"]);
    tmux.wait_for("zoomed secrets pane", wait, |s| s.contains("vllm-api-key"));
    let zoomed = tmux.capture();
    tmux.keys(&["Enter"]);
    tmux.wait_for("details of the first finding", wait, |s| {
        s.contains("fingerprint") && s.contains("Lives in")
    });
    let details = tmux.capture();
    for screen in [&overview, &zoomed, &details] {
        for secret in all_secrets(&incident) {
            assert!(!screen.contains(secret), "a raw secret reached the screen");
        }
    }
    assert!(details.contains("COMPROMISED"), "{details}");
    assert!(details.contains(&incident.first_commit), "{details}");
    tmux.keys(&["Escape", "q"]);
}

/// Started inside a repository (no `--repo`), the TUI's secrets pane must show what the
/// containers' launch arguments and environment leak, not only the repository's findings. The
/// engine is made slow (a proxy holds each request), so the repository is read long before the
/// containers are inspected: the first scan that ends must already cover them.
#[test]
#[ignore = "needs Docker and tmux"]
fn a_tui_started_in_a_repository_shows_the_containers_secrets_in_pane_4() {
    let test = "a_tui_started_in_a_repository_shows_the_containers_secrets_in_pane_4";
    if !need_docker(test) || !need_tmux(test) {
        return;
    }
    let mut fixture = Fixture::new();
    let in_repository = vllm_key();
    fixture.write(".env", &format!("VLLM_API_KEY={in_repository}\n"));
    fixture.commit("init", &[".env"], &[]);
    let password = word(10);
    let in_environment = vllm_key();
    let mut containers = Containers::new();
    let env = format!("VLLM_API_KEY={in_environment}");
    let name = containers.add(
        "tui-secrets",
        &["--init", "-e", &env],
        &[
            "/bin/busybox",
            "sh",
            "-c",
            "exec /bin/busybox sleep 600",
            "webui",
            "--listen",
            "--password",
            &password,
        ],
        true,
    );
    let sandbox = Sandbox::new();
    let socket = sandbox.path().join("slow-docker.sock");
    let _proxy = DockerProxy::start_delayed(&socket, std::time::Duration::from_millis(400));
    let mut env = sandbox.env();
    env.push(("DOCKER_HOST".into(), format!("unix://{}", socket.display())));
    let repo = fixture.path().to_str().expect("utf8");
    // No --repo: the repository is the one around the current directory.
    let command = format!("sh -c 'cd {repo} && exec {} --read-only'", vigil_bin());
    let tmux = Tmux::start(&command, &env, 200, 50);
    tmux.keys(&["4", "z"]);
    let wait = std::time::Duration::from_secs(30);
    tmux.wait_for("the first findings in pane 4", wait, |s| {
        s.contains("HEAD .env")
    });
    let first = tmux.capture();
    let container = format!("container {name}");
    assert!(
        first.contains("cli-password-flag") && first.matches(&container).count() >= 2,
        "the first scan to end must cover the container:\n{first}"
    );
    for secret in [&password, &in_environment, &in_repository] {
        assert!(
            !first.contains(secret.as_str()),
            "a raw secret reached the screen"
        );
    }
    tmux.keys(&["q"]);
}

#[test]
fn ignored_dependency_directories_are_skipped_and_said_so_but_ignored_files_are_not() {
    let mut fixture = Fixture::new();
    fixture.write(".gitignore", "node_modules/\n.env\n");
    fixture.commit("init", &[".gitignore"], &[]);
    let in_dependencies = vllm_key();
    let in_env = vllm_key();
    let in_committed_build = vllm_key();
    fixture.write(
        "node_modules/pkg/config.js",
        &format!("VLLM_API_KEY='{in_dependencies}'\n"),
    );
    fixture.write(".env", &format!("VLLM_API_KEY={in_env}\n"));
    fixture.write(
        "build/settings.env",
        &format!("VLLM_API_KEY={in_committed_build}\n"),
    );
    let sandbox = Sandbox::new();
    let (code, json, stderr) = scan(
        &sandbox,
        &[
            "scan",
            "secrets",
            "--repo",
            fixture.path().to_str().expect("utf8"),
            "--no-containers",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let all = findings(&json);
    let fingerprints: Vec<&str> = all
        .iter()
        .filter_map(|f| f["fingerprint"].as_str())
        .collect();
    assert!(!fingerprints.contains(&sha256(&in_dependencies).as_str()));
    assert!(
        fingerprints.contains(&sha256(&in_env).as_str()),
        "ignored files are scanned"
    );
    assert!(
        fingerprints.contains(&sha256(&in_committed_build).as_str()),
        "a build directory git does not ignore is scanned"
    );
    assert!(json.contains("not scanned: node_modules"), "{json}");
}
