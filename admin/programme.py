"""Words for the programme's codes, shown on console pages and in exports."""

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
