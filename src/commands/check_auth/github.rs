//! GitHub: the token's format offline (prefix, length, CRC32 checksum), and with `--online`
//! what `GET /user` says about it. The token itself is never put into a message: it is shown
//! as its prefix and length (`ghp_… (40 chars)`).

use std::time::Duration;

use crate::commands::checks::{Area, Check};
use crate::http;

/// Classic token prefixes and what they are.
pub const CLASSIC_PREFIXES: [(&str, &str); 5] = [
    ("ghp_", "personal access token (classic)"),
    ("gho_", "OAuth access token"),
    ("ghu_", "GitHub App user access token"),
    ("ghs_", "GitHub App installation access token"),
    ("ghr_", "GitHub App refresh token"),
];
/// Fine-grained personal access tokens: `github_pat_` + 22 + `_` + 59 characters.
pub const FINE_GRAINED_PREFIX: &str = "github_pat_";
const CLASSIC_LEN: usize = 40;
const CLASSIC_RANDOM_LEN: usize = 30;
const FINE_GRAINED_PARTS: (usize, usize) = (22, 59);

pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// The base62 alphabet of GitHub's token checksums.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC-32 (IEEE 802.3, reflected, the one zlib and GitHub use).
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// `n` in base62, left-padded with `0` to at least `width` characters.
pub fn base62(mut n: u32, width: usize) -> String {
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.iter().rev().map(|&b| b as char).collect()
}

/// The 6-character checksum GitHub appends to the 30-character random part of a classic token.
pub fn classic_checksum(random: &str) -> String {
    base62(crc32(random.as_bytes()), 6)
}

/// What the token is, when its format is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// ghp_/gho_/ghu_/ghs_/ghr_ with a valid checksum.
    Classic(&'static str),
    FineGrained,
    /// 40 hexadecimal characters: the format before April 2021, without a checksum.
    Legacy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProblem {
    Whitespace,
    Length { kind: &'static str, expected: usize },
    Characters(&'static str),
    Checksum(&'static str),
    FineGrainedShape,
    Unknown,
}

impl TokenProblem {
    fn message(&self) -> String {
        match self {
            TokenProblem::Whitespace => "has leading or trailing whitespace".into(),
            TokenProblem::Length { kind, expected } => {
                format!("looks like a {kind} but is not {expected} characters long")
            }
            TokenProblem::Characters(kind) => {
                format!("looks like a {kind} but has characters other than letters and digits")
            }
            TokenProblem::Checksum(kind) => format!(
                "looks like a {kind} but its checksum does not match: it is mistyped, truncated or made up"
            ),
            TokenProblem::FineGrainedShape => format!(
                "starts with {FINE_GRAINED_PREFIX} but is not {FINE_GRAINED_PREFIX} + {} letters/digits + `_` + {}",
                FINE_GRAINED_PARTS.0, FINE_GRAINED_PARTS.1
            ),
            TokenProblem::Unknown => {
                "is not a GitHub token (expected ghp_, gho_, ghu_, ghs_, ghr_ or github_pat_)"
                    .into()
            }
        }
    }
}

/// Check a token's format offline.
pub fn classify(token: &str) -> Result<TokenKind, TokenProblem> {
    if token.trim() != token {
        return Err(TokenProblem::Whitespace);
    }
    if let Some((prefix, kind)) = CLASSIC_PREFIXES.iter().find(|(p, _)| token.starts_with(p)) {
        let body = &token[prefix.len()..];
        if !body.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(TokenProblem::Characters(kind));
        }
        if token.len() != CLASSIC_LEN {
            return Err(TokenProblem::Length {
                kind,
                expected: CLASSIC_LEN,
            });
        }
        let (random, checksum) = body.split_at(CLASSIC_RANDOM_LEN);
        return if classic_checksum(random) == checksum {
            Ok(TokenKind::Classic(kind))
        } else {
            Err(TokenProblem::Checksum(kind))
        };
    }
    if let Some(body) = token.strip_prefix(FINE_GRAINED_PREFIX) {
        let alnum = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
        return match body.split_once('_') {
            Some((a, b))
                if a.len() == FINE_GRAINED_PARTS.0
                    && b.len() == FINE_GRAINED_PARTS.1
                    && alnum(a)
                    && alnum(b) =>
            {
                Ok(TokenKind::FineGrained)
            }
            _ => Err(TokenProblem::FineGrainedShape),
        };
    }
    if token.len() == 40 && token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(TokenKind::Legacy);
    }
    Err(TokenProblem::Unknown)
}

/// How a token may be shown: its known prefix (never any of its secret part) and its length.
pub fn describe(token: &str) -> String {
    let chars = token.chars().count();
    let prefix = CLASSIC_PREFIXES
        .iter()
        .map(|(p, _)| *p)
        .chain([FINE_GRAINED_PREFIX])
        .find(|p| token.starts_with(p));
    match prefix {
        Some(p) => format!("{p}… ({chars} chars)"),
        None => format!("a {chars}-character value"),
    }
}

/// The offline format check of GITHUB_TOKEN.
pub fn format_check(token: &str) -> Check {
    let shown = describe(token);
    let area = Area::Github;
    match classify(token) {
        Ok(TokenKind::Classic(kind)) => Check::ok(
            area,
            "token format",
            format!("GITHUB_TOKEN is {shown}, a {kind}; checksum valid"),
        ),
        Ok(TokenKind::FineGrained) => Check::ok(
            area,
            "token format",
            format!("GITHUB_TOKEN is {shown}, a fine-grained personal access token"),
        ),
        Ok(TokenKind::Legacy) => Check::warning(
            area,
            "token format",
            format!("GITHUB_TOKEN is {shown} in the old format without a checksum"),
        )
        .fix("create a new fine-grained token at https://github.com/settings/tokens"),
        Err(problem) => Check::error(
            area,
            "token format",
            format!("GITHUB_TOKEN, {shown}, {}", problem.message()),
        )
        .fix("copy the token again from GitHub (Settings → Developer settings → Tokens)"),
    }
}

/// `GET {api}/user` with the token: who it belongs to, its scopes and expiry.
pub async fn online_check(token: &str, api_url: &str, timeout: Duration) -> Check {
    let area = Area::Github;
    let url = format!("{}/user", api_url.trim_end_matches('/'));
    let client = match http::Client::new(url.starts_with("https://")) {
        Ok(client) => client,
        Err(e) => {
            return Check::error(
                area,
                "token online",
                format!("cannot make an HTTP client: {e}"),
            );
        }
    };
    let request = http::Request::get(&url, timeout)
        .header("authorization", format!("Bearer {token}"))
        .header("accept", "application/vnd.github+json")
        .header("x-github-api-version", "2022-11-28");
    match client.send(request).await {
        Ok(answer) => assess_answer(&url, &answer),
        Err(http::HttpError::Timeout(after)) => {
            let mut check = Check::error(
                area,
                "token online",
                format!(
                    "no answer from {url} within {}",
                    humantime::format_duration(after)
                ),
            )
            .fix("check the network path to GitHub, or allow more time with --timeout");
            check.timed_out = true;
            check
        }
        Err(e) => Check::error(area, "token online", format!("cannot ask {url}: {e}"))
            .fix("check GITHUB_API_URL, HTTPS_PROXY and NO_PROXY, and the network path to GitHub"),
    }
}

/// Turn GitHub's answer into a check. Pure.
pub fn assess_answer(url: &str, answer: &http::Answer) -> Check {
    let area = Area::Github;
    let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    let api_message = body
        .get("message")
        .and_then(|m| m.as_str())
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    match answer.status {
        200 => {
            let login = body.get("login").and_then(|l| l.as_str()).unwrap_or("?");
            let scopes = match answer.header("x-oauth-scopes").map(str::trim) {
                None => {
                    "scopes not reported (fine-grained tokens have permissions instead)".to_string()
                }
                Some("") => "no scopes".to_string(),
                Some(s) => format!("scopes: {s}"),
            };
            let expiry = match answer.header("github-authentication-token-expiration") {
                Some(e) => format!("; expires {}", e.trim()),
                None => "; no expiry reported".to_string(),
            };
            Check::ok(
                area,
                "token online",
                format!("authenticated as {login}; {scopes}{expiry}"),
            )
        }
        401 => Check::error(
            area,
            "token online",
            format!("{url} rejected the token (401{api_message}): it is revoked, expired or wrong"),
        )
        .fix("create a new token at https://github.com/settings/tokens and update GITHUB_TOKEN"),
        403 => Check::error(
            area,
            "token online",
            format!("{url} refused the request (403{api_message})"),
        )
        .fix("wait for the rate limit to reset, or check the token's permissions"),
        status => Check::error(
            area,
            "token online",
            format!("{url} answered HTTP {status}{api_message}"),
        )
        .fix("check GITHUB_API_URL (GitHub Enterprise: https://HOST/api/v3)"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::commands::checks::Level;

    /// A classic token with a valid checksum, made from a 30-character random part.
    pub fn valid_classic(prefix: &str, random: &str) -> String {
        assert_eq!(random.len(), 30);
        format!("{prefix}{random}{}", classic_checksum(random))
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32/ISO-HDLC check value of "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn base62_is_padded_and_uses_digits_upper_then_lower() {
        assert_eq!(base62(0, 6), "000000");
        assert_eq!(base62(61, 6), "00000z");
        assert_eq!(base62(62, 6), "000010");
        assert_eq!(base62(u32::MAX, 6), "4gfFC3");
    }

    #[test]
    fn published_example_tokens_have_valid_checksums() {
        // Example tokens from the test suite of DataDog/dd-sensitive-data-scanner
        // (sds/src/secondary_validation/github_token_checksum.rs), which implements
        // https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/
        for token in [
            "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",
            "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",
            "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",
            "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",
        ] {
            assert_eq!(classic_checksum(&token[4..34]), token[34..], "{token}");
            assert_eq!(
                classify(token),
                Ok(TokenKind::Classic("personal access token (classic)"))
            );
        }
        // The same token with its last character changed.
        assert_eq!(
            classify("ghp_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V3"),
            Err(TokenProblem::Checksum("personal access token (classic)"))
        );
    }

    #[test]
    fn every_classic_prefix_is_checked() {
        let random = "abcdefghijklmnopqrstuvwxyzABCD";
        for (prefix, kind) in CLASSIC_PREFIXES {
            let token = valid_classic(prefix, random);
            assert_eq!(classify(&token), Ok(TokenKind::Classic(kind)));
            let mut broken = token.clone();
            broken.replace_range(5..6, "Z");
            assert_eq!(classify(&broken), Err(TokenProblem::Checksum(kind)));
        }
        assert!(matches!(
            classify("ghp_short"),
            Err(TokenProblem::Length { expected: 40, .. })
        ));
        assert!(matches!(
            classify("ghp_abcdefghijklmnopqrstuvwxyz-ABC012345"),
            Err(TokenProblem::Characters(_))
        ));
        assert_eq!(
            classify(&format!(" {}", valid_classic("ghp_", random))),
            Err(TokenProblem::Whitespace)
        );
    }

    #[test]
    fn fine_grained_legacy_and_unknown_tokens() {
        let fine = format!("github_pat_{}_{}", "A".repeat(22), "b1".repeat(29) + "c");
        assert_eq!(fine.len(), 93);
        assert_eq!(classify(&fine), Ok(TokenKind::FineGrained));
        assert_eq!(
            classify(&format!("github_pat_{}", "A".repeat(82))),
            Err(TokenProblem::FineGrainedShape)
        );
        assert_eq!(
            classify(&format!("github_pat_{}_{}", "A".repeat(22), "b".repeat(58))),
            Err(TokenProblem::FineGrainedShape)
        );
        assert_eq!(
            classify(&"0123456789abcdef".repeat(3)[..40]),
            Ok(TokenKind::Legacy)
        );
        assert_eq!(classify("not-a-token"), Err(TokenProblem::Unknown));
        assert_eq!(classify(""), Err(TokenProblem::Unknown));
        assert_eq!(
            classify("ghp_ü"),
            Err(TokenProblem::Characters("personal access token (classic)"))
        );
    }

    #[test]
    fn tokens_are_described_by_prefix_and_length_only() {
        let token = valid_classic("ghp_", "abcdefghijklmnopqrstuvwxyzABCD");
        assert_eq!(describe(&token), "ghp_… (40 chars)");
        assert_eq!(describe("github_pat_xyz"), "github_pat_… (14 chars)");
        assert_eq!(describe("s3cr3t-value"), "a 12-character value");
        for t in [token.as_str(), "s3cr3t-value", "ghp_s3cr3tvalue"] {
            let check = format_check(t);
            assert!(!check.message.contains(&t[4..]), "{}", check.message);
        }
        assert_eq!(format_check(&token).level, Level::Ok);
        assert_eq!(format_check("s3cr3t-value").level, Level::Error);
        assert_eq!(format_check(&"a".repeat(40)).level, Level::Warning);
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> http::Answer {
        http::Answer {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            elapsed: Duration::from_millis(3),
        }
    }

    #[test]
    fn answers_become_checks() {
        let ok = assess_answer(
            "u",
            &answer(
                200,
                &[
                    ("x-oauth-scopes", "repo, read:org"),
                    (
                        "github-authentication-token-expiration",
                        "2030-01-01 00:00:00 UTC",
                    ),
                ],
                r#"{"login":"octocat"}"#,
            ),
        );
        assert_eq!(ok.level, Level::Ok);
        assert_eq!(
            ok.message,
            "authenticated as octocat; scopes: repo, read:org; expires 2030-01-01 00:00:00 UTC"
        );
        let fine = assess_answer("u", &answer(200, &[], r#"{"login":"x"}"#));
        assert!(
            fine.message.contains("scopes not reported"),
            "{}",
            fine.message
        );
        let denied = assess_answer("u", &answer(401, &[], r#"{"message":"Bad credentials"}"#));
        assert_eq!(denied.level, Level::Error);
        assert!(
            denied.message.contains("401: Bad credentials"),
            "{}",
            denied.message
        );
        assert_eq!(
            assess_answer("u", &answer(500, &[], "garbage")).level,
            Level::Error
        );
    }
}
