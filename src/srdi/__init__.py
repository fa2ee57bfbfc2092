"""srdi-pipeline: replication pipeline for co-innovation and SRDI (专精特新) firm-level research."""

__version__ = "0.1.0"
