"""Imports every model module so ``Base.metadata`` knows all tables (Alembic, tests)."""

from core.auth import models as auth_models  # noqa: F401
from core.events import models as events_models  # noqa: F401
from core.registry.areas import models as area_models  # noqa: F401
