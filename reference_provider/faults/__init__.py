"""Named faults: each makes the reference provider break one GP Connect requirement.

The harness's own tests start the provider with a fault and check that the scenarios tagged with
that requirement fail. Every fault is declared once, in the module of its section below, with its
requirement and what goes wrong, as one of three kinds:

- rewrite:   the provider builds its correct answer, then `apply` rewrites it (body, headers or
             media type) for the interactions named; the transformation sits beside its description.
- rule-off:  a validation rule the provider enforces is switched off; the module holding the rule
             claims the name with `uses(...)` and asks `NAME in faults` where the rule is.
- behaviour: the provider behaves differently inside (what it stores, locking); claimed the same way.

A name that is not declared, claimed twice or never claimed is an error when the provider is
imported (`verify`), so a misspelt fault cannot silently do nothing.
"""

from __future__ import annotations

from importlib import import_module

from .registry import (
    AMEND,
    BEHAVIOUR,
    BOOK,
    CANCEL,
    FAULTS,
    METADATA,
    READ,
    RETRIEVE,
    REWRITE,
    RULE_OFF,
    SEARCH,
    Answer,
    Fault,
    apply,
    behaviour,
    check,
    uses,
    verify,
)

__all__ = ["AMEND", "BEHAVIOUR", "BOOK", "CANCEL", "FAULTS", "METADATA", "READ", "RETRIEVE", "REWRITE", "RULE_OFF",
           "SEARCH", "Answer", "Fault", "apply", "behaviour", "check", "uses", "verify"]

# The sections, imported in this order: it is the order their faults are declared in, so the order
# `apply` runs rewrites in and `--list-faults --json` (and so the fault matrix) lists them.
SECTIONS = ("search_for_free_slots", "returned_resources", "book_an_appointment", "retrieve_a_patients_appointments",
            "read_an_appointment", "amend_and_cancel", "lifecycles", "foundations", "run_model")
for _section in SECTIONS:
    import_module(f"{__name__}.{_section}")
