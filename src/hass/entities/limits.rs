//! The limits a number-like entity offers in Home Assistant (min, max, step), gathered from
//! LG's ranges. `number` entities, climate and water heater targets and the `heat_cool` range
//! each hold one, so how limits are read from a profile is written once.

use crate::thinq::profile::RangeSpec;

/// Min, max and step of a value Home Assistant lets a user set. An unknown part is left to
/// Home Assistant's own default.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Positive when it comes from LG's ranges: their step 0 ("any value") is an unknown
    /// step. A catalog step is taken as written.
    pub step: Option<f64>,
}

impl Limits {
    /// One slider over several of LG's ranges (a target written to a different attribute per
    /// job mode): the lowest min, the highest max, the finest step.
    pub fn spanning<'a>(ranges: impl IntoIterator<Item = &'a RangeSpec>) -> Limits {
        ranges.into_iter().fold(Limits::default(), |acc, r| Limits {
            min: Some(acc.min.map_or(r.min, |m| m.min(r.min))),
            max: Some(acc.max.map_or(r.max, |m| m.max(r.max))),
            step: match (acc.step, positive(r.step)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        })
    }

    /// LG's range where the profile has one, each part it lacks from `fallback` (the
    /// catalog's limits, for `number` attributes that come without a range).
    pub fn of_range_or(range: Option<&RangeSpec>, fallback: Limits) -> Limits {
        match range {
            Some(r) => Limits {
                min: Some(r.min),
                max: Some(r.max),
                step: positive(r.step).or(fallback.step),
            },
            None => fallback,
        }
    }

    /// Whether `value` lies within min..=max; an unknown bound holds any value.
    pub fn contains(&self, value: f64) -> bool {
        self.min.is_none_or(|min| value >= min) && self.max.is_none_or(|max| value <= max)
    }
}

fn positive(step: f64) -> Option<f64> {
    (step > 0.0).then_some(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(min: f64, max: f64, step: f64) -> RangeSpec {
        RangeSpec {
            min,
            max,
            step,
            except: Vec::new(),
        }
    }

    #[test]
    fn spanning_takes_the_widest_bounds_and_the_finest_positive_step() {
        let ranges = [
            range(18.0, 30.0, 1.0),
            range(16.0, 26.0, 0.5),
            range(20.0, 32.0, 0.0),
        ];
        assert_eq!(
            Limits::spanning(&ranges),
            Limits {
                min: Some(16.0),
                max: Some(32.0),
                step: Some(0.5)
            }
        );
        assert_eq!(Limits::spanning(&[]), Limits::default());
        assert_eq!(Limits::spanning(&[range(1.0, 2.0, 0.0)]).step, None);
    }

    #[test]
    fn the_profiles_range_wins_and_the_catalog_fills_what_it_lacks() {
        let catalog = Limits {
            min: Some(0.0),
            max: Some(100.0),
            step: Some(5.0),
        };
        assert_eq!(Limits::of_range_or(None, catalog), catalog);
        assert_eq!(
            Limits::of_range_or(Some(&range(1.0, 19.0, 0.0)), catalog),
            Limits {
                min: Some(1.0),
                max: Some(19.0),
                step: Some(5.0)
            }
        );
        assert_eq!(
            Limits::of_range_or(Some(&range(1.0, 19.0, 2.0)), catalog).step,
            Some(2.0)
        );
    }

    #[test]
    fn contains_holds_its_bounds_and_any_value_where_a_bound_is_unknown() {
        let limits = Limits {
            min: Some(1.0),
            max: Some(19.0),
            step: None,
        };
        assert!(limits.contains(1.0) && limits.contains(19.0));
        assert!(!limits.contains(0.0) && !limits.contains(19.5));
        assert!(Limits::default().contains(-1e9));
    }
}
