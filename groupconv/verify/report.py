"""Reports: one row per layer, rendered as a terminal table, Markdown or JSON, and plotted."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["Report", "EquivarianceRow", "EnergyRow", "CertificateRow"]


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "pass" if v else "FAIL"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return f"{v:.3g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"
    return str(v)


@dataclass
class EquivarianceRow:
    """One layer of an equivariance check.

    ``max_abs_error`` is ``max_g |L(g . u) - g . L(u)|`` over the layer's own captured input ``u``,
    ``max_rel_error`` the same divided by ``max |L(u)|``.
    """

    layer: str
    kind: str
    group: str
    in_type: str
    out_type: str
    max_abs_error: float
    max_rel_error: float
    elements_tried: int
    passed: bool
    note: str = ""


@dataclass
class EnergyRow:
    """One layer of an energy check: ``ratio = ||L(u)||^2 / ||u||^2`` against the frame bounds
    ``(A, B)`` of the layer where known."""

    layer: str
    kind: str
    input_energy: float
    output_energy: float
    ratio: float
    lower_bound: float | None
    upper_bound: float | None
    passed: bool | None
    note: str = ""


@dataclass
class CertificateRow:
    """One layer of an exact certificate: ``status`` is ``proved``, ``not applicable`` or ``failed``."""

    layer: str
    kind: str
    status: str
    reason: str
    residual: float | None = None
    seconds: float | None = None


_ROW_TYPES = {cls.__name__: cls for cls in (EquivarianceRow, EnergyRow, CertificateRow)}


@dataclass
class Report:
    """A list of rows of one kind with a title and summary information."""

    title: str
    rows: list = field(default_factory=list)
    info: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when no row failed."""
        for r in self.rows:
            if isinstance(r, CertificateRow):
                if r.status == "failed":
                    return False
            elif r.passed is False:
                return False
        return True

    def failures(self) -> list:
        """The rows that failed."""
        out = []
        for r in self.rows:
            bad = r.status == "failed" if isinstance(r, CertificateRow) else r.passed is False
            if bad:
                out.append(r)
        return out

    def first_failure(self):
        """The first failing row (in forward order), or ``None``."""
        f = self.failures()
        return f[0] if f else None

    def _table(self) -> tuple[list[str], list[list[str]]]:
        if not self.rows:
            return [], []
        names = [f.name for f in fields(self.rows[0])]
        return names, [[_fmt(getattr(r, n)) for n in names] for r in self.rows]

    def to_text(self) -> str:
        """A plain-text table."""
        head, body = self._table()
        lines = [self.title]
        if head:
            widths = [max(len(x) for x in col) for col in zip(head, *body)]
            lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths)))
            lines.append("  ".join("-" * w for w in widths))
            lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in body]
        for k, v in self.info.items():
            lines.append(f"{k}: {_fmt(v)}")
        lines.append("result: " + ("pass" if self.passed else "FAIL"))
        return "\n".join(lines)

    __str__ = to_text

    def to_markdown(self) -> str:
        """A Markdown table."""
        head, body = self._table()
        lines = [f"### {self.title}", ""]
        if head:
            lines.append("| " + " | ".join(head) + " |")
            lines.append("|" + "---|" * len(head))
            lines += ["| " + " | ".join(row) + " |" for row in body]
            lines.append("")
        for k, v in self.info.items():
            lines.append(f"- {k}: {_fmt(v)}")
        lines.append(f"- result: {'pass' if self.passed else 'FAIL'}")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "row_type": type(self.rows[0]).__name__ if self.rows else None,
            "rows": [asdict(r) for r in self.rows],
            "info": self.info,
            "passed": self.passed,
        }

    def to_json(self, path: str | None = None) -> str:
        """JSON text (written to ``path`` when given)."""
        text = json.dumps(self.to_dict(), indent=2, default=float)
        if path is not None:
            with open(path, "w") as fh:
                fh.write(text)
        return text

    @classmethod
    def from_json(cls, text: str) -> Report:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        row_cls = _ROW_TYPES.get(data.get("row_type") or "", None)
        rows = [row_cls(**r) for r in data["rows"]] if row_cls else []
        return cls(title=data["title"], rows=rows, info=data.get("info", {}))

    def plot(self, ax=None):
        """Bar plot of the per-layer errors (equivariance), ratios (energy) or statuses (certificate).
        Needs matplotlib (``pip install groupconv[plot]``)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("plotting needs matplotlib: pip install groupconv[plot]") from e
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4, 0.6 * len(self.rows)), 3))
        labels = [r.layer for r in self.rows]
        if self.rows and isinstance(self.rows[0], EquivarianceRow):
            ax.bar(labels, [max(r.max_rel_error, 1e-18) for r in self.rows])
            ax.set_yscale("log")
            ax.set_ylabel("max relative error")
        elif self.rows and isinstance(self.rows[0], EnergyRow):
            ax.bar(labels, [r.ratio for r in self.rows])
            ax.set_ylabel("||L u||^2 / ||u||^2")
        else:
            ax.bar(labels, [1.0 if r.status == "proved" else 0.0 for r in self.rows])
            ax.set_ylabel("proved")
        ax.set_title(self.title)
        ax.tick_params(axis="x", rotation=45)
        return ax
