"""MUNI_ENV_HEALTH: the miljö- och hälsoskyddsnämnd's control export (livsmedel, miljö), CSV.

Format name `muni-env-health-kontroll`, suffix `.csv`. The environment and health committee's case
system exports food controls (livsmedelskontroll) and environmental supervision (e.g. chemicals
and hazardous waste at car workshops) as one semicolon-separated UTF-8 file (a BOM is tolerated)
with a header row naming every column below, in any order (a header without one of them is one
error, and then no post of the file is mapped). One row is one post of a case: a control visit
(`KONTROLL`) or a decision (`BESLUT`). Multi-valued cells separate their values with `|`;
parallel columns (`personnummer`/`personroll`/`sekretessmarkering`, `avvikelsekod`/`avvikelse`/
`antal`) hold the same number of values, position by position.

Columns (name: meaning; allowed values):

- posttyp: `KONTROLL` (control visit with deviations found) or `BESLUT` (decision); required.
- diarienummer: the post's own number, e.g. `MHN-2026-001187` (letters, digits, `-`, `.`, `/`, `_`,
  `:`); required.
- version: 1 for the first registration, 2, 3 ... for each correction; empty means 1.
- makulerad: `J` if the post (this `diarienummer` and `version`) is withdrawn, else `N` or empty.
- makuleringsorsak: why it was withdrawn; required when `makulerad` is `J`.
- registrerad: when the post was registered, `2026-03-14 11:02` (Swedish local time) or ISO 8601
  with offset (`2026-03-14T11:02:00+01:00`); required.
- los_insats: the LOS operation id, e.g. `NKPG-2026-07`; optional.
- kommun: the municipality of the premises; required for `KONTROLL`, not read for `BESLUT`.
- fastighetsbeteckning: e.g. `Norrköping Butängen 1:12`; this or `besoksadress` is required for
  `KONTROLL`.
- besoksadress: street address with postal code and city, e.g. `Butängsgatan 8, 602 23 Norrköping`.
- anlaggningstyp: `BILVERKSTAD`, `BILTVATT`, `TATUERING`, `NAGELSALONG`, `FRISOR`, `RESTAURANG`,
  `KIOSK`, `LIVSMEDELSGROSSIST`, `BYGGARBETSPLATS` or `OVRIGT` (empty: `OVRIGT`).
- organisationsnummer: the operator (NNNNNN-NNNN, Luhn-checked) or a sole trader's personnummer;
  optional.
- verksamhetsutovare: the operator's name; required with `organisationsnummer`.
- personnummer: persons present (`KONTROLL`) or addressed (`BESLUT`), 12 or 10 digits, `|`-separated.
- personroll: per person `AGARE`, `STYRELSELEDAMOT`, `ANSTALLD`, `EJ_REDOVISAD` or `OVRIG`
  (empty: `OVRIG`).
- sekretessmarkering: per person `J` if the person has protected identity, else `N` (empty: `N`).
- kontrolltid: when the control took place (as `registrerad`); required for `KONTROLL`.
- avvikelsekod: `KONTROLL` deviation codes (A-Z, 0-9, `_`), e.g. `BRISTANDE_RENGORING`,
  `TEMPERATUR_KYLFORVARING`, `SPARBARHET_SAKNAS`, `OREGISTRERAD_LIVSMEDELSANLAGGNING`,
  `KEMIKALIER_UTAN_INVALLNING`, `FARLIGT_AVFALL_FORVARING`.
- avvikelse: per deviation, what was found; required for each code.
- antal: per deviation, a count (e.g. kilos of meat of unknown origin, drums) or empty.
- kontrollarende: `BESLUT`: the `diarienummer` of the control it follows; optional.
- beslutstyp: `BESLUT`: `SANKTIONSAVGIFT`, `FORELAGGANDE` or `FORBUD`; required.
- beslutstid: `BESLUT`: when the committee (or its delegate) decided (as `registrerad`); required.
- lagrum: `BESLUT`: the legal ground; empty means the beslutstyp's usual one under the Food Act
  (below). Decisions under the Environmental Code say so here: `MB 26 kap. 9 §` for förelägganden
  and förbud, `MB 30 kap. 1 §` (with förordning (2012:259)) for miljösanktionsavgift.
- beslutstext: `BESLUT`: the decision in brief; required.
- belopp: `BESLUT`: whole kronor, not negative; required for `SANKTIONSAVGIFT`, empty otherwise.
- overklagande: `BESLUT`: `EJ_OVERKLAGAT` (or empty), `OVERKLAGAT`, `FASTSTALLT`, `UPPHAVT` or
  `LAGA_KRAFT`.

Decision types: `SANKTIONSAVGIFT` -> kind sanktionsavgift, amount IMPOSED, "LL 30 §" (livsmedelslagen
(2006:804)); `FORELAGGANDE` -> föreläggande, "LL 22 §"; `FORBUD` -> förbud, "LL 22 §" (e.g. a ban on
selling meat of unknown origin). Findings and decisions are Category.MUNICIPAL_DECISION.

Canonical events: a `KONTROLL` row is an InspectionConductedV1 (id `event_id_for("MUNI_ENV_HEALTH",
"kontroll", diarienummer, version)`), a `BESLUT` row a DecisionTakenV1 (record kind `beslut`). The
event time is `registrerad`. Version n > 1 supersedes version n-1 of the same post. A row with
`makulerad=J` is an EventRetractedV1 (record kind `kontroll.makulering` / `beslut.makulering`)
retracting that `diarienummer` and `version`; its other columns are not read. Personnummer are
pseudonymised on reading and never leave this module in clear.
"""

from __future__ import annotations

from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind
from services.adapters.sdk.codes import J_OR_N
from services.adapters.sdk.mapping import AgencyFormat
from services.adapters.sdk.municipal import Export
from services.adapters.sdk.tillsyn_csv import Decisions, TillsynCsv

AGENCY = "MUNI_ENV_HEALTH"
DECISIONS: Decisions = {
    "SANKTIONSAVGIFT": (DecisionKind.SANKTIONSAVGIFT, AmountKind.IMPOSED, "LL 30 §"),
    "FORELAGGANDE": (DecisionKind.FORELAGGANDE, None, "LL 22 §"),
    "FORBUD": (DecisionKind.FORBUD, None, "LL 22 §"),
}
EXPORT = Export(AGENCY, Category.MUNICIPAL_DECISION, "kontroll", {"KONTROLL": "kontroll", "BESLUT": "beslut"},
                inspection="kontroll", visited="kontrolltid", follows="kontrollarende", yes_no=J_OR_N,
                number_field="diarienummer", operation_field="los_insats", address="besoksadress",
                industry="anlaggningstyp", business_name="verksamhetsutovare")

FORMATS: list[AgencyFormat] = [TillsynCsv(
    name="muni-env-health-kontroll",
    description="Miljö- och hälsoskyddsnämnden's case system: food and chemicals controls, semicolon CSV",
    export=EXPORT, decisions=DECISIONS, observed=("avvikelsekod", "avvikelse", "deviation"),
    summary="beslutstext")]
