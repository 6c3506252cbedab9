//! Text for Telegram's HTML parse mode: escaping, monospace tables, and splitting long replies.
//!
//! Every reply is HTML (`parse_mode = HTML`): the only characters to escape are `<`, `>` and
//! `&`, and [`escape`] is applied to every piece of dynamic text (service names, resource ids,
//! alert messages, file names). A reply longer than [`MAX_MESSAGE`] characters is split by
//! [`split_message`] at line boundaries; a tag open across the cut (a `<pre>` table) is closed
//! at the end of one part and opened again at the start of the next, so no part is cut inside a
//! tag and every part is valid HTML on its own.

use cloudcost::Money;
use cloudcost::money::Currency;
use rust_decimal::Decimal;

/// Telegram's limit on the text of one message, in characters.
pub const MAX_MESSAGE: usize = 4096;

/// Escapes text for Telegram's HTML parse mode.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// A USD amount in the display currency, e.g. `$1,234.57` or `₩1,727,800`.
pub fn money(currency: &Currency, usd: Decimal) -> String {
    currency.format(Money::usd(usd))
}

/// A monospace table: left-aligned first column, the others right-aligned, cells escaped,
/// wrapped in `<pre>`.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut width = vec![0usize; cols];
    for (i, h) in header.iter().enumerate() {
        width[i] = h.chars().count();
    }
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = width[i].saturating_sub(c.chars().count());
            if i > 0 {
                s.push_str("  ");
            }
            if i == 0 {
                s.push_str(c);
                if i + 1 < cols {
                    s.push_str(&" ".repeat(pad));
                }
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        escape(s.trim_end())
    };
    let mut out = String::from("<pre>");
    out.push_str(&line(header.to_vec()));
    for r in rows {
        out.push('\n');
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out.push_str("</pre>");
    out
}

/// Splits an HTML message into parts of at most `limit` characters, at line boundaries.
///
/// Tags open at a cut are closed at the end of the part and re-opened at the start of the
/// next. A single line longer than a part is cut between characters, never inside a tag or an
/// entity such as `&amp;`.
pub fn split_message(text: &str, limit: usize) -> Vec<String> {
    if text.chars().count() <= limit {
        return vec![text.to_string()];
    }
    let limit = limit.max(64);
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut current_len = 0usize;
    // Tags open at the end of `current`: (name, full opening tag).
    let mut open: Vec<(String, String)> = Vec::new();
    let closing_len = |open: &[(String, String)]| -> usize {
        open.iter().map(|(n, _)| n.chars().count() + 3).sum()
    };
    for line in text.split_inclusive('\n') {
        for piece in cut_line(line, limit / 2) {
            let n = piece.chars().count();
            // What this part would need to close its tags once `piece` is added.
            let mut after = open.clone();
            track_tags(&piece, &mut after);
            if current_len > 0 && current_len + n + closing_len(&after) > limit {
                let mut part = std::mem::take(&mut current);
                close_tags(&mut part, &open);
                parts.push(trim_part(part));
                for (_, tag) in &open {
                    current.push_str(tag);
                }
                current_len = current.chars().count();
            }
            current.push_str(&piece);
            current_len += n;
            track_tags(&piece, &mut open);
        }
    }
    if !current.is_empty() {
        close_tags(&mut current, &open);
        parts.push(trim_part(current));
    }
    parts.retain(|p| !p.trim().is_empty() && !is_empty_tags(p));
    parts
}

/// A part without its trailing newline (Telegram trims it anyway).
fn trim_part(mut part: String) -> String {
    while part.ends_with('\n') {
        part.pop();
    }
    part
}

/// True for a part that is nothing but re-opened and closed tags, like `<pre></pre>`.
fn is_empty_tags(part: &str) -> bool {
    let mut in_tag = false;
    for c in part.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag && !c.is_whitespace() => return false,
            _ => {}
        }
    }
    true
}

fn close_tags(part: &mut String, open: &[(String, String)]) {
    // Closing before the trailing newline keeps `</pre>` on the table's last line.
    let trailing = part.len() - part.trim_end_matches('\n').len();
    part.truncate(part.len() - trailing);
    for (name, _) in open.iter().rev() {
        part.push_str("</");
        part.push_str(name);
        part.push('>');
    }
}

/// Updates the stack of open tags with the tags of `piece`.
fn track_tags(piece: &str, open: &mut Vec<(String, String)>) {
    let mut rest = piece;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let tag = &rest[start..start + len + 1];
        let inner = &tag[1..tag.len() - 1];
        if let Some(name) = inner.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            if let Some(pos) = open.iter().rposition(|(n, _)| *n == name) {
                open.truncate(pos);
            }
        } else {
            let name: String = inner
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
                .to_ascii_lowercase();
            if !name.is_empty() && !inner.ends_with('/') {
                open.push((name, tag.to_string()));
            }
        }
        rest = &rest[start + len + 1..];
    }
}

/// Cuts a line into pieces of at most `max` characters, never inside `<…>` or `&…;`.
fn cut_line(line: &str, max: usize) -> Vec<String> {
    if line.chars().count() <= max {
        return vec![line.to_string()];
    }
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut n = 0usize;
    let mut in_tag = false;
    let mut in_entity = false;
    for c in line.chars() {
        let atomic = in_tag || in_entity;
        if n >= max && !atomic {
            pieces.push(std::mem::take(&mut piece));
            n = 0;
        }
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            '&' if !in_tag => in_entity = true,
            ';' if in_entity => in_entity = false,
            _ => {}
        }
        piece.push(c);
        n += 1;
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(escape("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(escape("i-0abc (m5.large)"), "i-0abc (m5.large)");
    }

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split_message("hello", MAX_MESSAGE), vec!["hello"]);
    }

    #[test]
    fn long_table_is_split_at_lines_and_tags_reopened() {
        let rows: Vec<Vec<String>> = (0..400)
            .map(|i| vec![format!("res-<{i}>"), format!("${i}.00")])
            .collect();
        let text = format!("<b>Top</b>\n{}", table(&["Resource", "Cost"], &rows));
        let parts = split_message(&text, MAX_MESSAGE);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(p.chars().count() <= MAX_MESSAGE, "{}", p.len());
            assert_eq!(
                p.matches("<pre>").count(),
                p.matches("</pre>").count(),
                "{p}"
            );
            assert!(!p.contains("&lt\n") && !p.ends_with("&lt"));
        }
        // Nothing lost: the lines of the parts are the lines of the text.
        let strip = |s: &str| s.replace("<pre>", "").replace("</pre>", "");
        let joined: Vec<String> = parts.iter().map(|p| strip(p)).collect();
        assert_eq!(joined.join("\n"), strip(&text));
    }

    #[test]
    fn a_huge_line_is_cut_outside_entities() {
        let text = "&amp;".repeat(3000);
        let parts = split_message(&text, MAX_MESSAGE);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(p.chars().count() <= MAX_MESSAGE);
            assert_eq!(p.replace("&amp;", ""), "", "cut inside an entity");
        }
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn table_aligns() {
        let t = table(
            &["Service", "Cost"],
            &[
                vec!["ec2".into(), "$10.00".into()],
                vec!["s3".into(), "$1.00".into()],
            ],
        );
        assert_eq!(
            t,
            "<pre>Service    Cost\nec2      $10.00\ns3        $1.00</pre>"
        );
    }
}
