"""What every resolver gets: the use cases and who is calling."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from api.registration import Caller, UseCases


@dataclass(frozen=True, slots=True)
class Context:
    use_cases: UseCases
    caller: Caller


Info = strawberry.Info[Context, None]
