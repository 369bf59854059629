"""MUNI_ALCOHOL: the municipality's alcohol-licensing supervision export (serveringstillstånd), JSON.

Format name `muni-alcohol-tillsyn`, suffix `.json`. The licensing unit's case system exports one
UTF-8 JSON object `{"exportinfo": {...}, "arenden": [...]}`; `exportinfo` (system, municipality,
time of export) is informative and not read. Each element of `arenden` is one post of a case: a
supervision visit (`TILLSYN`) or a decision (`BESLUT`), in registration order. Error messages name
fields by dotted path (`tillstandshavare.organisationsnummer`, `iakttagelser.kod`) and the record by
its 1-based position in `arenden`. Fields (strings unless said otherwise; absent, `null` and `""`
mean the same):

- typ: `TILLSYN` or `BESLUT`; required.
- arendenummer: the post's own number, e.g. `ALK-2026-0031` (letters, digits, `-`, `.`, `/`, `_`,
  `:`); required.
- version: integer, 1 for the first registration, 2, 3 ... for each correction; absent means 1.
- makulerad: boolean, `true` if the post (this `arendenummer` and `version`) is withdrawn.
- makuleringsorsak: why it was withdrawn; required when `makulerad` is `true`.
- registrerad: when the post was registered, ISO 8601 with offset (`2026-03-14T22:40:00+01:00`) or
  Swedish local time (`2026-03-14 22:40`); required.
- samverkansinsats: the LOS operation id, e.g. `NKPG-2026-07`; optional.
- kommun: the municipality of the premises; required for `TILLSYN`, not read for `BESLUT`.
- serveringsstalle: object with `fastighetsbeteckning` (e.g. `Norrköping Butängen 1:12`) and/or
  `adress` (e.g. `Butängsgatan 8, 602 23 Norrköping`), one of them required for `TILLSYN`, and
  `verksamhetstyp`: `RESTAURANG`, `KIOSK`, `BILVERKSTAD`, `BILTVATT`, `TATUERING`, `NAGELSALONG`,
  `FRISOR`, `LIVSMEDELSGROSSIST`, `BYGGARBETSPLATS` or `OVRIGT` (absent: `OVRIGT`).
- tillstandshavare: object with `organisationsnummer` (NNNNNN-NNNN, Luhn-checked, or a sole
  trader's personnummer) and `namn` (required with it): the licence holder, or whoever runs the
  place when it has no licence; optional.
- tillsynstid: `TILLSYN`: when the visit took place; required.
- personer: list of objects `{"personnummer": "...", "roll": "...", "sekretessmarkering": false}`:
  persons present at the visit, or those a decision concerns (e.g. persons with significant
  influence, PBI). `personnummer` 12 or 10 digits, required; `roll` `AGARE`, `STYRELSELEDAMOT`,
  `ANSTALLD`, `EJ_REDOVISAD` or `OVRIG` (absent: `OVRIG`); `sekretessmarkering` boolean, `true`
  for protected identity.
- iakttagelser: `TILLSYN`: list of objects `{"kod", "beskrivning", "antal", "personnummer"}`: `kod`
  A-Z, 0-9, `_` (e.g. `SERVERING_UTAN_TILLSTAND`, `SERVERING_UTANFOR_TILLSTAND`, `BERUSADE_GASTER`,
  `SMUGGELALKOHOL`, `INGEN_SERVERINGSANSVARIG`, `BRISTANDE_MATUTBUD`), `beskrivning` required,
  `antal` an optional count (e.g. bottles), `personnummer` an optional list of the persons the
  observation concerns.
- tillsynsarende: `BESLUT`: the `arendenummer` of the visit it follows; optional.
- beslutstyp: `BESLUT`: `VARNING`, `ATERKALLELSE` or `POLISANMALAN`; required.
- beslutstid: `BESLUT`: when the decision was taken; required.
- lagrum: `BESLUT`: the legal ground; absent means the beslutstyp's usual one (below).
- motivering: `BESLUT`: the decision and its reasons in brief; required.
- overklagande: `BESLUT`: `EJ_OVERKLAGAT` (absent), `OVERKLAGAT`, `FASTSTALLT`, `UPPHAVT`, `LAGA_KRAFT`.

Decision types (alkohollagen (2010:1622)): `VARNING` -> kind varning, "AL 9 kap. 17 §";
`ATERKALLELSE` -> återkallelse of the licence, "AL 9 kap. 18 §"; `POLISANMALAN` -> polisanmälan of
unlicensed serving, "AL 11 kap. 1 §". None carries an amount. Findings and decisions are
Category.MUNICIPAL_DECISION.

Canonical events: a `TILLSYN` is an InspectionConductedV1 (id `event_id_for("MUNI_ALCOHOL",
"tillsyn", arendenummer, version)`), a `BESLUT` a DecisionTakenV1 (record kind `beslut`). The event
time is `registrerad`. Version n > 1 supersedes version n-1 of the same post. A `makulerad` post is
an EventRetractedV1 (record kind `tillsyn.makulering` / `beslut.makulering`) retracting that
`arendenummer` and `version`; its other fields are not read. Personnummer are pseudonymised on
reading and never leave this module in clear.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from schemas.categories import Category
from schemas.decision import DecisionKind, DecisionTaken
from schemas.events import AnyEvent, DecisionTakenV1
from schemas.notification import NotificationSent
from schemas.subjects import Industry
from services.adapters.sdk import native, writers
from services.adapters.sdk.codes import MUNICIPAL_APPEALS, code_for, upper_code
from services.adapters.sdk.mapping import AgencyFormat, MappingContext
from services.adapters.sdk.municipal import Export, Post
from services.adapters.sdk.municipal_json import PostsJson
from services.adapters.sdk.native import Row

AGENCY = "MUNI_ALCOHOL"
CATEGORY = Category.MUNICIPAL_DECISION
DECISIONS: dict[str, tuple[DecisionKind, str]] = {
    "VARNING": (DecisionKind.VARNING, "AL 9 kap. 17 §"),
    "ATERKALLELSE": (DecisionKind.ATERKALLELSE, "AL 9 kap. 18 §"),
    "POLISANMALAN": (DecisionKind.POLISANMALAN, "AL 11 kap. 1 §"),
}
INDUSTRIES = {
    "RESTAURANG": Industry.RESTAURANT, "KIOSK": Industry.KIOSK, "BILVERKSTAD": Industry.CAR_WORKSHOP,
    "BILTVATT": Industry.CAR_WASH, "TATUERING": Industry.TATTOO_STUDIO,
    "NAGELSALONG": Industry.NAIL_SALON, "FRISOR": Industry.HAIRDRESSER,
    "LIVSMEDELSGROSSIST": Industry.FOOD_WHOLESALE, "BYGGARBETSPLATS": Industry.CONSTRUCTION_SITE,
    "OVRIGT": Industry.OTHER,
}
FIELD_NAMES = {
    "operation_id": "samverkansinsats", "municipality": "kommun",
    "premises.fastighetsbeteckning": "serveringsstalle.fastighetsbeteckning",
    "premises.address": "serveringsstalle.adress", "findings": "iakttagelser.beskrivning",
    "summary": "motivering", "legal_reference": "lagrum", "reason": "makuleringsorsak",
}


class TillsynJson(PostsJson):
    name = "muni-alcohol-tillsyn"
    description = "The municipality's alcohol-licensing case system: visits and AL decisions, JSON"
    export = Export(AGENCY, CATEGORY, "tillsyn", {"TILLSYN": "tillsyn", "BESLUT": "beslut"},
                    inspection="tillsyn", visited="tillsynstid", follows="tillsynsarende", type_field="typ",
                    premises="serveringsstalle.", industries=INDUSTRIES, business="tillstandshavare.")
    posts, post = "arenden", "a post"
    field_names = FIELD_NAMES

    def decision(self, post: Post, row: Row, record: Mapping[str, Any], common: dict[str, Any],
                 ctx: MappingContext) -> AnyEvent:
        decision_kind, legal = upper_code(DECISIONS, row.get("beslutstyp", ""), "beslutstyp")
        decision = DecisionTaken.model_validate({
            **common, **post.decision_head(row), "kind": decision_kind, "category": CATEGORY,
            "legal_reference": row.get("lagrum") or legal, "summary": native.required(row, "motivering"),
            **post.decision_tail(row, lambda: self.persons(record, ctx))})
        return post.event(DecisionTakenV1, decision, ctx)

    def decided(self, event_id: UUID, data: DecisionTaken | NotificationSent,
                record: dict[str, Any]) -> dict[str, Any]:
        assert isinstance(data, DecisionTaken)
        code = next((c for c, (k, _) in DECISIONS.items() if k == data.kind), None)
        if code is None or data.category != CATEGORY or data.amount_sek is not None:
            raise ValueError(f"{event_id}: a {data.kind} decision in {data.category} with amount "
                             f"{data.amount_sek} has no place in this format")
        return writers.present({**record, "tillsynsarende": data.inspection_ref, "beslutstyp": code,
                                "beslutstid": data.decided_at.isoformat(), "lagrum": data.legal_reference,
                                "motivering": data.summary,
                                "overklagande": code_for(MUNICIPAL_APPEALS, data.appeal_status)})


FORMATS: list[AgencyFormat] = [TillsynJson()]
