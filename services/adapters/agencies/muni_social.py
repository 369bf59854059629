"""MUNI_SOCIAL: the socialtjänst's LOS export (observations, återkrav, FUT notices), JSON.

Format name `muni-social-los`, suffix `.json`. The social services' case system exports, for the
LOS collaboration only, one UTF-8 JSON object `{"exportinfo": {...}, "poster": [...]}`; `exportinfo`
is informative and not read. Each element of `poster` is one document, in registration order: an
observation made when social workers took part in a joint inspection (`IAKTTAGELSE`), a decision
(`BESLUT`), or a notice to another agency (`UNDERRATTELSE`). This is client data under OSL 26 kap.:
everything maps to Category.SOCIAL_SERVICES. Error messages name fields by dotted path
(`arbetsgivare.organisationsnummer`, `personer.personnummer`) and the document by its 1-based
position in `poster`. Fields (strings unless said otherwise; absent, `null` and `""` mean the same):

- posttyp: `IAKTTAGELSE`, `BESLUT` or `UNDERRATTELSE`; required.
- dokumentnummer: the document's own number, e.g. `SOC-2026-0117` (letters, digits, `-`, `.`, `/`,
  `_`, `:`); required.
- version: integer, 1 for the first registration, 2, 3 ... for each correction; absent means 1.
- makulerad: boolean, `true` if the document (this `dokumentnummer` and `version`) is withdrawn.
- makuleringsorsak: why it was withdrawn; required when `makulerad` is `true`.
- registrerad: when the document was registered (for a notice: sent), ISO 8601 with offset
  (`2026-03-20T10:15:00+01:00`) or Swedish local time (`2026-03-20 10:15`); required.
- samverkansinsats: the LOS operation id, e.g. `NKPG-2026-07`; optional.
- kommun: the municipality of the premises; required for `IAKTTAGELSE`, not read otherwise.
- plats: object with `fastighetsbeteckning` and/or `adress` (one required for `IAKTTAGELSE`) and
  `verksamhetstyp`: `BILVERKSTAD`, `BILTVATT`, `TATUERING`, `NAGELSALONG`, `FRISOR`, `RESTAURANG`,
  `KIOSK`, `LIVSMEDELSGROSSIST`, `BYGGARBETSPLATS` or `OVRIGT` (absent: `OVRIGT`).
- arbetsgivare: object with `organisationsnummer` (NNNNNN-NNNN, Luhn-checked, or a sole trader's
  personnummer) and `namn` (required with it): the business at the premises; optional.
- besokstid: `IAKTTAGELSE`: when the inspection took place; required.
- personer: list of `{"personnummer": "...", "roll": "...", "sekretessmarkering": false}`: persons
  met (`IAKTTAGELSE`), the person a decision concerns, or whom a notice is about. `personnummer` 12
  or 10 digits (or samordningsnummer), required; `roll` `AGARE`, `STYRELSELEDAMOT`, `ANSTALLD`,
  `EJ_REDOVISAD` or `OVRIG` (absent: `OVRIG`); `sekretessmarkering` boolean, `true` for a person
  with protected identity (these must never be revealed).
- iakttagelser: `IAKTTAGELSE`: list of `{"kod", "beskrivning", "antal", "personnummer"}`: `kod` A-Z,
  0-9, `_` (e.g. `BEHOV_AV_STOD` a person who needs help, `MISSTANKT_EXPLOATERING` suspected labour
  exploitation, `ARBETE_UNDER_BISTAND` a person receiving ekonomiskt bistånd found working,
  `BOENDE_I_LOKAL` persons living on the premises), `beskrivning` required, `antal` optional
  count, `personnummer` optional list of the persons it concerns.
- besoksreferens: `BESLUT`: the `dokumentnummer` of the observation it follows; optional.
- beslutstyp: `BESLUT`: `ATERKRAV` or `POLISANMALAN`; required.
- beslutstid: `BESLUT`: when the social welfare committee (or its delegate) decided; required.
- lagrum: `BESLUT`: legal ground; absent means the beslutstyp's usual one (below).
- beslutstext: `BESLUT`: the decision in brief; required.
- belopp: `BESLUT`: integer, whole kronor, not negative; required for `ATERKRAV`, absent otherwise.
- overklagande: `BESLUT`: `EJ_OVERKLAGAT` (absent), `OVERKLAGAT`, `FASTSTALLT`, `UPPHAVT`, `LAGA_KRAFT`.
- mottagare: `UNDERRATTELSE`: the receiving agency by its name in schemas/agencies.yaml (e.g.
  `Försäkringskassan`, `Arbetsförmedlingen`, `Skatteverket`) or its LOS code; required.
- lagstod: `UNDERRATTELSE`: the provision obliging the notice; absent means "Lag (2008:206) 3 §"
  (FUT: a benefit seems wrongly paid).
- meddelande: `UNDERRATTELSE`: what the recipient is told; required.

Decision types: `ATERKRAV` -> kind återkrav of ekonomiskt bistånd wrongly paid, amount RECOVERED,
"SoL 9 kap. 1 §"; `POLISANMALAN` -> polisanmälan of suspected bidragsbrott, "Bidragsbrottslag
(2007:612) 6 §".

Canonical events: an `IAKTTAGELSE` is an InspectionConductedV1 (id `event_id_for("MUNI_SOCIAL",
"iakttagelse", dokumentnummer, version)`), a `BESLUT` a DecisionTakenV1 (record kind `beslut`), an
`UNDERRATTELSE` a NotificationSentV1 (record kind `underrattelse`). The event time is `registrerad`.
Version n > 1 supersedes version n-1 of the same document. A `makulerad` document is an
EventRetractedV1 (record kind `<kind>.makulering`) retracting that `dokumentnummer` and `version`;
its other fields are not read. Personnummer are pseudonymised on reading and never leave this module
in clear.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from schemas.agencies import load_agencies
from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind, DecisionTaken
from schemas.events import AnyEvent, DecisionTakenV1, NotificationSentV1
from schemas.inspection import InspectionConducted
from schemas.notification import NotificationSent
from services.adapters.sdk import municipal, native, writers
from services.adapters.sdk.codes import MUNICIPAL_APPEALS, code_for, upper_code
from services.adapters.sdk.mapping import AgencyFormat, MappingContext
from services.adapters.sdk.municipal import Export, Key, Post
from services.adapters.sdk.municipal_json import PostsJson, Written
from services.adapters.sdk.native import FieldError, Row

AGENCY = "MUNI_SOCIAL"
CATEGORY = Category.SOCIAL_SERVICES
FUT = "Lag (2008:206) 3 §"
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None, str]] = {
    "ATERKRAV": (DecisionKind.ATERKRAV, AmountKind.RECOVERED, "SoL 9 kap. 1 §"),
    "POLISANMALAN": (DecisionKind.POLISANMALAN, None, "Bidragsbrottslag (2007:612) 6 §"),
}
SUMMARY_FIELDS = {"beslut": "beslutstext", "underrattelse": "meddelande"}
FIELD_NAMES = {
    "operation_id": "samverkansinsats", "municipality": "kommun",
    "premises.fastighetsbeteckning": "plats.fastighetsbeteckning", "premises.address": "plats.adress",
    "findings": "iakttagelser.beskrivning", "legal_reference": "lagrum", "legal_basis": "lagstod",
    "reason": "makuleringsorsak",
}


def _recipient(row: Row, me: str) -> str:
    given = native.required(row, "mottagare")
    agencies = {code: code for code in load_agencies()}
    agencies |= {agency.name.casefold(): code for code, agency in load_agencies().items()}
    code = agencies.get(given) or agencies.get(given.casefold())
    if code is None or code == me:
        raise FieldError("mottagare", f"{given!r} is not another LOS participant of schemas/agencies.yaml")
    return code


class LosExportJson(PostsJson):
    name = "muni-social-los"
    description = "Socialtjänsten's case system: LOS observations, återkrav and FUT notices, JSON"
    export = Export(AGENCY, CATEGORY, "LOS", {"IAKTTAGELSE": "iakttagelse", "BESLUT": "beslut",
                                              "UNDERRATTELSE": "underrattelse"},
                    inspection="iakttagelse", visited="besokstid", follows="besoksreferens",
                    number_field="dokumentnummer", premises="plats.", business="arbetsgivare.")
    posts, post = "poster", "a document"
    field_names = FIELD_NAMES

    def decision(self, post: Post, row: Row, record: Mapping[str, Any], common: dict[str, Any],
                 ctx: MappingContext) -> AnyEvent:
        summary = native.required(row, SUMMARY_FIELDS[post.kind])
        if len(summary) > 2000:
            raise FieldError(SUMMARY_FIELDS[post.kind], f"is {len(summary)} characters, at most 2000")
        if post.kind == "underrattelse":
            notice = NotificationSent.model_validate({
                **common, "notification_ref": post.number, "to_agency": _recipient(row, self.agency),
                "legal_basis": row.get("lagstod") or FUT, "category": CATEGORY, "summary": summary,
                "premises": municipal.premises(row, self.export, needed=False),
                "persons": self.persons(record, ctx)})
            return post.event(NotificationSentV1, notice, ctx)
        decision_kind, amount_kind, legal = upper_code(DECISIONS, row.get("beslutstyp", ""), "beslutstyp")
        amount = municipal.amount(row, amount_kind)
        decision = DecisionTaken.model_validate({
            **common, **post.decision_head(row), "kind": decision_kind, "category": CATEGORY,
            "legal_reference": row.get("lagrum") or legal, "summary": summary, "amount_sek": amount,
            "amount_kind": amount_kind if amount is not None else None,
            **post.decision_tail(row, lambda: self.persons(record, ctx))})
        return post.event(DecisionTakenV1, decision, ctx)

    def record(self, event: Written, key: Key, clear_ids: Mapping[str, str]) -> dict[str, Any]:
        data = event.data
        if not isinstance(data, InspectionConducted) and data.category != CATEGORY:
            raise ValueError(f"{event.id}: everything in this format is {CATEGORY}, not {data.category}")
        return super().record(event, key, clear_ids)

    def decided(self, event_id: UUID, data: DecisionTaken | NotificationSent,
                record: dict[str, Any]) -> dict[str, Any]:
        if isinstance(data, NotificationSent):
            return writers.present({**record, "mottagare": load_agencies()[data.to_agency].name,
                                    "lagstod": data.legal_basis, "meddelande": data.summary})
        code = next((c for c, (k, a, _) in DECISIONS.items() if k == data.kind and a == data.amount_kind),
                    None)
        if code is None:
            raise ValueError(f"{event_id}: a {data.kind} decision with amount kind {data.amount_kind} "
                             "has no beslutstyp in this format")
        return writers.present({**record, "besoksreferens": data.inspection_ref, "beslutstyp": code,
                                "beslutstid": data.decided_at.isoformat(), "lagrum": data.legal_reference,
                                "beslutstext": data.summary, "belopp": data.amount_sek,
                                "overklagande": code_for(MUNICIPAL_APPEALS, data.appeal_status)})


FORMATS: list[AgencyFormat] = [LosExportJson()]
