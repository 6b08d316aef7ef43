"""Incidents: correlation of detections (pure) and the SQLite store."""
