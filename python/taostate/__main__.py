"""`python -m taostate …` is the `taostate` command."""

import sys

from .cli import main

sys.exit(main())
