//! Trust and access: refused role assumptions and writes are named and typed, and both identities reported.

use cross_account_s3_writer::handler::{Handler, HandlerError};
use libtest_mimic::Failed;
use serde_json::{Value, json};

use crate::harness::{block_on, event, failure, fresh, handler, keys_under};
use crate::support::Emulator;

scenarios![
    wrong_external_id_is_an_actionable_access_denied,
    missing_external_id_is_an_actionable_access_denied,
    execution_role_without_permission_is_named,
    role_cannot_write_outside_its_prefix,
    whoami_reports_both_identities,
    a_failed_direct_write_answers_an_error,
];

/// The error a direct write gets, as the handler reports it (an invocation
/// error carrying the per-object summary).
async fn direct_write_error(h: &Handler) -> String {
    let error = h
        .handle(event(json!({ "body": "x" }), &fresh("denied")))
        .await
        .expect_err("a failed write makes the invocation fail");
    let HandlerError::RecordsFailed(failed) = &error else {
        panic!("not a records failure: {error}");
    };
    let summary: Value = serde_json::from_str(&failed.details).expect("the summary as JSON");
    assert_eq!(summary["failed"], 1, "{summary}");
    summary["objects"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn assert_names_both_causes(emu: &Emulator, message: &str, execution_role: &str) {
    assert!(message.contains("AccessDenied"), "{message}");
    assert!(
        message.contains(execution_role),
        "names the execution role: {message}"
    );
    assert!(
        message.contains(&emu.state.target_role_arn),
        "names the target role: {message}"
    );
    assert!(
        message.contains("lacks sts:AssumeRole"),
        "cause 1: {message}"
    );
    assert!(
        message.contains("trust policy") && message.contains("ExternalId"),
        "cause 2: {message}"
    );
    assert!(
        message.contains("propagated") && message.contains("wait, retry"),
        "IAM propagation after an apply: {message}"
    );
}

fn wrong_external_id_is_an_actionable_access_denied(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[("TARGET_EXTERNAL_ID", "not-the-agreed-id")], None).await;
        let message = direct_write_error(&h).await;
        assert_names_both_causes(emu, &message, &emu.state.execution_role_arn);
        assert!(
            !message.contains("not-the-agreed-id"),
            "the ExternalId is not echoed into logs or errors: {message}"
        );
        Ok(())
    })
}

fn missing_external_id_is_an_actionable_access_denied(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[("TARGET_EXTERNAL_ID", "")], None).await;
        let message = direct_write_error(&h).await;
        assert_names_both_causes(emu, &message, &emu.state.execution_role_arn);
        assert!(message.contains("TARGET_EXTERNAL_ID is unset"), "{message}");
        Ok(())
    })
}

fn execution_role_without_permission_is_named(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let keys = emu.state.no_assume_credentials.clone();
        let h = handler(emu, &[], Some(&keys)).await;
        let message = direct_write_error(&h).await;
        assert_names_both_causes(emu, &message, &emu.state.no_assume_role_arn);
        Ok(())
    })
}

fn role_cannot_write_outside_its_prefix(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        // The function never builds a key outside KEY_PREFIX; misconfigure the
        // prefix to prove the role's policy is what stops it, not just our code.
        let h = handler(emu, &[("KEY_PREFIX", "elsewhere/")], None).await;
        let message = direct_write_error(&h).await;
        assert!(
            message.contains("AccessDenied") && message.contains("KEY_PREFIX must match"),
            "{message}"
        );
        assert_eq!(
            keys_under(emu, "elsewhere/").await,
            Vec::<String>::new(),
            "nothing written outside the prefix"
        );

        // And hostile caller keys are refused, each with its reason; nothing is written.
        let h = handler(emu, &[], None).await;
        let name = fresh("escape");
        let error = h
            .handle(event(
                json!({ "objects": [
                    { "key": format!("../../{name}"), "body": "a" },
                    { "key": format!("/{name}/abs"), "body": "b" }
                ]}),
                "r-escape",
            ))
            .await
            .expect_err("refused");
        let message = error.to_string();
        assert!(
            message.contains("'..'") && message.contains("starts with '/'"),
            "{message}"
        );
        assert!(
            keys_under(emu, "").await.iter().all(|k| !k.contains(&name)),
            "nothing written for refused keys"
        );
        Ok(())
    })
}

fn whoami_reports_both_identities(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let who = h
            .handle(event(json!({ "action": "whoami" }), "r-who"))
            .await
            .expect("whoami");
        assert_eq!(
            who["execution_identity"]["account"],
            emu.state.lambda_account_id.as_str(),
            "{who}"
        );
        assert!(
            who["execution_identity"]["arn"]
                .as_str()
                .unwrap()
                .contains(":assumed-role/writer-exec/"),
            "{who}"
        );
        assert_eq!(
            who["assumed_identity"]["account"],
            emu.state.bucket_account_id.as_str(),
            "{who}"
        );
        assert!(
            who["assumed_identity"]["arn"]
                .as_str()
                .unwrap()
                .contains(":assumed-role/writer-target/integration-test"),
            "{who}"
        );
        assert_eq!(who["target_role_arn"], emu.state.target_role_arn.as_str());
        Ok(())
    })
}

fn a_failed_direct_write_answers_an_error(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[("KEY_PREFIX", "elsewhere/")], None).await;
        let (message, error_type) = failure(
            h.handle(event(
                json!({ "objects": [ { "body": "x" } ] }),
                &fresh("deny"),
            ))
            .await,
        );
        assert_eq!(error_type, "AccessDenied", "{message}");
        assert!(
            message.contains(r#""failed":1"#),
            "carries the summary: {message}"
        );

        // The type comes from error codes, not text: a key naming AccessDenied
        // that fails for another reason is no AccessDenied.
        let h = handler(emu, &[], None).await;
        let key = format!("AccessDenied/{}", fresh("a"));
        h.handle(event(json!({ "key": key, "body": "one" }), "r-ad-1"))
            .await
            .expect("written");
        let (message, error_type) = failure(
            h.handle(event(json!({ "key": key, "body": "two" }), "r-ad-2"))
                .await,
        );
        assert_eq!(error_type, "RecordsFailed", "{message}");
        Ok(())
    })
}
