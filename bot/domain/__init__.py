"""Typed domain values shared by services and presentation: no I/O, no aiogram."""
