//! Embeds the price catalog (`pricing-data/`) in the binary. The per-region files made from AWS's
//! feeds (`ec2-feeds-<region>.csv` and `ec2-reserved-feeds-<region>.csv`, 10 MB in all, and
//! `<service>-feeds-<region>.toml`) are stored
//! gzip-compressed and inflated only when the catalog first needs that region
//! (src/catalog/mod.rs), so the binary stays small and loading stays fast; every other file is
//! stored as it is.

use std::io::Write;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("pricing-data");
    println!("cargo:rerun-if-changed={}", root.display());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut table = String::from(
        "/// `(path under pricing-data/, gzip-compressed, bytes)`.\npub static FILES: &[(&str, bool, &[u8])] = &[\n",
    );
    for (i, f) in files.iter().enumerate() {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&root)
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        let base = rel.rsplit('/').next().unwrap_or(&rel);
        // Per-region files: `ec2-feeds-<region>.csv` and `<service>-feeds-<region>.toml`.
        // ... and the feeds' instance types, read when attributes are first asked for.
        let per_region =
            (base.starts_with("ec2-") && base.contains("-feeds-") && base.ends_with(".csv"))
                || (base.contains("-feeds-") && base.ends_with(".toml"))
                || base == "instance-types-feeds.csv";
        let (path, gz) = if per_region {
            let raw = std::fs::read(f).expect("read");
            let dest = out_dir.join(format!("catalog-{i}.gz"));
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(&raw).expect("compress");
            std::fs::write(&dest, enc.finish().expect("compress")).expect("write");
            (dest, true)
        } else {
            (f.clone(), false)
        };
        table.push_str(&format!(
            "    ({rel:?}, {gz}, include_bytes!({:?})),\n",
            path.to_string_lossy()
        ));
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("embedded_catalog.rs"), table)
        .expect("write the embedded catalog table");
}
