//! "Did you mean ...?" suggestions for mistyped names.

/// The candidate closest to `typed`, if it is close enough to be a plausible typo.
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typed_lower = typed.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&typed_lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `"; did you mean 'x'?"` or an empty string.
pub fn did_you_mean<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(typed, candidates)
        .map(|c| format!("; did you mean '{c}'?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        assert_eq!(closest("cosin", ["cosine", "linear"]), Some("cosine"));
        assert_eq!(closest("stpe", ["step", "steps", "warmup"]), Some("step"));
        assert_eq!(closest("steplr", ["StepLR", "MultiStepLR"]), Some("StepLR"));
        assert_eq!(closest("zzz", ["cosine", "linear"]), None);
        assert_eq!(did_you_mean("zzz", ["cosine"]), "");
    }
}
