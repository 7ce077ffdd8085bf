//! Value tests: each kind's checks and stored format, required and unknown keys, and references.

use serde_json::json;

use super::*;

#[test]
fn unknown_and_required_values() {
    assert_eq!(value_error(json!({"zzz": 1})), "values.zzz is not a field of this form");
    assert_eq!(value_error(json!({"A B": 1})), "values has a key that is not a field of this form");
    let err = sample().check_values(&Map::new()).unwrap_err();
    assert_eq!(err.to_string(), "values.title is required");
    assert_eq!(err.field(), Some("values.title"));
    for blank in [json!(null), json!(""), json!("   ")] {
        assert_eq!(value_error(json!({ "title": blank })), "values.title is required");
    }
    // Optional fields may be absent, null or empty, and are then left out.
    let v = check(json!({"notes": " ", "qty": null, "amount": "", "tags": [], "files": [], "owner": null})).unwrap();
    assert_eq!(v.as_map().keys().collect::<Vec<_>>(), vec!["title"]);
}

#[test]
fn text_values() {
    assert_eq!(value_error(json!({"title": "x".repeat(21)})), "values.title must be at most 20 characters");
    assert_eq!(value_error(json!({"title": "a"})), "values.title must be at least 2 characters");
    assert_eq!(value_error(json!({"title": "ab1"})), "values.title must be text matching the field's pattern");
    assert_eq!(value_error(json!({"title": "a\nb"})), "values.title must not contain control characters");
    assert_eq!(value_error(json!({"title": 5})), "values.title must be text");
    assert_eq!(value_error(json!({"title": ["ab"]})), "values.title must be text");
    assert_eq!(stored(json!({"title": "  Big Order "}), "title"), json!("Big Order"));

    assert_eq!(stored(json!({"notes": " one\r\ntwo\rthree\tfour\n"}), "notes"), json!("one\ntwo\nthree\tfour"));
    assert_eq!(value_error(json!({"notes": "a\u{0}b"})), "values.notes must not contain control characters");
    assert_eq!(value_error(json!({"notes": "x".repeat(5001)})), "values.notes must be at most 5000 characters");
    assert_eq!(stored(json!({"notes": "é".repeat(5000)}), "notes"), json!("é".repeat(5000)));

    let plain = schema(json!({"fields": [{"key": "t", "label": "T", "kind": "text"}]}));
    let long: Map<String, Value> = [("t".to_owned(), json!("x".repeat(201)))].into_iter().collect();
    assert_eq!(plain.check_values(&long).unwrap_err().to_string(), "values.t must be at most 200 characters");
}

#[test]
fn number_values() {
    assert_eq!(value_error(json!({"qty": "abc"})), "values.qty must be a number");
    assert_eq!(value_error(json!({"qty": "NaN"})), "values.qty must be a number");
    assert_eq!(value_error(json!({"qty": "inf"})), "values.qty must be a number");
    assert_eq!(value_error(json!({"qty": true})), "values.qty must be a number");
    assert_eq!(value_error(json!({"qty": 0})), "values.qty must be between 1 and 100");
    assert_eq!(value_error(json!({"qty": 100.5})), "values.qty must be between 1 and 100");
    assert_eq!(stored(json!({"qty": "7"}), "qty"), json!(7));
    assert_eq!(stored(json!({"qty": 3.0}), "qty"), json!(3));
    assert_eq!(stored(json!({"qty": 2.5}), "qty"), json!(2.5));
    assert_eq!(stored(json!({"qty": " 1e1 "}), "qty"), json!(10));

    let one_sided = schema(json!({"fields": [
        {"key": "lo", "label": "Lo", "kind": "number", "rules": {"min": 0.5}},
        {"key": "hi", "label": "Hi", "kind": "number", "rules": {"max": -2}},
    ]}));
    let err = |k: &str, v: Value| one_sided.check_values(&[(k.to_owned(), v)].into_iter().collect()).unwrap_err();
    assert_eq!(err("lo", json!(0)).to_string(), "values.lo must be at least 0.5");
    assert_eq!(err("hi", json!(-1)).to_string(), "values.hi must be at most -2");
}

#[test]
fn money_values() {
    let format = "values.amount must be an amount like 1234.50, with at most 2 decimals";
    for bad in
        [json!("1.234"), json!("1,000"), json!("1."), json!(".5"), json!("+5"), json!("1e3"), json!("-"), json!(true)]
    {
        assert_eq!(value_error(json!({ "amount": bad })), format, "{bad}");
    }
    assert_eq!(value_error(json!({"amount": "-1"})), "values.amount must be between 0.00 and 10000.00");
    assert_eq!(value_error(json!({"amount": "10000.01"})), "values.amount must be between 0.00 and 10000.00");
    assert_eq!(
        value_error(json!({"amount": "1000000000000"})),
        "values.amount must be between -999999999999.99 and 999999999999.99"
    );
    assert_eq!(stored(json!({"amount": "1234.5"}), "amount"), json!("1234.50"));
    assert_eq!(stored(json!({"amount": " 0007.05 "}), "amount"), json!("7.05"));
    assert_eq!(stored(json!({"amount": 12}), "amount"), json!("12.00"));
    assert_eq!(stored(json!({"amount": 0.1}), "amount"), json!("0.10"));
    assert_eq!(stored(json!({"amount": 10000}), "amount"), json!("10000.00"));
    assert_eq!(stored(json!({"amount": "-0"}), "amount"), json!("0.00"));
}

#[test]
fn date_values() {
    assert_eq!(value_error(json!({"due": "2025-12-31"})), "values.due must be at least 2026-01-01");
    for bad in [json!("2026-02-30"), json!("2026-+1-01"), json!("2026-1-01"), json!("26-01-01"), json!(20260101)] {
        assert_eq!(value_error(json!({ "due": bad })), "values.due must be a date like 2026-12-31", "{bad}");
    }
    assert_eq!(stored(json!({"due": " 2028-02-29 "}), "due"), json!("2028-02-29"));
}

#[test]
fn choice_values() {
    assert_eq!(value_error(json!({"region": "East"})), "values.region must be one of the field's options");
    assert_eq!(value_error(json!({"region": "north"})), "values.region must be one of the field's options");
    assert_eq!(value_error(json!({"region": ["North"]})), "values.region must be one of the field's options");
    assert_eq!(stored(json!({"region": " North "}), "region"), json!("North"));

    assert_eq!(value_error(json!({"tags": "a"})), "values.tags must be a list of the field's options");
    assert_eq!(value_error(json!({"tags": ["a", "z"]})), "values.tags[1] must be one of the field's options");
    assert_eq!(value_error(json!({"tags": ["a", 1]})), "values.tags[1] must be one of the field's options");
    assert_eq!(value_error(json!({"tags": ["a", " a"]})), "values.tags[1] repeats an earlier entry");
    assert_eq!(value_error(json!({"tags": ["a", "b", "c"]})), "values.tags must have between 0 and 2 entries");
    assert_eq!(stored(json!({"tags": ["c", "a"]}), "tags"), json!(["a", "c"]));

    let at_least = schema(json!({"fields": [{"key": "t", "label": "T", "kind": "multiple_choice",
        "options": ["a", "b", "c"], "rules": {"min_count": 2}}]}));
    let one: Map<String, Value> = [("t".to_owned(), json!(["b"]))].into_iter().collect();
    assert_eq!(at_least.check_values(&one).unwrap_err().to_string(), "values.t must have between 2 and 3 entries");
}

#[test]
fn reference_values() {
    assert_eq!(value_error(json!({"owner": "acc_x"})), "values.owner must be an id starting with `mem_`");
    assert_eq!(value_error(json!({"owner": "mem_ABC"})), "values.owner must be an id starting with `mem_`");
    assert_eq!(value_error(json!({"owner": 5})), "values.owner must be an id starting with `mem_`");
    assert_eq!(value_error(json!({"dept": "mem_x"})), "values.dept must be an id starting with `dep_`");
    assert_eq!(value_error(json!({"files": "att_a"})), "values.files must be a list of attachment ids");
    assert_eq!(value_error(json!({"files": ["att_a", "x"]})), "values.files[1] must be an id starting with `att_`");
    assert_eq!(value_error(json!({"files": ["att_a", "att_a"]})), "values.files[1] repeats an earlier entry");
    let eleven: Vec<String> = (0..11).map(|i| format!("att_{i}")).collect();
    assert_eq!(value_error(json!({ "files": eleven })), "values.files must have at most 10 entries");

    let v = check(json!({"owner": " mem_abc ", "dept": "dep_x2", "files": ["att_b", "att_a"]})).unwrap();
    let s = sample();
    assert_eq!(s.member_refs(&v), vec!["mem_abc"]);
    assert_eq!(s.department_refs(&v), vec!["dep_x2"]);
    assert_eq!(s.attachment_refs(&v), vec!["att_b", "att_a"]);
    assert!(s.member_refs(&Values::default()).is_empty());
}

#[test]
fn invalid_schema_reports_its_own_error_when_checking_values() {
    let bad = schema(json!({"fields": [{"key": "x", "label": "", "kind": "text"}]}));
    assert_eq!(bad.check_values(&Map::new()).unwrap_err().to_string(), "fields[0].label is required");
}
