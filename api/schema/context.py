"""What every resolver gets: the use cases and who is calling."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from api.registration import Caller, UseCases


@dataclass(slots=True)
class Context:
    use_cases: UseCases
    caller: Caller
    # What the request's first root field answered, noted as it answers (api.schema.observed) for the
    # request's metric: the one mutable part, written once per request.
    operation: str | None = None
    outcome: str | None = None


Info = strawberry.Info[Context, None]
