"""The ontology's one root exception. Its message is user-facing: it names the file and term."""

from __future__ import annotations


class OntologyError(Exception):
    """Raised for any problem in the ontology files or a request against the compiled model."""
