//! The OpenAPI document is generated from the code; this pins that it
//! describes every API route Rocket actually serves, and nothing else.

mod common;

use common::spawn_app;
use rocket::http::{ContentType, Status};

/// `/api/<_user_id>/tasks/<id>?<q>` -> `/api/{user_id}/tasks/{id}`.
fn openapi_path(rocket_path: &str) -> String {
    rocket_path
        .split('?')
        .next()
        .unwrap_or("")
        .split('/')
        .map(|seg| match seg.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
            Some(name) => format!("{{{}}}", name.trim_start_matches('_').trim_end_matches("..")),
            None => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[rocket::async_test]
async fn the_spec_lists_exactly_the_api_routes_rocket_serves() {
    let app = spawn_app().await;
    let res = app.client.get("/api/openapi.json").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    let spec: serde_json::Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();

    let mut served: Vec<(String, String)> = app
        .client
        .rocket()
        .routes()
        .filter(|r| {
            r.uri.path().starts_with("/api/")
                && !r.uri.path().contains("openapi.json")
                && !r.uri.path().ends_with("/docs")
        })
        .filter(|r| r.method != rocket::http::Method::Options) // CORS preflight plumbing
        .map(|r| (r.method.as_str().to_lowercase(), openapi_path(&r.uri.to_string())))
        .collect();
    served.sort();
    served.dedup();
    let mut documented: Vec<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .filter(|(m, _)| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
        .collect();
    documented.sort();

    assert_eq!(served, documented);
    assert!(spec["components"]["schemas"]["Task"].is_object());
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}

#[rocket::async_test]
async fn the_docs_page_renders_from_the_spec_without_external_assets() {
    let app = spawn_app().await;

    let res = app.client.get("/api/docs").dispatch().await;

    assert_eq!(res.status(), Status::Ok);
    let html = res.into_string().await.unwrap();
    assert!(html.contains("/api/{user_id}/tasks/{id}/complete"));
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing loaded from elsewhere");
}
