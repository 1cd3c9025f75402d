"""Synthetic resource and supplier extracts: theatres and sessions (last and next fortnight),
bookings against admitted waiting-list entries, staff and rosters, wards and beds, suppliers
with contracts and data processing agreements. No names of staff anywhere."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any, Protocol

from openfdp.loaders.generate.reference import Trust

THEATRE_TFCS = ["100", "101", "110", "120", "130", "502"]


class Files(Protocol):
    def write(self, extract: str, trust: str | None, row: dict[str, Any]) -> str: ...


def write_resources(
    rng: random.Random,
    files: Files,
    *,
    trusts: list[Trust],
    admitted: dict[str, list[str]],
    as_of: date,
    suppliers: list[tuple[str, str, str]],
    roles: list[tuple[str, str]],
) -> None:
    for trust in trusts:
        sites = [f"{trust.ods}01", f"{trust.ods}02"]
        _theatres(
            rng, files, ods=trust.ods, sites=sites, entries=admitted.get(trust.ods, []), as_of=as_of
        )
        _staff(rng, files, ods=trust.ods, sites=sites, as_of=as_of, roles=roles)
        _wards(rng, files, trust.ods, sites)
    _suppliers(rng, files, trusts, as_of, suppliers)


def _theatres(
    rng: random.Random, files: Files, *, ods: str, sites: list[str], entries: list[str], as_of: date
) -> None:
    queue = list(entries)
    rng.shuffle(queue)
    booking = 0
    for site in sites:
        for t in range(1, 4):
            code = f"TH{t}"
            for offset in range(-14, 14):
                day = as_of + timedelta(days=offset + 1)
                if day.weekday() >= 5:
                    continue
                for am_pm in ("AM", "PM"):
                    session_id = f"{site}-{code}-{day.isoformat()}-{am_pm}"
                    past = day <= as_of
                    cancelled = rng.random() < 0.05
                    booked = 0 if cancelled else rng.choice([180, 210, 240, 240])
                    used = int(booked * rng.uniform(0.6, 1.0)) if past and not cancelled else None
                    files.write(
                        "theatre_sessions",
                        ods,
                        {
                            "provider_ods": ods,
                            "site_ods": site,
                            "theatre_code": code,
                            "theatre_name": f"Theatre {t}",
                            "theatre_type": "day case" if t == 3 else "main",
                            "session_id": session_id,
                            "session_date": day.isoformat(),
                            "am_pm": am_pm,
                            "session_type": "Elective",
                            "status": "cancelled"
                            if cancelled
                            else ("completed" if past else "planned"),
                            "planned_minutes": 240,
                            "booked_minutes": booked,
                            "used_minutes": used,
                            "tfc": rng.choice(THEATRE_TFCS),
                        },
                    )
                    if cancelled or past:
                        continue
                    for _ in range(rng.randrange(1, 4)):
                        if not queue:
                            break
                        booking += 1
                        files.write(
                            "theatre_bookings",
                            ods,
                            {
                                "provider_ods": ods,
                                "booking_id": f"BK{booking:07d}",
                                "session_id": session_id,
                                "wl_entry_id": queue.pop(),
                                "booking_status": "booked",
                                "expected_minutes": rng.choice([45, 60, 90, 120]),
                                "actual_minutes": None,
                                "cancelled_on_the_day": "N",
                            },
                        )


def _staff(
    rng: random.Random,
    files: Files,
    *,
    ods: str,
    sites: list[str],
    as_of: date,
    roles: list[tuple[str, str]],
) -> None:
    shift = 0
    for n in range(1, 61):
        code, name = roles[n % len(roles)]
        local = f"E{n:05d}"
        files.write(
            "staff",
            ods,
            {
                "provider_ods": ods,
                "staff_local_id": local,
                "role_code": code,
                "role_name": name,
                "main_specialty_code": rng.choice(THEATRE_TFCS)
                if code in {"CONS", "REG"}
                else None,
                "active": "Y",
            },
        )
        for offset in rng.sample(range(-7, 14), 8):
            shift += 1
            night = rng.random() < 0.2
            files.write(
                "rosters",
                ods,
                {
                    "provider_ods": ods,
                    "shift_id": f"SH{shift:07d}",
                    "staff_local_id": local,
                    "site_ods": rng.choice(sites),
                    "shift_date": (as_of + timedelta(days=offset)).isoformat(),
                    "start_time": "20:00" if night else "08:00",
                    "end_time": "08:00" if night else "20:00",
                    "shift_type": "night" if night else "day",
                },
            )


def _wards(rng: random.Random, files: Files, ods: str, sites: list[str]) -> None:
    for site in sites:
        for w in range(1, 5):
            for b in range(1, 21):
                files.write(
                    "wards_beds",
                    ods,
                    {
                        "provider_ods": ods,
                        "site_ods": site,
                        "ward_code": f"W{w:02d}",
                        "ward_name": f"Ward {w}",
                        "bed_code": f"B{b:02d}",
                        "bed_type": "critical care" if w == 4 else "general",
                        "status": rng.choices(
                            ["occupied", "available", "closed"], weights=[85, 12, 3]
                        )[0],
                    },
                )


def _suppliers(
    rng: random.Random,
    files: Files,
    trusts: list[Trust],
    as_of: date,
    suppliers: list[tuple[str, str, str]],
) -> None:
    hosting = suppliers[2][0]
    for trust in trusts:
        for j, (sup_id, sup_name, product) in enumerate(suppliers):
            if j == 2 and trust is not trusts[0]:
                continue  # the hosting firm: one direct contract, elsewhere a sub-processor
            ocid = f"ocds-synth-{trust.ods}-{j:02d}"
            product_id = f"PRD-{sup_id[-4:]}"
            start = as_of - timedelta(days=rng.randrange(100, 1500))
            files.write(
                "supplier_contracts",
                None,
                {
                    "buyer_ods": trust.ods,
                    "ocid": ocid,
                    "title": f"{product} for {trust.name}",
                    "supplier_id": sup_id,
                    "supplier_name": sup_name,
                    "companies_house_number": None,
                    "product_id": product_id,
                    "product_name": product,
                    "value_amount": rng.randrange(200, 20000) * 1000,
                    "currency": "GBP",
                    "start_date": start.isoformat(),
                    "end_date": (start + timedelta(days=365 * 5)).isoformat(),
                },
            )
            files.write(
                "data_processing_agreements",
                None,
                {
                    "dpa_id": f"DPA-{trust.ods}-{j:02d}",
                    "controller_ods": trust.ods,
                    "processor_supplier_id": sup_id,
                    "sub_processor_supplier_ids": hosting,
                    "product_id": product_id,
                    "contract_ocid": ocid,
                    "purposes": "direct care;planning" if j == 1 else "direct care",
                    "data_categories": "demographics;health",
                    "effective_from": start.isoformat(),
                    "effective_to": (start + timedelta(days=365 * 5)).isoformat(),
                },
            )
