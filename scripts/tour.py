"""Run the questions of docs/tour.md against a running demo (`bash scripts/demo.sh`).

Usage: .venv/bin/python scripts/tour.py [--api http://127.0.0.1:8000]
Mints the demo tokens with the local secret (as `openfdp demo run` does), asks each question
through the public API, and prints the answers that docs/tour.md quotes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

import httpx

from openfdp.cli.demo_tour import ANALYST_QUERY, Q1, Q1B, Q2, Q2A, Q3, Q4
from openfdp.services.auth import mint_token
from openfdp.settings import get_settings

ICB = "QOP"
__all__ = ["ANALYST_QUERY"]  # question 5 (tests/api/test_cypher.py checks it)


def gql(api: str, token: str | None, query: str, variables: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"query": query, "variables": variables or {}}
    reply = httpx.post(f"{api}/graphql", json=body, headers=headers, timeout=60).json()
    if reply.get("errors"):
        print(json.dumps(reply["errors"], indent=2))
    return reply.get("data")


def show(title: str, query: str, data: Any) -> None:
    print(f"\n## {title}\n\n```graphql\n{query.strip()}\n```\n\n```json")
    print(json.dumps(data, indent=2)[:3000])
    print("```")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--api", default="http://127.0.0.1:8000")
    args = ap.parse_args()
    s = get_settings()
    planner = mint_token(s, "demo-planner", ICB, ["ics_user"], "planning")
    analyst = mint_token(s, "demo-analyst", ICB, ["analyst", "ics_user"], "research")

    show("1. The ICS waiting list by provider", Q1, gql(args.api, planner, Q1, {"icb": ICB}))
    show("1b. ... and by specialty (first 5 rows)", Q1B, gql(args.api, planner, Q1B, {"icb": ICB}))

    # a person with pathways at two trusts, found through the linkage cluster
    found = gql(args.api, planner, Q2A)
    linked = next((p for p in found["pathways"]["nodes"] if p["pathwaysAtOtherTrusts"]), None)
    if linked:
        show(
            "2. One person's linked pathway across two trusts",
            Q2,
            gql(args.api, planner, Q2, {"id": linked["id"]}),
        )

    start = date.today()
    window = {"icb": ICB, "from": str(start), "to": str(start + timedelta(days=13))}
    title = "3. Unbooked theatre capacity in the next fortnight"
    show(title, Q3, gql(args.api, planner, Q3, window))

    trust = (found["pathways"]["nodes"] or [{"providerOds": "RM3"}])[0]["providerOds"]
    show("4. Who processes a trust's data (no token)", Q4, gql(args.api, None, Q4, {"ods": trust}))

    cypher = ANALYST_QUERY
    reply = httpx.post(
        f"{args.api}/cypher",
        json={"query": cypher, "params": {}},
        headers={"Authorization": f"Bearer {analyst}"},
        timeout=60,
    ).json()
    print(f"\n## 5. An analyst Cypher query\n\n```cypher\n{cypher}\n```\n\n```json")
    print(json.dumps(reply, indent=2)[:2500])
    print("```")

    if linked:
        pid = gql(args.api, planner, Q2, {"id": linked["id"]})["pathway"]["person"]["pseudoId"]
        out = subprocess.run(
            [sys.executable, "-m", "openfdp.cli", "audit", "who-accessed", pid],
            capture_output=True,
            text=True,
            check=False,
        )
        print(f"\n## 6. Who looked at this person\n\n```\nopenfdp audit who-accessed {pid}")
        print(out.stdout.strip() or out.stderr.strip())
        print("```")


if __name__ == "__main__":
    main()
