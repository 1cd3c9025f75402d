"""Opt-out extracts are snapshots: withdrawals lift the exclusion at the next load.

An ``opt_outs.csv`` extract is the complete current list of the National Data Opt-outs
that apply to the domain's persons (as returned by the NHS opt-out service, which is
checked again before each disclosure: National Data Opt-out operational policy guidance).
So a person marked by an earlier extract and absent from the next one has withdrawn their
opt-out, and so has a person listed with ``withdrawn = Y``. :class:`OptOutListing` watches
the outcomes of a load for the opt-out rows; after the load, the persons still marked but
not listed are unmarked (graph_service/store/opt_outs.py).

Fail closed: when any row of the opt-out extract was rejected (an unreadable NHS number
could be a listed person), nobody is unmarked by absence in that load.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from openfdp.loaders.model import MappedRecord, Outcome, Rejection

OPT_OUT_SOURCE = "csv:opt_outs"


@dataclass
class OptOutListing:
    listed: set[str] = field(default_factory=set)  # pseudo ids listed as opted out
    withdrawn: set[str] = field(default_factory=set)  # pseudo ids listed as withdrawn
    rejected: int = 0

    def track(self, outcomes: Iterable[Outcome]) -> Iterator[Outcome]:
        """The same outcomes, noting the opt-out rows on the way."""
        for outcome in outcomes:
            if isinstance(outcome, MappedRecord) and outcome.source == OPT_OUT_SOURCE:
                for node in outcome.nodes:
                    if node.label == "PseudonymisedPerson":
                        pseudo_id = str(node.key["pseudo_id"])
                        target = self.listed if node.props.get("ndoo_opt_out") else self.withdrawn
                        target.add(pseudo_id)
            elif isinstance(outcome, Rejection) and outcome.source == OPT_OUT_SOURCE:
                self.rejected += 1
            yield outcome

    @property
    def may_lift_absent(self) -> bool:
        return self.rejected == 0
