"""Parsers: one log line in, one Event out (or None when the line is not of the format).

`registry.make_parser(type_name, ctx)` gives a parser for one source;
`detect.detect_type(lines)` guesses the type from a sample of lines.
Importing this package loads nothing else.
"""
