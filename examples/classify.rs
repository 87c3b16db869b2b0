//! Shows how the function reads event files, without writing anything:
//! `cargo run --example classify -- events/*.json` prints, per file, the
//! source it is taken as and the key of each record, or why it is refused.
//! Handy to check a captured event before pointing a trigger at the function.

use cross_account_s3_writer::events::{self, DecodeContext, Request};
use cross_account_s3_writer::keys::KeyPrefix;

fn main() {
    let prefix = KeyPrefix::parse("incoming/").expect("a valid prefix");
    let cx = DecodeContext {
        prefix: &prefix,
        max_body_bytes: 6 * 1024 * 1024,
        request_id: "request-id",
        ses_raw_mail: None,
        s3_notifications: Default::default(),
    };
    for path in std::env::args().skip(1) {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                println!("{path}: unreadable: {e}");
                continue;
            }
        };
        let answer = serde_json::from_str::<Box<serde_json::value::RawValue>>(&text)
            .map_err(|e| format!("not JSON: {e}"))
            .and_then(|raw| events::decode(&raw, &cx).map_err(|e| e.to_string()));
        match answer {
            Err(refused) => println!("{path}: refused: {refused}"),
            Ok(Request::Write { records, .. }) => {
                println!("{path}: {} record(s)", records.len());
                for record in records {
                    match record {
                        Ok(record) => println!("  {}", record.key),
                        Err(e) => println!(
                            "  failed ({}): {}",
                            e.id.as_deref().unwrap_or("no id"),
                            e.error
                        ),
                    }
                }
            }
            Ok(other) => println!("{path}: {} (nothing to write)", other.source()),
        }
    }
}
