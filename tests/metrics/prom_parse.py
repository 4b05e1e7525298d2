#!/usr/bin/python3
"""prom_parse.py FILE - parses a /metrics text with Debian's
python3-prometheus-client (the reference parser, independent of feedarc's
own checker) and prints one line: "families N samples M".  Exits 1 with the
parser's complaint when the text does not parse or a name lacks feedarc_."""
import sys

from prometheus_client.parser import text_string_to_metric_families

with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
families = samples = 0
try:
    for fam in text_string_to_metric_families(text):
        families += 1
        if not fam.name.startswith("feedarc_"):
            sys.exit("family %s lacks the feedarc_ prefix" % fam.name)
        if fam.type not in ("counter", "gauge", "histogram"):
            sys.exit("family %s has type %s" % (fam.name, fam.type))
        if not fam.documentation:
            sys.exit("family %s has no HELP" % fam.name)
        samples += len(fam.samples)
except Exception as e:  # the parser raises ValueError and friends
    sys.exit("does not parse: %r" % (e,))
print("families %d samples %d" % (families, samples))
