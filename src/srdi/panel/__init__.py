"""The analysis panel: built from ingested tables and text measures, or imported from a user's file."""

from srdi.panel.build import build_panel
from srdi.panel.importer import write_imported_panel

__all__ = ["build_panel", "write_imported_panel"]
