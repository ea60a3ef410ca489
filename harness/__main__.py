"""Command line: python -m harness assure|report [pytest arguments]."""

import sys

from .cli import main

sys.exit(main())
