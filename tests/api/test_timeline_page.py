"""The pathway timeline page (/timeline) in a real browser, against the real API and Neo4j.

A person with pathways at two trusts of one ICB (linked through ``cluster_id``) is written
with Cypher as docs/graph-model.md describes; the API runs under uvicorn on a loopback port;
headless Chromium opens the page with a token in the URL fragment. The DOM after drawing is
checked (lanes, status-event markers, clock periods, breach lines, axis) and a screenshot is
decoded and checked for a drawn chart. Error paths (bad token, refused purpose, unknown
person) must show their message on the page.

Set ``OPENFDP_UPDATE_DOCS_SCREENSHOT=1`` to copy the screenshot to docs/timeline.png.
"""

from __future__ import annotations

import datetime
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from neo4j import Driver
from openfdp.api.routes_timeline import STATIC_DIR
from openfdp.settings import REPO_ROOT, Settings
from tests.api.conftest import TokenFactory

pytestmark = pytest.mark.api

AS_OF = "2026-11-23"
DOCS_SCREENSHOT = REPO_ROOT / "docs" / "timeline.png"
WINDOW = (1400, 1000)


def pseudo(label: str) -> str:
    return hashlib.sha256(f"timeline-test-person:{label}".encode()).hexdigest()


PERSON_A = pseudo("a")  # the person asked for: records at RR8
PERSON_B = pseudo("b")  # linked to A (same cluster): records at RAE
CLUSTER = pseudo("cluster")


# ------------------------------------------------------------------ test graph


def _d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _period(issuer: str, ppid: str, start: str, end: str | None, stop: str | None) -> dict:
    s = _d(start)
    row: dict[str, object] = {
        "period_id": f"{issuer}:{ppid}:{start}",
        "start_date": s,
        "end_date": _d(end) if end else None,
        "status": "open" if end is None else "closed",
        "stop_status_code": stop,
        "length_days": (_d(end) - s).days if end else None,
        "nullified": False,
        "data_quality_flags": [],
    }
    for weeks in (18, 52, 65, 78, 104):
        row[f"breach_date_{weeks}w"] = s + datetime.timedelta(weeks=weeks)
    return row


PATHWAYS = [
    {
        "person": PERSON_A,
        "provider": "RR8",
        "ppid": "RR8-PW-0001",
        "tfc": "110",
        "referral": _d("2025-01-06"),
        "status": "open",
        "events": [("10", "2025-01-06"), ("20", "2025-03-10"), ("20", "2025-08-04")],
        "periods": [_period("RR8", "RR8-PW-0001", "2025-01-06", None, None)],
        "appointments": [
            ("2025-02-03", "1", "5"),
            ("2025-06-16", "2", "3"),
            ("2025-09-15", "2", "5"),
        ],
        "procedures": [],
        "diagnoses": [("2025-02-03", "ICD10", "M17.1", "Other primary gonarthrosis")],
    },
    {
        "person": PERSON_B,
        "provider": "RAE",
        "ppid": "RAE-PW-0042",
        "tfc": "130",
        "referral": _d("2025-09-01"),
        "status": "closed",
        "events": [
            ("10", "2025-09-01"),
            ("20", "2025-10-13"),
            ("32", "2026-01-20"),
            ("11", "2026-06-01"),
            ("30", "2026-09-14"),
        ],
        "periods": [
            _period("RAE", "RAE-PW-0042", "2025-09-01", "2026-01-20", "32"),
            _period("RAE", "RAE-PW-0042", "2026-06-01", "2026-09-14", "30"),
        ],
        "appointments": [("2025-10-13", "1", "5")],
        "procedures": [("2026-09-14", "OPCS4", "C75.1", "Prosthetic replacement of lens")],
        "diagnoses": [],
    },
]

ORGS = """
MERGE (i:ICB:Organisation {ods_code: 'QWO'}) SET i.name = 'West Yorkshire ICB'
WITH i
UNWIND $trusts AS t
MERGE (n:NHSTrust:Organisation {ods_code: t.ods}) SET n.name = t.name
MERGE (n)-[:IN_ICB_GEOGRAPHY]->(i)
"""

PEOPLE = """
UNWIND $people AS p
MERGE (x:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: p.pseudo_id})
SET x.year_of_birth = 1958, x.sex_code = '2', x.area_code = p.area, x.ndoo_opt_out = false,
    x.nhs_number_verified = true, x.cluster_id = $cluster
"""

PATHWAY = """
MATCH (x:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: $w.person})
MATCH (t:NHSTrust {ods_code: $w.provider})
MERGE (p:RTTPathway {ppid_issuer_ods: $w.provider, ppid: $w.ppid})
SET p.provider_ods = $w.provider, p.treatment_function_code = $w.tfc,
    p.referral_request_received_date = $w.referral, p.pathway_status = $w.status,
    p.priority_type_code = '1'
MERGE (x)-[:SUBJECT_OF]->(p)
MERGE (p)-[:ISSUED_BY]->(t)
FOREACH (i IN range(0, size($w.events) - 1) |
  MERGE (e:RTTStatusEvent {event_id: $w.ppid + ':e' + toString(i)})
  SET e.status_code = $w.events[i][0], e.activity_date = date($w.events[i][1]), e.seq = i,
      e.provider_ods = $w.provider
  MERGE (p)-[:HAS_EVENT]->(e))
FOREACH (r IN $w.periods |
  MERGE (c:RTTPeriod {period_id: r.period_id})
  SET c += r, c.provider_ods = $w.provider
  MERGE (p)-[:HAS_PERIOD]->(c))
FOREACH (i IN range(0, size($w.appointments) - 1) |
  MERGE (a:Appointment {appointment_id: $w.ppid + ':a' + toString(i)})
  SET a.appointment_date = date($w.appointments[i][0]),
      a.first_attendance_code = $w.appointments[i][1],
      a.attended_or_dna_code = $w.appointments[i][2],
      a.treatment_function_code = $w.tfc, a.provider_ods = $w.provider
  MERGE (a)-[:ON_PATHWAY]->(p)
  MERGE (x)-[:SUBJECT_OF]->(a))
FOREACH (i IN range(0, size($w.procedures) - 1) |
  MERGE (pr:Procedure {procedure_id: $w.ppid + ':p' + toString(i)})
  SET pr.procedure_date = date($w.procedures[i][0]), pr.code_system = $w.procedures[i][1],
      pr.code = $w.procedures[i][2], pr.display = $w.procedures[i][3],
      pr.provider_ods = $w.provider
  MERGE (pr)-[:ON_PATHWAY]->(p))
FOREACH (i IN range(0, size($w.diagnoses) - 1) |
  MERGE (dg:Diagnosis {diagnosis_id: $w.ppid + ':d' + toString(i)})
  SET dg.diagnosis_date = date($w.diagnoses[i][0]), dg.code_system = $w.diagnoses[i][1],
      dg.code = $w.diagnoses[i][2], dg.display = $w.diagnoses[i][3],
      dg.provider_ods = $w.provider, dg.is_primary = true
  MERGE (dg)-[:ON_PATHWAY]->(p))
"""

ENCOUNTER = """
MATCH (x:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: $person})
MERGE (e:Encounter {encounter_id: 'RR8-ENC-0007'})
SET e.encounter_class = 'emergency', e.provider_ods = 'RR8',
    e.start_date_time = datetime('2026-02-14T21:40:00Z')
MERGE (x)-[:SUBJECT_OF]->(e)
"""


def load_timeline_graph(driver: Driver, domain: str) -> None:
    trusts = [
        {"ods": "RR8", "name": "Leeds Teaching Hospitals NHS Trust"},
        {"ods": "RAE", "name": "Bradford Teaching Hospitals NHS Foundation Trust"},
    ]
    driver.execute_query(ORGS, trusts=trusts)
    people = [{"pseudo_id": PERSON_A, "area": "LS6"}, {"pseudo_id": PERSON_B, "area": "LS6"}]
    driver.execute_query(PEOPLE, people=people, domain=domain, cluster=CLUSTER)
    for w in PATHWAYS:
        driver.execute_query(PATHWAY, w=w, domain=domain)
    driver.execute_query(ENCOUNTER, person=PERSON_A, domain=domain)


# ------------------------------------------------------------------ server and browser


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def served(app: FastAPI, clean_graph: Driver, api_settings: Settings) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, with the timeline graph loaded."""
    load_timeline_graph(clean_graph, api_settings.privacy.domain)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="timeline-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _chromium() -> str:
    found = (
        os.environ.get("OPENFDP_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    assert found, "chromium is not installed (scripts/bootstrap.sh installs it)"
    return found


def browse(url: str, *, screenshot: Path | None = None) -> str:
    """Open ``url`` in headless Chromium; the DOM after scripts ran (or write a screenshot)."""
    with tempfile.TemporaryDirectory(prefix="openfdp-chromium-") as profile:
        args = [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--user-data-dir={profile}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            "--virtual-time-budget=15000",
        ]
        args += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
        done = subprocess.run(
            [*args, url], capture_output=True, text=True, timeout=120, check=False
        )
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Node] = field(default_factory=list)


class _Dom(HTMLParser):
    VOID = frozenset({"meta", "link", "input", "br", "img", "hr", "source", "stop"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[Node] = []
        self.stack: list[Node] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.nodes.append(node)
        if self.stack:
            self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.nodes.append(node)
        if self.stack:
            self.stack[-1].children.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        for node in self.stack:
            node.text += data


class Page:
    def __init__(self, html: str) -> None:
        parser = _Dom()
        parser.feed(html)
        self.nodes = parser.nodes

    def find(self, *, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        out = []
        for n in self.nodes:
            if tag is not None and n.tag != tag:
                continue
            if cls is not None and cls not in n.attrs.get("class", "").split():
                continue
            if all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(n)
        return out

    def one(self, **kw: str) -> Node:
        found = self.find(**kw)
        assert len(found) == 1, f"expected one node {kw}, found {len(found)}"
        return found[0]

    @property
    def body(self) -> Node:
        return self.one(tag="body")


def within(node: Node, *, tag: str | None = None, cls: str | None = None) -> list[Node]:
    out = []
    todo = list(node.children)
    while todo:
        n = todo.pop(0)
        if (tag is None or n.tag == tag) and (
            cls is None or cls in n.attrs.get("class", "").split()
        ):
            out.append(n)
        todo.extend(n.children)
    return out


def timeline_url(base: str, person: str, token: str) -> str:
    return f"{base}/timeline?person={person}&asOf={AS_OF}#token={token}"


def ics_token(make_token: TokenFactory) -> str:
    return make_token(org="QWO", roles=("ics_user",), purpose="planning", sub="ics-analyst-1")


# ------------------------------------------------------------------ tests


def test_page_draws_linked_pathways_across_trusts(served: str, make_token: TokenFactory) -> None:
    page = Page(browse(timeline_url(served, PERSON_A, ics_token(make_token))))
    body = page.body
    assert body.attrs.get("data-state") == "ready", page.one(tag="div", id="message").text

    svg = page.one(tag="svg", id="timeline-svg")
    assert svg.attrs["data-lanes"] == "3"  # two pathways and the encounter on no pathway
    lanes = page.find(tag="g", cls="lane")
    by_provider = {lane.attrs["data-provider"]: lane for lane in lanes}
    assert set(by_provider) == {"RR8", "RAE", ""}
    rr8, rae = by_provider["RR8"], by_provider["RAE"]
    assert rr8.attrs["data-pathway-id"] == "RR8:RR8-PW-0001"
    assert (rr8.attrs["data-tfc"], rr8.attrs["data-linked"]) == ("110", "false")
    assert (rae.attrs["data-tfc"], rae.attrs["data-linked"]) == ("130", "true")
    assert "RR8 · TFC 110" in rr8.text and "Leeds Teaching Hospitals" in rr8.text
    assert "RAE · TFC 130" in rae.text and "via linkage" in rae.text

    # status events as markers carrying their RTT codes, in the lane of their pathway
    def codes(lane: Node) -> list[str]:
        return [e.attrs["data-code"] for e in within(lane, tag="g", cls="event")]

    assert codes(rr8) == ["10", "20", "20"]
    assert codes(rae) == ["10", "20", "32", "11", "30"]
    effects = {e.attrs["data-code"]: e.attrs["data-effect"] for e in within(rae, cls="event")}
    assert effects == {"10": "START", "20": "CONTINUE", "32": "STOP", "11": "START", "30": "STOP"}

    # clock periods: RR8's open one (98 weeks to the as-of date), RAE's two closed ones
    rr8_periods = within(rr8, tag="rect", cls="period")
    assert [(p.attrs["data-open"], p.attrs["data-weeks"]) for p in rr8_periods] == [("true", "98")]
    rae_periods = within(rae, tag="rect", cls="period")
    assert [(p.attrs["data-open"], p.attrs["data-weeks"]) for p in rae_periods] == [
        ("false", "20"),
        ("false", "15"),
    ]

    # breach lines: every threshold reached by the running clock plus the next one ahead;
    # for stopped clocks, only thresholds reached before the stop
    def breaches(lane: Node) -> list[tuple[str, str, str]]:
        return [
            (b.attrs["data-weeks"], b.attrs["data-reached"], b.attrs["data-date"])
            for b in within(lane, tag="line", cls="breach")
        ]

    assert breaches(rr8) == [
        ("18", "true", "2025-05-12"),
        ("52", "true", "2026-01-05"),
        ("65", "true", "2026-04-06"),
        ("78", "true", "2026-07-06"),
        ("104", "false", "2027-01-04"),
    ]
    assert breaches(rae) == [("18", "true", "2026-01-05")]

    # activity: appointments (one DNA), the procedure, the diagnosis, the encounter
    assert [a.attrs["data-code"] for a in within(rr8, cls="appointment")] == ["5", "3", "5"]
    assert [p.attrs["data-code"] for p in within(rae, cls="procedure")] == ["C75.1"]
    assert [d.attrs["data-code"] for d in within(rr8, cls="diagnosis")] == ["M17.1"]
    assert [o.attrs["data-kind"] for o in within(by_provider[""], cls="other-event")] == [
        "ENCOUNTER"
    ]

    # time axis, as-of line, legend, period table
    ticks = page.find(tag="g", cls="tick")
    assert len(ticks) >= 6
    assert ticks[0].attrs["data-date"] <= "2025-01-01" <= ticks[1].attrs["data-date"]
    assert page.one(tag="g", cls="today").attrs["data-date"] == AS_OF
    legend = [n.text for n in page.find(tag="span", cls="legend-item")]
    assert any("104-week breach" in t for t in legend) and any("clock stop" in t for t in legend)
    assert len(page.find(tag="tr", data_period_id="RAE:RAE-PW-0042:2025-09-01")) == 1
    person_card = page.one(tag="section", id="person-card")
    assert "2 at 2 trusts" in person_card.text and "LS6" in person_card.text
    assert page.one(tag="div", id="message").attrs.get("hidden") is not None


def test_screenshot_shows_the_chart(served: str, make_token: TokenFactory, tmp_path: Path) -> None:
    shot = tmp_path / "timeline.png"
    browse(timeline_url(served, PERSON_A, ics_token(make_token)), screenshot=shot)
    with Image.open(shot) as img:
        image = img.convert("RGB")
    assert image.size == WINDOW
    width, height = image.size
    # the chart sits below the header, form and person card
    chart = image.crop((int(width * 0.18), int(height * 0.25), width - 40, int(height * 0.62)))
    colours = chart.getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 150, f"only {len(colours)} colours in the chart area"
    background = {(255, 255, 255), (251, 252, 252), (247, 249, 250), (240, 244, 245)}
    drawn = sum(n for n, c in colours if c not in background)
    assert drawn / (chart.width * chart.height) > 0.04

    def near(target: tuple[int, int, int], tol: int = 24) -> int:
        return sum(
            n for n, c in colours if all(abs(a - b) <= tol for a, b in zip(c, target, strict=True))
        )

    assert near((0x41, 0xB6, 0xE6)) > 300, "no closed clock-period bar (light blue)"
    assert near((0x00, 0x5E, 0xB8)) > 100, "no running clock (NHS blue)"
    assert near((0xDA, 0x29, 0x1C)) > 20, "no 65-week breach line (red)"
    if os.environ.get("OPENFDP_UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(shot, DOCS_SCREENSHOT)


def test_trust_user_sees_only_its_own_trust(served: str, make_token: TokenFactory) -> None:
    token = make_token(org="RR8", roles=("trust_user",), purpose="direct_care")
    page = Page(browse(timeline_url(served, PERSON_A, token)))
    assert page.body.attrs.get("data-state") == "ready"
    providers = [g.attrs["data-provider"] for g in page.find(tag="g", cls="lane")]
    assert providers == ["RR8", ""]
    assert not page.find(tag="g", data_provider="RAE")


def test_bad_token_shows_an_authentication_error(served: str, make_token: TokenFactory) -> None:
    token = make_token(secret="not-the-server-secret-at-all-0123456789")
    page = Page(browse(timeline_url(served, PERSON_A, token)))
    assert page.body.attrs.get("data-state") == "error"
    assert page.body.attrs.get("data-error") == "unauthenticated"
    message = page.one(tag="div", id="message")
    assert message.attrs.get("hidden") is None
    assert "Authentication failed." in message.text
    assert "token signature is invalid" in message.text
    assert not page.find(tag="svg", id="timeline-svg")


def test_refused_purpose_shows_access_denied(served: str, make_token: TokenFactory) -> None:
    token = make_token(org="QWO", roles=("ics_user",), purpose="direct_care")
    page = Page(browse(timeline_url(served, PERSON_A, token)))
    assert page.body.attrs.get("data-error") == "forbidden"
    message = page.one(tag="div", id="message").text
    assert "Access denied." in message and "planning or research" in message


def test_role_without_record_access_shows_access_denied(
    served: str, make_token: TokenFactory
) -> None:
    # authenticated, but the resolver refuses record-level data (a GraphQL error, HTTP 200)
    token = make_token(org="QWO", roles=("analyst",), purpose="planning")
    page = Page(browse(timeline_url(served, PERSON_A, token)))
    assert page.body.attrs.get("data-error") == "forbidden"
    message = page.one(tag="div", id="message").text
    assert "Access denied." in message and "record-level data is not available" in message


def test_unknown_person_is_not_found(served: str, make_token: TokenFactory) -> None:
    unknown = pseudo("nobody")
    page = Page(browse(timeline_url(served, unknown, ics_token(make_token))))
    assert page.body.attrs.get("data-error") == "not-found"
    assert f"No person with pseudo id {unknown}" in page.one(tag="div", id="message").text


def test_missing_token_asks_for_one(served: str) -> None:
    page = Page(browse(f"{served}/timeline?person={PERSON_A}"))
    assert (page.body.attrs.get("data-state"), page.body.attrs.get("data-error")) == (
        "idle",
        "no-token",
    )
    assert "A token is needed." in page.one(tag="div", id="message").text


def test_page_and_assets_are_served_with_a_strict_policy(client: TestClient) -> None:
    page = client.get("/timeline", params={"person": "x"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'src="/timeline/timeline.js"' in page.text
    for asset, kind in (("timeline.js", "text/javascript"), ("timeline.css", "text/css")):
        got = client.get(f"/timeline/{asset}")
        assert got.status_code == 200 and got.headers["content-type"].startswith(kind)
        # nothing is fetched from another origin
        assert "http://" not in got.text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in got.text
    missing = client.get("/timeline/timeline.html.bak")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert client.get("/timeline/..%2Fapp.py").status_code == 404


class _BrokenApi(http.server.BaseHTTPRequestHandler):
    """Serves the page's files; POST /graphql drops the connection or answers 503."""

    mode = "drop"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        name = "timeline.html" if path == "/timeline" else path.removeprefix("/timeline/")
        body = (STATIC_DIR / name).read_bytes()
        kind = {"html": "text/html", "js": "text/javascript", "css": "text/css"}
        self.send_response(200)
        self.send_header("Content-Type", kind[name.rsplit(".", 1)[1]])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        if self.mode == "drop":
            self.close_connection = True
            self.connection.close()
            return
        body = json.dumps({"error": {"code": "unavailable", "message": "Neo4j is away"}})
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.mark.parametrize(
    ("mode", "error", "title"),
    [
        ("drop", "network", "The openfdp API could not be reached."),
        ("503", "unavailable", "The service is unavailable."),
    ],
)
def test_api_failures_are_shown_on_the_page(mode: str, error: str, title: str) -> None:
    handler = type("Handler", (_BrokenApi,), {"mode": mode})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        page = Page(browse(timeline_url(base, PERSON_A, "any-token")))
    finally:
        server.shutdown()
        server.server_close()
    assert (page.body.attrs.get("data-state"), page.body.attrs.get("data-error")) == (
        "error",
        error,
    )
    assert title in page.one(tag="div", id="message").text
