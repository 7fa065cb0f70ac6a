"""The report as a PNG chart (matplotlib, headless).

Chinese labels need a CJK font. When none is installed (a bare Debian has none; the Makefile
installs ``fonts-noto-cjk``) the chart is still drawn, with English labels, and the caller is told,
rather than drawing empty boxes for every character.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.tables import Table
from press.report import Report

if TYPE_CHECKING:
    from matplotlib.axes import Axes

log = logging.getLogger(__name__)

CJK_FONTS = (
    "Noto Sans CJK TC",
    "Noto Sans TC",
    "Noto Sans CJK JP",
    "Noto Serif CJK TC",
    "Source Han Sans TW",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "AR PL UMing TW",
    "Droid Sans Fallback",
    "Microsoft JhengHei",
    "PingFang TC",
    "Heiti TC",
)
ENGLISH = {
    "本處發布新聞稿": "Office releases",
    "全府發布新聞稿": "All agencies' releases",
    "市府網站新聞稿": "Website feed",
}


CJK_FILES = (
    "NotoSansCJK",
    "NotoSerifCJK",
    "NotoSansTC",
    "SourceHanSans",
    "wqy",
    "uming",
    "DroidSansFallback",
)


def find_cjk_font() -> str | None:
    """A CJK font matplotlib can use; fonts installed after matplotlib cached its list are added."""
    from matplotlib import font_manager

    def known() -> str | None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    found = known()
    if found is None:
        for path in font_manager.findSystemFonts():
            if any(marker.lower() in Path(path).name.lower() for marker in CJK_FILES):
                font_manager.fontManager.addfont(path)
        found = known()
    return found


def draw_report(report: Report, path: Path, font: str | None = None) -> str | None:
    """Draw one panel per non-empty table into ``path``; returns the CJK font used (None: English labels)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = font if font is not None else find_cjk_font()
    if font is None:
        log.warning("no CJK font installed (apt-get install fonts-noto-cjk): chart labels are in English")
    shown = [t for t in report.tables if t.rows]
    fig, axes = plt.subplots(len(shown) or 1, 1, figsize=(9, 3.2 * max(len(shown), 1)), squeeze=False)
    for ax, table in zip(axes[:, 0], shown, strict=False):
        _panel(ax, table, report, font)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return font


def _label(text: str, font: str | None, index: int) -> str:
    if font:
        return text
    return ENGLISH.get(text, text if text.isascii() else f"series {index + 1}")


def _panel(ax: Axes, table: Table, report: Report, font: str | None) -> None:
    from matplotlib.ticker import MaxNLocator

    months = [m for _, m in report.period.months]
    width = 0.8 / max(len(table.rows), 1)
    for i, (name, *cells) in enumerate(table.rows):
        counts = [int(n) for n in cells[: len(months)]]  # the last cell is the row's total
        xs = [x + i * width for x in range(len(months))]
        bars = ax.bar(xs, counts, width, label=_label(name, font, i))
        ax.bar_label(bars, labels=[f"{n:,}" for n in counts], fontsize=7)
    ax.set_xticks([x + width * (len(table.rows) - 1) / 2 for x in range(len(months))])
    ax.set_xticklabels([f"{m} 月" if font else f"M{m}" for m in months], fontfamily=font)
    title = table.title if font else f"{report.period.months[0][0]} months {months[0]}-{months[-1]}"
    ax.set_title(title, fontfamily=font)
    ax.legend(prop={"family": font} if font else None, fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: never 0.5 of a release
