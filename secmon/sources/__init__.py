"""Sources: where log lines come from (files read once, tailed files, journald, ...).

Sources know nothing of secmon but `events`; importing this package loads nothing.
"""
