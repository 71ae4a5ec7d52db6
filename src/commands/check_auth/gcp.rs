//! Google Cloud: the key file GOOGLE_APPLICATION_CREDENTIALS points at (permissions, JSON,
//! type, fields, private key, project), and gcloud's active account when gcloud is installed.
//! No value from the key file is ever put into a message except the type, the client e-mail
//! and the project ID, which are not secrets. Secret fields are registered with the Redactor.

use std::path::Path;
use std::time::Duration;

use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::{self, PemObject};

use super::files::{describe_mode, mode_of};
use super::process::{self, RunError};
use crate::commands::checks::{Area, Check};
use crate::redact::Redactor;

/// Credential types Google's client libraries accept in a key file.
pub const KNOWN_TYPES: [&str; 3] = ["service_account", "authorized_user", "external_account"];
/// Key files are small; anything bigger is not one.
const MAX_KEY_FILE: u64 = 1024 * 1024;
/// Fields holding secrets, registered with the Redactor as soon as the file is read.
const SECRET_FIELDS: [&str; 4] = [
    "private_key",
    "private_key_id",
    "client_secret",
    "refresh_token",
];

/// Fields each type must have.
pub fn required_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "service_account" => &[
            "client_email",
            "private_key",
            "private_key_id",
            "token_uri",
            "project_id",
        ],
        "authorized_user" => &["client_id", "client_secret", "refresh_token"],
        "external_account" => &[
            "audience",
            "subject_token_type",
            "token_url",
            "credential_source",
        ],
        _ => &[],
    }
}

/// The size of an RSA private key in PEM PKCS#8 (`BEGIN PRIVATE KEY`), in bits.
/// Errors say what is wrong without quoting any of the key.
pub fn rsa_key_bits(pem_text: &str) -> Result<usize, String> {
    let der = PrivateKeyDer::from_pem_slice(pem_text.as_bytes()).map_err(|e| {
        match e {
            pem::Error::NoItemsFound => {
                "has no PEM private key block (-----BEGIN PRIVATE KEY-----)"
            }
            pem::Error::MissingSectionEnd { .. } => "has a PEM block without its END line",
            pem::Error::IllegalSectionStart { .. } => "has a malformed PEM BEGIN line",
            pem::Error::Base64Decode(_) => "has invalid base64 inside its PEM block",
            _ => "cannot be read as PEM",
        }
        .to_string()
    })?;
    let PrivateKeyDer::Pkcs8(pkcs8) = der else {
        return Err("is not PKCS#8 (expected -----BEGIN PRIVATE KEY-----)".into());
    };
    let pair = ring::signature::RsaKeyPair::from_pkcs8(pkcs8.secret_pkcs8_der())
        .map_err(|e| format!("is not a usable RSA key ({e})"))?;
    Ok(pair.public().modulus_len() * 8)
}

/// The checks of a key file's content. Pure, apart from registering its secrets.
pub fn key_checks(
    text: &str,
    shown: &str,
    expected_project: Option<&str>,
    redactor: &Redactor,
) -> Vec<Check> {
    let area = Area::Gcp;
    let redownload =
        "download a new key (gcloud iam service-accounts keys create KEY.json --iam-account=...)";
    let json: serde_json::Value = match serde_json::from_str(text) {
        Ok(json) => json,
        Err(e) => {
            return vec![
                Check::error(
                    area,
                    "key format",
                    format!(
                        "{shown} is not valid JSON (line {}, column {})",
                        e.line(),
                        e.column()
                    ),
                )
                .fix(redownload),
            ];
        }
    };
    let Some(object) = json.as_object() else {
        return vec![
            Check::error(area, "key format", format!("{shown} is not a JSON object"))
                .fix(redownload),
        ];
    };
    for field in SECRET_FIELDS {
        if let Some(value) = object.get(field).and_then(|v| v.as_str()) {
            redactor.add(value);
        }
    }
    let text_field = |name: &str| {
        object
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|v| !v.trim().is_empty())
    };
    let kind = match object.get("type").and_then(|t| t.as_str()) {
        Some(kind) if KNOWN_TYPES.contains(&kind) => kind,
        Some(other) => {
            return vec![
                Check::error(
                    area,
                    "key format",
                    format!(
                        "{shown} has type `{other}`, not one of {}",
                        KNOWN_TYPES.join(", ")
                    ),
                )
                .fix(redownload),
            ];
        }
        None => {
            return vec![
                Check::error(area, "key format", format!("{shown} has no `type` field"))
                    .fix(redownload),
            ];
        }
    };
    let mut checks = vec![Check::ok(
        area,
        "key format",
        match text_field("client_email") {
            Some(email) => format!("{kind} key for {email}"),
            None => format!("{kind} credentials"),
        },
    )];
    let missing: Vec<&str> = required_fields(kind)
        .iter()
        .copied()
        .filter(|f| match object.get(*f) {
            None | Some(serde_json::Value::Null) => true,
            Some(serde_json::Value::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        })
        .collect();
    checks.push(if missing.is_empty() {
        Check::ok(
            area,
            "key fields",
            format!("every field a {kind} needs is present"),
        )
    } else {
        Check::error(
            area,
            "key fields",
            format!("{shown} lacks {}", missing.join(", ")),
        )
        .fix(redownload)
    });
    if kind != "service_account" {
        return checks;
    }
    if let Some(key) = text_field("private_key") {
        checks.push(match rsa_key_bits(key) {
            Ok(bits) => Check::ok(area, "private key", format!("RSA {bits}-bit, PEM PKCS#8")),
            Err(problem) => {
                Check::error(area, "private key", format!("private_key {problem}")).fix(redownload)
            }
        });
    }
    if let Some(project) = text_field("project_id") {
        checks.push(match expected_project.filter(|p| !p.is_empty()) {
            Some(expected) if expected == project => Check::ok(
                area,
                "project",
                format!("project_id `{project}` matches GCP_PROJECT_ID"),
            ),
            Some(expected) => Check::error(
                area,
                "project",
                format!(
                    "the key belongs to project `{project}`, but GCP_PROJECT_ID is `{expected}`"
                ),
            )
            .fix("use a key of the project in GCP_PROJECT_ID, or correct GCP_PROJECT_ID"),
            None => Check::info(
                area,
                "project",
                format!("the key belongs to project `{project}`; GCP_PROJECT_ID is not set"),
            ),
        });
    }
    checks
}

/// Every check of the key file at `path` (as GOOGLE_APPLICATION_CREDENTIALS says, `shown`).
pub fn file_checks(
    path: &Path,
    shown: &str,
    expected_project: Option<&str>,
    redactor: &Redactor,
) -> Vec<Check> {
    let area = Area::Gcp;
    let meta = match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => {
            return vec![
                Check::error(
                    area,
                    "credentials file",
                    format!(
                        "GOOGLE_APPLICATION_CREDENTIALS points at {shown}, which is not a file"
                    ),
                )
                .fix("point GOOGLE_APPLICATION_CREDENTIALS at the JSON key file"),
            ];
        }
        Err(e) => {
            return vec![Check::error(
                area,
                "credentials file",
                format!("GOOGLE_APPLICATION_CREDENTIALS points at {shown}, which cannot be read: {e}"),
            )
            .fix("point GOOGLE_APPLICATION_CREDENTIALS at the JSON key file, or unset it")];
        }
    };
    let mut checks = Vec::new();
    let mode = mode_of(&meta);
    checks.push(if mode & 0o077 == 0 {
        Check::ok(area, "key permissions", format!("{shown}: mode {mode:03o}"))
    } else {
        Check::warning(
            area,
            "key permissions",
            format!("{shown}: mode {mode:03o}, {}", describe_mode(mode & 0o077)),
        )
        .fix(format!("chmod 600 {shown}"))
    });
    if meta.len() > MAX_KEY_FILE {
        checks.push(Check::error(
            area,
            "key format",
            format!(
                "{shown} is {} bytes; a key file is a few kilobytes",
                meta.len()
            ),
        ));
        return checks;
    }
    match crate::files::read_text(path, crate::files::MAX_SECRET_BYTES) {
        Ok(text) => checks.extend(key_checks(&text, shown, expected_project, redactor)),
        Err(e) => checks.push(Check::error(
            area,
            "key format",
            format!("cannot read {shown}: {e}"),
        )),
    }
    checks
}

/// The accounts in `gcloud auth list --format=json` output.
pub fn parse_accounts(stdout: &str) -> Result<Vec<String>, String> {
    let json: serde_json::Value = serde_json::from_str(stdout)
        .map_err(|_| "gcloud printed something other than JSON".to_string())?;
    let list = json
        .as_array()
        .ok_or_else(|| "gcloud printed JSON that is not a list".to_string())?;
    Ok(list
        .iter()
        .filter_map(|a| a.get("account")?.as_str())
        .map(String::from)
        .collect())
}

/// gcloud's active account, if gcloud is on PATH. Its absence is information, not a problem.
pub async fn gcloud_check(timeout: Duration) -> Check {
    let area = Area::Gcp;
    let Ok(gcloud) = which::which("gcloud") else {
        return Check::info(
            area,
            "gcloud",
            "gcloud is not installed (not on PATH); its active account is not checked",
        );
    };
    let args = ["auth", "list", "--filter=status:ACTIVE", "--format=json"];
    match process::run(&gcloud, &args, None, timeout).await {
        Err(e @ RunError::TimedOut { .. }) => {
            Check::warning(area, "gcloud", format!("`gcloud auth list`: {e}"))
        }
        Err(e) => Check::warning(area, "gcloud", e.to_string()),
        Ok(ran) if ran.code != Some(0) => Check::warning(
            area,
            "gcloud",
            format!("`gcloud auth list` failed: {}", ran.first_error_line()),
        ),
        Ok(ran) => match parse_accounts(&ran.stdout) {
            Ok(accounts) if accounts.is_empty() => Check::info(
                area,
                "gcloud",
                "gcloud has no active account",
            )
            .fix("gcloud auth activate-service-account --key-file=KEY.json (or gcloud auth login)"),
            Ok(accounts) => Check::ok(
                area,
                "gcloud",
                format!("gcloud's active account is {}", accounts.join(", ")),
            ),
            Err(e) => Check::warning(area, "gcloud", e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::checks::Level;

    /// A fresh 2048-bit RSA key in PEM PKCS#8, made by the openssl CLI.
    pub fn openssl_rsa_key() -> String {
        let out = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .output()
            .expect("openssl is needed by the tests (scripts/setup-test-env.sh installs it)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn service_account(key: &str, project: &str) -> String {
        serde_json::json!({
            "type": "service_account",
            "project_id": project,
            "private_key_id": "0123456789abcdef0123456789abcdef01234567",
            "private_key": key,
            "client_email": format!("phi@{project}.iam.gserviceaccount.com"),
            "client_id": "123",
            "token_uri": "https://oauth2.googleapis.com/token",
        })
        .to_string()
    }

    fn levels(checks: &[Check]) -> Vec<(&str, Level)> {
        checks.iter().map(|c| (c.name.as_str(), c.level)).collect()
    }

    #[test]
    fn a_good_service_account_key_passes_and_its_secrets_are_registered() {
        let key = openssl_rsa_key();
        let redactor = Redactor::new();
        let checks = key_checks(
            &service_account(&key, "proj-1"),
            "key.json",
            Some("proj-1"),
            &redactor,
        );
        assert_eq!(
            levels(&checks),
            vec![
                ("key format", Level::Ok),
                ("key fields", Level::Ok),
                ("private key", Level::Ok),
                ("project", Level::Ok),
            ]
        );
        assert_eq!(
            checks[0].message,
            "service_account key for phi@proj-1.iam.gserviceaccount.com"
        );
        assert_eq!(checks[2].message, "RSA 2048-bit, PEM PKCS#8");
        assert_eq!(redactor.redact(key.trim()), crate::redact::MASK);
    }

    #[test]
    fn a_wrong_project_missing_fields_and_a_bad_key_are_errors() {
        let key = openssl_rsa_key();
        let r = Redactor::new();
        let checks = key_checks(&service_account(&key, "proj-1"), "k", Some("other"), &r);
        assert_eq!(checks[3].level, Level::Error);
        assert!(checks[3].message.contains("`proj-1`") && checks[3].message.contains("`other`"));
        let unset = key_checks(&service_account(&key, "proj-1"), "k", None, &r);
        assert_eq!(unset[3].level, Level::Info);

        let mut json: serde_json::Value =
            serde_json::from_str(&service_account(&key, "p")).unwrap();
        json.as_object_mut().unwrap().remove("token_uri");
        json["client_email"] = "".into();
        let checks = key_checks(&json.to_string(), "k", None, &r);
        assert_eq!(checks[1].level, Level::Error);
        assert_eq!(checks[1].message, "k lacks client_email, token_uri");

        // A PEM block whose body is not a key: the message never quotes it.
        let garbage =
            "-----BEGIN PRIVATE KEY-----\nTk9UQUtFWXNlY3JldGJvZHk=\n-----END PRIVATE KEY-----\n";
        let checks = key_checks(&service_account(garbage, "p"), "k", None, &r);
        assert_eq!(checks[2].level, Level::Error);
        assert!(
            !checks[2].message.contains("Tk9UQUtFWXNlY3JldGJvZHk"),
            "{}",
            checks[2].message
        );
    }

    #[test]
    fn private_keys_must_be_pem_pkcs8_rsa() {
        let key = openssl_rsa_key();
        assert_eq!(rsa_key_bits(&key), Ok(2048));
        assert!(
            rsa_key_bits("no pem here")
                .unwrap_err()
                .contains("no PEM private key")
        );
        let truncated: String = key.lines().take(5).collect::<Vec<_>>().join("\n");
        let err = rsa_key_bits(&truncated).unwrap_err();
        assert!(!err.contains(key.lines().nth(2).unwrap()), "{err}");
        let pkcs1 = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(rsa_key_bits(pkcs1).unwrap_err().contains("not PKCS#8"));
        let bad_base64 = "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n";
        assert!(rsa_key_bits(bad_base64).is_err());
    }

    #[test]
    fn types_and_json_are_checked_without_quoting_content() {
        let r = Redactor::new();
        let checks = key_checks("{\"private_key\": \"s3cr3t", "k", None, &r);
        assert_eq!(checks[0].level, Level::Error);
        assert!(
            checks[0].message.starts_with("k is not valid JSON (line 1"),
            "{}",
            checks[0].message
        );
        assert!(!checks[0].message.contains("s3cr3t"));
        assert_eq!(key_checks("[1]", "k", None, &r)[0].level, Level::Error);
        let odd = key_checks(r#"{"type":"api_key"}"#, "k", None, &r);
        assert!(odd[0].message.contains("`api_key`"));
        let none = key_checks("{}", "k", None, &r);
        assert!(none[0].message.contains("no `type`"));
        let user = key_checks(
            r#"{"type":"authorized_user","client_id":"c","client_secret":"cs-secret-1","refresh_token":"rt-secret-1"}"#,
            "k",
            None,
            &r,
        );
        assert_eq!(
            levels(&user),
            vec![("key format", Level::Ok), ("key fields", Level::Ok)]
        );
        assert_eq!(r.redact("rt-secret-1 cs-secret-1"), "[redacted] [redacted]");
        let external = key_checks(
            r#"{"type":"external_account","audience":"a"}"#,
            "k",
            None,
            &r,
        );
        assert_eq!(external[1].level, Level::Error);
    }

    #[test]
    fn gcloud_accounts_are_parsed() {
        assert_eq!(
            parse_accounts(r#"[{"account":"ops@example.com","status":"ACTIVE"}]"#),
            Ok(vec!["ops@example.com".to_string()])
        );
        assert_eq!(parse_accounts("[]"), Ok(vec![]));
        assert!(parse_accounts("Listed 0 items.").is_err());
        assert!(parse_accounts("{}").is_err());
    }
}
