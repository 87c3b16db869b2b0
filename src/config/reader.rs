//! Reading one setting by its definition ([`super::settings`]): values trimmed,
//! empty ones unset, every problem collected.

use std::fmt;

use super::ConfigProblem;
use super::settings::{Default, Rule, Setting, show};

/// Reads variables through a lookup and collects every problem, so each setting is one call.
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

    /// `setting` read by `parse`: its value, or its [`Default::Value`] when
    /// unset; `None` when unset otherwise, or when invalid (a problem: the
    /// value, unless secret, what `parse` found wrong with it, and the setting's
    /// fix), or when required and unset (a problem saying to what to set it).
    pub(super) fn parsed<T, E: fmt::Display>(
        &mut self,
        setting: &Setting,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let value = match (self.get(setting.name), &setting.default) {
            (Some(value), _) => value,
            (None, Default::Value(default)) => (*default).to_owned(),
            (None, Default::Required(unset_fix)) => {
                self.problem(setting.name, "is not set", *unset_fix);
                return None;
            }
            (None, _) => return None,
        };
        match parse(&value) {
            Ok(parsed) => Some(parsed),
            Err(fault) => {
                let fault = if setting.secret {
                    fault.to_string()
                } else {
                    format!("{value:?} {fault}")
                };
                self.problem(setting.name, fault, setting.fix());
                None
            }
        }
    }

    /// A [`Rule::Number`] setting: its value, or its default when unset. Anything
    /// else is a problem whose fault and fix name the range and the default
    /// (from the constants, never spelled out); the function goes on with the default.
    pub(super) fn number(&mut self, setting: &Setting) -> u64 {
        let Rule::Number {
            min,
            max,
            default,
            unit,
            note,
        } = setting.rule
        else {
            unreachable!("{} is not a number", setting.name)
        };
        let Some(value) = self.get(setting.name) else {
            return default;
        };
        if let Ok(n) = value.parse::<u64>()
            && (min..=max).contains(&n)
        {
            return n;
        }
        let bounds = if max == u64::MAX {
            format!("of at least {}", show(min, unit))
        } else {
            format!("from {} to {}", show(min, unit), show(max, unit))
        };
        let number = if unit.is_empty() {
            "number".to_owned()
        } else {
            format!("number of {unit}")
        };
        self.problem(
            setting.name,
            format!("{value:?} is not a whole {number} {bounds}{note}"),
            format!(
                "use a {number} {bounds}, or unset it for {}",
                show(default, unit)
            ),
        );
        default
    }

    /// A [`Rule::OneOf`] setting: the index of the option its value spells (without
    /// case), `default` when unset or refused (a problem: the value, the rule's fault,
    /// the setting's fix).
    pub(super) fn choice_or(&mut self, setting: &Setting, default: usize) -> usize {
        let Rule::OneOf { options, fault } = setting.rule else {
            unreachable!("{} is not a choice", setting.name)
        };
        let Some(value) = self.get(setting.name).map(|v| v.to_ascii_lowercase()) else {
            return default;
        };
        match options.iter().position(|o| o.contains(&value.as_str())) {
            Some(chosen) => chosen,
            None => {
                self.problem(setting.name, format!("{value:?} {fault}"), setting.fix());
                default
            }
        }
    }

    /// [`Self::choice_or`] with the setting's own [`Default::Value`].
    pub(super) fn choice(&mut self, setting: &Setting) -> usize {
        let (Rule::OneOf { options, .. }, Default::Value(default)) =
            (&setting.rule, &setting.default)
        else {
            unreachable!("{} has no default option", setting.name)
        };
        let default = options.iter().position(|o| o.contains(default));
        self.choice_or(setting, default.unwrap_or_default())
    }
}
