//! What the server's benchmarks share: reading their settings and signing in a demo account.

/// The variable `name` read as a `T`, else `default`.
pub fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Signs in the demo account `email` at `base`; answers its session cookie (`fx_session=…`).
pub async fn session(base: &str, email: &str) -> String {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = c
        .post(format!("{base}/api/sign-in"))
        .header("accept", "application/json")
        .form(&[
            ("email", email),
            ("password", "fluxorae-demo-2026"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fx_session="))
        .and_then(|v| v.split(';').next())
        .expect("signed in")
        .to_owned()
}
