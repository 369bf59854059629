"""MUNI_BUILDING: the byggnadsnämnd's supervision export (tillsyn enligt PBL 11 kap.), CSV.

Format name `muni-building-tillsyn`, suffix `.csv`. The case system of the building committee
exports its supervision cases as one semicolon-separated UTF-8 file (a BOM is tolerated) with
a header row naming every column below, in any order (a header without one of them is one error,
and then no post of the file is mapped). One row is one post (handling) of a case: either a site
visit (`TILLSYN`) or a decision (`BESLUT`). Multi-valued cells separate their
values with `|`; parallel columns (`personnummer`/`personroll`/`sekretessmarkering`,
`iakttagelsekod`/`iakttagelse`/`antal`) hold the same number of values, position by position.

Columns (name: meaning; allowed values):

- posttyp: `TILLSYN` (site visit with observations) or `BESLUT` (decision); required.
- arendenummer: the post's own number, e.g. `BN-2026-000412` (letters, digits, `-`, `.`, `/`, `_`,
  `:`); required.
- version: 1 for the first registration, 2, 3 ... for each correction; empty means 1.
- makulerad: `J` if the post (this `arendenummer` and `version`) is withdrawn, else `N` or empty.
- makuleringsorsak: why it was withdrawn; required when `makulerad` is `J`.
- registrerad: when the post was registered, `2026-03-14 11:02` (Swedish local time) or ISO 8601
  with offset (`2026-03-14T11:02:00+01:00`); required.
- samverkansinsats: the LOS operation id, e.g. `NKPG-2026-07`; optional.
- kommun: the municipality of the premises; required for `TILLSYN`, not read for `BESLUT`.
- fastighetsbeteckning: e.g. `Norrköping Sandgatan 2:14`; this or `adress` is required for `TILLSYN`.
- adress: street address with postal code and city, e.g. `Sandgatan 14 B, 602 22 Norrköping`.
- verksamhetstyp: `BILVERKSTAD`, `BILTVATT`, `TATUERING`, `NAGELSALONG`, `FRISOR`, `RESTAURANG`,
  `KIOSK`, `LIVSMEDELSGROSSIST`, `BYGGARBETSPLATS` or `OVRIGT` (empty: `OVRIGT`).
- organisationsnummer: the business (NNNNNN-NNNN, Luhn-checked) or a sole trader's personnummer;
  optional.
- foretagsnamn: the business's name; required with `organisationsnummer`.
- personnummer: persons present (`TILLSYN`) or addressed (`BESLUT`), 12 or 10 digits, `|`-separated.
- personroll: per person `AGARE`, `STYRELSELEDAMOT`, `ANSTALLD`, `EJ_REDOVISAD` or `OVRIG`
  (empty: `OVRIG`).
- sekretessmarkering: per person `J` if the person has protected identity, else `N` (empty: `N`).
- besokstid: when the site visit took place (as `registrerad`); required for `TILLSYN`.
- iakttagelsekod: `TILLSYN` observation codes (A-Z, 0-9, `_`), e.g.
  `ANVANDNING_STRIDER_MOT_DETALJPLAN`, `ANDRAD_ANVANDNING_UTAN_LOV`, `BYGGATGARD_UTAN_STARTBESKED`,
  `OVERNATTNING_I_LOKAL`.
- iakttagelse: per observation, what was seen; required for each code.
- antal: per observation, a count (e.g. persons sleeping on site) or empty.
- tillsynsarende: `BESLUT`: the `arendenummer` of the site visit it follows; optional.
- beslutstyp: `BESLUT`: `BYGGSANKTIONSAVGIFT`, `RATTELSEFORELAGGANDE` or `ANVANDNINGSFORBUD`; required.
- beslutstid: `BESLUT`: when the committee (or its delegate) decided (as `registrerad`); required.
- lagrum: `BESLUT`: the legal ground; empty means the beslutstyp's usual one (below).
- beskrivning: `BESLUT`: the decision in brief; required. A ban or injunction förenat med vite
  (PBL 11 kap. 37 §) states the vite here.
- belopp: `BESLUT`: whole kronor, not negative; required for `BYGGSANKTIONSAVGIFT`, empty otherwise.
- overklagande: `BESLUT`: `EJ_OVERKLAGAT` (or empty), `OVERKLAGAT`, `FASTSTALLT`, `UPPHAVT` or
  `LAGA_KRAFT`.

Decision types: `BYGGSANKTIONSAVGIFT` -> kind byggsanktionsavgift, amount IMPOSED, "PBL 11 kap. 51 §";
`RATTELSEFORELAGGANDE` -> föreläggande, "PBL 11 kap. 20 §"; `ANVANDNINGSFORBUD` -> förbud, "PBL 11 kap.
33 §" (with vite usually written "PBL 11 kap. 33 och 37 §§"; a vite is not yet imposed, so it carries no
amount). Findings and decisions are Category.MUNICIPAL_DECISION.

Canonical events: a `TILLSYN` row is an InspectionConductedV1 (id `event_id_for("MUNI_BUILDING",
"tillsyn", arendenummer, version)`), a `BESLUT` row a DecisionTakenV1 (record kind `beslut`). The event
time is `registrerad`. Version n > 1 supersedes version n-1 of the same post. A row with `makulerad=J`
is an EventRetractedV1 (record kind `tillsyn.makulering` / `beslut.makulering`) retracting that
`arendenummer` and `version`; its other columns are not read. Personnummer are pseudonymised on reading
and never leave this module in clear.
"""

from __future__ import annotations

from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind
from services.adapters.sdk.codes import J_OR_N
from services.adapters.sdk.mapping import AgencyFormat
from services.adapters.sdk.municipal import Export
from services.adapters.sdk.tillsyn_csv import Decisions, TillsynCsv

AGENCY = "MUNI_BUILDING"
DECISIONS: Decisions = {
    "BYGGSANKTIONSAVGIFT": (DecisionKind.BYGGSANKTIONSAVGIFT, AmountKind.IMPOSED, "PBL 11 kap. 51 §"),
    "RATTELSEFORELAGGANDE": (DecisionKind.FORELAGGANDE, None, "PBL 11 kap. 20 §"),
    "ANVANDNINGSFORBUD": (DecisionKind.FORBUD, None, "PBL 11 kap. 33 §"),
}
EXPORT = Export(AGENCY, Category.MUNICIPAL_DECISION, "tillsyn", {"TILLSYN": "tillsyn", "BESLUT": "beslut"},
                inspection="tillsyn", visited="besokstid", follows="tillsynsarende", yes_no=J_OR_N,
                business_name="foretagsnamn")

FORMATS: list[AgencyFormat] = [TillsynCsv(
    name="muni-building-tillsyn",
    description="Byggnadsnämnden's case system: PBL supervision visits and decisions, semicolon CSV",
    export=EXPORT, decisions=DECISIONS, observed=("iakttagelsekod", "iakttagelse", "observation"),
    summary="beskrivning")]
