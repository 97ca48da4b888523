//! Every rule's positive and negative cases, with secrets generated at run time.

use super::detect::{Detector, TextKind, fingerprint};
use super::filters::github_checksum;
use super::rules;
use crate::util::fixtures::{BASE62, LETTERS, random_from, random_token};

fn detector() -> Detector {
    Detector::new(rules::load(None).expect("rules")).expect("detector")
}

/// (rule id, fingerprint) of every detection in `text` read as the file `path`.
fn found(detector: &Detector, path: &str, text: &str) -> Vec<(String, String)> {
    detector
        .detect(text.as_bytes(), TextKind::of_path(path))
        .into_iter()
        .map(|d| (detector.rules()[d.rule].id.clone(), d.fingerprint))
        .collect()
}

/// Asserts that exactly `secret` is found in `text`, by `rule`.
fn assert_finds(detector: &Detector, path: &str, text: &str, rule: &str, secret: &str) {
    let got = found(detector, path, text);
    assert_eq!(
        got,
        vec![(rule.to_string(), fingerprint(secret.as_bytes()))],
        "in {path}: {}",
        text.replace(secret, "<SECRET>")
    );
}

fn assert_nothing(detector: &Detector, path: &str, text: &str) {
    let got = found(detector, path, text);
    assert!(got.is_empty(), "in {path}: {text:?} gave {got:?}");
}

fn lower_word(length: usize) -> String {
    random_from(b"abcdefghijklmnopqrstuvwxyz", length)
}

#[test]
fn provider_tokens() {
    let d = detector();
    let hf = format!("hf_{}", random_from(LETTERS, 34));
    assert_finds(
        &d,
        "app.py",
        &format!("token = \"{hf}\"\n"),
        "huggingface-token",
        &hf,
    );
    assert_finds(
        &d,
        ".env",
        &format!("HF_TOKEN={hf}\n"),
        "huggingface-token",
        &hf,
    );
    assert_finds(
        &d,
        "compose.yml",
        &format!("      - HUGGING_FACE_HUB_TOKEN={hf}\n"),
        "huggingface-token",
        &hf,
    );
    let org = format!("api_org_{}", random_from(LETTERS, 34));
    assert_finds(
        &d,
        "x.txt",
        &format!("use {org} here"),
        "huggingface-org-token",
        &org,
    );

    let openai = format!(
        "sk-proj-{}T3BlbkFJ{}",
        random_from(BASE62, 40),
        random_from(BASE62, 40)
    );
    assert_finds(
        &d,
        "a.sh",
        &format!("export OPENAI_API_KEY={openai}\n"),
        "openai-key",
        &openai,
    );
    let legacy = format!(
        "sk-{}T3BlbkFJ{}",
        random_from(BASE62, 20),
        random_from(BASE62, 20)
    );
    assert_finds(
        &d,
        "a.md",
        &format!("key {legacy} end"),
        "openai-key",
        &legacy,
    );

    let anthropic = format!("sk-ant-api03-{}AA", random_from(BASE62, 93));
    assert_finds(
        &d,
        "a.txt",
        &format!("ANTHROPIC_API_KEY='{anthropic}'"),
        "anthropic-key",
        &anthropic,
    );

    let body = random_from(BASE62, 30);
    let github = format!("ghp_{body}{}", github_checksum(&body));
    assert_finds(
        &d,
        "ci.yml",
        &format!("token: {github}\n"),
        "github-token",
        &github,
    );
    let fine = format!(
        "github_pat_{}_{}",
        random_from(BASE62, 22),
        random_from(BASE62, 59)
    );
    assert_finds(
        &d,
        "x.txt",
        &format!("pat={fine}"),
        "github-fine-grained-token",
        &fine,
    );
    let gitlab = format!("glpat-{}", random_from(BASE62, 20));
    assert_finds(
        &d,
        "x.txt",
        &format!("GITLAB {gitlab}\n"),
        "gitlab-token",
        &gitlab,
    );
    let digits = |n| random_from(b"0123456789", n);
    let slack = format!(
        "xoxb-{}-{}-{}",
        digits(12),
        digits(13),
        random_from(BASE62, 24)
    );
    assert_finds(
        &d,
        "bot.txt",
        &format!("slack {slack}\n"),
        "slack-token",
        &slack,
    );
    let aws_id = format!(
        "AKIA{}",
        random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    );
    let aws_secret = random_from(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+",
        40,
    );
    let credentials =
        format!("[default]\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n");
    let got = found(&d, "credentials", &credentials);
    assert!(
        got.contains(&("aws-access-key-id".into(), fingerprint(aws_id.as_bytes()))),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "aws-secret-access-key".into(),
            fingerprint(aws_secret.as_bytes())
        )),
        "{got:?}"
    );
    assert_eq!(got.len(), 2, "{got:?}");
    let google = format!("AIza{}", random_from(BASE62, 35));
    assert_finds(
        &d,
        "maps.js",
        &format!("const k = \"{google}\";"),
        "google-api-key",
        &google,
    );
    let stripe = format!("sk_live_{}", random_from(BASE62, 24));
    assert_finds(
        &d,
        "pay.rb",
        &format!("Stripe.api_key = '{stripe}'"),
        "stripe-key",
        &stripe,
    );
}

#[test]
fn structured_secrets() {
    let d = detector();
    let body: Vec<String> = (0..6).map(|_| random_from(BASE62, 64)).collect();
    let pem_body = format!("\n{}\n", body.join("\n"));
    let pem = crate::util::fixtures::pem_block("RSA", &pem_body);
    assert_finds(&d, "id_rsa", &pem, "private-key", &pem_body);

    let jwt = format!(
        "eyJ{}.eyJ{}.{}",
        random_from(BASE62, 20),
        random_from(BASE62, 40),
        random_from(BASE62, 43)
    );
    assert_finds(&d, "notes.txt", &format!("session {jwt}\n"), "jwt", &jwt);

    let bearer = random_from(BASE62, 40);
    assert_finds(
        &d,
        "curl.sh",
        &format!("curl -H 'Authorization: Bearer {bearer}' https://api.internal/\n"),
        "bearer-token",
        &bearer,
    );
    let password = format!("{}-{}", lower_word(6), random_token("", 4));
    assert_finds(
        &d,
        "settings.ini",
        &format!("url = postgres://app:{password}@db.internal:5432/app\n"),
        "url-credentials",
        &password,
    );
}

#[test]
fn launch_arguments_in_every_form() {
    let d = detector();
    // Short, low-entropy, human passwords: the context says "password", so they count.
    let password = lower_word(7);
    for (path, text) in [
        (
            "run.sh",
            format!("python launch.py --listen --username admin --password {password}\n"),
        ),
        (
            "run.sh",
            format!("webui.sh --password={password} --port 7860\n"),
        ),
        (
            "compose.json",
            format!("{{\"command\": [\"--port\", \"7860\", \"--password\", \"{password}\"]}}"),
        ),
        (
            "docker-compose.yml",
            format!("    command: [\"--password\", \"{password}\"]\n"),
        ),
        (
            "docker-compose.yml",
            format!("    command:\n      - --listen\n      - --password\n      - {password}\n"),
        ),
        (
            "docker-compose.yml",
            format!("    entrypoint:\n      - \"--password\"\n      - \"{password}\"\n"),
        ),
    ] {
        assert_finds(&d, path, &text, "cli-password-flag", &password);
    }
    let gradio = lower_word(8);
    assert_finds(
        &d,
        "start.sh",
        &format!("python app.py --gradio-auth admin:{gradio} --listen\n"),
        "cli-auth-flag",
        &gradio,
    );
    assert_finds(
        &d,
        "compose.yaml",
        &format!("    command: [\"--auth\", \"ops:{gradio}\"]\n"),
        "cli-auth-flag",
        &gradio,
    );
    let key = random_from(BASE62, 24);
    assert_finds(
        &d,
        "serve.sh",
        &format!("vllm serve m --api-key {key}\n"),
        "cli-key-flag",
        &key,
    );
    assert_finds(
        &d,
        "serve.sh",
        &format!("tool --token={key}\n"),
        "cli-key-flag",
        &key,
    );
    // The incident's vLLM key shape wins over the generic flag rule when it is the value.
    let vllm = format!("Q7{}", random_token("", 30));
    assert_finds(
        &d,
        "serve.sh",
        &format!("vllm serve m --api-key {vllm}\n"),
        "api-key-32",
        &vllm,
    );
}

#[test]
fn environment_and_assignments() {
    let d = detector();
    let vllm = format!("K9{}", random_token("", 30));
    assert_finds(
        &d,
        ".env",
        &format!("VLLM_API_KEY={vllm}\n"),
        "vllm-api-key",
        &vllm,
    );
    assert_finds(
        &d,
        "env.profile",
        &format!("export VLLM_API_KEY=\"{vllm}\"\n"),
        "vllm-api-key",
        &vllm,
    );
    let password = lower_word(7);
    for (path, text) in [
        (".env", format!("POSTGRES_PASSWORD={password}\n")),
        ("config.yaml", format!("db:\n  password: {password}\n")),
        (
            "config.json",
            format!("{{\"user\": \"app\", \"password\": \"{password}\"}}"),
        ),
        ("app.ini", format!("[db]\npassword = {password}\n")),
        ("settings.py", format!("DB_PASSWORD = \"{password}\"\n")),
    ] {
        assert_finds(&d, path, &text, "password-assignment", &password);
    }
    let secret = random_from(BASE62, 40);
    assert_finds(
        &d,
        ".env.production",
        &format!("SECRET_KEY={secret}\n"),
        "secret-assignment",
        &secret,
    );
    assert_finds(
        &d,
        "app.toml",
        &format!("client_secret = \"{secret}\"\n"),
        "secret-assignment",
        &secret,
    );
    let key32 = format!("A1{}", random_token("", 30));
    assert_finds(
        &d,
        "values.yaml",
        &format!("apiKey: {key32}\n"),
        "api-key-32",
        &key32,
    );
}

#[test]
fn decoys_are_not_reported() {
    let d = detector();
    let hex40: String = random_from(b"0123456789abcdef", 40);
    let body = random_from(BASE62, 30);
    let mut wrong = format!("ghp_{body}{}", github_checksum(&body));
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(39.., last);
    let (aws_id, aws_secret) = crate::util::fixtures::aws_example_keys();
    for (path, text) in [
        ("a.yaml", "api_key: 550e8400-e29b-41d4-a716-446655440000\n".to_string()),
        ("a.yaml", format!("token: {hex40}\n")),
        ("package-lock.json", format!("\"integrity\": \"sha512-{}==\"", random_from(BASE62, 86))),
        ("a.html", format!("<img src=\"data:image/png;base64,iVBORw0KGgo{}\">", random_from(BASE62, 300))),
        ("a.py", "from huggingface_hub import hf_hub_download\npath = hf_hub_download(repo_id=x)\n".to_string()),
        (".env.example", format!("HF_TOKEN={}\nVLLM_API_KEY=${{VLLM_API_KEY}}\n", crate::util::fixtures::hf_placeholder())),
        ("README.md", "Run with `--api-key YOUR_API_KEY_HERE` or `--password <password>`.\n".to_string()),
        ("README.md", "OPENAI_API_KEY=changeme\nPASSWORD=changeme\n".to_string()),
        ("aws.md", format!("aws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n")),
        ("app.py", "password = get_password()\nsecret_key = settings.SECRET_KEY\ntoken = os.environ[\"TOKEN\"]\n".to_string()),
        ("app.py", "def login(password: str, token: Optional[str]):\n    password = password.strip()\n".to_string()),
        ("ci.yml", format!("token: {wrong}\n")),
        ("run.sh", "exec server --password \"$ADMIN_PASSWORD\" --api-key=$VLLM_API_KEY\n".to_string()),
        ("flags.txt", "--password --verbose\n--pass 1\n".to_string()),
        ("hash.txt", "commit e83c5163316f89bfbde7d9ab23ca2e25604af290\n".to_string()),
        ("lib.rs", "            Error::Token => \"invalid token value here\",\n".to_string()),
        ("README.md", "let token: cpuid_aes_sha::InitToken = cpuid_aes_sha::init();\n".to_string()),
        ("CHANGELOG.md", "- `libc::passwd::pw_gecos` are supported\n".to_string()),
        ("x.stderr", "error: unexpected token: \"[year] [month] [day]\"\n".to_string()),
    ] {
        assert_nothing(&d, path, &text);
    }
}

#[test]
fn pragmas_mark_detections_and_lines_are_counted() {
    let d = detector();
    let key = random_from(BASE62, 40);
    let text = format!("# config\n\nSECRET_KEY={key}  # gitleaks:allow\nAPI_TOKEN={key}x\n");
    let detections = d.detect(text.as_bytes(), TextKind::Config);
    assert_eq!(detections.len(), 2, "{detections:?}");
    assert_eq!((detections[0].line, detections[0].pragma), (3, true));
    assert_eq!((detections[1].line, detections[1].pragma), (4, false));
    // Masked form: at most four leading characters and the length.
    assert_eq!(detections[0].masked, format!("{}…(40 chars)", &key[..4]));
}

#[test]
fn a_long_minified_line_is_scanned_in_bounded_windows() {
    let d = detector();
    let key = random_from(BASE62, 40);
    let mut text = String::new();
    for i in 0..5000 {
        text.push_str(&format!("{{\"key{i}\":\"v\"}},"));
    }
    text.push_str(&format!("\"client_secret\":\"{key}\""));
    let got = found(&d, "bundle.min.js", &text);
    assert_eq!(
        got,
        vec![("secret-assignment".to_string(), fingerprint(key.as_bytes()))]
    );
}
