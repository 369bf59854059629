"""The agency developer's kit: `python -m services.adapters new <agency>` writes an agency's own
adapter package from `template/` (a documented CSV format built on the SDK, a sample, tests and
a README), which the adapter finds through the entry-point group `los.agency_formats`."""
