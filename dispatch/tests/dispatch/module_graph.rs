//! Architecture invariant: no import circle inside the crate. Every `src/*.rs` module (the
//! crate root `lib.rs` aside, which only declares and re-exports) may name other modules
//! through `crate::m`, `use crate::{m, ...}` or `super::m`; the graph of those references
//! must be acyclic (unit-test modules, after `#[cfg(test)]`, are not counted).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The module names referenced by one file's source text.
fn references(src: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let src = src.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for prefix in ["crate::", "super::"] {
        let mut rest = src;
        while let Some(at) = rest.find(prefix) {
            rest = &rest[at + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a, b::{c, d}, e}`: the top-level names of the group.
                let mut depth = 0;
                let mut name_start = true;
                for (k, ch) in group.char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => name_start = true,
                        c if c.is_whitespace() => {}
                        _ if name_start && depth == 0 => {
                            out.insert(ident(&group[k..]));
                            name_start = false;
                        }
                        _ => {}
                    }
                }
            } else {
                out.insert(ident(rest));
            }
        }
    }
    out.retain(|m| modules.contains(m));
    out
}

/// The module graph of `dispatch/src`, `module -> modules it references`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("dispatch/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if name != "lib" {
                files.insert(
                    name,
                    std::fs::read_to_string(&path).expect("source is UTF-8"),
                );
            }
        }
    }
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    files
        .into_iter()
        .map(|(name, src)| {
            let mut refs = references(&src, &modules);
            refs.remove(&name);
            (name, refs)
        })
        .collect()
}

/// A cycle of the graph, if any (depth-first search, three colours).
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        m: &str,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(m.to_string(), 1);
        stack.push(m.to_string());
        for n in g.get(m).into_iter().flatten() {
            match state.get(n.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|x| x == n).unwrap_or(0);
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(n.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(g, n, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in g.keys() {
        if state.get(m.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(g, m, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

/// The parser sees plain paths, groups and `super::`, and the cycle finder finds a circle.
#[test]
fn the_checker_finds_references_and_cycles() {
    let modules: BTreeSet<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let refs = references(
        "use crate::{a::X, b::{Y, Z}};\nfn f() { super::c::g(); }\n#[cfg(test)]\nuse crate::d;",
        &modules,
    );
    assert_eq!(
        refs,
        ["a", "b", "c"].iter().map(|s| s.to_string()).collect()
    );
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), ["b".to_string()].into_iter().collect());
    g.insert("b".to_string(), ["a".to_string()].into_iter().collect());
    assert_eq!(find_cycle(&g).map(|c| c.len()), Some(3));
}

/// No module of the crate imports one that imports it back, directly or through others;
/// the re-planning operators never import the owner of the day (`dispatch`).
#[test]
fn no_import_circle_inside_dispatch() {
    let g = graph();
    assert!(g.len() > 10, "modules found: {:?}", g.keys());
    assert_eq!(find_cycle(&g), None, "module graph: {g:#?}");
    for op in [
        "repair",
        "eject",
        "exchange",
        "search",
        "lns",
        "baseline",
        "objective",
    ] {
        assert!(
            !g[op].contains("dispatch"),
            "operator `{op}` imports `dispatch`: {:?}",
            g[op]
        );
    }
}

/// The workspace dependencies of every crate (its `[dependencies]` and `[build-dependencies]`
/// on `milkrun-*` crates) are among those ARCHITECTURE.md's table allows it: an arrow not in
/// the table is a structural change that goes through that file first.
#[test]
fn crate_dependencies_follow_the_architecture_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let arch = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let start = arch.find("| crate | may depend on (workspace) |").unwrap();
    let names = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .filter(|n| n.starts_with("milkrun-"))
            .map(str::to_string)
            .collect()
    };
    let mut allowed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut above: Vec<String> = Vec::new();
    for line in arch[start..].lines().skip(2) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 {
            break;
        }
        let krate = names(cells[1])
            .pop()
            .expect("a crate name in the first column");
        let rule = cells[2];
        let set: BTreeSet<String> = if rule.starts_with("every library crate above") {
            let never = rule.split("never").nth(1).map(names).unwrap_or_default();
            above
                .iter()
                .filter(|c| !never.contains(c))
                .cloned()
                .collect()
        } else {
            // what follows an opening parenthesis is commentary (e.g. a dev-dependency)
            names(rule.split('(').next().unwrap_or(""))
                .into_iter()
                .collect()
        };
        above.push(krate.clone());
        allowed.insert(krate, set);
    }
    assert!(
        allowed.len() >= 10,
        "the table was not found whole: {allowed:?}"
    );
    let members: Vec<String> = std::fs::read_to_string(root.join("Cargo.toml"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("members"))
        .expect("workspace members")
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    let mut checked = 0;
    for dir in members {
        let manifest = std::fs::read_to_string(root.join(&dir).join("Cargo.toml")).unwrap();
        let name = manifest
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|l| l.strip_suffix('"'))
            .expect("a package name")
            .to_string();
        let rules = allowed
            .get(&name)
            .unwrap_or_else(|| panic!("{name} is not in ARCHITECTURE.md's table"));
        let mut section = "";
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                section = line;
                continue;
            }
            if section != "[dependencies]" && section != "[build-dependencies]" {
                continue;
            }
            if let Some(dep) = line.split(['.', ' ', '=']).next() {
                if dep.starts_with("milkrun-") {
                    assert!(
                        rules.contains(dep),
                        "{name} depends on {dep}, which ARCHITECTURE.md does not allow ({rules:?})"
                    );
                }
            }
        }
        checked += 1;
    }
    assert_eq!(
        checked,
        allowed.len(),
        "every crate of the table is a member"
    );
}
