"""The kiosk's screen colours, RGB 0-255, dark background with light text and a yellow
for cues. Plain constants with no imports, so a screen that must come up when the app
itself is broken (kiosk/fallback_screen/) shares them with the app (kiosk/app/shapes.py)."""

Color = tuple[int, int, int]
BG: Color = (14, 18, 24)
PANEL: Color = (30, 36, 46)
TEXT: Color = (245, 245, 245)
DIM: Color = (170, 178, 190)
CUE: Color = (255, 214, 64)  # instructions and cues: yellow on near-black
