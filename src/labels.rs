//! Words a user reads for LG's enum values, in the add-on's `language` (`en`, `ko`).
//!
//! LG reports machine values (`RINSELEVEL_0`, `POWER_OFF`); Home Assistant shows whatever the
//! discovery payload offers as options and states, so the label *is* the option. The labels are
//! catalog data (`thinq_addon/labels/<language>.yaml`, embedded by `build.rs`), not code, so a
//! translator edits YAML. A value no file names yet (LG adds values without notice) gets a
//! readable form of itself, so nothing ever shows blank and nothing needs a release to appear.
//!
//! Commands go the other way: the entity keeps `(LG value, label)` pairs and maps the label
//! back (see `hass::entities::common::lg_for_option`), so LG only ever sees its own spelling.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// The embedded label files: `(file name, YAML text)`, every `thinq_addon/labels/*.yaml`.
pub const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/label_files.rs"));

/// A language the add-on speaks (the `language` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    En,
    Ko,
}

impl Language {
    /// Every language, in the order `config.yaml` lists them.
    pub const ALL: [Language; 2] = [Language::En, Language::Ko];

    /// The option value (and label file name without `.yaml`).
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Ko => "ko",
        }
    }

    /// `en` / `ko` (any case); `None` for anything else.
    pub fn parse(code: &str) -> Option<Language> {
        Self::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The language devices are built in when no one says otherwise: set once at start from
    /// the options, so the code that builds device models (the bridge) needs no new argument.
    pub fn current() -> Language {
        match CURRENT.load(Ordering::Relaxed) {
            1 => Language::Ko,
            _ => Language::En,
        }
    }

    /// Sets [`Language::current`] (at start, from the `language` option).
    pub fn set_current(language: Language) {
        CURRENT.store(language as u8, Ordering::Relaxed);
    }
}

static CURRENT: AtomicU8 = AtomicU8::new(0);

/// One label file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelFile {
    /// LG value → label.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// English entity/device name part → this language's words ("Target temperature" →
    /// "목표 온도"). Names are translated part by part (location, sub-device, the name
    /// itself) before they are put together, so one entry serves every device that uses it.
    #[serde(default)]
    pub names: BTreeMap<String, String>,
}

/// The labels of one language, with English behind it for values only English names.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub language: Language,
    values: BTreeMap<String, String>,
    english: BTreeMap<String, String>,
    names: BTreeMap<String, String>,
}

impl Labels {
    /// Builds the labels of `language` from label files given as `(name, text)`.
    pub fn parse_files(
        files: &[(&str, &str)],
        language: Language,
    ) -> Result<Labels, (String, serde_yaml::Error)> {
        let read = |code: &str| -> Result<LabelFile, (String, serde_yaml::Error)> {
            let name = format!("{code}.yaml");
            match files.iter().find(|(file, _)| *file == name) {
                Some((_, text)) => serde_yaml::from_str::<LabelFile>(text).map_err(|e| (name, e)),
                None => Ok(LabelFile::default()),
            }
        };
        let own = read(language.code())?;
        Ok(Labels {
            language,
            values: own.values,
            english: read(Language::En.code())?.values,
            names: own.names,
        })
    }

    /// The embedded labels of `language`. A broken file (the tests catch it first) leaves the
    /// readable fallback only, never an unusable bridge.
    pub fn embedded(language: Language) -> &'static Labels {
        static EN: OnceLock<Labels> = OnceLock::new();
        static KO: OnceLock<Labels> = OnceLock::new();
        let cell = match language {
            Language::En => &EN,
            Language::Ko => &KO,
        };
        cell.get_or_init(|| {
            Labels::parse_files(FILES, language).unwrap_or_else(|(file, err)| {
                tracing::error!("value labels {file} unusable, showing readable values: {err}");
                Labels {
                    language,
                    ..Labels::default()
                }
            })
        })
    }

    /// The label this language's file gives `value`, if any (exact spelling, then upper case).
    pub fn named(&self, value: &str) -> Option<&str> {
        lookup(&self.values, value)
    }

    /// What a user reads for LG's `value`: this language's label, else the English one, else
    /// a readable form of the value itself.
    pub fn label(&self, value: &str) -> String {
        self.named(value)
            .or_else(|| lookup(&self.english, value))
            .map_or_else(|| readable(value), str::to_owned)
    }
}

impl Labels {
    /// An entity or device name part in this language: the `names:` entry of the language's
    /// file, else the English name as given. Builders pass every human-readable name part
    /// through here before joining parts.
    pub fn name(&self, english: &str) -> String {
        self.names
            .get(english)
            .cloned()
            .unwrap_or_else(|| english.to_owned())
    }
}

fn lookup<'a>(map: &'a BTreeMap<String, String>, value: &str) -> Option<&'a str> {
    map.get(value)
        .or_else(|| map.get(&value.to_ascii_uppercase()))
        .map(String::as_str)
}

/// Words LG glues to the word before them (`RINSELEVEL_0`, `MCREMINDER_ON`).
const GLUED_SUFFIXES: [&str; 2] = ["level", "reminder"];

/// A value no label file names, made readable: `POWER_OFF` → "Power off", `rinselevel_0` →
/// "Rinse level 0", `WIND_10` → "Wind 10".
pub fn readable(value: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for word in value
        .split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        let lower = word.to_lowercase();
        match GLUED_SUFFIXES
            .iter()
            .find(|s| lower.len() > s.len() + 1 && lower.ends_with(*s))
        {
            Some(suffix) => {
                words.push(lower[..lower.len() - suffix.len()].to_owned());
                words.push((*suffix).to_owned());
            }
            None => words.push(lower),
        }
    }
    let text = words.join(" ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_reads_like_words() {
        assert_eq!(readable("POWER_OFF"), "Power off");
        assert_eq!(readable("rinselevel_0"), "Rinse level 0");
        assert_eq!(readable("MCREMINDER_ON"), "Mc reminder on");
        assert_eq!(readable("WIND_10"), "Wind 10");
        assert_eq!(readable("LEVEL_1"), "Level 1");
        assert_eq!(readable(""), "");
    }

    #[test]
    fn names_come_from_the_language_file_else_stay_english() {
        let files = [
            ("en.yaml", "values: {}\n"),
            ("ko.yaml", "names:\n  Target temperature: 목표 온도\n"),
        ];
        let ko = Labels::parse_files(&files, Language::Ko).expect("parses");
        assert_eq!(ko.name("Target temperature"), "목표 온도");
        assert_eq!(ko.name("Brightness"), "Brightness");
        let en = Labels::parse_files(&files, Language::En).expect("parses");
        assert_eq!(en.name("Target temperature"), "Target temperature");
    }

    #[test]
    fn every_label_file_parses_and_languages_are_known() {
        for (file, text) in FILES {
            let code = file.trim_end_matches(".yaml");
            assert!(Language::parse(code).is_some(), "{file}: unknown language");
            let parsed: Result<LabelFile, _> = serde_yaml::from_str(text);
            assert!(parsed.is_ok(), "{file}: {:?}", parsed.err());
        }
        for language in Language::ALL {
            assert!(Labels::parse_files(FILES, language).is_ok());
        }
    }

    #[test]
    fn korean_falls_back_to_english_then_to_the_value() {
        let files = [
            ("en.yaml", "values:\n  POWER_OFF: Off\n  START: Start\n"),
            ("ko.yaml", "values:\n  POWER_OFF: 꺼짐\n"),
        ];
        let ko = Labels::parse_files(&files, Language::Ko).unwrap();
        assert_eq!(ko.label("POWER_OFF"), "꺼짐");
        assert_eq!(ko.label("power_off"), "꺼짐");
        assert_eq!(ko.label("START"), "Start");
        assert_eq!(ko.label("NEW_VALUE"), "New value");
        assert_eq!(ko.named("START"), None);
    }

    #[test]
    fn language_codes_round_trip() {
        for language in Language::ALL {
            assert_eq!(Language::parse(language.code()), Some(language));
        }
        assert_eq!(Language::parse("KO"), Some(Language::Ko));
        assert_eq!(Language::parse("de"), None);
    }
}
