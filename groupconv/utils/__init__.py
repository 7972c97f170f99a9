"""Infrastructure shared by every subpackage: the memory budget that large builds check before they
allocate (:mod:`~groupconv.utils.memory`), the validated on-disk cache (:mod:`~groupconv.utils.cache`),
float tables rebuilt from float64 masters on every dtype and device change
(:mod:`~groupconv.utils.buffers`), renamed keyword parameters that still accept their old names for one
release (:mod:`~groupconv.utils.deprecation`), progress reporting for long runs
(:mod:`~groupconv.utils.progress`), and heavy dependencies imported on first use
(:mod:`~groupconv.utils.lazy`). Nothing here depends on the rest of the package."""

from __future__ import annotations
