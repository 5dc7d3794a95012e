"""`python -m cx360.cli`: the `cx360` command."""

import sys

from cx360.cli._main import main

sys.exit(main())
