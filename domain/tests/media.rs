//! The media library against real Postgres, Redis and a real folder: uploads checked by their
//! bytes, one item per image, descriptions, use on pages blocking deletion, the audit trail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{meta, services, user};
use domain::server::site::{editor, media};
use domain::server::{seed, Services};
use domain::site::media::ImageFormat;
use domain::site::Block;
use domain::user::SessionUser;
use domain::AppError;
use serde_json::json;
use sqlx::PgPool;

/// A PNG of `w`×`h` (the header is what the library reads; the pixels are one transparent one).
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut b = vec![
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D,
    ];
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(b"IEND");
    b.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
    b
}

async fn editor_user(svc: &Services) -> SessionUser {
    user(svc, "editor@demo.fluxorae.test").await
}

async fn media_audit(svc: &Services) -> Vec<(String, serde_json::Value)> {
    let mut tx = domain::server::db::platform_tx(&svc.db).await.unwrap();
    sqlx::query!(
        "SELECT action, details FROM audit_log WHERE action LIKE 'site.media_%' ORDER BY seq"
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.action, r.details))
    .collect()
}

fn fields(e: &AppError) -> Vec<(&str, &str)> {
    match e {
        AppError::Validation(errs) => errs
            .iter()
            .map(|f| (f.field.as_str(), f.message.as_str()))
            .collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn uploads_are_checked_stored_once_described_and_audited(owner: PgPool) {
    let svc = services(&owner).await;
    seed::seed_demo(&svc).await.unwrap();
    let ed = editor_user(&svc).await;
    let m = meta("203.0.113.40");

    // A script dressed as an image, with no description: both problems at once, nothing kept.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let err = media::upload(&svc, &ed, "logo.png", svg.to_vec(), " ", &m)
        .await
        .unwrap_err();
    let f = fields(&err);
    assert_eq!(f.iter().map(|x| x.0).collect::<Vec<_>>(), ["alt", "file"]);
    assert!(f[1].1.contains("not a PNG, JPEG"), "{}", f[1].1);
    let err = media::upload(&svc, &ed, "team.png", png(1600, 900), "team.png", &m)
        .await
        .unwrap_err();
    assert_eq!(fields(&err)[0].0, "alt", "a file name is not a description");
    assert!(media::list(&svc.db).await.unwrap().is_empty());

    let bytes = png(1600, 900);
    let up = media::upload(
        &svc,
        &ed,
        "C:\\photos\\team.png",
        bytes.clone(),
        "  The delivery team at a whiteboard  ",
        &m,
    )
    .await
    .unwrap();
    assert!(up.new);
    let item = up.item;
    assert_eq!(item.filename, "team.png");
    assert_eq!(item.alt, "The delivery team at a whiteboard");
    assert_eq!((item.width, item.height), (1600, 900));
    assert_eq!(item.format, ImageFormat::Png);
    assert_eq!(item.bytes, bytes.len() as i64);
    assert_eq!(item.uploaded_by, ed.display_name);
    assert!(item.used_on.is_empty());
    let key = item.url.strip_prefix("/media/").unwrap();
    let (format, served) = media::fetch(&svc, key).await.unwrap().unwrap();
    assert_eq!(format, ImageFormat::Png);
    assert_eq!(
        served.as_ref(),
        bytes.as_slice(),
        "the stored bytes are the uploaded ones"
    );
    assert!(media::fetch(&svc, "../../etc/passwd")
        .await
        .unwrap()
        .is_none());

    // The same bytes again are the same item; nothing new is stored or audited.
    let again = media::upload(&svc, &ed, "copy.png", bytes, "Another description", &m)
        .await
        .unwrap();
    assert!(!again.new);
    assert_eq!(again.item.id, item.id);
    assert_eq!(again.item.alt, "The delivery team at a whiteboard");
    assert_eq!(media::list(&svc.db).await.unwrap().len(), 1);

    let err = media::describe(&svc, &ed, &item.id, "", &m)
        .await
        .unwrap_err();
    assert_eq!(fields(&err)[0].0, "alt");
    let described = media::describe(&svc, &ed, &item.id, "Four people plan a launch", &m)
        .await
        .unwrap();
    assert_eq!(described.alt, "Four people plan a launch");

    let audit = media_audit(&svc).await;
    let actions: Vec<_> = audit.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(actions, ["site.media_uploaded", "site.media_described"]);
    assert_eq!(audit[0].1["width"], 1600);
    assert_eq!(audit[1].1["from"], "The delivery team at a whiteboard");
    assert_eq!(audit[1].1["to"], "Four people plan a launch");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_image_a_page_shows_cannot_be_deleted(owner: PgPool) {
    let svc = services(&owner).await;
    seed::seed_demo(&svc).await.unwrap();
    let ed = editor_user(&svc).await;
    let m = meta("203.0.113.41");
    let item = media::upload(
        &svc,
        &ed,
        "chart.png",
        png(800, 600),
        "Costs fell 40% in a year",
        &m,
    )
    .await
    .unwrap()
    .item;

    let id = editor::create_page(&svc, &ed, "page", "media-test", "Media test", "landing", &m)
        .await
        .unwrap();
    let page = editor::load_page(&svc.db, &id).await.unwrap();
    let mut content = page.content.clone();
    let mut img = Block::new("image", "img1").unwrap();
    img.props.insert("src".into(), json!(item.url));
    img.props.insert("alt".into(), json!(item.alt));
    content.blocks.push(img);
    let saved = editor::save_draft(&svc, &ed, &id, page.version, content.clone())
        .await
        .unwrap();

    let listed = media::list(&svc.db).await.unwrap();
    assert_eq!(listed[0].used_on, ["Media test"]);
    let err = media::delete(&svc, &ed, &item.id, &m).await.unwrap_err();
    match err {
        AppError::Conflict(msg) => assert!(msg.contains("Media test"), "{msg}"),
        other => panic!("{other:?}"),
    }

    // Published, then taken off the draft: the live page still shows it.
    editor::publish(&svc, &ed, &id, saved.version, &m)
        .await
        .unwrap();
    content.blocks.retain(|b| b.kind != "image");
    editor::save_draft(&svc, &ed, &id, saved.version, content.clone())
        .await
        .unwrap();
    assert!(matches!(
        media::delete(&svc, &ed, &item.id, &m).await,
        Err(AppError::Conflict(_))
    ));

    // Live without it too: now it goes, file and all.
    let page = editor::load_page(&svc.db, &id).await.unwrap();
    editor::publish(&svc, &ed, &id, page.version, &m)
        .await
        .unwrap();
    media::delete(&svc, &ed, &item.id, &m).await.unwrap();
    let key = item.url.strip_prefix("/media/").unwrap();
    assert!(media::fetch(&svc, key).await.unwrap().is_none());
    assert!(media::list(&svc.db).await.unwrap().is_empty());
    assert!(matches!(
        media::delete(&svc, &ed, &item.id, &m).await,
        Err(AppError::NotFound)
    ));
    let actions: Vec<_> = media_audit(&svc).await.into_iter().map(|a| a.0).collect();
    assert_eq!(actions, ["site.media_uploaded", "site.media_deleted"]);
}
