//! The words of each reminder email: a subject, a plain-text part and the
//! same as HTML. Only numbers, names and reasons go in: never a secret or a
//! payload.

use crate::mail::Email;
use crate::model::Purchase;
use crate::model::{Entity, System, Tenant, Transfer};
use chrono::{DateTime, Utc};

/// How many failed transfers a digest names.
pub const NAMED_IN_DIGEST: usize = 5;

/// One email's words, built a paragraph at a time in both parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    text: String,
    html: String,
}

impl Message {
    fn new(subject: String, tenant: &Tenant) -> Self {
        Self {
            subject,
            text: String::new(),
            html: String::new(),
        }
        .para(&format!("Hello {},", tenant.name))
    }

    fn para(mut self, words: &str) -> Self {
        self.text.push_str(words);
        self.text.push_str("\n\n");
        self.html.push_str(&format!("<p>{}</p>", escape(words)));
        self
    }

    fn list(mut self, items: &[String]) -> Self {
        if items.is_empty() {
            return self;
        }
        self.html.push_str("<ul>");
        for item in items {
            self.text.push_str(&format!("- {item}\n"));
            self.html.push_str(&format!("<li>{}</li>", escape(item)));
        }
        self.text.push('\n');
        self.html.push_str("</ul>");
        self
    }

    fn link(mut self, label: &str, url: &str) -> Self {
        self.text.push_str(&format!("{label}: {url}\n\n"));
        self.html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape(url),
            escape(label)
        ));
        self
    }

    /// The email to `to`, with a closing line on where to change who gets
    /// reminders.
    pub fn email(self, from: &str, to: Vec<String>, links: &Links) -> Email {
        let closing = "You get this email because you are a reminder recipient of this Ferry account. Choose who gets which reminders";
        let done = self.link(closing, &links.screen("reminders"));
        Email {
            from: from.to_owned(),
            to,
            subject: done.subject,
            text: done.text.trim_end().to_owned() + "\n",
            html: format!(
                "<!doctype html><html><body style=\"font-family: sans-serif\">{}</body></html>",
                done.html
            ),
        }
    }
}

/// Addresses of the dashboard's screens, from Ferry's public address.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    pub fn new(public_url: &str) -> Self {
        Self {
            base: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// `screen` is the part after `#/`, with its filters
    /// (`transfers?status=failed`).
    pub fn screen(&self, screen: &str) -> String {
        format!("{}/#/{screen}", self.base)
    }
}

pub fn usage_warning(tenant: &Tenant, used: u64, quota: u64, links: &Links) -> Message {
    Message::new(
        format!(
            "Ferry: 80 % of this month's orders used ({used} of {quota})"
        ),
        tenant,
    )
    .para(&format!(
        "Ferry has transferred {used} of the {quota} orders your plan includes this month."
    ))
    .para("When all are used, new orders wait until the next month unless auto-buy of extra orders is on or you upgrade the plan.")
    .link("See your subscription", &links.screen("subscription"))
}

pub fn usage_reached(
    tenant: &Tenant,
    used: u64,
    quota: u64,
    auto_buy: bool,
    links: &Links,
) -> Message {
    let next = if auto_buy {
        "Auto-buy is on: Ferry buys a pack of extra orders whenever they run out, so orders go on moving. Each pack is reported by email."
    } else {
        "Auto-buy is off: new orders now wait as pending (nothing is lost) until you buy extra orders or upgrade the plan; then they go on at once."
    };
    Message::new(
        format!("Ferry: all {quota} orders of this month are used"),
        tenant,
    )
    .para(&format!(
        "Ferry has transferred {used} orders this month, all {quota} your plan includes."
    ))
    .para(next)
    .link("Buy extra orders or upgrade", &links.screen("subscription"))
}

pub fn pack_bought(tenant: &Tenant, purchase: &Purchase, links: &Links) -> Message {
    Message::new(
        format!(
            "Ferry: {} extra orders bought for {} {}",
            purchase.orders, purchase.price, purchase.currency
        ),
        tenant,
    )
    .para(&format!(
        "This month's orders were used up, and auto-buy is on, so Ferry bought {} extra orders for {} {} on {}. Orders go on moving.",
        purchase.orders,
        purchase.price,
        purchase.currency,
        day_and_time(purchase.at)
    ))
    .para("To stop buying extra orders, switch auto-buy off; a larger plan may cost less.")
    .link("See your subscription", &links.screen("subscription"))
}

/// One failed transfer and the name of the system it was going to.
pub struct Failure<'a> {
    pub transfer: &'a Transfer,
    pub target: &'a str,
}

pub fn failed_digest(tenant: &Tenant, failures: &[Failure<'_>], links: &Links) -> Message {
    let count = failures.len();
    let all_orders = failures.iter().all(|f| f.transfer.entity == Entity::Orders);
    let noun = match (all_orders, count) {
        (true, 1) => "order",
        (true, _) => "orders",
        (false, 1) => "record",
        (false, _) => "records",
    };
    let mut targets: Vec<&str> = failures.iter().map(|f| f.target).collect();
    targets.sort_unstable();
    targets.dedup();
    let to = and_list(&targets);
    let mut lines: Vec<String> = failures
        .iter()
        .take(NAMED_IN_DIGEST)
        .map(|f| {
            let number = match f.transfer.source_ref.as_str() {
                "" => "(unreadable record)",
                number => number,
            };
            let reason = f
                .transfer
                .reason
                .as_deref()
                .unwrap_or("no reason was recorded");
            format!("{number}: {reason}")
        })
        .collect();
    if count > NAMED_IN_DIGEST {
        lines.push(format!("and {} more", count - NAMED_IN_DIGEST));
    }
    Message::new(
        format!("Ferry: {count} {noun} could not be transferred to {to}"),
        tenant,
    )
    .para(&format!(
        "{count} {noun} could not be transferred to {to} since the last reminder:"
    ))
    .list(&lines)
    .para("Each reason says what to change. Once it is fixed, retry the transfer from the log: it goes through the normal path and is never doubled.")
    .link(
        "See the failed transfers and retry them",
        &links.screen("transfers?status=failed"),
    )
}

pub fn credentials_unhealthy(tenant: &Tenant, system: &System, links: &Links) -> Message {
    let name = system_label(system);
    let reason = system
        .health
        .reason
        .as_deref()
        .unwrap_or("it gave no reason");
    Message::new(
        format!("Ferry: {name} refuses its credentials"),
        tenant,
    )
    .para(&format!(
        "When Ferry last checked, {name} refused its credentials: {reason}"
    ))
    .para(&format!(
        "Until this is fixed, transfers to and from {name} wait (none are lost). To fix it, make a new key or token in {}, then open the system in Ferry, choose \"Update credentials\" and \"Test connection\".",
        system.kind.display_name()
    ))
    .link(
        "Open the system",
        &links.screen(&format!("systems?q={}", query_value(&system.name))),
    )
}

pub fn all_clear(tenant: &Tenant, label: &str, since: DateTime<Utc>, links: &Links) -> Message {
    Message::new(format!("Ferry: all clear: {label}"), tenant)
        .para(&format!(
            "All clear: {label}. The problem Ferry reminded you of on {} is solved; nothing more is needed.",
            day_and_time(since)
        ))
        .link("See the dashboard", &links.screen(""))
}

/// "e-conomic 'Books'", for subjects and all-clear emails.
pub fn system_label(system: &System) -> String {
    format!("{} '{}'", system.kind.display_name(), system.name)
}

fn and_list(names: &[&str]) -> String {
    match names {
        [] => "the target".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn day_and_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d at %H:%M UTC").to_string()
}

/// A value for the address's query part (`#/systems?q=...`).
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_join_in_words() {
        assert_eq!(and_list(&["e-conomic"]), "e-conomic");
        assert_eq!(and_list(&["Fortnox", "e-conomic"]), "Fortnox and e-conomic");
        assert_eq!(and_list(&["A", "B", "C"]), "A, B and C");
    }

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let tenant = Tenant {
            id: crate::model::TenantId::generate(),
            name: "Bolt & <Co>".into(),
            email: "owner@bolt.example".into(),
            time_zone: "UTC".into(),
            created_at: Utc::now(),
        };
        let email = Message::new("s".into(), &tenant)
            .para("a \"quoted\" <b>")
            .email(
                "from@x.example",
                vec!["to@x.example".into()],
                &Links::new("http://f/"),
            );
        assert!(
            email
                .text
                .starts_with("Hello Bolt & <Co>,\n\na \"quoted\" <b>\n\n"),
            "{}",
            email.text
        );
        assert!(
            email.html.contains(
                "<p>Hello Bolt &amp; &lt;Co&gt;,</p><p>a &quot;quoted&quot; &lt;b&gt;</p>"
            ),
            "{}",
            email.html
        );
        assert!(
            email.text.contains("http://f/#/reminders"),
            "{}",
            email.text
        );
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("Books 2026/ø"), "Books%202026%2F%C3%B8");
    }
}
