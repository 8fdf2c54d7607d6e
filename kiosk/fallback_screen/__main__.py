"""`python -m kiosk.fallback_screen`: the command systemd/hinge-kiosk-fallback.service and
hardware/pi/install_proof.sh run (the options: service.py)."""

import sys

from kiosk.fallback_screen.service import main

if __name__ == "__main__":
    sys.exit(main())
