//! Property tests: generated schemas and values, arbitrary JSON, filters and money round trips.

use proptest::prelude::*;
use serde_json::json;

use super::*;

const KINDS: &[FieldKind] = &[
    FieldKind::Text,
    FieldKind::LongText,
    FieldKind::Number,
    FieldKind::Money,
    FieldKind::Date,
    FieldKind::SingleChoice,
    FieldKind::MultipleChoice,
    FieldKind::Member,
    FieldKind::Department,
    FieldKind::Attachment,
];
const DATES: &[&str] = &["2026-01-01", "2026-06-15", "2027-12-31"];
const OPTIONS: &[&str] = &["a", "b", "Red", "Blue", "x y"];
const PATTERNS: &[&str] = &["[a-z ]*", r"\d+", ".*", "[A-Za-z]+( [A-Za-z]+)*"];

/// A valid field with key `f{i}`, built from random seeds.
fn build_field(i: usize, seed: (usize, bool, Option<i64>, Option<i64>, usize, Option<usize>)) -> Field {
    let (kind, required, lo, span, n, pick) = seed;
    let kind = KINDS[kind % KINDS.len()];
    let mut rules = FieldRules::default();
    let mut options = Vec::new();
    let hi = |lo: i64| lo + span.unwrap_or(0).abs();
    match kind {
        FieldKind::Text | FieldKind::LongText => {
            let cap = if kind == FieldKind::Text { TEXT_MAX } else { LONG_TEXT_MAX };
            rules.max_length = span.map(|s| (s.unsigned_abs() as usize % cap) + 1);
            rules.min_length = lo.map(|l| l.unsigned_abs() as usize % (rules.max_length.unwrap_or(cap) + 1));
            rules.pattern = pick.map(|p| PATTERNS[p % PATTERNS.len()].to_owned());
        }
        FieldKind::Number => {
            rules.min = lo.map(|l| Bound::Number(l as f64 / 2.0));
            rules.max = span.map(|_| Bound::Number(hi(lo.unwrap_or(0)) as f64 / 2.0));
        }
        FieldKind::Money => {
            rules.min = lo.map(|l| Bound::Text(format_money(l * 25)));
            rules.max = span.map(|_| Bound::Number(hi(lo.unwrap_or(0)) as f64 * 0.25));
        }
        FieldKind::Date => {
            let a = lo.map_or(0, |l| l.unsigned_abs() as usize % DATES.len());
            rules.min = lo.map(|_| Bound::Text(DATES[a].to_owned()));
            rules.max = span.map(|s| Bound::Text(DATES[(a + s.unsigned_abs() as usize) % DATES.len()].to_owned()));
            if let (Some(Bound::Text(x)), Some(Bound::Text(y))) = (&rules.min, &rules.max)
                && x > y
            {
                std::mem::swap(&mut rules.min, &mut rules.max);
            }
        }
        FieldKind::SingleChoice | FieldKind::MultipleChoice => {
            options = OPTIONS[..(n % OPTIONS.len()) + 1].iter().map(|s| (*s).to_owned()).collect();
            if kind == FieldKind::MultipleChoice {
                rules.max_count = span.map(|s| (s.unsigned_abs() as usize % options.len()) + 1);
                rules.min_count =
                    lo.map(|l| l.unsigned_abs() as usize % (rules.max_count.unwrap_or(options.len()) + 1));
            }
        }
        _ => {}
    }
    Field { key: format!("f{i}"), label: format!("Field {i}"), kind, required, rules, options }
}

fn arb_schema() -> impl Strategy<Value = Schema> {
    let seed = (
        0usize..10,
        prop::bool::weighted(0.2),
        prop::option::of(-20i64..20),
        prop::option::of(0i64..40),
        0usize..5,
        prop::option::of(0usize..4),
    );
    prop::collection::vec(seed, 1..7)
        .prop_map(|seeds| Schema { fields: seeds.into_iter().enumerate().map(|(i, s)| build_field(i, s)).collect() })
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (-1000.0f64..1000.0).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        "[ -~\\n\\r\\t\\u{0}\\u{85}]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "a",
            "Red",
            " b ",
            "mem_abc",
            "dep_x",
            "att_1",
            "2026-06-15",
            "2024-02-29",
            "12.5",
            "-0",
            "1e3",
            "0.001",
            "",
            " ",
            "NaN",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,3}", inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A value of the field's kind that is often (not always) acceptable.
fn plausible(f: &Field) -> BoxedStrategy<Value> {
    let options = f.options.clone();
    match f.kind {
        FieldKind::Text => "[ -~]{0,30}".prop_map(Value::String).boxed(),
        FieldKind::LongText => "[a-z \\n\\r\\t]{0,40}".prop_map(Value::String).boxed(),
        FieldKind::Number => prop_oneof![
            (-30i64..30).prop_map(Value::from),
            (-30.0f64..30.0).prop_map(Value::from),
            (-30i64..30).prop_map(|n| Value::String(format!(" {n} "))),
        ]
        .boxed(),
        FieldKind::Money => prop_oneof![
            "-?[0-9]{1,3}(\\.[0-9]{1,2})?".prop_map(Value::String),
            (-3000i64..3000).prop_map(|c| Value::from(c as f64 / 100.0)),
            (-30i64..30).prop_map(Value::from),
        ]
        .boxed(),
        FieldKind::Date => "20(2[4-8])-0[1-9]-[0-3][0-9]".prop_map(Value::String).boxed(),
        FieldKind::SingleChoice => prop::sample::select(options).prop_map(Value::String).boxed(),
        FieldKind::MultipleChoice => prop::sample::subsequence(options.clone(), 0..=options.len())
            .prop_shuffle()
            .prop_map(|v| Value::Array(v.into_iter().map(Value::String).collect()))
            .boxed(),
        FieldKind::Member => "mem_[a-z0-9]{1,8}".prop_map(Value::String).boxed(),
        FieldKind::Department => "dep_[a-z0-9]{1,8}".prop_map(Value::String).boxed(),
        FieldKind::Attachment => prop::collection::btree_set("att_[a-z0-9]{1,6}", 0..12)
            .prop_map(|set| set.into_iter().collect::<Vec<_>>())
            .prop_shuffle()
            .prop_map(|v| Value::Array(v.into_iter().map(Value::String).collect()))
            .boxed(),
    }
}

fn schema_and_values() -> impl Strategy<Value = (Schema, Map<String, Value>)> {
    arb_schema().prop_flat_map(|s| {
        let per_field: Vec<_> = s
            .fields
            .iter()
            .map(|f| {
                prop::option::weighted(0.8, prop_oneof![4 => plausible(f), 1 => arb_json()])
                    .prop_map({
                        let key = f.key.clone();
                        move |v| v.map(|v| (key.clone(), v))
                    })
                    .boxed()
            })
            .collect();
        let extra = prop::option::weighted(0.05, ("[a-zA-Z ]{1,4}", arb_json()));
        (Just(s), per_field, extra).prop_map(|(s, values, extra)| {
            let mut map: Map<String, Value> = values.into_iter().flatten().collect();
            if let Some((k, v)) = extra {
                map.insert(k, v);
            }
            (s, map)
        })
    })
}

fn arb_schema_json() -> impl Strategy<Value = Value> {
    let kinds: Vec<Value> = FieldKind::NAMES.iter().map(|k| json!(k)).chain([json!("nope"), json!(3)]).collect();
    let bound = prop_oneof![
        arb_json(),
        (-100.0f64..100.0).prop_map(Value::from),
        prop::sample::select(vec!["2026-01-01", "12.50", "1e400", "-", "2026-02-30"]).prop_map(Value::from),
    ];
    let rules = (
        prop::option::of(bound.clone()),
        prop::option::of(bound),
        prop::option::of(prop_oneof![
            any::<u64>().prop_map(Value::from),
            (0u64..300).prop_map(Value::from),
            arb_json()
        ]),
        prop::option::of(prop_oneof![any::<u64>().prop_map(Value::from), (0u64..300).prop_map(Value::from)]),
        prop::option::of(prop_oneof![
            "[a-z()|*+?{}\\[\\]\\\\.^$0-9,]{0,30}".prop_map(Value::String),
            prop::sample::select(vec![r"\w{1000}", "(a{100}){100}", "a)|(b", "(?i)x", "[[:alpha:]]"])
                .prop_map(Value::from),
        ]),
        prop::option::of((0u64..60).prop_map(Value::from)),
        prop::option::of((0u64..60).prop_map(Value::from)),
    )
        .prop_map(|(min, max, min_length, max_length, pattern, min_count, max_count)| {
            let mut m = Map::new();
            for (k, v) in [
                ("min", min),
                ("max", max),
                ("min_length", min_length),
                ("max_length", max_length),
                ("pattern", pattern),
                ("min_count", min_count),
                ("max_count", max_count),
            ] {
                if let Some(v) = v {
                    m.insert(k.to_owned(), v);
                }
            }
            Value::Object(m)
        });
    let field = (
        prop_oneof!["[a-z][a-z0-9_]{0,3}", "\\PC{0,45}"],
        prop_oneof!["[A-Za-z ]{0,10}", "\\PC{0,90}"],
        prop::sample::select(kinds),
        prop::option::of(prop_oneof![any::<bool>().prop_map(Value::Bool), arb_json()]),
        prop::option::of(rules),
        prop::option::of(prop_oneof![
            prop::collection::vec(prop_oneof!["[a-c ]{0,2}", "\\PC{0,3}"].prop_map(Value::String), 0..6)
                .prop_map(Value::Array),
            arb_json(),
        ]),
    )
        .prop_map(|(key, label, kind, required, rules, options)| {
            let mut f = json!({"key": key, "label": label, "kind": kind});
            if let Some(r) = required {
                f["required"] = r;
            }
            if let Some(r) = rules {
                f["rules"] = r;
            }
            if let Some(o) = options {
                f["options"] = o;
            }
            f
        });
    prop_oneof![
        4 => prop::collection::vec(field, 0..5).prop_map(|fields| json!({ "fields": fields })),
        1 => arb_json(),
    ]
}

proptest! {
    #[test]
    fn generated_schemas_are_valid(s in arb_schema()) {
        prop_assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn checking_values_never_panics_and_is_idempotent((s, values) in schema_and_values()) {
        if let Ok(checked) = s.check_values(&values) {
            prop_assert_eq!(s.check_values(&checked.to_json()), Ok(checked.clone()));
            for (k, v) in checked.as_map() {
                prop_assert!(s.field(k).is_some());
                prop_assert!(!v.is_null());
            }
            let stored: Values = serde_json::from_str(&serde_json::to_string(&checked).unwrap()).unwrap();
            prop_assert_eq!(&stored, &checked);
            prop_assert_eq!(csv_cells(&s, &checked).len(), s.fields.len());
            let rows = [checked];
            for f in &s.fields {
                let _ = aggregate(&s, &rows, Some(&f.key), None);
                let _ = aggregate(&s, &rows, None, Some(&f.key));
            }
        }
    }

    #[test]
    fn validating_arbitrary_schemas_never_panics(v in arb_schema_json()) {
        if let Ok(s) = serde_json::from_value::<Schema>(v) {
            let _ = s.validate();
            let _ = s.check_values(&Map::new());
        }
    }

    #[test]
    fn parsing_filters_never_panics(
        text in "\\PC{0,40}",
        field in prop_oneof![prop::sample::select(vec!["title", "qty", "amount", "due", "region", "tags", "owner", "dept", "files", "notes"]).prop_map(str::to_owned), "\\PC{0,8}"],
        op in prop_oneof![prop::sample::select(FilterOp::NAMES.to_vec()).prop_map(str::to_owned), "\\PC{0,4}"],
        value in prop_oneof!["\\PC{0,12}", "[0-9.:-]{0,12}", "mem_[a-z]{0,3}", "2026-0[0-9]-[0-9]{2}"],
    ) {
        let s = sample();
        let _ = Filter::parse_query(&s, &text);
        let _ = Filter::parse_query(&s, &format!("{field}:{op}:{value}"));
        if let Ok(f) = Filter::parse(&s, &field, &op, &value) {
            for row in rows() {
                let _ = f.matches(&row);
            }
        }
    }

    #[test]
    fn money_round_trips(cents in -MONEY_MAX_CENTS..=MONEY_MAX_CENTS) {
        prop_assert_eq!(parse_money("m", &format_money(cents)), Ok(cents));
    }

    #[test]
    fn accepted_money_text_normalizes_to_the_same_amount(
        negative in any::<bool>(),
        whole in "[0-9]{1,14}",
        frac in prop::option::of("[0-9]{0,3}"),
    ) {
        let text = format!("{}{whole}{}", if negative { "-" } else { "" }, frac.as_deref().map(|f| format!(".{f}")).unwrap_or_default());
        match parse_money("m", &text) {
            Ok(cents) => {
                let canonical = format_money(cents);
                prop_assert_eq!(parse_money("m", &canonical), Ok(cents));
                let expected = text.parse::<f64>().unwrap();
                prop_assert!((canonical.parse::<f64>().unwrap() - expected).abs() < 1e-6 * expected.abs().max(1.0));
            }
            Err(_) => prop_assert!(
                frac.as_deref().is_some_and(|f| f.is_empty() || f.len() > 2)
                    || whole.trim_start_matches('0').len() > 12
            ),
        }
    }
}
