//! Totals of the submission list: rows grouped by one field, with the sum and average of another.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::scalars::{money_text, parse_money};
use super::{FieldKind, Schema, Values, is_key, text_of, unknown_key};
use crate::error::{DomainError, Reason, Rule};

/// A total: a number for number fields, an amount string like `"1234.50"` for money fields.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Amount {
    Number(f64),
    Money(String),
}

/// One group of submissions and, when asked, the total of one field over it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Group {
    /// The `by` field's value as text (the option, date, id or text); `""` for rows without one,
    /// and for the single group when there is no `by`.
    pub key: String,
    /// Submissions in the group.
    pub count: u64,
    /// Total of the `of` field over the group's submissions that have a value (money exact to the
    /// cent); absent without `of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum: Option<Amount>,
    /// `sum` divided by the number of submissions that have a value (money rounded half away from
    /// zero to the cent); absent without `of` or when none has a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<Amount>,
}

#[derive(Default)]
struct Tally {
    count: u64,
    valued: u64,
    cents: i128,
    total: f64,
}

/// The kinds a submission list may be grouped by.
fn groups_by(kind: FieldKind) -> bool {
    use FieldKind::*;
    matches!(kind, Text | SingleChoice | MultipleChoice | Date | Member | Department)
}

/// Groups submissions by the `by` field (a text, choice, date, member or department field; a
/// multiple-choice answer counts in the group of each option it picks) and totals the `of` field (a
/// number or money field). Without `by` there is one group with key `""`, even for no rows; with it
/// one group per key, sorted by key. Errors name `by` or `of`.
pub fn aggregate<'a>(
    schema: &Schema,
    rows: impl IntoIterator<Item = &'a Values>,
    by: Option<&str>,
    of: Option<&str>,
) -> Result<Vec<Group>, DomainError> {
    let pick = |what: &'static str, key: Option<&str>, fits: fn(FieldKind) -> bool, rule: Reason| match key
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        None => Ok(None),
        Some(key) => match schema.field(key) {
            None if is_key(key) => Err(DomainError::invalid(what, Rule::UnknownField)),
            None => Err(unknown_key(what, key)),
            Some(f) if fits(f.kind) => Ok(Some(f)),
            Some(_) => Err(DomainError::invalid(what, Rule::Reason(rule))),
        },
    };
    let by = pick("by", by, groups_by, Reason::GroupableField)?;
    let of = pick("of", of, |k| matches!(k, FieldKind::Number | FieldKind::Money), Reason::SummableField)?;
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    if by.is_none() {
        groups.insert(String::new(), Tally::default());
    }
    for row in rows {
        let keys = match by {
            None => vec![String::new()],
            Some(f) => group_keys(row.get(&f.key)),
        };
        let amount = of.and_then(|f| row.get(&f.key));
        for key in keys {
            let tally = groups.entry(key).or_default();
            tally.count += 1;
            match (of.map(|f| f.kind), amount) {
                (Some(FieldKind::Money), Some(v)) => {
                    let cents = match v {
                        Value::String(s) => parse_money("", s).ok(),
                        Value::Number(n) => parse_money("", &n.to_string()).ok(),
                        _ => None,
                    };
                    if let Some(c) = cents {
                        tally.valued += 1;
                        tally.cents += i128::from(c);
                    }
                }
                (Some(_), Some(Value::Number(n))) => {
                    if let Some(n) = n.as_f64() {
                        tally.valued += 1;
                        tally.total += n;
                    }
                }
                _ => {}
            }
        }
    }
    let money = of.is_some_and(|f| f.kind == FieldKind::Money);
    Ok(groups
        .into_iter()
        .map(|(key, t)| {
            let (sum, average) = match of {
                None => (None, None),
                Some(_) if money => (
                    Some(Amount::Money(money_text(t.cents))),
                    (t.valued > 0).then(|| Amount::Money(money_text(divide_rounded(t.cents, i128::from(t.valued))))),
                ),
                Some(_) => {
                    (Some(Amount::Number(t.total)), (t.valued > 0).then(|| Amount::Number(t.total / t.valued as f64)))
                }
            };
            Group { key, count: t.count, sum, average }
        })
        .collect())
}

/// `n / d` rounded half away from zero; `d` is positive.
pub(super) fn divide_rounded(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

/// The groups a value falls in.
fn group_keys(value: Option<&Value>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => vec![String::new()],
        Some(Value::Array(items)) if !items.is_empty() => {
            let mut keys: Vec<String> = Vec::with_capacity(items.len());
            for item in items {
                let key = text_of(item);
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            keys
        }
        Some(Value::Array(_)) => vec![String::new()],
        Some(v) => vec![text_of(v)],
    }
}
