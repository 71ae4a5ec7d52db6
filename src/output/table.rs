//! Borderless, aligned tables in the style of `docker ps`: easy to read, easy to `awk`.

use comfy_table::{ContentArrangement, Table, presets};

use super::style::{Palette, Tone};

/// A table with the given column headers. `color` styles the header (cells style themselves).
pub fn new(headers: &[&str], color: bool) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty();
    let palette = Palette::new(color);
    table.set_header(
        headers
            .iter()
            .map(|h| palette.paint(Tone::Header, h))
            .collect::<Vec<_>>(),
    );
    table
}

/// Render without the padding comfy-table puts before the first column and after the last.
pub fn render(table: &mut Table) -> String {
    if let Some(first) = table.column_mut(0) {
        first.set_padding((0, 1));
    }
    let mut out = String::new();
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_without_borders_or_trailing_space() {
        let mut t = new(&["SERVICE", "STATE"], false);
        t.add_row(vec!["db", "running"]);
        t.add_row(vec!["dashboard", "exited"]);
        assert_eq!(
            render(&mut t),
            "SERVICE    STATE\ndb         running\ndashboard  exited\n"
        );
    }
}
