#!/usr/bin/env python3
"""Write trayapp's state icons: one glyph per state, full colour and -symbolic.

    packaging/make_state_icons.py        # rewrites trayapp/icons/trayapp-<state>[-symbolic].svg

The glyphs are the source: a crescent moon (dormant), a play triangle
(running), two turning arrows (starting or stopping), a cross in a disc
(failed), a chain link broken in two (not connected), a bar (off: a daemon's own
icon only, in the menu and the window, so that off does not look asleep).  Look at the result
with render_icons.py --sheet.
"""

from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "trayapp" / "icons"

# Each glyph drawn in a 16x16 box.  Full colour: the glyph in white on a disc of
# the state's colour with a dark rim; symbolic: the glyph alone in currentColor.
GLYPHS = {
    "dormant": (
        "A daemon sleeps: a crescent moon",
        "#5b6ee1",
        # crescent: a disc minus an offset disc (even-odd)
        '<path fill-rule="evenodd" d="M9.2 2.2A6 6 0 1 0 13.8 10.6A5.2 5.2 0 0 1 9.2 2.2Z"/>',
        '<path d="M8.6 4.1A4.1 4.1 0 1 0 11.9 10.2A3.6 3.6 0 0 1 8.6 4.1Z"/>',
    ),
    "running": (
        "A daemon is running: a play triangle",
        "#2ea44f",
        '<path d="M3.5 1.8L14 8L3.5 14.2Z" stroke-linejoin="round"/>',
        '<path d="M6 4.4L11.6 8L6 11.6Z"/>',
    ),
    "busy": (
        "A daemon starts or stops: two turning arrows",
        "#e0a000",
        '<path d="M8 1.5A6.5 6.5 0 0 1 14.3 6.4L15.8 6L13.9 9.4L10.6 7.5L12.3 7'
        'A4.5 4.5 0 0 0 3.8 6.2L1.9 5.6A6.5 6.5 0 0 1 8 1.5Z"/>'
        '<path d="M8 14.5A6.5 6.5 0 0 1 1.7 9.6L0.2 10L2.1 6.6L5.4 8.5L3.7 9'
        'A4.5 4.5 0 0 0 12.2 9.8L14.1 10.4A6.5 6.5 0 0 1 8 14.5Z"/>',
        '<path d="M8 3.6A4.4 4.4 0 0 1 12.2 6.7L13.3 6.4L12.1 8.8L9.8 7.5L10.8 7.2A3 3 0 0 0 5.2 7'
        'L3.9 6.6A4.4 4.4 0 0 1 8 3.6Z"/>'
        '<path d="M8 12.4A4.4 4.4 0 0 1 3.8 9.3L2.7 9.6L3.9 7.2L6.2 8.5L5.2 8.8A3 3 0 0 0 10.8 9'
        'L12.1 9.4A4.4 4.4 0 0 1 8 12.4Z"/>',
    ),
    "failed": (
        "A daemon failed: a cross in a disc",
        "#d73a49",
        '<path fill-rule="evenodd" d="M8 0.8A7.2 7.2 0 1 1 8 15.2A7.2 7.2 0 1 1 8 0.8Z'
        'M4.6 6.0L6.6 8L4.6 10L6 11.4L8 9.4L10 11.4L11.4 10L9.4 8L11.4 6L10 4.6L8 6.6L6 4.6Z"/>',
        '<path d="M4.1 5.6L6.5 8L4.1 10.4L5.6 11.9L8 9.5L10.4 11.9L11.9 10.4L9.5 8'
        'L11.9 5.6L10.4 4.1L8 6.5L5.6 4.1Z"/>',
    ),
    "off": (
        "A daemon is off, nothing listens for it: a bar",
        "#6e7781",
        '<rect x="2.2" y="6.5" width="11.6" height="3" rx="1.5"/>',
        None,
    ),
    "disconnected": (
        "Not connected to systemd: a chain link broken in two",
        "#8a8f98",
        '<g transform="rotate(-45 8 8)" fill="none" stroke="currentColor" stroke-width="1.9">'
        '<rect x="0.2" y="5.6" width="6" height="4.8" rx="2.4"/>'
        '<rect x="9.8" y="5.6" width="6" height="4.8" rx="2.4"/></g>',
        None,
    ),
}

SYMBOLIC = """<?xml version="1.0" encoding="UTF-8"?>
<!-- trayapp state "{state}", monochrome (-symbolic): {title}.
     One colour, currentColor with KDE's ColorScheme-Text class, so Plasma
     recolours it to the panel's text colour; GNOME recolours -symbolic names. -->
<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">
  <title>{title}</title>
  <style id="current-color-scheme" type="text/css">.ColorScheme-Text {{ color:#232629; }}</style>
  <g class="ColorScheme-Text" fill="currentColor" style="fill:currentColor">
    {glyph}
  </g>
</svg>
"""

COLOUR = """<?xml version="1.0" encoding="UTF-8"?>
<!-- trayapp state "{state}", full colour: {title}.
     The same glyph as the -symbolic icon, white on the state's colour, with a
     dark rim that keeps the disc apart from a light panel. -->
<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">
  <title>{title}</title>
  <circle cx="8" cy="8" r="7.7" fill="#1c2126"/>
  <circle cx="8" cy="8" r="7" fill="{colour}"/>
  <g fill="#fff">
    {glyph}
  </g>
</svg>
"""

SCALED = '<g transform="translate(8 8) scale(0.74) translate(-8 -8)">{}</g>'

for state, (title, colour, symbolic, small) in GLYPHS.items():
    if state != "failed":  # the glyph itself, smaller, inside the disc
        small = SCALED.format(symbolic.replace('stroke="currentColor"', 'stroke="#fff"'))
    sym = symbolic.replace('stroke="currentColor"',
                           'stroke="currentColor" class="ColorScheme-Text"')
    (OUT / f"trayapp-{state}-symbolic.svg").write_text(
        SYMBOLIC.format(state=state, title=title, glyph=sym))
    (OUT / f"trayapp-{state}.svg").write_text(
        COLOUR.format(state=state, title=title, colour=colour, glyph=small))
