"""The explorer: a page at ``/`` that shows events on a map, a timeline and a list.

It reads the public API like any other client. Its libraries (Leaflet, uPlot, the world
outlines) come from npm at install time (``package.json`` here) and are served by Sitrep.
"""
