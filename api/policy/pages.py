"""The `pages:` section of a policy: how the hosted registration pages (api/pages) look for one tenant.

Every key is optional: a tenant without the section gets the pages in English and Japanese, under its
`display_name`, in regapi's colours, with no way back to an app. The checks that need the rest of the
policy (labels only for attributes it names, languages it lists) are in `api.policy.checks`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, field_validator

Language = Literal["en", "ja"]
# The languages the pages are translated into (api/pages/i18n/<language>.json): the one list of them.
LANGUAGES: tuple[Language, ...] = get_args(Language)

_URL_PATTERN = r"^https?://[^\s/?#@]+([/?#]\S*)?$"
_COLOR = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # a malformed IPv6 literal, say
        host = None
    if not re.match(_URL_PATTERN, value) or not host:
        raise ValueError("must be an http or https URL with a host and no user name, such as https://app.example.com/")
    return value


def _color(value: str) -> str:
    if not _COLOR.match(value):
        raise ValueError('must be a colour as #rgb or #rrggbb, such as "#0a5"')
    return value


# An absolute http(s) URL with a host and no user info: what a link or an image on the pages may point at.
# The pattern is repeated for editors (the JSON Schema); the check gives people a message they can act on.
HttpUrl = Annotated[
    StrictStr, Field(max_length=2048, json_schema_extra={"pattern": _URL_PATTERN}), AfterValidator(_http_url)
]
Color = Annotated[StrictStr, Field(json_schema_extra={"pattern": _COLOR.pattern}), AfterValidator(_color)]
# Text shown on the pages: one line, of a sensible length.
PageText = Annotated[StrictStr, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]


class Pages(BaseModel):
    # The same strictness as the other sections (api.policy.model._Section); repeated here, since the
    # model module imports this one.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    languages: Annotated[list[Language], Field(min_length=1)] = Field(default_factory=lambda: list(LANGUAGES))
    """The pages' languages (en, ja); the first is used when neither ?lang= nor Accept-Language names one."""
    display_name: dict[Language, PageText] = Field(default_factory=dict)
    """The tenant's name on the pages, per language; default: the policy's display_name."""
    logo_url: HttpUrl | None = None
    """The logo shown beside the name, fetched and served by regapi: https (production fetches no http one)."""
    primary_color: Color | None = None
    """The colour of buttons and the page's band, #rgb or #rrggbb; text on it is black or white, whichever reads."""
    return_url: HttpUrl | None = None
    """Where a finished flow leads: the tenant's app (https; an http one is warned about in production)."""
    labels: dict[StrictStr, dict[Language, PageText]] = Field(default_factory=dict)
    """Field labels per attribute and language, replacing the pages' own (custom:plan: {en: Plan, ja: プラン})."""

    @field_validator("logo_url", "primary_color", "return_url", mode="before")
    @classmethod
    def _given(cls, value: Any) -> Any:
        # Only a key written without a value gets here as None: `primary_color: #0a5` is one, since YAML
        # reads the rest of the line as a comment. Said, rather than served in the default colour.
        if value is None:
            raise ValueError('has no value (in YAML, # starts a comment: quote it, "#0a5"), or remove the key')
        return value

    @field_validator("languages")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a language twice")
        return value
