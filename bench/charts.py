#!/usr/bin/env python3
"""SVG charts of bench/latest.json, written by hand (no plotting library on the machine):
latency percentiles against offered fan-out load, and relay RSS against idle connections.
Usage: bench/charts.py [RESULTS_DIR (unused, kept for bench/run)] OUT_DIR
"""
import json, math, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
W, H, L, R, T, B = 720, 420, 70, 190, 40, 50
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]
# ../shared/bench/BASELINE.md (d): old server, idle SSE connections → RSS held (MB).
OLD_IDLE = [(1000, 103), (10000, 255), (19000, 423)]


class Chart:
    def __init__(self, title, xlabel, ylabel, xmax, ymin, ymax, ylog):
        self.xmax, self.ymin, self.ymax, self.ylog = xmax, ymin, ymax, ylog
        self.parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
                      f'font-family="sans-serif" font-size="12">',
                      f'<rect width="{W}" height="{H}" fill="white"/>',
                      f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">{title}</text>',
                      f'<text x="{L + (W - L - R) / 2}" y="{H - 10}" text-anchor="middle">{xlabel}</text>',
                      f'<text transform="translate(16,{T + (H - T - B) / 2}) rotate(-90)" '
                      f'text-anchor="middle">{ylabel}</text>']
        self.legend = 0
        self.axes()

    def px(self, x):
        return L + x / self.xmax * (W - L - R)

    def py(self, y):
        if self.ylog:
            f = (math.log10(max(y, self.ymin)) - math.log10(self.ymin)) / (math.log10(self.ymax) - math.log10(self.ymin))
        else:
            f = (y - self.ymin) / (self.ymax - self.ymin)
        return H - B - min(max(f, 0), 1) * (H - T - B)

    def axes(self):
        p = self.parts
        p.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#444"/>')
        for i in range(6):
            x = self.xmax * i / 5
            p.append(f'<text x="{self.px(x):.1f}" y="{H - B + 16}" text-anchor="middle">{label(x)}</text>')
        ticks = ([10 ** e for e in range(round(math.log10(self.ymin)), round(math.log10(self.ymax)) + 1)]
                 if self.ylog else [self.ymin + (self.ymax - self.ymin) * i / 5 for i in range(6)])
        for y in ticks:
            p.append(f'<line x1="{L}" x2="{W - R}" y1="{self.py(y):.1f}" y2="{self.py(y):.1f}" stroke="#ddd"/>')
            p.append(f'<text x="{L - 6}" y="{self.py(y) + 4:.1f}" text-anchor="end">{label(y)}</text>')

    def hline(self, y, text):
        self.parts.append(f'<line x1="{L}" x2="{W - R}" y1="{self.py(y):.1f}" y2="{self.py(y):.1f}" '
                          f'stroke="#999" stroke-dasharray="6,4"/>')
        self.parts.append(f'<text x="{W - R - 4}" y="{self.py(y) - 4:.1f}" text-anchor="end" fill="#666">{text}</text>')

    def series(self, name, points, color, dashed=False):
        if not points:
            return
        pts = " ".join(f"{self.px(x):.1f},{self.py(y):.1f}" for x, y in sorted(points))
        dash = ' stroke-dasharray="5,3"' if dashed else ""
        self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for x, y in points:
            self.parts.append(f'<circle cx="{self.px(x):.1f}" cy="{self.py(y):.1f}" r="3" fill="{color}"/>')
        ly = T + 14 + 18 * self.legend
        self.legend += 1
        self.parts.append(f'<line x1="{W - R + 10}" x2="{W - R + 30}" y1="{ly - 4}" y2="{ly - 4}" stroke="{color}" '
                          f'stroke-width="2"{dash}/><text x="{W - R + 36}" y="{ly}">{name}</text>')

    def save(self, path):
        with open(path, "w") as f:
            f.write("\n".join(self.parts + ["</svg>"]) + "\n")


def label(v):
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def nice_max(v):
    e = 10 ** math.floor(math.log10(max(v, 1)))
    return next(m * e for m in (1, 2, 2.5, 5, 10) if m * e >= v)


def latency_chart(rows, path):
    xmax = nice_max(max((r["rate"] * r["subs"] for r in rows), default=1))
    c = Chart("Fan-out latency against offered load (1 sender)", "offered deliveries/s (msgs/s × subscribers)",
              "latency (ms, log)", xmax, 0.1, 1000, True)
    c.hline(50, "p99 limit 50 ms")
    keys = sorted({(r["transport"], r["subs"]) for r in rows})
    for i, (t, subs) in enumerate(keys):
        mine = [r for r in rows if (r["transport"], r["subs"]) == (t, subs)]
        color = COLORS[i % len(COLORS)]
        c.series(f"{t.upper()} {subs} p50", [(r["rate"] * r["subs"], r["p50_ms"]) for r in mine], color)
        c.series(f"{t.upper()} {subs} p99", [(r["rate"] * r["subs"], r["p99_ms"]) for r in mine], color, True)
    c.save(path)


def rss_chart(rows, path):
    ymax = nice_max(max([r["rss_kib_held"] / 1024 for r in rows] + [y for _, y in OLD_IDLE]))
    c = Chart("Relay RSS against idle connections", "connections held", "RSS (MiB)", 20000, 0, ymax, False)
    for i, t in enumerate(sorted({r["transport"] for r in rows})):
        pts = [(r["total"], r["rss_kib_held"] / 1024) for r in rows if r["transport"] == t]
        c.series(f"bot2bot {t.upper()}", pts, COLORS[i])
    c.series("old server SSE", OLD_IDLE, COLORS[7], True)
    c.save(path)


def main():
    out = sys.argv[-1]
    os.makedirs(out, exist_ok=True)
    latest = json.load(open(os.path.join(HERE, "latest.json")))
    if "fanout" in latest:
        latency_chart(latest["fanout"]["rows"], os.path.join(out, "latency-vs-load.svg"))
    if "idle" in latest:
        rss_chart(latest["idle"]["rows"], os.path.join(out, "rss-vs-connections.svg"))
    print(f"charts in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
