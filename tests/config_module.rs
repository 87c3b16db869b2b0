//! The writer-function module accepts exactly what the function accepts.
//!
//! Every setting the module sets comes from one input variable
//! ([`Module::Input`] in `src/config/settings.rs`). For each, every sample value
//! of the setting (and the edges of a number's range, one past them and a
//! fraction) is judged twice: by `Config::from_lookup`, and by Terraform itself
//! evaluating the module's `variables.tf` (a copy alone in a scratch folder: no
//! provider, no resources, so `terraform plan` only runs the validations and
//! reports every refused variable at once). The verdicts must be equal, so a
//! validation that is missing, looser or stricter than the function fails here.
//! The module's environment wiring and its inputs' defaults are checked against
//! the table too.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use cross_account_s3_writer::config::settings::{self, Default, Module, Rule, SETTINGS, Setting};
use cross_account_s3_writer::config::{Config, RESERVED_BUCKET_PREFIXES, RESERVED_BUCKET_SUFFIXES};
use serde_json::{Value, json};

const MODULE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/infra/modules/writer-function");
/// The bucket account's module: its inputs that must equal a setting of the function.
const TARGET_BUCKET_MODULE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/infra/modules/target-bucket");
const TARGET_BUCKET_INPUTS: &[(&Setting, &str)] = &[
    (&settings::TARGET_BUCKET, "bucket_name"),
    (&settings::KEY_PREFIX, "key_prefix"),
    (&settings::TARGET_EXTERNAL_ID, "external_id"),
];

/// What every sample runs with, in the function and in the module.
const BASE_ENV: &[(&str, &str)] = &[
    (
        "TARGET_ROLE_ARN",
        "arn:aws:iam::222222222222:role/writer-target",
    ),
    ("TARGET_BUCKET", "writer-target-222222222222"),
    ("TARGET_EXTERNAL_ID", "ext-123"),
    ("AWS_REGION", "eu-west-1"),
    ("SES_RAW_MAIL_BUCKET", "mail-bucket"),
];

fn module_inputs() -> Vec<(&'static Setting, &'static str)> {
    SETTINGS
        .iter()
        .filter_map(|s| match s.module {
            Module::Input(input) => Some((*s, input)),
            _ => None,
        })
        .collect()
}

/// The sample values of a setting, with the bucket names' reserved affixes from the function's constants.
fn samples(setting: &Setting) -> Vec<String> {
    let mut samples = setting.all_samples();
    if matches!(setting.name, "TARGET_BUCKET" | "SES_RAW_MAIL_BUCKET") {
        samples.extend(RESERVED_BUCKET_PREFIXES.iter().map(|p| format!("{p}abc")));
        samples.extend(RESERVED_BUCKET_SUFFIXES.iter().map(|s| format!("abc{s}")));
    }
    samples
}

/// Whether the function accepts `value` for `setting` (no problem names it).
fn function_accepts(setting: &Setting, value: &str) -> bool {
    let lookup = |name: &str| {
        if name == setting.name {
            return Some(value.to_owned());
        }
        BASE_ENV
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    };
    match Config::from_lookup(lookup) {
        Ok(_) => true,
        Err(e) => !e.problems.iter().any(|p| p.variable == setting.name),
    }
}

/// A scratch folder holding the module's variables.tf alone, initialized.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str, module: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::copy(
            Path::new(module).join("variables.tf"),
            dir.join("variables.tf"),
        )
        .unwrap();
        fs::write(dir.join("bootstrap.zip"), b"").unwrap();
        let scratch = Self(dir);
        let (ok, _, all) = scratch.terraform(&["init", "-input=false", "-no-color"], None);
        assert!(ok, "terraform init: {all}");
        scratch
    }

    /// Whether terraform succeeded, its standard output, and all its output.
    fn terraform(&self, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
        use std::io::Write as _;
        let mut child = Command::new("terraform")
            .args(args)
            .current_dir(&self.0)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("terraform is needed on PATH (make test-infra needs it too)");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let all = stdout.clone() + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), stdout, all)
    }

    /// The module inputs Terraform refuses with these values.
    fn refused(&self, vars: &BTreeMap<String, Value>) -> BTreeSet<String> {
        let variables = fs::read_to_string(self.0.join("variables.tf")).unwrap();
        fs::write(self.0.join("round.tfvars.json"), json!(vars).to_string()).unwrap();
        let (ok, out, all) = self.terraform(
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-json",
                "-var-file=round.tfvars.json",
            ],
            None,
        );
        let mut refused = BTreeSet::new();
        for line in out.lines() {
            let Ok(message) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if message["@level"] != "error" {
                continue;
            }
            // "... checked by the validation rule at variables.tf:<line>,<columns>."
            let detail = message["diagnostic"]["detail"].as_str().unwrap_or_default();
            let rule_line = detail
                .split_once("validation rule at variables.tf:")
                .and_then(|(_, at)| at.split(',').next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or_else(|| panic!("terraform plan failed otherwise:\n{line}"));
            let variable = variables
                .lines()
                .take(rule_line)
                .filter_map(|l| l.strip_prefix("variable \""))
                .last()
                .and_then(|rest| rest.split('"').next())
                .unwrap();
            refused.insert(variable.to_owned());
        }
        assert!(
            ok || !refused.is_empty(),
            "terraform plan failed without naming a variable:\n{all}"
        );
        refused
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The module's inputs for [`BASE_ENV`].
fn base_vars() -> BTreeMap<String, Value> {
    let mut vars = BTreeMap::new();
    vars.insert("package_path".to_owned(), json!("bootstrap.zip"));
    for (setting, input) in module_inputs() {
        if let Some((_, v)) = BASE_ENV.iter().find(|(k, _)| *k == setting.name) {
            vars.insert(input.to_owned(), json!(v));
        }
    }
    vars
}

fn tf_value(setting: &Setting, sample: &str) -> Value {
    match setting.rule {
        Rule::Number { .. } => json!(sample.parse::<f64>().expect("a number sample")),
        _ => json!(sample),
    }
}

#[test]
fn the_module_accepts_exactly_what_the_function_accepts() {
    let scratch = Scratch::new("module-verdicts", MODULE);
    let disagreements = disagreements(&scratch, &base_vars(), &module_inputs());
    assert!(
        disagreements.is_empty(),
        "function and writer-function module disagree:\n  {}",
        disagreements.join("\n  ")
    );
}

/// The target-bucket module's bucket name, key prefix and ExternalId are the
/// function's `TARGET_BUCKET`, `KEY_PREFIX` and `TARGET_EXTERNAL_ID`: they
/// accept the same values (a bucket the module creates, the function must accept).
#[test]
fn the_target_bucket_module_accepts_the_functions_bucket_prefix_and_external_id() {
    let scratch = Scratch::new("target-bucket-verdicts", TARGET_BUCKET_MODULE);
    let base = BTreeMap::from([
        (
            "bucket_name".to_owned(),
            json!("writer-target-222222222222"),
        ),
        (
            "execution_role_arn".to_owned(),
            json!("arn:aws:iam::111111111111:role/writer-execution"),
        ),
        ("external_id".to_owned(), json!("ext-123")),
    ]);
    let disagreements = disagreements(&scratch, &base, TARGET_BUCKET_INPUTS);
    assert!(
        disagreements.is_empty(),
        "function and target-bucket module disagree:\n  {}",
        disagreements.join("\n  ")
    );
}

/// Every sample of every input, judged by the function and by the module in
/// `scratch` (one plan a round: the i-th sample of every input at once).
fn disagreements(
    scratch: &Scratch,
    base: &BTreeMap<String, Value>,
    inputs: &[(&Setting, &str)],
) -> Vec<String> {
    let cases: Vec<(&Setting, &str, Vec<String>)> = inputs
        .iter()
        .map(|(s, input)| (*s, *input, samples(s)))
        .collect();
    let rounds = cases.iter().map(|(_, _, v)| v.len()).max().unwrap();
    let mut disagreements = Vec::new();
    let mut judged = 0;
    for round in 0..rounds {
        let mut vars = base.clone();
        let mut asked = Vec::new();
        for (setting, input, samples) in &cases {
            if let Some(sample) = samples.get(round) {
                vars.insert((*input).to_owned(), tf_value(setting, sample));
                asked.push((*setting, *input, sample.as_str()));
            }
        }
        let refused = scratch.refused(&vars);
        for (setting, input, sample) in asked {
            let function = function_accepts(setting, sample);
            let module = !refused.contains(input);
            judged += 1;
            if function != module {
                disagreements.push(format!(
                    "{} = {sample:?}: the function {}, the module's {input} {}",
                    setting.name,
                    if function { "accepts" } else { "refuses" },
                    if module { "accepts" } else { "refuses" },
                ));
            }
        }
    }
    assert!(judged >= 10 * inputs.len(), "only {judged} samples judged");
    disagreements
}

/// The samples are not all on one side: each setting's check can fail both ways.
#[test]
fn every_module_input_has_samples_the_function_accepts_and_refuses() {
    for (setting, _) in module_inputs() {
        let verdicts: BTreeSet<bool> = samples(setting)
            .iter()
            .map(|v| function_accepts(setting, v))
            .collect();
        assert_eq!(verdicts.len(), 2, "{}: {verdicts:?}", setting.name);
    }
}

/// The module's defaults are the function's (or it leaves the variable unset).
#[test]
fn module_defaults_are_the_functions() {
    let scratch = Scratch::new("module-defaults", MODULE);
    let inputs: Vec<_> = module_inputs()
        .into_iter()
        .filter(|(s, _)| !matches!(s.default, Default::Required(_)) && !s.secret)
        .collect();
    let mut vars = base_vars();
    for (_, input) in &inputs {
        vars.remove(*input);
    }
    fs::write(scratch.0.join("base.tfvars.json"), json!(vars).to_string()).unwrap();
    let expression = format!(
        "jsonencode({{ {} }})\n",
        inputs
            .iter()
            .map(|(_, i)| format!("{i} = var.{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (ok, out, all) = scratch.terraform(
        &["console", "-var-file=base.tfvars.json"],
        Some(&expression),
    );
    assert!(ok, "{all}");
    let encoded: String = serde_json::from_str(out.trim()).expect("a quoted JSON string");
    let defaults: BTreeMap<String, Value> = serde_json::from_str(&encoded).unwrap();
    for (setting, input) in inputs {
        let module = &defaults[input];
        let function = match (&setting.default, &setting.rule) {
            (Default::Value(v), _) => Some(json!(v)),
            (Default::OfNumber, Rule::Number { default, .. }) => Some(json!(default)),
            _ => None,
        };
        match function {
            Some(function) => assert!(
                module.is_null() || *module == function,
                "{input} defaults to {module}, the function's {} to {function}",
                setting.name
            ),
            None => assert!(
                module.is_null() || *module == json!(""),
                "{input} defaults to {module}; the function's {} has no such default",
                setting.name
            ),
        }
    }
}

/// The environment variables the module sets are the table's module inputs, each from its input.
#[test]
fn the_module_sets_exactly_the_settings_that_name_an_input() {
    let mut text = String::new();
    for entry in fs::read_dir(MODULE).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            text += &fs::read_to_string(path).unwrap();
        }
    }
    let variables = fs::read_to_string(Path::new(MODULE).join("variables.tf")).unwrap();
    // The function's environment: the locals from `environment_public = merge(` to
    // `environment = merge(local.environment_public, ...)`.
    let start = text
        .find("environment_public = merge(")
        .expect("the module's environment_public local");
    let end = start
        + text[start..]
            .find("environment = merge(local.environment_public")
            .expect("the module's environment local");
    let end = end + text[end..].find('\n').unwrap();
    // `NAME = <expression>` where NAME looks like an environment variable.
    let mut set: BTreeMap<String, String> = BTreeMap::new();
    for line in text[start..end].lines() {
        let mut rest = line;
        while let Some(eq) = rest.find(" = ") {
            let before = rest[..eq].trim_end();
            let name_start = before
                .rfind(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .map_or(0, |i| i + 1);
            let name = &before[name_start..];
            if name.len() > 2
                && name.starts_with(|c: char| c.is_ascii_uppercase())
                && name.contains('_')
            {
                set.insert(name.to_owned(), line.to_owned());
            }
            rest = &rest[eq + 3..];
        }
    }
    let expected: BTreeSet<String> = module_inputs()
        .iter()
        .map(|(s, _)| s.name.to_owned())
        .collect();
    assert_eq!(
        set.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "environment variables the module sets vs. settings with Module::Input"
    );
    for (setting, input) in module_inputs() {
        let line = &set[setting.name];
        assert!(
            line.contains(input),
            "{} is not set from {input}: {line}",
            setting.name
        );
        assert!(
            variables.contains(&format!("variable \"{input}\" {{")),
            "variables.tf has no {input}"
        );
    }
}
