"""Numba settings in one place.

FASTMATH lets LLVM reassociate sums and use reciprocal/approximate functions so the item
loops vectorise; it leaves out 'nnan' and 'ninf' so NaN and inf checks keep working.
Results stay deterministic for a given machine and thread count does not change them.
"""

FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
