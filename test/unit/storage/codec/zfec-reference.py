"""Reference encodings and decodings by python3-zfec, for zfec-python.test.ts.

Usage: python3 zfec-reference.py DIR. DIR/cases.json lists cases {k, n, length, decodeNums}; DIR/inputs
holds each case's k input blocks, one after another. Writes DIR/outputs: per case, the n blocks zfec
encodes, then the k blocks zfec decodes from the blocks numbered decodeNums (in that order), except
for k = 256: zfec's Decoder crashes (SIGSEGV) for k = 256 in python3-zfec 1.5.2, so those are left out.
"""

import json
import os
import sys

import zfec

directory = sys.argv[1]
with open(os.path.join(directory, "cases.json")) as f:
    cases = json.load(f)
with open(os.path.join(directory, "inputs"), "rb") as f:
    data = f.read()

out = []
offset = 0
for case in cases:
    k, n, length = case["k"], case["n"], case["length"]
    inputs = [data[offset + i * length : offset + (i + 1) * length] for i in range(k)]
    offset += k * length
    blocks = zfec.Encoder(k, n).encode(inputs)
    out.extend(bytes(b) for b in blocks)
    if k < 256:
        nums = case["decodeNums"]
        decoded = zfec.Decoder(k, n).decode([blocks[i] for i in nums], nums)
        out.extend(bytes(b) for b in decoded)

with open(os.path.join(directory, "outputs"), "wb") as f:
    f.write(b"".join(out))
