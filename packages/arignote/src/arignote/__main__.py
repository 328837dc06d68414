"""``python -m arignote`` is the ``arignote`` command."""

import sys

from .cli import main

sys.exit(main())
