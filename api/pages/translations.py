"""The pages' texts, one JSON file per language (api/pages/i18n/<language>.json), and a tenant's own labels
over them. Every key is in every file; tests/pages/test_translations.py holds them to that, and to a
text for every ViolationCode and ErrorCode."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from api.policy import TenantPolicy
from api.policy.pages import LANGUAGES, Language

I18N = Path(__file__).resolve().parent / "i18n"


@functools.cache
def catalogue(language: Language) -> Mapping[str, str]:
    """Read once per process: the files are part of the code, not of the policies."""
    texts = json.loads((I18N / f"{language}.json").read_text(encoding="utf-8"))
    return MappingProxyType(texts)


def texts(language: Language, tenant: TenantPolicy) -> dict[str, str]:
    """The catalogue of the language, with the tenant's labels (`pages.labels`) in place of the pages' own."""
    merged = dict(catalogue(language))
    for attribute, labels in tenant.policy.pages.labels.items():
        if language in labels:
            merged[f"attribute.{attribute}"] = labels[language]
    return merged


def display_name(language: Language, tenant: TenantPolicy) -> str:
    policy = tenant.policy
    return policy.pages.display_name.get(language, policy.display_name)


__all__ = ["LANGUAGES", "catalogue", "display_name", "texts"]
