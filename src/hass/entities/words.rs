//! How LG's words read when they are not options of an entity: a value LG reports as text
//! (a constant, a value off its list), and numbered values put in the order people count.

/// A word LG reports as text (a profile constant, an enum value off its list): its label from
/// `pairs`, else a readable form when it looks like an LG token (`DOUBLE`, `kimchi`), else the
/// text as it is (names, model numbers with digits and mixed case stay untouched).
pub fn word_label(pairs: &[(String, String)], text: &str) -> String {
    if let Some((_, label)) = pairs.iter().find(|(lg, _)| lg.eq_ignore_ascii_case(text)) {
        return label.clone();
    }
    // Digits without an underscore read as a model code (`WKEX300HBA`), not a word.
    let has_digit = text.chars().any(|c| c.is_ascii_digit());
    let token = text.chars().any(|c| c.is_ascii_alphabetic())
        && (!has_digit || text.contains('_'))
        && (text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            || text.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
    if token {
        crate::labels::readable(text)
    } else {
        text.to_owned()
    }
}

/// `values` with the ones that differ only by a trailing number (`RINSELEVEL_4`,
/// `RINSELEVEL_0`, …; LG lists them in any order) put in numeric order, each group in the
/// places its members held, so a list reads "Rinse level 0, 1, 2 …" and other values keep
/// LG's order.
pub fn numbered_in_order(values: &[String]) -> Vec<String> {
    let split = |v: &str| -> Option<(String, u64)> {
        let stem = v.trim_end_matches(|c: char| c.is_ascii_digit());
        let number = v[stem.len()..].parse::<u64>().ok()?;
        Some((stem.to_ascii_uppercase(), number))
    };
    let mut out = values.to_vec();
    let mut stems: Vec<String> = values
        .iter()
        .filter_map(|v| split(v).map(|(stem, _)| stem))
        .collect();
    stems.dedup();
    for stem in stems {
        let slots: Vec<usize> = (0..values.len())
            .filter(|&i| split(&values[i]).is_some_and(|(s, _)| s == stem))
            .collect();
        let mut members: Vec<(u64, &String)> = slots
            .iter()
            .filter_map(|&i| split(&values[i]).map(|(_, n)| (n, &values[i])))
            .collect();
        members.sort_by_key(|(n, _)| *n);
        for (slot, (_, value)) in slots.iter().zip(members) {
            out[*slot] = value.clone();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_values_read_in_numeric_order() {
        let list = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            numbered_in_order(&list(&[
                "RINSELEVEL_4",
                "AUTO",
                "RINSELEVEL_0",
                "RINSELEVEL_10"
            ])),
            list(&["RINSELEVEL_0", "AUTO", "RINSELEVEL_4", "RINSELEVEL_10"])
        );
        assert_eq!(
            numbered_in_order(&list(&["HIGH", "LOW", "WIND_2", "WIND_1"])),
            list(&["HIGH", "LOW", "WIND_1", "WIND_2"])
        );
    }

    #[test]
    fn words_read_as_labels_or_readable_tokens() {
        let pairs = vec![("KIMCHI".to_owned(), "김치".to_owned())];
        assert_eq!(word_label(&pairs, "kimchi"), "김치");
        assert_eq!(word_label(&pairs, "DOUBLE"), "Double");
        assert_eq!(word_label(&pairs, "NEW_VALUE_2"), "New value 2");
        assert_eq!(word_label(&pairs, "WKEX300HBA"), "WKEX300HBA");
        assert_eq!(word_label(&pairs, "Model X1"), "Model X1");
    }
}
