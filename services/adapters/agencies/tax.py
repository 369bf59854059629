"""Skatteverket: personalliggare and kassaregister controls and their decisions (CSV).

Format "tax-personalliggare" (.csv): the control system's LOS export, UTF-8 (a BOM is allowed),
semicolon-separated, one header line, one record per line (errors give the file line). The
data is tax data, secret under OSL 27 kap. 1 §. The header names every column below, in any
order (a cell may be empty where said); a header without one of them is one error, and then no
record of the file is mapped. Columns:

    posttyp               KONTROLL (a control at the premises) or BESLUT (a decision)
    diarienummer          the record's number, e.g. "PL-2026-0417" (A-Z, 0-9, _ . / : -)
    version               1, or 2, 3 ... for a correction, which replaces the version before it
    registrerad           when this version was registered: "2026-03-14T15:30:00+01:00", without
                          an offset Swedish local time; the event time
    makulerad             J withdraws version `version` of the record (then only posttyp,
                          diarienummer, version, registrerad and makuleringsorsak are read); N or
                          empty otherwise
    makuleringsorsak      why the record was withdrawn
    insatsnummer          the LOS operation, e.g. "NKPG-2026-07", if any
    kontrollnummer        BESLUT: the diarienummer of the control it follows, if any
    tidpunkt              when the control was made / the decision taken, as registrerad
    kommun                KONTROLL: the municipality (required)
    organisationsnummer   the business (a sole trader by the owner's personnummer) ...
    foretagsnamn          ... and its name; both empty if unknown
    fastighetsbeteckning  the premises, e.g. "Norrköping Verkstaden 3:7" ...
    adress                ... and/or "Mekanikergatan 7, 602 38 Norrköping" (KONTROLL: one required)
    bransch               bilverkstad, biltvatt, tatueringsstudio, nagelsalong, frisor, restaurang,
                          kiosk, livsmedelsgrossist, byggarbetsplats, ovrigt (default)
    personal              persons met (KONTROLL) or concerned (BESLUT), "|"-separated entries
                          "personnummer:roll" or "personnummer:roll:sekretess" (sekretessmarkering);
                          roll: agare, styrelseledamot, anstalld, ej_registrerad, ovrig
    avvikelse             KONTROLL: the deviation found, empty if none: PERSONALLIGGARE_SAKNAS,
                          PERSONALLIGGARE_BRISTER (persons at work not recorded),
                          KASSAREGISTER_SAKNAS, KASSAREGISTER_FEL, EJ_REGISTRERAD_ARBETSGIVARE
    avvikelsebeskrivning  KONTROLL: the deviation in words (required with avvikelse)
    antal                 KONTROLL: how many persons were at work without being recorded
    ej_registrerade       KONTROLL: their personnummer, "|"-separated (may be fewer than antal)
    beslutstyp            BESLUT: KONTROLLAVGIFT (belopp required), FORELAGGANDE, BROTTSANMALAN
    belopp                BESLUT: whole kronor, e.g. "17 500"; a personalliggare kontrollavgift is
                          12 500 kr plus 2 500 kr per unrecorded person (SFL 50 kap. 3 §), a
                          kassaregister kontrollavgift 10 000 kr (SFL 50 kap. 1 §)
    lagrum                BESLUT: the legal ground, e.g. "SFL 50 kap. 3 §", "SkBrL 17 §"
    beslutstext           BESLUT: the decision in brief
    overklagande          BESLUT: ej_overklagat (default), overklagat, faststallt, upphavt, laga_kraft

KONTROLL maps to InspectionConductedV1 with at most one finding (Category.TAX), BESLUT to
DecisionTakenV1 (Category.TAX; a kontrollavgift is an IMPOSED amount, a brottsanmälan a
polisanmälan). Ids: `event_id_for("TAX", "kontroll" | "beslut", diarienummer, version)`; a
version > 1 supersedes version - 1; a withdrawn record maps to EventRetractedV1 with id
`event_id_for("TAX", "kontroll-makulering" | "beslut-makulering", diarienummer, version)`.
Personnummer leave this module only as pseudonyms.

`write` produces this format from events with these ids; a retraction must come with the event
it retracts. An event the format cannot express exactly (two findings in one control, a
finding of another category) raises ValueError.
"""

from __future__ import annotations

from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind
from schemas.subjects import PersonRole
from services.adapters.sdk.controls_csv import ControlsCsv
from services.adapters.sdk.mapping import AgencyFormat

AGENCY = "TAX"
DEVIATIONS = ("PERSONALLIGGARE_SAKNAS", "PERSONALLIGGARE_BRISTER", "KASSAREGISTER_SAKNAS",
              "KASSAREGISTER_FEL", "EJ_REGISTRERAD_ARBETSGIVARE")
DECISIONS: dict[str, tuple[DecisionKind, AmountKind | None]] = {
    "KONTROLLAVGIFT": (DecisionKind.KONTROLLAVGIFT, AmountKind.IMPOSED),
    "FORELAGGANDE": (DecisionKind.FORELAGGANDE, None),
    "BROTTSANMALAN": (DecisionKind.POLISANMALAN, None),
}

FORMATS: list[AgencyFormat] = [ControlsCsv(
    name="tax-personalliggare",
    description="Skatteverket: personalliggare/kassaregister controls and kontrollavgift decisions, CSV",
    agency=AGENCY, number="diarienummer", category=Category.TAX,
    deviations=DEVIATIONS, decisions=DECISIONS, follows="kontrollnummer", business_name="foretagsnamn",
    persons="personal", concerned=("ej_registrerade", PersonRole.UNRECORDED_WORKER), example="e.g. 17 500",
    one_finding="a tax control has at most one finding, of category tax", data="tax data")]
