"""``python -m crawler`` is the ``provnews`` command."""

from crawler.cli.entry import main

main()
