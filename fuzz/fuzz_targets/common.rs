//! What several targets share: the built-in catalog, loaded once per fuzzing process.

use std::sync::OnceLock;

pub fn catalog() -> &'static cloudcost::catalog::Catalog {
    static C: OnceLock<cloudcost::catalog::Catalog> = OnceLock::new();
    C.get_or_init(|| cloudcost::catalog::Catalog::embedded().expect("catalog"))
}
