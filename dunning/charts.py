"""Charts of the portfolio report (`dunning report --chart`): PNG or SVG with matplotlib's Agg backend.

Imported only when a chart is asked for: matplotlib costs a second to import. Chinese labels need a
CJK font; it is found through fontconfig (`fc-list :lang=zh`, Noto Sans CJK SC preferred, which
`make system` installs as fonts-noto-cjk) and a chart with CJK text is refused with a clear message
when there is none, rather than drawn with empty boxes.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from typing import Literal

from dunning.analytics import Report
from dunning.analytics import Summary
from dunning.render import CURRENCY_SIGNS

ChartFormat = Literal["png", "svg"]
Lang = Literal["zh", "en"]

# Not yet due in green, then warmer as the debt gets older.
BUCKET_COLOURS = ("#4caf50", "#ffc107", "#ff7043", "#c62828", "#6a1b9a", "#37474f")
_PREFERRED = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei")


class ChartError(Exception):
    """A chart that cannot be drawn as asked (no CJK font, unknown format)."""


@dataclass(frozen=True)
class CjkFont:
    family: str
    file: str


def _has_cjk(text: str) -> bool:
    return any("\u2e80" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" or "\uff00" <= c <= "\uffef" for c in text)


def find_cjk_font() -> CjkFont | None:
    """A font with Chinese glyphs, from fontconfig; sans-serif Simplified Chinese preferred."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listing = subprocess.run([fc_list, ":lang=zh", "family", "file"], capture_output=True, text=True,
                                 timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found: list[CjkFont] = []
    for line in listing.splitlines():
        file, _, families = line.partition(":")
        for family in families.strip().split(","):
            if family:
                found.append(CjkFont(family.strip(), file.strip()))
    if not found:
        return None

    def rank(font: CjkFont) -> tuple[int, int, str]:
        preferred = _PREFERRED.index(font.family) if font.family in _PREFERRED else len(_PREFERRED)
        return preferred, 0 if "Sans" in font.family and "Mono" not in font.family else 1, font.family

    return min(found, key=rank)


def _amount_formatter(currency: str, lang: Lang) -> Callable[[float, Any], str]:
    sign = CURRENCY_SIGNS.get(currency, "")

    def shown(value: float, _position: Any) -> str:
        if lang == "zh" and currency == "CNY":
            return f"{value / 10000:,.0f}万" if abs(value) >= 10000 else f"{value:,.0f}"
        if abs(value) >= 1_000_000:
            return f"{sign}{value / 1_000_000:,.1f}M"
        return f"{sign}{value / 1000:,.0f}k" if abs(value) >= 1000 else f"{sign}{value:,.0f}"

    return shown


def _words(lang: Lang) -> dict[str, str]:
    if lang == "zh":
        return {"title": "应收账款组合分析 {start} 至 {end}", "aging": "期末账龄（{cur}）：按{by}",
                "trend": "逾期余额逐月走势（{cur}）", "recovery": "回收率：按地区（{cur}）",
                "region": "地区", "industry": "行业", "collector": "催收员", "none": "（未填）",
                "current": "未到期", "open": "未结余额", "total": "合计"}
    return {"title": "Receivables portfolio {start} to {end}", "aging": "Aging at period end by {by} ({cur})",
            "trend": "Overdue month by month ({cur})", "recovery": "Recovery rate by region ({cur})",
            "region": "region", "industry": "industry", "collector": "collector", "none": "(none)",
            "current": "current", "open": "open", "total": "total"}


def chart(report: Report, fmt: ChartFormat, *, lang: Lang = "zh",
          collectors: dict[str, str] | None = None) -> bytes:
    """The report as a picture, one row per currency: aging by bucket per segment (stacked bars),
    the overdue balance month by month by bucket, and the recovery rate per region."""
    if fmt not in ("png", "svg"):
        raise ChartError(f"a chart is a .png or .svg file, not .{fmt}")
    words = _words(lang)
    by = report.by or "region"
    book = report.portfolio
    rows = []
    for block in report.blocks:
        segments = block.segments if report.by is not None else book.segments(by, block.currency)
        regions = book.segments("region", block.currency)
        rows.append((block.currency, segments, regions, block.total))

    def label(summary: Summary) -> str:
        if summary.segment is None:
            return words["none"]
        if by == "collector" and collectors:
            return collectors.get(summary.segment, summary.segment)
        return summary.segment

    texts = [words["title"], *(label(s) for _, segs, regs, _ in rows for s in [*segs, *regs])]
    font = find_cjk_font()
    if font is None and (lang == "zh" or any(_has_cjk(t) for t in texts)):
        raise ChartError("no CJK font found for the Chinese labels: install one, e.g. fonts-noto-cjk "
                         "(`make system`, or `apt-get install fonts-noto-cjk`), and check `fc-list :lang=zh`")

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter
    from matplotlib.ticker import PercentFormatter

    families = ["DejaVu Sans"]
    if font is not None:
        if font.family not in {entry.name for entry in font_manager.fontManager.ttflist}:
            font_manager.fontManager.addfont(font.file)
        families.insert(0, font.family)
    names = list(report.names)
    shown_names = [words["current"] if n == "current" else n for n in names]
    colours = [BUCKET_COLOURS[k % len(BUCKET_COLOURS)] for k in range(len(names))]
    settings: Any = {"font.family": "sans-serif", "font.sans-serif": families, "axes.unicode_minus": False,
                "svg.fonttype": "path", "svg.hashsalt": "dunning", "axes.spines.top": False,
                "axes.spines.right": False}
    with rc_context(settings):
        figure = Figure(figsize=(19, 5.6 * max(1, len(rows)) + 0.8), layout="constrained")
        figure.suptitle(words["title"].format(start=report.period.start, end=report.period.end),
                        fontsize=16, fontweight="bold")
        grid = figure.subplots(max(1, len(rows)), 3, squeeze=False)
        for row, (currency, segments, regions, total) in enumerate(rows):
            amounts = FuncFormatter(_amount_formatter(currency, lang))
            _aging_panel(grid[row][0], segments, names, shown_names, colours, label, amounts,
                         words["aging"].format(cur=currency, by=words[by]))
            _trend_panel(grid[row][1], total, names, shown_names, colours, amounts,
                         words["trend"].format(cur=currency), words["open"])
            _recovery_panel(grid[row][2], regions, total, label, PercentFormatter(1.0, decimals=0),
                            words["recovery"].format(cur=currency), words["total"])
        if not rows:
            for axes in grid[0]:
                axes.set_axis_off()
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, dpi=110, metadata={"Software": "dunning"} if fmt == "png" else
                       {"Date": None})
    return buffer.getvalue()


def _f(value: Decimal) -> float:
    return float(value)


def _slots(axes: Any, bars: int) -> None:
    """Room for at least 6 bars, so that one or two segments are not drawn as a wall."""
    axes.set_ylim(-0.6, max(bars, 6) - 0.4)


def _aging_panel(axes: Any, segments: Sequence[Summary], names: list[str], shown: list[str],
                 colours: list[str], label: Callable[[Summary], str], amounts: Any, title: str) -> None:
    ordered = sorted(segments, key=lambda s: s.open)  # largest at the top
    y = range(len(ordered))
    left = [0.0] * len(ordered)
    for name, shown_name, colour in zip(names, shown, colours, strict=True):
        widths = [_f(s.by_bucket[name]) for s in ordered]
        axes.barh(y, widths, left=left, color=colour, label=shown_name, height=0.7)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for row, summary in enumerate(ordered):
        if summary.open:
            axes.text(_f(summary.open), row, " " + amounts(_f(summary.open), None), va="center", fontsize=9)
    axes.set_yticks(list(y), [label(s) for s in ordered])
    _slots(axes, len(ordered))
    axes.margins(x=0.15)
    axes.xaxis.set_major_formatter(amounts)
    axes.set_title(title, loc="left", fontweight="bold")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), frameon=False, ncols=len(names))
    axes.grid(axis="x", alpha=0.3)


def _trend_panel(axes: Any, total: Summary, names: list[str], shown: list[str], colours: list[str],
                 amounts: Any, title: str, open_word: str) -> None:
    months = total.months
    x = range(len(months))
    bottom = [0.0] * len(months)
    for name, shown_name, colour in list(zip(names, shown, colours, strict=True))[1:]:  # overdue only
        heights = [_f(m.by_bucket[name]) for m in months]
        axes.bar(x, heights, bottom=bottom, color=colour, label=shown_name, width=0.75)
        bottom = [a + b for a, b in zip(bottom, heights, strict=True)]
    axes.plot(list(x), [_f(m.open) for m in months], color="#37474f", marker="o", linewidth=1.5,
              label=open_word)
    axes.set_xticks(list(x), [m.day.strftime("%Y-%m") for m in months], rotation=45, ha="right")
    axes.yaxis.set_major_formatter(amounts)
    axes.set_title(title, loc="left", fontweight="bold")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False, ncols=len(names))
    axes.grid(axis="y", alpha=0.3)


def _recovery_panel(axes: Any, regions: Sequence[Summary], total: Summary, label: Callable[[Summary], str],
                    percent: Any, title: str, total_word: str) -> None:
    rated = sorted((s for s in regions if s.recovery_rate is not None), key=lambda s: s.recovery_rate or 0)
    values = [_f(s.recovery_rate or Decimal(0)) for s in rated]
    colours = ["#c62828" if v < 0.5 else "#ffc107" if v < 0.8 else "#4caf50" for v in values]
    bars = axes.barh(range(len(rated)), values, color=colours, height=0.7)
    axes.bar_label(bars, labels=[f"{v:.0%}" for v in values], padding=3)
    axes.set_yticks(list(range(len(rated))), [label(s) for s in rated])
    _slots(axes, len(rated))
    if total.recovery_rate is not None:
        overall = _f(total.recovery_rate)
        axes.axvline(overall, color="#37474f", linestyle="--", linewidth=1)
        axes.text(overall, 1.0, f" {total_word} {overall:.0%}", va="bottom", color="#37474f",
                  transform=axes.get_xaxis_transform())
    axes.set_xlim(0, 1.12)
    axes.xaxis.set_major_formatter(percent)
    axes.set_title(title, loc="left", fontweight="bold")
    axes.grid(axis="x", alpha=0.3)
