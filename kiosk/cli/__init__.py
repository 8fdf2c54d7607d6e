"""The `hinge-kiosk` commands: kiosk/cli/root.py wires them (the composition root, the
`hinge-kiosk` entry point), one module per command, their shared parts in common.py.
Nothing below this package imports it."""
