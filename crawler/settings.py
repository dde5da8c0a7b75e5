"""Scrapy settings for every ocds-atlas spider. Environment: ``OCDS_ATLAS_HOME``, ``DATABASE_URL``,
``OCDS_ATLAS_SANDBOX_URL`` (where the sandbox publishers are served)."""

import os
from pathlib import Path

BOT_NAME = "ocds_atlas"
# OCDS_ATLAS_SPIDER_MODULES: more modules of spiders, space-separated (private spiders; tests' spiders).
SPIDER_MODULES = ["spiders", *os.environ.get("OCDS_ATLAS_SPIDER_MODULES", "").split()]
NEWSPIDER_MODULE = "spiders"

# Publishers' APIs are not web pages for robots; be polite by concurrency instead.
ROBOTSTXT_OBEY = False
USER_AGENT = "ocds-atlas (+https://github.com/ocds-atlas/ocds-atlas)"
CONCURRENT_REQUESTS = 8
# A spider's `concurrency` and `delay` set CONCURRENT_REQUESTS_PER_DOMAIN and DOWNLOAD_DELAY (PublisherSpider).
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
# AutoThrottle slows down when the publisher does: about one request at a time, never faster than DOWNLOAD_DELAY.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 180
# Responses above this are cut, with a note (see PublisherSpider.failed).
DOWNLOAD_MAXSIZE = 2 * 1024**3
DOWNLOAD_WARNSIZE = 256 * 1024**2

# Retries back off (crawler.middlewares.BackoffRetryMiddleware): Retry-After when the response has it (at most
# OCDS_ATLAS_RETRY_AFTER_MAX seconds), else OCDS_ATLAS_RETRY_BASE_DELAY doubled at each attempt (at most
# OCDS_ATLAS_RETRY_MAX_DELAY).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 507, 520, 521, 522, 523, 524]
OCDS_ATLAS_RETRY_BASE_DELAY = 1.0
OCDS_ATLAS_RETRY_MAX_DELAY = 60.0
OCDS_ATLAS_RETRY_AFTER_MAX = 300.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.AllowedDomainsMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
}
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = os.environ.get("OCDS_ATLAS_LOG_LEVEL", "INFO")
# OCDS_ATLAS_LOG_FORMAT=json: one JSON object per line. Done here, not in an extension, because Scrapy logs its
# first lines before any extension exists.
if os.environ.get("OCDS_ATLAS_LOG_FORMAT", "").lower() == "json":
    from aggregator.operate.observability import use_json_log_records

    use_json_log_records()
    LOG_FORMAT = "%(message)s"

# Sentry, when SENTRY_DSN is set (crawler/extensions.py).
EXTENSIONS = {"crawler.extensions.SentryExtension": 100, "crawler.frontier.Frontier": 50}
# What a crawl asked for and did not get, for its acceptance and for --resume (crawler/frontier.py).
SPIDER_MIDDLEWARES = {"crawler.frontier.FrontierMiddleware": 50}

ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}

# Bodies larger than OCDS_ATLAS_STREAM_THRESHOLD bytes go to the files store as they arrive (crawler/handlers.py).
DOWNLOAD_HANDLERS = {
    "http": "crawler.handlers.StreamingDownloadHandler",
    "https": "crawler.handlers.StreamingDownloadHandler",
}
OCDS_ATLAS_STREAM_THRESHOLD = 32 * 1024 * 1024

# `scrapy checkall`, `scrapy crawlall`, and `scrapy genspider -t publisher NAME DOMAIN` from crawler/templates/.
COMMANDS_MODULE = "crawler.commands"
TEMPLATES_DIR = str(Path(__file__).resolve().parent / "templates")

#: How many stored files a sample loads at once (it loads them in the crawl process, to stop at its number).
OCDS_ATLAS_FILES_BATCH = 10
# OCDS_ATLAS_LOADERS: the loader processes that store a crawl's files while it fetches (crawler/pipelines.py: one on
# two cores or fewer, else two); 0 loads them in the crawl process, as a sample does.
if os.environ.get("OCDS_ATLAS_LOADERS"):
    OCDS_ATLAS_LOADERS = int(os.environ["OCDS_ATLAS_LOADERS"])
OCDS_ATLAS_SANDBOX_URL = os.environ.get("OCDS_ATLAS_SANDBOX_URL", "")
