//! Whole numbers in JSON bodies. JSON Schema's `integer` admits `7.0`, and clients generated from
//! the API's document may send it; serde's `i64` refuses it. These accept any number with no
//! fractional part inside `i64`'s range and refuse the rest as serde would.

use serde::Deserialize;
use serde::de::{Deserializer, Error};

/// For `#[serde(deserialize_with = "keiretsu_domain::whole::int")]`.
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    whole(serde_json::Number::deserialize(d)?)
}

/// For an optional whole number: `#[serde(default, deserialize_with = "keiretsu_domain::whole::option")]`.
pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<serde_json::Number>::deserialize(d)?.map(whole).transpose()
}

fn whole<E: Error>(n: serde_json::Number) -> Result<i64, E> {
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    // 2^63 is exact as an f64; anything from there up does not fit.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) => Ok(f as i64),
        _ => Err(E::custom(format!("invalid type: {n}, expected a whole number"))),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::int")]
        n: i64,
        #[serde(default, deserialize_with = "super::option")]
        o: Option<i64>,
    }

    fn parse(json: &str) -> Result<(i64, Option<i64>), String> {
        serde_json::from_str::<T>(json).map(|t| (t.n, t.o)).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_in_any_notation_and_nothing_else() {
        assert_eq!(parse(r#"{"n": 7}"#), Ok((7, None)));
        assert_eq!(parse(r#"{"n": 7556771.0, "o": -3.0}"#), Ok((7_556_771, Some(-3))));
        assert_eq!(parse(r#"{"n": 1e3, "o": null}"#), Ok((1000, None)));
        assert!(parse(r#"{"n": 7.5}"#).is_err());
        assert!(parse(r#"{"n": 1e19}"#).is_err());
        assert!(parse(r#"{"n": "7"}"#).is_err());
    }
}
