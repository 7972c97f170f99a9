"""Reports: one row per layer, rendered as a terminal table, Markdown or JSON, and plotted.

:class:`Report` holds the rows of one check (equivariance, energy or certificate);
:class:`VerificationReport` holds the three reports of :func:`groupconv.verify.verify_model`. Terminal
tables use ``rich`` when it is installed and plain text otherwise; plots need matplotlib.

>>> rows = [CertificateRow("0", "ReLU", "proved", "permutation fields"), CertificateRow("1", "Mix", "failed", "g=1")]
>>> report = Report(title="certificate", rows=rows)
>>> report.passed, report.first_failure().layer
(False, '1')
>>> Report.from_json(report.to_json()).rows == rows
True
"""

from __future__ import annotations

import json
import math
import sys
import textwrap
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TextIO

from ..utils.table import format_table, terminal_width

__all__ = ["Report", "VerificationReport", "EquivarianceRow", "EnergyRow", "CertificateRow"]


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
    """One tier of one layer of an equivariance check.

    ``max_abs_error`` is ``max_g |L(g . u) - g . L(u)|`` over the tier's elements on the layer's own
    captured input ``u`` (band-limited in the approximate tier), ``max_rel_error`` the same divided by
    ``max |L(u)|``, and ``tolerance`` the largest ``max_rel_error`` the row allows; ``reason`` says where
    the tolerance comes from. ``tier`` is ``"exact"`` (elements acting without interpolation, dtype
    tolerance), ``"approximate"`` (interpolated elements, calibrated tolerance) or ``"not checked"`` (a
    layer without a type: the errors are ``None``, and ``passed`` is ``None``, or ``False`` when the check
    was asked to fail on untyped layers).
    """

    layer: str
    kind: str
    group: str
    in_type: str
    out_type: str
    tier: str
    max_abs_error: float | None
    max_rel_error: float | None
    tolerance: float | None
    elements_tried: int
    passed: bool | None
    reason: str = ""
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


_HIDDEN = ("seconds",)

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
        # timings stay in the JSON; tables show what was checked
        names = [f.name for f in fields(self.rows[0]) if f.name not in _HIDDEN]
        return names, [[_fmt(getattr(r, n)) for n in names] for r in self.rows]

    def to_text(self, width: int | None = None) -> str:
        """A plain-text table; with ``width``, fitted to that many columns by
        :func:`groupconv.utils.table.format_table` (long cells wrap, columns that do not fit are written
        under their row)."""
        head, body = self._table()
        lines = [self.title]
        if head:
            lines.append(format_table(head, body, width))
        for k, v in self.info.items():
            lines.append(f"{k}: {_fmt(v)}")
        lines.append("result: " + ("pass" if self.passed else "FAIL"))
        return "\n".join(lines)

    __str__ = to_text

    def to_rich(self):
        """A ``rich.table.Table`` (needs ``rich``); failing cells are shown in red."""
        # rich is an optional extra: imported only when a rich table is asked for
        from rich.markup import escape
        from rich.table import Table

        head, body = self._table()
        table = Table(title=f"{self.title}: " + ("pass" if self.passed else "FAIL"), title_justify="left")
        for h in head:
            wrap = h in ("reason", "note")
            table.add_column(h, overflow="fold", no_wrap=not wrap)
        for row in body:
            # type names such as D4[irrep(0,0)] must not be read as rich markup
            table.add_row(*[f"[red]{escape(c)}[/red]" if c in ("FAIL", "failed") else escape(c) for c in row])
        if self.info:
            table.caption = escape(", ".join(f"{k}: {_fmt(v)}" for k, v in self.info.items()))
        return table

    def show(self, file: TextIO | None = None, use_rich: bool | None = None) -> None:
        """Write the report as a table to ``file`` (default ``sys.stdout``): with ``rich`` when it is
        importable (``use_rich=None``), else as plain text."""
        _show([self], file, use_rich)

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
        """A JSON-serializable dictionary (see :meth:`from_dict`)."""
        return {
            "title": self.title,
            "row_type": type(self.rows[0]).__name__ if self.rows else None,
            "rows": [asdict(r) for r in self.rows],
            "info": self.info,
            "passed": self.passed,
        }

    def to_json(self, path: str | None = None) -> str:
        """JSON text (written to ``path`` when given)."""
        return _dump_json(self.to_dict(), path)

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(data, dict) or "title" not in data or "rows" not in data:
            raise ValueError("a report dictionary needs the keys 'title' and 'rows'")
        row_type = data.get("row_type")
        row_cls = _ROW_TYPES.get(row_type or "", None)
        if data["rows"] and row_cls is None:
            raise ValueError(f"unknown row type {row_type!r}; expected one of {sorted(_ROW_TYPES)}")
        rows = [row_cls(**r) for r in data["rows"]] if row_cls else []
        return cls(title=data["title"], rows=rows, info=data.get("info", {}))

    @classmethod
    def from_json(cls, text: str) -> Report:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def plot(self, ax=None):
        """Bar plot of the per-layer errors (equivariance), ratios (energy) or statuses (certificate).
        Needs matplotlib (``pip install groupconv[plot]``)."""
        try:  # matplotlib is an optional extra
            import matplotlib.pyplot as plt
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("plotting needs matplotlib: pip install groupconv[plot]") from e
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4, 0.6 * len(self.rows)), 3))
        labels = [r.layer for r in self.rows]
        if self.rows and isinstance(self.rows[0], EquivarianceRow):
            labels = [f"{r.layer} ({r.tier})" for r in self.rows]
            ax.bar(labels, [max(r.max_rel_error or 0.0, 1e-18) for r in self.rows])
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


def _dump_json(data: dict, path: str | None) -> str:
    text = json.dumps(data, indent=2, default=float)
    if path is not None:
        with open(path, "w") as fh:
            fh.write(text)
    return text


def _rich_available() -> bool:
    # rich and matplotlib are optional extras: every import of them waits until they are used
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def _show(reports: list[Report], file: TextIO | None, use_rich: bool | None) -> None:
    file = file if file is not None else sys.stdout
    if use_rich is None:
        use_rich = _rich_available()
    width = terminal_width()
    if use_rich:
        from rich.console import Console  # the optional extra, present: _rich_available

        console = Console(file=file, width=width)
    for r in reports:
        head, body = r._table()
        # rich squeezes a table that is too wide into cut-off headers and dropped columns: such a table is
        # written as fitted text, which wraps its cells and moves whole columns under their rows instead
        natural = sum(max(len(c) for c in col) for col in zip(head, *body)) + 3 * len(head) + 1
        if use_rich and natural <= width:
            console.print(r.to_rich())
        else:
            file.write(r.to_text(width) + "\n\n")


@dataclass
class VerificationReport:
    """The three reports of :func:`groupconv.verify.verify_model`.

    Attributes
    ----------
    equivariance, energy, certificates:
        The :class:`Report` of each check (``None`` when that check was not run).
    info:
        The model, input shape, dtype and device the checks ran with.
    """

    equivariance: Report | None = None
    energy: Report | None = None
    certificates: Report | None = None
    info: dict = field(default_factory=dict)

    def reports(self) -> list[Report]:
        """The reports that were run, in the order equivariance, energy, certificates."""
        return [r for r in (self.equivariance, self.energy, self.certificates) if r is not None]

    @property
    def passed(self) -> bool:
        """True when no row of any report failed."""
        return all(r.passed for r in self.reports())

    def failures(self) -> list:
        """The failing rows of all reports."""
        return [row for r in self.reports() for row in r.failures()]

    def summary(self) -> str:
        """One line per report: its title, number of rows and failures."""
        lines = []
        for r in self.reports():
            n_bad = len(r.failures())
            rows = f"{len(r.rows)} row" + ("s" if len(r.rows) != 1 else "")
            lines.append(f"{r.title}: {rows}, " + ("pass" if n_bad == 0 else f"{n_bad} FAILED"))
        lines.append("verification: " + ("pass" if self.passed else "FAIL"))
        return "\n".join(lines)

    def to_text(self, width: int | None = None) -> str:
        """The three plain-text tables and the summary; with ``width``, the tables fitted to that many
        columns (:meth:`Report.to_text`)."""
        head = [f"{k}: {_fmt(v)}" for k, v in self.info.items()]
        return "\n\n".join(
            ["\n".join(head)] * bool(head) + [r.to_text(width) for r in self.reports()] + [self.summary()]
        )

    __str__ = to_text

    def to_markdown(self) -> str:
        """The three Markdown tables under a heading."""
        parts = ["## verification: " + ("pass" if self.passed else "FAIL"), ""]
        parts += [f"- {k}: {_fmt(v)}" for k, v in self.info.items()]
        return "\n".join(parts) + "\n\n" + "\n".join(r.to_markdown() for r in self.reports())

    def to_dict(self) -> dict:
        """A JSON-serializable dictionary (see :meth:`from_dict`)."""
        return {
            "equivariance": None if self.equivariance is None else self.equivariance.to_dict(),
            "energy": None if self.energy is None else self.energy.to_dict(),
            "certificates": None if self.certificates is None else self.certificates.to_dict(),
            "info": self.info,
            "passed": self.passed,
        }

    def to_json(self, path: str | None = None) -> str:
        """JSON text (written to ``path`` when given)."""
        return _dump_json(self.to_dict(), path)

    @classmethod
    def from_dict(cls, data: dict) -> VerificationReport:
        """Inverse of :meth:`to_dict`."""
        keys = ("equivariance", "energy", "certificates")
        if not isinstance(data, dict) or not any(k in data for k in keys):
            raise ValueError(f"a verification report dictionary needs the keys {keys}")
        parts = {k: None if data.get(k) is None else Report.from_dict(data[k]) for k in keys}
        return cls(**parts, info=data.get("info", {}))

    @classmethod
    def from_json(cls, text: str) -> VerificationReport:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def show(self, file: TextIO | None = None, use_rich: bool | None = None) -> None:
        """Write the three tables and the summary to ``file`` (default ``sys.stdout``), with ``rich``
        when it is importable."""
        file = file if file is not None else sys.stdout
        if self.info:
            info = ", ".join(f"{k}: {_fmt(v)}" for k, v in self.info.items())
            file.write(textwrap.fill(info, terminal_width(), break_on_hyphens=False) + "\n\n")
        _show(self.reports(), file, use_rich)
        file.write(self.summary() + "\n")

    def plot(self, axes=None):
        """One panel per report (see :meth:`Report.plot`); needs matplotlib. Returns the axes."""
        reports = self.reports()
        if axes is None:
            try:  # matplotlib is an optional extra
                import matplotlib.pyplot as plt
            except ImportError as e:  # pragma: no cover - depends on the environment
                raise ImportError("plotting needs matplotlib: pip install groupconv[plot]") from e
            _, axes = plt.subplots(1, len(reports), figsize=(4.5 * len(reports), 3.2), squeeze=False)
            axes = list(axes[0])
        if len(axes) != len(reports):
            raise ValueError(f"plot needs {len(reports)} axes (one per report), got {len(axes)}")
        for ax, r in zip(axes, reports):
            r.plot(ax=ax)
        return axes
