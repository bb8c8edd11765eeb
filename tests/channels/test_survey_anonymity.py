"""What a hostile reader can learn about who answered what: from the console, from a logical
dump, and from the raw storage (PostgreSQL's WAL and heap pages, SQLite's WAL).

A mixed-channel survey runs end to end through the engine, the sender (fake Twilio and
Telegram), signed Twilio voice webhooks for those who call, the idle-survey job, the pooled
writer and the redaction job. Each phone's answers
are known to the test, which is exactly what the stored records must not give away.
"""

import re
import struct
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url
from survey_support import pooled, written
from voice_support import VOICE_FROM, Call

from bot.app import create_app
from bot.channels.provider import Inbound
from bot.db import is_postgres
from bot.domain.business import register_business
from bot.domain.surveys import (
    default_definition,
    open_survey,
    pool_response,
    survey_results,
    write_pooled,
)
from bot.models import Base, Contact, SurveyParticipant
from bot.runtime import Runtime
from bot.scheduler import end_idle_surveys_tick, redact_due, write_pooled_tick
from bot.sealing import Sealer

CANARY = "canaryzebra"
# What a stored plaintext answer to the canary question looks like, in JSON as both databases
# keep it (SQLAlchemy writes `"key": value`). The definition holds the key only as a value
# (`"key": "canaryzebra"`), so this pattern is an answer and nothing else.
ANSWER = re.compile(rb'"canaryzebra": ?(\d|null)')
CONTACT_TABLES = (
    "contacts",
    "conversation_states",
    "inbound_messages",
    "outbound_messages",
    "survey_participants",
)


def canary_definition() -> dict:
    definition = default_definition()
    definition["questions"][0]["key"] = CANARY
    return definition


KEYS = [q["key"] for q in canary_definition()["questions"]]


class Worker:
    """One phone: its channel, what it types after consenting, and how its survey ends."""

    def __init__(self, address: str, channel: str, answers: list[str], ending: str) -> None:
        self.address, self.channel, self.answers, self.ending = address, channel, answers, ending
        self.sids: list[str] = []

    def expected(self) -> dict:
        """The response the test knows this phone gave (None for skipped or never reached)."""
        given = [a for a in self.answers if a not in ("STOP", "*", "#", "HANG UP")]
        numbers = [int(a) if a.isdigit() and a != "0" else None for a in given]
        numbers += [None] * (len(KEYS) - len(numbers))
        return dict(zip(KEYS, numbers, strict=True))


WORKERS = [
    Worker("+15550400001", "sms", ["1", "0", "2", "1", "3", "SKIP"], "finished"),
    Worker("+15550400002", "whatsapp", ["2", "1", "STOP"], "stopped"),
    Worker("telegram:4003", "telegram", ["3"], "timed out"),
    Worker("telegram:4004", "telegram", ["1", "1", "2", "1", "1", "1"], "finished"),
    Worker("+15550400005", "sms", ["2", "2", "2", "2", "2", "2"], "finished"),
    Worker("+15550400006", "whatsapp", ["3", "3", "3", "1", "1", "2"], "finished"),
    # Callers: keys on a phone call, * to hear a question again, # to stop, or a hang-up.
    Worker("+15550400007", "voice", ["2", "*", "0", "3", "1", "2", "2"], "finished"),
    Worker("+15550400008", "voice", ["1", "3", "HANG UP"], "hung up"),
    Worker("+15550400009", "voice", ["2", "#"], "stopped by key"),
]
VOICE_WORKERS = [worker for worker in WORKERS if worker.channel == "voice"]
LATER = "+15550400005"  # writes again once the survey is over


def make_survey(runtime: Runtime) -> tuple[int, str]:
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        leader = Contact(address="+15550100001", channel="sms", language="en", created_at=now)
        session.add(leader)
        session.flush()
        business = register_business(session, leader, "Blue Thread", "Jaipur", "IN", now)
        survey = open_survey(session, business.id, now, canary_definition())
        return survey.id, survey.code


def call(runtime: Runtime, worker: Worker, code: str) -> None:
    """A whole survey call through signed voice webhooks: English, the code, consent, the
    answers; then Twilio's status callback when the line closes. Each request the survey
    keeps private is counted in `worker.sids`."""
    # Without its lifespan, so no background tick runs the jobs this test runs by hand.
    client = TestClient(create_app(runtime))
    phone = Call(client, worker.address)
    phone.press("1")
    for key in (code, "1"):
        phone.press(key)
        worker.sids.append(f"{phone.sid}:{key}")
    for key in worker.answers:
        if key == "HANG UP":
            break
        phone.press(key)
        worker.sids.append(f"{phone.sid}:{key}")
    assert phone.hung_up == (worker.ending != "hung up")
    assert phone.hang_up().status_code == 204
    if worker.ending == "hung up":
        worker.sids.append(f"{phone.sid}:end")


def say(runtime: Runtime, fake_twilio, worker: Worker, body: str) -> None:
    number = len(fake_twilio.received) + sum(len(w.sids) for w in WORKERS) + 1
    sid = f"SM{number:032x}" if worker.channel != "telegram" else f"tg-{number}"
    if worker.channel != "telegram":
        fake_twilio.received.add(sid)
    worker.sids.append(sid)
    handled = runtime.engine.handle(Inbound(worker.channel, worker.address, sid, body))
    assert not handled.duplicate
    runtime.sender.send_due()


def run_survey(runtime: Runtime, fake_twilio, clock, code: str) -> None:
    """Everyone joins (a new number first picks a language), consents and answers as planned;
    a day later the idle job ends the stopped and the silent ones; the pool is written; one
    person writes again; the provider redactions run."""
    for worker in WORKERS:
        worker.sids = []
    for worker in WORKERS:
        if worker.channel == "voice":
            call(runtime, worker, code)
        else:
            for body in (f"JOIN {code}", "1", "1", *worker.answers):
                say(runtime, fake_twilio, worker, body)
        clock.advance(timedelta(minutes=7))
    clock.advance(timedelta(hours=25))
    assert end_idle_surveys_tick(runtime) == 2


def finish(runtime: Runtime, fake_twilio, clock) -> None:
    # Not shaped like a survey code (a word of 4 to 8 letters could be one, and be hidden).
    say(runtime, fake_twilio, next(w for w in WORKERS if w.address == LATER), "hello there")
    assert redact_due(runtime) > 0  # the inbound answers at once
    clock.advance(timedelta(minutes=11))
    redact_due(runtime)  # the survey replies, once final


def dump(runtime: Runtime) -> dict[str, list[dict]]:
    """Every row of every table, every column, in the order the database keeps them."""
    with runtime.store.engine.connect() as connection:
        return {
            table.name: [dict(row._mapping) for row in connection.execute(table.select())]
            for table in Base.metadata.sorted_tables
        }


def test_no_dump_links_a_phone_to_its_answers(make_runtime, fake_twilio, clock) -> None:
    runtime = make_runtime(twilio_voice_from=VOICE_FROM)
    survey_id, code = make_survey(runtime)
    run_survey(runtime, fake_twilio, clock, code)
    assert write_pooled_tick(runtime).written == len(WORKERS)
    finish(runtime, fake_twilio, clock)
    tables = dump(runtime)

    # The answers are in the responses and nowhere else; nothing there dates or orders them.
    given = [worker.expected() for worker in WORKERS]
    stored = tables["survey_responses"]
    assert sorted(map(repr, (row["answers"] for row in stored))) == sorted(map(repr, given))
    assert all(set(row) == {"id", "survey_id", "answers"} for row in stored)
    by_id = [given.index(row["answers"]) for row in sorted(stored, key=lambda row: row["id"])]
    assert by_id != list(range(len(WORKERS))) or stored[0]["id"] > 2**40
    for name, rows in tables.items():
        if name in ("surveys", "survey_responses"):
            continue
        assert not any(key in repr(rows) for key in KEYS), name
    assert tables["survey_pool"] == []

    # Identical message rows whatever the ending: inbound rows carry no contact, body, media,
    # time of day or provider id; no survey reply is left at all.
    workers = {row["id"] for row in tables["contacts"] if row["address"] != "+15550100001"}
    later = next(row["id"] for row in tables["contacts"] if row["address"] == LATER)
    raw_ids = {sid for worker in WORKERS for sid in worker.sids}
    private = [row for row in tables["inbound_messages"] if row["contact_id"] is None]
    assert len(private) == sum(len(worker.sids) for worker in WORKERS) - 1
    day = {(row["received_at"].time(), row["body"], repr(row["media"])) for row in private}
    assert day == {(datetime.min.time(), "", "[]")}
    assert all(row["id"] < 0 and row["provider_id"] not in raw_ids for row in private)
    callers = {row["id"] for row in tables["contacts"] if row["channel"] == "voice"}
    assert len(callers) == len(VOICE_WORKERS)
    kept = [row for row in tables["inbound_messages"] if row["contact_id"] in workers - callers]
    assert [(row["contact_id"], row["body"]) for row in kept] == [(later, "hello there")]
    # A call leaves that the number called (its start and end, no key pressed), nothing more.
    called = [row for row in tables["inbound_messages"] if row["contact_id"] in callers]
    assert {row["body"] for row in called} == {""} and len(called) <= 2 * len(VOICE_WORKERS)
    assert all(not row["private"] for row in tables["outbound_messages"])
    left = {row["contact_id"] for row in tables["outbound_messages"]} & (workers - callers)
    assert left == {later}
    said = [row for row in tables["outbound_messages"] if row["contact_id"] in callers]
    assert {row["message_key"] for row in said} == {"call.enter_code"}
    assert {row["message_key"] for row in tables["outbound_messages"] if row["contact_id"] == later}
    assert all(not row["message_key"].startswith("survey.") for row in tables["outbound_messages"])
    for row in tables["conversation_states"]:
        if row["contact_id"] in workers:
            assert row["step"] != "sealed" and CANARY not in repr(row)
    assert len(tables["survey_participants"]) == len(WORKERS)
    assert tables["provider_redactions"] == []

    # The provider keeps no body of any survey message it handled for us.
    twilio_inbound = {sid for sid in raw_ids if sid.startswith("SM")} - {WORKERS[4].sids[-1]}
    assert twilio_inbound <= set(fake_twilio.redacted)
    sent_in_survey = [
        message["sid"]
        for message in fake_twilio.messages
        if message.get("To", "").removeprefix("whatsapp:") != LATER or message["Body"] == ""
    ]
    assert set(sent_in_survey) <= set(fake_twilio.redacted)
    with runtime.store.transaction() as session:
        results = survey_results(session, survey_id)
    assert (results.responses, results.waiting) == (len(WORKERS), 0)
    assert results.by_voice == len(VOICE_WORKERS)


def test_one_person_counts_once_on_every_channel_of_a_number(
    make_runtime, fake_twilio, clock
) -> None:
    runtime = make_runtime(twilio_voice_from=VOICE_FROM)
    survey_id, code = make_survey(runtime)
    worker = Worker("+15550400010", "sms", ["1"] * 6, "finished")
    for body in (f"JOIN {code}", "1", "1", *worker.answers):
        say(runtime, fake_twilio, worker, body)
    handled = runtime.engine.handle(Inbound("whatsapp", worker.address, "SMagain", f"JOIN {code}"))
    [reply] = handled.replies
    assert reply.body.startswith("You have already answered this survey.")
    with runtime.store.transaction() as session:
        assert not pool_response(session, runtime.sealer, code, {CANARY: 2}, worker.address)
    assert len(pooled(runtime.store, runtime.sealer)) == 1

    # After a key rotation the marker made under the old key still counts.
    rotated = Sealer(b"a-new-survey-key-" + b"9" * 32, [runtime.settings.survey_key.encode()])
    with runtime.store.transaction() as session:
        assert not pool_response(session, rotated, code, {CANARY: 2}, worker.address)
        assert pool_response(session, rotated, code, {CANARY: 2}, "+15550400011")
    assert len(pooled(runtime.store, rotated)) == 2  # sealed under either key, opened by both


def test_practice_on_the_simulator_never_counts(make_runtime, fake_twilio, clock) -> None:
    runtime = make_runtime(twilio_voice_from=VOICE_FROM)
    survey_id, code = make_survey(runtime)
    staff = Worker("+15550400020", "sim", ["1"] * 6, "finished")
    for _ in range(2):  # practise freely, as often as needed
        for body in (f"JOIN {code}", "1", "1", *staff.answers):
            say(runtime, fake_twilio, staff, body)
    assert pooled(runtime.store, runtime.sealer) == []
    with runtime.store.transaction() as session:
        assert session.scalar(select(SurveyParticipant)) is None
    assert write_pooled_tick(runtime).written == 0
    with runtime.store.transaction() as session:
        assert survey_results(session, survey_id).responses == 0


def test_pending_responses_survive_a_restart_and_are_written_later(
    make_runtime, fake_twilio, clock
) -> None:
    first = make_runtime(twilio_voice_from=VOICE_FROM)
    _, code = make_survey(first)
    for number in range(5):
        worker = Worker(f"+155504003{number:02d}", "sms", ["2"] * 6, "finished")
        for body in (f"JOIN {code}", "1", "1", *worker.answers):
            say(first, fake_twilio, worker, body)
    first.close()  # the process stops before the pool is written
    restarted = make_runtime(twilio_voice_from=VOICE_FROM)
    assert written(restarted.store) == []
    assert write_pooled_tick(restarted).written == 5
    assert written(restarted.store) == [dict.fromkeys(KEYS, 2)] * 5


def test_a_delivery_report_for_a_deleted_survey_reply_is_ignored(
    make_runtime, fake_twilio, clock
) -> None:
    from channel_support import post_signed
    from fakes.twilio import ACCOUNT_SID

    runtime = make_runtime(twilio_voice_from=VOICE_FROM)
    _, code = make_survey(runtime)
    worker = Worker("+15550400030", "sms", [], "")
    say(runtime, fake_twilio, worker, f"JOIN {code}")
    sid = fake_twilio.messages[-1]["sid"]
    with TestClient(create_app(runtime)) as client:
        report = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}
        response = post_signed(client, report, "/webhooks/twilio/status?outbound=999999")
    assert response.status_code == 204


@pytest.fixture
def postgres_inspection(make_runtime) -> Iterator[Runtime]:
    runtime = make_runtime(twilio_voice_from=VOICE_FROM)
    if not is_postgres(runtime.store.engine):
        pytest.skip("WAL and heap pages are inspected with PostgreSQL's pg_walinspect/pageinspect")
    with runtime.store.engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_walinspect"))
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
    yield runtime


def relfilenodes(connection, table: str) -> set[int]:
    """The files of a table, its TOAST table and all their indexes."""
    rows = connection.execute(
        text(
            """
            SELECT c.relfilenode FROM pg_class c WHERE c.oid IN (
                SELECT CAST(:t AS regclass)
                UNION SELECT reltoastrelid FROM pg_class WHERE oid = CAST(:t AS regclass)
                UNION SELECT indexrelid FROM pg_index WHERE indrelid IN (
                    CAST(:t AS regclass),
                    (SELECT reltoastrelid FROM pg_class WHERE oid = CAST(:t AS regclass))))
            """
        ),
        {"t": table},
    )
    return {row[0] for row in rows if row[0]}


def test_no_postgres_transaction_or_row_version_holds_a_person_and_an_answer(
    postgres_inspection, fake_twilio, clock
) -> None:
    runtime = postgres_inspection
    with runtime.store.engine.connect() as connection:
        start = connection.execute(text("SELECT pg_current_wal_lsn()")).scalar()
    _, code = make_survey(runtime)
    run_survey(runtime, fake_twilio, clock, code)
    assert write_pooled_tick(runtime).written == len(WORKERS)
    finish(runtime, fake_twilio, clock)
    with runtime.store.engine.connect() as connection:
        end = connection.execute(text("SELECT pg_current_wal_lsn()")).scalar()
        responses = relfilenodes(connection, "survey_responses")
        people = set().union(*(relfilenodes(connection, name) for name in CONTACT_TABLES))
        records = connection.execute(
            text("SELECT xid, block_ref FROM pg_get_wal_records_info(:a, :b) WHERE xid <> 0"),
            {"a": start, "b": end},
        ).all()
    touched: dict[int, set[int]] = {}
    for xid, block_ref in records:
        found = {int(node) for node in re.findall(r"rel \d+/\d+/(\d+)", block_ref or "")}
        touched.setdefault(int(xid), set()).update(found)
    writing_responses = [xid for xid, nodes in touched.items() if nodes & responses]
    assert writing_responses, "the pooled write is in the WAL range"
    for xid in writing_responses:
        assert not touched[xid] & people, f"transaction {xid} wrote responses and a person"
    assert any(nodes & people for nodes in touched.values())

    # Every tuple, live or dead, on every page of the tables a person touches.
    def tuples(table: str) -> list[bytes]:
        with runtime.store.engine.connect() as connection:
            pages = connection.execute(
                text("SELECT pg_relation_size(:t) / current_setting('block_size')::int"),
                {"t": table},
            ).scalar()
            found = []
            for page in range(pages):
                found += [
                    bytes(row[0])
                    for row in connection.execute(
                        text("SELECT t_data FROM heap_page_items(get_raw_page(:t, :p))"),
                        {"t": table, "p": page},
                    )
                    if row[0] is not None
                ]
            return found

    assert any(ANSWER.search(data) for data in tuples("survey_responses"))  # the control
    for table in ("surveys", "survey_pool", *CONTACT_TABLES, "provider_redactions"):
        assert not any(ANSWER.search(data) for data in tuples(table)), table


def wal_commits(path: Path) -> list[bytes]:
    """The pages each commit in a SQLite WAL file wrote, joined: frames up to a commit frame
    (one whose 'database size after commit' is set) make one transaction."""
    raw = path.read_bytes()
    if len(raw) < 32:
        return []
    (page_size,) = struct.unpack(">I", raw[8:12])
    commits, current, offset = [], [], 32
    while offset + 24 + page_size <= len(raw):
        _, committed = struct.unpack(">II", raw[offset : offset + 8])
        current.append(raw[offset + 24 : offset + 24 + page_size])
        offset += 24 + page_size
        if committed:
            commits.append(b"".join(current))
            current = []
    return commits


def test_no_sqlite_commit_holds_a_phone_number_and_an_answer(
    make_runtime, fake_twilio, clock, migrated
) -> None:
    runtime = make_runtime(twilio_voice_from=VOICE_FROM)
    if is_postgres(runtime.store.engine):
        pytest.skip("the SQLite WAL file is read directly; PostgreSQL has its own test")

    @event.listens_for(runtime.store.engine, "connect")
    def _keep_wal(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    runtime.store.engine.dispose()
    runtime.store.scrub([])  # start from an empty WAL: every frame after this is the survey's
    wal = Path(make_url(migrated).database + "-wal")
    survey_id, code = make_survey(runtime)
    run_survey(runtime, fake_twilio, clock, code)
    with runtime.store.transaction() as session:
        idle = timedelta(hours=runtime.settings.survey_idle_hours)
        assert write_pooled(session, runtime.sealer, survey_id, clock.now(), idle).written == len(
            WORKERS
        )
    phones = [w.address.encode() for w in WORKERS if w.address.startswith("+")]
    commits = wal_commits(wal)
    with_answers = [commit for commit in commits if ANSWER.search(commit)]
    with_phones = [commit for commit in commits if any(phone in commit for phone in phones)]
    assert with_answers and with_phones  # both are in the WAL, so the check below means it
    for commit in with_answers:
        assert not any(phone in commit for phone in phones)
    runtime.store.scrub([])
    assert wal.stat().st_size == 0


def test_a_survey_code_that_starts_no_survey_is_kept_like_an_answer(
    make_runtime, fake_twilio, clock
) -> None:
    """Naming a survey tells something of a person even when no survey starts: the code of a
    survey they already answered (by text, in onboarding or by keypad), or a code that opens
    none. Each is answered, and nothing readable keeps any of it with the phone."""
    runtime = make_runtime(twilio_voice_from=VOICE_FROM)
    _, code = make_survey(runtime)
    unknown = "ZZZZ9"
    texter = Worker("+15550400021", "sms", [], "finished")
    newcomer = Worker("+15550400022", "whatsapp", [], "finished")
    caller = Worker("+15550400023", "voice", ["1", "1", "1", "1", "1", "1"], "finished")
    for body in (f"JOIN {code}", "1", "1", *["1"] * len(KEYS)):
        say(runtime, fake_twilio, texter, body)
    call(runtime, caller, code)
    heard_before = len(fake_twilio.messages)

    # The texter asks again for the survey they answered, then for one that is not open.
    say(runtime, fake_twilio, texter, f"JOIN {code}")
    say(runtime, fake_twilio, texter, f"join {unknown}")
    # A new number says it has a code, then types a wrong one, text that is no code at all
    # (kept, as any message), and a join word with the wrong code.
    for body in ("hi", "1", "1", "2", unknown, "??", f"JOIN {unknown}"):
        say(runtime, fake_twilio, newcomer, body)
    # The caller calls again and keys the code of the survey they answered.
    again = Call(TestClient(create_app(runtime)), caller.address)
    again.press("1")
    again.press(code)
    assert "already" in again.words().lower()
    again.hang_up()

    heard = [message["Body"] for message in fake_twilio.messages[heard_before:]]
    assert len([body for body in heard if unknown in body]) == 3  # each was answered
    tables = dump(runtime)
    people = (texter.address, newcomer.address, caller.address)
    ids = {row["id"] for row in tables["contacts"] if row["address"] in people}
    kept = [row for row in tables["inbound_messages"] if row["contact_id"] in ids]
    for row in kept:
        assert code not in row["body"].upper() and unknown not in row["body"].upper(), row
    newcomer_id = next(r["id"] for r in tables["contacts"] if r["address"] == newcomer.address)
    bodies = [row["body"] for row in kept if row["contact_id"] == newcomer_id]
    assert bodies == ["hi", "1", "1", "2", "??"]
    said = [row for row in tables["outbound_messages"] if row["contact_id"] in ids]
    naming = ("survey.", "worker.code_unknown", "call.wrong_code", "call.no_code")
    assert not [row["message_key"] for row in said if row["message_key"].startswith(naming)]
    assert not [row for row in said if code in row["body"] or unknown in row["body"]]
