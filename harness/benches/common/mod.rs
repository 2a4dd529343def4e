//! What the benchmarks share.

use std::path::{Path, PathBuf};

/// `n` cases made from the documented ones, each under its own prefix (`/{prefix}{k}`) so
/// templates stay distinct. No variants: the folder runs base trials only.
pub fn generate_cases(to: &Path, n: usize, prefix: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
    std::fs::create_dir_all(to).unwrap();
    let mut originals: Vec<PathBuf> = std::fs::read_dir(from)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    originals.sort();
    for i in 0..n {
        let text = std::fs::read_to_string(&originals[i % originals.len()]).unwrap();
        let mut case: serde_json::Value = serde_json::from_str(&text).unwrap();
        let path = case["path"].as_str().unwrap().to_owned();
        case["path"] = format!("/{prefix}{}{path}", i / originals.len()).into();
        std::fs::write(to.join(format!("case-{i:05}.json")), case.to_string()).unwrap();
    }
    to.to_owned()
}
