"""Writes tests/golden/float-repr.json: doubles (as their 64 bits in hex) and CPython's
repr() of each, which lrsched's CSV, JSON and tables must reproduce byte for byte.

The doubles cover every binary exponent (random mantissas, seeded), the switch points of
repr's layout (1e-4 and 1e16), whole numbers, subnormals, the extremes and negatives.

    python3 tests/golden/scripts/float_repr.py > tests/golden/float-repr.json
"""

import json
import random
import struct
import sys


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def from_bits(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def main():
    rng = random.Random(12)
    values = []
    for exponent in range(0, 2047):
        for _ in range(2):
            values.append(from_bits((exponent << 52) | rng.getrandbits(52)))
    for around in (1e-5, 1e-4, 1e-3, 1.0, 1e15, 1e16, 1e17, 2.0**53, 2.0**63, 2.0**64):
        b = bits(around)
        values.extend(from_bits(b + d) for d in range(-3, 4))
    values += [0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
    values += [float(n) for n in (1, 10, 123456789, 10**15, 10**16 - 2, 10**16, 10**22)]
    values += [0.1 * 0.2, 0.1 + 0.2, 1 / 3, 2 / 3, 0.07500000000000001, 3e-4, 2.5e-5]
    values += [-v for v in values[::7]]
    # One [bits, repr] pair a line.
    sys.stdout.write('{"python": %s, "cases": [\n' % json.dumps(sys.version.split()[0]))
    lines = [json.dumps(["%016x" % bits(v), repr(v)]) for v in values]
    sys.stdout.write(",\n".join(lines) + "\n]}\n")


main()
