#![allow(clippy::print_stdout)]
//! Embeds the demo site content (`seed/site/*.json`) in the crate, so the server seeds it from
//! wherever it runs; and rebuilds the crate when a migration changes, since `sqlx::migrate!`
//! embeds them and cannot tell cargo so on stable Rust.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("seed/site");
    println!("cargo:rerun-if-changed={}", dir.display());
    println!("cargo:rerun-if-changed=../migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    let mut out = String::from(
        "/// The demo pages: (file name, JSON).\npub const PAGES: &[(&str, &str)] = &[\n",
    );
    let mut globals = String::from("\"[]\"");
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        println!("cargo:rerun-if-changed={}", f.display());
        if name == "globals.json" {
            globals = format!("include_str!({:?})", f.display().to_string());
        } else {
            let _ = writeln!(
                out,
                "    ({name:?}, include_str!({:?})),",
                f.display().to_string()
            );
        }
    }
    out.push_str("];\n");
    let _ = writeln!(
        out,
        "/// The demo reusable blocks.\npub const GLOBALS: &str = {globals};"
    );
    let target = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("site_seed.rs");
    if let Err(e) = std::fs::write(&target, out) {
        panic!("cannot write {}: {e}", target.display());
    }
}
