"""Turn one planned contracting process into its OCDS releases (1.1, or 1.0 for ``xb_city``).

Releases are partial, as many publishers' are: each carries what its stage adds (planning, tender, award,
contract, amendments), and the merge of all of them gives the process's compiled release. In OCDS 1.1 the
organizations are ``parties`` referenced by ``{id, name}``; in 1.0 they are full blocks without ``id``.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aggregator.sandbox.organizations import Organization
from aggregator.sandbox.publishers import Publisher
from aggregator.sandbox.vocabulary import AMENDMENT_RATIONALES, PLANNING_RATIONALES


@dataclass(frozen=True)
class Bid:
    tenderer: Organization
    amount: float
    status: str  # "valid" | "disqualified"
    date: datetime


@dataclass(frozen=True)
class Process:
    """Everything drawn for one contracting process, before it is written as releases."""

    ocid: str
    number: int
    buyer: Organization
    entity: Organization  # procuring entity: the buyer, or the country's central purchasing body
    category: str
    title: str
    items: list[dict[str, Any]]
    method: str  # "open" | "selective" | "limited" | "direct"
    details: str
    rationale: str | None
    currency: str
    estimate: float
    publish_estimate: bool
    outcome: str  # "cancelled" | "unsuccessful" | "awarded" | "contracted"
    dates: dict[str, datetime]
    bids: list[Bid]
    awards: list[tuple[Organization, float]]
    publish_award_values: bool
    amendment_factors: list[float]
    has_planning: bool


class Writer:
    """Writes the releases of one process for one publisher."""

    def __init__(self, publisher: Publisher, process: Process) -> None:
        self.publisher = publisher
        self.process = process
        self.v10 = publisher.ocds_version == "1.0"
        self.language = publisher.country.language

    def date(self, moment: datetime) -> str:
        return moment.isoformat(timespec="seconds") + self.publisher.utc_offset

    def value(self, amount: float) -> dict[str, Any]:
        return {"amount": round(amount, 2), "currency": self.process.currency}

    def org(self, organization: Organization) -> dict[str, Any]:
        return organization.block() if self.v10 else organization.reference()

    def roles(self) -> dict[str, list[str]]:
        """Every organization's roles in the whole process, so that no release contradicts another."""
        process = self.process
        roles: dict[str, list[str]] = {process.buyer.party_id: ["buyer"]}
        roles.setdefault(process.entity.party_id, []).append("procuringEntity")
        winners = {winner.party_id for winner, _ in process.awards}
        for bid in process.bids:
            tenderer = [] if process.method == "direct" else ["tenderer"]  # a direct award has no tender
            supplier = ["supplier"] if bid.tenderer.party_id in winners else []
            roles[bid.tenderer.party_id] = tenderer + supplier
        return roles

    def release(self, stage: str, moment: datetime, tags: list[str], with_tenderers: bool = False) -> dict[str, Any]:
        process = self.process
        release: dict[str, Any] = {
            "ocid": process.ocid,
            "id": f"{process.ocid}-{stage}",
            "date": self.date(moment),
            "tag": tags,
            "initiationType": "tender",
            "language": self.language,
        }
        if not self.v10:
            organizations = [process.buyer, process.entity]
            if with_tenderers:
                organizations += [bid.tenderer for bid in process.bids]
            roles = self.roles()
            parties = {org.party_id: org.party(roles[org.party_id]) for org in organizations}
            release["parties"] = list(parties.values())
        release["buyer"] = self.org(process.buyer)
        return release

    def tender_id(self) -> str:
        return f"{self.publisher.key.upper()}-T-{self.process.number:06d}"

    def planning(self) -> dict[str, Any]:
        process = self.process
        release = self.release("planning", process.dates["planning"], ["planning"])
        year = process.dates["planning"].year
        release["planning"] = {
            "rationale": PLANNING_RATIONALES[self.language].format(year=year),
            "budget": {"description": process.title, "amount": self.value(process.estimate * 1.1)},
        }
        release["tender"] = {"id": self.tender_id(), "title": process.title, "status": "planned"}
        return release

    def tender(self) -> dict[str, Any]:
        process = self.process
        release = self.release("tender", process.dates["tender"], ["tender"])
        tender: dict[str, Any] = {
            "id": self.tender_id(),
            "title": process.title,
            "description": f"{process.title}. {process.buyer.name}.",
            "status": "active",
            "procuringEntity": self.org(process.entity),
            "items": process.items,
        }
        if process.publish_estimate:
            tender["value"] = self.value(process.estimate)
        method = "limited" if self.v10 and process.method == "direct" else process.method  # 1.0 has no "direct"
        tender["procurementMethod"] = method
        tender["procurementMethodDetails"] = process.details
        if process.rationale:
            tender["procurementMethodRationale"] = process.rationale
        if not self.v10:
            tender["mainProcurementCategory"] = process.category
        if process.method != "direct":
            tender["submissionMethod"] = ["electronicSubmission"]
            period = {
                "startDate": self.date(process.dates["tender"]),
                "endDate": self.date(process.dates["tender_end"]),
            }
            tender["tenderPeriod"] = period
        release["tender"] = tender
        return release

    def cancellation(self) -> dict[str, Any]:
        release = self.release("tenderCancellation", self.process.dates["cancelled"], ["tenderCancellation"])
        release["tender"] = {"id": self.tender_id(), "status": "cancelled"}
        return release

    def tender_update(self, status: str) -> dict[str, Any]:
        process = self.process
        tender: dict[str, Any] = {"id": self.tender_id(), "status": status}
        if process.method != "direct":
            tender["numberOfTenderers"] = len(process.bids)
            if process.bids:
                tender["tenderers"] = [self.org(bid.tenderer) for bid in process.bids]
        return tender

    def bids(self) -> dict[str, Any]:
        process = self.process
        valid = sum(bid.status == "valid" for bid in process.bids)
        statistics = [
            ("bids", len(process.bids)),
            ("validBids", valid),
            ("disqualifiedBids", len(process.bids) - valid),
        ]
        return {
            "statistics": [
                {"id": str(number), "measure": measure, "value": value, "date": self.date(process.dates["tender_end"])}
                for number, (measure, value) in enumerate(statistics, 1)
            ],
            "details": [
                {
                    "id": f"{process.ocid}-bid-{number}",
                    "date": self.date(bid.date),
                    "status": bid.status,
                    "tenderers": [self.org(bid.tenderer)],
                    "value": self.value(bid.amount),
                }
                for number, bid in enumerate(process.bids, 1)
            ],
        }

    def unsuccessful(self) -> dict[str, Any]:
        release = self.release("tenderUpdate", self.process.dates["unsuccessful"], ["tenderUpdate"], True)
        release["tender"] = self.tender_update("unsuccessful")
        if self.publisher.bids and self.process.bids:
            release["bids"] = self.bids()
        return release

    def award_id(self, number: int) -> str:
        return f"{self.process.ocid}-award-{number}"

    def award(self) -> dict[str, Any]:
        process = self.process
        release = self.release("award", process.dates["award"], ["tenderUpdate", "award"], True)
        release["tender"] = self.tender_update("complete")
        if process.method != "direct":
            period = {"startDate": self.date(process.dates["tender_end"]), "endDate": self.date(process.dates["award"])}
            release["tender"]["awardPeriod"] = period
        awards = []
        for number, (supplier, amount) in enumerate(process.awards, 1):
            award: dict[str, Any] = {"id": self.award_id(number), "title": process.title, "status": "active"}
            award["date"] = self.date(process.dates["award"])
            if process.publish_award_values:
                award["value"] = self.value(amount)
            award["suppliers"] = [self.org(supplier)]
            awards.append(award)
        release["awards"] = awards
        if self.publisher.bids and process.method != "direct":
            release["bids"] = self.bids()
        return release

    def contract(self) -> dict[str, Any]:
        process = self.process
        release = self.release("contract", process.dates["signed"], ["contract"])
        period = {
            "startDate": self.date(process.dates["contract_start"]),
            "endDate": self.date(process.dates["contract_end"]),
        }
        release["contracts"] = [
            {
                "id": f"{process.ocid}-contract-{number}",
                "awardID": self.award_id(number),
                "title": process.title,
                "status": "active",
                "value": self.value(amount),
                "period": period,
                "dateSigned": self.date(process.dates["signed"]),
            }
            for number, (_, amount) in enumerate(process.awards, 1)
        ]
        return release

    def amendments(self) -> list[dict[str, Any]]:
        """One ``contractAmendment`` release per change of the first contract's value."""
        process = self.process
        releases: list[dict[str, Any]] = []
        amount, previous_release = process.awards[0][1], f"{process.ocid}-contract"
        history: list[dict[str, Any]] = []
        for number, factor in enumerate(process.amendment_factors, 1):
            stage, moment = f"amendment-{number}", process.dates[f"amendment_{number}"]
            release = self.release(stage, moment, ["contractAmendment"])
            rationale = AMENDMENT_RATIONALES["increase" if factor > 1 else "decrease"][self.language]
            contract = {
                "id": f"{process.ocid}-contract-1",
                "awardID": self.award_id(1),
                "value": self.value(amount * factor),
            }
            if self.v10:
                change = {"property": "value", "former_value": self.value(amount)}
                contract["amendment"] = {"date": self.date(moment), "rationale": rationale, "changes": [change]}
            else:
                history.append(
                    {
                        "id": f"{process.ocid}-amendment-{number}",
                        "date": self.date(moment),
                        "rationale": rationale,
                        "amendsReleaseID": previous_release,
                        "releaseID": release["id"],
                    }
                )
                contract["amendments"] = list(history)
            release["contracts"] = [contract]
            releases.append(release)
            amount, previous_release = amount * factor, release["id"]
        return releases


def render_process(publisher: Publisher, process: Process) -> list[dict[str, Any]]:
    """The process's releases, in the order of their dates."""
    writer = Writer(publisher, process)
    releases = [writer.planning()] if process.has_planning else []
    releases.append(writer.tender())
    if process.outcome == "cancelled":
        return [*releases, writer.cancellation()]
    if process.outcome == "unsuccessful":
        return [*releases, writer.unsuccessful()]
    releases.append(writer.award())
    if process.outcome == "contracted":
        releases.append(writer.contract())
        releases += writer.amendments()
    return releases
