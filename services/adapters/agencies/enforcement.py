"""Kronofogdemyndigheten: debt mapping at LOS premises and utmätning decisions (JSON).

Format "enforcement-forrattningar" (.json, UTF-8): the enforcement system's LOS export,
`{"forrattningar": [<record>, ...]}`; errors give a record's 1-based position as its line. The
data is enforcement data, secret under OSL 34 kap. 1 §. Elements of a record:

    posttyp              "kartlaggning" (Kronofogden checked the business and the persons met for
                         debts under collection and for assets) or "beslut" (a decision)
    arendenummer         the record's number, e.g. "KFM-2026-118842" (A-Z, 0-9, _ . / : -)
    version              1, or 2, 3 ... for a correction, which replaces the version before it
    registrerad          when this version was registered: "2026-03-14T15:30:00+01:00", without an
                         offset Swedish local time; the event time
    makulerad            true withdraws version `version` of the record (then only posttyp,
                         arendenummer, version, registrerad and makuleringsorsak are read)
    insatsnummer         the LOS operation, e.g. "NKPG-2026-07", if any
    kartlaggning         beslut: the arendenummer of the kartläggning it follows, if any
    tidpunkt             when the förrättning took place / the decision was taken
    kommun               kartlaggning: the municipality (required)
    plats                the premises: {fastighetsbeteckning, adress (at least one), verksamhetstyp:
                         bilverkstad, biltvatt, tatueringsstudio, nagelsalong, frisor, restaurang,
                         kiosk, livsmedelsgrossist, byggarbetsplats or ovrigt (default)};
                         required for kartlaggning, optional for beslut
    galdenar             the business concerned, optional: {identitetsnummer (organisationsnummer, or
                         a sole trader's personnummer), namn}
    personer             persons concerned: [{personnummer (12 or 10 digits), roll (agare,
                         styrelseledamot, anstalld, ej_registrerad, ovrig), sekretessmarkering}]
    iakttagelser         kartlaggning findings: [{kod (A-Z, 0-9, _; e.g. SKULDER_UNDER_INDRIVNING,
                         TILLGANGAR_ANTRADDA, INGA_TILLGANGAR), beskrivning, antal (optional, >= 0),
                         personnummer: [the persons it concerns]}]
    beslutstyp           beslut: UTMATNING (utmätning under UB 4 kap.; belopp, if given, is what
                         was collected) or HINDER (no attachable assets found; no belopp)
    belopp               beslut: whole kronor collected, a JSON integer >= 0
    lagrum               beslut: the legal ground, e.g. "UB 4 kap. 1 §"
    beskrivning          beslut: the decision in brief
    overklagande         beslut: ej_overklagat (default), overklagat, faststallt, upphavt, laga_kraft

kartlaggning maps to InspectionConductedV1, beslut to DecisionTakenV1 (UTMATNING: an
utmätning with its amount RECOVERED; HINDER: other), all Category.ENFORCEMENT. Ids:
`event_id_for("ENFORCEMENT", posttyp, arendenummer, version)`; a version > 1 supersedes
version - 1; a withdrawn record maps to EventRetractedV1 with id
`event_id_for("ENFORCEMENT", posttyp + "-makulering", arendenummer, version)`. Personnummer
leave this module only as pseudonyms. `write` produces this format from events with these
ids (a retraction with the event it retracts); what it cannot express raises ValueError.
"""

from __future__ import annotations

from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind
from services.adapters.sdk.cases_json import CasesJson
from services.adapters.sdk.mapping import AgencyFormat

AGENCY = "ENFORCEMENT"
INSPECTION = "kartlaggning"
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None, bool]] = {  # kind, amount kind, required
    "UTMATNING": (DecisionKind.UTMATNING, AmountKind.RECOVERED, False),
    "HINDER": (DecisionKind.OTHER, None, False),
}

FORMATS: list[AgencyFormat] = [CasesJson(
    name="enforcement-forrattningar",
    description="Kronofogden: debt mapping at LOS premises and utmätning decisions, JSON records",
    agency=AGENCY, number="arendenummer", category=Category.ENFORCEMENT, records="forrattningar",
    inspection=(INSPECTION, "a"), premises="plats", business=("galdenar", "identitetsnummer"),
    findings="iakttagelser", follows="kartlaggning", decisions=DECISIONS,
    negative="give whole kronor collected", who="Kronofogden", data="enforcement data")]
