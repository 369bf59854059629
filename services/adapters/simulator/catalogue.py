"""What each agency looks for, finds and decides, and how its case system numbers records.

Record kinds and the withdrawal suffix follow each agency's native format
(services/adapters/agencies), so that the ids of simulated events are the ids those formats
give the same records: `event_id_for(agency, kind, ref, version)`. Profiles are by *function*
(MUNI_SOCIAL); the records of a municipality carry its participant's code (MUNI_SOCIAL_0581). Legal references are the
usual ones for each decision; they illustrate, they are not legal advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.agencies import load_registry
from schemas.categories import Category
from schemas.decision import AmountKind, DecisionKind
from schemas.subjects import Industry

Ind = Industry
ALL = frozenset(Industry) - {Industry.OTHER}
FOOD = frozenset({Ind.RESTAURANT, Ind.KIOSK, Ind.FOOD_WHOLESALE})
CARS = frozenset({Ind.CAR_WORKSHOP, Ind.CAR_WASH})
BEAUTY = frozenset({Ind.NAIL_SALON, Ind.TATTOO_STUDIO, Ind.HAIRDRESSER})
FUT = "Lag (2008:206) 3 §"
NYSTART = "Förordning (2018:43) om stöd för nystartsjobb"


@dataclass(frozen=True)
class DecisionRule:
    kind: DecisionKind
    legal_reference: str
    summary: str
    probability: float = 1.0
    amount_kind: AmountKind | None = None
    amount: tuple[int, int] | None = None  # a range in kronor, drawn in steps of 500
    rule: str | None = None  # "personalliggare": 12 500 + 2 500 per person; "budget": the operation's
    addressed: bool = False  # the decision names the finding's persons


_d = DecisionRule


@dataclass(frozen=True)
class FindingRule:
    code: str
    summary: str
    industries: frozenset[Industry] = ALL
    weight: float = 1.0
    who: str | None = None  # persons concerned: "shadow", "staff", "workers", "worker" (one), "owner"
    decisions: tuple[DecisionRule, ...] = ()
    notify: str | None = None  # agency told under FUT when the finding leads to a recovery


@dataclass(frozen=True)
class AgencyProfile:
    code: str
    category: Category
    inspection_kind: str  # record kinds of its native format
    decision_kind: str
    withdrawn: str  # suffix of the record kind of a withdrawal
    ref_prefix: str
    municipal: bool  # one committee per municipality: refs carry the municipality code
    industries: frozenset[Industry]
    inspect_probability: float
    finding_probability: float
    max_findings: int
    finding_persons: bool  # its format can name persons in a finding
    presence: str  # who it records as present: "all", "workers" or "contact"
    findings: tuple[FindingRule, ...]
    publish_hours: tuple[int, int] = (2, 48)  # from inspection to registration
    notification_kind: str = "underrattelse"


_IMPOSED, _RECOVERED, _STOPPED = AmountKind.IMPOSED, AmountKind.RECOVERED, AmountKind.STOPPED
K = DecisionKind

PROFILES: dict[str, AgencyProfile] = {p.code: p for p in (
    AgencyProfile(
        "POLICE", Category.POLICE_INTELLIGENCE, "kontroll", "beslut", "-makulering", "5000-K", False, ALL,
        1.0, 0.35, 2, True, "all", (
            FindingRule("UTLL_ARBETSTILLSTAND_SAKNAS", "Inre utlänningskontroll: personer i arbete utan "
                        "arbetstillstånd", who="shadow", weight=3, decisions=(
                            _d(K.POLISANMALAN, "UtlL 20 kap. 5 §", "Anmälan: anställning av utlänning utan "
                               "arbetstillstånd", 0.9),)),
            FindingRule("MISSTANKT_HALERI", "Däck, fälgar och verktyg utan kvitton; misstänkt häleri",
                        CARS, decisions=(_d(K.POLISANMALAN, "BrB 9 kap. 6 §", "Anmälan om misstänkt häleri",
                                            0.8),)),
            FindingRule("MISSTANKT_NARKOTIKA", "Misstänkt narkotika i lokalen", weight=0.5, decisions=(
                _d(K.POLISANMALAN, "NSL 1 §", "Anmälan om narkotikabrott"),)),
            FindingRule("MISSTANKT_PENNINGTVATT", "Stora kontantbelopp utan förklaring", weight=0.5,
                        decisions=(_d(K.OTHER, "RB 27 kap. 1 §", "Beslag av kontanter", 0.7),)),
        ), publish_hours=(1, 24)),
    AgencyProfile(
        "TAX", Category.TAX, "kontroll", "beslut", "-makulering", "PL", False, ALL,
        0.9, 0.45, 1, True, "workers", (
            FindingRule("PERSONALLIGGARE_BRISTER", "Personer i arbete som inte var antecknade i "
                        "personalliggaren", who="shadow", weight=4, decisions=(
                            _d(K.KONTROLLAVGIFT, "SFL 50 kap. 3 §", "Kontrollavgift, personalliggare",
                               0.95, amount_kind=_IMPOSED, rule="personalliggare"),)),
            FindingRule("PERSONALLIGGARE_SAKNAS", "Ingen personalliggare fördes", who="workers", weight=1.5,
                        decisions=(_d(K.KONTROLLAVGIFT, "SFL 50 kap. 3 §", "Kontrollavgift, personalliggare "
                                      "saknas", 0.95, amount_kind=_IMPOSED, rule="personalliggare"),)),
            FindingRule("KASSAREGISTER_FEL", "Kassaregistret uppfyller inte kraven", FOOD | BEAUTY,
                        decisions=(_d(K.KONTROLLAVGIFT, "SFL 50 kap. 1 §", "Kontrollavgift, kassaregister",
                                      0.8, amount_kind=_IMPOSED, amount=(10_000, 10_000)),)),
            FindingRule("EJ_REGISTRERAD_ARBETSGIVARE", "Personal i arbete men ingen registrerad arbetsgivare",
                        weight=0.5, decisions=(_d(K.FORELAGGANDE, "SFL 37 kap. 2 §", "Föreläggande att "
                                                  "lämna uppgifter", 0.6),)),
        )),
    AgencyProfile(
        "ENFORCEMENT", Category.ENFORCEMENT, "kartlaggning", "beslut", "-makulering", "KFM", False, ALL,
        0.55, 0.5, 2, True, "contact", (
            FindingRule("SKULDER_UNDER_INDRIVNING", "Skulder under indrivning hos Kronofogden", who="owner",
                        weight=2, decisions=(
                            _d(K.UTMATNING, "UB 4 kap. 1 §", "Utmätning av kontanter och kassa", 0.6,
                               amount_kind=_RECOVERED, amount=(3_000, 180_000)),)),
            FindingRule("TILLGANGAR_ANTRADDA", "Utmätningsbara tillgångar påträffade (fordon, kontanter)",
                        decisions=(_d(K.UTMATNING, "UB 4 kap. 1 §", "Utmätning av påträffad egendom", 0.9,
                                      amount_kind=_RECOVERED, amount=(10_000, 250_000)),)),
        )),
    AgencyProfile(
        "SOCIAL_INSURANCE", Category.SOCIAL_INSURANCE, "kontroll", "beslut", "-makulering", "FK", False, ALL,
        0.45, 0.4, 1, True, "contact", (
            FindingRule("ARBETE_UNDER_SJUKPENNING", "Person med sjukpenning eller aktivitetsersättning "
                        "i arbete", who="staff", decisions=(
                            _d(K.ATERKRAV, "SFB 108 kap. 2 §", "Återkrav av felaktigt utbetald ersättning",
                               1.0, amount_kind=_RECOVERED, rule="budget", addressed=True),
                            _d(K.STOPPED_PAYMENT, "SFB 110 kap. 52 §", "Utbetalningen stoppad", 1.0,
                               amount_kind=_STOPPED, rule="budget", addressed=True))),
        )),
    AgencyProfile(
        "EMPLOYMENT", Category.EMPLOYMENT_SUPPORT, "kontroll", "beslut", "-makulering", "AF", False,
        CARS | FOOD | {Ind.CONSTRUCTION_SITE}, 0.35, 0.35, 1, True, "contact", (
            FindingRule("LONESTOD_FELAKTIGT_UTBETALT", "Lönestöd utbetalt för arbete som inte utförs "
                        "eller lön som inte betalas", who="staff", decisions=(
                            _d(K.ATERKRAV, NYSTART, "Återkrav av lönestöd", 0.8, amount_kind=_RECOVERED,
                               amount=(40_000, 260_000), addressed=True),
                            _d(K.STOPPED_PAYMENT, NYSTART, "Fortsatta utbetalningar av stödet stoppas", 0.5,
                               amount_kind=_STOPPED, amount=(20_000, 120_000), addressed=True))),
            FindingRule("OKLAR_ANSTALLNING", "Anställningen kan inte bekräftas", who="staff"),
            FindingRule("ARBETSTAGARE_EJ_PA_PLATS", "Anställd med stöd fanns inte på arbetsplatsen",
                        weight=0.5),
        )),
    AgencyProfile(
        "WORK_ENV", Category.WORK_ENVIRONMENT, "inspektion", "beslut", "-makulering", "AV", False,
        CARS | {Ind.CONSTRUCTION_SITE, Ind.FOOD_WHOLESALE, Ind.RESTAURANT}, 0.75, 0.55, 2, False, "contact", (
            FindingRule("BILLYFT_EJ_BESIKTIGAD", "Billyft utan besiktning, risk för klämskador",
                        frozenset({Ind.CAR_WORKSHOP}), 2, decisions=(
                            _d(K.FORBUD, "AML 7 kap. 7 §", "Förbud att använda billyften"),)),
            FindingRule("KEMIKALIEHANTERING", "Kemikalier utan riskbedömning och skyddsutrustning", CARS,
                        decisions=(_d(K.FORELAGGANDE, "AML 7 kap. 7 §", "Föreläggande om kemikalierutiner",
                                      0.7),)),
            FindingRule("FALLSKYDD_SAKNAS", "Arbete på höjd utan fallskydd",
                        frozenset({Ind.CONSTRUCTION_SITE}), 2, decisions=(
                            _d(K.SANKTIONSAVGIFT, "AML 8 kap. 5 §", "Sanktionsavgift, fallskydd saknas", 0.9,
                               amount_kind=_IMPOSED, amount=(25_000, 150_000)),)),
            FindingRule("BOENDE_I_LOKAL", "Arbetstagare bor i lokalen", decisions=(
                _d(K.FORBUD, "AML 7 kap. 7 §", "Förbud mot övernattning i lokalen", 0.8),)),
        )),
    AgencyProfile(
        "FIRE", Category.MUNICIPAL_DECISION, "tillsyn", "beslut", ".makulering", "RTJ", True,
        FOOD | BEAUTY | {Ind.CAR_WORKSHOP}, 0.6, 0.45, 2, False, "contact", (
            FindingRule("UTRYMNINGSVAG_BLOCKERAD", "Utrymningsväg blockerad", weight=2, decisions=(
                _d(K.FORBUD, "LSO 5 kap. 2 §", "Förbud att använda lokalen tills utrymningsvägen är fri",
                   0.7),)),
            FindingRule("BRANDLARM_SAKNAS", "Brandlarm saknas", decisions=(
                _d(K.FORELAGGANDE, "LSO 5 kap. 2 §", "Föreläggande att installera brandlarm", 0.8),)),
            FindingRule("BRANDFARLIG_VARA_FORVARING", "Gasflaskor förvarade i lokalen",
                        frozenset({Ind.CAR_WORKSHOP, Ind.RESTAURANT}), decisions=(
                            _d(K.FORBUD, "LBE 25 §", "Förbud att förvara brandfarlig vara i lokalen", 0.8),)),
            FindingRule("OVERNATTNING_I_LOKAL", "Personer övernattar i lokalen", decisions=(
                _d(K.FORBUD, "LSO 5 kap. 2 §", "Förbud mot övernattning", 0.9),)),
        )),
    AgencyProfile(
        "MUNI_BUILDING", Category.MUNICIPAL_DECISION, "tillsyn", "beslut", ".makulering", "BN", True,
        CARS | {Ind.CONSTRUCTION_SITE, Ind.FOOD_WHOLESALE, Ind.RESTAURANT}, 0.5, 0.45, 2, False, "contact", (
            FindingRule("ANVANDNING_STRIDER_MOT_DETALJPLAN", "Verksamheten strider mot detaljplanen",
                        weight=2, decisions=(
                            _d(K.BYGGSANKTIONSAVGIFT, "PBL 11 kap. 51 §", "Byggsanktionsavgift för olovlig "
                               "användning", 0.7, amount_kind=_IMPOSED, amount=(20_000, 250_000)),)),
            FindingRule("ANDRAD_ANVANDNING_UTAN_LOV", "Ändrad användning utan bygglov", decisions=(
                _d(K.FORELAGGANDE, "PBL 11 kap. 20 §", "Rättelseföreläggande", 0.7),)),
            FindingRule("OVERNATTNING_I_LOKAL", "Lokalen används för boende", decisions=(
                _d(K.FORBUD, "PBL 11 kap. 33 §", "Användningsförbud förenat med vite 50 000 kr", 0.9),)),
        )),
    AgencyProfile(
        "MUNI_ENV_HEALTH", Category.MUNICIPAL_DECISION, "kontroll", "beslut", ".makulering", "MHN", True,
        FOOD | BEAUTY | CARS, 0.8, 0.5, 2, False, "contact", (
            FindingRule("BRISTANDE_RENGORING", "Bristande rengöring i kök och lager", FOOD, 2, decisions=(
                _d(K.FORELAGGANDE, "LL 22 §", "Föreläggande om rengöring", 0.6),)),
            FindingRule("SPARBARHET_SAKNAS", "Kött utan spårbarhet",
                        frozenset({Ind.RESTAURANT, Ind.FOOD_WHOLESALE}), decisions=(
                            _d(K.FORBUD, "LL 22 §", "Förbud att sälja kött av okänt ursprung"),)),
            FindingRule("OREGISTRERAD_LIVSMEDELSANLAGGNING", "Livsmedelsanläggningen är inte registrerad",
                        FOOD, decisions=(_d(K.SANKTIONSAVGIFT, "LL 30 §", "Sanktionsavgift, oregistrerad "
                                      "anläggning", 0.9, amount_kind=_IMPOSED, amount=(5_000, 20_000)),)),
            FindingRule("KEMIKALIER_UTAN_INVALLNING", "Kemikalier och spillolja utan invallning", CARS, 2,
                        decisions=(_d(K.SANKTIONSAVGIFT, "MB 30 kap. 1 §", "Miljösanktionsavgift", 0.7,
                                      amount_kind=_IMPOSED, amount=(5_000, 50_000)),)),
            FindingRule("BRISTANDE_HYGIEN", "Bristande hygienrutiner", BEAUTY, 2, decisions=(
                _d(K.FORELAGGANDE, "MB 26 kap. 9 §", "Föreläggande om hygienrutiner", 0.7),)),
        )),
    AgencyProfile(
        "MUNI_ALCOHOL", Category.MUNICIPAL_DECISION, "tillsyn", "beslut", ".makulering", "ALK", True,
        frozenset({Ind.RESTAURANT}), 0.85, 0.45, 2, True, "contact", (
            FindingRule("SERVERING_UTANFOR_TILLSTAND", "Servering utanför tillståndet (tid och yta)",
                        weight=2, decisions=(
                            _d(K.VARNING, "AL 9 kap. 17 §", "Varning till tillståndshavaren", 0.8),)),
            FindingRule("INGEN_SERVERINGSANSVARIG", "Ingen serveringsansvarig på plats", decisions=(
                _d(K.VARNING, "AL 9 kap. 17 §", "Varning, serveringsansvarig saknades", 0.6),)),
            FindingRule("OLAMPLIG_TILLSTANDSHAVARE", "Annan än tillståndshavaren har det bestämmande "
                        "inflytandet", who="owner", decisions=(
                            _d(K.ATERKALLELSE, "AL 9 kap. 18 §", "Serveringstillståndet återkallas", 0.8),)),
            FindingRule("SMUGGELALKOHOL", "Alkohol utan spårbar leverantör i lagret", weight=0.5, decisions=(
                _d(K.POLISANMALAN, "AL 11 kap. 1 §", "Polisanmälan, misstänkt olovlig försäljning", 0.9),)),
        )),
    AgencyProfile(
        "MUNI_SOCIAL", Category.SOCIAL_SERVICES, "iakttagelse", "beslut", ".makulering", "SOC", True, ALL,
        0.4, 0.5, 1, True, "contact", (
            FindingRule("ARBETE_UNDER_BISTAND", "Person med ekonomiskt bistånd i oredovisat arbete",
                        who="worker", weight=2, notify="SOCIAL_INSURANCE", decisions=(
                            _d(K.ATERKRAV, "SoL 9 kap. 1 §", "Återkrav av ekonomiskt bistånd", 0.9,
                               amount_kind=_RECOVERED, amount=(10_000, 120_000), addressed=True),)),
            FindingRule("MISSTANKT_EXPLOATERING", "Misstänkt exploatering av arbetskraft", who="shadow"),
            FindingRule("BEHOV_AV_STOD", "Person som behöver stöd och hjälp", who="shadow", weight=0.5),
        )),
)}

COORDINATING = ("MUNI_SECURITY",)  # take part in planning, inspect nothing
REQUIRED = ("POLICE", "TAX", "SOCIAL_INSURANCE")  # in every operation of the scenario
OPTIONAL = {"ENFORCEMENT": 0.85, "EMPLOYMENT": 0.5, "MUNI_SOCIAL": 0.6, "MUNI_SECURITY": 0.7}
BY_INDUSTRY = ("WORK_ENV", "FIRE", "MUNI_BUILDING", "MUNI_ENV_HEALTH", "MUNI_ALCOHOL")
FOLLOW_UP = ("WORK_ENV", "FIRE", "MUNI_BUILDING", "MUNI_ENV_HEALTH")  # come back the day after


def participant(function: str, kommunkod: str) -> str:
    """The participant (authority) carrying out `function` in the municipality: the national
    agency, the joint or municipal authority of the registry, or by the registry's naming rule
    <FUNCTION>_<kommunkod> for a municipality not registered (large simulated streams)."""
    registry = load_registry()
    found = registry.serving(function, kommunkod)
    if found is not None:
        return found
    known = registry.functions.get(function)
    return function if known is not None and known.level == "national" else f"{function}_{kommunkod}"


def function(code: str) -> str:
    """The function a participant carries out (what the profiles above are keyed by)."""
    return load_registry().function_of(code) or re.sub(r"_[0-9]{4}$", "", code)


def profile(code: str) -> AgencyProfile:
    return PROFILES[function(code)]


def serves(code: str, kommunkod: str) -> bool:
    """Whether the participant `code` acts in the municipality: a national agency everywhere, a
    municipal or joint authority in the municipalities it serves."""
    agency = load_registry().participants.get(code)
    if agency is not None:
        return agency.kind == "state" or kommunkod in agency.municipalities
    return re.search(r"_[0-9]{4}$", code) is None or code.endswith(f"_{kommunkod}")
