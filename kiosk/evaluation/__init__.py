"""Evaluation tools, off the product path: the accuracy matrices against the simulator's
truth (accuracy*.py), the benchmarks (bench*.py), the soak run, the calibration report
and the demo's contact sheets. The kiosk and its commands never import them, except the
`bench` and `demo` commands, which run them."""
