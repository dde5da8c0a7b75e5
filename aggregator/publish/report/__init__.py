"""``ocds-atlas report``: a static HTML site of the indicators, country by country (see ``site``)."""
