"""Optional bridges to other libraries, never imported by the core.

- :mod:`groupconv.interop.escnn` -- escnn field types both ways and escnn modules as typed layers
  (``pip install groupconv[escnn]``).
- :mod:`groupconv.interop.e3nn` -- the change of basis to e3nn's real ``SO(3)`` / ``O(3)`` irreps, for
  matrices, spherical-harmonic coefficients and features, and e3nn irreps strings (e3nn not needed).
"""
