"""The daemon `secmon run`: composition root, pipeline loop, inputs, status, signals.

    Daemon(load_runtime, clock=SystemClock(), env=os.environ).run()

service.py wires sources -> parsers -> rules -> incident store (and the
notify dispatcher); inputs.py adapts each source; status.py keeps and reads
the per-input counters; signals.py and systemd.py talk to the service
manager. Importing this package loads nothing else.
"""
