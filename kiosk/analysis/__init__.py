"""From depth frames to the measurement core and back: the per-frame analyzer (calibrated
box, SDK filters, foreground, core pipeline: analyzer.py), a recording's self-calibration
and orientation (orient.py) and its `analyze` document (recording.py). Below the app and
the commands; loads pyrealsense2 through hardware/ (the filters), never pygame."""
