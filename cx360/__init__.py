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
    OverrideConflictError,
    ResolutionError,
    SchemaError,
    StoreError,
    StoreIntegrityError,
    StoreVersionError,
)
from cx360._hub import Hub, connect
from cx360.models import (
    CaseMeasures,
    ChannelContacts,
    ChannelRecord,
    ComparisonContribution,
    ContactMeasures,
    CxReport,
    DurationStats,
    IngestReport,
    IngestResult,
    Interaction,
    LinkHop,
    Override,
    PairExplanation,
    QuarantineReason,
    RecordExplanation,
    RecordPath,
    RecordRef,
    ResolveReport,
    UnresolvedInteractions,
)
from cx360.resolve import GuardLimits

__version__ = "0.1.0"

__all__ = [
    "CaseMeasures",
    "ChannelContacts",
    "ChannelRecord",
    "ComparisonContribution",
    "ConfigurationError",
    "ContactMeasures",
    "Cx360Error",
    "CxReport",
    "DurationStats",
    "GuardLimits",
    "Hub",
    "IngestReport",
    "IngestResult",
    "InputError",
    "InputFormatError",
    "Interaction",
    "LinkHop",
    "MissingDependencyError",
    "NotFoundError",
    "Override",
    "OverrideConflictError",
    "PairExplanation",
    "QuarantineReason",
    "RecordExplanation",
    "RecordPath",
    "RecordRef",
    "ResolutionError",
    "ResolveReport",
    "SchemaError",
    "StoreError",
    "StoreIntegrityError",
    "StoreVersionError",
    "UnresolvedInteractions",
    "__version__",
    "connect",
]
