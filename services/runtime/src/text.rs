//! The rules every service's free text keeps (titles, descriptions, notes, comments,
//! reasons, labels), written once so that the processes, ideas, pilots and funding domains
//! refuse the same input with the same words. A domain's text newtype calls
//! [`TextRule::required`] or [`TextRule::optional`] and prefixes the [`TextError`] with the
//! name of its input field.
//!
//! - **Visible.** Text that renders as nothing is no text: a required text needs at least one
//!   character that is neither whitespace ([`char::is_whitespace`]) nor an invisible format
//!   character (Unicode general category Cf, [`is_format`]: zero width space, joiners,
//!   direction marks, the byte order mark, soft hyphen, …). An optional text may be blank
//!   (not given), but a non-blank one must be visible too.
//! - **No bidi overrides.** Bidirectional embeddings, overrides and isolates (U+202A–U+202E,
//!   U+2066–U+2069, [`is_bidi_control`]) reorder how the text around them is displayed
//!   ("Trojan Source", a file name that reads `…exe.pdf`); they are refused anywhere.
//!   Refused, not removed: bad input gets a clear error and changes nothing. The implicit
//!   marks (U+200E LEFT-TO-RIGHT MARK, U+200F, U+061C) stay allowed: they only help
//!   mixed-direction text display as written.
//! - **No control characters** but, where the rule allows line breaks, tab, line feed and
//!   carriage return.
//! - **Trimmed** of surrounding whitespace, then at most `max_chars` characters.

use std::fmt;

/// How a text field is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// The most characters (Unicode scalar values) allowed, after trimming.
    pub max_chars: usize,
    /// Whether tab, line feed and carriage return are allowed.
    pub line_breaks: bool,
}

/// Why a text was refused; its `Display` is the message after the field's name
/// (`"title: must not be empty"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// Nothing at all was given for a required text.
    Missing,
    /// Only whitespace was given for a required text.
    Blank,
    /// Only whitespace and invisible format characters.
    Invisible,
    /// Longer than the rule allows.
    TooLong {
        /// The limit.
        max: usize,
        /// The length given.
        got: usize,
    },
    /// A control character the rule does not allow.
    Control(char),
    /// A bidirectional embedding, override or isolate.
    Bidi(char),
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::Missing => f.write_str("is required"),
            TextError::Blank => f.write_str("must not be empty"),
            TextError::Invisible => f.write_str(
                "must contain at least one visible character, not only whitespace and \
                 invisible format characters such as U+200B ZERO WIDTH SPACE",
            ),
            TextError::TooLong { max, got } => {
                write!(f, "must be at most {max} characters, got {got}")
            }
            TextError::Control(c) => write!(
                f,
                "must not contain control characters, found {}",
                code_point(*c)
            ),
            TextError::Bidi(c) => write!(
                f,
                "must not contain the bidirectional control character {} {}: it changes \
                 how the text around it is displayed",
                code_point(*c),
                bidi_name(*c)
            ),
        }
    }
}

impl std::error::Error for TextError {}

/// `U+202E`.
fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

impl TextRule {
    /// A rule of at most `max_chars` characters, on one line or several.
    pub const fn new(max_chars: usize, line_breaks: bool) -> Self {
        Self {
            max_chars,
            line_breaks,
        }
    }

    /// Check a required text: the text trimmed of surrounding whitespace, or why not.
    pub fn required<'a>(&self, raw: &'a str) -> Result<&'a str, TextError> {
        if raw.is_empty() {
            return Err(TextError::Missing);
        }
        let text = raw.trim();
        if text.is_empty() {
            return Err(TextError::Blank);
        }
        self.check(text)?;
        Ok(text)
    }

    /// Check an optional text: blank (empty or only whitespace) is not given (`None`);
    /// anything else must pass as a required text.
    pub fn optional<'a>(&self, raw: &'a str) -> Result<Option<&'a str>, TextError> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            self.required(raw).map(Some)
        }
    }

    /// The rules on a trimmed, non-empty text. Characters are checked before the length so
    /// that a spoof is named as such however long it is.
    fn check(&self, text: &str) -> Result<(), TextError> {
        let mut visible = false;
        let mut chars = 0;
        for c in text.chars() {
            chars += 1;
            if is_bidi_control(c) {
                return Err(TextError::Bidi(c));
            }
            if c.is_control() && !(self.line_breaks && matches!(c, '\t' | '\n' | '\r')) {
                return Err(TextError::Control(c));
            }
            visible |= is_visible(c);
        }
        if !visible {
            return Err(TextError::Invisible);
        }
        if chars > self.max_chars {
            return Err(TextError::TooLong {
                max: self.max_chars,
                got: chars,
            });
        }
        Ok(())
    }
}

/// Whether `c` shows as something: not whitespace, not a control character, not an
/// invisible format character.
pub fn is_visible(c: char) -> bool {
    !(c.is_whitespace() || c.is_control() || is_format(c))
}

/// Whether `text` has at least one [visible](is_visible) character.
pub fn has_visible(text: &str) -> bool {
    text.chars().any(is_visible)
}

/// Whether `c` is a bidirectional embedding, override or isolate: LRE, RLE, PDF, LRO, RLO
/// (U+202A–U+202E) or LRI, RLI, FSI, PDI (U+2066–U+2069).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The Unicode name of a [bidi control](is_bidi_control), for messages.
fn bidi_name(c: char) -> &'static str {
    match c {
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        _ => "",
    }
}

/// Every code point of Unicode general category Cf (format), as inclusive ranges in order.
/// From the Unicode Character Database, `extracted/DerivedGeneralCategory.txt` of Unicode
/// 15.1 (170 code points; checked against Python's `unicodedata`, which agrees up to the
/// Egyptian format controls U+13439–U+1343F that 15.0 added). A later Unicode version may
/// add some: copy its `; Cf` lines here. The standard library has no general category, and
/// a crate for one table was not worth a dependency.
const FORMAT: [(char, char); 21] = [
    ('\u{00AD}', '\u{00AD}'),   // SOFT HYPHEN
    ('\u{0600}', '\u{0605}'),   // ARABIC NUMBER SIGN..ARABIC NUMBER MARK ABOVE
    ('\u{061C}', '\u{061C}'),   // ARABIC LETTER MARK
    ('\u{06DD}', '\u{06DD}'),   // ARABIC END OF AYAH
    ('\u{070F}', '\u{070F}'),   // SYRIAC ABBREVIATION MARK
    ('\u{0890}', '\u{0891}'),   // ARABIC POUND MARK ABOVE..ARABIC PIASTRE MARK ABOVE
    ('\u{08E2}', '\u{08E2}'),   // ARABIC DISPUTED END OF AYAH
    ('\u{180E}', '\u{180E}'),   // MONGOLIAN VOWEL SEPARATOR
    ('\u{200B}', '\u{200F}'),   // ZERO WIDTH SPACE..RIGHT-TO-LEFT MARK
    ('\u{202A}', '\u{202E}'),   // LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
    ('\u{2060}', '\u{2064}'),   // WORD JOINER..INVISIBLE PLUS
    ('\u{2066}', '\u{206F}'),   // LEFT-TO-RIGHT ISOLATE..NOMINAL DIGIT SHAPES
    ('\u{FEFF}', '\u{FEFF}'),   // ZERO WIDTH NO-BREAK SPACE (byte order mark)
    ('\u{FFF9}', '\u{FFFB}'),   // INTERLINEAR ANNOTATION ANCHOR..TERMINATOR
    ('\u{110BD}', '\u{110BD}'), // KAITHI NUMBER SIGN
    ('\u{110CD}', '\u{110CD}'), // KAITHI NUMBER SIGN ABOVE
    ('\u{13430}', '\u{1343F}'), // EGYPTIAN HIEROGLYPH VERTICAL JOINER..END WALLED ENCLOSURE
    ('\u{1BCA0}', '\u{1BCA3}'), // SHORTHAND FORMAT LETTER OVERLAP..UP STEP
    ('\u{1D173}', '\u{1D17A}'), // MUSICAL SYMBOL BEGIN BEAM..END PHRASE
    ('\u{E0001}', '\u{E0001}'), // LANGUAGE TAG
    ('\u{E0020}', '\u{E007F}'), // TAG SPACE..CANCEL TAG
];

/// Whether `c` is a format character (Unicode general category Cf): it affects the layout
/// of the text around it but shows nothing itself.
pub fn is_format(c: char) -> bool {
    FORMAT
        .binary_search_by(|(first, last)| {
            if *last < c {
                std::cmp::Ordering::Less
            } else if *first > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TITLE: TextRule = TextRule::new(80, true);
    const LINE: TextRule = TextRule::new(80, false);

    #[test]
    fn the_format_table_is_ordered_and_has_the_170_code_points_of_category_cf() {
        assert!(FORMAT.iter().all(|(first, last)| first <= last));
        assert!(FORMAT.windows(2).all(|w| w[0].1 < w[1].0));
        let count: u32 = FORMAT
            .iter()
            .map(|(first, last)| u32::from(*last) - u32::from(*first) + 1)
            .sum();
        assert_eq!(count, 170);
        let all = (0..=u32::from(char::MAX)).filter_map(char::from_u32);
        assert_eq!(all.filter(|c| is_format(*c)).count(), 170);
    }

    #[test]
    fn format_characters_are_invisible_and_letters_marks_and_symbols_are_not() {
        for c in [
            '\u{00AD}',
            '\u{180E}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{202A}',
            '\u{202E}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2069}',
            '\u{206F}',
            '\u{FEFF}',
            '\u{E0001}',
            '\u{E007F}',
        ] {
            assert!(is_format(c) && !is_visible(c), "U+{:04X}", u32::from(c));
        }
        for c in [
            ' ', '\t', '\n', '\u{00A0}', '\u{2003}', '\u{3000}', '\u{0085}',
        ] {
            assert!(!is_visible(c), "U+{:04X}", u32::from(c));
        }
        for c in [
            'a',
            'ø',
            'Å',
            'ע',
            '7',
            '€',
            '👩',
            '\u{0301}',
            '\u{2065}',
            '\u{E0080}',
        ] {
            assert!(!is_format(c), "U+{:04X}", u32::from(c));
        }
        assert!(has_visible("\u{200B}x\u{200B}"));
        assert!(!has_visible(" \u{200B}\u{FEFF} "));
    }

    #[test]
    fn a_required_text_needs_a_visible_character() {
        assert_eq!(TITLE.required(""), Err(TextError::Missing));
        assert_eq!(TITLE.required("  \n "), Err(TextError::Blank));
        for invisible in [
            "\u{200B}",
            " \u{200B} ",
            "\u{FEFF}\u{00AD}",
            "\u{2060}\u{180E}",
        ] {
            assert_eq!(TITLE.required(invisible), Err(TextError::Invisible));
        }
        assert_eq!(TITLE.required("  Faktura  "), Ok("Faktura"));
        assert_eq!(TITLE.required("\u{200B}x"), Ok("\u{200B}x"));
    }

    #[test]
    fn an_optional_text_may_be_blank_but_not_invisible() {
        assert_eq!(TITLE.optional(""), Ok(None));
        assert_eq!(TITLE.optional("   "), Ok(None));
        assert_eq!(TITLE.optional("\u{200B}"), Err(TextError::Invisible));
        assert_eq!(TITLE.optional(" noter "), Ok(Some("noter")));
    }

    #[test]
    fn bidi_controls_are_refused_anywhere_and_named() {
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            assert!(is_bidi_control(c));
            for text in [
                format!("{c}"),
                format!("faktura{c}fdp.exe"),
                format!("x{c}"),
            ] {
                assert_eq!(TITLE.required(&text), Err(TextError::Bidi(c)));
                assert_eq!(TITLE.optional(&text), Err(TextError::Bidi(c)));
            }
        }
        let message = TITLE.required("a\u{202E}b").unwrap_err().to_string();
        assert!(
            message.contains("U+202E RIGHT-TO-LEFT OVERRIDE"),
            "{message}"
        );
        // A spoof is named as such even when it is also too long.
        let long = format!("{}\u{2067}", "x".repeat(100));
        assert_eq!(TITLE.required(&long), Err(TextError::Bidi('\u{2067}')));
        // The implicit direction marks are not overrides.
        for c in ['\u{200E}', '\u{200F}', '\u{061C}', '\u{206A}'] {
            assert!(!is_bidi_control(c));
        }
        assert!(TITLE.required("Ansøgning \u{200F}עברית\u{200E}").is_ok());
    }

    #[test]
    fn control_characters_are_refused_but_line_breaks_where_allowed() {
        assert_eq!(
            TITLE.required("a\u{0007}b"),
            Err(TextError::Control('\u{0007}'))
        );
        assert_eq!(
            TITLE.required("a\u{0085}b"),
            Err(TextError::Control('\u{0085}'))
        );
        assert_eq!(
            TITLE.required("første\r\nanden\tlinje"),
            Ok("første\r\nanden\tlinje")
        );
        assert_eq!(LINE.required("a\nb"), Err(TextError::Control('\n')));
        assert_eq!(LINE.required("a\tb"), Err(TextError::Control('\t')));
        assert_eq!(
            TITLE.required("a\u{0007}b").unwrap_err().to_string(),
            "must not contain control characters, found U+0007"
        );
    }

    #[test]
    fn length_counts_characters_after_trimming() {
        assert!(TITLE.required(&"å".repeat(80)).is_ok());
        assert!(TITLE.required(&format!("  {}  ", "å".repeat(80))).is_ok());
        assert_eq!(
            TITLE.required(&"a".repeat(81)),
            Err(TextError::TooLong { max: 80, got: 81 })
        );
        assert_eq!(
            TITLE.required(&"a".repeat(81)).unwrap_err().to_string(),
            "must be at most 80 characters, got 81"
        );
    }
}
