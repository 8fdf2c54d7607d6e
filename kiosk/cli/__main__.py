"""`python -m kiosk.cli`: the same as the `hinge-kiosk` command."""

import sys

from kiosk.cli.root import main

sys.exit(main())
