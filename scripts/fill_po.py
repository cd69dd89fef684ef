"""Merge translations from a Python dict file into the Arabic catalog (used while bootstrapping)."""
import runpy
import sys

from babel.messages.pofile import read_po, write_po

src = runpy.run_path(sys.argv[1])
path = "sila/locale/ar/LC_MESSAGES/messages.po"
with open(path, "rb") as fh:
    catalog = read_po(fh, locale="ar")
for message in catalog:
    if not message.id:
        continue
    key = message.id[0] if isinstance(message.id, tuple) else message.id
    if isinstance(message.id, tuple) and key in src.get("PLURALS", {}):
        message.string = tuple(src["PLURALS"][key])
    elif key in src.get("AR", {}):
        message.string = src["AR"][key]
    message.flags.discard("fuzzy")
with open(path, "wb") as fh:
    write_po(fh, catalog, width=100, omit_header=False)
missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
print("missing:", missing)
