//! SVG to PNG with resvg. The font database holds only the DejaVu Sans fonts built into the
//! binary (`assets/fonts/`, under the Bitstream Vera / DejaVu licence, which allows embedding):
//! no system font is looked up and fontconfig is never used, so a chart renders the same on a
//! machine with no fonts at all.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{self, fontdb};

/// DejaVu Sans.
static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The family every generic family (sans-serif, serif, …) resolves to.
pub(crate) const FAMILY: &str = "DejaVu Sans";

/// The bundled fonts, loaded once.
fn fonts() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_data(REGULAR.to_vec());
        db.load_font_data(BOLD.to_vec());
        db.set_sans_serif_family(FAMILY);
        db.set_serif_family(FAMILY);
        db.set_monospace_family(FAMILY);
        db.set_cursive_family(FAMILY);
        db.set_fantasy_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// Renders an SVG document to PNG bytes at its own size, on white.
pub(crate) fn svg_to_png(svg: &str) -> Result<Vec<u8>, String> {
    let options = usvg::Options {
        font_family: FAMILY.to_string(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size();
    let mut pixmap = Pixmap::new(size.width(), size.height())
        .ok_or_else(|| format!("cannot make a {}×{} image", size.width(), size.height()))?;
    pixmap.fill(Color::WHITE);
    resvg::render(&tree, Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_text_with_the_bundled_font_only() {
        let svg = r##"<svg width="200" height="60" viewBox="0 0 200 60" xmlns="http://www.w3.org/2000/svg">
<text x="10" y="40" font-family="DejaVu Sans, Verdana, sans-serif" font-size="30" fill="#000">Cost $</text>
</svg>"##;
        let png = svg_to_png(svg).unwrap_or_else(|e| panic!("{e}"));
        let img = Pixmap::decode_png(&png).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((img.width(), img.height()), (200, 60));
        let dark = img.pixels().iter().filter(|p| p.red() < 128).count();
        assert!(dark > 100, "the text was not drawn: {dark} dark pixels");
        assert_eq!(fonts().len(), 2);
    }

    #[test]
    fn bad_svg_is_an_error() {
        assert!(svg_to_png("<svg").is_err());
    }
}
