"""Optional bridges to other libraries, never imported by the core.

- :mod:`groupconv.interop.escnn` -- escnn field types both ways and escnn modules as typed layers
  (``pip install groupconv[escnn]``).
"""
