"""The curator's studio: a local web app that edits the collection with the kiosk's own code.

``kiosk studio`` serves it on 127.0.0.1; :func:`kiosk.studio.app.create_app` builds it. The studio
reads and writes the content folder (round-trip YAML, atomically, with history), shows the
validator's problems beside their fields, previews scenes with the kiosk's own renderer, and packs
and signs the collection for the kiosks.
"""
