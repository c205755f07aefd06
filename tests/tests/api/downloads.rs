//! Downloads: byte ranges and the headers of a file's content (RFC 6266 `Content-Disposition`).

use passerelle_tests::prelude::*;

passerelle_tests::on_every_backend!(ranges_and_download_headers,);

/// Percent-decodes an RFC 5987 value.
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Splits a `Content-Disposition` value into its type and its parameters (quoted strings unescaped).
fn disposition_params(cd: &str) -> (String, Vec<(String, String)>) {
    let mut chars = cd.chars().peekable();
    let mut kind = String::new();
    while let Some(&c) = chars.peek() {
        if c == ';' {
            break;
        }
        kind.push(c);
        chars.next();
    }
    let mut params = Vec::new();
    while chars.peek() == Some(&';') {
        chars.next();
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            name.push(c);
            chars.next();
        }
        assert_eq!(chars.next(), Some('='), "parameter without a value: {cd}");
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.push(chars.next().unwrap()),
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => panic!("unterminated quoted string: {cd}"),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ';' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        params.push((
            name.trim().to_ascii_lowercase(),
            value.trim_end().to_owned(),
        ));
    }
    assert!(chars.next().is_none(), "trailing garbage: {cd}");
    (kind.trim().to_owned(), params)
}

/// Checks an RFC 6266 `Content-Disposition: attachment` naming `name`.
fn check_disposition(cd: &str, name: &str) {
    assert!(
        !cd.contains(['\r', '\n']) && cd.is_ascii(),
        "header value must be plain ASCII: {cd:?}"
    );
    let (kind, params) = disposition_params(cd);
    assert_eq!(kind, "attachment", "{cd}");
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k}: {cd}"))
    };
    let fallback = get("filename");
    assert!(
        fallback.is_ascii() && !fallback.chars().any(char::is_control),
        "{cd}"
    );
    assert!(
        fallback.ends_with(".csv"),
        "fallback keeps the extension: {cd}"
    );
    let star = get("filename*");
    let encoded = star
        .strip_prefix("UTF-8''")
        .or_else(|| star.strip_prefix("utf-8''"))
        .unwrap_or_else(|| panic!("filename* is not UTF-8'': {cd}"));
    assert!(
        encoded
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$&+-.^_`|~%".contains(&c)),
        "only RFC 5987 attr-chars and %XX: {cd}"
    );
    assert_eq!(
        String::from_utf8(percent_decode(encoded)).unwrap(),
        name,
        "{cd}"
    );
}

async fn ranges_and_download_headers(b: Backend) {
    let app = TestApp::spawn(b).await;
    let x = app.exchange().await;
    let content: Vec<u8> = (0..1000u32)
        .map(|i| b"abcdefghij;\n"[(i % 12) as usize])
        .collect();
    let f = app
        .upload_deposit(
            &x.depositor.token,
            &x.mission,
            "évaluation été.csv",
            &content,
        )
        .await;
    assert_eq!(f["name"], "évaluation été.csv");
    let id = f["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/files/{id}/content");

    let r = app.get_as(&x.processor.token, &path).await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(
        h["etag"].to_str().unwrap(),
        format!("\"{}\"", sha256_hex(&content))
    );
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["cache-control"], "no-store");
    check_disposition(
        h["content-disposition"].to_str().unwrap(),
        "évaluation été.csv",
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), content.as_slice());

    let n = content.len();
    for (range, from, to) in [
        ("bytes=0-9", 0usize, 9usize),
        ("bytes=100-199", 100, 199),
        ("bytes=990-", 990, n - 1),
        ("bytes=-5", n - 5, n - 1),
        ("bytes=995-5000", 995, n - 1),
        ("bytes=999-999", 999, 999),
    ] {
        let r = app
            .client
            .get(app.url(&path))
            .bearer_auth(&x.processor.token)
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 206, "{range}");
        assert_eq!(
            r.headers()["content-range"].to_str().unwrap(),
            format!("bytes {from}-{to}/{n}"),
            "{range}"
        );
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            &content[from..=to],
            "{range}"
        );
    }
    // Quotes, a semicolon and accents in the name cannot break the header.
    let tricky = "rapport \"final\"; v2 été.csv";
    let f = app
        .upload(
            &x.depositor.token,
            &x.mission,
            Upload::raw(
                "deposits",
                multipart_body(
                    "file",
                    "rapport \\\"final\\\"; v2 été.csv".as_bytes(),
                    b"a;b\n",
                ),
            ),
        )
        .await;
    assert_eq!(f.status(), 201);
    let f = body(f).await;
    assert_eq!(f["name"], tricky);
    let r = app
        .get_as(
            &x.processor.token,
            &format!("/api/v1/files/{}/content", f["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.status(), 200);
    check_disposition(r.headers()["content-disposition"].to_str().unwrap(), tricky);

    for range in ["bytes=1000-", "bytes=5000-6000"] {
        let r = app
            .client
            .get(app.url(&path))
            .bearer_auth(&x.processor.token)
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 416, "{range}");
        assert_eq!(
            r.headers()["content-range"].to_str().unwrap(),
            format!("bytes */{n}"),
            "{range}"
        );
    }
}
