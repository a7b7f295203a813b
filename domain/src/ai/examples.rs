//! A sample input for each analyzer, as the admin console's "try it" form starts with.

use super::AnalyzerKind;

/// A realistic input for `kind`, as pretty JSON. For the estimator and matching, leaving
/// `history` or `candidates` empty uses the platform's delivered projects or talent.
pub fn input(kind: AnalyzerKind) -> &'static str {
    match kind {
        AnalyzerKind::Requirements => {
            r#"{
  "text": "We run three yoga studios in Pune and need a website where people can see the timetable and book classes, plus a simple app for members. Budget around 6 lakh, we'd like to launch before March."
}"#
        }
        AnalyzerKind::Estimate => {
            r#"{
  "text": "Online store for handmade candles with Stripe payments",
  "category": "web",
  "deliverables": ["ecommerce_store", "api_integration"],
  "history": []
}"#
        }
        AnalyzerKind::Matching => {
            r#"{
  "need": {
    "text": "Build a Shopify store with Stripe payments",
    "skills": ["Shopify", "Stripe"],
    "utc_offset_minutes": 330,
    "hours_per_week": 20,
    "limit": 5
  },
  "candidates": []
}"#
        }
        AnalyzerKind::Message => {
            r#"{
  "text": "Hi, any update on the proposal you sent last week?"
}"#
        }
        AnalyzerKind::Qualify => {
            r#"{
  "messages": [
    "bhai website banwani hai apne cafe ke liye",
    "budget 2 lakh tak hai, next month launch karna hai. call kar sakte ho?"
  ]
}"#
        }
        AnalyzerKind::Reply => {
            r#"{
  "band": "hot",
  "contact_name": "Priya",
  "last_message": "We want a Shopify store for our candle shop, can we talk this week?",
  "facts": {
    "business_name": "Acme Studio",
    "offerings": [{ "name": "Shopify stores", "price_from_usd": 4500 }],
    "proof": ["We rebuilt Candle Co's store; online sales rose 40% in 3 months."],
    "insights": ["Most small shops lose buyers at a slow checkout."],
    "booking_link": "https://cal.example.com/acme",
    "availability": "Mon–Fri, 10:00–18:00 IST"
  }
}"#
        }
        AnalyzerKind::ProjectRisk => {
            r#"{
  "milestones": [
    { "title": "Design", "due_in_days": -6, "state": "in_progress", "progress_pct": 70 },
    { "title": "Build", "due_in_days": 21, "state": "planned", "progress_pct": 0 }
  ],
  "customer_silent_days": 8,
  "freelancer_silent_days": 1,
  "overdue_tasks": 3,
  "open_tasks": 12
}"#
        }
        AnalyzerKind::QaCheck => {
            r#"{
  "acceptance_criteria": [
    "Final logo files in SVG, PNG and PDF",
    "A brand guide covering colours and typography"
  ],
  "submission": "Attached are the final logo files in SVG, PNG and PDF.",
  "attachments": ["logo-final.svg", "logo-final.png"]
}"#
        }
        AnalyzerKind::Support => {
            r#"{
  "subject": "Charged twice",
  "body": "Hi, I was charged twice for invoice 1042. Can you refund the duplicate?",
  "customer_name": "Lena",
  "articles": [
    { "title": "Refunds and double charges", "body": "If you were charged twice for an invoice we refund the duplicate within 5 days." }
  ]
}"#
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_json() {
        for k in AnalyzerKind::ALL {
            assert!(
                serde_json::from_str::<serde_json::Value>(input(k)).is_ok(),
                "{k}"
            );
        }
    }
}
