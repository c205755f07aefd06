//! The audit trail: filters (mission, person, operation, outcome, Paris dates), 50 events a page
//! newest first, and the CSV export of every filtered event.
//!
//! The filters travel in the query string (`mission_id`, `actor`, `action`, `outcome`, `from`,
//! `to`, `page`), so a filtered page can be bookmarked and the form needs no CSRF token: it
//! changes nothing.

use super::{csv_response, paris_day_start, paris_today, parse_date, query};
use crate::clock::from_millis;
use crate::domain::{AuditEntry, AuditOutcome};
use crate::http::web::{lang, page, AdminSession, PageError, PageResult};
use crate::http::AppState;
use crate::service::journal::{ActorFilter, AuditSearch, Names, Subject};
use admin_ui::form::FormFields;
use admin_ui::{AdminJournalPage, Choice, JournalLine, Lang, Layout as _};
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

/// The value of the person filter that stands for the gateway itself.
const GATEWAY_ACTOR: &str = "passerelle";
/// The outcomes of the trail.
const OUTCOMES: [&str; 3] = ["success", "denied", "failed"];
/// The filter fields, in the order links write them.
const FILTER_FIELDS: [&str; 6] = ["mission_id", "actor", "action", "outcome", "from", "to"];

/// The filters read from the query string, with the dates' errors.
struct Filters {
    search: AuditSearch,
    typed: FormFields,
    from_error: Option<String>,
    to_error: Option<String>,
}

fn filters(lang: Lang, q: &FormFields) -> Filters {
    let a = lang.admin();
    let non_empty = |name: &str| Some(q.value(name).trim()).filter(|v| !v.is_empty());
    let mut search = AuditSearch {
        mission_id: non_empty("mission_id").map(str::to_owned),
        actor: match non_empty("actor") {
            None => ActorFilter::Any,
            Some(GATEWAY_ACTOR) => ActorFilter::Gateway,
            Some(id) => ActorFilter::User(id.to_owned()),
        },
        action: non_empty("action").map(str::to_owned),
        outcome: non_empty("outcome")
            .filter(|o| OUTCOMES.contains(o))
            .map(str::to_owned),
        ..Default::default()
    };
    let mut from_error = None;
    let mut to_error = None;
    let from = non_empty("from").map(|v| parse_date(v).ok_or(()));
    let to = non_empty("to").map(|v| parse_date(v).ok_or(()));
    match from {
        Some(Ok(d)) => search.from_ms = paris_day_start(d).map(|t| t.timestamp_millis()),
        Some(Err(())) => from_error = Some(a.err_date.to_owned()),
        None => {}
    }
    match to {
        // "To" includes the whole day: events before the next day's midnight.
        Some(Ok(d)) => {
            search.before_ms = d
                .succ_opt()
                .and_then(paris_day_start)
                .map(|t| t.timestamp_millis())
        }
        Some(Err(())) => to_error = Some(a.err_date.to_owned()),
        None => {}
    }
    if let (Some(Ok(f)), Some(Ok(t))) = (from, to) {
        if t < f {
            to_error = Some(a.err_date_order.to_owned());
        }
    }
    Filters {
        search,
        typed: q.clone(),
        from_error,
        to_error,
    }
}

/// `path?field=value&…` with the non-empty filters (and `extra` pairs), percent-encoded.
fn href(path: &str, typed: &FormFields, extra: &[(&str, String)]) -> String {
    let mut pairs: Vec<String> = FILTER_FIELDS
        .iter()
        .map(|f| (*f, typed.value(f).trim().to_owned()))
        .chain(extra.iter().map(|(k, v)| (*k, v.clone())))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(&v, NON_ALPHANUMERIC)))
        .collect();
    if pairs.is_empty() {
        return path.to_owned();
    }
    let first = pairs.remove(0);
    let mut out = format!("{path}?{first}");
    for p in pairs {
        out.push('&');
        out.push_str(&p);
    }
    out
}

/// An instant (ms) in Paris time to the second.
fn paris_seconds(lang: Lang, ms: i64) -> String {
    let t = from_millis(ms).with_timezone(&chrono_tz::Europe::Paris);
    match lang {
        Lang::Fr => t.format("%d/%m/%Y à %H:%M:%S").to_string(),
        Lang::En => t.format("%d/%m/%Y at %H:%M:%S").to_string(),
    }
}

fn line(lang: Lang, names: &Names, e: &AuditEntry) -> JournalLine {
    let a = lang.admin();
    JournalLine {
        seq: e.seq,
        at: paris_seconds(lang, e.at),
        person: names
            .person(e.actor.as_deref())
            .unwrap_or_else(|| a.gateway_actor.to_owned()),
        organisation: names.organisation(e.organisation_id.as_deref()),
        operation: a.action_name(e.action.as_str()),
        mission: names.mission(e.mission_id.as_deref()),
        data: match names.subject(e) {
            Subject::Nothing => String::new(),
            Subject::File(n) => format!("{} {n}", a.data_file),
            Subject::Account(n) => format!("{} {n}", a.data_account),
            Subject::Organisation(n) => format!("{} {n}", a.data_org),
            Subject::Other(id) => id,
        },
        outcome: a.outcome_name(e.outcome.as_str()).to_owned(),
        success: e.outcome == AuditOutcome::Success,
        ip: e.ip.clone().unwrap_or_default(),
    }
}

/// `GET /admin/journal`.
pub(super) async fn show(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    uri: Uri,
) -> PageResult {
    let lang = lang();
    let a = lang.admin();
    let q = query(&uri);
    let f = filters(lang, &q);
    let asked_page = q.value("page").trim().parse::<i64>().unwrap_or(1);
    let names = s.core.journal_names(&session.actor).await?;
    let actions = s.core.journal_actions(&session.actor).await?;
    let typed = |name: &str| f.typed.value(name).trim().to_owned();
    let mut view = AdminJournalPage {
        lang,
        csrf_token: session.csrf_token.clone(),
        path: href("/admin/journal", &f.typed, &[]),
        missions: names
            .missions()
            .into_iter()
            .map(|(id, name)| Choice::new(id, name, &typed("mission_id")))
            .collect(),
        people: std::iter::once(Choice::new(GATEWAY_ACTOR, a.gateway_actor, &typed("actor")))
            .chain(
                names
                    .people()
                    .into_iter()
                    .map(|(id, name)| Choice::new(id, name, &typed("actor"))),
            )
            .collect(),
        actions: {
            let mut choices: Vec<Choice> = actions
                .iter()
                .map(|act| Choice::new(act.clone(), a.action_name(act), &typed("action")))
                .collect();
            choices.sort_by(|x, y| x.label.cmp(&y.label));
            choices
        },
        outcomes: OUTCOMES
            .iter()
            .map(|o| Choice::new(*o, a.outcome_name(o), &typed("outcome")))
            .collect(),
        from: typed("from"),
        to: typed("to"),
        from_error: f.from_error.clone(),
        to_error: f.to_error.clone(),
        csv_href: href("/admin/journal.csv", &f.typed, &[]),
        page: 1,
        pages: 1,
        ..Default::default()
    };
    if view.has_error() {
        return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &view));
    }
    let found = s
        .core
        .journal(&session.actor, &f.search, asked_page)
        .await?;
    let page_link = |n: i64| href("/admin/journal", &f.typed, &[("page", n.to_string())]);
    view.path = page_link(found.page);
    view.previous_href = (found.page > 1).then(|| page_link(found.page - 1));
    view.next_href = (found.page < found.pages).then(|| page_link(found.page + 1));
    view.total = found.total;
    view.page = found.page;
    view.pages = found.pages;
    view.events = found.events.iter().map(|e| line(lang, &names, e)).collect();
    Ok(page(StatusCode::OK, &view))
}

/// `GET /admin/journal.csv`: every event the filters select, oldest first.
pub(super) async fn csv(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    uri: Uri,
) -> PageResult {
    let lang = lang();
    let f = filters(lang, &query(&uri));
    if let Some(message) = f.from_error.as_ref().or(f.to_error.as_ref()) {
        return Err(PageError::bad_request(message.as_str()));
    }
    let body = s.core.journal_csv(&session.actor, &f.search).await?;
    Ok(csv_response(
        body,
        &format!("journal-audit-{}.csv", paris_today(&s)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_the_query() {
        let q = FormFields::parse(
            b"actor=passerelle&outcome=bogus&from=15/01/2027&to=2027-01-15&action=auth.login",
        );
        let f = filters(Lang::Fr, &q);
        assert_eq!(f.search.actor, ActorFilter::Gateway);
        assert_eq!(f.search.outcome, None);
        assert_eq!(f.search.action.as_deref(), Some("auth.login"));
        // One Paris day: 14/01 23:00 UTC to 15/01 23:00 UTC.
        assert_eq!(f.search.from_ms, Some(1_799_967_600_000));
        assert_eq!(f.search.before_ms, Some(1_800_054_000_000));
        assert!(f.from_error.is_none() && f.to_error.is_none());

        let bad = filters(
            Lang::Fr,
            &FormFields::parse(b"from=31/02/2027&to=01/01/2027"),
        );
        assert!(bad.from_error.is_some());
        let reversed = filters(
            Lang::En,
            &FormFields::parse(b"from=02/01/2027&to=01/01/2027"),
        );
        assert_eq!(
            reversed.to_error.as_deref(),
            Some("The end date comes before the start date.")
        );
    }

    #[test]
    fn links_keep_the_filters() {
        let q = FormFields::parse(b"mission_id=m1&actor=&from=15%2F01%2F2027&page=3");
        assert_eq!(
            href("/admin/journal", &q, &[("page", "4".to_owned())]),
            "/admin/journal?mission_id=m1&from=15%2F01%2F2027&page=4"
        );
        assert_eq!(
            href("/admin/journal.csv", &FormFields::default(), &[]),
            "/admin/journal.csv"
        );
    }
}
