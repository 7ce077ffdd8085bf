//! The console's strings: one catalogue per language (`i18n/en.txt`, `i18n/zh.txt`), compiled
//! in. Each line is `key = text`; `{name}` marks a value filled in at run time.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub fn parse(code: &str) -> Lang {
        if code.starts_with("zh") { Lang::Zh } else { Lang::En }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
    pub fn html_code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }
}

const EN: &str = include_str!("../i18n/en.txt");
const ZH: &str = include_str!("../i18n/zh.txt");

pub fn parse_catalogue(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

static CATALOGUES: LazyLock<[HashMap<&'static str, &'static str>; 2]> =
    LazyLock::new(|| [parse_catalogue(EN), parse_catalogue(ZH)]);

/// The text for `key`; English if the language lacks it (a test keeps them in step), else the key.
pub fn t(lang: Lang, key: &'static str) -> &'static str {
    let [en, zh] = &*CATALOGUES;
    let primary = if lang == Lang::Zh { zh } else { en };
    primary.get(key).or_else(|| en.get(key)).copied().unwrap_or(key)
}

/// The text for a key built at run time (`rule.{code}`, `action.member.join`), if a catalogue has it.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    let [en, zh] = &*CATALOGUES;
    let primary = if lang == Lang::Zh { zh } else { en };
    primary.get(key).or_else(|| en.get(key)).copied()
}

/// An action of the journal in words ("Member joined"); its code if the catalogues lack it.
pub fn action_text(lang: Lang, code: &str) -> String {
    lookup(lang, &format!("action.{code}")).map_or_else(|| code.to_owned(), str::to_owned)
}

/// `t` with `{name}` placeholders filled in.
pub fn tf(lang: Lang, key: &'static str, args: &[(&str, &str)]) -> String {
    let mut out = t(lang, key).to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// `tf` for a count `n`, with `{n}` filled in: the `one` key's text when `n` is 1 ("1 member"),
/// else `key`'s ("3 members"). Chinese has no plural; its catalogue gives both keys one text.
pub fn tn(lang: Lang, key: &'static str, one: &'static str, n: i64, args: &[(&str, &str)]) -> String {
    let n_text = n.to_string();
    let mut all = vec![("n", n_text.as_str())];
    all.extend_from_slice(args);
    tf(lang, if n == 1 { one } else { key }, &all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_of_one_are_singular_in_english() {
        assert_eq!(tn(Lang::En, "departments.count", "departments.count_one", 1, &[]), "1 member");
        assert_eq!(tn(Lang::En, "departments.count", "departments.count_one", 0, &[]), "0 members");
        assert_eq!(tn(Lang::En, "license.changed", "license.changed_one", 1, &[]), "Done: 1 account changed.");
        assert_eq!(tn(Lang::En, "license.changed", "license.changed_one", 2, &[]), "Done: 2 accounts changed.");
        assert_eq!(
            tn(Lang::Zh, "departments.count", "departments.count_one", 1, &[]),
            tn(Lang::Zh, "departments.count", "departments.count_one", 2, &[]).replace('2', "1")
        );
    }

    #[test]
    fn catalogues_have_the_same_keys() {
        let en = parse_catalogue(EN);
        let zh = parse_catalogue(ZH);
        let mut missing_zh: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        let mut missing_en: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        missing_zh.sort();
        missing_en.sort();
        assert!(missing_zh.is_empty(), "missing in zh.txt: {missing_zh:?}");
        assert!(missing_en.is_empty(), "missing in en.txt: {missing_en:?}");
        assert!(en.len() > 20);
    }

    #[test]
    fn every_key_used_in_the_console_exists() {
        // Keys are the string literals passed to t/tf in every console source; each must be in English.
        let en = parse_catalogue(EN);
        // Every source file under console/, found on disk so a new file cannot be forgotten.
        let mut sources = Vec::new();
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    sources.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        assert!(sources.len() > 20, "read only {} console sources", sources.len());
        for src in sources {
            for (i, pat) in src.match_indices("(lang, \"").chain(src.match_indices("(ctx.lang, \"")) {
                let rest = &src[i + pat.len()..];
                let key = &rest[..rest.find('"').unwrap_or(0)];
                assert!(en.contains_key(key), "key `{key}` is not in en.txt");
            }
        }
    }

    #[test]
    fn every_action_has_words_in_both_languages() {
        let (en, zh) = (parse_catalogue(EN), parse_catalogue(ZH));
        for code in keiretsu_domain::journal::ACTIONS {
            let key = format!("action.{code}");
            assert!(en.contains_key(key.as_str()), "`{key}` is not in en.txt");
            assert!(zh.contains_key(key.as_str()), "`{key}` is not in zh.txt");
        }
        // And no words for an action that is not one.
        for key in en.keys().filter_map(|k| k.strip_prefix("action.")) {
            assert!(keiretsu_domain::journal::ACTIONS.contains(&key), "en.txt names `{key}`, which is not an action");
        }
        assert_eq!(action_text(Lang::Zh, "member.join"), zh["action.member.join"]);
    }

    /// Every key the service writes into an entry's details (`.with("key", …)`) has a label in
    /// both languages, so the journal's one-line summary never shows a bare key.
    #[test]
    fn every_detail_the_service_journals_has_a_label() {
        let (en, zh) = (parse_catalogue(EN), parse_catalogue(ZH));
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../service/src")];
        let mut keys = std::collections::BTreeSet::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let src = std::fs::read_to_string(&path).unwrap();
                    for rest in src.split(".with(\"").skip(1) {
                        let key: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                        if rest[key.len()..].starts_with('"') {
                            keys.insert(key);
                        }
                    }
                }
            }
        }
        assert!(keys.len() > 40, "found only {} detail keys", keys.len());
        for key in keys {
            let key = format!("detail.{key}");
            assert!(en.contains_key(key.as_str()), "`{key}` is not in en.txt");
            assert!(zh.contains_key(key.as_str()), "`{key}` is not in zh.txt");
        }
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(tf(Lang::En, "missing.key.{x}", &[("x", "1")]), "missing.key.1");
    }
}
