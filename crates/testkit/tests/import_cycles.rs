//! No two modules of a folder import each other, directly or around a loop: a capability's
//! files may lean on their parent and on other capabilities, but a loop means neither side can
//! be read, moved or changed without the other. The check reads the `crate::`, `super::` and
//! `self::` paths of every source file of every crate (in `use` lines and in code alike) and
//! looks for cycles among the sibling modules of each folder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module's path inside its crate: `["network", "units"]` for `src/network/units.rs`.
type ModPath = Vec<String>;

struct Crate {
    name: String,
    /// Every module and the source of the file that holds it.
    modules: BTreeMap<ModPath, String>,
}

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn read_crate(src: &Path, name: &str) -> Crate {
    let mut modules = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let mut parts: ModPath = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            let file = parts.pop().unwrap();
            let stem = file.trim_end_matches(".rs");
            // lib.rs, main.rs and mod.rs hold their folder's module; bin targets are roots too.
            let is_root = parts.is_empty() && (stem == "lib" || stem == "main");
            if parts.first().is_some_and(|p| p == "bin") {
                continue;
            }
            if stem != "mod" && !is_root {
                parts.push(stem.to_owned());
            }
            modules.insert(parts, std::fs::read_to_string(&path).unwrap());
        }
    }
    Crate { name: name.to_owned(), modules }
}

/// The source without comments and string literals, so paths in prose are not counted.
fn code_only(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                out.push(' ');
            }
            // A character literal (`'"'`, `'\''`), not a lifetime.
            '\'' if chars.peek() == Some(&'\\') => {
                chars.next();
                chars.next();
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                }
            }
            '\'' if chars.clone().nth(1) == Some('\'') => {
                chars.next();
                chars.next();
            }
            // A raw string: `r"…"` or `r#"…"#`, ended by the same number of hashes.
            'r' if !out.ends_with(|p: char| p.is_alphanumeric() || p == '_')
                && matches!(chars.peek(), Some('"' | '#')) =>
            {
                let mut hashes = 0;
                while chars.peek() == Some(&'#') {
                    chars.next();
                    hashes += 1;
                }
                if chars.next() != Some('"') {
                    out.push('r');
                    continue;
                }
                let end: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                let mut body = String::new();
                for c in chars.by_ref() {
                    body.push(c);
                    if body.ends_with(&end) {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if !escaped && c == '"' {
                        break;
                    }
                    escaped = !escaped && c == '\\';
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path the code names, with `use` trees expanded: `use crate::{a, b::c}` gives
/// `crate::a` and `crate::b::c`.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == ':');
        if starts_word && (bytes[i].is_alphabetic() || bytes[i] == '_') {
            let (tree, next) = parse_tree(&bytes, i);
            for path in tree {
                if matches!(path.first().map(String::as_str), Some("crate" | "super" | "self")) {
                    found.push(path);
                }
            }
            i = next.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

/// Parses `a::b::{c, d::e}` from `at`; returns the expanded paths and where it ended.
fn parse_tree(s: &[char], mut at: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        let start = at;
        while at < s.len() && (s[at].is_alphanumeric() || s[at] == '_') {
            at += 1;
        }
        if at > start {
            prefix.push(s[start..at].iter().collect::<String>());
        }
        let mut j = at;
        while j < s.len() && s[j].is_whitespace() {
            j += 1;
        }
        if s.get(j) == Some(&':') && s.get(j + 1) == Some(&':') {
            j += 2;
            while j < s.len() && s[j].is_whitespace() {
                j += 1;
            }
            if s.get(j) == Some(&'{') {
                let mut all = Vec::new();
                j += 1;
                loop {
                    while j < s.len() && (s[j].is_whitespace() || s[j] == ',') {
                        j += 1;
                    }
                    if j >= s.len() || s[j] == '}' {
                        return (all, j + 1);
                    }
                    let (inner, next) = parse_tree(s, j);
                    all.extend(inner.into_iter().map(|p| prefix.iter().cloned().chain(p).collect()));
                    // Skip `as name` and anything else up to the next item.
                    j = next;
                    while j < s.len() && s[j] != ',' && s[j] != '}' {
                        j += 1;
                    }
                }
            }
            at = j;
            if s.get(at) == Some(&'*') {
                return (vec![prefix], at + 1);
            }
            continue;
        }
        return (if prefix.is_empty() { Vec::new() } else { vec![prefix] }, at);
    }
}

/// Resolves a `crate::`/`super::`/`self::` path named in module `from` to a path from the root.
fn resolve(from: &ModPath, path: &[String]) -> Option<ModPath> {
    let mut base = from.clone();
    let mut rest = path;
    match rest.first()?.as_str() {
        "crate" => {
            base.clear();
            rest = &rest[1..];
        }
        _ => {
            while let Some(step) = rest.first() {
                match step.as_str() {
                    "super" => {
                        base.pop()?;
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Edges between sibling modules: (parent, from child, to child).
fn edges(krate: &Crate) -> BTreeSet<(ModPath, String, String)> {
    let mut out = BTreeSet::new();
    for (from, src) in &krate.modules {
        for path in paths(&code_only(src)) {
            let Some(to) = resolve(from, &path) else { continue };
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common >= from.len() || common >= to.len() {
                continue; // an ancestor's or a descendant's item
            }
            let parent = from[..common].to_vec();
            let mut target = parent.clone();
            target.push(to[common].clone());
            // Only modules count; `super::Item` names an item of the parent.
            if krate.modules.contains_key(&target) {
                out.insert((parent, from[common].clone(), to[common].clone()));
            }
        }
    }
    out
}

/// The cycles among one folder's modules, each as the modules on it.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Strongly connected components of more than one module (Tarjan's algorithm, recursive:
    // folders hold a few dozen modules at most).
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(st: &mut State<'a>, v: &'a str) {
        let i = st.index.len();
        st.index.insert(v, i);
        st.low.insert(v, i);
        st.stack.push(v);
        st.on_stack.insert(v);
        for w in st.edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !st.index.contains_key(w) {
                visit(st, w);
                let lw = st.low[w];
                let lv = st.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if st.on_stack.contains(w) {
                let iw = st.index[w];
                let lv = st.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if st.low[v] == st.index[v] {
            let mut component = Vec::new();
            while let Some(w) = st.stack.pop() {
                st.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                st.found.push(component);
            }
        }
    }
    let mut st = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !st.index.contains_key(v.as_str()) {
            visit(&mut st, v);
        }
    }
    st.found
}

fn all_cycles(krate: &Crate) -> Vec<String> {
    let mut by_folder: BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (parent, from, to) in edges(krate) {
        by_folder.entry(parent).or_default().entry(from).or_default().insert(to);
    }
    let mut out = Vec::new();
    for (folder, graph) in &by_folder {
        for cycle in cycles(graph) {
            let at = if folder.is_empty() { String::new() } else { format!("::{}", folder.join("::")) };
            out.push(format!("{}{at}: {}", krate.name, cycle.join(" <-> ")));
        }
    }
    out
}

#[test]
fn no_module_imports_its_way_back_to_itself() {
    let mut found = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(crates_dir()).unwrap() {
        let dir = entry.unwrap().path();
        let src = dir.join("src");
        if src.is_dir() {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let krate = read_crate(&src, &name);
            checked += krate.modules.len();
            found.extend(all_cycles(&krate));
        }
    }
    assert!(checked > 50, "read only {checked} modules: is the workspace where the test expects it?");
    assert!(found.is_empty(), "modules that import each other:\n{}", found.join("\n"));
}

#[test]
fn the_check_finds_a_cycle_it_is_shown() {
    let src = |s: &str| s.to_owned();
    let krate = Crate {
        name: "example".into(),
        modules: BTreeMap::from([
            (vec![], src("mod a; mod b; mod c; mod d;")),
            (vec!["a".into()], src("use crate::{b::Thing, d};")),
            // Through `super`, in code rather than a `use` line.
            (vec!["b".into()], src("fn f() { super::c::go(); } // crate::d::not_counted")),
            (vec!["c".into()], src("use super::a::*;")),
            (vec!["d".into()], src("const S: &str = \"crate::a::x\";")),
            (vec!["a".into(), "x".into()], src("use super::*; use super::super::d;")),
        ]),
    };
    assert_eq!(all_cycles(&krate), vec!["example: a <-> b <-> c".to_owned()]);
    // Breaking one edge breaks the cycle.
    let mut fixed = krate;
    fixed.modules.insert(vec!["c".into()], src("use crate::d;"));
    assert!(all_cycles(&fixed).is_empty());
}
