"""Alerting: routes, bilingual messages safe from log injection, a durable
outbox written with the incidents, storm control, daily digests, and a
sender thread delivering through Apprise.

Modules: routing (which change goes where), alerts (queueing, the store's
on_change hook), outbox (the table), payload (what an alert says), storm,
digest, escape + message + templates/ (rendering), targets (URLs and
secrets), apprise_sender (the only module importing apprise), dispatcher
(delivery, retries, the thread), service (wiring for daemon and CLI).
Importing this package loads none of them.
"""
