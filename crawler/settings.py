"""Scrapy settings for every ocds-atlas spider. Environment: ``OCDS_ATLAS_HOME``, ``DATABASE_URL``,
``OCDS_ATLAS_SANDBOX_URL`` (where the sandbox publishers are served)."""

import os

BOT_NAME = "ocds_atlas"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Publishers' APIs are not web pages for robots; be polite by concurrency instead.
ROBOTSTXT_OBEY = False
USER_AGENT = "ocds-atlas (+https://github.com/ocds-atlas/ocds-atlas)"
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 180
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = os.environ.get("OCDS_ATLAS_LOG_LEVEL", "INFO")

ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}

#: How many stored files the pipeline hands to the aggregator at once.
OCDS_ATLAS_FILES_BATCH = 10
OCDS_ATLAS_SANDBOX_URL = os.environ.get("OCDS_ATLAS_SANDBOX_URL", "")
