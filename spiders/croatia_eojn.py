from crawler.spiders import PostbackSpider


class CroatiaEojnSpider(PostbackSpider):
    """
    Publisher
      Narodne novine: Elektronički oglasnik javne nabave Republike Hrvatske (EOJN RH)
    Bulk download documentation
      https://eojn.nn.hr/SPIN/application/ipn/Oglasnik/PreuzimanjeUgovoraOCD.aspx
    Shape
      An ASP.NET page whose form links each file (``PostbackSpider``): a link is a postback of the form, answered
      with a zip of release packages.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the files have no date filter)
    Caveats
      The portal answers only clients that look like a browser. Some files have held JSON that is not valid (a
      note on load; kingfisher-collect issue 886).
    """

    name = "croatia_eojn"

    # PublisherSpider
    country = "HR"
    publisher_name = "Elektronički oglasnik javne nabave (EOJN RH)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://eojn.nn.hr"
    update_frequency = "irregular"
    dates_at_load = True
    browser_user_agent = True
    facts_from = ("kingfisher-collect:croatia@2026-07",)

    # PostbackSpider
    form_url = "https://eojn.nn.hr/SPIN/application/ipn/Oglasnik/PreuzimanjeUgovoraOCD.aspx"
