"""The columns of every trust CSV extract (see :mod:`openfdp.loaders.formats` for the types).

Names of NHS Data Dictionary items are in capitals; RTT rules cite the DHSC "Referral to
treatment consultant-led waiting times: rules suite" and NHS England's RTT recording guidance.
"""

from __future__ import annotations

from openfdp.loaders.formats import Column, ExtractFormat

C = Column
PROVIDER = C("provider_ods", "trust_ods", "the trust whose record it is (or `--source`)")
PATIENT = (
    PROVIDER,
    C("local_patient_id", description="LOCAL PATIENT IDENTIFIER at the trust"),
    C("nhs_number", "nhs_number", "NHS NUMBER (Modulus 11; placeholders count as missing)"),
    C("given_name", description="given name (identity evidence only)"),
    C("family_name", description="family name (identity evidence only)"),
    C("birth_date", "date", "PERSON BIRTH DATE (identity evidence; year kept)"),
    C("sex", "code", "PERSON STATED GENDER CODE (`M`/`F`/`U` accepted)", code_list="SEX"),
    C("postcode", description="POSTCODE OF USUAL ADDRESS (district kept)"),
    C("address_line", description="first address line (identity evidence only)"),
)

WAITING_LIST = ExtractFormat(
    "waiting_list",
    "patient tracking list with RTT status events",
    "One row per RTT status event; the rows of one pathway are consecutive. A file with "
    "`snapshot_date` is the trust's weekly snapshot of its waiting list.",
    (
        *PATIENT,
        C("ppid", description="PATIENT PATHWAY IDENTIFIER", required=True),
        C("ppid_issuer_ods", "trust_ods", "ORGANISATION IDENTIFIER (PPID ISSUER)", required=True),
        C("referral_id", description="the referral that started the pathway"),
        C(
            "referral_received_date",
            "date",
            "REFERRAL REQUEST RECEIVED DATE: the clock start of the pathway's first period",
        ),
        C("source_of_referral", description="SOURCE OF REFERRAL FOR OUT-PATIENTS"),
        C("tfc", "code", "ACTIVITY TREATMENT FUNCTION CODE", required=True, code_list="TFC"),
        C("priority_type", "code", "PRIORITY TYPE", code_list="PRIORITY_TYPE"),
        C("wl_entry_id", description="the waiting list entry"),
        C(
            "waiting_list_type",
            "code",
            "WLMDS waiting list type: IRTT/INON admitted, ORTT/ONON non-admitted",
            code_list="WAITING_LIST_TYPE",
        ),
        C("decided_to_admit_date", "date", "DECIDED TO ADMIT DATE"),
        C("tci_date", "date", "OFFERED FOR ADMISSION DATE (to come in)"),
        C(
            "intended_management",
            "code",
            "INTENDED MANAGEMENT (admitted pathways)",
            code_list="INTENDED_MANAGEMENT",
        ),
        C("event_seq", "integer", "order of the event within the pathway", required=True),
        C(
            "status_code",
            "code",
            "REFERRAL TO TREATMENT PERIOD STATUS (10 … 99)",
            required=True,
            code_list="RTT_STATUS",
        ),
        C("activity_date", "date", "date of the activity", required=True),
        C(
            "dna_communicated",
            "boolean",
            "for 33: was the missed first appointment clearly communicated (Y/N)",
        ),
        C("ipt_receiving_ods", "trust_ods", "for 21: the provider the pathway transfers to"),
        C(
            "ipt_clock_start_date",
            "date",
            "received by inter-provider transfer: the original clock start (IPT minimum data set)",
        ),
        C("ipt_sending_ods", "trust_ods", "received by transfer: the provider that sent it"),
        C("fit_and_ready_date", "date", "for 12: the date the patient is fit and ready"),
        C("snapshot_date", "date", "the week-ending date of the waiting-list snapshot"),
    ),
    key=("ppid_issuer_ods", "ppid", "event_seq"),
)

OUTPATIENTS = ExtractFormat(
    "outpatient_appointments",
    "outpatient appointments",
    "One row per appointment.",
    (
        *PATIENT,
        C("appointment_id", description="the appointment (attendance identifier)", required=True),
        C("ppid", description="PATIENT PATHWAY IDENTIFIER of its pathway"),
        C("ppid_issuer_ods", "trust_ods", "issuer of the pathway identifier"),
        C("site_ods", "site_ods", "SITE CODE OF TREATMENT"),
        C("appointment_date", "date", "APPOINTMENT DATE", required=True),
        C("first_attendance", "code", "FIRST ATTENDANCE", code_list="FIRST_ATTENDANCE"),
        C("attended_or_dna", "code", "ATTENDED OR DID NOT ATTEND", code_list="ATTENDED_OR_DNA"),
        C(
            "outcome_of_attendance",
            "code",
            "OUTCOME OF ATTENDANCE",
            code_list="OUTCOME_OF_ATTENDANCE",
        ),
        C("tfc", "code", "TREATMENT FUNCTION CODE", code_list="TFC"),
        C(
            "consultation_medium",
            "code",
            "CONSULTATION MEDIUM USED",
            code_list="CONSULTATION_MEDIUM",
        ),
    ),
    key=("provider_ods", "appointment_id"),
)

THEATRE_SESSIONS = ExtractFormat(
    "theatre_sessions",
    "theatre sessions",
    "One row per theatre session.",
    (
        PROVIDER,
        C("site_ods", "site_ods", "the site of the theatre", required=True),
        C("theatre_code", description="the theatre, local to the site", required=True),
        C("theatre_name", description="its name"),
        C("theatre_type", description="e.g. main, day case"),
        C("session_id", description="the session", required=True),
        C("session_date", "date", "date of the session", required=True),
        C("am_pm", description="AM, PM or AD (all day)", values=("AM", "PM", "AD")),
        C("session_type", description="e.g. Elective"),
        C("status", description="e.g. completed, cancelled"),
        C("planned_minutes", "integer", "planned minutes"),
        C("booked_minutes", "integer", "booked minutes"),
        C("used_minutes", "integer", "used minutes"),
        C("tfc", "code", "TREATMENT FUNCTION CODE", code_list="TFC"),
    ),
    key=("provider_ods", "session_id"),
)

THEATRE_BOOKINGS = ExtractFormat(
    "theatre_bookings",
    "theatre bookings",
    "One row per booking of a waiting-list entry into a session.",
    (
        PROVIDER,
        C("booking_id", description="the booking", required=True),
        C("session_id", description="the theatre session", required=True),
        C("wl_entry_id", description="the waiting list entry booked"),
        C("booking_status", description="e.g. booked, completed"),
        C("expected_minutes", "integer", "expected minutes"),
        C("actual_minutes", "integer", "actual minutes"),
        C("cancelled_on_the_day", "boolean", "cancelled on the day (Y/N)"),
    ),
    key=("provider_ods", "booking_id"),
)

STAFF = ExtractFormat(
    "staff",
    "staff (by local id, never by name)",
    "One row per member of staff.",
    (
        PROVIDER,
        C("staff_local_id", description="local staff id", required=True),
        C("role_code", description="role", required=True),
        C("role_name", description="role name"),
        C("main_specialty_code", description="MAIN SPECIALTY CODE"),
        C("active", "boolean", "in post (Y/N)"),
    ),
    key=("provider_ods", "staff_local_id"),
)

ROSTERS = ExtractFormat(
    "rosters",
    "rostered shifts",
    "One row per shift.",
    (
        PROVIDER,
        C("shift_id", description="the shift", required=True),
        C("staff_local_id", description="local staff id", required=True),
        C("site_ods", "site_ods", "the site"),
        C("shift_date", "date", "date the shift starts", required=True),
        C("start_time", "time", "start time"),
        C("end_time", "time", "end time"),
        C("shift_type", description="e.g. day, night"),
    ),
    key=("provider_ods", "shift_id"),
)

WARDS_BEDS = ExtractFormat(
    "wards_beds",
    "wards and beds",
    "One row per bed.",
    (
        PROVIDER,
        C("site_ods", "site_ods", "the site", required=True),
        C("ward_code", description="the ward, local to the site", required=True),
        C("ward_name", description="its name"),
        C("bed_code", description="the bed, local to the ward", required=True),
        C("bed_type", description="e.g. general, critical care"),
        C("status", description="occupied, available or closed"),
    ),
    key=("site_ods", "ward_code", "bed_code"),
)

CONTRACTS = ExtractFormat(
    "supplier_contracts",
    "supplier contracts (Open Contracting)",
    "One row per contract award.",
    (
        C("buyer_ods", "trust_ods", "the buying trust", required=True),
        C("ocid", description="Open Contracting id", required=True),
        C("title", description="title"),
        C("supplier_id", description="the supplier", required=True),
        C("supplier_name", description="its name"),
        C("companies_house_number", description="its Companies House number"),
        C("product_id", description="the product"),
        C("product_name", description="its name"),
        C("value_amount", "number", "contract value"),
        C("currency", description="ISO 4217 currency, e.g. GBP"),
        C("start_date", "date", "contract start"),
        C("end_date", "date", "contract end"),
    ),
    key=("ocid", "supplier_id"),
)

DPAS = ExtractFormat(
    "data_processing_agreements",
    "data processing agreements",
    "One row per agreement.",
    (
        C("dpa_id", description="the agreement", required=True),
        C("controller_ods", "trust_ods", "the controller", required=True),
        C("processor_supplier_id", description="the processor (a supplier)", required=True),
        C("sub_processor_supplier_ids", "list", "sub-processors (suppliers)"),
        C("product_id", description="the product covered"),
        C("contract_ocid", description="the contract it is under"),
        C("purposes", "list", "purposes"),
        C("data_categories", "list", "data categories"),
        C("effective_from", "date", "in force from"),
        C("effective_to", "date", "in force to"),
    ),
    key=("dpa_id",),
)

OPT_OUTS = ExtractFormat(
    "opt_outs",
    "National Data Opt-out",
    "One row per person who opted out.",
    (
        C("nhs_number", "nhs_number", "NHS NUMBER of the person", required=True),
        C(
            "withdrawn",
            description="Y: the person withdrew their opt-out (empty = N)",
            values=("Y", "N"),
        ),
    ),
    key=("nhs_number",),
)

#: every trust CSV extract, in load order (reference data first, the waiting list before
#: the appointments and bookings that point at it)
EXTRACTS: dict[str, ExtractFormat] = {
    e.name: e
    for e in (
        STAFF,
        WARDS_BEDS,
        THEATRE_SESSIONS,
        WAITING_LIST,
        OUTPATIENTS,
        THEATRE_BOOKINGS,
        ROSTERS,
        CONTRACTS,
        DPAS,
        OPT_OUTS,
    )
}
