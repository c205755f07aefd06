//! axe-core run inside the page: the WCAG 2.0 and 2.1 A/AA rules (RGAA 4.1 follows WCAG 2.1 AA).

use fantoccini::Client;
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The rule sets run, by axe tag.
const TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// One failed rule, as axe reports it.
#[derive(Debug, Deserialize)]
pub(super) struct Violation {
    /// Rule id (`color-contrast`, `label`, ...).
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    /// What the rule asks for.
    pub help: String,
    /// Where the rule is explained.
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    /// The elements that fail it.
    pub nodes: Vec<Node>,
}

/// One failing element.
#[derive(Debug, Deserialize)]
pub(super) struct Node {
    /// CSS selectors reaching the element.
    pub target: Vec<serde_json::Value>,
    /// The element's opening tag.
    pub html: String,
    /// Why it fails.
    #[serde(rename = "failureSummary")]
    pub failure_summary: Option<String>,
}

/// axe-core's source, read once per test binary.
fn source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = super::chrome::axe_path();
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    })
}

/// Injects axe-core into the current page (through WebDriver, so the page's CSP does not apply
/// to it) and returns the violations of the WCAG A/AA rules.
pub(super) async fn run(client: &Client) -> Vec<Violation> {
    client
        .execute(&format!("{}\nreturn true;", source()), vec![])
        .await
        .unwrap_or_else(|e| panic!("injecting axe-core: {e}"));
    let script = format!(
        "const done = arguments[arguments.length - 1];
         axe.run(document, {{ runOnly: {tags} }})
           .then(r => done(JSON.stringify(r.violations)))
           .catch(e => done(JSON.stringify({{ error: String(e) }})));",
        tags = serde_json::json!(TAGS)
    );
    let answer = client
        .execute_async(&script, vec![])
        .await
        .unwrap_or_else(|e| panic!("running axe-core: {e}"));
    let text = answer.as_str().unwrap_or_default();
    serde_json::from_str(text).unwrap_or_else(|_| panic!("axe-core failed: {text}"))
}

/// The violations as a readable list, one rule per paragraph.
pub(super) fn report(violations: &[Violation]) -> String {
    let mut out = String::new();
    for v in violations {
        let _ = writeln!(
            out,
            "- {} ({}): {} <{}>",
            v.id,
            v.impact.as_deref().unwrap_or("?"),
            v.help,
            v.help_url
        );
        for n in &v.nodes {
            let target: Vec<String> = n
                .target
                .iter()
                .map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_owned))
                .collect();
            let _ = writeln!(out, "    at {}: {}", target.join(" > "), n.html);
            if let Some(summary) = &n.failure_summary {
                for line in summary.lines() {
                    let _ = writeln!(out, "      {line}");
                }
            }
        }
    }
    out
}
