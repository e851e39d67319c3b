"""The impact report as documents: the printable report (HTML and PDF), its charts, and the
weekly chart of `champbot report --png`."""
