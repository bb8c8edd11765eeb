"""Every console route with the least role it needs, and a valid form for each post.

The access test fails when the app has a route this table does not list, so no page can be
added without saying who may use it.
"""

from datetime import date, timedelta

PUBLIC = "public"
MEMBER = "member"  # anyone signed in, brand partners too: their account, signing out
BRAND = "brand"  # brand partners only; everyone else gets 404

# (method, path) -> least role: public, member, viewer, staff or admin; or brand.
ROUTES = {
    ("GET", "/admin/login"): PUBLIC,
    ("POST", "/admin/login"): PUBLIC,
    ("POST", "/admin/logout"): MEMBER,
    ("GET", "/admin/brand"): BRAND,
    ("GET", "/admin/brand/businesses/{business_id}"): BRAND,
    ("GET", "/admin/"): "viewer",
    ("GET", "/admin/businesses"): "viewer",
    ("GET", "/admin/businesses/{business_id}"): "viewer",
    ("POST", "/admin/businesses/{business_id}/items"): "staff",
    ("POST", "/admin/items/{item_id}"): "staff",
    ("POST", "/admin/items/{item_id}/verify"): "staff",
    ("GET", "/admin/media/{attachment_id}/thumbnail"): "viewer",
    ("GET", "/admin/media/{attachment_id}"): "staff",
    ("POST", "/admin/media/{attachment_id}/delete"): "admin",
    ("POST", "/admin/businesses/{business_id}/pre-assessment"): "staff",
    ("POST", "/admin/assessments/{assessment_id}/outcome"): "staff",
    ("POST", "/admin/businesses/{business_id}/seal"): "staff",
    ("GET", "/admin/businesses/{business_id}/seal.svg"): "viewer",
    ("GET", "/admin/businesses/{business_id}/seal.png"): "viewer",
    ("POST", "/admin/businesses/{business_id}/seal/revoke"): "staff",
    ("GET", "/admin/assessments/{assessment_id}"): "viewer",
    ("POST", "/admin/assessments/{assessment_id}/held"): "staff",
    ("POST", "/admin/assessments/{assessment_id}/findings/{code}"): "staff",
    ("POST", "/admin/assessments/{assessment_id}/plan"): "staff",
    ("GET", "/admin/standards"): "viewer",
    ("GET", "/admin/countries/{country}"): "viewer",
    ("POST", "/admin/countries/{country}/parameters"): "admin",
    ("GET", "/admin/surveys"): "viewer",
    ("POST", "/admin/surveys"): "staff",
    ("GET", "/admin/surveys/{survey_id}"): "viewer",
    ("POST", "/admin/surveys/{survey_id}/close"): "staff",
    ("GET", "/admin/broadcasts"): "viewer",
    ("GET", "/admin/broadcasts/new"): "staff",
    ("POST", "/admin/broadcasts/preview"): "staff",
    ("POST", "/admin/broadcasts"): "staff",
    ("GET", "/admin/broadcasts/{broadcast_id}"): "viewer",
    ("POST", "/admin/broadcasts/{broadcast_id}/cancel"): "staff",
    ("GET", "/admin/simulator"): "staff",
    ("POST", "/admin/simulator"): "staff",
    ("GET", "/admin/exports/businesses.csv"): "viewer",
    ("GET", "/admin/exports/supply-chain.csv"): "viewer",
    ("GET", "/admin/exports/survey-results.csv"): "viewer",
    ("GET", "/admin/exports/findings.csv"): "viewer",
    ("GET", "/admin/audit"): "viewer",
    ("GET", "/admin/staff"): "admin",
    ("POST", "/admin/staff"): "admin",
    ("POST", "/admin/staff/{staff_id}/role"): "admin",
    ("POST", "/admin/staff/{staff_id}/businesses"): "admin",
    ("POST", "/admin/staff/{staff_id}/unlock"): "admin",
    ("POST", "/admin/staff/{staff_id}/sign-out"): "admin",
    ("POST", "/admin/staff/{staff_id}/two-factor/reset"): "admin",
    ("GET", "/admin/account"): MEMBER,
    ("POST", "/admin/account/password"): MEMBER,
    ("GET", "/admin/account/two-factor"): MEMBER,
    ("POST", "/admin/account/two-factor"): MEMBER,
    ("POST", "/admin/account/two-factor/off"): MEMBER,
}
RANK = {MEMBER: -1, "viewer": 0, "staff": 1, "admin": 2}


def valid_forms(today: date, business_id: int) -> dict[str, dict[str, str | list[str]]]:
    """A form each post accepts (or answers with a clear message), keyed by route path."""
    return {
        "/admin/login": {
            "email": "nobody@example.org",
            "password": "a long enough password",
            "code": "",
        },
        "/admin/logout": {},
        "/admin/businesses/{business_id}/items": {
            "kind": "remediation",
            "severity": "major",
            "description": "Pay every worker group within 7 days of delivery",
            "due_on": (today + timedelta(days=20)).isoformat(),
        },
        "/admin/items/{item_id}": {
            "severity": "minor",
            "description": "Write the piece rate on every order slip",
            "due_on": (today + timedelta(days=40)).isoformat(),
        },
        "/admin/items/{item_id}/verify": {},
        "/admin/media/{attachment_id}/delete": {},
        "/admin/businesses/{business_id}/pre-assessment": {
            "held_on": (today - timedelta(days=3)).isoformat(),
            "months": "6",
        },
        "/admin/assessments/{assessment_id}/outcome": {"outcome": "pass", "notes": "All good"},
        "/admin/businesses/{business_id}/seal": {},
        "/admin/businesses/{business_id}/seal/revoke": {"reason": "Zero-tolerance finding"},
        "/admin/assessments/{assessment_id}/held": {"held_on": today.isoformat()},
        "/admin/assessments/{assessment_id}/findings/{code}": {
            "status": "not_met",
            "severity": "minor",
            "reason": "Seen on site",
            "note": "No first-aid kit in the dyeing room",
        },
        "/admin/assessments/{assessment_id}/plan": {},
        "/admin/countries/{country}/parameters": {
            "name": "weekly_hours",
            "value": "48",
            "unit": "hours per week",
            "source": "Factories Act, 1948, section 51",
            "effective": "1948-09-23",
            "verified": "yes",
        },
        "/admin/surveys": {
            "business_id": str(business_id),
            "title": "March visit",
            "questions": ["hours", "children"],
        },
        "/admin/surveys/{survey_id}/close": {},
        "/admin/broadcasts/preview": {"text_en": "Training on Monday", "stages": ["remediation"]},
        "/admin/broadcasts": {
            "text_en": "Training on Monday at 10",
            "text_es": "Formación el lunes a las 10",
            "languages": ["en", "es"],
            "send_at": (today + timedelta(days=1)).isoformat() + "T09:00",
        },
        "/admin/broadcasts/{broadcast_id}/cancel": {},
        "/admin/simulator": {"phone": "+15550009999", "text": "hi"},
        "/admin/staff": {
            "email": "new.person@example.org",
            "role": "staff",
            "password": "a long enough password",
        },
        "/admin/staff/{staff_id}/role": {"role": "viewer"},
        "/admin/staff/{staff_id}/businesses": {"businesses": str(business_id)},
        "/admin/staff/{staff_id}/unlock": {},
        "/admin/staff/{staff_id}/sign-out": {},
        "/admin/staff/{staff_id}/two-factor/reset": {},
        "/admin/account/password": {
            "current": "a long enough password",
            "password": "a new and longer password",
            "confirm": "a new and longer password",
        },
        "/admin/account/two-factor": {"code": "123456"},
        "/admin/account/two-factor/off": {"current": "a long enough password", "code": "123456"},
    }
