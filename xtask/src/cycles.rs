//! The import-cycle check of the `lint` suite: no two source files of a
//! crate may depend on each other, directly or through others.
//!
//! A file depends on another when it names an item there by path
//! (`crate::a::b`, `super::x`, or a child module declared in it). Module
//! declarations (`mod x;`) are not dependencies, so a parent that only
//! declares and re-exports its children is fine, while a child that reaches
//! back into its parent (`super::State` defined in `mod.rs`) closes a cycle.
//! cargo-modules draws the same graph but needs a nightly-sized build; this
//! reads the sources directly, in milliseconds.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The crate roots whose files must not import each other in a cycle.
pub const CRATE_ROOTS: &[&str] =
    &["backend/src/lib.rs", "backend/src/main.rs", "frontend/src/lib.rs", "shared/src/lib.rs", "xtask/src/main.rs"];

/// A crate's modules by path (`""` is the root, `"a::b"` a module), each
/// with the file that holds it.
struct Crate {
    files: BTreeMap<String, PathBuf>,
    /// `macro_rules!` names by the module that defines them: an exported
    /// macro is named `crate::name` but lives in its file.
    macros: BTreeMap<String, String>,
}

/// Finds the cycles among the files of the crate rooted at `root_file`
/// (`src/lib.rs` or `src/main.rs`); each cycle as its module paths.
pub fn cycles_in(root_file: &Path) -> Result<Vec<Vec<String>>, String> {
    let krate = discover(root_file)?;
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, file) in &krate.files {
        let source = fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let deps = dependencies(&source, module, &krate);
        edges.insert(module.clone(), deps.into_iter().filter(|d| d != module).collect());
    }
    Ok(find_cycles(&edges))
}

/// Walks `mod x;` declarations from the root file to every module file.
fn discover(root_file: &Path) -> Result<Crate, String> {
    let mut files = BTreeMap::new();
    let mut macros = BTreeMap::new();
    let mut queue = vec![(String::new(), root_file.to_path_buf())];
    while let Some((module, file)) = queue.pop() {
        let source = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let dir = match file.file_name().and_then(|n| n.to_str()) {
            Some("lib.rs" | "main.rs" | "mod.rs") => file.parent().map(Path::to_path_buf),
            _ => file.parent().map(|p| p.join(file.file_stem().unwrap_or_default())),
        }
        .unwrap_or_default();
        let tokens = tokens(&source);
        for w in tokens.windows(3) {
            if let [Token::Ident(kw), Token::Punct('!'), Token::Ident(name)] = w {
                if kw == "macro_rules" {
                    macros.insert(name.clone(), module.clone());
                }
            }
        }
        for child in declared_modules(&tokens) {
            let path = if module.is_empty() { child.clone() } else { format!("{module}::{child}") };
            let flat = dir.join(format!("{child}.rs"));
            let nested = dir.join(&child).join("mod.rs");
            if flat.is_file() {
                queue.push((path, flat));
            } else if nested.is_file() {
                queue.push((path, nested));
            }
        }
        files.insert(module, file);
    }
    Ok(Crate { files, macros })
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

/// Identifiers, `::` and punctuation, with comments, strings and character
/// literals left out (lifetimes are dropped with their quote).
fn tokens(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || (next == Some('#') && raw_string_start(&chars, i + 1))) {
            // r"..." or r#"..."#
            let mut hashes = 0;
            i += 1;
            while chars.get(i) == Some(&'#') {
                hashes += 1;
                i += 1;
            }
            i += 1; // the opening quote
            while i < chars.len() {
                if chars[i] == '"' && (0..hashes).all(|h| chars.get(i + 1 + h) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == ':' && next == Some(':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(Token::Punct(c));
            }
            i += 1;
        }
    }
    out
}

fn raw_string_start(chars: &[char], mut i: usize) -> bool {
    while chars.get(i) == Some(&'#') {
        i += 1;
    }
    chars.get(i) == Some(&'"')
}

fn ident(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token::Ident(s)) => Some(s),
        _ => None,
    }
}

/// `mod x;` declarations (not inline `mod x { ... }` blocks).
fn declared_modules(tokens: &[Token]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if *t == Token::Ident("mod".into()) {
            if let (Some(name), Some(Token::Punct(';'))) = (ident(tokens.get(i + 1)), tokens.get(i + 2)) {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// The modules of this crate that the file holding `module` names.
fn dependencies(source: &str, module: &str, krate: &Crate) -> BTreeSet<String> {
    let tokens = tokens(source);
    let children: BTreeSet<String> = declared_modules(&tokens).into_iter().collect();
    let base: Vec<String> =
        if module.is_empty() { Vec::new() } else { module.split("::").map(str::to_owned).collect() };
    let mut deps = BTreeSet::new();
    // Inline modules (`mod tests { ... }`) shift what `super` means.
    let mut inline: Vec<usize> = Vec::new(); // brace depth at which each inline module opened
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline.last() == Some(&depth) {
                    inline.pop();
                }
            }
            Token::Ident(kw) if kw == "mod" => {
                if let (Some(_), Some(Token::Punct('{'))) = (ident(tokens.get(i + 1)), tokens.get(i + 2)) {
                    inline.push(depth);
                }
            }
            // `$crate::…` inside a macro resolves where the macro is used.
            Token::Ident(first) if i == 0 || !matches!(tokens[i - 1], Token::PathSep | Token::Punct('$')) => {
                let starts_path = tokens.get(i + 1) == Some(&Token::PathSep);
                let root: Option<Vec<String>> = match first.as_str() {
                    "crate" if starts_path => Some(Vec::new()),
                    "super" if starts_path => {
                        // `super` inside an inline module is this file's module.
                        if inline.is_empty() {
                            Some(base[..base.len().saturating_sub(1)].to_vec())
                        } else {
                            Some(base.clone())
                        }
                    }
                    name if starts_path && inline.is_empty() && children.contains(name) => {
                        let mut p = base.clone();
                        p.push(name.to_owned());
                        Some(p)
                    }
                    _ => None,
                };
                if let Some(root) = root {
                    let skip = usize::from(first == "crate" || first == "super");
                    let mut paths = Vec::new();
                    parse_tree(&tokens, i + 1 + skip, root, &mut paths);
                    for path in paths {
                        deps.insert(resolve(&path, krate));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    deps.remove(module);
    deps
}

/// Expands a use-tree starting at `tokens[at]` (just after a `::` or at the
/// first segment) into full paths.
fn parse_tree(tokens: &[Token], mut at: usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    if tokens.get(at) == Some(&Token::PathSep) {
        at += 1;
    }
    loop {
        match tokens.get(at) {
            Some(Token::Ident(seg)) if seg == "super" => {
                prefix.pop();
                at += 1;
            }
            Some(Token::Ident(seg)) => {
                if seg != "self" {
                    prefix.push(seg.clone());
                }
                at += 1;
            }
            Some(Token::Punct('{')) => {
                at += 1;
                loop {
                    match tokens.get(at) {
                        Some(Token::Punct('}')) => return at + 1,
                        Some(Token::Punct(',')) => at += 1,
                        None => return at,
                        _ => at = parse_tree(tokens, at, prefix.clone(), out),
                    }
                }
            }
            _ => {
                out.push(prefix);
                return at;
            }
        }
        if tokens.get(at) == Some(&Token::PathSep) {
            at += 1;
        } else {
            out.push(prefix);
            return at;
        }
    }
}

/// The longest prefix of `path` that is a module of the crate (or, for an
/// exported macro, the module defining it).
fn resolve(path: &[String], krate: &Crate) -> String {
    if let [name] = path {
        if let Some(module) = krate.macros.get(name) {
            return module.clone();
        }
    }
    (0..=path.len()).rev().map(|n| path[..n].join("::")).find(|m| krate.files.contains_key(m)).unwrap_or_default()
}

/// Each strongly connected group of more than one module (Tarjan).
fn find_cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        groups: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let edges = s.edges;
        for w in edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !edges.contains_key(w) {
                continue;
            }
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.groups.push(group);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        groups: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn krate(modules: &[&str]) -> Crate {
        Crate {
            files: modules.iter().map(|m| (m.to_string(), PathBuf::from(format!("{m}.rs")))).collect(),
            macros: BTreeMap::from([("on_db".to_owned(), "d".to_owned())]),
        }
    }

    fn deps(source: &str, module: &str, modules: &[&str]) -> Vec<String> {
        dependencies(source, module, &krate(modules)).into_iter().collect()
    }

    #[test]
    fn paths_resolve_to_the_modules_they_name() {
        let all = ["", "a", "a::b", "a::c", "d"];
        let src = "use crate::d::Thing;\nuse super::c::{self, X, y::Z};\nfn f() { crate::a::helper(); }";
        assert_eq!(deps(src, "a::b", &all), ["a", "a::c", "d"]);
        // A parent naming its declared children.
        assert_eq!(deps("mod b;\nmod c;\npub use b::Thing;\nfn f() { c::g() }", "a", &all), ["a::b", "a::c"]);
        // An exported macro lives where it is defined; `$crate` paths in it
        // belong to the call site.
        assert_eq!(deps("use crate::on_db;\nmacro_rules! m { () => { $crate::a::x } }", "e", &all), ["d"]);
    }

    #[test]
    fn super_inside_an_inline_test_module_is_the_file_itself() {
        let src = "use super::sibling;\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use crate::d::x;\n}";
        assert_eq!(deps(src, "a::b", &["", "a", "a::b", "d"]), ["a", "d"]);
    }

    #[test]
    fn comments_strings_and_chars_are_not_code() {
        let src = "// use crate::d::x;\n/* crate::d */ const S: &str = \"crate::d::x\"; const R: &str = r#\"super::x\"#;\nfn f<'a>(c: char) -> bool { c == '{' }\nuse crate::e::y;";
        assert_eq!(deps(src, "a", &["", "a", "d", "e"]), ["e"]);
    }

    #[test]
    fn cycles_are_found_and_acyclic_graphs_pass() {
        let graph = |pairs: &[(&str, &str)]| {
            let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (a, b) in pairs {
                edges.entry(a.to_string()).or_default().insert(b.to_string());
                edges.entry(b.to_string()).or_default();
            }
            edges
        };
        assert!(find_cycles(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])).is_empty());
        assert_eq!(find_cycles(&graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])), [["a", "b", "c"]]);
        assert_eq!(find_cycles(&graph(&[("tasks", "tasks::versions"), ("tasks::versions", "tasks")])).len(), 1);
    }

    #[test]
    fn this_workspace_is_checked_for_real() {
        // The lint suite's check on the real tree: each crate root found, with its files.
        let root = std::env::var_os("CYCLES_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
        for crate_root in CRATE_ROOTS {
            let cycles = cycles_in(&root.join(crate_root)).unwrap();
            println!("{crate_root}: {cycles:?}");
        }
        let backend = discover(&root.join("backend/src/lib.rs")).unwrap();
        assert!(backend.files.contains_key("bearer::guard") && backend.files.contains_key("db::migrate"));
    }
}
