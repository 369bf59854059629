"""The simulated world: people, businesses and the premises they run, growing as the
campaign goes on. Pools are bounded, so a stream of any length holds a bounded world."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from schemas.identifiers import parse_address
from schemas.subjects import Business, Industry, Premises
from services.adapters.simulator import identities
from services.adapters.simulator.places import Municipality
from services.common.pseudonyms import Pseudonymiser

INDUSTRY_WEIGHTS: dict[Industry, float] = {
    Industry.CAR_WORKSHOP: 20, Industry.CAR_WASH: 13, Industry.NAIL_SALON: 12, Industry.HAIRDRESSER: 6,
    Industry.TATTOO_STUDIO: 4, Industry.RESTAURANT: 18, Industry.KIOSK: 10, Industry.FOOD_WHOLESALE: 7,
    Industry.CONSTRUCTION_SITE: 10,
}
POOL = 60  # premises and businesses remembered per municipality


@dataclass(frozen=True, eq=False)
class Resident:
    """A natural person. `pnr` never leaves the simulator except into native files."""

    pnr: str = field(repr=False)
    pseudonym: str
    protected: bool
    surname: str


@dataclass(eq=False)
class Company:
    """A business: an aktiebolag or handelsbolag by orgnr, or a sole trader (orgnr None)."""

    name: str
    orgnr: str | None
    owner: Resident
    industry: Industry
    home: Municipality
    shady: float  # 0..1: how much there is to find
    staff: list[Resident]
    shadow: list[Resident]  # people who work there without being recorded

    @property
    def identity(self) -> str:
        """The business identity of the ground truth: orgnr, or the owner's pseudonym."""
        return self.orgnr or self.owner.pseudonym

    @cached_property
    def business(self) -> Business:
        if self.orgnr is None:
            return Business(sole_trader=self.owner.pseudonym, name=self.name)
        return Business(orgnr=self.orgnr, name=self.name)


@dataclass(eq=False)
class Site:
    """Premises: as the planning system writes them, and as another case system spells them."""

    town: Municipality
    premises: Premises
    variant: Premises
    key: str  # truth.premises_key(premises), equal for the variant
    company: Company

    @property
    def industry(self) -> Industry:
        return self.premises.industry


def _street_token(address: str) -> str:
    normalised = parse_address(address)  # the same street number whatever the postal code
    return f"{normalised.street} {normalised.number} {normalised.letter}|{normalised.city}"


class World:
    """Creates residents, companies and sites on demand, each with unique identifiers."""

    def __init__(self, rng: random.Random, pseudonyms: Pseudonymiser, *, keep_clear_ids: bool = True) -> None:
        self._rng = rng
        self._pseudonyms = pseudonyms
        self._keep = keep_clear_ids
        self.clear_ids: dict[str, str] = {}
        self._used: set[str] = set()
        self._companies: dict[str, deque[Company]] = {}
        self._visited: dict[str, deque[Site]] = {}
        self._owners: deque[Resident] = deque(maxlen=POOL)

    def _unique(self, make: Callable[[], str], token: Callable[[str], str] = str) -> str:
        for _ in range(10_000):
            value = make()
            if token(value) not in self._used:
                self._used.add(token(value))
                return value
        raise RuntimeError("the simulated world ran out of unique identifiers")

    def resident(self, year: int, *, samordning: float = 0.06, protected: float = 0.02) -> Resident:
        rng = self._rng
        born = min(max(year - rng.randint(19, 64), 1930), 2007)
        is_samordning = rng.random() < samordning
        pnr = self._unique(lambda: identities.personnummer(rng, born, samordning=is_samordning))
        pseudonym = self._pseudonyms.of(pnr)
        if self._keep:
            self.clear_ids[pseudonym] = pnr
        return Resident(pnr, pseudonym, rng.random() < protected, identities.person_name(rng)[1])

    def company(self, town: Municipality, industry: Industry, year: int) -> Company:
        rng = self._rng
        if self._owners and rng.random() < 0.12:
            owner = rng.choice(self._owners)  # one owner, several businesses
        else:
            owner = self.resident(year, samordning=0.04)
            self._owners.append(owner)
        roll = rng.random()
        legal_form = None if roll < 0.15 else 9 if roll < 0.2 else 5
        orgnr = None if legal_form is None else self._unique(
            lambda: identities.organisationsnummer(rng, legal_form or 5))
        name = identities.company_name(rng, industry, town.name, legal_form=legal_form,
                                       owner_surname=owner.surname)
        shady = rng.betavariate(2, 2)
        staff = [self.resident(year, samordning=0.08, protected=0.03) for _ in range(rng.randint(1, 5))]
        shadow = [self.resident(year, samordning=0.45, protected=0.01)
                  for _ in range(round(shady * rng.randint(0, 5)))]
        company = Company(name, orgnr, owner, industry, town, shady, staff, shadow)
        self._companies.setdefault(town.name, deque(maxlen=POOL)).append(company)
        return company

    def new_site(self, town: Municipality, year: int, *, partner: Municipality | None = None) -> Site:
        """New premises in `town`; now and then run by a business already active in `partner`."""
        from services.adapters.simulator.truth import premises_key  # truth imports the records of this world

        rng = self._rng
        elsewhere = self._companies.get(partner.name) if partner is not None else None
        if elsewhere and rng.random() < 0.2:
            company = rng.choice(elsewhere)
            self._companies.setdefault(town.name, deque(maxlen=POOL)).append(company)
        else:
            industry = rng.choices(list(INDUSTRY_WEIGHTS), list(INDUSTRY_WEIGHTS.values()))[0]
            company = self.company(town, industry, year)
        address = self._unique(lambda: identities.street_address(rng, town), _street_token)
        fastighet = None
        if rng.random() < 0.8:
            fastighet = self._unique(lambda: identities.fastighetsbeteckning(rng, town))
        premises = Premises(fastighetsbeteckning=fastighet, address=address, industry=company.industry)
        variant = Premises(fastighetsbeteckning=fastighet, address=identities.spelling_variant(rng, address),
                           industry=company.industry)
        key = premises_key(premises)
        assert premises_key(variant) == key
        return Site(town, premises, variant, key, company)

    def remember(self, site: Site) -> None:
        pool = self._visited.setdefault(site.town.name, deque(maxlen=POOL))
        if site not in pool:
            pool.append(site)

    def visited(self, town: Municipality) -> list[Site]:
        return list(self._visited.get(town.name, ()))

    def new_occupant(self, site: Site, year: int) -> None:
        """The business at `site` is replaced by a new company (often with the same owner)."""
        old = site.company
        company = self.company(site.town, old.industry, year)
        if self._rng.random() < 0.6:
            company.owner = old.owner
            company.staff = old.staff[:]
            legal_form = int(company.orgnr[0]) if company.orgnr else None
            company.name = identities.company_name(self._rng, old.industry, site.town.name,
                                                   legal_form=legal_form, owner_surname=old.owner.surname)
        site.company = company
