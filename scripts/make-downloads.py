#!/usr/bin/env python3
"""Writes the marketing site's downloadable PDFs into public/downloads/.

Standard library only: each PDF is written object by object (Helvetica and Helvetica-Bold,
the standard 14 fonts, so nothing is embedded), with a cross-reference table whose offsets
are counted from the bytes actually written. Run from anywhere:

    python3 scripts/make-downloads.py
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "public", "downloads")

PAGE_W, PAGE_H = 612, 792  # US Letter, points
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 64, 72, 64

# Helvetica advance widths (per 1000 em) for printable ASCII, from the standard AFM metrics.
_HELV = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  # space-/
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  # 0-?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  # @-O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  # P-_
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  # `-o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,  # p-~
]
_HELV_BOLD = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
]


def text_width(s: str, size: float, bold: bool = False) -> float:
    table = _HELV_BOLD if bold else _HELV
    total = 0
    for ch in s:
        code = ord(ch)
        total += table[code - 32] if 32 <= code <= 126 else 556
    return total * size / 1000.0


def wrap(s: str, size: float, width: float, bold: bool = False) -> list[str]:
    words, lines, line = s.split(), [], ""
    for w in words:
        candidate = f"{line} {w}" if line else w
        if line and text_width(candidate, size, bold) > width:
            lines.append(line)
            line = w
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines or [""]


def pdf_string(s: str) -> str:
    s.encode("ascii")  # the documents are plain ASCII on purpose
    return "(" + s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


# A document is a list of (style, text): "title", "subtitle", "h2", "p", "li", "small", "gap".
STYLES = {
    "title": ("F2", 20, 26, 0),
    "subtitle": ("F1", 11, 16, 0),
    "h2": ("F2", 13, 18, 0),
    "p": ("F1", 10, 14, 0),
    "li": ("F1", 10, 14, 14),
    "small": ("F1", 8, 11, 0),
}


def layout(doc: list[tuple[str, str]], footer: str) -> list[str]:
    """Turns the document into page content streams."""
    pages: list[list[str]] = [[]]
    y = PAGE_H - MARGIN_TOP
    width = PAGE_W - 2 * MARGIN_X

    def new_page() -> None:
        nonlocal y
        pages.append([])
        y = PAGE_H - MARGIN_TOP

    for style, text in doc:
        if style == "gap":
            y -= 8
            continue
        font, size, leading, indent = STYLES[style]
        bold = font == "F2"
        if style == "h2":
            y -= 10
        bullet = style == "li"
        lines = wrap(text, size, width - indent, bold)
        # keep a heading with at least two lines of what follows
        need = leading * (len(lines) + (2 if style == "h2" else 0))
        if y - need < MARGIN_BOTTOM:
            new_page()
        for i, line in enumerate(lines):
            ops = pages[-1]
            if bullet and i == 0:
                ops.append(f"BT /F1 {size} Tf {MARGIN_X + 3} {y:.1f} Td {pdf_string('-')} Tj ET")
            ops.append(
                f"BT /{font} {size} Tf {MARGIN_X + indent} {y:.1f} Td {pdf_string(line)} Tj ET"
            )
            y -= leading
        if style in ("title",):
            y -= 2
        if style in ("p", "subtitle"):
            y -= 4
    streams = []
    total = len(pages)
    for n, ops in enumerate(pages, start=1):
        foot = f"{footer}  |  Page {n} of {total}"
        ops = [
            "0.2 0.2 0.25 rg",
            *ops,
            "0.45 0.45 0.5 rg",
            f"BT /F1 8 Tf {MARGIN_X} 36 Td {pdf_string(foot)} Tj ET",
            "0.8 0.8 0.85 RG 0.5 w",
            f"{MARGIN_X} 48 m {PAGE_W - MARGIN_X} 48 l S",
        ]
        streams.append("\n".join(ops) + "\n")
    return streams


def build_pdf(title: str, doc: list[tuple[str, str]], footer: str) -> bytes:
    streams = layout(doc, footer)
    # Object numbers: 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, 5 info,
    # then a (page, content) pair per page.
    n_pages = len(streams)
    page_ids = [6 + 2 * i for i in range(n_pages)]
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: (
            "<< /Type /Pages /Kids ["
            + " ".join(f"{p} 0 R" for p in page_ids)
            + f"] /Count {n_pages} >>"
        ).encode(),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        5: (
            f"<< /Title {pdf_string(title)} /Author (Fluxorae) /Producer (scripts/make-downloads.py)"
            " /CreationDate (D:20260105090000Z) >>"
        ).encode(),
    }
    for i, stream in enumerate(streams):
        page, content = page_ids[i], page_ids[i] + 1
        objects[page] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}]"
            f" /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {content} 0 R >>"
        ).encode()
        data = stream.encode("ascii")
        objects[content] = (
            f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"endstream"
        )

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += f"{num} 0 obj\n".encode() + objects[num] + b"\nendobj\n"
    xref_at = len(out)
    size = max(objects) + 1
    out += f"xref\n0 {size}\n".encode()
    out += b"0000000000 65535 f \n"
    for num in range(1, size):
        out += f"{offsets[num]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {size} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


PRICING_GUIDE = [
    ("title", "Fluxorae Pricing Guide 2026"),
    ("subtitle", "What a project costs, what you pay when, and how held funds protect your budget."),
    ("h2", "How pricing works"),
    ("p", "You describe what you need in a plain-language brief. Fluxorae's AI drafts a structured "
          "scope - deliverables, milestones with acceptance criteria, a timeline and a budget range "
          "drawn from comparable past projects - and a project lead confirms it with you before "
          "anything is charged. The confirmed scope becomes a fixed price per milestone."),
    ("h2", "Plans"),
    ("li", "Project - from $2,500 per project. For one well-defined piece of work: AI-drafted scope "
           "confirmed by a project lead, 1 to 3 milestones with acceptance criteria, a vetted "
           "specialist, the realtime workspace and held funds on every milestone."),
    ("li", "Growth - from $9,500 per project. For multi-milestone builds such as a web app, a "
           "mobile app or an AI integration: a dedicated project lead, a matched team of up to "
           "four specialists, weekly demos, up to 8 milestones and one free re-scope."),
    ("li", "Team - from $18,000 per month. For ongoing delivery: a standing squad with agreed "
           "monthly capacity, a delivery manager, priority matching, the unified sales inbox with "
           "lead scoring for up to 10 seats, and monthly reporting."),
    ("p", "Expert consultations are booked by the hour at the expert's listed rate (typically $120 "
          "to $280 an hour). The payment is authorized when you book and captured only after the "
          "session has taken place. Store packages and digital products are sold at a fixed price "
          "shown on the product page."),
    ("h2", "The 20% platform fee"),
    ("p", "Prices you see already include Fluxorae's 20% platform fee. You never pay it on top. "
          "When you approve a milestone, the milestone amount is released to the freelancer minus "
          "the 20% fee, which covers vetting, project leads, the workspace, payment handling and "
          "support. Example: on a $10,000 milestone the freelancer receives $8,000."),
    ("h2", "What held funds are"),
    ("p", "Before work on a milestone starts, you fund that milestone. The money is held by "
          "Fluxorae - not paid to the freelancer - while the work is done. You review the "
          "deliverable against the acceptance criteria agreed in the scope:"),
    ("li", "Approve it, and the funds are released to the freelancer (less the platform fee)."),
    ("li", "Ask for changes, and the funds stay held while the freelancer revises the work."),
    ("li", "Raise a dispute, and a Fluxorae reviewer looks at the scope, the deliverable and the "
           "workspace audit trail before deciding what is released or refunded."),
    ("p", "You only ever have one milestone's worth of money at risk, and the freelancer knows the "
          "money for approved work is already there."),
    ("h2", "What AI does and does not decide"),
    ("p", "AI drafts scopes, suggests budget ranges and matches specialists. A person confirms every "
          "scope, approves every release of money and handles every escalation. AI never moves "
          "money on its own."),
    ("h2", "Getting a price"),
    ("p", "Request a proposal at /request-proposal and you receive a confirmed scope with a price "
          "per milestone, usually within two business days. Prefer to talk first? Book a call at "
          "/book-a-call."),
    ("gap", ""),
    ("small", "Prices in US dollars, excluding applicable taxes. Figures are indicative and apply "
              "to scopes confirmed in 2026. Fluxorae demo content."),
]

RESEARCH = [
    ("title", "AI-Assisted Scoping in Services Work: 2026 Research"),
    ("subtitle", "Fluxorae's own 2026 survey of demo data: 412 projects and 96 customer interviews "
                 "on the Fluxorae platform. All figures come from the demo dataset and are "
                 "illustrative."),
    ("h2", "Summary"),
    ("p", "We compared projects whose scope was first drafted by AI and then confirmed by a project "
          "lead with projects scoped entirely by hand. AI drafting shortened the time to a "
          "confirmed scope dramatically; human confirmation remained the main reason budgets held."),
    ("h2", "Key figures"),
    ("li", "26 hours: median time from brief to confirmed scope with an AI draft, against 6 "
           "business days for scopes written by hand."),
    ("li", "71% of AI-drafted scopes were confirmed with minor edits only (three or fewer changed "
           "deliverables or criteria)."),
    ("li", "83% of projects finished within the budget range shown in the AI-drafted scope; 9% "
           "finished below it and 8% above it."),
    ("li", "31% fewer change requests after the first milestone when every milestone carried "
           "written acceptance criteria."),
    ("li", "94% of milestones were approved on first review; the median review took 1.6 days."),
    ("li", "Human edits mattered most on integrations with third-party systems, data migration "
           "and regulated data: 64% of all budget changes made by project leads fell in these "
           "three areas."),
    ("h2", "Where AI helps most"),
    ("p", "Turning an unstructured brief into a consistent list of deliverables; proposing "
          "acceptance criteria a customer can actually test; and finding comparable past projects "
          "to anchor the budget range. Drafts were most accurate for well-trodden work such as "
          "e-commerce stores, marketing sites and dashboards."),
    ("h2", "Where people still win"),
    ("p", "Spotting what the brief does not say: an unowned data source, an approval step in the "
          "customer's organization, a compliance requirement, or a timeline that depends on a "
          "third party. Project leads caught at least one such gap in 58% of AI drafts."),
    ("h2", "Method"),
    ("p", "Projects started between January and October 2026 in the Fluxorae demo environment, "
          "across web, mobile, AI/ML, data, e-commerce, design, marketing and DevOps work. Budget "
          "accuracy compares the final sum of approved milestones with the range in the first "
          "confirmed scope. Interviews were semi-structured, 30 minutes each."),
    ("h2", "What we recommend"),
    ("li", "Let AI draft, and make a named person confirm scope, budget and every release of money."),
    ("li", "Write acceptance criteria for every milestone before it is funded."),
    ("li", "Fund one milestone at a time through held funds, so the budget at risk stays small."),
    ("gap", ""),
    ("small", "Fluxorae's own 2026 survey of demo data. Not independent research; figures are "
              "illustrative and drawn from the Fluxorae demo dataset."),
]


def main() -> int:
    os.makedirs(OUT_DIR, exist_ok=True)
    docs = {
        "fluxorae-pricing-guide-2026.pdf": (
            "Fluxorae Pricing Guide 2026", PRICING_GUIDE, "Fluxorae Pricing Guide 2026"),
        "fluxorae-ai-services-research-2026.pdf": (
            "AI-Assisted Scoping in Services Work: 2026 Research", RESEARCH,
            "Fluxorae AI Services Research 2026"),
    }
    for name, (title, doc, footer) in docs.items():
        path = os.path.join(OUT_DIR, name)
        data = build_pdf(title, doc, footer)
        with open(path, "wb") as fh:
            fh.write(data)
        print(f"wrote {os.path.relpath(path, ROOT)} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
