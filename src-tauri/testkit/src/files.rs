//! What a secret scan reads: every file under a folder, as bytes.

use std::path::Path;

/// The bytes of every file under `dir`, recursively, one after another; with `extension`, only
/// the files that have it (`Some("log")`). A missing folder reads as nothing.
pub fn read_tree(dir: &Path, extension: Option<&str>) -> Vec<u8> {
    let mut out = Vec::new();
    collect(dir, extension, &mut out);
    out
}

fn collect(dir: &Path, extension: Option<&str>, out: &mut Vec<u8>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, extension, out);
        } else if extension.is_none_or(|x| path.extension().is_some_and(|e| e == x)) {
            out.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
}
