"""The ``ocds-atlas`` command: parsing arguments, printing tables and errors, and the demo.

The top of the arrows: it may import anything in ``aggregator``; nothing imports it.
"""
