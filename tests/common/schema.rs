//! The report's JSON Schema (assets/report.schema.json), checked with a validator.

/// Checks a report or `scan all` JSON against the schema documented in assets/.
pub fn assert_matches_report_schema(json: &serde_json::Value) {
    let errors = report_schema_errors(json);
    assert!(
        errors.is_empty(),
        "report does not match its schema:\n{}",
        errors.join("\n")
    );
}

/// What the report schema finds wrong with `json`.
pub fn report_schema_errors(json: &serde_json::Value) -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/report.schema.json"
    ))
    .expect("schema file");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator
        .iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
