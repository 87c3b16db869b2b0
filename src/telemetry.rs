//! Logging: JSON when Lambda's log format is JSON, text otherwise; level from
//! `AWS_LAMBDA_LOG_LEVEL`, overridden by `RUST_LOG`.
//!
//! With the JSON log format, Lambda filters application logs by level
//! ("Log-level filtering", AWS Lambda Developer Guide): a line is kept only at
//! the configured level or a less detailed one (at WARN: WARN, ERROR, FATAL),
//! and a line whose `level` is missing or invalid, or whose `timestamp` is not
//! valid RFC 3339, is taken as INFO. So every line this function writes in JSON
//! format carries both: tracing's lines get a `timestamp` (RFC 3339, UTC) and
//! `level`, and the EMF metric lines get them from [`LogSettings::stamp`].
//! Text format is unchanged (Lambda adds its own timestamp and filters nothing).
//!
//! The SDK's own crates are held at `warn` (or the configured level, when less
//! detailed) unless `RUST_LOG` names them: at debug they log request details
//! (including access key IDs) that don't belong in a function's logs.

use std::fmt;

use tracing::Subscriber;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;

/// Lambda's application log levels, most detailed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl LogLevel {
    pub const ALL: [LogLevel; 6] = [
        LogLevel::Trace,
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warn,
        LogLevel::Error,
        LogLevel::Fatal,
    ];

    /// Lambda's name for a level, as `AWS_LAMBDA_LOG_LEVEL` and a line's
    /// `level` spell it (any case).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(name.trim()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
            LogLevel::Fatal => "FATAL",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How Lambda treats this function's output: `AWS_LAMBDA_LOG_FORMAT` (JSON or
/// text) and `AWS_LAMBDA_LOG_LEVEL` (the application log level; INFO when
/// unset, as in Lambda).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogSettings {
    pub json: bool,
    pub level: LogLevel,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            json: false,
            level: LogLevel::Info,
        }
    }
}

impl LogSettings {
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            json: lookup("AWS_LAMBDA_LOG_FORMAT")
                .is_some_and(|f| f.trim().eq_ignore_ascii_case("json")),
            level: lookup("AWS_LAMBDA_LOG_LEVEL")
                .and_then(|l| LogLevel::parse(&l))
                .unwrap_or(LogLevel::Info),
        }
    }

    /// The `level` and `timestamp` members an EMF line needs in JSON format,
    /// `None` in text format.
    ///
    /// The level is the configured one: the least severe level Lambda's filter
    /// keeps, so the metric lines survive at every level (TRACE to FATAL)
    /// without claiming more severity than the setting forces (at the default,
    /// INFO, they read INFO). Without it Lambda would take them as INFO and drop
    /// them at WARN and above, and with them the metrics and the alarms built
    /// on them. CloudWatch ignores both members when it extracts the metrics.
    pub fn stamp(&self, timestamp_ms: u64) -> Option<(&'static str, String)> {
        self.json
            .then(|| (self.level.as_str(), rfc3339_millis(timestamp_ms)))
    }

    /// The tracing filter for these settings: the function's level and the
    /// SDK crates at `warn` or above. Tracing has no FATAL: in JSON format
    /// nothing below FATAL would pass Lambda's filter, so nothing is formatted;
    /// in text format (nothing filters) FATAL means ERROR.
    fn directives(&self) -> String {
        let level = match self.level {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Fatal if self.json => "off",
            LogLevel::Fatal => "error",
        };
        let sdk = if self.level > LogLevel::Warn {
            level
        } else {
            "warn"
        };
        let crates = [
            "aws_config",
            "aws_smithy_runtime",
            "aws_smithy_http_client",
            "aws_sdk_s3",
            "aws_sdk_sts",
            "hyper",
            "rustls",
        ];
        std::iter::once(level.to_owned())
            .chain(crates.iter().map(|c| format!("{c}={sdk}")))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The subscriber for these settings writing to `writer`; `rust_log`
    /// (`RUST_LOG`), when set, replaces the filter.
    pub fn subscriber<W>(
        &self,
        rust_log: Option<&str>,
        writer: W,
    ) -> Box<dyn Subscriber + Send + Sync>
    where
        W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
    {
        let filter = rust_log
            .filter(|v| !v.trim().is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| self.directives());
        let filter =
            targets(&filter).unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
        let layer = tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_writer(writer);
        // The filter wraps the formatting layer, as `fmt().with_env_filter()`
        // did: it decides for the whole subscriber, spans included.
        let registry = tracing_subscriber::registry();
        if self.json {
            // The default timer: RFC 3339 in UTC with microseconds, under
            // `timestamp`. The span list carries the runtime's requestId and
            // the record being written.
            Box::new(
                registry
                    .with(layer.json().with_current_span(false).with_span_list(true))
                    .with(filter),
            )
        } else {
            Box::new(
                registry
                    .with(layer.without_time().with_ansi(false))
                    .with(filter),
            )
        }
    }

    /// A line for the error that ends the process (invalid configuration): in
    /// JSON format at FATAL, so it passes the filter at every level.
    pub fn fatal_line(&self, message: &str, timestamp_ms: u64) -> Option<String> {
        let (_, timestamp) = self.stamp(timestamp_ms)?;
        let line = serde_json::json!({
            "timestamp": timestamp,
            "level": LogLevel::Fatal.as_str(),
            "fields": { "message": message },
        });
        Some(format!("{line}\n"))
    }
}

/// Filter directives, `RUST_LOG`'s syntax: comma-separated `target=level`,
/// bare levels and bare targets (all levels); empty entries are skipped.
/// `None` when one doesn't parse (the caller falls back to INFO).
///
/// Parsed by `tracing-subscriber`'s `Targets`, not `EnvFilter`: the same
/// target and level directives, without `EnvFilter`'s span and field filters
/// (`target[span{field=value}]=level`), whose regex engine made the binary
/// larger (benches/LEVERS.md). A directive with `[` is refused, so such a
/// filter falls back to INFO as a malformed one always did.
fn targets(directives: &str) -> Option<Targets> {
    let directives: Vec<&str> = directives
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if directives.iter().any(|d| d.contains('[')) {
        return None;
    }
    if directives.is_empty() {
        return Some(Targets::new());
    }
    directives.join(",").parse().ok()
}

/// `timestamp_ms` (since the Unix epoch) as RFC 3339 in UTC with milliseconds.
pub fn rfc3339_millis(timestamp_ms: u64) -> String {
    let ms = i64::try_from(timestamp_ms).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub fn init() -> LogSettings {
    let settings = LogSettings::from_env();
    let rust_log = std::env::var("RUST_LOG").ok();
    let subscriber = settings.subscriber(rust_log.as_deref(), std::io::stdout);
    // Only fails when a subscriber is already set (tests): keep that one.
    let _ = tracing::subscriber::set_global_default(subscriber);
    if settings.json {
        // A panic's message is plain text on stderr, which Lambda would take as
        // INFO and drop at WARN and above: write it as a FATAL line instead.
        std::panic::set_hook(Box::new(move |info| {
            fatal(&settings, &format!("panic: {info}"))
        }));
    }
    settings
}

/// Logs the error that ends the process: at FATAL in JSON format (see
/// [`LogSettings::fatal_line`]), as an ERROR event in text format.
pub fn fatal(settings: &LogSettings, message: &str) {
    match settings.fatal_line(message, now_ms()) {
        Some(line) => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
        None => tracing::error!("{message}"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::Value;
    use std::io;
    use std::sync::{Arc, Mutex};

    /// Everything the subscriber writes, for the test to read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<String> {
            String::from_utf8(self.0.lock().unwrap().clone())
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect()
        }
    }

    fn json(level: LogLevel) -> LogSettings {
        LogSettings { json: true, level }
    }

    /// What Lambda's filter does with a JSON line at `threshold`: its level
    /// (INFO when `level` is invalid or missing, or `timestamp` is not RFC 3339),
    /// and whether it is kept.
    pub(crate) fn lambda_keeps(line: &str, threshold: LogLevel) -> (LogLevel, bool) {
        let doc: Value = serde_json::from_str(line).expect("a JSON line");
        let timestamp_ok = doc["timestamp"]
            .as_str()
            .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok());
        let level = doc["level"]
            .as_str()
            .and_then(LogLevel::parse)
            .filter(|_| timestamp_ok)
            .unwrap_or(LogLevel::Info);
        (level, level >= threshold)
    }

    fn emit_one_of_each() {
        tracing::trace!("a trace line");
        tracing::debug!("a debug line");
        tracing::info!("an info line");
        tracing::warn!(id = "m-1", "a warn line");
        tracing::error!("an error line");
    }

    #[test]
    fn every_json_line_passes_lambdas_filter_at_every_level() {
        for threshold in LogLevel::ALL {
            let out = Captured::default();
            let subscriber = json(threshold).subscriber(None, {
                let out = out.clone();
                move || out.clone()
            });
            tracing::subscriber::with_default(subscriber, emit_one_of_each);
            let lines = out.lines();
            for line in &lines {
                let doc: Value = serde_json::from_str(line).unwrap();
                let timestamp = doc["timestamp"].as_str().expect("a timestamp");
                chrono::DateTime::parse_from_rfc3339(timestamp)
                    .unwrap_or_else(|e| panic!("{timestamp:?} is not RFC 3339 ({e}): {line}"));
                let (level, kept) = lambda_keeps(line, threshold);
                assert!(kept, "{level} dropped at {threshold}: {line}");
                assert_eq!(doc["level"], level.as_str(), "{line}");
            }
            // Exactly the events at or above the threshold (tracing's five
            // levels; FATAL keeps none of them), so nothing kept is lost.
            let expected = LogLevel::ALL[..5]
                .iter()
                .filter(|l| **l >= threshold)
                .count();
            assert_eq!(lines.len(), expected, "at {threshold}: {lines:?}");
        }
    }

    #[test]
    fn the_fatal_line_passes_at_every_level_and_only_in_json() {
        for threshold in LogLevel::ALL {
            let line = json(threshold)
                .fatal_line("bad config", 1_700_000_000_123)
                .unwrap();
            assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
            assert_eq!(lambda_keeps(&line, threshold), (LogLevel::Fatal, true));
            let doc: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(doc["fields"]["message"], "bad config");
        }
        assert_eq!(LogSettings::default().fatal_line("x", 1), None);
    }

    #[test]
    fn text_format_is_unchanged_plain_lines_without_time() {
        let out = Captured::default();
        let subscriber = LogSettings::default().subscriber(None, {
            let out = out.clone();
            move || out.clone()
        });
        tracing::subscriber::with_default(subscriber, emit_one_of_each);
        assert_eq!(
            out.lines(),
            [
                " INFO an info line",
                " WARN a warn line id=\"m-1\"",
                "ERROR an error line"
            ]
        );
    }

    /// What a text subscriber keeps of events at each level from this crate's
    /// target and from an SDK crate's, with `RUST_LOG` set to `rust_log`.
    fn kept_with(level: LogLevel, rust_log: Option<&str>) -> Vec<String> {
        let out = Captured::default();
        let settings = LogSettings { json: false, level };
        let subscriber = settings.subscriber(rust_log, {
            let out = out.clone();
            move || out.clone()
        });
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!("own debug");
            tracing::info!("own info");
            tracing::info!(target: "aws_sdk_s3::operation", "sdk info");
            tracing::warn!(target: "aws_sdk_s3::operation", "sdk warn");
            tracing::trace!(target: "hyper_util::client", "hyper trace");
        });
        out.lines().iter().map(|l| l.trim().to_owned()).collect()
    }

    #[test]
    fn rust_log_replaces_the_filter_with_targets_and_levels() {
        // Without RUST_LOG: the level, and the SDK crates at WARN.
        assert_eq!(
            kept_with(LogLevel::Info, None),
            ["INFO own info", "WARN sdk warn"]
        );
        assert_eq!(
            kept_with(LogLevel::Debug, None),
            ["DEBUG own debug", "INFO own info", "WARN sdk warn"]
        );
        // RUST_LOG: a bare level, `target=level` by prefix of the target, a
        // bare target (every level), empty entries and spaces skipped.
        assert_eq!(
            kept_with(LogLevel::Info, Some("warn, aws_sdk_s3=info,,")),
            ["INFO sdk info", "WARN sdk warn"]
        );
        assert_eq!(
            kept_with(LogLevel::Info, Some("error,hyper_util")),
            ["TRACE hyper trace"]
        );
        assert_eq!(
            kept_with(LogLevel::Warn, Some("debug")),
            [
                "DEBUG own debug",
                "INFO own info",
                "INFO sdk info",
                "WARN sdk warn"
            ]
        );
        assert_eq!(kept_with(LogLevel::Info, Some("off")), [] as [&str; 0]);
        // Blank: the settings' filter.
        assert_eq!(
            kept_with(LogLevel::Info, Some("  ")),
            ["INFO own info", "WARN sdk warn"]
        );
        // Malformed (a bad level, two `=`, a span filter): INFO for everything.
        for bad in [
            "aws_sdk_s3=loud",
            "a=b=c",
            "aws_sdk_s3[put]=trace",
            "[{key}]=debug",
        ] {
            assert_eq!(
                kept_with(LogLevel::Warn, Some(bad)),
                ["INFO own info", "INFO sdk info", "WARN sdk warn"],
                "{bad}"
            );
        }
    }

    #[test]
    fn settings_from_lambdas_variables() {
        let settings = |format: Option<&str>, level: Option<&str>| {
            LogSettings::from_lookup(|name| match name {
                "AWS_LAMBDA_LOG_FORMAT" => format.map(str::to_owned),
                "AWS_LAMBDA_LOG_LEVEL" => level.map(str::to_owned),
                _ => None,
            })
        };
        assert_eq!(settings(None, None), LogSettings::default());
        assert_eq!(settings(Some("JSON"), Some("warn")), json(LogLevel::Warn));
        assert_eq!(settings(Some("json"), Some("FATAL")), json(LogLevel::Fatal));
        assert_eq!(
            settings(Some("Text"), Some("nonsense")),
            LogSettings::default()
        );
    }

    #[test]
    fn sdk_crates_stay_at_warn_or_the_level() {
        assert!(
            json(LogLevel::Debug)
                .directives()
                .contains("aws_sdk_s3=warn")
        );
        assert!(
            json(LogLevel::Error)
                .directives()
                .contains("aws_sdk_s3=error")
        );
        assert!(json(LogLevel::Fatal).directives().starts_with("off,"));
        let text_fatal = LogSettings {
            json: false,
            level: LogLevel::Fatal,
        };
        assert!(text_fatal.directives().starts_with("error,"));
    }

    #[test]
    fn timestamps_are_rfc3339_utc_milliseconds() {
        assert_eq!(
            rfc3339_millis(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
    }
}
