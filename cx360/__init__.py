"""cx360: customer 360 profiles from omnichannel records.

```python
import cx360

with cx360.connect("sqlite:///customers.db") as hub:
    hub.ingest(records=[{"source": "whatsapp", "source_record_id": "wa-1", "phone": "300 1234567"}])
```
"""

from cx360._errors import (
    ConfigurationError,
    Cx360Error,
    InputError,
    InputFormatError,
    MissingDependencyError,
    NotFoundError,
    ResolutionError,
    SchemaError,
    StoreError,
    StoreIntegrityError,
    StoreVersionError,
)
from cx360._hub import Hub, connect
from cx360.models import (
    ChannelRecord,
    IngestReport,
    IngestResult,
    Interaction,
    QuarantineReason,
    ResolveReport,
)
from cx360.resolve import GuardLimits

__version__ = "0.1.0"

__all__ = [
    "ChannelRecord",
    "ConfigurationError",
    "Cx360Error",
    "GuardLimits",
    "Hub",
    "IngestReport",
    "IngestResult",
    "InputError",
    "InputFormatError",
    "Interaction",
    "MissingDependencyError",
    "NotFoundError",
    "QuarantineReason",
    "ResolutionError",
    "ResolveReport",
    "SchemaError",
    "StoreError",
    "StoreIntegrityError",
    "StoreVersionError",
    "__version__",
    "connect",
]
