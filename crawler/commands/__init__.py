"""The project's Scrapy commands (``COMMANDS_MODULE``): ``checkall``, ``crawlall``, and ``genspider`` with the
project's naming rule."""
