//! Country → ThinQ region (KIC / AIC / EIC), the table both official SDKs carry (162 countries).

/// Placeholder: filled in by the REST-client work.
pub fn region_for_country(_country: &str) -> Option<&'static str> {
    todo!()
}
