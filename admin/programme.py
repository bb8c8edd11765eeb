"""Words for the programme's codes, shown on console pages and in exports."""

from babel import Locale

from messages import LANGUAGES

# The languages people choose, by their English names (CLDR, through Babel).
LANGUAGE_NAMES = {code: Locale.parse("en").languages.get(code, code) for code in LANGUAGES}

STAGE_LABELS = {
    "registered": "Registered",
    "mapping": "Mapping the supply chain",
    "pre_assessment": "Pre-assessment training",
    "remediation": "Remediation",
    "assessment_scheduled": "Assessment scheduled",
    "corrective_action": "Corrective action",
    "seal_awarded": "Seal awarded",
}
KINDS = {"remediation": "Remediation", "corrective": "Corrective action"}
SEVERITIES = {"zero_tolerance": "Zero tolerance", "major": "Major", "minor": "Minor"}
OUTCOMES = {"pass": "Pass", "partial": "Partial", "fail": "Fail"}
ITEM_STATUSES = {
    "open": "Open",
    "help": "Help asked",
    "done": "Done",
    "verified": "Verified",
    "withdrawn": "Withdrawn",
}


def label(code: str | None, labels: dict[str, str]) -> str:
    if code is None:
        return "—"
    return labels.get(code, code.replace("_", " ").capitalize())
