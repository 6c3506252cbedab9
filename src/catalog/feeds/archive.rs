//! Reading feed files where they are kept: a `.tar.xz` archive (as `../shared/price-sources/`
//! holds them), a directory, or one `.json` file; the origins file names each archive's source
//! and dates the files that carry no publication date.

use std::io::Read;
use std::path::Path;

use super::{FeedInput, OriginEntry, OriginsFile};
use crate::error::{CatalogError, Error};

/// What the origins file says: each archive folder's label and the dates of undated files.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    entries: Vec<OriginEntry>,
}

impl Origins {
    /// The origins file shipped in the catalog (`pricing-data/feed-origins.toml`).
    pub fn embedded() -> Result<Origins, Error> {
        let text =
            std::str::from_utf8(super::super::embedded_origins()).map_err(|e| CatalogError {
                file: "feed-origins.toml".into(),
                line: None,
                column: None,
                message: format!("not UTF-8: {e}"),
            })?;
        Origins::parse("feed-origins.toml", text)
    }

    /// Parses an origins file.
    pub fn parse(file: &str, text: &str) -> Result<Origins, Error> {
        let f: OriginsFile = toml::from_str(text).map_err(|e| CatalogError {
            file: file.into(),
            line: None,
            column: None,
            message: format!("not a valid origins file: {e}"),
        })?;
        if f.format_version != 1 {
            return Err(CatalogError {
                file: file.into(),
                line: None,
                column: Some("format_version".into()),
                message: format!("expected format_version = 1, found {}", f.format_version),
            }
            .into());
        }
        Ok(Origins { entries: f.origin })
    }

    /// The label and date for a file at `path` inside an archive whose top folder is `folder`.
    fn of(&self, folder: &str, path: &str) -> (String, Option<String>) {
        match self.entries.iter().find(|e| e.folder == folder) {
            Some(e) => {
                let date = e
                    .dates
                    .iter()
                    .find(|(pat, _)| glob(pat, path))
                    .map(|(_, d)| d.clone());
                (e.label.clone(), date)
            }
            None => (folder.to_string(), None),
        }
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Reads every `.json` file of an archive (`.tar.xz`), a directory (recursively) or one file.
/// Each file's origin is its archive's top folder as the origins file labels it.
pub fn read_inputs(path: &Path, origins: &Origins) -> Result<Vec<FeedInput>, Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path.to_string_lossy();
    let mut out = Vec::new();
    if path.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut files).map_err(io)?;
        files.sort();
        let folder = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        for f in files {
            let rel = f
                .strip_prefix(path)
                .unwrap_or(&f)
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&f).map_err(|source| Error::Io {
                path: f.clone(),
                source,
            })?;
            let (origin, date) = origins.of(&folder, &rel);
            out.push(FeedInput {
                name: format!("{}/{rel}", path.display()),
                origin,
                date,
                text,
            });
        }
    } else if name.ends_with(".tar.xz") || name.ends_with(".txz") {
        let file = std::fs::File::open(path).map_err(io)?;
        let mut tar_bytes = Vec::new();
        lzma_rs::xz_decompress(&mut std::io::BufReader::new(file), &mut tar_bytes).map_err(
            |e| CatalogError {
                file: name.to_string(),
                line: None,
                column: None,
                message: format!("not a readable .tar.xz archive: {e}"),
            },
        )?;
        let mut archive = tar::Archive::new(tar_bytes.as_slice());
        let bad = |e: std::io::Error| CatalogError {
            file: name.to_string(),
            line: None,
            column: None,
            message: format!("not a readable tar archive: {e}"),
        };
        for entry in archive.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            let entry_path = entry.path().map_err(bad)?.to_string_lossy().into_owned();
            if !entry.header().entry_type().is_file() || !entry_path.ends_with(".json") {
                continue;
            }
            let mut text = String::new();
            entry.read_to_string(&mut text).map_err(|e| CatalogError {
                file: format!("{name}:{entry_path}"),
                line: None,
                column: None,
                message: format!("unreadable (not UTF-8, or cut short): {e}"),
            })?;
            let (folder, rel) = entry_path.split_once('/').unwrap_or(("", &entry_path));
            let (origin, date) = origins.of(folder, rel);
            out.push(FeedInput {
                name: format!("{}:{entry_path}", path.display()),
                origin,
                date,
                text,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
    } else {
        let text = std::fs::read_to_string(path).map_err(io)?;
        out.push(FeedInput {
            name: name.to_string(),
            origin: name.to_string(),
            date: None,
            text,
        });
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_stars() {
        assert!(glob(
            "data/ec2/*-reservedinstance-*",
            "data/ec2/eu-west-1-reservedinstance-1y.json"
        ));
        assert!(!glob(
            "data/ec2/*-reservedinstance-*",
            "data/ec2/eu-west-1-ondemand.json"
        ));
        assert!(glob("processed/ec2.json", "processed/ec2.json"));
        assert!(glob("*", "anything"));
    }
}
