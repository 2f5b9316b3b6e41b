//! Country → ThinQ region (KIC / AIC / EIC), the table both official SDKs carry (162 countries).
//!
//! LG routes a PAT's calls by the user's country: the base URL is `https://api-{region}.lgthinq.com`
//! and a country missing from this table is refused by the SDKs ("Not supported country_code").
//! The lists are copied from `thinqconnect/country.py` `SUPPORTED_COUNTRIES` (identical in the JS
//! SDK), see `reference/thinq-api.md` §1.1.

/// Korea and Asia-Pacific.
const KIC: [&str; 20] = [
    "AU", "BD", "CN", "HK", "ID", "IN", "JP", "KH", "KR", "LA", "LK", "MM", "MY", "NP", "NZ", "PH",
    "SG", "TH", "TW", "VN",
];

/// The Americas.
const AIC: [&str; 37] = [
    "AG", "AR", "AW", "BB", "BO", "BR", "BS", "BZ", "CA", "CL", "CO", "CR", "CU", "DM", "DO", "EC",
    "GD", "GT", "GY", "HN", "HT", "JM", "KN", "LC", "MX", "NI", "PA", "PE", "PR", "PY", "SR", "SV",
    "TT", "US", "UY", "VC", "VE",
];

/// Europe, the Middle East and Africa.
const EIC: [&str; 105] = [
    "AE", "AF", "AL", "AM", "AO", "AT", "AZ", "BA", "BE", "BF", "BG", "BH", "BJ", "BY", "CD", "CF",
    "CG", "CH", "CI", "CM", "CV", "CY", "CZ", "DE", "DJ", "DK", "DZ", "EE", "EG", "ES", "ET", "FI",
    "FR", "GA", "GB", "GE", "GH", "GM", "GN", "GQ", "GR", "HR", "HU", "IE", "IL", "IQ", "IR", "IS",
    "IT", "JO", "KE", "KG", "KW", "KZ", "LB", "LR", "LT", "LU", "LV", "LY", "MA", "MD", "ME", "MK",
    "ML", "MR", "MT", "MU", "MW", "NE", "NG", "NL", "NO", "OM", "PK", "PL", "PS", "PT", "QA", "RO",
    "RS", "RU", "RW", "SA", "SD", "SE", "SI", "SK", "SL", "SN", "SO", "ST", "SY", "TD", "TG", "TN",
    "TR", "TZ", "UA", "UG", "UZ", "XK", "YE", "ZA", "ZM",
];

/// Every supported country with its region, in the SDK's order (KIC, AIC, EIC).
pub fn supported_countries() -> impl Iterator<Item = (&'static str, &'static str)> {
    KIC.iter()
        .map(|c| (*c, "kic"))
        .chain(AIC.iter().map(|c| (*c, "aic")))
        .chain(EIC.iter().map(|c| (*c, "eic")))
}

/// The lower-case region (`"kic"`, `"aic"` or `"eic"`) for an ISO 3166 alpha-2 country code.
///
/// The input is trimmed and compared case-insensitively, because users type `de` as often as
/// `DE` in the add-on options. `None` for a country LG does not serve.
pub fn region_for_country(country: &str) -> Option<&'static str> {
    let country = country.trim();
    supported_countries()
        .find(|(code, _)| code.eq_ignore_ascii_case(country))
        .map(|(_, region)| region)
}

/// The production REST base URL for a country, without a trailing slash.
pub fn base_url_for_country(country: &str) -> Option<String> {
    region_for_country(country).map(|region| format!("https://api-{region}.lgthinq.com"))
}

/// Whether LG's ThinQ Connect API serves this country.
pub fn is_supported_country(country: &str) -> bool {
    region_for_country(country).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_has_162_distinct_countries_split_20_37_105() {
        let all: Vec<_> = supported_countries().collect();
        assert_eq!(all.len(), 162);
        let distinct: HashSet<_> = all.iter().map(|(c, _)| *c).collect();
        assert_eq!(distinct.len(), 162, "a country is listed twice");
        let count = |r: &str| all.iter().filter(|(_, region)| *region == r).count();
        assert_eq!((count("kic"), count("aic"), count("eic")), (20, 37, 105));
        assert!(
            all.iter()
                .all(|(c, _)| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()))
        );
    }

    #[test]
    fn lookup_is_case_insensitive_and_trims() {
        assert_eq!(region_for_country("DE"), Some("eic"));
        assert_eq!(region_for_country("de"), Some("eic"));
        assert_eq!(region_for_country(" us "), Some("aic"));
        assert_eq!(region_for_country("Kr"), Some("kic"));
        assert_eq!(region_for_country("XK"), Some("eic"));
    }

    #[test]
    fn unknown_countries_are_refused() {
        for bad in ["", "D", "DEU", "ZZ", "AQ", "12", "ÄÖ"] {
            assert_eq!(region_for_country(bad), None, "{bad:?}");
            assert!(!is_supported_country(bad));
            assert_eq!(base_url_for_country(bad), None);
        }
    }

    #[test]
    fn base_url_uses_the_lower_case_region() {
        for (country, url) in [
            ("gb", "https://api-eic.lgthinq.com"),
            ("CA", "https://api-aic.lgthinq.com"),
            ("au", "https://api-kic.lgthinq.com"),
        ] {
            assert_eq!(
                base_url_for_country(country).as_deref(),
                Some(url),
                "{country}"
            );
        }
    }
}
