"""The agency's own feed, into its case system: `python -m services.adapters feed`.

`checks` judges a record (valid? news to the destination?), `store` keeps what each
destination was given and the logs, `sinks` delivers (files or HTTP), `reader` consumes
`los.feed.<agency>` and commits only what was handled, `command` is the CLI.
"""
