from spiders.nigeria_bon_maximus_base import BON_MAXIMUS_FACTS, NigeriaBonMaximusBase


class NigeriaAnambraStateSpider(NigeriaBonMaximusBase):
    """
    Publisher
      Anambra State Bureau of Public Procurement: e-Procurement Portal
    API documentation
      https://eprocure.bpp.an.gov.ng/awarded_contracts.php
    Shape
      The table of awarded contracts (HTML), then one release package per OCID (``media/{ocid}.json``, slashes as
      underscores).
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the table has no filter)
    Caveats
      Packages are hand-made JSON, often invalid (``"amount": ,``, ``"amount": 221,000,000.00 ,``, ``"amount":
      N230000000``: kingfisher-collect issue 957): such a file is stored and noted, not loaded. The portal answered
      "System Under Maintenance" in 2025-10 (issue 1193) and 403 at times in 2026 (retried).
    """

    name = "nigeria_anambra_state"

    # PublisherSpider
    publisher_name = "Anambra State Bureau of Public Procurement"
    region = "AN"
    url = "https://eprocure.bpp.an.gov.ng"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    facts_from = ("kingfisher-collect:nigeria_anambra_state@2026-07", *BON_MAXIMUS_FACTS)

    # NigeriaBonMaximusBase
    portal_url = "https://eprocure.bpp.an.gov.ng/"
