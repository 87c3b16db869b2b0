//! Reading one variable: the helpers every setting of [`super::Config`] is read with.

use std::fmt;

use super::{ConfigProblem, MIB};

/// Reads variables through a lookup (values trimmed, empty ones unset) and
/// collects every problem, so each setting is one call.
pub(super) struct Reader<L> {
    pub(super) lookup: L,
    pub(super) problems: Vec<ConfigProblem>,
}

impl<L: Fn(&str) -> Option<String>> Reader<L> {
    pub(super) fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn problem(
        &mut self,
        variable: &'static str,
        fault: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.problems.push(ConfigProblem {
            variable,
            fault: fault.into(),
            fix: fix.into(),
        });
    }

    /// `variable` read by `parse`; `None` when unset, or when invalid (a
    /// problem: the value and what `parse` found wrong with it, and `fix`).
    pub(super) fn parsed<T, E: fmt::Display>(
        &mut self,
        variable: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
        fix: &str,
    ) -> Option<T> {
        let value = self.get(variable)?;
        match parse(&value) {
            Ok(parsed) => Some(parsed),
            Err(fault) => {
                self.problem(variable, format!("{value:?} {fault}"), fix);
                None
            }
        }
    }

    /// [`Self::parsed`] for a variable that must be set (`unset_fix` says to what).
    pub(super) fn required<T, E: fmt::Display>(
        &mut self,
        variable: &'static str,
        unset_fix: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
        fix: &str,
    ) -> Option<T> {
        if self.get(variable).is_none() {
            self.problem(variable, "is not set", unset_fix);
            return None;
        }
        self.parsed(variable, parse, fix)
    }

    /// A whole number in `range`, `default` when unset. Anything else is a
    /// problem whose fault and fix name the range and the default (from the
    /// constants, never spelled out) in `unit` (`""` for a count), `note`
    /// saying why where the bounds need it; the function goes on with the default.
    pub(super) fn number<T>(
        &mut self,
        variable: &'static str,
        range: std::ops::RangeInclusive<T>,
        default: T,
        unit: &str,
        note: &str,
    ) -> T
    where
        T: std::str::FromStr + PartialOrd + fmt::Display + Copy + Bounded,
    {
        let Some(value) = self.get(variable) else {
            return default;
        };
        if let Ok(n) = value.parse::<T>()
            && range.contains(&n)
        {
            return n;
        }
        // Byte counts also in MiB, as the README gives them.
        let show = |n: &T| match n.to_string().parse::<usize>() {
            Ok(bytes) if unit == "bytes" && bytes >= MIB && bytes % MIB == 0 => {
                format!("{bytes} ({} MiB)", bytes / MIB)
            }
            _ => n.to_string(),
        };
        let bounds = if *range.end() == T::MAX {
            format!("of at least {}", show(range.start()))
        } else {
            format!("from {} to {}", show(range.start()), show(range.end()))
        };
        let number = if unit.is_empty() {
            "number".to_owned()
        } else {
            format!("number of {unit}")
        };
        self.problem(
            variable,
            format!("{value:?} is not a whole {number} {bounds}{note}"),
            format!(
                "use a {number} {bounds}, or unset it for {}",
                show(&default)
            ),
        );
        default
    }

    /// One of `options` (matched without case), `default` when unset; anything
    /// else is a problem (`"<value>" <fault>`, `fix`) and the default.
    pub(super) fn choice<T: Copy>(
        &mut self,
        variable: &'static str,
        options: &[(&str, T)],
        default: T,
        fault: &str,
        fix: &str,
    ) -> T {
        let Some(value) = self.get(variable).map(|v| v.to_ascii_lowercase()) else {
            return default;
        };
        match options.iter().find(|(name, _)| *name == value) {
            Some((_, chosen)) => *chosen,
            None => {
                self.problem(variable, format!("{value:?} {fault}"), fix);
                default
            }
        }
    }
}

/// The largest value of a number type: a range up to it has no upper bound to name.
pub(super) trait Bounded {
    const MAX: Self;
}

impl Bounded for u64 {
    const MAX: Self = u64::MAX;
}

impl Bounded for usize {
    const MAX: Self = usize::MAX;
}
