//! SES: the notification and the raw mail it points to both land.

use libtest_mimic::Failed;
use serde_json::json;

use crate::harness::{block_on, event, fresh, get, handler, sample};
use crate::s3_copy::put_source;
use crate::support::Emulator;

scenarios![ses_notification_and_raw_mail_land,];

fn ses_notification_and_raw_mail_land(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let source = emu.state.source_bucket.clone();
        let h = handler(
            emu,
            &[
                ("SES_RAW_MAIL_BUCKET", &source),
                ("SES_RAW_MAIL_PREFIX", "mail/"),
            ],
            None,
        )
        .await;
        let id = fresh("mail");
        let raw =
            b"From: sender@example.com\r\nTo: inbox@example.org\r\nSubject: hi\r\n\r\nhello\r\n"
                .to_vec();
        let _ = put_source(
            emu,
            &format!("mail/{id}"),
            raw.clone(),
            "application/octet-stream",
        )
        .await;
        let mut ses = sample("ses.json");
        ses["Records"][0]["ses"]["mail"]["messageId"] = json!(id);
        let summary = h
            .handle(event(ses.clone(), "r-ses"))
            .await
            .expect("SES handled");
        assert_eq!(
            summary["written"].as_array().map(Vec::len),
            Some(2),
            "{summary}"
        );
        let notification = get(emu, &format!("incoming/ses/{id}.json")).await;
        assert_eq!(
            notification.body,
            ses["Records"][0].to_string().as_bytes(),
            "the notification as it arrived"
        );
        let mail = get(emu, &format!("incoming/ses/{id}.eml")).await;
        assert_eq!(mail.body, raw);
        assert_eq!(mail.content_type.as_deref(), Some("message/rfc822"));
        Ok(())
    })
}
