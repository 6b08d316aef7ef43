"""The parts of bench/corpus.py, the seeded log corpus generator (see bench/README.md).

common: scenarios, addresses, the office; engine: benign sessions and time
stamps; plan: which attacks go where; truth: the answer key; auth, access,
mail: benign traffic of each log; *_attacks, web_probes: the attacks.
"""
