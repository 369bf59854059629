-- Nothing derived across agencies is kept without the disclosure rules (docs/security.md,
-- "Side channels"). Cross-agency signals were computed over every category, stored with no
-- rule, audit entry or erasure: the console now computes each viewer's signals, when shown,
-- from what the rules let that viewer see (services/console/signals.py).
DROP TABLE signals;
-- An unfiltered sum over every operation's record (no service has been granted it since 010):
-- results are counted by the console over each viewer's own views.
DROP VIEW results_by_month;
