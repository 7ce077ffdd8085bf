//! Schema tests: keys, labels, options, which rules apply to which kinds, bounds and patterns.

use serde_json::json;

use super::*;

#[test]
fn the_sample_schema_is_valid_and_round_trips_through_json() {
    let s = sample();
    s.validate().unwrap();
    let back: Schema = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
    assert_eq!(back, s);
}

#[test]
fn unknown_schema_properties_do_not_deserialize() {
    assert!(serde_json::from_value::<Schema>(json!({"fields": [], "x": 1})).is_err());
    assert!(serde_json::from_value::<Schema>(json!({"fields": [field(json!({"help": "x"}))]})).is_err());
    assert!(serde_json::from_value::<Schema>(json!({"fields": [field(json!({"rules": {"step": 1}}))]})).is_err());
    assert!(serde_json::from_value::<Schema>(json!({"fields": [field(json!({"kind": "boolean"}))]})).is_err());
}

#[test]
fn schema_field_count_keys_and_labels() {
    assert_eq!(schema_error(vec![]), "fields must have between 1 and 100 entries");
    let many: Vec<Value> = (0..101).map(|i| field(json!({"key": format!("f{i}")}))).collect();
    assert_eq!(schema_error(many), "fields must have between 1 and 100 entries");
    let hundred: Vec<Value> = (0..100).map(|i| field(json!({"key": format!("f{i}")}))).collect();
    schema(json!({ "fields": hundred })).validate().unwrap();

    assert_eq!(schema_error(vec![field(json!({"key": ""}))]), "fields[0].key is required");
    let format = "fields[0].key must be lowercase letters, digits and _, starting with a letter";
    for bad in ["Bad", "1a", "_a", "a-b", "a b", "é"] {
        assert_eq!(schema_error(vec![field(json!({ "key": bad }))]), format, "{bad}");
    }
    assert_eq!(
        schema_error(vec![field(json!({"key": "a".repeat(41)}))]),
        "fields[0].key must be at most 40 characters"
    );
    schema(json!({"fields": [field(json!({"key": format!("a{}", "_9".repeat(19)) + "z"}))]})).validate().unwrap();
    assert_eq!(
        schema_error(vec![field(json!({"key": "a"})), field(json!({"key": "b"})), field(json!({"key": "a"}))]),
        "fields[2].key is already taken"
    );

    assert_eq!(schema_error(vec![field(json!({"label": "  "}))]), "fields[0].label is required");
    assert_eq!(
        schema_error(vec![field(json!({"label": "x".repeat(81)}))]),
        "fields[0].label must be at most 80 characters"
    );
    assert_eq!(
        schema_error(vec![field(json!({"label": "a\u{7}b"}))]),
        "fields[0].label must not contain control characters"
    );
}

#[test]
fn schema_options() {
    let choice = |options: Value| field(json!({"kind": "single_choice", "options": options}));
    assert_eq!(schema_error(vec![choice(json!([]))]), "fields[0].options must have between 1 and 50 entries");
    let many: Vec<String> = (0..51).map(|i| format!("o{i}")).collect();
    assert_eq!(schema_error(vec![choice(json!(many))]), "fields[0].options must have between 1 and 50 entries");
    assert_eq!(
        schema_error(vec![field(json!({"kind": "multiple_choice"}))]),
        "fields[0].options must have between 1 and 50 entries"
    );
    assert_eq!(schema_error(vec![choice(json!(["a", ""]))]), "fields[0].options[1] is required");
    assert_eq!(schema_error(vec![choice(json!(["a", "a"]))]), "fields[0].options[1] is already taken");
    assert_eq!(
        schema_error(vec![choice(json!([" a"]))]),
        "fields[0].options[0] must be text without spaces at either end"
    );
    assert_eq!(
        schema_error(vec![choice(json!(["x".repeat(81)]))]),
        "fields[0].options[0] must be at most 80 characters"
    );
    assert_eq!(schema_error(vec![choice(json!(["a\nb"]))]), "fields[0].options[0] must not contain control characters");
    assert_eq!(schema_error(vec![field(json!({"options": ["a"]}))]), "fields[0].options does not apply to text fields");
    assert_eq!(
        schema_error(vec![field(json!({"kind": "member", "options": ["a"]}))]),
        "fields[0].options does not apply to member fields"
    );
}

#[test]
fn schema_rules_apply_only_where_they_make_sense() {
    let cases = [
        (
            json!({"kind": "number", "rules": {"pattern": "a"}}),
            "fields[0].rules.pattern does not apply to number fields",
        ),
        (json!({"kind": "text", "rules": {"min": 1}}), "fields[0].rules.min does not apply to text fields"),
        (
            json!({"kind": "date", "rules": {"max_length": 3}}),
            "fields[0].rules.max_length does not apply to date fields",
        ),
        (
            json!({"kind": "money", "rules": {"min_length": 3}}),
            "fields[0].rules.min_length does not apply to money fields",
        ),
        (
            json!({"kind": "single_choice", "options": ["a"], "rules": {"max_count": 1}}),
            "fields[0].rules.max_count does not apply to single_choice fields",
        ),
        (json!({"kind": "text", "rules": {"min_count": 1}}), "fields[0].rules.min_count does not apply to text fields"),
        (json!({"kind": "attachment", "rules": {"max": 3}}), "fields[0].rules.max does not apply to attachment fields"),
    ];
    for (extra, message) in cases {
        assert_eq!(schema_error(vec![field(extra)]), message);
    }
}

#[test]
fn schema_bounds() {
    let cases = [
        (json!({"kind": "number", "rules": {"min": 5, "max": 1}}), "fields[0].rules.min must not be more than max"),
        (json!({"kind": "number", "rules": {"min": "x"}}), "fields[0].rules.min must be a number"),
        (json!({"kind": "number", "rules": {"max": "5"}}), "fields[0].rules.max must be a number"),
        (
            json!({"kind": "money", "rules": {"min": "1.234"}}),
            "fields[0].rules.min must be an amount like 1234.50, with at most 2 decimals",
        ),
        (
            json!({"kind": "money", "rules": {"max": 0.001}}),
            "fields[0].rules.max must be an amount like 1234.50, with at most 2 decimals",
        ),
        (
            json!({"kind": "money", "rules": {"min": "10", "max": 9.99}}),
            "fields[0].rules.min must not be more than max",
        ),
        (json!({"kind": "date", "rules": {"max": "2026-02-30"}}), "fields[0].rules.max must be a date like 2026-12-31"),
        (json!({"kind": "date", "rules": {"min": 20260101}}), "fields[0].rules.min must be a date like 2026-12-31"),
        (
            json!({"kind": "date", "rules": {"min": "2026-02-01", "max": "2026-01-31"}}),
            "fields[0].rules.min must not be more than max",
        ),
        (json!({"rules": {"max_length": 201}}), "fields[0].rules.max_length must be between 1 and 200"),
        (json!({"rules": {"max_length": 0}}), "fields[0].rules.max_length must be between 1 and 200"),
        (
            json!({"kind": "long_text", "rules": {"max_length": 5001}}),
            "fields[0].rules.max_length must be between 1 and 5000",
        ),
        (json!({"rules": {"min_length": 30, "max_length": 20}}), "fields[0].rules.min_length must be between 0 and 20"),
        (json!({"rules": {"min_length": 201}}), "fields[0].rules.min_length must be between 0 and 200"),
        (
            json!({"kind": "multiple_choice", "options": ["a", "b", "c"], "rules": {"max_count": 4}}),
            "fields[0].rules.max_count must be between 1 and 3",
        ),
        (
            json!({"kind": "multiple_choice", "options": ["a", "b", "c"], "rules": {"max_count": 0}}),
            "fields[0].rules.max_count must be between 1 and 3",
        ),
        (
            json!({"kind": "multiple_choice", "options": ["a", "b", "c"], "rules": {"min_count": 3, "max_count": 2}}),
            "fields[0].rules.min_count must be between 0 and 2",
        ),
    ];
    for (extra, message) in cases {
        assert_eq!(schema_error(vec![field(extra.clone())]), message, "{extra}");
    }
    let ok = [
        json!({"kind": "number", "rules": {"min": -1.5, "max": -1.5}}),
        json!({"kind": "money", "rules": {"min": 0, "max": "12.5"}}),
        json!({"kind": "date", "rules": {"min": "2026-01-01", "max": "2026-01-01"}}),
        json!({"kind": "multiple_choice", "options": ["a", "b"], "rules": {"min_count": 2, "max_count": 2}}),
    ];
    for extra in ok {
        schema(json!({"fields": [field(extra)]})).validate().unwrap();
    }
}

#[test]
fn schema_patterns() {
    let pattern = |p: &str| schema_error(vec![field(json!({"rules": {"pattern": p}}))]);
    assert_eq!(pattern("("), "fields[0].rules.pattern must be a valid regular expression");
    assert_eq!(pattern(""), "fields[0].rules.pattern must be a valid regular expression");
    assert_eq!(pattern("a)|(b"), "fields[0].rules.pattern must be a valid regular expression");
    assert_eq!(pattern(&"a".repeat(201)), "fields[0].rules.pattern must be at most 200 characters");
    assert_eq!(pattern(r"\w{1000}"), "fields[0].rules.pattern is too complex; simplify it");
    assert_eq!(pattern("(a{100}){100}"), "fields[0].rules.pattern is too complex; simplify it");
}
