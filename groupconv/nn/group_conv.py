"""Deprecated: the former module of :class:`~groupconv.nn.HomogeneousFourierConv`.

``GroupConvolution`` was renamed :class:`~groupconv.nn.HomogeneousFourierConv` (the Fourier-domain
convolution between functions on homogeneous spaces ``G/H``), so that it is not confused with the
spatial :class:`~groupconv.nn.GroupConv2d`; the old name builds the same layer, with a
``DeprecationWarning``, for one release.

>>> import warnings
>>> from groupconv.groups import Cyclic
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     layer = GroupConvolution(Cyclic(4), 2, 3)
>>> isinstance(layer, HomogeneousFourierConv), caught[0].category.__name__
(True, 'DeprecationWarning')
"""

from __future__ import annotations

import warnings

from .fourier_conv import FunctionType, HomogeneousFourierConv

__all__ = ["GroupConvolution", "FunctionType", "HomogeneousFourierConv"]


class GroupConvolution(HomogeneousFourierConv):
    """Deprecated alias of :class:`~groupconv.nn.HomogeneousFourierConv` (same arguments, same layer,
    same ``state_dict``)."""

    def __init__(self, *args, **kwargs):
        warnings.warn(
            "groupconv.nn.GroupConvolution is deprecated, use groupconv.nn.HomogeneousFourierConv (the same layer)",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)
