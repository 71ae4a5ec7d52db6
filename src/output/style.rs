//! phi's one palette: every colour a command shows comes from a [`Tone`], painted by a
//! [`Palette`] that knows whether its stream gets colour (decided once, by the Printer).

use std::fmt::Display;

use console::Style;

/// What a piece of text means; each tone has one look everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Passed, healthy, running, done (green).
    Good,
    /// Worth a look, not a failure (yellow).
    Warn,
    /// Failed (bold red).
    Bad,
    /// A failed detail inside a row (red).
    BadDetail,
    /// Information (cyan).
    Info,
    /// Secondary text (dim).
    Dim,
    /// A table header (bold).
    Header,
    /// A progress verb on stderr (bold green).
    Verb,
    /// A warning label on stderr (bold yellow).
    WarnLabel,
}

impl Tone {
    pub fn style(self) -> Style {
        let s = Style::new();
        match self {
            Tone::Good => s.green(),
            Tone::Warn => s.yellow(),
            Tone::Bad => s.red().bold(),
            Tone::BadDetail => s.red(),
            Tone::Info => s.cyan(),
            Tone::Dim => s.dim(),
            Tone::Header => s.bold(),
            Tone::Verb => s.green().bold(),
            Tone::WarnLabel => s.yellow().bold(),
        }
    }
}

/// Paints text for one stream: with colour or without, never asking the terminal again.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    color: bool,
}

impl Palette {
    pub fn new(color: bool) -> Palette {
        Palette { color }
    }

    pub fn paint(&self, tone: Tone, text: impl Display) -> String {
        tone.style()
            .force_styling(self.color)
            .apply_to(text)
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_colour_text_is_untouched() {
        assert_eq!(Palette::new(false).paint(Tone::Bad, "down"), "down");
    }

    #[test]
    fn with_colour_text_gets_escape_codes() {
        let painted = Palette::new(true).paint(Tone::Good, "up");
        assert!(
            painted.starts_with("\u{1b}[") && painted.contains("up"),
            "{painted:?}"
        );
    }
}
