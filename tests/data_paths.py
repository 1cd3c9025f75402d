"""Where the tests find their input data: the reference data the product ships
(``openfdp/data``, ``REFERENCE_DATA_DIR``) and the few extra samples kept in ``tests/data``.
Both are inside the repository, so the test command runs from a clone alone."""

from __future__ import annotations

from pathlib import Path

from openfdp.settings import REFERENCE_DATA_DIR, REPO_ROOT

TEST_DATA_DIR = REPO_ROOT / "tests" / "data"

# shipped with the product (openfdp/data): what the demo generator and feeds read
ODS_SPEND = REFERENCE_DATA_DIR / "nhs-ods-jhau-nhs-spend"
GP_MAP = REFERENCE_DATA_DIR / "nhs-gp-practice-map-nhsx"
ITK_ADT = REFERENCE_DATA_DIR / "hl7v2-itk-adt-examples"
SMART = REFERENCE_DATA_DIR / "synthea-r4-smart-on-fhir"

# kept for the tests only (tests/data)
SMART_MORE = TEST_DATA_DIR / "synthea-r4-smart-on-fhir"
AGUEDA = SMART_MORE / "bundles" / "Agueda283_Roberts511_90c5be84-56fe-4319-99c9-80b408518fe7.json"
PIPES = TEST_DATA_DIR / "synthea-r4-fhir-data-pipes"
UKCORE = TEST_DATA_DIR / "fhir-uk-core-examples"
PIPEHAT = TEST_DATA_DIR / "hl7v2-pipehat-samples"
TFC_TABLE = TEST_DATA_DIR / "nhs-treatment-function-codes-scw" / "treatment-function-codes.csv"

# the Synthea SMART sample the tests read: the 8 shipped bundles with the shared Organization
# and Practitioner files, and one more bundle
SMART_SAMPLE: list[Path] = [SMART, SMART_MORE]
