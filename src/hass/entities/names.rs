//! Names made from LG's attribute and value names: `airConJobMode` as the words people read
//! ("Air con job mode") and as the snake-case keys of unique ids and topics
//! (`air_con_job_mode`), and a name with its location or sub-device in front.

/// `currentJobMode` → `Current job mode`; `PM2` stays `PM2`; `BURNER_1` → `Burner 1`.
pub fn humanize(name: &str) -> String {
    let words = words(name);
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // PM2, PM10, CO2, UV stay as they are; FRIDGE, UPPER, POWER_OFF read as words.
        let upper = w
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let has_letter = w.chars().any(|c| c.is_ascii_alphabetic());
        let acronym = upper
            && has_letter
            && !name.contains('_')
            && (w.chars().any(|c| c.is_ascii_digit()) || w.len() <= 2);
        if acronym {
            out.push_str(w);
        } else if i == 0 {
            let lower = w.to_lowercase();
            let mut chars = lower.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push_str(&w.to_lowercase());
        }
    }
    out
}

/// `airConJobMode` → `air_con_job_mode`, `PM10` → `pm10`, `targetTemperatureC` →
/// `target_temperature_c`, `BURNER_1` → `burner_1`.
pub fn snake(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// Splits camelCase, acronyms and `_`-separated names into words; digits stay with the word
/// before them (`PM10`, `flavorCapsule1`).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars.get(i.wrapping_sub(1)).copied().unwrap_or(' ');
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                    && !current
                        .chars()
                        .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit())
                || (prev.is_ascii_uppercase() && next.is_ascii_lowercase());
            if boundary {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Joins a name prefix ("Fridge", "Washer") and a name, in sentence case.
pub fn prefixed_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        return name.to_owned();
    }
    if name.is_empty() {
        return prefix.to_owned();
    }
    let mut chars = name.chars();
    let first = chars.next().unwrap_or(' ');
    let second = chars.next();
    let lower_first = second.is_some_and(|s| s.is_lowercase() || s == ' ');
    if lower_first {
        format!(
            "{prefix} {}{}",
            first.to_lowercase(),
            &name[first.len_utf8()..]
        )
    } else {
        format!("{prefix} {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_the_way_people_read_them() {
        assert_eq!(snake("airConJobMode"), "air_con_job_mode");
        assert_eq!(snake("PM10"), "pm10");
        assert_eq!(snake("targetTemperatureC"), "target_temperature_c");
        assert_eq!(snake("mCReminder"), "m_c_reminder");
        assert_eq!(snake("BURNER_1"), "burner_1");
        assert_eq!(snake("CO2"), "co2");
        assert_eq!(snake("flavorCapsule1"), "flavor_capsule1");
        assert_eq!(humanize("currentJobMode"), "Current job mode");
        assert_eq!(humanize("PM2"), "PM2");
        assert_eq!(humanize("FRIDGE"), "Fridge");
        assert_eq!(humanize("WINE_UPPER"), "Wine upper");
        assert_eq!(humanize("POWER_OFF"), "Power off");
        assert_eq!(humanize("POWER_ON"), "Power on");
        assert_eq!(humanize("UV"), "UV");
        assert_eq!(
            prefixed_name("Fridge", "Target temperature"),
            "Fridge target temperature"
        );
        assert_eq!(prefixed_name("Washer", "PM2.5"), "Washer PM2.5");
    }
}
