//! `cargo xtask size`: what the SPA's wasm is made of. Builds it as Trunk
//! does (profile `wasm-release`, wasm-bindgen, `wasm-opt -Oz`) but keeps the
//! function names (`-g`), then asks twiggy for every item's size and sums
//! them by crate. The names section itself is left out of the sums: the
//! shipped file has none. `--bin signin` profiles the sign-in bundle
//! (`signin.html`) instead of the whole app.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::process::{cargo, run_status, step};
use crate::tools::Tools;

/// Rows shown of each table.
const SHOWN: usize = 20;

/// The SPA's binaries: the whole app and the sign-in bundle.
const BINS: [&str; 2] = ["frontend", "signin"];

/// `--bin NAME` (one of [`BINS`]), else the whole app.
pub fn parse(args: &[String]) -> Result<&'static str, String> {
    match args {
        [] => Ok(BINS[0]),
        [flag, name] if flag == "--bin" => {
            BINS.into_iter().find(|b| b == name).ok_or_else(|| format!("--bin is one of {}", BINS.join(", ")))
        }
        _ => Err("usage: cargo xtask size [--bin frontend|signin]".into()),
    }
}

pub fn run(root: &Path, tools: &Tools, bin: &str) -> Result<(), String> {
    let twiggy = step("twiggy (the wasm size profiler)", || tools.ensure_twiggy())?;
    step(&format!("build the SPA's wasm, binary {bin} (profile wasm-release)"), || {
        run_status(
            cargo()
                .args(["build", "-p", "frontend", "--bin", bin, "--target", "wasm32-unknown-unknown"])
                .args(["--profile", "wasm-release"]),
        )
    })?;
    let out = root.join("target/size");
    let built = root.join(format!("target/wasm32-unknown-unknown/wasm-release/{bin}.wasm"));
    step("wasm-bindgen, then wasm-opt -Oz keeping names", || {
        run_status(tools.command("wasm-bindgen").args(["--target", "web", "--out-dir"]).arg(&out).arg(&built))?;
        run_status(
            tools
                .command("wasm-opt")
                .args(["-Oz", "-g", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext"])
                .args(["--enable-reference-types", "--enable-multivalue", "--enable-mutable-globals"])
                .arg(out.join(format!("{bin}_bg.wasm")))
                .arg("-o")
                .arg(out.join("named.wasm")),
        )
    })?;
    let report = tools
        .command(&twiggy)
        .args(["top", "-n", "1000000", "--format", "json"])
        .arg(out.join("named.wasm"))
        .output()
        .map_err(|e| format!("cannot run twiggy: {e}"))?;
    if !report.status.success() {
        return Err(format!("twiggy failed: {}", String::from_utf8_lossy(&report.stderr)));
    }
    let items: Vec<Value> = serde_json::from_slice(&report.stdout).map_err(|e| format!("twiggy's JSON: {e}"))?;
    let items: Vec<(String, u64)> = items
        .iter()
        .filter_map(|i| Some((i["name"].as_str()?.to_owned(), i["shallow_size"].as_u64()?)))
        .filter(|(name, _)| !name.contains("names\" subsection"))
        .collect();
    let total: u64 = items.iter().map(|(_, b)| b).sum();

    let mut by_crate: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    for (name, bytes) in &items {
        let entry = by_crate.entry(group_of(name)).or_default();
        entry.0 += bytes;
        entry.1 += 1;
    }
    let mut groups: Vec<_> = by_crate.into_iter().collect();
    groups.sort_by_key(|(_, (bytes, _))| std::cmp::Reverse(*bytes));
    println!("\nwasm without names: {total} bytes (before brotli); by crate:\n");
    for (group, (bytes, count)) in groups.iter().take(SHOWN) {
        println!("{bytes:>9} {:>5.1}% {count:>5} items  {group}", percent(*bytes, total));
    }
    let mut largest = items.clone();
    largest.sort_by_key(|(_, bytes)| std::cmp::Reverse(*bytes));
    println!("\nlargest items:\n");
    for (name, bytes) in largest.iter().take(SHOWN) {
        let name: String = name.chars().take(140).collect();
        println!("{bytes:>9} {:>5.1}%  {name}", percent(*bytes, total));
    }
    println!("\nall items: twiggy top/paths/dominators on {}", out.join("named.wasm").display());
    Ok(())
}

fn percent(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * part as f64 / total as f64
    }
}

/// The crate an item belongs to, by its demangled name: the first path
/// segment (`<yew::…CompStateInner<COMP> as …>::view` is yew's, though a
/// component's own markup is inlined there); data segments and tables by kind.
fn group_of(name: &str) -> String {
    if name.starts_with("data segment") {
        return "(data: strings and constants)".into();
    }
    let trimmed = name.trim_start_matches(['<', '&', ' ']).trim_start_matches("mut ").trim_start_matches("dyn ");
    let segment: String = trimmed.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let rest = &trimmed[segment.len()..];
    match segment.as_str() {
        "" => format!("({})", name.split(['[', ' ']).next().unwrap_or(name)),
        _ if rest.starts_with("::") || (rest.starts_with('[') && rest.contains("]::")) => segment,
        _ => format!("({segment})"),
    }
}

#[cfg(test)]
mod tests {
    use super::group_of;

    #[test]
    fn items_are_grouped_by_their_crate() {
        assert_eq!(group_of("<yew::html::component::lifecycle::CompStateInner<COMP> as yew::X>::view::h1"), "yew");
        assert_eq!(group_of("frontend::hooks::live::Live::hold::{{closure}}::h2"), "frontend");
        assert_eq!(group_of("<&mut serde_json::de::Deserializer<R> as serde::Deserializer>::x"), "serde_json");
        assert_eq!(group_of("<f64 as core[c5930c85a12de822]::fmt::Display>::fmt"), "(f64)");
        assert_eq!(group_of("core[c5930c85a12de822]::fmt::write"), "core");
        assert_eq!(group_of("data segment \".rodata.5\""), "(data: strings and constants)");
        assert_eq!(group_of("elem[0]"), "(elem)");
    }
}
