//! Submission list tests: filters, totals and CSV cells.

use serde_json::json;

use super::*;
use crate::form::scalars::money_text;
use crate::form::totals::divide_rounded;

fn filtered(query: &str) -> Vec<String> {
    let f = Filter::parse_query(&sample(), query).unwrap();
    rows().iter().filter(|r| f.matches(r)).map(|r| r.get("title").unwrap().as_str().unwrap().to_owned()).collect()
}

#[test]
fn filters_match() {
    assert_eq!(filtered("amount:ge:50"), vec!["Bolts", "Washers"]);
    assert_eq!(filtered("amount:lt:50.00"), vec!["Nuts"]);
    assert_eq!(filtered("amount:eq:0.05"), vec!["Nuts"]);
    assert_eq!(filtered("amount:ne:0.05"), vec!["Bolts", "Washers", "Gears"]);
    assert_eq!(filtered("qty:gt:2.5"), vec!["Bolts"]);
    assert_eq!(filtered("qty:le:2.5"), vec!["Nuts"]);
    assert_eq!(filtered("due:lt:2026-03-02"), vec!["Bolts"]);
    assert_eq!(filtered("region:eq:North"), vec!["Bolts", "Washers"]);
    assert_eq!(filtered("region:ne:North"), vec!["Nuts", "Gears"]);
    assert_eq!(filtered("tags:has:b"), vec!["Bolts", "Nuts"]);
    assert_eq!(filtered("title:contains:OL"), vec!["Bolts"]);
    assert_eq!(filtered("title:eq:Gears"), vec!["Gears"]);
    assert_eq!(filtered("notes:contains:rush order"), vec!["Washers"]);
    assert_eq!(filtered("owner:eq:mem_x"), vec!["Nuts"]);
    let f = Filter::parse(&sample(), " amount ", " ge ", " 50 ").unwrap();
    assert_eq!((f.field(), f.op()), ("amount", FilterOp::Ge));
}

#[test]
fn filter_values_may_contain_colons() {
    let s = schema(json!({"fields": [{"key": "note", "label": "Note", "kind": "text"}]}));
    let f = Filter::parse_query(&s, "note:contains:a:b").unwrap();
    let row = |t: &str| s.check_values(&[("note".to_owned(), json!(t))].into_iter().collect()).unwrap();
    assert!(f.matches(&row("xA:By")));
    assert!(!f.matches(&row("a b")));
}

#[test]
fn filter_errors() {
    let s = sample();
    let err = |q: &str| Filter::parse_query(&s, q).unwrap_err().to_string();
    assert_eq!(err("amount"), "filter must be field:op:value, like amount:ge:100");
    assert_eq!(err("amount:ge"), "filter must be field:op:value, like amount:ge:100");
    assert_eq!(err("nope:eq:1"), "filter.nope is not a field of this form");
    assert_eq!(err("No Pe:eq:1"), "filter has a key that is not a field of this form");
    assert_eq!(err("amount:contains:1"), "filter.amount takes only the operators: eq, ne, gt, ge, lt, le");
    assert_eq!(err("title:gt:a"), "filter.title takes only the operators: eq, ne, contains");
    assert_eq!(err("tags:eq:a"), "filter.tags takes only the operators: has");
    assert_eq!(err("region:xx:a"), "filter.region takes only the operators: eq, ne");
    assert_eq!(err("files:eq:att_a"), "filter.files cannot be filtered");
    assert_eq!(err("amount:ge: "), "filter.amount is required");
    assert_eq!(err("amount:ge:1.234"), "filter.amount must be an amount like 1234.50, with at most 2 decimals");
    assert_eq!(err("qty:ge:many"), "filter.qty must be a number");
    assert_eq!(err("due:ge:2026-13-01"), "filter.due must be a date like 2026-12-31");
    assert_eq!(err("region:eq:East"), "filter.region must be one of the field's options");
    assert_eq!(err("tags:has:z"), "filter.tags must be one of the field's options");
    assert_eq!(err("owner:eq:dep_x"), "filter.owner must be an id starting with `mem_`");
    assert_eq!(err("dept:eq:mem_x"), "filter.dept must be an id starting with `dep_`");
    assert_eq!(err(&format!("title:contains:{}", "x".repeat(201))), "filter.title must be at most 200 characters");
    assert_eq!(err("title:contains:a\u{1}"), "filter.title must not contain control characters");
}

#[test]
fn filters_tolerate_values_of_another_type() {
    let old = Values::from_trusted(
        [("amount".to_owned(), json!(true)), ("qty".to_owned(), json!("many"))].into_iter().collect(),
    );
    let s = sample();
    assert!(!Filter::parse_query(&s, "amount:ge:0").unwrap().matches(&old));
    assert!(Filter::parse_query(&s, "amount:ne:0").unwrap().matches(&old));
    assert!(!Filter::parse_query(&s, "qty:eq:1").unwrap().matches(&old));
    assert!(!Filter::parse_query(&s, "tags:has:a").unwrap().matches(&old));
}

#[test]
fn aggregates() {
    let s = sample();
    let rows = rows();
    let all = aggregate(&s, &rows, None, Some("amount")).unwrap();
    assert_eq!(
        all,
        vec![Group {
            key: String::new(),
            count: 4,
            sum: Some(Amount::Money("150.15".into())),
            average: Some(Amount::Money("50.05".into())),
        }]
    );
    let by_region = aggregate(&s, &rows, Some("region"), Some("qty")).unwrap();
    let got: Vec<_> = by_region.iter().map(|g| (g.key.as_str(), g.count, g.sum.clone(), g.average.clone())).collect();
    assert_eq!(
        got,
        vec![
            ("", 1, Some(Amount::Number(0.0)), None),
            ("North", 2, Some(Amount::Number(10.0)), Some(Amount::Number(10.0))),
            ("South", 1, Some(Amount::Number(2.5)), Some(Amount::Number(2.5))),
        ]
    );
    let by_tag = aggregate(&s, &rows, Some("tags"), None).unwrap();
    let got: Vec<_> = by_tag.iter().map(|g| (g.key.as_str(), g.count, g.sum.is_none())).collect();
    assert_eq!(got, vec![("", 2, true), ("a", 1, true), ("b", 2, true)]);
    assert_eq!(
        aggregate(&s, [], None, None).unwrap(),
        vec![Group { key: String::new(), count: 0, sum: None, average: None }]
    );
    assert!(aggregate(&s, [], Some("region"), None).unwrap().is_empty());
    assert_eq!(
        serde_json::to_value(&all).unwrap(),
        json!([{"key": "", "count": 4, "sum": "150.15", "average": "50.05"}])
    );

    let err = |by: Option<&str>, of: Option<&str>| aggregate(&s, &rows, by, of).unwrap_err().to_string();
    assert_eq!(err(Some("nope"), None), "by is not a field of this form");
    assert_eq!(err(Some("qty"), None), "by must be a text, choice, date, member or department field");
    assert_eq!(err(None, Some("region")), "of must be a number or money field");
    assert_eq!(err(None, Some("nope")), "of is not a field of this form");
}

#[test]
fn money_averages_round_half_away_from_zero() {
    assert_eq!(divide_rounded(5, 2), 3);
    assert_eq!(divide_rounded(-5, 2), -3);
    assert_eq!(divide_rounded(4, 3), 1);
    assert_eq!(divide_rounded(-4, 3), -1);
    assert_eq!(money_text(-5), "-0.05");
    assert_eq!(format_money(MONEY_MAX_CENTS), "999999999999.99");
    assert_eq!(format_money(i64::MIN), "-92233720368547758.08");
}

#[test]
fn csv_rendering() {
    let s = sample();
    assert_eq!(
        csv_header(&s),
        vec!["Title", "Notes", "Quantity", "Amount", "Due", "Region", "Tags", "Owner", "Department", "Files"]
    );
    let v =
        check(json!({"title": "Bolts", "qty": 2.5, "amount": "-0", "tags": ["c", "a"], "files": ["att_a", "att_b"],
        "notes": "=HYPERLINK(\"x\")"}))
        .unwrap();
    assert_eq!(
        csv_cells(&s, &v),
        vec!["Bolts", "'=HYPERLINK(\"x\")", "2.5", "0.00", "", "", "a; c", "", "", "att_a; att_b"]
    );
    assert_eq!(spreadsheet_safe("-12.50".into()), "-12.50");
    assert_eq!(spreadsheet_safe("-cmd".into()), "'-cmd");
    assert_eq!(spreadsheet_safe("@SUM(A1)".into()), "'@SUM(A1)");
}
