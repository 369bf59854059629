"""Arbetsmiljöverket: workplace inspections at LOS premises and their decisions (JSON).

Format "work-env-inspektioner" (.json, UTF-8): the inspection system's LOS export,
`{"inspektioner": [<record>, ...]}`; errors give a record's 1-based position as its line.
Elements of a record:

    posttyp              "inspektion" (a workplace inspection) or "beslut" (a decision)
    diarienummer         the record's number, e.g. "2026/018734" (A-Z, 0-9, _ . / : -)
    version              1, or 2, 3 ... for a correction, which replaces the version before it
    registrerad          when this version was registered: "2026-03-14T15:30:00+01:00", without an
                         offset Swedish local time; the event time
    makulerad            true withdraws version `version` of the record (then only posttyp,
                         diarienummer, version, registrerad and makuleringsorsak are read)
    insatsnummer         the LOS operation, e.g. "NKPG-2026-07", if any
    inspektion           beslut: the diarienummer of the inspection it follows, if any
    tidpunkt             when the inspection took place / the decision was taken
    kommun               inspektion: the municipality (required)
    arbetsstalle         the workplace: {fastighetsbeteckning, adress (at least one), verksamhetstyp:
                         bilverkstad, biltvatt, tatueringsstudio, nagelsalong, frisor, restaurang,
                         kiosk, livsmedelsgrossist, byggarbetsplats or ovrigt (default)};
                         required for inspektion, optional for beslut
    arbetsgivare         the employer, optional: {organisationsnummer (a sole trader's personnummer
                         is accepted), namn}
    personer             persons met or concerned: [{personnummer (12 or 10 digits), roll (agare,
                         styrelseledamot, anstalld, ej_registrerad, ovrig), sekretessmarkering}]
    brister              inspektion findings: [{kod (A-Z, 0-9, _; e.g. BILLYFT_EJ_BESIKTIGAD,
                         KEMIKALIER_FORVARAS_FEL, PERSONALUTRYMMEN_SAKNAS, ARBETSTID_OREDOVISAD),
                         beskrivning, antal (optional, >= 0), personnummer: [persons concerned]}]
    beslutstyp           beslut: FORBUD (e.g. using a car lift, AML 7 kap. 7 §), FORELAGGANDE
                         (AML 7 kap. 7 §; a vite is stated in beskrivning) or SANKTIONSAVGIFT
                         (AML 8 kap. 5 §; belopp required)
    belopp               beslut: the sanktionsavgift in whole kronor, a JSON integer >= 0
    lagrum               beslut: the legal ground, e.g. "AML 7 kap. 7 §"
    beskrivning          beslut: the decision in brief
    overklagande         beslut: ej_overklagat (default), overklagat, faststallt, upphavt, laga_kraft

inspektion maps to InspectionConductedV1, beslut to DecisionTakenV1 (a sanktionsavgift is an
IMPOSED amount), all Category.WORK_ENVIRONMENT. Ids: `event_id_for("WORK_ENV", posttyp,
diarienummer, version)`; a version > 1 supersedes version - 1; a withdrawn record maps to
EventRetractedV1 with id `event_id_for("WORK_ENV", posttyp + "-makulering", diarienummer,
version)`. Personnummer leave this module only as pseudonyms. `write` produces this format
from events with these ids (a retraction with the event it retracts); what it cannot express
raises ValueError.
"""

from __future__ import annotations

from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind
from services.adapters.sdk.cases_json import CasesJson
from services.adapters.sdk.mapping import AgencyFormat

AGENCY = "WORK_ENV"
INSPECTION = "inspektion"
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None, bool]] = {  # kind, amount kind, required
    "FORBUD": (DecisionKind.FORBUD, None, False),
    "FORELAGGANDE": (DecisionKind.FORELAGGANDE, None, False),
    "SANKTIONSAVGIFT": (DecisionKind.SANKTIONSAVGIFT, AmountKind.IMPOSED, True),
}

FORMATS: list[AgencyFormat] = [CasesJson(
    name="work-env-inspektioner",
    description="Arbetsmiljöverket: LOS workplace inspections, förbud, förelägganden, sanktionsavgifter",
    agency=AGENCY, number="diarienummer", category=Category.WORK_ENVIRONMENT, records="inspektioner",
    inspection=(INSPECTION, "an"), premises="arbetsstalle", business=("arbetsgivare", "organisationsnummer"),
    findings="brister", follows="inspektion", decisions=DECISIONS, negative="give the fee in whole kronor",
    who="Arbetsmiljöverket", data="work-environment data")]
