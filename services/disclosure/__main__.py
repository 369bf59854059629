"""`python -m services.disclosure`: the per-agency feeds behind the disclosure rules."""

from __future__ import annotations

import asyncio
import logging

from services.disclosure.service import build_app
from services.disclosure.settings import FeedSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(build_app(FeedSettings()).run())


if __name__ == "__main__":
    main()
