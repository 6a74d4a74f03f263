"""Classification handbooks (分类手册): shipped plan templates, one YAML file per name.

``plans/templates/<name>.yaml`` is a :class:`~plans.schema.PlanDocument` (names are the
hazard codes). A community starts its plan from one and fills in its own people,
shelters, assembly points and grid workers.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from core.errors import NotFound
from plans.schema import PlanDocument

TEMPLATE_DIR = Path(__file__).with_name("templates")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,79}$")


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """One handbook as listed: its name, hazard, category, title and sources."""

    name: str
    hazard: str
    category: str
    title: str
    source: str


def template_names() -> list[str]:
    """The names of the shipped templates, sorted."""
    return sorted(p.stem for p in TEMPLATE_DIR.glob("*.yaml"))


@lru_cache(maxsize=32)
def _raw(name: str) -> dict[str, Any]:
    if not _NAME_RE.match(name) or not (TEMPLATE_DIR / f"{name}.yaml").is_file():
        raise NotFound(f"no plan template named {name!r}; known: {', '.join(template_names())}")
    data = yaml.safe_load((TEMPLATE_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"template {name} is not a mapping")
    return data


def load_template(name: str) -> dict[str, Any]:
    """A fresh copy of the template ``name`` as a plain dict (404 if there is none)."""
    return copy.deepcopy(_raw(name))


def template_document(name: str) -> PlanDocument:
    """The template ``name`` validated against the shipped item catalogue."""
    return PlanDocument.model_validate(load_template(name))


def list_templates() -> list[TemplateInfo]:
    """Every shipped template, by name."""
    out = []
    for name in template_names():
        doc = template_document(name)
        category = doc.category.value if doc.category else ""
        out.append(TemplateInfo(name, doc.hazard.value, category, doc.title, doc.source))
    return out
