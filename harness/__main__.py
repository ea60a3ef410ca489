"""Command line: python -m harness assure|report [pytest arguments]."""

import sys

from harness.cli.main import main

sys.exit(main())
