"""`python -m services.coordinator`: run one coordinator process (several may share the group)."""

from __future__ import annotations

import asyncio
import logging

from services.coordinator.bootstrap import build_app
from services.coordinator.settings import CoordinatorSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app, _ = build_app(CoordinatorSettings())
    asyncio.run(app.run())


if __name__ == "__main__":
    main()
