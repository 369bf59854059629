"""The pseudonym service: the only holder of the OPRF key that makes person pseudonyms.

Adapters send blinded personnummer (RFC 9497) in signed batches and get them back evaluated;
the service never sees a number and an adapter never holds the key. Each participant may
have a limited number evaluated per day, and every batch served is an audit entry
(docs/security.md).
"""
