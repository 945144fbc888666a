"""Servers that ship as wheels, for the one-machine default (DESIGN.md, 'Embedded default')."""
