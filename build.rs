//! Generates the list of embedded catalog files from the `thinq_addon/` folder.
//!
//! The list used to be written by hand in `src/catalog.rs`, and `common.yaml` was forgotten in
//! it: its battery, door and electricity entries never applied. Generating the list makes a
//! new file in the folder load by being there. Two lists are written to `OUT_DIR`:
//! `catalog_files.rs` (the device files, `thinq_addon/*.yaml`) and `label_files.rs` (the value
//! labels per language, `thinq_addon/labels/*.yaml`), each a `&[(file name, include_str!)]`
//! sorted by name so the binary is reproducible.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn yaml_files(dir: &Path) -> Vec<(String, PathBuf)> {
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "yaml"))
        .map(|path| {
            let name = path
                .file_name()
                .expect("a file has a name")
                .to_string_lossy()
                .into_owned();
            (name, path)
        })
        .collect();
    files.sort();
    files
}

fn write_list(out: &Path, files: &[(String, PathBuf)]) {
    let mut text = String::from("&[\n");
    for (name, path) in files {
        let path = path.canonicalize().expect("catalog file path");
        writeln!(
            text,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to a String");
    }
    text.push_str("]\n");
    std::fs::write(out, text).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}

fn main() {
    // Read at run time, not baked in with `env!`: a build-script binary reused from another
    // checkout (a copied target folder) would otherwise list that checkout's files.
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest_dir.join("thinq_addon");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // A directory here makes cargo rerun the script when anything under it changes (a file
    // added, removed or edited), so the list never goes stale.
    println!("cargo:rerun-if-changed=thinq_addon");
    println!("cargo:rerun-if-changed=build.rs");
    write_list(&out_dir.join("catalog_files.rs"), &yaml_files(&root));
    write_list(
        &out_dir.join("label_files.rs"),
        &yaml_files(&root.join("labels")),
    );
}
