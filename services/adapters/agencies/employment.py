"""Arbetsförmedlingen: checks of employments with wage subsidies at LOS premises (CSV).

Format "employment-stodkontroller" (.csv): the control unit's LOS export, UTF-8 (a BOM is
allowed), semicolon-separated, one header line, one record per line (errors give the file
line). Employment support data (OSL 28 kap. 11 §, unverified). The header names every column
below, in any order (a cell may be empty where said); a header without one of them is one
error, and then no record of the file is mapped. Columns:

    posttyp               KONTROLL (a check at the workplace) or BESLUT (a decision)
    arendenummer          the record's number, e.g. "AF-2026/0031877" (A-Z, 0-9, _ . / : -)
    version               1, or 2, 3 ... for a correction, which replaces the version before it
    registrerad           when this version was registered: "2026-03-14T15:30:00+01:00", without
                          an offset Swedish local time; the event time
    makulerad             J withdraws version `version` of the record (then only posttyp,
                          arendenummer, version, registrerad and makuleringsorsak are read); N or
                          empty otherwise
    makuleringsorsak      why the record was withdrawn
    insatsnummer          the LOS operation, e.g. "NKPG-2026-07", if any
    kontrollarende        BESLUT: the arendenummer of the check it follows, if any
    tidpunkt              when the check was made / the decision taken, as registrerad
    kommun                KONTROLL: the municipality (required)
    organisationsnummer   the employer receiving the support (a sole trader by personnummer) ...
    arbetsgivare          ... and its name; both empty if unknown
    fastighetsbeteckning  the workplace, e.g. "Norrköping Verkstaden 3:7" ...
    adress                ... and/or "Mekanikergatan 7, 602 38 Norrköping" (KONTROLL: one required)
    bransch               bilverkstad, biltvatt, tatueringsstudio, nagelsalong, frisor, restaurang,
                          kiosk, livsmedelsgrossist, byggarbetsplats, ovrigt (default)
    personer              persons met (KONTROLL) or concerned (BESLUT), "|"-separated entries
                          "personnummer:roll" or "personnummer:roll:sekretess" (sekretessmarkering);
                          roll: agare, styrelseledamot, anstalld, ej_registrerad, ovrig
    avvikelse             KONTROLL: what was found, empty if nothing: LONESTOD_FELAKTIGT_UTBETALT
                          (support paid for work not done or wages not paid), OKLAR_ANSTALLNING
                          (the employment cannot be confirmed), ARBETSTAGARE_EJ_PA_PLATS
    avvikelsebeskrivning  KONTROLL: the finding in words (required with avvikelse)
    antal                 KONTROLL: how many employments it concerns
    berorda               KONTROLL: the employees' personnummer, "|"-separated
    beslutstyp            BESLUT: ATERKRAV (recovery of wage subsidy paid, belopp required) or
                          STOPP (payments stopped before payout, belopp required)
    belopp                BESLUT: whole kronor, e.g. "184 000"
    lagrum                BESLUT: the legal ground as the agency writes it, e.g. "Förordning
                          (2018:43) om stöd för nystartsjobb" (not verified here)
    beslutstext           BESLUT: the decision in brief
    overklagande          BESLUT: ej_overklagat (default), overklagat, faststallt, upphavt, laga_kraft

KONTROLL maps to InspectionConductedV1 with at most one finding, BESLUT to DecisionTakenV1
(ATERKRAV: återkrav, amount RECOVERED; STOPP: stopped payment, amount STOPPED), all
Category.EMPLOYMENT_SUPPORT. Ids: `event_id_for("EMPLOYMENT", "kontroll" | "beslut",
arendenummer, version)`; a version > 1 supersedes version - 1; a withdrawn record maps to
EventRetractedV1 with id `event_id_for("EMPLOYMENT", "kontroll-makulering" |
"beslut-makulering", arendenummer, version)`. Personnummer leave this module only as
pseudonyms. `write` produces this format from events with these ids (a retraction with the
event it retracts); what it cannot express (two findings in one check) raises ValueError.
"""

from __future__ import annotations

from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind
from schemas.subjects import PersonRole
from services.adapters.sdk.controls_csv import ControlsCsv
from services.adapters.sdk.mapping import AgencyFormat

AGENCY = "EMPLOYMENT"
DEVIATIONS = ("LONESTOD_FELAKTIGT_UTBETALT", "OKLAR_ANSTALLNING", "ARBETSTAGARE_EJ_PA_PLATS")
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None]] = {
    "ATERKRAV": (DecisionKind.ATERKRAV, AmountKind.RECOVERED),
    "STOPP": (DecisionKind.STOPPED_PAYMENT, AmountKind.STOPPED),
}

FORMATS: list[AgencyFormat] = [ControlsCsv(
    name="employment-stodkontroller",
    description="Arbetsförmedlingen: checks of subsidised employments, återkrav and stopped payments, CSV",
    agency=AGENCY, number="arendenummer", category=Category.EMPLOYMENT_SUPPORT,
    deviations=DEVIATIONS, decisions=DECISIONS, follows="kontrollarende",
    business_name="arbetsgivare", persons="personer", concerned=("berorda", PersonRole.EMPLOYEE),
    example="e.g. 184 000", one_finding="a check has at most one finding, of employment support",
    data="employment support data")]
