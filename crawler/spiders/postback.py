"""``PostbackSpider``: files behind the links of an ASP.NET Web Forms page, each downloaded by a form postback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

from scrapy.http import FormRequest, Response
from scrapy.selector import Selector

from crawler.spiders.base import PublisherSpider
from crawler.spiders.declarations import OCDS_DATA

#: ``javascript:__doPostBack('ctl00$Content$lnk1','')``: the event's target and argument.
DO_POSTBACK = re.compile(r"__doPostBack\(\s*'([^']*)'\s*,\s*'([^']*)'\s*\)")


class PostbackSpider(PublisherSpider):
    """
    form_url
      The page whose form lists the files: each link is a postback (``javascript:__doPostBack(target, argument)``)
      that answers with a file.
    postback_links
      The XPath of the links, in the page (default: every ``<a>`` with an ``id`` inside the form).

    The page is a listing (see ``listings``): kept, not loaded. Each link's file is requested as the browser would:
    the form POSTed to its action with all its fields (``__VIEWSTATE``, ``__EVENTVALIDATION``…), ``__EVENTTARGET`` and
    ``__EVENTARGUMENT`` set from the link's ``__doPostBack`` call (else its ``id``, ``_`` read as ``$``, as
    ASP.NET names controls), and no button clicked. A page without a form, or whose form has no such link, is
    noted.
    """

    abstract = True
    form_url: ClassVar[str]
    postback_links: ClassVar[str] = "//form//a[@id]"

    # PublisherSpider
    listings = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False) and not getattr(cls, "form_url", None):
            raise TypeError(f"{cls.__module__}.{cls.__qualname__} must declare form_url (the page with the form)")

    def start_requests_urls(self) -> list[str]:
        return [self.form_url]

    def parse_listing(self, response: Response) -> Iterator[Any]:
        links = response.xpath(self.postback_links) if response.xpath("//form") else []
        if not links:
            message = f"the page has no form with postback links ({self.postback_links}): its files are unknown"
            yield self.note("error", "postback_links_missing", message, url=response.url)
            return
        for link in links:
            yield self.postback(response, link)

    def postback(self, response: Response, link: Selector) -> FormRequest:
        """The form POSTed as the link's ``__doPostBack`` would: the request of its file."""
        call = DO_POSTBACK.search(link.attrib.get("href", ""))
        target, argument = (call[1], call[2]) if call else (link.attrib["id"].replace("_", "$"), "")
        form = response.xpath("//form")[0]
        fields = {**form_fields(form), "__EVENTTARGET": target, "__EVENTARGUMENT": argument}
        return FormRequest(
            response.urljoin(form.attrib.get("action") or response.url),
            formdata=fields,
            callback=self.parse,
            errback=self.failed,
            meta={OCDS_DATA: True, "postback_target": target},
        )


def form_fields(form: Selector) -> dict[str, str]:
    """What a browser sends of a form when a script submits it: its named inputs (checked boxes only; no buttons,
    which only a click sends), each select's chosen option (else its first) and its text areas."""
    fields = {}
    for field in form.xpath(".//input[@name]"):
        kind = field.attrib.get("type", "text").lower()
        if kind in ("submit", "button", "image", "reset", "file") or (
            kind in ("checkbox", "radio") and "checked" not in field.attrib
        ):
            continue
        fields[field.attrib["name"]] = field.attrib.get("value", "")
    for select in form.xpath(".//select[@name]"):
        chosen = select.xpath("./option[@selected]/@value").get() or select.xpath("./option/@value").get()
        fields[select.attrib["name"]] = chosen or ""
    for area in form.xpath(".//textarea[@name]"):
        fields[area.attrib["name"]] = area.xpath("string()").get() or ""
    return fields
