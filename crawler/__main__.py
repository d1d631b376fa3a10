"""``python -m crawler`` is the ``provnews`` command."""

from crawler.cli.main import main

main()
