"""Faults shown only by a sequence of operations.

No scenario arranges these sequences; gpc-assure explore finds each (the fault matrix runs it for them).
"""

from __future__ import annotations

from .registry import behaviour

behaviour("amend_twice_drops_schedule_type", "AMEND-01", "an appointment amended a second time loses its schedule type",
          shown_by="explore")
behaviour("amend_multi_keeps_first_slot", "AMEND-OTHER-01",
          "an amended multi-slot appointment keeps only its first slot", shown_by="explore")
behaviour("freed_slot_changes_type", "SLOT-TYPE-01",
          "a slot freed by a cancellation is offered again with another slot type", shown_by="explore")
behaviour("cancelled_amend_repeats_version", "AMEND-CANCELLED-01",
          "a refused amendment of a cancelled appointment sets its version back, so a version number repeats",
          shown_by="explore")
behaviour("retrieve_other_patients", "RETR-DATES-01",
          "a retrieve also returns other patients' appointments on the days asked", shown_by="explore")
