"""The coordinator console: the web application LOS coordinators, officers and auditors work in.

Server-rendered Swedish HTML with a JSON API under `/api`. Everything a user sees of an
operation is built by the disclosure enforcement point (`services.disclosure.enforce`) and
every view is written to the audit log in the transaction that read it.
"""
