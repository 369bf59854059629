"""The municipalities the simulator plays in: names, operation-id codes, postal codes, streets.

Street and city-block (kvarter) names are ordinary Swedish ones; the combinations with numbers
are made up, so no address or property here points at real premises on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Municipality:
    name: str  # also the registration area of its fastighetsbeteckningar
    code: str  # prefix of operation ids, e.g. "NKPG" in "NKPG-2025-02"
    kommunkod: str  # SCB's municipality code, e.g. "0581": its functions are participants named by it
    postal_codes: tuple[int, ...]  # first three digits of its postal codes
    streets: tuple[str, ...]
    blocks: tuple[str, ...]  # district and city-block names for fastighetsbeteckningar


_STREETS = (
    "Industrigatan", "Verkstadsgatan", "Hamngatan", "Storgatan", "Kvarngatan", "Järnvägsgatan",
    "Bergsvägen", "Åkervägen", "Smedjegatan", "Gjuterigatan", "Lagergatan", "Fabriksgatan",
    "Mekanikervägen", "Östra Promenaden", "Norra Industrivägen", "Skolgatan", "Tullgatan",
    "Västra Vägen", "Kopparvägen", "Plåtslagargatan",
)
_BLOCKS = (
    "Druvan", "Hammaren", "Städet", "Kolven", "Verkstaden", "Smedjan", "Kugghjulet", "Ratten",
    "Vinkeln", "Gjutaren", "Sågen", "Hyveln", "Mejseln", "Tången", "Skruven", "Muttern", "Bulten",
    "Kranen", "Spaden", "Släggan", "Filen", "Borren",
)


def _town(name: str, code: str, kommunkod: str, postal: tuple[int, ...], streets: tuple[str, ...] = (),
          blocks: tuple[str, ...] = ()) -> Municipality:
    return Municipality(name, code, kommunkod, postal, streets + _STREETS, blocks + _BLOCKS)


NORRKOPING = _town("Norrköping", "NKPG", "0581", (602, 603, 604, 605), ("Sandgatan", "Butängsgatan"),
                   ("Sandgatan", "Butängen", "Ståltrådsverket"))
LINKOPING = _town("Linköping", "LKPG", "0580", (582, 583, 584, 585, 586), ("Tornbyvägen", "Roxviksgatan"),
                  ("Tornby", "Kallerstad", "Tannefors"))
MOTALA = _town("Motala", "MTLA", "0583", (591,), ("Vätterstrand",), ("Bråstorp", "Verkstaden"))
FINSPANG = _town("Finspång", "FSPG", "0562", (612,), ("Bruksgatan",), ("Kallerstad",))
MJOLBY = _town("Mjölby", "MJBY", "0586", (595,), ("Kungsvägen",), ("Mantorp",))

OSTERGOTLAND = (NORRKOPING, LINKOPING, MOTALA, FINSPANG, MJOLBY)

# Which two municipalities run the operations of each spring, in turn: Norrköping and Linköping
# (the ROS pair) and, with one of them, a smaller neighbour.
OSTERGOTLAND_ROTATION: tuple[tuple[Municipality, Municipality], ...] = (
    (NORRKOPING, LINKOPING), (NORRKOPING, FINSPANG), (LINKOPING, MOTALA), (NORRKOPING, LINKOPING),
    (LINKOPING, MJOLBY), (NORRKOPING, MOTALA),
)

# Further LOS regions, for streams at volume: each runs its own spring of operations in
# parallel with Östergötland's.
_MORE = (
    (_town("Jönköping", "JKPG", "0680", (553, 554, 555)), _town("Värnamo", "VRNM", "0683", (331,))),
    (_town("Örebro", "OREB", "1880", (702, 703, 704)), _town("Karlskoga", "KGGA", "1883", (691,))),
    (_town("Västerås", "VSTR", "1980", (721, 722, 723, 724)), _town("Köping", "KPNG", "1983", (731,))),
    (_town("Eskilstuna", "ESKN", "0484", (632, 633, 635)), _town("Katrineholm", "KHLM", "0483", (641,))),
    (_town("Uppsala", "UPSL", "0380", (752, 753, 754, 756)), _town("Enköping", "ENKP", "0381", (745,))),
    (_town("Gävle", "GAVL", "2180", (802, 803, 805, 806)), _town("Sandviken", "SDVK", "2181", (811,))),
    (_town("Borås", "BORS", "1490", (503, 504, 506, 507)), _town("Ulricehamn", "ULRH", "1491", (523,))),
    (_town("Växjö", "VAXJ", "0780", (352, 353)), _town("Ljungby", "LJBY", "0781", (341,))),
    (_town("Karlstad", "KSTD", "1780", (652, 653, 654)), _town("Kristinehamn", "KHMN", "1781", (681,))),
    (_town("Halmstad", "HLMD", "1380", (302, 303)), _town("Falkenberg", "FBRG", "1382", (311,))),
    (_town("Sundsvall", "SUVL", "2281", (852, 853, 854, 856)), _town("Timrå", "TIMR", "2262", (861,))),
)

REGIONS: dict[str, tuple[tuple[tuple[Municipality, Municipality], ...], ...]] = {
    "ostergotland": (OSTERGOTLAND_ROTATION,),
    "national": (OSTERGOTLAND_ROTATION, *(((a, b), (a, b)) for a, b in _MORE)),
}
"""Scenario scales: each entry is a tuple of LOS regions, each a rotation of municipality pairs."""
