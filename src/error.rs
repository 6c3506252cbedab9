//! The library's typed errors.
//!
//! Each error names what a user needs to fix it: the file, the row or line and column, the key,
//! what was expected and what was found. A price the catalog lacks is [`MissingPrice`], never $0.

use std::fmt;
use std::path::PathBuf;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A catalog data file is malformed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The catalog has no price for something that was asked for.
    #[error(transparent)]
    MissingPrice(#[from] MissingPrice),
    /// A plan file is malformed or asks for something that does not exist.
    #[error(transparent)]
    Plan(#[from] InputError),
    /// A usage or metrics file could not be read, or lacks columns.
    #[error(transparent)]
    Usage(#[from] crate::usage::UsageError),
    /// `cloudcost pricing update` could not download or check a pricing feed.
    #[error(transparent)]
    Update(#[from] crate::catalog::update::UpdateError),
    /// A request the input cannot answer (an option that does not apply to the file given).
    #[error("{0}")]
    Request(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// A price that the catalog does not hold. Shown as an error, never priced as zero.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct MissingPrice {
    /// The region asked for, e.g. `ap-northeast-2`.
    pub region: String,
    /// The service, e.g. `ec2`, `s3`.
    pub service: String,
    /// The item: an instance type, a storage class, a rate key.
    pub item: String,
    /// What exactly is missing, e.g. `reserved 1yr standard all-upfront, linux`.
    pub what: String,
}

impl fmt::Display for MissingPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "missing price: the catalog has no {} price for {} `{}` ({}) in {}; no published source \
             was found for it. Import one from an AWS Price List offer file: \
             `cloudcost pricing import <offer.json> --out pricing-data/aws/`, then pass \
             `--pricing-data pricing-data/`",
            self.service, self.service, self.item, self.what, self.region
        )
    }
}

/// A malformed catalog file: which file, which row (or line), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", location(.line, .column))]
pub struct CatalogError {
    /// The catalog file (relative to the catalog root).
    pub file: String,
    /// 1-based line or row, when known.
    pub line: Option<usize>,
    /// The column or key, when known.
    pub column: Option<String>,
    /// What was expected and what was found.
    pub message: String,
}

/// A malformed user input file (plan, offer file): file, line and column, table and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {}{message}", location(.line, .column), in_context(.context))]
pub struct InputError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (as a string so that a key name can stand here too), when known.
    pub column: Option<String>,
    /// Where in the file: e.g. `[[ec2]] "web" key instance_type`.
    pub context: Option<String>,
    /// What was expected and what was found.
    pub message: String,
}

fn location(line: &Option<usize>, column: &Option<String>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        (None, Some(c)) => format!(" (column {c})"),
        (None, None) => String::new(),
    }
}

fn in_context(context: &Option<String>) -> String {
    match context {
        Some(c) => format!("in {c}: "),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_price_names_everything() {
        let e = MissingPrice {
            region: "ap-northeast-2".into(),
            service: "ec2".into(),
            item: "m5.large".into(),
            what: "reserved 1yr standard all-upfront, linux".into(),
        };
        let s = e.to_string();
        for part in [
            "ap-northeast-2",
            "ec2",
            "m5.large",
            "reserved 1yr",
            "pricing import",
        ] {
            assert!(s.contains(part), "{s}");
        }
    }

    #[test]
    fn input_error_reads_like_a_compiler() {
        let e = InputError {
            file: "plan.toml".into(),
            line: Some(4),
            column: Some("17".into()),
            context: Some("[[ec2]] \"web\", key `instance_type`".into()),
            message: "unknown instance type `m5.larg`".into(),
        };
        assert_eq!(
            e.to_string(),
            "plan.toml:4:17: in [[ec2]] \"web\", key `instance_type`: unknown instance type `m5.larg`"
        );
    }
}
