"""One look for every explorer: a grid of controls with the readout, and the figure beside it on a
wide page or below it on a narrow one; and the still picture a reader without a kernel sees.

Sizes are chosen for JupyterLab with its file browser open. At 1280x800 a notebook's output area
is about 840 px wide and 680 px tall: the controls then sit above a figure of ``FIGURE_WIDTH``
px and the whole explorer fits on one screen. At 1920x1080 the controls move beside the figure.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import ipywidgets as W
from matplotlib.figure import Figure
from matplotlib.image import imread

FIGURE_WIDTH = 800  # px: fills the output area at 1280x800 with the file browser open
FIGURE_DPI = 100
DESCRIPTION_WIDTH = "112px"  # "context_length" and "branch_scale" fit beside their control
_CELL_PX = 264  # px, the narrowest grid cell: three fit in the 840 px of a 1280 px wide notebook
_CHAR = 7.5  # px, a character of the widgets' 13 px font, on average
_PANEL = "540px"  # the controls' width before the figure moves below them (two cells)
_FIGURE_MIN = "620px"  # the figure's width before it moves below the controls
_GAP = "16px"

# What a reader without a running kernel sees in place of an explorer (GitHub, nbviewer, an
# untrusted notebook in JupyterLab, nbconvert's HTML): the picture it last showed, headed by
# this hint, and this text where no picture can be shown.
STATIC_HINT = "(an interactive explorer: run this cell in JupyterLab or on Binder to use it)"
_PICTURE_HINT = (
    "Interactive explorer, shown as it was last run: run the notebook to use its controls"
)


def explorer_figure(height: int) -> Figure:
    """A figure ``FIGURE_WIDTH`` px wide and ``height`` px tall: every explorer's width."""
    return Figure(figsize=(FIGURE_WIDTH / FIGURE_DPI, height / FIGURE_DPI), dpi=FIGURE_DPI)


def control_grid(controls: Sequence[W.Widget], wide: Sequence[W.Widget] = ()) -> W.VBox:
    """The controls in a grid of as many columns as fit, after the ``wide`` ones (the sliders
    that matter most, e.g. depth), each across the whole width so that its track has room. A
    control whose words need more than one cell (a row of three buttons, a long menu entry)
    spans two, so that nothing wraps or is cut off."""
    for control in controls:
        control.layout.width = "auto"  # fill the grid cell, or the whole row
        control.layout.min_width = "0"
        if natural_width(control) > _CELL_PX:
            # grid_area, not grid_column: ipywidgets' front end clears grid-area after setting
            # grid-column, and the shorthand takes its longhands with it.
            control.layout.grid_area = "auto / auto / auto / span 2"
    rest = [c for c in controls if all(c is not w for w in wide)]
    grid = W.GridBox(
        rest,
        layout=W.Layout(
            grid_template_columns=f"repeat(auto-fill, minmax({_CELL_PX}px, 1fr))",
            grid_gap="0 12px",
            width="100%",
        ),
    )
    return W.VBox([*wide, grid], layout=W.Layout(width="100%"))


def natural_width(control: W.Widget) -> float:
    """About how many px ``control`` needs to show its label and all its words: 7.5 px a
    character of the widgets' 13 px font, a button's own width, a menu's arrow and padding."""
    label = _px(DESCRIPTION_WIDTH)
    if isinstance(control, W.ToggleButtons):
        return label + len(control.options) * (_px(control.style.button_width) + 4)
    if isinstance(control, W.Dropdown):
        return label + max(len(str(text)) for text in control._options_labels) * _CHAR + 40
    return 0.0


def _px(css: str) -> float:
    return float(css.removesuffix("px"))


def explorer_children(
    panel: Sequence[W.Widget], frame: W.Widget, *, under_figure: Sequence[W.Widget] = ()
) -> list[W.Widget]:
    """The explorer's one row: ``panel`` (controls, readout) and the figure's ``frame`` with what
    belongs under it. The row wraps: where both do not fit side by side, the figure goes below.
    Side by side on a page a little narrower than both (a 1280 px wide Voilà page), the figure
    gives way first, down to ``_FIGURE_MIN`` px, scaled as a picture."""
    side = W.VBox(
        list(panel), layout=W.Layout(flex=f"1 1 {_PANEL}", min_width="0", margin=f"0 {_GAP} 0 0")
    )
    figure = W.VBox(
        [frame, *under_figure],
        layout=W.Layout(flex=f"3 1 {_FIGURE_MIN}", max_width=f"{FIGURE_WIDTH}px", min_width="0"),
    )
    figure.add_class("sl-figure")
    row = W.Box(
        [side, figure],
        layout=W.Layout(display="flex", flex_flow="row wrap", align_items="flex-start"),
    )
    return [row]


def state_html(state: str) -> str:
    """The state line: the settings as one string, to copy onto a slide or into a load box.

    No colour of its own: the text takes the page's, dark or light; the label is the same
    colour, fainter."""
    return (
        "<div style='line-height:1.35'><span style='opacity:0.75'>state:</span> "
        f"<code style='font-size:12px;color:inherit;background:none'>{state}</code></div>"
    )


def readout_html(lines: Sequence[str]) -> str:
    """Readout lines as one block of text: read by a screen reader in order, live."""
    body = "<br>".join(lines)
    return f"<div role='status' style='line-height:1.3;font-size:12.5px'>{body}</div>"


def frame_box(image: W.Widget, overlays: Sequence[W.Widget] = ()) -> W.GridBox:
    """The figure's frame with ``overlays`` (say, a busy badge) over its top right corner: one
    grid cell holds them all, so an overlay takes no room of its own and moves nothing."""
    for child in (image, *overlays):
        child.layout.grid_area = "frame"
    return W.GridBox(
        [image, *overlays],
        layout=W.Layout(
            grid_template_areas='"frame"',
            grid_template_columns="minmax(0, 1fr)",  # the frame may scale down, never overflow
            justify_items="flex-end",
            align_items="flex-start",
            width="100%",
        ),
    )


def run_controls() -> tuple[W.Button, W.Button, W.IntProgress, W.Label, W.IntSlider]:
    """A training explorer's Train and Stop buttons, its progress bar and status line, and the
    step slider that replays a finished run (off until there is one)."""
    train_button = W.Button(
        description="Train",
        icon="play",
        button_style="success",
        tooltip="train with these settings",
        layout=W.Layout(width="100px"),
    )
    stop_button = W.Button(
        description="Stop",
        icon="stop",
        button_style="danger",
        disabled=True,
        tooltip="stop after the current few steps",
        layout=W.Layout(width="100px"),
    )
    progress = W.IntProgress(
        value=0,
        min=0,
        max=1,
        description="progress",
        style={"description_width": "64px"},
        layout=W.Layout(width="220px"),
    )
    status = W.Label(value="press Train")
    replay = W.IntSlider(
        value=0,
        min=0,
        max=1,
        description="step",
        disabled=True,
        continuous_update=True,
        layout=W.Layout(width="100%"),
        style={"description_width": DESCRIPTION_WIDTH},
    )
    return train_button, stop_button, progress, status, replay


def still_picture(figure: Figure, caption: str) -> bytes:
    """A PNG of ``figure`` headed by the hint to run the notebook and ``caption`` (the state
    line), for readers without a kernel. The live figure itself is left as it is."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=figure.dpi)
    buffer.seek(0)
    image = imread(buffer, format="png")  # (rows, columns, RGBA)
    rows, columns = image.shape[:2]
    chars = max(40, int(columns / (0.7 * 9 * figure.dpi / 72)))  # monospace 9 pt per line
    lines = textwrap.wrap(caption, chars)
    line_px = 15 * figure.dpi / 100
    header = round(12 + line_px * (len(lines) + 1.4))
    card = Figure(figsize=(columns / figure.dpi, (rows + header) / figure.dpi), dpi=figure.dpi)
    card.figimage(image, xo=0, yo=0)
    card.patch.set_facecolor("white")
    top = 1 - 6 / (rows + header)
    card.text(0.01, top, "▶ " + _PICTURE_HINT, va="top", fontsize=10, weight="bold", color="0.1")
    for i, line in enumerate(lines):
        y = top - (1.4 + i) * line_px / (rows + header)
        card.text(0.01, y, line, va="top", fontsize=9, family="monospace", color="0.25")
    out = io.BytesIO()
    card.savefig(out, format="png", dpi=figure.dpi)
    return out.getvalue()
