"""The store's tables. Everything the engine decides is a row here, so nothing lives in memory."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(),
        date: Date(),
    }


class Contact(Base):
    """A person we talk to; one row per phone number (or Telegram chat), whatever the channel."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16), default="unknown")
    consented_at: Mapped[datetime | None]
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    business: Mapped["Business | None"] = relationship(back_populates="leader", uselist=False)


class ConversationState(Base):
    """Where a contact is in a conversation: flow, step and the answers gathered so far."""

    __tablename__ = "conversation_states"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), primary_key=True)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A random name for the question this state asks, new at every write: the buttons sent with
    # a question carry it, so a press on an older message is known to be for one that passed.
    question: Mapped[str] = mapped_column(String(16), default="", server_default="")
    updated_at: Mapped[datetime]


class Business(Base):
    __tablename__ = "businesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    place: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    # IANA name: the business's local time for its reminders and quiet hours.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), unique=True)
    registered_at: Mapped[datetime]
    mapping_confirmed_at: Mapped[datetime | None]
    pre_assessment_at: Mapped[datetime | None]
    seal_awarded_at: Mapped[datetime | None]

    leader: Mapped[Contact | None] = relationship(back_populates="business")


class Survey(Base):
    """A survey opened for one business; workers join it with its short code."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    # {"questions": [{"key": str, "text": {lang: str}, "options": {lang: [str, ...]}}]}
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # Responses never written because fewer than the minimum group were left when it closed.
    held_back: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # "per_phone": the survey's code, one response per phone number; "cards": single-use card
    # codes (`SurveyCard`), each answering once, with no per-phone rule.
    mode: Mapped[str] = mapped_column(String(16), default="per_phone", server_default="per_phone")
    # Written responses that came by a phone call, counted as each batch is written.
    voice_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SurveyCard(Base):
    """An unused single-use card code of a survey in card mode, kept only as a keyed hash: the
    printed code is shown once, when made. A card is deleted as its answers are pooled, so no
    row says which card was used, let alone for what."""

    __tablename__ = "survey_cards"

    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)


class SurveyAudio(Base):
    """A recording staff uploaded for one question of a survey in one language, played in
    survey calls instead of text-to-speech. The file is in the media store by its digest;
    Twilio fetches it at /voice/audio/<token>, a random address nobody can guess."""

    __tablename__ = "survey_audio"
    __table_args__ = (UniqueConstraint("survey_id", "question_key", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    question_key: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    digest: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    token: Mapped[str] = mapped_column(String(64), unique=True)


class SurveyResponse(Base):
    """One questionnaire, written only in a batch of at least the minimum group, by a job that
    touches no contact. Deliberately no contact, no phone and no date; the id is random.
    """

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    # {question_key: answer number, or None when skipped}
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PendingResponse(Base):
    """A finished (or stopped, or timed-out) questionnaire waiting for its batch. The answers
    are sealed with the survey key, at a fixed size; the id is random and nothing dates it."""

    __tablename__ = "survey_pool"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    sealed: Mapped[str] = mapped_column(Text)


class SurveyParticipant(Base):
    """Someone answered this survey: a keyed hash of (survey, address), and no answer. Lets one
    person count once; without the survey key it cannot be matched to an address."""

    __tablename__ = "survey_participants"

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class PendingRedaction(Base):
    """A message whose body the provider still keeps and should empty (Twilio allows it once
    the message is final). Names no contact; removed once done or given up."""

    __tablename__ = "provider_redactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(index=True)


class InboundMessage(Base):
    """Every message received; (channel, provider_id) is unique so a retried webhook runs once.

    A message that is part of a survey keeps no contact, body or media, a keyed hash of the
    provider's id (still unique, so redelivery is still caught), a random negative id (taking
    no number from the sequence) and only the day it came.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "provider_id", name="uq_inbound_provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(128))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    media: Mapped[list[Any]] = mapped_column(default=list)
    received_at: Mapped[datetime]


class Attachment(Base):
    """A file someone sent with a message (a photo, a document, a voice note), fetched from the
    provider in the background and kept in the media store by its SHA-256.

    `state`: pending (to fetch; `reason` says why the last try failed), stored, refused (too
    large or a type not kept; the sender was told), failed (the provider will never give it)
    or deleted (by an admin or after the retention period). Survey messages have none.
    """

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(1100))  # as in InboundMessage.media
    state: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(16), default="")  # image|audio|video|document
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int | None] = mapped_column(Integer)  # bytes of the stored original
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    stored_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class OutboundMessage(Base):
    """The outbox: written in the same transaction as the state change that caused it.

    status: queued -> claimed (a sender holds it until next_attempt_at) -> sending (handed to the
    provider) -> sent, then delivered / read / undelivered / failed from delivery reports.
    `unknown`: a sender died mid-send, so it may or may not have gone out; never resent.
    `cancelled`: the person opted out before it left.
    """

    __tablename__ = "outbound_messages"
    __table_args__ = (
        Index("ix_outbound_due", "status", "next_attempt_at"),
        # The sender's claim: due rows of one channel; and one person's messages in order.
        Index("ix_outbound_sendable", "channel", "status", "next_attempt_at", "id"),
        Index("ix_outbound_conversation", "address", "channel", "id"),
        # A broadcast reaches each recipient once, however often its expansion is retried.
        Index("uq_outbound_broadcast_recipient", "broadcast_id", "contact_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    message_key: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[Any]] = mapped_column(default=list)
    # A document sent with the message (a report's PDF), by the address the provider fetches.
    document_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    provider_id: Mapped[str | None] = mapped_column(String(128), index=True)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_detail: Mapped[str | None] = mapped_column(Text)
    # WhatsApp outside the 24-hour window goes as an approved template: recorded per message.
    sent_as: Mapped[str | None] = mapped_column(String(16))
    template_variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    status_updated_at: Mapped[datetime | None]
    # The sender process holding the claim; only it may hand the row to the provider.
    claimed_by: Mapped[str | None] = mapped_column(String(36))
    # Part of a survey: deleted once it reaches a final state, so nothing shows how far
    # someone got.
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SendLane(Base):
    """A provider rate limit shared by every sender process: the next free moment to send.

    next_at is wall-clock seconds since the epoch, because pacing is about real elapsed time.
    """

    __tablename__ = "send_lanes"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float, default=0.0)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    # Two-factor sign-in: a base32 TOTP secret, on once confirmed with a code; the last time
    # step whose code was accepted, so no code works twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # The categories of the standards this person is the expert for: tickets on an item whose
    # finding falls in one of them go to them.
    expert_categories: Mapped[list[Any]] = mapped_column(default=list)
    # A brand partner's organisation, as leaders are told it when asked for consent.
    organisation: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # IANA name: the console shows times in it and reads typed times as in it.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")


class StaffSession(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so
    the table cannot be used to sign in. Revoked or idle sessions are refused."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # Why it ended: logout, role, password, two-factor, everywhere.
    ended_by: Mapped[str | None] = mapped_column(String(16))


class SignInCounter(Base):
    """Failed sign-ins for one client address or one email (stored as a hash), and until when
    further attempts are refused. See bot/signin.py for the policy."""

    __tablename__ = "signin_counters"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime]
    last_failure_at: Mapped[datetime]
    refused_until: Mapped[datetime | None]


class SupplyNode(Base):
    """A subcontractor or home-based worker group; parent None means it works for the business."""

    __tablename__ = "supply_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("supply_nodes.id"))
    name: Mapped[str] = mapped_column(String(120))
    place: Mapped[str] = mapped_column(String(120))
    process: Mapped[str] = mapped_column(String(120))
    workers: Mapped[int] = mapped_column(Integer)
    home_workers: Mapped[int] = mapped_column(Integer)
    payment_method: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class LessonProgress(Base):
    """How far a business has got through one pre-assessment lesson, so it can resume."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("business_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"))
    topic: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    check_passed: Mapped[bool | None] = mapped_column(Boolean)
    completed_at: Mapped[datetime | None]


class TextOverride(Base):
    """A catalogue text as an admin rewrote it in the console (a lesson's, in one language).
    An empty text means the catalogue's own again. `version` grows with every change across
    the table, so a process sees another's edit by reading the highest one."""

    __tablename__ = "text_overrides"
    __table_args__ = (UniqueConstraint("language", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    updated_at: Mapped[datetime]


class ChecklistAnswer(Base):
    """Self-assessment: yes / no / not_sure per practice, seen by staff before the visit."""

    __tablename__ = "checklist_answers"
    __table_args__ = (UniqueConstraint("business_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"))
    question: Mapped[str] = mapped_column(String(32))
    answer: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime]


class ActionItem(Base):
    """A remediation or corrective-action item: what to change, by when, graded by severity."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # remediation | corrective
    severity: Mapped[str] = mapped_column(String(16))  # zero_tolerance | major | minor
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|help|done|verified
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    # The finding this item remedies, when it came from an assessment or a pre-assessment.
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"), index=True)


class ActionUpdate(Base):
    """What a leader said about an item: done, a request for help, a note or a photo."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("action_items.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # done | help | note | evidence
    text: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]


class Assessment(Base):
    """A review of a business against the standards: the formal compliance assessment
    (`kind` "assessment", scheduled months after the pre-assessment), or the review of current
    practice at the pre-assessment visit (`kind` "pre_assessment"), whose unmet indicators
    become remediation recommendations."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="assessment", server_default="assessment")
    scheduled_for: Mapped[datetime]
    held_on: Mapped[date | None]  # the day of the visit; no outcome before it
    outcome: Mapped[str | None] = mapped_column(String(16))  # pass | partial | fail
    outcome_at: Mapped[datetime | None]
    # Why staff chose another outcome than the findings imply, or corrected a recorded one.
    outcome_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # The versions used, and a copy of the country profile, taken at the first finding.
    standards_version: Mapped[str | None] = mapped_column(String(32))
    profile_version: Mapped[str | None] = mapped_column(String(32))
    profile_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Finding(Base):
    """One indicator marked at one assessment: met, not met (with its severity) or not
    applicable, with the assessor's note and photos."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("assessment_id", "code", name="uq_finding_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))  # the indicator's, as in CHILD-01
    status: Mapped[str] = mapped_column(String(16))  # met | not_met | not_applicable
    severity: Mapped[str | None] = mapped_column(String(16))  # when not met
    severity_reason: Mapped[str] = mapped_column(Text, default="")  # when not the default
    note: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[Any]] = mapped_column(default=list)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    updated_at: Mapped[datetime]


class CountryProfile(Base):
    """A version of a country's legal figures changed in the console; the latest takes
    precedence over the profile shipped in bot/standards/countries."""

    __tablename__ = "country_profiles"
    __table_args__ = (UniqueConstraint("country", "number", name="uq_country_profile_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per country
    version: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime]


class Reminder(Base):
    """A message due at a time, kept as a row so restarts neither lose nor repeat it."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", "due_at", name="uq_reminder_once"),
        Index("ix_reminders_due", "due_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)  # the action item or assessment reminded of
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class Broadcast(Base):
    """A staff message to a segment, expanded into outbox rows once, resumable after a crash."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {language: text}
    segment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    send_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    # The highest contact id already considered, so an interrupted expansion resumes there.
    expanded_to: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime]
    queued_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who did what in the console, and when. Rows are only ever inserted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(index=True)


class Report(Base):
    """An issued document, kept exactly as it was issued: the pre-assessment report, the
    assessment report or the corrective action plan, one numbered version per issue."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("business_id", "kind", "version", name="uq_report_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # pre_assessment | assessment | corrective_plan
    version: Mapped[int] = mapped_column(Integer)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    languages: Mapped[list[Any]] = mapped_column(default=list)  # ["en", "fr"]
    standards_version: Mapped[str | None] = mapped_column(String(32))
    profile_version: Mapped[str | None] = mapped_column(String(32))
    html: Mapped[str] = mapped_column(Text, deferred=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))  # of the PDF as issued
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    issued_at: Mapped[datetime]


class ReportLink(Base):
    """An unguessable address that opens one issued report, for the leader, until it expires.
    Only the token's SHA-256 is kept."""

    __tablename__ = "report_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ReportOpening(Base):
    """One opening of a report link (by the leader, or by the provider fetching the document)."""

    __tablename__ = "report_openings"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("report_links.id"), index=True)
    opened_at: Mapped[datetime]


class Ticket(Base):
    """A leader's question to the programme team, answered from the console: about an action
    item, the assessment, surveys, or anything else. At most one is open per leader and topic.

    `status`: open (the leader wrote last), waiting (on the leader: staff answered) or closed.
    """

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_status", "status", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    topic: Mapped[str] = mapped_column(String(16))  # item | assessment | surveys | other
    item_id: Mapped[int | None] = mapped_column(ForeignKey("action_items.id"))
    category: Mapped[str | None] = mapped_column(String(16))  # of the standards, for routing
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]  # when the assignee was told by email


class TicketMessage(Base):
    """One message of a ticket's conversation: from the leader (`in`, with any files sent) or
    from staff (`out`, queued through the outbox)."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    body: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[Any]] = mapped_column(default=list)  # references, as InboundMessage.media
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime]


class Seal(Base):
    """A seal as issued: its number, the public code anyone can check it with, when it was
    awarded and until when it holds, the standards it was assessed against, and its status
    (active, expired, revoked with a reason). Never edited but for its status; a business
    earns a new seal as a new row. `Business.seal_awarded_at` mirrors the active seal."""

    __tablename__ = "seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    number: Mapped[str] = mapped_column(String(32), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    awarded_at: Mapped[datetime]
    valid_until: Mapped[datetime]
    standards_version: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|expired|revoked
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime | None]
    # The re-assessment scheduled before it expires.
    reassessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))


class BrandLink(Base):
    """A brand partner's request to see a business, and its leader's answer: asked, given,
    declined or withdrawn. The brand sees the business only while consent is given."""

    __tablename__ = "brand_links"
    __table_args__ = (UniqueConstraint("staff_id", "business_id", name="uq_brand_link_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="asked")
    requested_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class VerifyCounter(Base):
    """Seal verifications by one client (a keyed hash of its address) in the current window,
    so codes cannot be enumerated. See bot/domain/seals.py for the policy."""

    __tablename__ = "verify_counters"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=0)
