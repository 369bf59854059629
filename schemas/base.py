"""The base of every contract model: frozen, strict about unknown fields, and careful not
to echo personal data in validation errors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """A published data shape. Unknown fields are errors: a producer on a newer version must
    publish the newer type version, never smuggle fields into an old one."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
        use_enum_values=False,
        ser_json_timedelta="iso8601",
    )
