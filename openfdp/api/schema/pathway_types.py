"""GraphQL types of RTT pathways and persons. Their construction from query rows is in
:mod:`openfdp.api.schema.pathway_rows`, the ``pathways`` query's arguments in
:mod:`openfdp.api.schema.pathway_inputs`."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import ClassVar

import strawberry

from openfdp.api.schema.common import (
    After,
    Connection,
    First,
    Info,
    backed_by,
    page_of,
    slice_connection,
)
from openfdp.api.schema.node import Node
from openfdp.api.schema.organisations import OrganisationRef


@backed_by("RTTPeriod", derived=("days_waited", "weeks_waited"))
@strawberry.type(description="An RTT clock period, derived from the pathway's status events.")
class ClockPeriod:
    period_id: str
    start_date: datetime.date | None = strawberry.field(description="Null: unknown start.")
    start_source: str | None = strawberry.field(
        description="referral, status_event, fit_and_ready, transfer or unknown."
    )
    end_date: datetime.date | None
    status: str = strawberry.field(description="open, closed or transferred_out.")
    transferred_in: bool | None
    transferred_out_date: datetime.date | None
    transferred_to_ods: str | None
    stop_status_code: str | None
    length_days: int | None
    breach_date_18w: datetime.date | None
    breach_date_52w: datetime.date | None
    breach_date_65w: datetime.date | None
    breach_date_78w: datetime.date | None
    breach_date_104w: datetime.date | None
    nullified: bool | None
    data_quality_flags: list[str] | None
    days_waited: int | None = strawberry.field(
        description="Closed: the period's length; open: days from clock start to asOf."
    )
    weeks_waited: int | None = strawberry.field(description="Completed weeks of daysWaited.")


@backed_by("RTTStatusEvent", derived=("status_display", "clock_effect"))
@strawberry.type
class StatusEvent:
    event_id: str
    status_code: str
    activity_date: datetime.date
    seq: int | None
    status_display: str | None = strawberry.field(description="RTT status label.")
    clock_effect: str | None = strawberry.field(
        description="START, CONTINUE, STOP or NOT_RTT (null when unknown, e.g. 99)."
    )


@backed_by("Appointment", derived=("site",))
@strawberry.type
class Appointment:
    appointment_id: str
    appointment_date: datetime.date | None
    first_attendance_code: str | None
    attended_or_dna_code: str | None
    outcome_of_attendance_code: str | None
    treatment_function_code: str | None
    consultation_medium_code: str | None
    site: OrganisationRef | None


@backed_by("Procedure")
@strawberry.type
class Procedure:
    procedure_id: str
    procedure_date: datetime.date | None
    code_system: str
    code: str
    display: str | None


@backed_by("Diagnosis")
@strawberry.type
class Diagnosis:
    diagnosis_id: str
    diagnosis_date: datetime.date | None
    code_system: str
    code: str
    display: str | None
    is_primary: bool | None


@backed_by("PseudonymisedPerson")
@strawberry.type(description="A pseudonymised person: no identifier leaves the graph.")
class PersonRef:
    pseudo_id: str
    year_of_birth: int | None
    sex_code: str | None
    area_code: str | None


@backed_by("RTTPathway", derived=("id",))
@strawberry.type(description="A pathway in brief (as listed for a person).")
class PathwaySummary:
    id: strawberry.ID = strawberry.field(description="<ppid_issuer_ods>:<ppid>")
    ppid: str
    ppid_issuer_ods: str
    provider_ods: str
    treatment_function_code: str | None
    priority_type_code: str | None
    referral_request_received_date: datetime.date | None
    pathway_status: str | None


@backed_by(
    "RTTPathway",
    derived=(
        "id",
        "provider",
        "treatment_function_name",
        "weeks_waiting",
        "days_waiting",
        "current_period",
        "clock_periods",
        "status_events",
        "appointments",
        "procedures",
        "diagnoses",
        "person",
        "pathways_at_other_trusts",
    ),
)
@strawberry.type(description="An RTT patient pathway with its clock, activity and person.")
class Pathway(Node):
    id: strawberry.ID = strawberry.field(description="<ppid_issuer_ods>:<ppid>, also its global id")
    ppid: str
    ppid_issuer_ods: str
    provider_ods: str
    treatment_function_code: str | None
    priority_type_code: str | None
    referral_request_received_date: datetime.date | None
    pathway_status: str | None
    provider: OrganisationRef
    treatment_function_name: str | None
    days_waiting: int | None = strawberry.field(description="Of the latest clock period.")
    weeks_waiting: int | None = strawberry.field(description="Of the latest clock period.")
    current_period: ClockPeriod | None = strawberry.field(description="The latest period.")
    clock_periods: list[ClockPeriod] = strawberry.field(description="By start date.")
    status_events: list[StatusEvent] = strawberry.field(description="In order of activity.")
    appointments: list[Appointment]
    procedures: list[Procedure]
    diagnoses: list[Diagnosis]
    person: PersonRef | None
    pathways_at_other_trusts: list[PathwaySummary] = strawberry.field(
        description="The same person's pathways at other trusts (through linkage), "
        "limited to the trusts the caller may read."
    )


@strawberry.enum
class TimelineKind(Enum):
    RTT_STATUS = "RTT_STATUS"
    APPOINTMENT = "APPOINTMENT"
    ENCOUNTER = "ENCOUNTER"
    PROCEDURE = "PROCEDURE"
    DIAGNOSIS = "DIAGNOSIS"


@strawberry.type(description="One dated event in a person's records.")
class TimelineEvent:
    date: datetime.date | None
    kind: TimelineKind
    code: str | None
    code_system: str | None
    display: str | None
    record_id: str
    pathway_id: str | None
    provider_ods: str


@backed_by("PseudonymisedPerson", derived=("id", "pathways", "timeline"))
@strawberry.type(
    description="A pseudonymised person with pathways and a timeline across "
    "the linked records the caller may read."
)
class Person(Node):
    node_key: ClassVar[str] = "pseudo_id"
    pseudo_id: str
    year_of_birth: int | None
    sex_code: str | None
    area_code: str | None
    pathways: list[PathwaySummary]
    timeline_rows: strawberry.Private[list[TimelineEvent]]

    @strawberry.field
    def timeline(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[TimelineEvent]:
        return slice_connection(
            self.timeline_rows,
            page_of(info.context, first, after),
            kind="timeline",
            key=lambda e: (e.date, e.kind.value, e.record_id, e.pathway_id),
        )
