"""The hinge kiosk. Importing it first (every entry point does: `hinge-kiosk` is kiosk.cli.root:main)
silences pygame's "Hello from the pygame community" banner, which it prints on import to
stdout, where the commands' own output goes (report paths, tables, JSON)."""

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
