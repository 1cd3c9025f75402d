"""The GraphQL side of the audit: the operation name and the hashes of the query and its
variables copied into the request context (the event itself: :mod:`openfdp.services.audit`)."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from openfdp.services.audit import OperationInfo, sha256_json, sha256_text


class CaptureOperation(SchemaExtension):
    """Copies the operation name and the hashes of query and variables into the context."""

    def on_operation(self) -> Iterator[None]:
        ec = self.execution_context
        info = getattr(ec.context, "operation_info", None)
        if isinstance(info, OperationInfo):
            info.operation = ec.operation_name
            info.query_hash = sha256_text(ec.query)
            info.variables_hash = sha256_json(ec.variables)
        yield
