"""Imports every model module so ``Base.metadata`` knows all tables (Alembic, tests)."""

from core.auth import models as auth_models  # noqa: F401
from core.events import models as events_models  # noqa: F401
from core.incidents import match_models, need_models  # noqa: F401
from core.incidents import models as incident_models  # noqa: F401
from core.registry.areas import models as area_models  # noqa: F401
from core.registry.depots import models as depot_models  # noqa: F401
from core.registry.households import models as household_models  # noqa: F401
from core.registry.items import models as item_models  # noqa: F401
from core.registry.orgs import models as org_models  # noqa: F401
from core.registry.volunteers import models as volunteer_models  # noqa: F401
from core.stock import models as stock_models  # noqa: F401
