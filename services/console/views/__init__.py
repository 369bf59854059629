"""One module per page (HTML under Swedish paths, JSON under /api)."""
